//! `/api/v1/audit`: the trail and its chain check (admins and auditors).

use actix_web::get;
use actix_web::web::{Data, Json};

use super::schema::PageDoc;
use crate::audit::{self, AuditEntry, AuditQuery};
use crate::ledger::chain::{self, ChainReport};
use crate::rules::Page;
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::ApiQuery;
use crate::web::state::AppState;

#[utoipa::path(tag = "audit", params(AuditQuery), responses((status = 200, description = "Newest first", body = PageDoc<AuditEntry>), (status = 403, body = ErrorBody)))]
#[get("/audit")]
pub async fn list(state: Data<AppState>, ApiQuery(q): ApiQuery<AuditQuery>) -> ApiResult<Json<Page<AuditEntry>>> {
    Ok(Json(audit::list(state.db.conn(), &q).await?))
}

#[utoipa::path(tag = "audit", responses((status = 200, description = "Walks the whole chain (audit trail and ledger)", body = ChainReport), (status = 403, body = ErrorBody)))]
#[get("/audit/verify")]
pub async fn verify(state: Data<AppState>) -> ApiResult<Json<ChainReport>> {
    Ok(Json(chain::verify(state.db.conn()).await?))
}
