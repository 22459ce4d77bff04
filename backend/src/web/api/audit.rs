//! `/api/v1/audit`: the trail and its chain check (admins and auditors); and an item's
//! history as people read it, `/api/v1/assets/{id}/history` (its ledger entries and field
//! edits, for everyone who may read the item).

use actix_web::web::{Data, Json, Path};
use actix_web::{HttpResponse, get};
use serde::Deserialize;
use utoipa::IntoParams;

use super::schema::PageDoc;
use crate::assets;
use crate::audit::{self, AuditQuery, ReadableEntry};
use crate::error::AppError;
use crate::ids::AssetId;
use crate::ledger::chain::ChainReport;
use crate::lifecycle::{self, HistoryItem};
use crate::rules::Page;
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::ApiQuery;
use crate::web::state::AppState;

/// The trail, newest first. Each entry names its target (`target`: an asset's tag, a
/// site's or model's name, a username) and lists only the fields it changed (`changes`:
/// labelled, old → new, ids shown as tags and names). `target_id` also takes an asset tag.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "Newest first", body = PageDoc<ReadableEntry>),
        (status = 403, body = ErrorBody),
        (status = 422, description = "`target_id` is neither an id nor a known asset tag", body = ErrorBody),
    )
)]
#[get("/audit")]
pub async fn list(state: Data<AppState>, ApiQuery(q): ApiQuery<AuditQuery>) -> ApiResult<Json<Page<ReadableEntry>>> {
    Ok(Json(audit::readable::list(state.db.conn(), &q).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<uuid::Uuid>,
    /// 1–500, default 100.
    pub limit: Option<u64>,
}

/// An item's history as its page shows it, newest first: its ledger entries (`source` =
/// `ledger`, decoded, with tags and site names) interleaved with the edits of its fields
/// (`source` = `edit`: who, when, each changed field labelled, old → new). An edit's
/// changes of state, parent, site or workload are told by the ledger entries it made.
/// A page may hold fewer than `limit` entries; follow `next_cursor` until it is absent.
#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "Asset id"), HistoryQuery),
    responses(
        (status = 200, description = "Newest first", body = PageDoc<HistoryItem>),
        (status = 404, body = ErrorBody),
        (status = 422, description = "A bad limit", body = ErrorBody),
    )
)]
#[get("/assets/{id}/history")]
pub async fn asset_history(
    state: Data<AppState>,
    id: Path<AssetId>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<Page<HistoryItem>>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 500").into());
    }
    let conn = state.db.conn();
    assets::get(conn, *id).await?;
    Ok(Json(lifecycle::item_history(conn, *id, q.cursor, limit).await?))
}

/// Checks the hash chain from the newest stored checkpoint (`reloop audit anchor`) to the
/// head, the ledger rows outside the chain, and the assets whose ledger grew since, against
/// their rows. A result is reused for 10 s, or ten times as long as the check took (its age is in
/// the `Age` header), and one check
/// runs at a time. The full walk from the first entry is `reloop audit verify`.
#[utoipa::path(
    tag = "audit",
    responses(
        (status = 200, description = "The report (`ok` is false when anything broke)", body = ChainReport, headers(("Age" = u64, description = "Seconds since the check was made"))),
        (status = 403, body = ErrorBody)
    )
)]
#[get("/audit/verify")]
pub async fn verify(state: Data<AppState>) -> ApiResult<HttpResponse> {
    let (report, age) = state.verify_chain().await?;
    Ok(HttpResponse::Ok().insert_header(("Age", age.as_secs().to_string())).json(report))
}
