//! The JSON API under `/api/v1`. Handlers extract, call one service, and answer; the
//! OpenAPI document is collected from the handlers' annotations as they are registered,
//! so a route cannot be served without being documented.

pub mod assets;
pub mod catalog;
pub mod sites;

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa_actix_web::scope::Scope;

use super::AppState;
use crate::context::Ctx;

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
    tags(
        (name = "assets", description = "Servers, boards and chips; their tree and ledger"),
        (name = "sites", description = "Where items are"),
        (name = "models", description = "The hardware catalog"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document (served at /api/v1/openapi.json).
pub async fn openapi_json(doc: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(doc.get_ref())
}

/// The actor recorded for API changes until accounts exist.
pub fn ctx(_state: &AppState) -> Ctx {
    Ctx::new("api")
}
