//! Who may call what: one rule per route, checked by one middleware before any handler
//! runs, for the UI and the API alike.
//!
//! Invariants:
//! - A route without a rule is refused (deny by default), and a test walks every rule for
//!   every role and for anonymous callers.
//! - The API authenticates only with bearer tokens (no cookies), so API calls cannot be
//!   forged by another site; the UI authenticates with the session cookie, and every form
//!   carries a CSRF token (checked in `extract::FormBody`).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use chrono::Utc;

use super::AppState;
use super::error::{ApiError, PageError};
use crate::auth::{Permission, User, sessions, tokens};
use crate::error::AppError;

/// One route's requirement.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    pub perm: Permission,
}

const fn rule(method: &'static str, path: &'static str, perm: Permission) -> Rule {
    Rule { method, path, perm }
}

use Permission::*;

/// Routes outside the UI's own table (`ui::UI_RULES`): the API, health and static files.
pub const RULES: &[Rule] = &[
    rule("GET", "/healthz", Public),
    rule("GET", "/readyz", Public),
    rule("GET", "/static/{name}", Public),
    rule("GET", "/api/v1/openapi.json", Public),
    rule("GET", "/api/v1/me", SignedIn),
    rule("GET", "/api/v1/tokens", SignedIn),
    rule("POST", "/api/v1/tokens", SignedIn),
    rule("DELETE", "/api/v1/tokens/{id}", SignedIn),
    rule("GET", "/api/v1/assets", Read),
    rule("POST", "/api/v1/assets", RegistryWrite),
    rule("GET", "/api/v1/assets/lookup", Read),
    rule("GET", "/api/v1/assets/{id}", Read),
    rule("PATCH", "/api/v1/assets/{id}", RegistryWrite),
    rule("POST", "/api/v1/assets/{id}/transition", Lifecycle),
    rule("POST", "/api/v1/assets/{id}/children", Lifecycle),
    rule("DELETE", "/api/v1/assets/{id}/children/{child_id}", Lifecycle),
    rule("GET", "/api/v1/assets/{id}/tree", Read),
    rule("GET", "/api/v1/assets/{id}/events", Read),
    rule("GET", "/api/v1/sites", Read),
    rule("POST", "/api/v1/sites", RegistryWrite),
    rule("GET", "/api/v1/sites/{id}", Read),
    rule("PATCH", "/api/v1/sites/{id}", RegistryWrite),
    rule("GET", "/api/v1/models", Read),
    rule("POST", "/api/v1/models", RegistryWrite),
    rule("GET", "/api/v1/models/{id}", Read),
    rule("PATCH", "/api/v1/models/{id}", RegistryWrite),
    rule("GET", "/api/v1/users", ManageUsers),
    rule("POST", "/api/v1/users", ManageUsers),
    rule("PATCH", "/api/v1/users/{id}", ManageUsers),
    rule("GET", "/api/v1/audit", ReadAudit),
    rule("GET", "/api/v1/audit/verify", ReadAudit),
];

/// Every rule the app enforces.
pub fn all_rules() -> impl Iterator<Item = &'static Rule> {
    RULES.iter().chain(super::ui::UI_RULES.iter())
}

fn rule_for(method: &str, pattern: &str) -> Option<&'static Rule> {
    let method = if method == "HEAD" { "GET" } else { method };
    all_rules().find(|r| r.method == method && r.path == pattern)
}

/// The signed-in user of a request, and how they signed in.
#[derive(Clone, Debug)]
pub struct Identity {
    pub user: User,
    /// The session (hash and CSRF token) for cookie sign-ins; `None` for API tokens.
    pub session: Option<(String, String)>,
}

pub const SESSION_COOKIE: &str = "reloop_session";

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The client's address: the peer, or the first `X-Forwarded-For` hop behind a trusted proxy.
pub fn client_ip(req: &actix_web::HttpRequest, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(first) =
            req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next())
    {
        return first.trim().to_owned();
    }
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
}

async fn identify(state: &AppState, req: &ServiceRequest) -> Result<Option<Identity>, AppError> {
    let now = Utc::now();
    if is_api(req.path()) {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        return Ok(match bearer {
            Some(b) => tokens::authenticate(&state.db, b, now).await?.map(|user| Identity { user, session: None }),
            None => None,
        });
    }
    let Some(cookie) = req.cookie(SESSION_COOKIE) else { return Ok(None) };
    Ok(sessions::resolve(&state.db, cookie.value(), state.settings.session_policy(), now)
        .await?
        .map(|live| Identity { user: live.user, session: Some((live.id_hash, live.csrf)) }))
}

