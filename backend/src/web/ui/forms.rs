//! Form state for the UI: the submitted strings, their conversion into typed service
//! inputs, and the errors shown next to each field when a submission is refused.
//!
//! Every form handler has the same shape: read the fields into a service input (parse
//! errors land next to their fields), [`FormState::submit`] the service call, then either
//! redirect with a message or show the form again with its values and errors.

use std::collections::HashMap;
use std::future::Future;
use std::str::FromStr;

use chrono::NaiveDate;

use actix_web::http::StatusCode;

use crate::error::{AppError, AppResult, FieldError};
use crate::text;
use crate::web::error::{PageError, status_of};

/// What became of a submitted form.
pub enum Submitted<T> {
    /// The service accepted it.
    Done(T),
    /// Refused: show the form again with this status; the errors are in the form state.
    Refused(StatusCode),
}

/// A refusal for the page it concerns to show, with the status to answer with; or, when
/// it is not that page's to show (a server error, a vanished record), the error itself,
/// which becomes the error page.
pub fn refusal(e: AppError) -> Result<(StatusCode, AppError), PageError> {
    let status = status_of(&e);
    if status.is_server_error() || matches!(e, AppError::NotFound { .. }) {
        return Err(PageError(e));
    }
    Ok((status, e))
}

/// A form's values (as typed) and its errors (by field name).
#[derive(Clone, Debug, Default)]
pub struct FormState {
    pub values: HashMap<String, String>,
    pub errors: HashMap<String, String>,
    /// An error not tied to one field.
    pub general: Option<String>,
}

impl FormState {
    pub fn new(values: HashMap<String, String>) -> Self {
        FormState { values, ..Default::default() }
    }

    pub fn with(mut self, field: &str, value: impl Into<String>) -> Self {
        self.values.insert(field.to_owned(), value.into());
        self
    }

    /// The submitted value, or "" (templates show it back in the input).
    pub fn val(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    /// Whether `value` is the one chosen for `field` (for `<select>`).
    pub fn is(&self, field: &str, value: &str) -> bool {
        self.val(field) == value
    }

    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.general.is_some()
    }

    /// The field errors on one line, each named by the label the form shows ("Kind: must
    /// be one of …; Site: is not a known site"), for a filter form whose refusal shows
    /// above the list.
    pub fn errors_line(&self) -> String {
        let mut lines: Vec<String> =
            self.errors.iter().map(|(k, v)| format!("{}: {v}", text::field_label_or_name(k))).collect();
        lines.sort();
        lines.join("; ")
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.entry(field.to_owned()).or_insert_with(|| message.into());
    }

    /// The trimmed value, or `None` when blank.
    pub fn opt(&self, field: &str) -> Option<String> {
        let v = self.val(field).trim();
        (!v.is_empty()).then(|| v.to_owned())
    }

    pub fn text(&self, field: &str) -> String {
        self.val(field).to_owned()
    }

    /// Parses a non-blank value, recording `hint` as the error if it does not parse.
    pub fn parse<T: FromStr>(&mut self, field: &str, hint: &str) -> Option<T> {
        let v = self.opt(field)?;
        match v.parse() {
            Ok(t) => Some(t),
            Err(_) => {
                self.fail(field, hint.to_owned());
                None
            }
        }
    }

    /// A closed-vocabulary value (kind, state, grade…).
    pub fn choice<T: FromStr<Err = String>>(&mut self, field: &str) -> Option<T> {
        let v = self.opt(field)?;
        match v.parse::<T>() {
            Ok(t) => Some(t),
            Err(e) => {
                self.fail(field, e);
                None
            }
        }
    }

    pub fn date(&mut self, field: &str) -> Option<NaiveDate> {
        self.parse(field, "must be a date such as 2024-03-31")
    }

    pub fn number(&mut self, field: &str) -> Option<f64> {
        let v = self.opt(field)?.replace(',', ".");
        match v.parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                self.fail(field, "must be a number");
                None
            }
        }
    }

    pub fn int(&mut self, field: &str) -> Option<i32> {
        self.parse(field, "must be a whole number")
    }

    /// Runs `call` unless the form's own fields already failed to parse, and takes on its
    /// refusal. A server error or a vanished record is not the form's to show: it becomes
    /// the error page.
    pub async fn submit<T>(&mut self, call: impl Future<Output = AppResult<T>>) -> Result<Submitted<T>, PageError> {
        if self.has_errors() {
            return Ok(Submitted::Refused(StatusCode::UNPROCESSABLE_ENTITY));
        }
        match call.await {
            Ok(t) => Ok(Submitted::Done(t)),
            Err(e) => self.refused(e).map(Submitted::Refused),
        }
    }

    /// Takes on a refusal to show the form again: returns the status to answer with, or
    /// the error itself when it is not the form's to show (see [`refusal`]).
    pub fn refused(&mut self, e: AppError) -> Result<StatusCode, PageError> {
        let (status, e) = refusal(e)?;
        self.absorb(&e);
        Ok(status)
    }

    /// Takes on a service's refusal: field errors next to their fields, the rest on top,
    /// in the UI's words ([`text::plain`]).
    pub fn absorb(&mut self, err: &AppError) {
        let fields = err.field_errors();
        if fields.is_empty() {
            self.general = Some(text::plain(&err.to_string()));
        }
        for f in fields {
            let message = text::plain(&f.message);
            if f.field == "version" {
                // The version is a hidden input: say it on top of the form.
                self.general = Some(message);
                continue;
            }
            // Nested fields ("grade.functional") map onto their form input names.
            let name = f.field.replace('.', "_");
            self.fail(&name, message);
        }
    }

    /// Takes on the problems a service's dry run found (`assets::service::problems`, …)
    /// beside the form's own parse errors, which stay for their fields: every error of a
    /// submission shows at once.
    pub fn absorb_problems(&mut self, fields: Vec<FieldError>) {
        if !fields.is_empty() {
            self.absorb(&AppError::Invalid(fields));
        }
    }
}
