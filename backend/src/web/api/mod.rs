//! The JSON API under `/api/v1`. Handlers extract, call one service, and answer; the
//! OpenAPI document is collected from the handlers' annotations as they are registered,
//! so a route cannot be served without being documented.

pub mod account;
pub mod assets;
pub mod audit;
pub mod catalog;
pub mod sites;
pub mod users;

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa_actix_web::scope::Scope;

/// Every API route. Order matters where paths overlap (`/assets/lookup` before `/assets/{id}`).
pub fn scope() -> Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/api/v1")
        .service(assets::list)
        .service(assets::create)
        .service(assets::lookup)
        .service(assets::get)
        .service(assets::update)
        .service(assets::transition)
        .service(assets::install)
        .service(assets::remove)
        .service(assets::tree)
        .service(assets::events)
        .service(sites::list)
        .service(sites::create)
        .service(sites::get)
        .service(sites::update)
        .service(catalog::list)
        .service(catalog::create)
        .service(catalog::get)
        .service(catalog::update)
        .service(account::whoami)
        .service(account::list_tokens)
        .service(account::create_token)
        .service(account::revoke_token)
        .service(users::list)
        .service(users::create)
        .service(users::update)
        .service(audit::list)
        .service(audit::verify)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "reloop API",
        description = "Registry, lifecycle ledger and component tree of data-centre hardware. \
            Errors are JSON: {\"error\": {\"code\", \"message\", \"field\"?}}. Unknown fields are refused.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(super::error::ErrorBody, super::error::ErrorDetail, crate::error::FieldError)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "assets", description = "Servers, boards and chips; their tree and ledger"),
        (name = "sites", description = "Where items are"),
        (name = "models", description = "The hardware catalog"),
        (name = "account", description = "The caller's own account and API tokens"),
        (name = "users", description = "User administration (admins)"),
        (name = "audit", description = "The hash-chained audit trail (admins and auditors)"),
    )
)]
pub struct ApiDoc;

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
