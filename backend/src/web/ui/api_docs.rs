//! The API page (`/api-docs`): reloop's OpenAPI document in Swagger UI, served from the
//! binary (no CDN), linked from every page's footer.

use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::layout::{Layout, ok};
use crate::web::error::PageResult;

#[derive(Template)]
#[template(path = "api_docs.html")]
pub struct ApiDocsPage {
    l: Layout,
}

pub async fn show(req: HttpRequest) -> PageResult<HttpResponse> {
    ok(&req, &ApiDocsPage { l: Layout::new(&req, "api") })
}
