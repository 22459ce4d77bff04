//! `/api/v1/policy`, `/api/v1/assets/{id}/suggestions`, `/api/v1/fleet/due`: the policy
//! engine's answers, the policy's versions, and the fleet view.

use actix_web::web::{Data, Json, Path};
use actix_web::{HttpResponse, get, post, put};
use serde::Serialize;
use utoipa::ToSchema;

use super::schema::PageDoc;
use crate::ids::AssetId;
use crate::policy::{
    self, Accept, Accepted, DryRun, FleetQuery, FleetRow, FleetTotals, PolicyDraft, PolicyVersion, RunInfo, Suggestions,
};
use crate::rules::Page;
use crate::web::error::{ApiResult, ErrorBody};
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::identity::Me;
use crate::web::state::AppState;

#[utoipa::path(
    tag = "policy",
    params(("id" = AssetId, Path, description = "Asset id")),
    responses(
        (status = 200, description = "The item's possible next lives under the policy in force, best first, each explained", body = Suggestions),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A terminal item has no next life", body = ErrorBody),
    )
)]
#[get("/assets/{id}/suggestions")]
pub async fn suggestions(state: Data<AppState>, me: Me, id: Path<AssetId>) -> ApiResult<Json<Suggestions>> {
    Ok(Json(policy::suggestions(state.db.conn(), *id, me.ctx().now.date_naive()).await?))
}

#[utoipa::path(
    tag = "policy",
    params(("id" = AssetId, Path, description = "Asset id")),
    request_body = Accept,
    responses(
        (status = 200, description = "The suggestion's action was performed, its ledger entries naming it", body = Accepted),
        (status = 409, description = "The item or the policy changed since (stale_suggestion), the suggestion no longer stands (not_suggested), or the action was refused (the data gate, a role limit)", body = ErrorBody),
    )
)]
#[post("/assets/{id}/suggestions/accept")]
pub async fn accept(
    state: Data<AppState>,
    me: Me,
    id: Path<AssetId>,
    ApiJson(req): ApiJson<Accept>,
) -> ApiResult<Json<Accepted>> {
    Ok(Json(policy::accept(&state.db, &me.ctx(), *id, req).await?))
}

#[utoipa::path(tag = "policy", responses((status = 200, description = "The policy in force", body = PolicyVersion)))]
#[get("/policy")]
pub async fn current(state: Data<AppState>, me: Me) -> ApiResult<Json<PolicyVersion>> {
    let (number, _) = policy::active(state.db.conn()).await?;
    Ok(Json(policy::service::version(state.db.conn(), number, me.ctx().now).await?))
}

#[utoipa::path(tag = "policy", responses((status = 200, description = "Every saved version, newest first", body = Vec<PolicyVersion>)))]
#[get("/policy/versions")]
pub async fn versions(state: Data<AppState>, me: Me) -> ApiResult<Json<Vec<PolicyVersion>>> {
    Ok(Json(policy::versions(state.db.conn(), me.ctx().now).await?))
}

#[utoipa::path(
    tag = "policy",
    params(("number" = i32, Path, description = "Version number")),
    responses((status = 200, body = PolicyVersion), (status = 404, body = ErrorBody))
)]
#[get("/policy/versions/{number}")]
pub async fn version(state: Data<AppState>, me: Me, number: Path<i32>) -> ApiResult<Json<PolicyVersion>> {
    Ok(Json(policy::service::version(state.db.conn(), *number, me.ctx().now).await?))
}

/// A pack that passed every check.
#[derive(Serialize, ToSchema)]
pub struct CheckedPack {
    pub name: String,
    pub rules: usize,
    pub tiers: usize,
}

