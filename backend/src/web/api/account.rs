//! `/api/v1/me` and `/api/v1/tokens`: the caller's own account.

use actix_web::web::{Data, Json, Path};
use actix_web::{HttpResponse, delete, get, post};

use crate::auth::User;
use crate::auth::tokens::{self, CreatedToken, NewToken, TokenInfo};
use crate::ids::TokenId;
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::ApiJson;
use crate::web::identity::Me;
use crate::web::state::AppState;

#[utoipa::path(tag = "account", responses((status = 200, description = "Who the token belongs to", body = User), (status = 401, body = ErrorBody)))]
#[get("/me")]
pub async fn whoami(me: Me) -> Json<User> {
    Json(me.user().clone())
}

#[utoipa::path(tag = "account", responses((status = 200, description = "The caller's tokens (never their secrets)", body = Vec<TokenInfo>)))]
#[get("/tokens")]
pub async fn list_tokens(state: Data<AppState>, me: Me) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(tokens::list_for(state.db.conn(), me.user().id).await?))
}

#[utoipa::path(
    tag = "account",
    request_body = NewToken,
    responses((status = 201, description = "The token; its secret is shown only in this response", body = CreatedToken), (status = 422, body = ErrorBody))
)]
#[post("/tokens")]
pub async fn create_token(state: Data<AppState>, me: Me, ApiJson(input): ApiJson<NewToken>) -> ApiResult<HttpResponse> {
    let created = tokens::create(&state.db, &me.ctx(), me.user().id, input).await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(created))
}

#[utoipa::path(
    tag = "account",
    params(("id" = TokenId, Path)),
    responses((status = 200, description = "Revoked (admins may revoke anyone's)", body = TokenInfo), (status = 404, body = ErrorBody))
)]
#[delete("/tokens/{id}")]
pub async fn revoke_token(state: Data<AppState>, me: Me, id: Path<TokenId>) -> ApiResult<Json<TokenInfo>> {
    Ok(Json(tokens::revoke(&state.db, &me.ctx(), *id, me.user()).await?))
}
