//! One-shot messages across a redirect: a change succeeds, the browser is sent (303) to
//! the page that shows the result, and that page shows the message once.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

const COOKIE: &str = "reloop_flash";

/// The message left by the previous request, if any.
pub fn take(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE).map(|c| percent_decode(c.value())).filter(|m| !m.is_empty())
}

/// The cookie that removes a message once a page has shown it.
pub fn cleared(req: &HttpRequest) -> Option<Cookie<'static>> {
    req.cookie(COOKIE)?;
    let mut gone = Cookie::new(COOKIE, "");
    gone.set_path("/");
    gone.make_removal();
    Some(gone)
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
