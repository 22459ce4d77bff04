//! `/api/v1/repairs`, `/api/v1/dismantle-jobs`, `/api/v1/pool`, `/api/v1/reuse`: the
//! refurbisher's bench.

use actix_web::web::{Data, Json, Path};
use actix_web::{HttpResponse, get, patch, post};
use serde::Deserialize;
use utoipa::IntoParams;

use super::schema::PageDoc;
use crate::harvest::{
    self, CloseJob, Job, JobDetail, JobQuery, NewJob, PoolQuery, PoolView, RecordPart, Recorded, ReuseFigures,
    ReuseQuery,
};
use crate::ids::{JobId, RepairId};
use crate::repairs::{
    self, CloseRepair, InstallPart, NewRepair, RemovePart, Repair, RepairDetail, RepairPatch, RepairQuery, RepairStats,
    ReserveSpare, SpareCandidate,
};
use crate::rules::Page;
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::identity::Me;
use crate::web::state::AppState;

#[utoipa::path(tag = "bench", params(RepairQuery), responses((status = 200, description = "Repairs, newest first", body = PageDoc<Repair>)))]
#[get("/repairs")]
pub async fn list_repairs(state: Data<AppState>, ApiQuery(q): ApiQuery<RepairQuery>) -> ApiResult<Json<Page<Repair>>> {
    Ok(Json(repairs::list(state.db.conn(), &q).await?))
}

#[utoipa::path(
    tag = "bench",
    request_body = NewRepair,
    responses(
        (status = 201, description = "Opened: the item is in repair", body = Repair),
        (status = 409, description = "The item is not in stock or in service, already has an open repair, or moved on (stale version)", body = ErrorBody),
    )
)]
#[post("/repairs")]
pub async fn open_repair(state: Data<AppState>, me: Me, ApiJson(input): ApiJson<NewRepair>) -> ApiResult<HttpResponse> {
    let r = repairs::open(&state.db, &me.ctx(), input).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/repairs/{}", r.id))).json(r))
}

#[utoipa::path(tag = "bench", responses((status = 200, description = "Repairs per model and fault, and time to repair", body = RepairStats)))]
#[get("/repairs/stats")]
pub async fn repair_stats(state: Data<AppState>) -> ApiResult<Json<RepairStats>> {
    Ok(Json(repairs::stats(state.db.conn()).await?))
}

#[utoipa::path(tag = "bench", params(("id" = RepairId, Path, description = "Repair id")), responses((status = 200, body = RepairDetail), (status = 404, body = ErrorBody)))]
#[get("/repairs/{id}")]
pub async fn get_repair(state: Data<AppState>, id: Path<RepairId>) -> ApiResult<Json<RepairDetail>> {
    Ok(Json(repairs::detail(state.db.conn(), *id).await?))
}

