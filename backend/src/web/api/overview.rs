//! `/api/v1/overview`: the fleet overview the home page shows.

use actix_web::get;
use actix_web::web::{Data, Json};
use chrono::Utc;

use crate::overview::{self, Overview};
use crate::web::error::ApiResult;
use crate::web::state::AppState;

#[utoipa::path(
    tag = "overview",
    responses((status = 200, description = "Counts by state, kind and site, mass in service and in stock, retirements this year (from counters the database keeps exact)", body = Overview))
)]
#[get("/overview")]
pub async fn get(state: Data<AppState>) -> ApiResult<Json<Overview>> {
    Ok(Json(overview::load(&state.db, Utc::now()).await?))
}
