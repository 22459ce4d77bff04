//! Who is calling: the identity the access middleware established for a request, and
//! the extractor handlers use to get it.

use actix_web::HttpMessage;

use super::error::error_for;
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

/// The client's address. Without trusted proxies it is the peer. Behind them, it is the
/// rightmost `X-Forwarded-For` hop that is not a trusted proxy: each proxy appends the
/// address it received from, so everything left of that hop was written by the client and
/// proves nothing. A hop that is not an address ends the walk at the proxy that passed it on.
pub fn client_ip(req: &actix_web::HttpRequest, settings: &crate::settings::Settings) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else { return String::new() };
    if !settings.is_trusted_proxy(peer) {
        return peer.to_string();
    }
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) if settings.is_trusted_proxy(ip) => nearest = ip,
            Ok(ip) => return ip.to_string(),
            Err(_) => break,
        }
    }
    nearest.to_string()
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
            None => Err(error_for(req.path(), AppError::Unauthorized)),
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
