//! One id per request, and one log line for it. The outermost middleware: it names the
//! request (`X-Request-Id` from a trusted proxy when it is a sane token, otherwise a new
//! UUIDv7), runs everything inside in a `request` span carrying the id, the method and the
//! route's pattern (the access check adds the user's id), returns the id in the
//! `X-Request-Id` header, and logs the outcome with its duration. Error pages show the id
//! so that a user can quote it.
//!
//! Invariants:
//! - Only the route's pattern is logged (`/assets/{id}`), never the path or the query
//!   string, so nothing a client put in a URL reaches the logs; no header, cookie or body is
//!   logged.
//! - A client's own `X-Request-Id` is adopted only from a trusted proxy
//!   (`RELOOP_TRUSTED_PROXIES`), and only when it is 1–64 characters of `A–Z a–z 0–9 . _ -`.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Data;
use tracing::Instrument;

use super::state::AppState;

pub const HEADER: &str = "x-request-id";

/// The id of the request being served (in the request's extensions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The route's pattern, matched once per request here (`None`: no route matches).
#[derive(Clone, Debug)]
struct MatchedRoute(Option<String>);

/// The pattern of the route serving `req`, as matched by [`log_requests`] (matched afresh
/// when that middleware did not run).
pub fn route_of(req: &ServiceRequest) -> Option<String> {
    match req.extensions().get::<MatchedRoute>() {
        Some(m) => m.0.clone(),
        None => req.match_pattern(),
    }
}

/// A forwarded id worth keeping: a short token, nothing that could forge a log line.
fn sane(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn choose(req: &ServiceRequest) -> String {
    let trusted = match (req.peer_addr(), req.app_data::<Data<AppState>>()) {
        (Some(peer), Some(state)) => state.settings.is_trusted_proxy(peer.ip()),
        _ => false,
    };
    let forwarded = req.headers().get(HEADER).and_then(|v| v.to_str().ok()).filter(|v| sane(v));
    match forwarded {
        Some(id) if trusted => id.to_owned(),
        _ => uuid::Uuid::now_v7().to_string(),
    }
}

pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = choose(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let matched = req.match_pattern();
    req.extensions_mut().insert(MatchedRoute(matched.clone()));
    let route = matched.unwrap_or_else(|| "(no route)".to_owned());
    let method = req.method().clone();
    let quiet = matches!(route.as_str(), "/healthz" | "/readyz") || route.starts_with("/static");
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route, user = tracing::field::Empty);
    let started = Instant::now();
    crate::metrics::request_started();
    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = match &result {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    crate::metrics::request_done(method.as_str(), &route, status, elapsed);
    // Milliseconds to a tenth.
    let ms = (elapsed.as_secs_f64() * 10_000.0).round() / 10.0;
    let _entered = span.enter();
    match result {
        Ok(mut res) => {
            if let Ok(v) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(HeaderName::from_static(HEADER), v);
            }
            if quiet && status < 400 {
                tracing::debug!(status, ms, "served");
            } else if status >= 500 {
                tracing::warn!(status, ms, "served");
            } else {
                tracing::info!(status, ms, "served");
            }
            Ok(res)
        }
        Err(e) => {
            tracing::warn!(error = %e, ms, "failed");
            Err(e)
        }
    }
}

/// Notes who is calling on the current request's span.
pub fn record_user(user: &crate::ids::UserId) {
    tracing::Span::current().record("user", tracing::field::display(user.0));
}

#[cfg(test)]
mod tests {
    use super::sane;

    #[test]
    fn only_short_plain_ids_are_adopted() {
        assert!(sane("0193b6a2-7f1e-7c3d-9a55-3f2b1c0d9e8f"));
        assert!(sane("lb-42.a_b"));
        assert!(!sane(""));
        assert!(!sane(&"a".repeat(65)));
        assert!(!sane("abc\nforged log line"));
        assert!(!sane("a b"));
    }
}
