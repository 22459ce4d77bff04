//! `/api/v1/audit`: the trail and its chain check (admins and auditors).

use actix_web::web::{Data, Json};
use actix_web::{HttpResponse, get};

use super::schema::PageDoc;
use crate::audit::{self, AuditEntry, AuditQuery};
use crate::ledger::chain::ChainReport;
use crate::rules::Page;
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::ApiQuery;
use crate::web::state::AppState;

#[utoipa::path(tag = "audit", params(AuditQuery), responses((status = 200, description = "Newest first", body = PageDoc<AuditEntry>), (status = 403, body = ErrorBody)))]
#[get("/audit")]
pub async fn list(state: Data<AppState>, ApiQuery(q): ApiQuery<AuditQuery>) -> ApiResult<Json<Page<AuditEntry>>> {
    Ok(Json(audit::list(state.db.conn(), &q).await?))
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
