//! Input hygiene at the edge: no NUL or other control character reaches a handler in a
//! query parameter, a path segment or a form field (PostgreSQL cannot store NUL at all,
//! and no identifier, tag or filter ever needs one). The refusal is a 400 naming the
//! parameter, the same on both databases. Form fields may hold line breaks and tabs
//! (notes are multi-line); query and path values may not.

use actix_web::dev::ServiceRequest;

use crate::error::AppError;

fn refuse(kind: &str, name: &str) -> AppError {
    AppError::bad_request(
        Some(name.to_owned()),
        format!("{kind} {name}: must not contain NUL or other control characters"),
    )
}

/// Checks every query parameter (name and value) and every path segment; `pattern` is
/// the route's pattern, which names the segments.
pub fn query_and_path(req: &ServiceRequest, pattern: &str) -> Result<(), AppError> {
    for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if k.chars().any(char::is_control) {
            return Err(AppError::bad_request(None, "a query parameter's name contains a control character"));
        }
        if v.chars().any(char::is_control) {
            return Err(refuse("query parameter", &k));
        }
    }
    // Path segments, named by the route's pattern (the router has not filled in the
    // match info yet when the access middleware runs).
    let names: Vec<&str> = pattern.split('/').collect();
    for (i, segment) in req.path().split('/').enumerate() {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        if decoded.chars().any(char::is_control) {
            let name =
                names.get(i).and_then(|n| n.strip_prefix('{')).and_then(|n| n.strip_suffix('}')).unwrap_or("path");
            return Err(refuse("path segment", name));
        }
    }
    Ok(())
}

/// Checks a urlencoded form body: line breaks and tabs are fine, other controls are not.
pub fn form(body: &[u8]) -> Result<(), AppError> {
    for (k, v) in form_urlencoded::parse(body) {
        if k.chars().any(char::is_control) {
            return Err(AppError::bad_request(None, "a form field's name contains a control character"));
        }
        if v.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(refuse("form field", &k));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn forms_keep_line_breaks_and_refuse_nul_naming_the_field() {
        assert!(super::form(b"notes=line+one%0D%0Aline+two%09tabbed").is_ok());
        let err = super::form(b"username=ad%00min&password=x").expect_err("NUL");
        assert_eq!(err.field(), Some("username"));
        assert!(err.to_string().contains("form field username"), "{err}");
        assert!(super::form(b"a=%1B").is_err(), "escape");
    }
}
