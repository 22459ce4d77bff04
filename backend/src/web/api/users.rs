//! `/api/v1/users`: user administration (admins).

use actix_web::web::{Data, Json, Path};
use actix_web::{HttpResponse, get, patch, post};

use crate::auth::users;
use crate::auth::{NewUser, User, UserPatch};
use crate::ids::UserId;
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::ApiJson;
use crate::web::identity::Me;
use crate::web::state::AppState;

#[utoipa::path(tag = "users", responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)))]
#[get("/users")]
pub async fn list(state: Data<AppState>) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(users::list(state.db.conn()).await?))
}

#[utoipa::path(tag = "users", request_body = NewUser, responses((status = 201, body = User), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/users")]
pub async fn create(state: Data<AppState>, me: Me, ApiJson(input): ApiJson<NewUser>) -> ApiResult<HttpResponse> {
    let u = users::create(&state.db, &me.ctx(), input).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/users/{}", u.id))).json(u))
}

#[utoipa::path(
    tag = "users",
    params(("id" = UserId, Path)),
    request_body = UserPatch,
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, description = "e.g. demoting the last admin", body = ErrorBody))
)]
#[patch("/users/{id}")]
pub async fn update(
    state: Data<AppState>,
    me: Me,
    id: Path<UserId>,
    ApiJson(p): ApiJson<UserPatch>,
) -> ApiResult<Json<User>> {
    Ok(Json(users::update(&state.db, &me.ctx(), *id, p).await?))
}
