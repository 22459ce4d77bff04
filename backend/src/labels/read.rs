//! Labels for registered items: one label as SVG, or a sheet of them for a selection.

use sea_orm::ConnectionTrait;

use super::qr::QrMatrix;
use super::stock::Stock;
use super::svg::{self, LabelText};
use crate::assets::{self, LabelledAsset};
use crate::error::{AppError, AppResult};
use crate::ids::AssetId;

/// Most labels on one sheet request: ten A4 sheets of 21.
pub const MAX_SHEET: usize = 210;

/// The address a label's QR code opens: the item's page under the public URL.
pub fn item_url(public_url: &str, id: AssetId) -> String {
    format!("{}/assets/{id}", public_url.trim_end_matches('/'))
}

/// Draws the label of a labelled item.
fn draw(public_url: &str, l: &LabelledAsset, stock: Stock) -> AppResult<String> {
    let a = &l.asset;
    let qr = QrMatrix::encode(&item_url(public_url, a.id))?;
    // Without a catalog model, the manufacturer is what is known of the make.
    let model = if l.model.is_empty() { a.manufacturer.as_str() } else { l.model.as_str() };
    let text = LabelText { tag: &a.asset_tag, serial: a.serial.as_deref().unwrap_or(""), model };
    Ok(svg::label(&qr, &text, stock))
}

/// The label of item `id` for `stock`, as an SVG document.
pub async fn label_svg<C: ConnectionTrait>(conn: &C, public_url: &str, id: AssetId, stock: Stock) -> AppResult<String> {
    let asset = assets::get(conn, id).await?;
    let labelled = assets::labelled(conn, vec![asset]).await?;
    let Some(l) = labelled.first() else { return Err(AppError::not_found(AssetId::WHAT, id)) };
    draw(public_url, l, stock)
}

/// A request for a sheet, as it arrives: the `ids` values (each may hold several ids
/// separated by commas or spaces) and the `layout`.
#[derive(Clone, Debug, Default)]
pub struct SheetRequest {
    pub ids: Vec<String>,
    pub layout: Option<String>,
}

/// One label on a sheet.
pub struct SheetLabel {
    pub id: AssetId,
    pub tag: String,
    /// The label as SVG markup (XML-escaped throughout, safe to inline in HTML).
    pub svg: String,
}

/// The labels of a selection, in the order asked, for one stock.
pub struct Sheet {
    pub stock: Stock,
    pub labels: Vec<SheetLabel>,
}

impl Sheet {
    /// The labels as printed pages: 21 to an A4 sheet, one per roll label.
    pub fn pages(&self) -> Vec<&[SheetLabel]> {
        self.labels.chunks(self.stock.per_page()).collect()
    }

    /// The selected ids, in order (for links to the same sheet on another stock).
    pub fn ids(&self) -> Vec<AssetId> {
        self.labels.iter().map(|l| l.id).collect()
    }
}

/// The ids of a request, in order; a malformed one is refused by name, and so is a
/// request for more than [`MAX_SHEET`] labels (counted before anything is read).
fn parse_ids(values: &[String]) -> AppResult<Vec<AssetId>> {
    let raw: Vec<&str> =
        values.iter().flat_map(|v| v.split([',', ' ', '\n', '\t'])).map(str::trim).filter(|s| !s.is_empty()).collect();
    if raw.len() > MAX_SHEET {
        return Err(AppError::invalid(
            "ids",
            format!("must name at most {MAX_SHEET} items at a time (ten A4 sheets of 21); {} were selected", raw.len()),
        ));
    }
    raw.iter()
        .map(|s| {
            s.parse::<AssetId>().map_err(|_| AppError::invalid("ids", format!("holds {s:?}, which is not an item id")))
        })
        .collect()
}

/// The sheet of labels for the requested items. No ids is an empty sheet; an unknown id
/// refuses the whole sheet, naming it.
pub async fn sheet<C: ConnectionTrait>(conn: &C, public_url: &str, req: &SheetRequest) -> AppResult<Sheet> {
    let stock = Stock::from_param(req.layout.as_deref())?;
    let ids = parse_ids(&req.ids)?;
    let found = assets::labelled_by_ids(conn, &ids).await?;
    let mut labels = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(l) = found.get(&id) else {
            return Err(AppError::invalid("ids", format!("names {id}, but no item has that id")));
        };
        labels.push(SheetLabel { id, tag: l.asset.asset_tag.clone(), svg: draw(public_url, l, stock)? });
    }
    Ok(Sheet { stock, labels })
}

#[cfg(test)]
mod tests {
    use super::{MAX_SHEET, item_url, parse_ids};
    use crate::ids::AssetId;

    #[test]
    fn the_address_is_the_items_page_under_the_public_url() {
        let id = AssetId::new();
        assert_eq!(item_url("https://r.example/", id), format!("https://r.example/assets/{id}"));
    }

    #[test]
    fn ids_are_read_in_order_and_refused_by_name() {
        let (a, b) = (AssetId::new(), AssetId::new());
        assert_eq!(parse_ids(&[format!("{a}"), format!(" {b}, {a} ")]).expect("ids"), vec![a, b, a]);
        assert!(parse_ids(&[]).expect("none").is_empty());
        let err = parse_ids(&["nope".into()]).expect_err("malformed").to_string();
        assert!(err.contains("nope"), "{err}");
        let many: Vec<String> = (0..=MAX_SHEET).map(|_| AssetId::new().to_string()).collect();
        let err = parse_ids(&many).expect_err("too many").to_string();
        assert!(err.contains("211"), "{err}");
    }
}