#[utoipa::path(
    tag = "policy",
    request_body = PolicyDraft,
    responses(
        (status = 200, description = "The pack is valid", body = CheckedPack),
        (status = 422, description = "Every problem, each field named as a path (rule[3].score) and its message starting with the line", body = ErrorBody),
    )
)]
#[post("/policy/check")]
pub async fn check(state: Data<AppState>, ApiJson(d): ApiJson<PolicyDraft>) -> ApiResult<Json<CheckedPack>> {
    let p = policy::check(state.db.conn(), &d.source).await?;
    Ok(Json(CheckedPack { name: p.name, rules: p.rules.len(), tiers: p.tiers.len() }))
}

#[utoipa::path(
    tag = "policy",
    request_body = PolicyDraft,
    responses(
        (status = 200, description = "How the draft would change the fleet's top suggestions; nothing is written", body = DryRun),
        (status = 422, description = "The draft's problems", body = ErrorBody),
    )
)]
#[post("/policy/dry-run")]
pub async fn dry_run(state: Data<AppState>, me: Me, ApiJson(d): ApiJson<PolicyDraft>) -> ApiResult<Json<DryRun>> {
    Ok(Json(policy::dry_run(&state.db, &d.source, me.ctx().now.date_naive()).await?))
}

#[utoipa::path(
    tag = "policy",
    request_body = PolicyDraft,
    responses(
        (status = 201, description = "Saved as the next version, now in force; the fleet view is re-evaluated in the background", body = PolicyVersion),
        (status = 409, description = "A newer version was saved after `based_on`", body = ErrorBody),
        (status = 422, description = "The draft's problems", body = ErrorBody),
    )
)]
#[put("/policy")]
pub async fn save(state: Data<AppState>, me: Me, ApiJson(d): ApiJson<PolicyDraft>) -> ApiResult<HttpResponse> {
    let v = policy::save(&state.db, &me.ctx(), d).await?;
    state.refresh_fleet_soon("policy_saved");
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/policy/versions/{}", v.number))).json(v))
}

#[utoipa::path(
    tag = "policy",
    responses((status = 200, description = "The fleet re-evaluated now with the policy in force (takes a while on large fleets)", body = RunInfo))
)]
#[post("/policy/refresh")]
pub async fn refresh(state: Data<AppState>, me: Me) -> ApiResult<Json<RunInfo>> {
    Ok(Json(policy::refresh(&state.db, me.ctx().now, "requested").await?))
}

/// The fleet view: the latest run, the filtered totals and one page of due items.
#[derive(Serialize, ToSchema)]
pub struct FleetDue {
    /// Absent until the fleet has been evaluated once.
    pub run: Option<RunInfo>,
    pub totals: FleetTotals,
    #[schema(value_type = PageDoc<FleetRow>)]
    pub page: Page<FleetRow>,
}

#[utoipa::path(tag = "policy", params(FleetQuery), responses((status = 200, description = "Items due for a decision with their top suggestion", body = FleetDue)))]
#[get("/fleet/due")]
pub async fn fleet(state: Data<AppState>, ApiQuery(q): ApiQuery<FleetQuery>) -> ApiResult<Json<FleetDue>> {
    let conn = state.db.conn();
    let (run, totals, page) = match policy::query::latest_run(conn).await? {
        Some((id, info)) => {
            let totals = policy::query::totals(conn, id, &info, &q).await?;
            let page = policy::query::page(conn, id, &q).await?;
            (Some(info), totals, page)
        }
        None => (None, FleetTotals::default(), Page { items: Vec::new(), next_cursor: None }),
    };
    Ok(Json(FleetDue { run, totals, page }))
}

#[utoipa::path(
    tag = "policy",
    params(FleetQuery),
    responses((status = 200, description = "Every due item of the filtered view as CSV", content_type = "text/csv", body = String))
)]
#[get("/fleet/due.csv")]
pub async fn fleet_csv(state: Data<AppState>, ApiQuery(q): ApiQuery<FleetQuery>) -> ApiResult<HttpResponse> {
    let body = policy::export::csv(state.db.conn(), &q).await?;
    Ok(crate::web::download::csv(body, "reloop-due.csv"))
}