#[utoipa::path(
    tag = "bench",
    params(("id" = RepairId, Path, description = "Repair id")),
    request_body = RepairPatch,
    responses((status = 200, body = Repair), (status = 409, description = "Closed, or a stale version", body = ErrorBody))
)]
#[patch("/repairs/{id}")]
pub async fn update_repair(
    state: Data<AppState>,
    me: Me,
    id: Path<RepairId>,
    ApiJson(p): ApiJson<RepairPatch>,
) -> ApiResult<Json<Repair>> {
    Ok(Json(repairs::update(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(
    tag = "bench",
    params(("id" = RepairId, Path, description = "Repair id")),
    request_body = RemovePart,
    responses((status = 200, body = Repair), (status = 409, description = "Closed, stale, or a destination the part may not go to", body = ErrorBody))
)]
#[post("/repairs/{id}/remove-part")]
pub async fn remove_part(
    state: Data<AppState>,
    me: Me,
    id: Path<RepairId>,
    ApiJson(p): ApiJson<RemovePart>,
) -> ApiResult<Json<Repair>> {
    Ok(Json(repairs::remove_part(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(
    tag = "bench",
    params(("id" = RepairId, Path, description = "Repair id")),
    request_body = InstallPart,
    responses((status = 200, body = Repair), (status = 409, description = "Closed, stale, reserved for another repair, or installed elsewhere", body = ErrorBody))
)]
#[post("/repairs/{id}/install-part")]
pub async fn install_part(
    state: Data<AppState>,
    me: Me,
    id: Path<RepairId>,
    ApiJson(p): ApiJson<InstallPart>,
) -> ApiResult<Json<Repair>> {
    Ok(Json(repairs::install_part(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(
    tag = "bench",
    params(("id" = RepairId, Path, description = "Repair id")),
    request_body = ReserveSpare,
    responses((status = 200, body = Repair), (status = 409, description = "Not a spare, or reserved elsewhere", body = ErrorBody))
)]
#[post("/repairs/{id}/reserve")]
pub async fn reserve_spare(
    state: Data<AppState>,
    me: Me,
    id: Path<RepairId>,
    ApiJson(p): ApiJson<ReserveSpare>,
) -> ApiResult<Json<Repair>> {
    Ok(Json(repairs::reserve(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(
    tag = "bench",
    params(("id" = RepairId, Path, description = "Repair id")),
    request_body = CloseRepair,
    responses((status = 200, description = "Closed: the item is back in its state before the repair, or retired", body = Repair), (status = 409, body = ErrorBody))
)]
#[post("/repairs/{id}/close")]
pub async fn close_repair(
    state: Data<AppState>,
    me: Me,
    id: Path<RepairId>,
    ApiJson(p): ApiJson<CloseRepair>,
) -> ApiResult<Json<Repair>> {
    Ok(Json(repairs::close(&state.db, &me.ctx(), *id, p).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CandidateQuery {
    /// 1–200, default 50.
    pub limit: Option<usize>,
}

#[utoipa::path(
    tag = "bench",
    params(("id" = RepairId, Path, description = "Repair id"), CandidateQuery),
    responses((status = 200, description = "Spares that fit, best first", body = Vec<SpareCandidate>), (status = 404, body = ErrorBody))
)]
#[get("/repairs/{id}/candidates")]
pub async fn candidates(
    state: Data<AppState>,
    id: Path<RepairId>,
    ApiQuery(q): ApiQuery<CandidateQuery>,
) -> ApiResult<Json<Vec<SpareCandidate>>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(crate::error::AppError::invalid("limit", "must be between 1 and 200").into());
    }
    Ok(Json(repairs::candidates(state.db.conn(), *id, limit).await?))
}

#[utoipa::path(tag = "bench", params(JobQuery), responses((status = 200, description = "Dismantle jobs, newest first", body = PageDoc<Job>)))]
#[get("/dismantle-jobs")]
pub async fn list_jobs(state: Data<AppState>, ApiQuery(q): ApiQuery<JobQuery>) -> ApiResult<Json<Page<Job>>> {
    Ok(Json(harvest::list(state.db.conn(), &q).await?))
}

#[utoipa::path(
    tag = "bench",
    request_body = NewJob,
    responses((status = 201, description = "Opened, with a line per expected part", body = Job), (status = 409, description = "Not retired or sanitized, or a job is open", body = ErrorBody))
)]
#[post("/dismantle-jobs")]
pub async fn open_job(state: Data<AppState>, me: Me, ApiJson(input): ApiJson<NewJob>) -> ApiResult<HttpResponse> {
    let j = harvest::open(&state.db, &me.ctx(), input).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/dismantle-jobs/{}", j.id))).json(j))
}

#[utoipa::path(tag = "bench", params(("id" = JobId, Path, description = "Job id")), responses((status = 200, description = "The bench sheet", body = JobDetail), (status = 404, body = ErrorBody)))]
#[get("/dismantle-jobs/{id}")]
pub async fn get_job(state: Data<AppState>, id: Path<JobId>) -> ApiResult<Json<JobDetail>> {
    Ok(Json(harvest::detail(state.db.conn(), *id).await?))
}

#[utoipa::path(
    tag = "bench",
    params(("id" = JobId, Path, description = "Job id")),
    request_body = RecordPart,
    responses(
        (status = 200, description = "Recorded", body = Recorded),
        (status = 409, description = "Closed job, a part already recorded or not of this job, or a destination the part may not go to", body = ErrorBody),
        (status = 422, description = "An unknown serial (give `found` to register it), or a bad field", body = ErrorBody),
    )
)]
#[post("/dismantle-jobs/{id}/parts")]
pub async fn record_part(
    state: Data<AppState>,
    me: Me,
    id: Path<JobId>,
    ApiJson(p): ApiJson<RecordPart>,
) -> ApiResult<Json<Recorded>> {
    Ok(Json(harvest::record(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(
    tag = "bench",
    params(("id" = JobId, Path, description = "Job id")),
    request_body = CloseJob,
    responses((status = 200, description = "Closed: the donor is dismantled and every part is standalone in its destination", body = Job), (status = 409, description = "Parts unrecorded, closed already, or stale", body = ErrorBody))
)]
#[post("/dismantle-jobs/{id}/close")]
pub async fn close_job(
    state: Data<AppState>,
    me: Me,
    id: Path<JobId>,
    ApiJson(p): ApiJson<CloseJob>,
) -> ApiResult<Json<Job>> {
    Ok(Json(harvest::close(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(tag = "bench", params(PoolQuery), responses((status = 200, description = "What waits in a pool, grouped and listed", body = PoolView)))]
#[get("/pool")]
pub async fn pool(state: Data<AppState>, ApiQuery(q): ApiQuery<PoolQuery>) -> ApiResult<Json<PoolView>> {
    Ok(Json(harvest::pool(state.db.conn(), &q).await?))
}

#[utoipa::path(tag = "bench", params(ReuseQuery), responses((status = 200, description = "Reuse figures for the parts harvested in the period", body = ReuseFigures), (status = 422, body = ErrorBody)))]
#[get("/reuse")]
pub async fn reuse(state: Data<AppState>, ApiQuery(q): ApiQuery<ReuseQuery>) -> ApiResult<Json<ReuseFigures>> {
    Ok(Json(harvest::figures(state.db.conn(), &q).await?))
}