fn refuse(req: ServiceRequest, err: AppError) -> ServiceResponse<BoxBody> {
    let resp = if is_api(req.path()) { ApiError(err).error_response() } else { PageError(err).error_response() };
    req.into_response(resp)
}

/// Authenticates the request and applies its route's rule.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(pattern) = req.match_pattern() else {
        // No route matches: the default service answers 404.
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(rule) = rule_for(req.method().as_str(), &pattern) else {
        tracing::error!(method = %req.method(), pattern, "route without an access rule refused");
        return Ok(refuse(req, AppError::Forbidden("this route has no access rule".into())));
    };
    let Some(state) = req.app_data::<Data<AppState>>().cloned() else {
        return Ok(refuse(req, AppError::Internal(anyhow::anyhow!("application state missing"))));
    };
    // Static files, health checks and the OpenAPI document never need to know who asks:
    // skipping the session lookup keeps them free of database work.
    let ui_page = super::ui::UI_RULES.iter().any(|r| r.method == rule.method && r.path == rule.path);
    let needs_identity = rule.perm != Permission::Public || ui_page;
    let identity = match if needs_identity { identify(&state, &req).await } else { Ok(None) } {
        Ok(i) => i,
        // Public routes (health checks above all) answer even when the database does not.
        Err(e) if rule.perm == Permission::Public => {
            tracing::warn!(error = %e, "could not identify the caller of a public route");
            None
        }
        Err(e) => return Ok(refuse(req, e)),
    };
    if let Some(id) = &identity {
        req.extensions_mut().insert(id.clone());
    }
    // Forms shown before sign-in (sign-in, setup) need a CSRF token too: a random one in
    // a strict cookie, echoed by the form.
    let new_anon_csrf = if ui_page && identity.is_none() && req.cookie(super::ui::ANON_CSRF_COOKIE).is_none() {
        let token = crate::auth::secret::random_hex();
        req.extensions_mut().insert(super::ui::AnonCsrf(token.clone()));
        Some(token)
    } else {
        None
    };
    let secure = state.settings.secure_cookies;
    if rule.perm != Permission::Public {
        match &identity {
            None if is_api(req.path()) => return Ok(refuse(req, AppError::Unauthorized)),
            None => {
                let here = match req.query_string() {
                    "" => req.path().to_owned(),
                    q => format!("{}?{q}", req.path()),
                };
                let next_param: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
                let resp = HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, format!("/login?next={next_param}")))
                    .finish();
                return Ok(req.into_response(resp));
            }
            Some(id) if !id.user.role.allows(rule.perm) => {
                let msg = format!(
                    "your role ({}) does not allow this: it needs {}",
                    id.user.role,
                    rule.perm.label().to_lowercase()
                );
                return Ok(refuse(req, AppError::Forbidden(msg)));
            }
            Some(_) => {}
        }
    }
    let mut resp = next.call(req).await?.map_into_boxed_body();
    if let Some(token) = new_anon_csrf {
        let cookie = actix_web::cookie::Cookie::build(super::ui::ANON_CSRF_COOKIE, token)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(actix_web::cookie::SameSite::Strict)
            .finish();
        resp.response_mut().add_cookie(&cookie).ok();
    }
    Ok(resp)
}

/// The signed-in user, for handlers behind a non-public rule.
pub struct Me(pub Identity);

impl actix_web::FromRequest for Me {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let found = req.extensions().get::<Identity>().cloned();
        std::future::ready(match found {
            Some(id) => Ok(Me(id)),
            None if is_api(req.path()) => Err(ApiError(AppError::Unauthorized).into()),
            None => Err(PageError(AppError::Unauthorized).into()),
        })
    }
}

impl Me {
    pub fn ctx(&self) -> crate::context::Ctx {
        self.0.user.ctx()
    }

    pub fn user(&self) -> &User {
        &self.0.user
    }

    pub fn session_hash(&self) -> Option<&str> {
        self.0.session.as_ref().map(|(h, _)| h.as_str())
    }
}
