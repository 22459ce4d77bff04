//! Answers a browser saves as a file: a body with its media type and a file name
//! (`Content-Disposition: attachment`). The API's CSV and the pages' CSV and JSON
//! downloads go through [`attachment`].

use actix_web::HttpResponse;
use actix_web::body::MessageBody;

/// `body` to be saved as `name` (plain ASCII, no quotes), of media type `content_type`.
pub fn attachment<B: MessageBody + 'static>(body: B, content_type: &str, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .body(body)
}

/// A CSV file to be saved as `name`.
pub fn csv<B: MessageBody + 'static>(body: B, name: &str) -> HttpResponse {
    attachment(body, "text/csv; charset=utf-8", name)
}
