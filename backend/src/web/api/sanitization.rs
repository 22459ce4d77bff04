//! `/api/v1/sanitization`: sanitization records (with their certificates) and station batches.

use actix_web::web::{Data, Json, Path};
use actix_web::{HttpResponse, get, post};
use serde::Deserialize;
use utoipa::ToSchema;

use super::schema::PageDoc;
use crate::rules::Page;
use crate::sanitization::{self, Batch, BatchDetail, BatchQuery, BatchScan, NewBatch, NewRecord, Record, RecordQuery};
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::identity::Me;
use crate::web::state::AppState;

#[utoipa::path(tag = "sanitization", params(RecordQuery), responses((status = 200, description = "Records, newest first", body = PageDoc<Record>)))]
#[get("/sanitization/records")]
pub async fn list_records(state: Data<AppState>, ApiQuery(q): ApiQuery<RecordQuery>) -> ApiResult<Json<Page<Record>>> {
    Ok(Json(sanitization::records(state.db.conn(), &q).await?))
}

#[utoipa::path(
    tag = "sanitization",
    request_body = NewRecord,
    responses(
        (status = 201, description = "Recorded; a passing record moves a retired device to sanitized", body = Record),
        (status = 409, description = "The device is in use or gone, or the certificate id is taken", body = ErrorBody),
        (status = 422, description = "Not a data-bearing item, a technique outside its class, a sampled verification without its share…", body = ErrorBody),
    )
)]
#[post("/sanitization/records")]
pub async fn create_record(
    state: Data<AppState>,
    me: Me,
    ApiJson(input): ApiJson<NewRecord>,
) -> ApiResult<HttpResponse> {
    let r = sanitization::add_record(&state.db, &me.ctx(), input).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/sanitization/records/{}", r.id))).json(r))
}

#[utoipa::path(tag = "sanitization", params(("id" = String, Path, description = "Record id")), responses((status = 200, description = "The record: what its certificate states", body = Record), (status = 404, body = ErrorBody)))]
#[get("/sanitization/records/{id}")]
pub async fn get_record(state: Data<AppState>, id: Path<uuid::Uuid>) -> ApiResult<Json<Record>> {
    Ok(Json(sanitization::record(state.db.conn(), *id).await?))
}

#[utoipa::path(tag = "sanitization", params(BatchQuery), responses((status = 200, description = "Station batches, newest first", body = PageDoc<Batch>)))]
#[get("/sanitization/batches")]
pub async fn list_batches(state: Data<AppState>, ApiQuery(q): ApiQuery<BatchQuery>) -> ApiResult<Json<Page<Batch>>> {
    Ok(Json(sanitization::batches(state.db.conn(), &q).await?))
}

#[utoipa::path(tag = "sanitization", request_body = NewBatch, responses((status = 201, description = "Opened", body = Batch), (status = 422, body = ErrorBody)))]
#[post("/sanitization/batches")]
pub async fn open_batch(state: Data<AppState>, me: Me, ApiJson(input): ApiJson<NewBatch>) -> ApiResult<HttpResponse> {
    let b = sanitization::open_batch(&state.db, &me.ctx(), input).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/sanitization/batches/{}", b.id))).json(b))
}

#[utoipa::path(tag = "sanitization", params(("id" = String, Path, description = "Batch id")), responses((status = 200, body = BatchDetail), (status = 404, body = ErrorBody)))]
#[get("/sanitization/batches/{id}")]
pub async fn get_batch(state: Data<AppState>, id: Path<uuid::Uuid>) -> ApiResult<Json<BatchDetail>> {
    Ok(Json(sanitization::batch(state.db.conn(), *id).await?))
}

#[utoipa::path(
    tag = "sanitization",
    params(("id" = String, Path, description = "Batch id")),
    request_body = BatchScan,
    responses(
        (status = 200, description = "The device's record", body = Record),
        (status = 409, description = "The batch is closed, or the device is already in it, or in use", body = ErrorBody),
        (status = 422, description = "An unknown serial, or an item that holds no data", body = ErrorBody),
    )
)]
#[post("/sanitization/batches/{id}/scan")]
pub async fn scan(
    state: Data<AppState>,
    me: Me,
    id: Path<uuid::Uuid>,
    ApiJson(input): ApiJson<BatchScan>,
) -> ApiResult<Json<Record>> {
    Ok(Json(sanitization::scan(&state.db, &me.ctx(), *id, input).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBatch {
    pub version: i32,
}

#[utoipa::path(
    tag = "sanitization",
    params(("id" = String, Path, description = "Batch id")),
    request_body = CloseBatch,
    responses((status = 200, body = Batch), (status = 409, description = "Closed already, or a stale version", body = ErrorBody))
)]
#[post("/sanitization/batches/{id}/close")]
pub async fn close_batch(
    state: Data<AppState>,
    me: Me,
    id: Path<uuid::Uuid>,
    ApiJson(input): ApiJson<CloseBatch>,
) -> ApiResult<Json<Batch>> {
    Ok(Json(sanitization::close_batch(&state.db, &me.ctx(), *id, input.version).await?))
}
