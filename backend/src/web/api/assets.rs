//! `/api/v1/assets`: the registry, the tree and the ledger.

use actix_web::web::{Data, Json, Path};
use actix_web::{HttpResponse, delete, get, patch, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::schema::PageDoc;
use crate::assets::{self, Asset, AssetPage, AssetPatch, AssetQuery, MassSummary, NewAsset, Subtree, TreeNode};
use crate::error::AppError;
use crate::ids::{AssetId, EventId};
use crate::ledger::{self, Event};
use crate::lifecycle::{self, InstallRequest, RemoveRequest, TransitionOutcome, TransitionRequest, TreeChange};
use crate::rules::{Page, State};
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::{ApiJson, ApiQuery, OptionalJson};
use crate::web::identity::Me;
use crate::web::state::AppState;

/// An asset with what its page needs: mass and the states it may move to.
#[derive(Serialize, ToSchema)]
pub struct AssetDetail {
    #[serde(flatten)]
    pub asset: Asset,
    pub mass: MassSummary,
    /// States this item may move to now.
    pub allowed_transitions: Vec<State>,
}

#[utoipa::path(
    tag = "assets",
    params(AssetQuery),
    responses(
        (status = 200, description = "One page in the `sort` order (default `newest`), every item including installed parts unless `include_parts=false`", body = AssetPage<Asset>),
        (status = 400, description = "A bad parameter (named in the body): limit, q, sort, cursor, before, …", body = ErrorBody),
    )
)]
#[get("/assets")]
pub async fn list(state: Data<AppState>, ApiQuery(q): ApiQuery<AssetQuery>) -> ApiResult<Json<AssetPage<Asset>>> {
    Ok(Json(assets::list(state.db.conn(), &q).await?))
}

#[utoipa::path(
    tag = "assets",
    request_body = NewAsset,
    responses(
        (status = 201, description = "Registered", body = Asset),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 409, description = "Duplicate tag or serial", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    )
)]
#[post("/assets")]
pub async fn create(state: Data<AppState>, me: Me, ApiJson(input): ApiJson<NewAsset>) -> ApiResult<HttpResponse> {
    let asset = assets::create(&state.db, &me.ctx(), input).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/assets/{}", asset.id))).json(asset))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// An exact asset tag or serial number, as a barcode scanner reads it.
    pub code: String,
}

#[utoipa::path(
    tag = "assets",
    params(LookupQuery),
    responses(
        (status = 200, description = "The item with that tag or serial", body = Asset),
        (status = 404, description = "No such item", body = ErrorBody),
    )
)]
#[get("/assets/lookup")]
pub async fn lookup(state: Data<AppState>, ApiQuery(q): ApiQuery<LookupQuery>) -> ApiResult<Json<Asset>> {
    match assets::find_by_code(state.db.conn(), &q.code).await? {
        Some(a) => Ok(Json(a)),
        None => Err(AppError::not_found("asset with tag or serial", q.code.trim()).into()),
    }
}

#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "Asset id")),
    responses(
        (status = 200, body = AssetDetail),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/assets/{id}")]
pub async fn get(state: Data<AppState>, id: Path<AssetId>) -> ApiResult<Json<AssetDetail>> {
    let Subtree { root: asset, mass, .. } = assets::subtree(state.db.conn(), *id).await?;
    let allowed_transitions = asset.state.allowed_next(asset.kind);
    Ok(Json(AssetDetail { asset, mass, allowed_transitions }))
}

#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "Asset id")),
    request_body = AssetPatch,
    responses(
        (status = 200, body = Asset),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Stale version or duplicate", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[patch("/assets/{id}")]
pub async fn update(
    state: Data<AppState>,
    me: Me,
    id: Path<AssetId>,
    ApiJson(p): ApiJson<AssetPatch>,
) -> ApiResult<Json<Asset>> {
    Ok(Json(assets::update(&state.db, &me.ctx(), *id, p).await?))
}

#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "Asset id")),
    request_body = TransitionRequest,
    responses(
        (status = 200, body = TransitionOutcome),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Illegal transition (the message names the allowed next states) or stale version", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/assets/{id}/transition")]
pub async fn transition(
    state: Data<AppState>,
    me: Me,
    id: Path<AssetId>,
    ApiJson(req): ApiJson<TransitionRequest>,
) -> ApiResult<Json<TransitionOutcome>> {
    Ok(Json(lifecycle::transition(&state.db, &me.ctx(), *id, req).await?))
}

#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "The parent")),
    request_body = InstallRequest,
    responses(
        (status = 200, description = "Installed (moved from its previous parent, if any)", body = TreeChange),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Stale version, already installed, or the part is at another site than the parent (`site_change`, naming both: send `confirm_site_change: true` to move it)", body = ErrorBody),
        (status = 422, description = "Would make a cycle, or the part does not fit", body = ErrorBody),
    )
)]
#[post("/assets/{id}/children")]
pub async fn install(
    state: Data<AppState>,
    me: Me,
    id: Path<AssetId>,
    ApiJson(req): ApiJson<InstallRequest>,
) -> ApiResult<Json<TreeChange>> {
    Ok(Json(lifecycle::install(&state.db, &me.ctx(), *id, req).await?))
}

#[utoipa::path(
    tag = "assets",
    params(
        ("id" = AssetId, Path, description = "The parent"),
        ("child_id" = AssetId, Path, description = "The installed part"),
    ),
    request_body(content = Option<RemoveRequest>, description = "Optional"),
    responses(
        (status = 200, body = TreeChange),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not installed there, or an illegal state", body = ErrorBody),
    )
)]
#[delete("/assets/{id}/children/{child_id}")]
pub async fn remove(
    state: Data<AppState>,
    me: Me,
    path: Path<(AssetId, AssetId)>,
    OptionalJson(req): OptionalJson<RemoveRequest>,
) -> ApiResult<Json<TreeChange>> {
    let (parent, child) = path.into_inner();
    Ok(Json(lifecycle::remove(&state.db, &me.ctx(), parent, child, req).await?))
}

#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "Asset id")),
    responses((status = 200, description = "The item and its parts at every depth, with mass", body = TreeNode), (status = 404, body = ErrorBody))
)]
#[get("/assets/{id}/tree")]
pub async fn tree(state: Data<AppState>, id: Path<AssetId>) -> ApiResult<Json<TreeNode>> {
    Ok(Json(assets::subtree(state.db.conn(), *id).await?.tree))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    pub cursor: Option<EventId>,
    /// 1–500, default 100.
    pub limit: Option<u64>,
}

#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "Asset id"), EventsQuery),
    responses((status = 200, description = "The item's ledger, newest first", body = PageDoc<Event>), (status = 404, body = ErrorBody))
)]
#[get("/assets/{id}/events")]
pub async fn events(
    state: Data<AppState>,
    id: Path<AssetId>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Json<Page<Event>>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 500").into());
    }
    let conn = state.db.conn();
    assets::get(conn, *id).await?;
    Ok(Json(ledger::history(conn, *id, q.cursor, limit).await?))
}
