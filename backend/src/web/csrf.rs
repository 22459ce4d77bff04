//! Cross-site request forgery: every state-changing UI request must carry the token of the
//! session it acts for, or, before sign-in (the sign-in and setup forms), the token of a
//! strict cookie set with the form. The access middleware checks it for every non-GET UI
//! route before any handler runs, so no handler can forget it and a bodiless POST is
//! refused like any other. The API never reads cookies, so it needs no token.

use actix_web::HttpMessage;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest};
use form_urlencoded::parse as url_parse;

use super::extract::{BufferedBody, read_limited};
use super::identity::Identity;
use crate::auth::secret;
use crate::error::AppError;

/// The cookie holding the token for forms shown before sign-in.
pub const ANON_COOKIE: &str = "reloop_csrf";
/// The form field (and, for scripts, the `X-CSRF-Token` header) carrying the token.
pub const FIELD: &str = "csrf_token";
const HEADER: &str = "x-csrf-token";

/// A fresh anonymous token, set by the middleware on a page shown to a visitor who has none.
#[derive(Clone, Debug)]
pub struct AnonToken(pub String);

/// The token forms on this page must carry.
pub fn token_for(req: &actix_web::HttpRequest) -> String {
    let ext = req.extensions();
    match ext.get::<Identity>().and_then(|i| i.session.as_ref()) {
        Some((_, csrf)) => csrf.clone(),
        None => ext
            .get::<AnonToken>()
            .map(|a| a.0.clone())
            .or_else(|| req.cookie(ANON_COOKIE).map(|c| c.value().to_owned()))
            .unwrap_or_default(),
    }
}

/// The strict cookie that carries an anonymous token (the access middleware marks it
/// `Secure`, like every cookie, when reloop is served over HTTPS).
pub fn anon_cookie(token: String) -> Cookie<'static> {
    Cookie::build(ANON_COOKIE, token).path("/").http_only(true).same_site(SameSite::Strict).finish()
}

/// Checks the request's token against the one it must carry. A form body is read (within
/// `limit`) once: kept as a [`BufferedBody`] for the form extractor, and put back as the
/// payload for any other reader.
pub async fn verify(req: &mut ServiceRequest, limit: usize) -> Result<(), AppError> {
    let expected = match req.extensions().get::<Identity>().and_then(|i| i.session.clone()) {
        Some((_, csrf)) => Some(csrf),
        None => req.cookie(ANON_COOKIE).map(|c| c.value().to_owned()),
    };
    let mut given = req.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if given.is_none() && req.content_type() == "application/x-www-form-urlencoded" {
        let payload = req.parts_mut().1.take();
        let body = read_limited(req.headers(), payload, limit).await?;
        given = url_parse(&body).find(|(k, _)| k == FIELD).map(|(_, v)| v.into_owned());
        req.extensions_mut().insert(BufferedBody(body.clone()));
        req.set_payload(Payload::from(body));
    }
    match (expected, given) {
        (Some(e), Some(g)) if !g.is_empty() && secret::same(&e, &g) => Ok(()),
        _ => Err(AppError::Forbidden(
            "this form has expired or did not come from reloop; reload the page and submit it again".into(),
        )),
    }
}
