//! Labels: an item's QR label as SVG, and a printable sheet of labels for a selection
//! (an A4 sheet of 21 or a 62 mm roll), laid out for print by `static/app.css`.

use actix_web::http::{StatusCode, header};
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::layout::{Layout, ok, render};
use super::views::{query_map, url_with};
use crate::error::AppError;
use crate::ids::AssetId;
use crate::labels::{self, MAX_SHEET, Sheet, SheetRequest, Stock};
use crate::web::error::PageResult;
use crate::web::state::AppState;

/// `GET /assets/{id}/label.svg[?layout=a4-21|roll-62]`: the item's label.
pub async fn svg(req: HttpRequest, state: Data<AppState>, id: Path<AssetId>) -> PageResult<HttpResponse> {
    let stock = Stock::from_param(query_map(&req).get("layout").map(String::as_str))?;
    let body = labels::label_svg(state.db.conn(), &state.settings.public_url, *id, stock).await?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").insert_header((header::CACHE_CONTROL, "no-store")).body(body))
}

#[derive(Template)]
#[template(path = "labels/sheet.html")]
pub struct SheetPage {
    l: Layout,
    sheet: Sheet,
    /// Each stock with the link to this selection on it.
    switch: Vec<(Stock, String)>,
    max: usize,
    error: Option<String>,
}

impl SheetPage {
    fn new(req: &HttpRequest, sheet: Sheet, error: Option<String>) -> SheetPage {
        let ids: Vec<String> = sheet.ids().iter().map(AssetId::to_string).collect();
        let switch = Stock::ALL
            .iter()
            .map(|s| {
                let mut params: Vec<(&str, &str)> = ids.iter().map(|i| ("ids", i.as_str())).collect();
                params.push(("layout", s.as_str()));
                (*s, url_with("/labels", &params))
            })
            .collect();
        SheetPage { l: Layout::new(req, "assets"), sheet, switch, max: MAX_SHEET, error }
    }
}

/// The refusal as a sentence naming its field ("ids names …, but no item has that id").
fn refusal_line(e: &AppError) -> String {
    match e {
        AppError::Invalid(fields) => {
            fields.iter().map(|f| format!("{} {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

/// `GET /labels?ids=…&ids=…&layout=a4-21|roll-62`: the sheet of the selected items' labels.
pub async fn sheet(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let request = SheetRequest {
        ids: pairs.iter().filter(|(k, _)| k == "ids").map(|(_, v)| v.clone()).collect(),
        layout: pairs.iter().rev().find(|(k, _)| k == "layout").map(|(_, v)| v.clone()),
    };
    match labels::sheet(state.db.conn(), &state.settings.public_url, &request).await {
        Ok(sheet) => ok(&req, &SheetPage::new(&req, sheet, None)),
        Err(e @ AppError::Invalid(_)) => {
            let stock = Stock::from_param(request.layout.as_deref()).unwrap_or_default();
            let page = SheetPage::new(&req, Sheet { stock, labels: Vec::new() }, Some(refusal_line(&e)));
            render(&req, StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
