//! The one route table: every route the server answers, each declared once with its
//! access rule. API routes are declared in `api` (handler and permission; the handler's
//! own attributes carry its path, method and OpenAPI entry), UI routes in `ui::routes`,
//! and the few infrastructure routes here. The server registers routes only from these
//! declarations, and the access middleware reads the same table, so a route cannot be
//! served without a rule.

use actix_web::web::ServiceConfig;

use super::access::{Family, RouteTable, Rule};
use super::{api, health, metrics, static_files, ui};
use crate::rules::Permission::Public;

/// Health checks, static files, the OpenAPI document, and the metrics (whose handler asks
/// for their own bearer token, `RELOOP_METRICS_TOKEN`).
const INFRA: &[Rule] = &[
    Rule::new("GET", "/healthz", Public, Family::Infra),
    Rule::new("GET", "/metrics", Public, Family::Infra),
    Rule::new("GET", "/readyz", Public, Family::Infra),
    Rule::new("GET", "/static/{name}", Public, Family::Infra),
    Rule::new("GET", "/api/v1/openapi.json", Public, Family::Infra),
];

/// Every rule the app enforces.
pub fn all_rules() -> Vec<Rule> {
    INFRA.iter().cloned().chain(api::rules()).chain(ui::routes::RULES.iter().cloned()).collect()
}

/// The table the access middleware consults.
pub fn table() -> Result<RouteTable, String> {
    RouteTable::new(all_rules())
}

/// Registers the infrastructure and UI routes (the API scope is registered with its
/// OpenAPI document in `web::server`).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz).service(static_files::serve);
    cfg.route("/metrics", actix_web::web::get().to(metrics::guarded));
    ui::routes::configure(cfg);
}
