//! The JSON API under `/api/v1`. Handlers extract, call one service, and answer.
//!
//! Every route is one line of [`api_routes!`]: the handler, whose own attributes carry its
//! path, method and OpenAPI entry, and the permission it needs. The same line registers
//! the route, gives the access middleware its rule and states the permission in the
//! OpenAPI document, so adding a route is one edit and no route exists without a rule.

pub mod account;
pub mod assets;
pub mod audit;
pub mod bench;
pub mod bulk;
pub mod catalog;
pub mod eol;
pub mod forecast;
pub mod labels;
pub mod overview;
pub mod policy;
pub mod sanitization;
pub mod schema;
pub mod sites;
pub mod users;

use std::borrow::Cow;

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::HttpMethod;

use super::access::{Family, Rule};
use crate::rules::{Permission, Role};

/// Where the API lives.
pub const PREFIX: &str = "/api/v1";

/// Declares every API route with its permission (order matters where paths overlap:
/// `/assets/lookup` before `/assets/{id}`).
macro_rules! api_routes {
    ($($handler:path => $perm:ident,)*) => {
        /// The API scope, for `web::server` to mount with its OpenAPI document.
        pub fn scope() -> utoipa_actix_web::scope::Scope<
            impl actix_web::dev::ServiceFactory<
                actix_web::dev::ServiceRequest,
                Config = (),
                Response = actix_web::dev::ServiceResponse,
                Error = actix_web::Error,
                InitError = (),
            >,
        > {
            utoipa_actix_web::scope(PREFIX)$(.service($handler))*
        }

        /// The access rule of every API route, taken from each handler's own path and method.
        pub fn rules() -> Vec<Rule> {
            let mut out = Vec::new();
            $(out.extend(rules_of::<$handler>(Permission::$perm));)*
            out
        }
    };
}

api_routes! {
    overview::get => Read,
    assets::list => Read,
    assets::create => RegistryWrite,
    assets::lookup => Read,
    assets::get => Read,
    assets::update => RegistryWrite,
    assets::transition => Lifecycle,
    bulk::transition => Lifecycle,
    bulk::move_site => RegistryWrite,
    assets::install => Lifecycle,
    assets::remove => Lifecycle,
    assets::tree => Read,
    assets::events => Read,
    audit::asset_history => Read,
    labels::label => Read,
    sites::list => Read,
    sites::create => RegistryWrite,
    sites::get => Read,
    sites::update => RegistryWrite,
    catalog::list => Read,
    catalog::create => RegistryWrite,
    catalog::get => Read,
    catalog::update => RegistryWrite,
    account::whoami => SignedIn,
    account::list_tokens => SignedIn,
    account::create_token => SignedIn,
    account::revoke_token => SignedIn,
    users::list => ManageUsers,
    users::create => ManageUsers,
    users::update => ManageUsers,
    bench::list_repairs => Read,
    bench::open_repair => Bench,
    bench::repair_stats => Read,
    bench::get_repair => Read,
    bench::update_repair => Bench,
    bench::remove_part => Bench,
    bench::install_part => Bench,
    bench::reserve_spare => Bench,
    bench::close_repair => Bench,
    bench::candidates => Read,
    bench::list_jobs => Read,
    bench::open_job => Bench,
    bench::get_job => Read,
    bench::record_part => Bench,
    bench::close_job => Bench,
    bench::pool => Read,
    bench::reuse => Read,
    sanitization::list_records => Read,
    sanitization::create_record => Bench,
    sanitization::get_record => Read,
    sanitization::list_batches => Read,
    sanitization::open_batch => Bench,
    sanitization::get_batch => Read,
    sanitization::scan => Bench,
    sanitization::close_batch => Bench,
    eol::list_vendors => Read,
    eol::create_vendor => Bench,
    eol::get_vendor => Read,
    eol::update_vendor => Bench,
    eol::list_lots => Read,
    eol::create_lot => Bench,
    eol::get_lot => Read,
    eol::update_lot => Bench,
    eol::add_items => Bench,
    eol::remove_items => Bench,
    eol::ship => Bench,
    eol::custody => Read,
    eol::add_custody => Bench,
    eol::recovery => Bench,
    eol::list_factors => Read,
    eol::set_factor => ManageFactors,
    policy::suggestions => Read,
    policy::accept => Decide,
    policy::current => Read,
    policy::versions => Read,
    policy::version => Read,
    policy::check => ManagePolicy,
    policy::dry_run => ManagePolicy,
    policy::save => ManagePolicy,
    policy::refresh => Decide,
    policy::fleet => Read,
    policy::fleet_csv => Read,
    forecast::fleet => Read,
    forecast::fleet_csv => Read,
    forecast::procurement => Read,
    forecast::procurement_csv => Read,
    forecast::demand => Read,
    forecast::demand_csv => Read,
    forecast::lifespans => Read,
    audit::list => ReadAudit,
    audit::verify => ReadAudit,
}

fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}

fn rules_of<H: utoipa::Path>(perm: Permission) -> Vec<Rule> {
    H::methods()
        .iter()
        .map(|m| Rule {
            method: method_name(m),
            path: Cow::Owned(format!("{PREFIX}{}", H::path())),
            perm,
            family: Family::Api,
        })
        .collect()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "reloop API",
        description = "Registry, lifecycle ledger and component tree of data-centre hardware. \
            Errors are JSON: {\"error\": {\"code\", \"message\", \"field\"?}}. Unknown fields are refused. \
            Each operation states the permission it needs and the roles that hold it.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(super::error::ErrorBody, super::error::ErrorDetail, crate::error::FieldError, crate::error::Blocker, crate::rules::KernelChoice, crate::assets::AssetSort)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "assets", description = "Servers, boards and chips; their tree and ledger"),
        (name = "sites", description = "Where items are"),
        (name = "models", description = "The hardware catalog"),
        (name = "account", description = "The caller's own account and API tokens"),
        (name = "bench", description = "The refurbisher's bench: repairs, dismantle jobs, the spare pool, reuse figures"),
        (name = "sanitization", description = "Data sanitization records (NIST SP 800-88), certificates and station batches"),
        (name = "end-of-life", description = "Downstream vendors, recycling lots with their chain of custody and recovery reports, and the reference factors of the estimate"),
        (name = "policy", description = "The policy engine: each item's next life, explained; policy versions; the fleet's items due for a decision"),
        (name = "forecast", description = "E-waste forecasts: the fleet's items in use, procurement (sales–stock–lifespan) and generative-AI demand scenarios, with bands, levers and sources; lifespans fitted to the registry's history"),
        (name = "users", description = "User administration (admins)"),
        (name = "audit", description = "The hash-chained audit trail (admins and auditors)"),
    )
)]
pub struct ApiDoc;

/// Completes the document from the route table and the edge's own rules: each
/// operation's permission in its description, and every status the edge itself can answer
/// with, each with the error schema (401 without a valid token; 403 for roles without the
/// permission; 400 for an unreadable query, path or body, control characters included;
/// 404 for an unknown id in the path; 413/415/422 where a body is read; 500).
pub fn complete_document(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Content, Ref, ResponseBuilder};
    let error = |why: &str| {
        ResponseBuilder::new()
            .description(why)
            .content("application/json", Content::new(Some(Ref::from_schema_name("ErrorBody"))))
            .build()
    };
    for rule in rules() {
        let Some(item) = doc.paths.paths.get_mut(rule.path.as_ref()) else { continue };
        let op = match rule.method {
            "GET" => item.get.as_mut(),
            "POST" => item.post.as_mut(),
            "PATCH" => item.patch.as_mut(),
            "PUT" => item.put.as_mut(),
            "DELETE" => item.delete.as_mut(),
            _ => None,
        };
        let Some(op) = op else { continue };
        let roles: Vec<&str> = Role::ALL.iter().filter(|r| r.allows(rule.perm)).map(|r| r.as_str()).collect();
        let note = format!("Requires `{}` ({}): {}.", rule.perm.as_str(), rule.perm.label(), roles.join(", "));
        op.description = Some(match op.description.take() {
            Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
            _ => note,
        });
        let has_body = op.request_body.is_some();
        let has_query =
            op.parameters.iter().flatten().any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query);
        let has_path_params = rule.path.contains('{');
        let mut add = |status: &str, why: &str| {
            op.responses.responses.entry(status.to_owned()).or_insert_with(|| error(why).into());
        };
        add(
            "400",
            "The request could not be read: a malformed body or parameter, an unknown field, or a control character in a value",
        );
        if rule.perm != Permission::Public {
            add("401", "No API token, or one that is unknown, expired or revoked");
        }
        if roles.len() < Role::ALL.len() {
            add("403", "The caller's role does not hold the permission");
        }
        if has_path_params {
            add("404", "No such record");
        }
        if has_body {
            add("413", "The body is larger than RELOOP_MAX_BODY_BYTES");
            add("415", "The body is not JSON (Content-Type: application/json)");
            add("422", "A field breaks a rule; the message names it");
        }
        if has_query {
            add("422", "A parameter is out of range (a page size, say); the message names it");
        }
        add("500", "Something went wrong on the server; the details are in its log");
    }
}

/// The OpenAPI document (served at /api/v1/openapi.json).
pub async fn openapi_json(doc: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(doc.get_ref())
}

/// Declares the bearer-token scheme every API route uses.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder().scheme(HttpAuthScheme::Bearer).description(Some("a personal API token (rl_…)")).build(),
            ),
        );
    }
}
