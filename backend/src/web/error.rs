//! Where application errors become HTTP responses: JSON for the API, an HTML page for
//! the UI. The status comes from the error's class; internal causes are logged with
//! their whole chain and never shown.
//!
//! A UI error carries its [`ErrorDetails`] in the response; `ui::error_page` renders the
//! page in the site's frame (with the visitor's navigation) on the way out, so this
//! module needs no templates and the page looks like every other.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, FieldError};

pub fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Conflict { .. } | AppError::Blocked { .. } => StatusCode::CONFLICT,
        AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Logs server-side failures with their cause chain (the user sees a generic message).
fn log(err: &AppError) {
    if status_of(err).is_server_error() {
        let mut chain = String::new();
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(error = %err, cause = %chain, "request failed");
    }
}

/// The API error body: `{"error": {"code", "message", "field"?, "fields"?}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: bad_request, invalid, not_found, duplicate,
    /// stale_version, concurrent_change, illegal_transition, payload_too_large, …
    pub code: String,
    pub message: String,
    /// The input field the error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field problem, when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// The items in the way (`not_sanitized`: the data-bearing devices without the
    /// sanitization the move needs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<crate::error::Blocker>,
}

pub fn error_body(err: &AppError) -> ErrorBody {
    let fields = match err {
        AppError::Invalid(f) if f.len() > 1 => f.clone(),
        _ => Vec::new(),
    };
    let message = match err {
        AppError::Invalid(f) => {
            f.first().map(|f| format!("{}: {}", f.field, f.message)).unwrap_or_else(|| err.to_string())
        }
        _ => err.to_string(),
    };
    ErrorBody {
        error: ErrorDetail {
            code: err.code().to_owned(),
            message,
            field: err.field().map(str::to_owned),
            fields,
            blockers: match err {
                AppError::Blocked { items, .. } => items.clone(),
                _ => Vec::new(),
            },
        },
    }
}

/// An error answered as JSON (API routes).
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        log(&self.0);
        let mut resp = HttpResponse::build(self.status_code());
        if matches!(self.0, AppError::Unauthorized) {
            resp.insert_header(("WWW-Authenticate", "Bearer realm=\"reloop\""));
        }
        resp.json(error_body(&self.0))
    }
}

/// What the error page shows, left on the response for `ui::error_page` to render.
#[derive(Clone, Debug)]
pub struct ErrorDetails {
    pub status: u16,
    pub title: String,
    pub message: String,
    pub fields: Vec<FieldError>,
}

/// An error page's heading, in plain words.
fn page_title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "That request could not be read",
        401 => "Sign in first",
        403 => "Not allowed",
        404 => "Not found",
        405 => "Not possible here",
        409 => "Not done",
        413 => "Too large",
        415 => "Not a form",
        422 => "Some values need correcting",
        503 => "Not available right now",
        s if s >= 500 => "Something went wrong",
        _ => "Not done",
    }
}

/// What an error page says, in the UI's words: an address that names no item says so
/// (never the router's "Path deserialize error"), field and vocabulary names become the
/// labels the UI shows ([`crate::text::plain`]), and a server error says only that.
fn page_message(err: &AppError, status: StatusCode) -> String {
    match err {
        _ if status.is_server_error() => "Something went wrong on our side; the details are in the server log.".into(),
        AppError::NotFound { what: "resource", .. } => {
            "That address does not name an item: check the link, or scan or search for the item's tag or serial.".into()
        }
        AppError::NotFound { what: "page", id } => format!("There is no page at {id}."),
        AppError::NotFound { .. } => {
            format!("{}: check the link, or search for it.", crate::text::plain(&err.to_string()))
        }
        AppError::BadRequest { .. } => {
            format!("That request could not be read: {}", crate::text::plain(&err.to_string()))
        }
        _ => crate::text::plain(&err.to_string()),
    }
}

/// An error answered as an HTML page (UI routes).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        status_of(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        log(&self.0);
        let status = self.status_code();
        let details = ErrorDetails {
            status: status.as_u16(),
            title: page_title(status).to_owned(),
            message: page_message(&self.0, status),
            fields: self.0.field_errors(),
        };
        // A plain body in case nothing renders the page (it never reaches a browser
        // through `web::server`, whose error-page middleware replaces it).
        let mut resp = HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(format!("{} {}: {}", details.status, details.title, details.message));
        resp.extensions_mut().insert(details);
        resp
    }
}

/// Whether `path` belongs to the JSON API (`/api/…`): bearer tokens, JSON errors.
pub(super) fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// `err` in the format of the family `path` belongs to: JSON for the API, an HTML page
/// for everything else.
pub fn error_for(path: &str, err: AppError) -> actix_web::Error {
    if is_api(path) { ApiError(err).into() } else { PageError(err).into() }
}

/// The response to `err` on `path` (see [`error_for`]).
pub fn respond(path: &str, err: AppError) -> HttpResponse {
    error_for(path, err).error_response()
}

pub type ApiResult<T> = Result<T, ApiError>;
pub type PageResult<T> = Result<T, PageError>;
