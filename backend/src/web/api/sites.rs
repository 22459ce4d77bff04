//! `/api/v1/sites`.

use actix_web::web::{Data, Json, Path};
use actix_web::{HttpResponse, get, patch, post};

use crate::ids::SiteId;
use crate::sites::{self, NewSite, Site, SitePatch};
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::ApiJson;
use crate::web::identity::Me;
use crate::web::state::AppState;

#[utoipa::path(tag = "sites", responses((status = 200, description = "All sites by name", body = Vec<Site>)))]
#[get("/sites")]
pub async fn list(state: Data<AppState>) -> ApiResult<Json<Vec<Site>>> {
    Ok(Json(sites::list(state.db.conn()).await?))
}

#[utoipa::path(
    tag = "sites",
    request_body = NewSite,
    responses((status = 201, body = Site), (status = 409, description = "Name taken", body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/sites")]
pub async fn create(state: Data<AppState>, me: Me, ApiJson(input): ApiJson<NewSite>) -> ApiResult<HttpResponse> {
    let site = sites::create(&state.db, &me.ctx(), input).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/sites/{}", site.id))).json(site))
}

#[utoipa::path(tag = "sites", params(("id" = SiteId, Path)), responses((status = 200, body = Site), (status = 404, body = ErrorBody)))]
#[get("/sites/{id}")]
pub async fn get(state: Data<AppState>, id: Path<SiteId>) -> ApiResult<Json<Site>> {
    Ok(Json(sites::get(state.db.conn(), *id).await?))
}

#[utoipa::path(
    tag = "sites",
    params(("id" = SiteId, Path)),
    request_body = SitePatch,
    responses((status = 200, body = Site), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/sites/{id}")]
pub async fn update(
    state: Data<AppState>,
    me: Me,
    id: Path<SiteId>,
    ApiJson(p): ApiJson<SitePatch>,
) -> ApiResult<Json<Site>> {
    Ok(Json(sites::update(&state.db, &me.ctx(), *id, p).await?))
}
