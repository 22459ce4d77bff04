//! The server-rendered UI. Pages work without JavaScript; `static/app.js` only adds
//! shortcuts (focus the scan box with `/`, submit filters on change).
//!
//! Every state-changing form posts, then redirects (303) to a page that shows the result,
//! with a one-shot flash message carried in a short-lived cookie.

pub mod assets;
pub mod forms;
pub mod models;
pub mod sites;
pub mod views;

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::context::Ctx;
use crate::error::AppError;

use super::AppState;
use super::error::PageResult;

const FLASH: &str = "reloop_flash";

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/scan", web::get().to(assets::scan))
        .route("/assets", web::get().to(assets::list))
        .route("/assets", web::post().to(assets::create))
        .route("/assets/new", web::get().to(assets::new_form))
        .route("/assets/{id}", web::get().to(assets::show))
        .route("/assets/{id}/edit", web::get().to(assets::edit_form))
        .route("/assets/{id}/edit", web::post().to(assets::update))
        .route("/assets/{id}/transition", web::post().to(assets::transition))
        .route("/assets/{id}/install", web::post().to(assets::install))
        .route("/assets/{id}/children/{child}/remove", web::post().to(assets::remove))
        .route("/sites", web::get().to(sites::list))
        .route("/sites", web::post().to(sites::create))
        .route("/sites/new", web::get().to(sites::new_form))
        .route("/sites/{id}", web::get().to(sites::show))
        .route("/sites/{id}/edit", web::get().to(sites::edit_form))
        .route("/sites/{id}/edit", web::post().to(sites::update))
        .route("/models", web::get().to(models::list))
        .route("/models", web::post().to(models::create))
        .route("/models/new", web::get().to(models::new_form))
        .route("/models/{id}", web::get().to(models::show))
        .route("/models/{id}/edit", web::get().to(models::edit_form))
        .route("/models/{id}/edit", web::post().to(models::update));
}

async fn home() -> HttpResponse {
    see_other("/assets")
}

/// The actor recorded for UI changes until accounts exist.
pub fn ctx(_state: &AppState) -> Ctx {
    Ctx::new("web")
}

/// The flash message left by the previous request, if any.
pub fn take_flash(req: &HttpRequest) -> Option<String> {
    req.cookie(FLASH)
        .map(|c| percent_decode(c.value()))
        .filter(|m| !m.is_empty())
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("m={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Renders a page, clearing any flash message it displayed.
pub fn render<T: Template>(req: &HttpRequest, status: actix_web::http::StatusCode, page: &T) -> PageResult<HttpResponse> {
    let html = page.render().map_err(|e| AppError::Internal(anyhow::anyhow!("rendering a page: {e}")))?;
    let mut resp = HttpResponse::build(status);
    resp.content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if req.cookie(FLASH).is_some() {
        let mut gone = Cookie::new(FLASH, "");
        gone.set_path("/");
        gone.make_removal();
        resp.cookie(gone);
    }
    Ok(resp.body(html))
}

pub fn ok<T: Template>(req: &HttpRequest, page: &T) -> PageResult<HttpResponse> {
    render(req, actix_web::http::StatusCode::OK, page)
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// Redirects after a successful change, leaving a message for the next page.
pub fn done(location: &str, message: &str) -> HttpResponse {
    let value: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
    let cookie = Cookie::build(FLASH, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(60))
        .finish();
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).cookie(cookie).finish()
}
