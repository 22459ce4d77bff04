//! `/api/v1/forecast`: the e-waste forecasts (fleet, procurement, demand) as JSON or CSV,
//! and each kind's lifespan as the registry's history tells it. They compute; they write
//! nothing.

use actix_web::web::{Data, Json};
use actix_web::{HttpResponse, get, post};

use crate::forecast::{
    self, DemandForecast, DemandRequest, FleetForecast, FleetQuery, Lifespans, ProcurementForecast, ProcurementRequest,
};
use crate::web::download::csv;
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::identity::Me;
use crate::web::state::AppState;

#[utoipa::path(
    tag = "forecast",
    params(FleetQuery),
    responses(
        (status = 200, description = "When the items in use become waste: expected items, tonnes and materials per year with p5/p95 bands, the kernels (fitted or default, with their parameters) and the sources", body = FleetForecast),
        (status = 404, description = "An unknown site", body = ErrorBody),
        (status = 422, description = "Bad parameters, each named", body = ErrorBody),
    )
)]
#[get("/forecast/fleet")]
pub async fn fleet(state: Data<AppState>, me: Me, ApiQuery(q): ApiQuery<FleetQuery>) -> ApiResult<Json<FleetForecast>> {
    Ok(Json(forecast::fleet(&state.db, &state.forecast, &q, me.ctx().now.date_naive()).await?))
}

#[utoipa::path(
    tag = "forecast",
    params(FleetQuery),
    responses((status = 200, description = "The fleet forecast as CSV, one row a year, `year` first", content_type = "text/csv", body = String))
)]
#[get("/forecast/fleet.csv")]
pub async fn fleet_csv(state: Data<AppState>, me: Me, ApiQuery(q): ApiQuery<FleetQuery>) -> ApiResult<HttpResponse> {
    let f = forecast::fleet(&state.db, &state.forecast, &q, me.ctx().now.date_naive()).await?;
    Ok(csv(forecast::export::fleet(&f)?, "reloop-fleet-forecast.csv"))
}

#[utoipa::path(
    tag = "forecast",
    request_body = ProcurementRequest,
    responses(
        (status = 200, description = "Waste and stock per year from what is placed on the market (sales–stock–lifespan)", body = ProcurementForecast),
        (status = 422, description = "Bad input, each problem named (a CSV's row and column)", body = ErrorBody),
    )
)]
#[post("/forecast/procurement")]
pub async fn procurement(
    state: Data<AppState>,
    me: Me,
    ApiJson(req): ApiJson<ProcurementRequest>,
) -> ApiResult<Json<ProcurementForecast>> {
    Ok(Json(forecast::procurement(&state.db, &state.forecast, req, me.ctx().now.date_naive()).await?))
}

#[utoipa::path(
    tag = "forecast",
    request_body = ProcurementRequest,
    responses(
        (status = 200, description = "The procurement forecast as CSV, one row a year, `year` first", content_type = "text/csv", body = String),
        (status = 422, description = "Bad input, each problem named", body = ErrorBody),
    )
)]
#[post("/forecast/procurement.csv")]
pub async fn procurement_csv(
    state: Data<AppState>,
    me: Me,
    ApiJson(req): ApiJson<ProcurementRequest>,
) -> ApiResult<HttpResponse> {
    let f = forecast::procurement(&state.db, &state.forecast, req, me.ctx().now.date_naive()).await?;
    Ok(csv(forecast::export::procurement(&f)?, "reloop-procurement-forecast.csv"))
}

#[utoipa::path(
    tag = "forecast",
    request_body = DemandRequest,
    responses(
        (status = 200, description = "Generative-AI servers installed and retired per quarter and year, and their waste in tonnes (Wang et al. 2024)", body = DemandForecast),
        (status = 422, description = "Bad input, each problem named (a CSV's row and column)", body = ErrorBody),
    )
)]
#[post("/forecast/demand")]
pub async fn demand(
    state: Data<AppState>,
    me: Me,
    ApiJson(req): ApiJson<DemandRequest>,
) -> ApiResult<Json<DemandForecast>> {
    Ok(Json(forecast::demand(&state.db, &state.forecast, req, me.ctx().now.date_naive()).await?))
}

#[utoipa::path(
    tag = "forecast",
    request_body = DemandRequest,
    responses(
        (status = 200, description = "The demand forecast as CSV: year, servers retired, mass in tonnes, then the rest", content_type = "text/csv", body = String),
        (status = 422, description = "Bad input, each problem named", body = ErrorBody),
    )
)]
#[post("/forecast/demand.csv")]
pub async fn demand_csv(
    state: Data<AppState>,
    me: Me,
    ApiJson(req): ApiJson<DemandRequest>,
) -> ApiResult<HttpResponse> {
    let f = forecast::demand(&state.db, &state.forecast, req, me.ctx().now.date_naive()).await?;
    Ok(csv(forecast::export::demand(&f)?, "reloop-demand-forecast.csv"))
}

#[utoipa::path(
    tag = "forecast",
    responses((status = 200, description = "Each kind's Weibull lifespan fitted to the registry's history (or why not), and the shipped defaults by UNU key", body = Lifespans))
)]
#[get("/forecast/lifespans")]
pub async fn lifespans(state: Data<AppState>, me: Me) -> ApiResult<Json<Lifespans>> {
    Ok(Json(forecast::lifespans(&state.db, &state.forecast, me.ctx().now.date_naive()).await?))
}
