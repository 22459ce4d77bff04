//! Error pages in the site's frame. A UI error leaves its [`ErrorDetails`] on the
//! response (`web::error`); this middleware, on the way out, renders them with the
//! visitor's own navigation, whichever layer refused the request (the access check, an
//! extractor, a handler, or no route at all).

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use askama::Template;

use super::layout::Layout;
use crate::web::error::ErrorDetails;
use crate::web::request_log::RequestId;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    title: String,
    message: String,
    /// Field problems as (the field's label, the message), in the UI's words.
    fields: Vec<(String, String)>,
    /// The request's id (`X-Request-Id`), for the user to quote.
    request_id: Option<String>,
}

/// Renders the page of any UI error response.
pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(details) = res.response().extensions().get::<ErrorDetails>().cloned() else {
        return Ok(res);
    };
    let page = ErrorPage {
        l: Layout::new(res.request(), "error"),
        status: details.status,
        title: details.title,
        message: details.message,
        fields: details
            .fields
            .into_iter()
            .map(|f| (crate::text::field_label_or_name(&f.field), crate::text::plain(&f.message)))
            .collect(),
        request_id: res.request().extensions().get::<RequestId>().map(|r| r.0.clone()),
    };
    let Ok(html) = page.render() else { return Ok(res) };
    Ok(res.map_body(|head, _| {
        head.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        head.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        BoxBody::new(html)
    }))
}
