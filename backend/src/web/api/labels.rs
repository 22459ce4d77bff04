//! `/api/v1/assets/{id}/label.svg`: an item's printable QR label.

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ids::AssetId;
use crate::labels::{self, Stock};
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::ApiQuery;
use crate::web::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LabelQuery {
    /// The label stock: `a4-21` (63.5 × 38.1 mm, the default) or `roll-62` (62 × 29 mm).
    #[param(inline)]
    pub layout: Option<Stock>,
}

#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "Asset id"), LabelQuery),
    responses(
        (status = 200, description = "The item's label: a QR code of `{RELOOP_PUBLIC_URL}/assets/{id}` \
            (error correction M) with the item's tag, serial and model, sized in millimetres",
            content_type = "image/svg+xml", body = String),
        (status = 404, description = "No such item", body = ErrorBody),
    )
)]
#[get("/assets/{id}/label.svg")]
pub async fn label(
    state: Data<AppState>,
    id: Path<AssetId>,
    ApiQuery(q): ApiQuery<LabelQuery>,
) -> ApiResult<HttpResponse> {
    let stock = q.layout.unwrap_or_default();
    let body = labels::label_svg(state.db.conn(), &state.settings.public_url, *id, stock).await?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").insert_header((header::CACHE_CONTROL, "no-store")).body(body))
}
