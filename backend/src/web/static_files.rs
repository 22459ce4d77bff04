//! The stylesheet, script and icon, and the API page's vendored Swagger UI, compiled into the binary: nothing to find on disk at
//! run time, and the working directory never matters.

use actix_web::http::header;
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse, get};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct File {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

const FILES: &[File] = &[
    File { name: "app.css", mime: "text/css; charset=utf-8", body: include_bytes!("../../../static/app.css") },
    File { name: "app.js", mime: "text/javascript; charset=utf-8", body: include_bytes!("../../../static/app.js") },
    File { name: "icon.svg", mime: "image/svg+xml", body: include_bytes!("../../../static/icon.svg") },
    // The API page: Swagger UI (vendored, see static/vendor/swagger-ui/README.md) and its start.
    File {
        name: "api-docs.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../../static/api-docs.js"),
    },
    File {
        name: "swagger-ui-bundle.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../../static/vendor/swagger-ui/swagger-ui-bundle.js"),
    },
    File {
        name: "swagger-ui.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../../../static/vendor/swagger-ui/swagger-ui.css"),
    },
];

fn etags() -> &'static Vec<String> {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        FILES
            .iter()
            .map(|f| {
                let digest = Sha256::digest(f.body);
                format!("\"{}\"", digest.iter().take(8).map(|b| format!("{b:02x}")).collect::<String>())
            })
            .collect()
    })
}

#[get("/static/{name}")]
pub async fn serve(req: HttpRequest, name: Path<String>) -> HttpResponse {
    let Some(i) = FILES.iter().position(|f| f.name == name.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    let etag = &etags()[i];
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    resp.insert_header((header::ETAG, etag.clone())).insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    if fresh {
        return resp.finish();
    }
    resp.content_type(FILES[i].mime).body(FILES[i].body)
}
