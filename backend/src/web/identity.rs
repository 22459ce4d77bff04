//! Who is calling: the identity the access middleware established for a request, and
//! the extractor handlers use to get it.

use actix_web::HttpMessage;

use super::error::{ApiError, PageError};
use crate::auth::User;
use crate::error::AppError;

/// The signed-in user of a request, and how they signed in.
#[derive(Clone, Debug)]
pub struct Identity {
    pub user: User,
    /// The session (hash and CSRF token) for cookie sign-ins; `None` for API tokens.
    pub session: Option<(String, String)>,
}

pub const SESSION_COOKIE: &str = "reloop_session";

pub(super) fn is_api(path: &str) -> bool {
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
