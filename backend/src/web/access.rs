//! Who may call what: one rule per route, checked by one middleware before any handler
//! runs, for the UI and the API alike; and, for the UI, the CSRF check of every request
//! that is not a GET.
//!
//! Invariants:
//! - A route without a rule is refused (deny by default). Rules come from the one route
//!   table (`web::routes`), which also registers the routes, so a route cannot be served
//!   without one; a test walks every rule for every role and for anonymous callers.
//! - The API authenticates only with bearer tokens (no cookies), so API calls cannot be
//!   forged by another site; the UI authenticates with the session cookie, and every
//!   non-GET UI request must carry its session's CSRF token ([`super::csrf`]).
//! - This module knows rules and identities, not pages: it imports nothing from `ui` or
//!   `api`; the table reaches it as application data.

use std::borrow::Cow;
use std::collections::HashMap;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{HttpMessage, HttpResponse};
use chrono::Utc;

use super::csrf;
use super::error::{is_api, respond};
use super::hygiene;
use super::identity::{Identity, SESSION_COOKIE};
use super::state::AppState;
use crate::auth::{sessions, tokens};
use crate::error::AppError;
use crate::rules::Permission;

/// Which part of the app a route belongs to: it decides how callers authenticate and how
/// refusals are answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// JSON under `/api/v1`: bearer tokens, JSON errors.
    Api,
    /// HTML pages and forms: session cookie, CSRF on every non-GET, HTML errors.
    Ui,
    /// Health checks, static files, the OpenAPI document: nobody needs to be known.
    Infra,
}

/// One route's requirement.
#[derive(Clone, Debug)]
pub struct Rule {
    pub method: &'static str,
    pub path: Cow<'static, str>,
    pub perm: Permission,
    pub family: Family,
}

impl Rule {
    pub const fn new(method: &'static str, path: &'static str, perm: Permission, family: Family) -> Rule {
        Rule { method, path: Cow::Borrowed(path), perm, family }
    }
}

/// Every route's rule, looked up by route pattern, then method.
#[derive(Clone, Debug)]
pub struct RouteTable {
    rules: Vec<Rule>,
    /// Pattern → its methods with their rule's index, in declaration order.
    by_pattern: HashMap<Cow<'static, str>, Vec<(&'static str, usize)>>,
}

impl RouteTable {
    /// Builds the table; a route declared twice is a programming error reported at start.
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> Result<RouteTable, String> {
        let rules: Vec<Rule> = rules.into_iter().collect();
        let mut by_pattern: HashMap<Cow<'static, str>, Vec<(&'static str, usize)>> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            let methods = by_pattern.entry(r.path.clone()).or_default();
            if methods.iter().any(|&(m, _)| m == r.method) {
                return Err(format!("the route {} {} is declared twice", r.method, r.path));
            }
            methods.push((r.method, i));
        }
        Ok(RouteTable { rules, by_pattern })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The methods `pattern` answers (for a 405's `Allow`), HEAD with GET.
    pub fn methods_for(&self, pattern: &str) -> Vec<&'static str> {
        let mut out: Vec<&'static str> =
            self.by_pattern.get(pattern).map(|ms| ms.iter().map(|&(m, _)| m).collect()).unwrap_or_default();
        if out.contains(&"GET") {
            out.push("HEAD");
        }
        out
    }

    /// The rule for `method` on `pattern` (HEAD is answered like GET).
    pub fn rule(&self, method: &str, pattern: &str) -> Option<&Rule> {
        let method = if method == "HEAD" { "GET" } else { method };
        let &(_, i) = self.by_pattern.get(pattern)?.iter().find(|&&(m, _)| m == method)?;
        Some(&self.rules[i])
    }
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
    let resp = respond(req.path(), err);
    req.into_response(resp)
}

/// Where an account with a temporary password is sent, and the routes it may use meanwhile.
const CHANGE_PASSWORD_PAGE: &str = "/account/password";
const WHILE_PASSWORD_CHANGE_DUE: &[(&str, &str)] = &[
    ("GET", CHANGE_PASSWORD_PAGE),
    ("HEAD", CHANGE_PASSWORD_PAGE),
    ("POST", CHANGE_PASSWORD_PAGE),
    ("POST", "/logout"),
];

