//! The one application error type. Domain services return it; the web layer maps it to
//! HTTP (`web::error`), so users see a clear message naming the field while logs keep
//! the cause chain. Database errors become `AppError` in `db::error`, which knows the
//! index names.

use std::fmt;

use sea_orm::DbErr;
use serde::Serialize;

/// A problem with one input field, shown next to that field in forms and named in API errors.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request itself could not be read (malformed JSON, wrong types, unknown fields).
    #[error("{message}")]
    BadRequest { field: Option<String>, message: String },
    /// Well-formed input that breaks a rule (a cycle, a bad value, an unknown reference).
    #[error("{}", .0.first().map(|f| f.message.as_str()).unwrap_or("invalid input"))]
    Invalid(Vec<FieldError>),
    #[error("{what} {id} was not found")]
    NotFound { what: &'static str, id: String },
    /// The request clashes with the current state: a duplicate, a stale version, an
    /// illegal transition.
    #[error("{message}")]
    Conflict { code: &'static str, field: Option<String>, message: String },
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// No valid credentials (API: no or a bad bearer token).
    #[error("sign in first: send an API token as Authorization: Bearer <token>")]
    Unauthorized,
    /// Signed in, but the role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Items in the way of a release: data-bearing devices without the sanitization the
    /// move needs. A 409 that lists every one, so the page and the client can link them.
    #[error("{message}")]
    Blocked { message: String, items: Vec<Blocker> },
    /// A known path asked with a method it does not answer.
    #[error("{method} is not supported here; use {allowed}")]
    MethodNotAllowed { method: String, allowed: String },
    /// The database cannot serve the request now: not answering, disk full, read-only.
    /// Nothing was written; the message says what an administrator must look at.
    #[error("{message}")]
    Unavailable {
        message: &'static str,
        #[source]
        cause: DbErr,
    },
    #[error("database error")]
    Db(#[source] DbErr),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// An item that blocks a move, and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Blocker {
    pub id: crate::ids::AssetId,
    pub tag: String,
    pub reason: String,
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn bad_request(field: Option<String>, message: impl Into<String>) -> Self {
        AppError::BadRequest { field, message: message.into() }
    }

    pub fn not_found(what: &'static str, id: impl fmt::Display) -> Self {
        AppError::NotFound { what, id: id.to_string() }
    }

    pub fn conflict(code: &'static str, field: Option<&str>, message: impl Into<String>) -> Self {
        AppError::Conflict { code, field: field.map(str::to_owned), message: message.into() }
    }

    pub fn stale_version(what: &str, current: i32, given: i32) -> Self {
        AppError::conflict(
            "stale_version",
            Some("version"),
            format!(
                "this {what} was changed by someone else (version {given} is stale, the current version is {current}); reload and try again"
            ),
        )
    }

    /// A short machine-readable code, stable across releases (API clients match on it).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { .. } => "bad_request",
            AppError::Invalid(_) => "invalid",
            AppError::NotFound { .. } => "not_found",
            AppError::Conflict { code, .. } => code,
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::Blocked { .. } => "not_sanitized",
            AppError::MethodNotAllowed { .. } => "method_not_allowed",
            AppError::Unavailable { .. } => "unavailable",
            AppError::Db(_) | AppError::Internal(_) => "internal",
        }
    }

    /// The field the error is about, if any (the first one for several).
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::BadRequest { field, .. } | AppError::Conflict { field, .. } => field.as_deref(),
            AppError::Invalid(errs) => errs.first().map(|f| f.field.as_str()),
            _ => None,
        }
    }

    /// The same error with every field it names renamed by `rename` (a nested input's
    /// errors under its parent's name, `new_part.asset_tag`; a lower layer's field under the
    /// name the caller's input uses).
    pub fn map_fields(self, rename: impl Fn(String) -> String) -> AppError {
        match self {
            AppError::Invalid(errs) => {
                AppError::Invalid(errs.into_iter().map(|f| FieldError::new(rename(f.field), f.message)).collect())
            }
            AppError::Conflict { code, field, message } => {
                AppError::Conflict { code, field: field.map(rename), message }
            }
            AppError::BadRequest { field, message } => AppError::BadRequest { field: field.map(rename), message },
            other => other,
        }
    }

    /// All field errors, for forms that show each next to its input.
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            AppError::Invalid(errs) => errs.clone(),
            other => match other.field() {
                Some(f) => vec![FieldError::new(f, other.to_string())],
                None => Vec::new(),
            },
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::Internal(err)
    }
}

/// Collects field errors during validation, so a form shows every problem at once.
#[derive(Default, Debug)]
pub struct Problems(pub Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> AppResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(AppError::Invalid(self.0)) }
    }
}
