//! The server-rendered UI. Pages work without JavaScript; `static/app.js` only adds
//! shortcuts (focus the scan box with `/`, submit filters on change).
//!
//! Every state-changing form posts (with its CSRF token), then redirects (303) to a page
//! that shows the result, with a one-shot flash message carried in a short-lived cookie.

pub mod account;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod forms;
pub mod models;
pub mod sites;
pub mod users;
pub mod views;

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use super::access::{Identity, Rule};
use super::error::PageResult;
use crate::auth::{Permission, User};
use crate::error::AppError;

const FLASH: &str = "reloop_flash";

/// Declares the UI's routes and their access rules in one list, so no route can exist
/// without a rule.
macro_rules! ui_routes {
    ($($method:ident $path:literal => $handler:path, $perm:ident;)*) => {
        /// Access rules of every UI route (see `web::access`).
        pub const UI_RULES: &[Rule] = &[
            $(Rule { method: ui_routes!(@m $method), path: $path, perm: Permission::$perm },)*
        ];

        pub fn routes(cfg: &mut ServiceConfig) {
            $(cfg.route($path, web::$method().to($handler));)*
        }
    };
    (@m get) => { "GET" };
    (@m post) => { "POST" };
}

ui_routes! {
    get "/" => home, Public;
    get "/login" => auth::login_form, Public;
    post "/login" => auth::login, Public;
    post "/logout" => auth::logout, SignedIn;
    get "/setup" => auth::setup_form, Public;
    post "/setup" => auth::setup, Public;
    get "/account" => account::show, SignedIn;
    post "/account/password" => account::change_password, SignedIn;
    post "/account/tokens" => account::create_token, SignedIn;
    post "/account/tokens/{id}/revoke" => account::revoke_token, SignedIn;
    get "/scan" => assets::scan, Read;
    get "/assets" => assets::list, Read;
    post "/assets" => assets::create, RegistryWrite;
    get "/assets/new" => assets::new_form, RegistryWrite;
    get "/assets/{id}" => assets::show, Read;
    get "/assets/{id}/edit" => assets::edit_form, RegistryWrite;
    post "/assets/{id}/edit" => assets::update, RegistryWrite;
    post "/assets/{id}/transition" => assets::transition, Lifecycle;
    post "/assets/{id}/install" => assets::install, Lifecycle;
    post "/assets/{id}/children/{child}/remove" => assets::remove, Lifecycle;
    get "/sites" => sites::list, Read;
    post "/sites" => sites::create, RegistryWrite;
    get "/sites/new" => sites::new_form, RegistryWrite;
    get "/sites/{id}" => sites::show, Read;
    get "/sites/{id}/edit" => sites::edit_form, RegistryWrite;
    post "/sites/{id}/edit" => sites::update, RegistryWrite;
    get "/models" => models::list, Read;
    post "/models" => models::create, RegistryWrite;
    get "/models/new" => models::new_form, RegistryWrite;
    get "/models/{id}" => models::show, Read;
    get "/models/{id}/edit" => models::edit_form, RegistryWrite;
    post "/models/{id}/edit" => models::update, RegistryWrite;
    get "/admin/users" => users::list, ManageUsers;
    post "/admin/users" => users::create, ManageUsers;
    post "/admin/users/{id}" => users::update, ManageUsers;
    get "/audit" => audit::list, ReadAudit;
    get "/audit/verify" => audit::verify, ReadAudit;
}

async fn home(req: HttpRequest) -> HttpResponse {
    let signed_in = req.extensions().get::<Identity>().is_some();
    see_other(if signed_in { "/assets" } else { "/login" })
}

/// The anonymous CSRF token for sign-in and setup forms, set by the access middleware
/// when the visitor has none yet.
#[derive(Clone, Debug)]
pub struct AnonCsrf(pub String);

pub const ANON_CSRF_COOKIE: &str = "reloop_csrf";

/// What every page's frame needs: the active section, the flash message, the user and
/// the CSRF token for its forms.
pub struct Layout {
    pub nav: &'static str,
    pub flash: Option<String>,
    pub user: Option<User>,
    pub csrf: String,
}

impl Layout {
    pub fn new(req: &HttpRequest, nav: &'static str) -> Layout {
        let ext = req.extensions();
        let identity = ext.get::<Identity>();
        let csrf = match identity.and_then(|i| i.session.as_ref()) {
            Some((_, csrf)) => csrf.clone(),
            None => ext
                .get::<AnonCsrf>()
                .map(|a| a.0.clone())
                .or_else(|| req.cookie(ANON_CSRF_COOKIE).map(|c| c.value().to_owned()))
                .unwrap_or_default(),
        };
        Layout { nav, flash: take_flash(req), user: identity.map(|i| i.user.clone()), csrf }
    }

    fn allows(&self, p: Permission) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.allows(p))
    }

    pub fn can_write(&self) -> bool {
        self.allows(Permission::RegistryWrite)
    }

    pub fn can_lifecycle(&self) -> bool {
        self.allows(Permission::Lifecycle)
    }

    pub fn can_audit(&self) -> bool {
        self.allows(Permission::ReadAudit)
    }

    pub fn can_manage_users(&self) -> bool {
        self.allows(Permission::ManageUsers)
    }
}

/// The flash message left by the previous request, if any.
pub fn take_flash(req: &HttpRequest) -> Option<String> {
    req.cookie(FLASH).map(|c| percent_decode(c.value())).filter(|m| !m.is_empty())
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("m={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// Renders a page, clearing any flash message it displayed.
pub fn render<T: Template>(
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    page: &T,
) -> PageResult<HttpResponse> {
    let html = page.render().map_err(|e| AppError::Internal(anyhow::anyhow!("rendering a page: {e}")))?;
    let mut resp = HttpResponse::build(status);
    resp.content_type("text/html; charset=utf-8").insert_header((header::CACHE_CONTROL, "no-store"));
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

/// Where to go after signing in: a local path only (never another site).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.contains(['\r', '\n']) => {
            n.to_owned()
        }
        _ => "/assets".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sign_in_redirects_stay_on_this_site() {
        assert_eq!(super::safe_next(Some("/assets?kind=server")), "/assets?kind=server");
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/a\r\nSet-Cookie: x=y",
        ] {
            assert_eq!(super::safe_next(Some(bad)), "/assets", "{bad}");
        }
        assert_eq!(super::safe_next(None), "/assets");
    }
}
