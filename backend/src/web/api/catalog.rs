//! `/api/v1/models`: the hardware catalog.

use actix_web::web::{Data, Json, Path};
use actix_web::{HttpResponse, get, patch, post};

use super::schema::PageDoc;
use crate::catalog::{self, HardwareModel, ModelPatch, ModelQuery, NewModel};
use crate::ids::ModelId;
use crate::rules::Page;
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::identity::Me;
use crate::web::state::AppState;

#[utoipa::path(
    tag = "models",
    params(ModelQuery),
    responses((status = 200, description = "By manufacturer and model number", body = PageDoc<HardwareModel>), (status = 400, body = ErrorBody))
)]
#[get("/models")]
pub async fn list(state: Data<AppState>, ApiQuery(q): ApiQuery<ModelQuery>) -> ApiResult<Json<Page<HardwareModel>>> {
    Ok(Json(catalog::list(state.db.conn(), &q).await?))
}

#[utoipa::path(
    tag = "models",
    request_body = NewModel,
    responses((status = 201, body = HardwareModel), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/models")]
pub async fn create(state: Data<AppState>, me: Me, ApiJson(input): ApiJson<NewModel>) -> ApiResult<HttpResponse> {
    let m = catalog::create(&state.db, &me.ctx(), input).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/models/{}", m.id))).json(m))
}

#[utoipa::path(tag = "models", params(("id" = ModelId, Path)), responses((status = 200, body = HardwareModel), (status = 404, body = ErrorBody)))]
#[get("/models/{id}")]
pub async fn get(state: Data<AppState>, id: Path<ModelId>) -> ApiResult<Json<HardwareModel>> {
    Ok(Json(catalog::get(state.db.conn(), *id).await?))
}

#[utoipa::path(
    tag = "models",
    params(("id" = ModelId, Path)),
    request_body = ModelPatch,
    responses((status = 200, body = HardwareModel), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/models/{id}")]
pub async fn update(
    state: Data<AppState>,
    me: Me,
    id: Path<ModelId>,
    ApiJson(p): ApiJson<ModelPatch>,
) -> ApiResult<Json<HardwareModel>> {
    Ok(Json(catalog::update(&state.db, &me.ctx(), *id, p).await?))
}
