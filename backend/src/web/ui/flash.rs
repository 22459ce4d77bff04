//! One-shot messages across a redirect: a change succeeds, the browser is sent (303) to
//! the page that shows the result, and that page shows the message once.
//!
//! The same way, a refused (or not yet confirmed) action leaves its form's state in a
//! second cookie, the form slot ([`keep`], [`kept`]): post/redirect/get, so reloading the
//! page that shows the refusal never sends the action again.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

const COOKIE: &str = "reloop_flash";

/// The message left by the previous request, if any.
pub fn take(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE).map(|c| percent_decode(c.value())).filter(|m| !m.is_empty())
}

/// The form slot's cookie.
const SLOT: &str = "reloop_form";

/// Largest encoded slot kept (browsers drop cookies over 4 KiB).
pub const SLOT_MAX: usize = 3_600;

/// The cookies that remove a message and a form slot once a page has shown them.
pub fn cleared(req: &HttpRequest) -> Vec<Cookie<'static>> {
    [COOKIE, SLOT]
        .into_iter()
        .filter(|name| req.cookie(name).is_some())
        .map(|name| {
            let mut gone = Cookie::new(name, "");
            gone.set_path("/");
            gone.make_removal();
            gone
        })
        .collect()
}

/// `slot` encoded for its cookie, or `None` when it would be too large to keep.
pub fn encode_slot<T: serde::Serialize>(slot: &T) -> Option<String> {
    let json = serde_json::to_string(slot).ok()?;
    let value: String = form_urlencoded::byte_serialize(json.as_bytes()).collect();
    (value.len() <= SLOT_MAX).then_some(value)
}

/// Redirects (303) to `location`, keeping a form's state (already [`encode_slot`]d) for
/// the page there to show once.
pub fn keep(location: &str, encoded: String) -> HttpResponse {
    let slot = Cookie::build(SLOT, encoded)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(300))
        .finish();
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).cookie(slot).finish()
}

/// The form state the previous request kept, if any (and if it still decodes).
pub fn kept<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Option<T> {
    req.cookie(SLOT).and_then(|c| serde_json::from_str(&percent_decode(c.value())).ok())
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("m={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// Redirects after a successful change, leaving a message for the next page.
pub fn done(location: &str, message: &str) -> HttpResponse {
    done_setting(location, message, Vec::new())
}

/// Like [`done`], setting (or removing) further cookies on the way.
pub fn done_setting(location: &str, message: &str, cookies: Vec<Cookie<'static>>) -> HttpResponse {
    let value: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
    let flash = Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(60))
        .finish();
    let mut resp = HttpResponse::SeeOther();
    resp.insert_header((header::LOCATION, location)).cookie(flash);
    for c in cookies {
        resp.cookie(c);
    }
    resp.finish()
}