/// Authenticates the request, applies its route's rule and, for UI requests that change
/// something, checks the CSRF token.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(pattern) = super::request_log::route_of(&req) else {
        // No route matches: the default service answers 404, for a page in the visitor's own
        // frame (their menu and sign-out), so they are looked up first (best effort).
        if !req.path().starts_with("/api/")
            && let Some(state) = req.app_data::<Data<AppState>>().cloned()
            && let Ok(Some(id)) = identify(&state, &req).await
        {
            super::request_log::record_user(&id.user.id);
            req.extensions_mut().insert(id);
        }
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let (Some(state), Some(table)) =
        (req.app_data::<Data<AppState>>().cloned(), req.app_data::<Data<RouteTable>>().cloned())
    else {
        return Ok(refuse(req, AppError::Internal(anyhow::anyhow!("application state missing"))));
    };
    let Some(&Rule { perm, family, .. }) = table.rule(req.method().as_str(), &pattern) else {
        let allowed = table.methods_for(&pattern);
        if !allowed.is_empty() {
            // A known path asked with a method it does not answer.
            let allow = allowed.join(", ");
            let err = AppError::MethodNotAllowed { method: req.method().to_string(), allowed: allow.clone() };
            let mut resp = refuse(req, err);
            if let Ok(v) = header::HeaderValue::from_str(&allow) {
                resp.headers_mut().insert(header::ALLOW, v);
            }
            return Ok(resp);
        }
        tracing::error!(method = %req.method(), pattern, "route without an access rule refused");
        return Ok(refuse(req, AppError::Forbidden("this route has no access rule".into())));
    };
    // Input hygiene at the edge: no NUL or other control character in any query or path
    // value (PostgreSQL cannot even store NUL), whatever the handler does with it.
    if let Err(e) = hygiene::query_and_path(&req, &pattern) {
        return Ok(refuse(req, e));
    }
    // Static files, health checks and the OpenAPI document never need to know who asks:
    // skipping the session lookup keeps them free of database work.
    let needs_identity = perm != Permission::Public || family == Family::Ui;
    let identity = match if needs_identity { identify(&state, &req).await } else { Ok(None) } {
        Ok(i) => i,
        // Public routes (health checks above all) answer even when the database does not.
        Err(e) if perm == Permission::Public => {
            tracing::warn!(error = %e, "could not identify the caller of a public route");
            None
        }
        Err(e) => return Ok(refuse(req, e)),
    };
    if let Some(id) = &identity {
        super::request_log::record_user(&id.user.id);
        req.extensions_mut().insert(id.clone());
    }
    // Forms shown before sign-in (sign-in, setup) need a CSRF token too: a random one in
    // a strict cookie, echoed by the form.
    let new_anon_token = if family == Family::Ui && identity.is_none() && req.cookie(csrf::ANON_COOKIE).is_none() {
        let token = crate::auth::secret::random_hex();
        req.extensions_mut().insert(csrf::AnonToken(token.clone()));
        Some(token)
    } else {
        None
    };
    // An account with a temporary password reaches only the change-password page (and
    // sign-out) until it chooses its own; its API tokens are refused meanwhile.
    if let Some(id) = &identity
        && id.user.must_change_password
        && perm != Permission::Public
        && !WHILE_PASSWORD_CHANGE_DUE.contains(&(req.method().as_str(), pattern.as_str()))
    {
        if family == Family::Api {
            let msg = "this account has a temporary password: sign in to the web UI and choose a new one first";
            return Ok(refuse(req, AppError::Forbidden(msg.into())));
        }
        let resp = HttpResponse::SeeOther().insert_header((header::LOCATION, CHANGE_PASSWORD_PAGE)).finish();
        return Ok(req.into_response(resp));
    }
    if perm != Permission::Public {
        match &identity {
            None if family == Family::Api => return Ok(refuse(req, AppError::Unauthorized)),
            None => {
                let resp = to_sign_in(&req);
                return Ok(req.into_response(resp));
            }
            Some(id) if !id.user.role.allows(perm) => {
                let msg = format!(
                    "your role ({}) does not allow this: it needs {}",
                    id.user.role,
                    perm.label().to_lowercase()
                );
                return Ok(refuse(req, AppError::Forbidden(msg)));
            }
            Some(_) => {}
        }
    }
    if family == Family::Ui
        && !matches!(*req.method(), Method::GET | Method::HEAD)
        && let Err(e) = csrf::verify(&mut req, state.settings.max_body_bytes).await
    {
        return Ok(refuse(req, e));
    }
    let mut resp = next.call(req).await?.map_into_boxed_body();
    if let Some(token) = new_anon_token {
        resp.response_mut().add_cookie(&csrf::anon_cookie(token))?;
    }
    if state.settings.secure_cookies {
        secure_every_cookie(resp.response_mut())?;
    }
    Ok(resp)
}

/// Marks every cookie the response sets `Secure` (the flash message's included), so no
/// handler can forget it when reloop is served over HTTPS.
fn secure_every_cookie(resp: &mut HttpResponse) -> Result<(), actix_web::Error> {
    if resp.cookies().all(|c| c.secure() == Some(true)) {
        return Ok(());
    }
    let mut kept: Vec<actix_web::cookie::Cookie<'static>> = resp.cookies().map(|c| c.into_owned()).collect();
    resp.headers_mut().remove(header::SET_COOKIE);
    for c in kept.iter_mut() {
        c.set_secure(true);
        resp.add_cookie(c)?;
    }
    Ok(())
}

/// Sends an anonymous visitor to the sign-in page, coming back here afterwards.
fn to_sign_in(req: &ServiceRequest) -> HttpResponse {
    let here = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    };
    let next_param: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/login?next={next_param}"))).finish()
}
