//! `/api/v1/bulk/*`: one action on a selection of items, all or nothing.

use actix_web::post;
use actix_web::web::{Data, Json};

use crate::lifecycle::bulk::{self, BulkMove, BulkOutcome, BulkTransition};
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::ApiJson;
use crate::web::identity::Me;
use crate::web::state::AppState;

#[utoipa::path(
    tag = "assets",
    request_body = BulkTransition,
    responses(
        (status = 200, description = "Every item moved (with their parts as the cascade says)", body = BulkOutcome),
        (status = 403, description = "The role may not move items to this state", body = ErrorBody),
        (status = 409, description = "An item cannot move; nothing changed (the message names it)", body = ErrorBody),
        (status = 422, description = "No items, too many, no state or no reason", body = ErrorBody),
    )
)]
#[post("/bulk/transition")]
pub async fn transition(
    state: Data<AppState>,
    me: Me,
    ApiJson(req): ApiJson<BulkTransition>,
) -> ApiResult<Json<BulkOutcome>> {
    Ok(Json(bulk::transition_many(&state.db, &me.ctx(), req).await?))
}

#[utoipa::path(
    tag = "assets",
    request_body = BulkMove,
    responses(
        (status = 200, description = "Every item moved to the site, with what is installed in it", body = BulkOutcome),
        (status = 409, description = "An item cannot move; nothing changed (the message names it)", body = ErrorBody),
        (status = 422, description = "No items, too many, no site, no reason, or an installed part", body = ErrorBody),
    )
)]
#[post("/bulk/move")]
pub async fn move_site(state: Data<AppState>, me: Me, ApiJson(req): ApiJson<BulkMove>) -> ApiResult<Json<BulkOutcome>> {
    Ok(Json(bulk::move_many(&state.db, &me.ctx(), req).await?))
}
