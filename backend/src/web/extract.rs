//! Request extractors that fail with our error type, naming the offending field:
//! JSON bodies and query strings for the API, urlencoded forms for the UI. Bodies over
//! `RELOOP_MAX_BODY_BYTES` are refused with 413 before they are buffered in full. (Forms
//! reach a handler only after the access middleware has checked their CSRF token; the
//! body it read for that is kept as a [`BufferedBody`], so a form is read once.)

use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_LENGTH, HeaderMap};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use form_urlencoded::parse as url_parse;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::error::{ApiError, PageError};
use super::state::AppState;
use crate::error::AppError;

/// Reads a whole body, refusing (413) one larger than `limit` before buffering it all:
/// at once when the declared length says so, else as soon as the chunks pass it. The one
/// body reader of the edge (the CSRF check uses it too).
pub async fn read_limited(headers: &HeaderMap, mut payload: Payload, limit: usize) -> Result<Bytes, AppError> {
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(AppError::PayloadTooLarge { limit });
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::bad_request(None, format!("could not read the request body: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A request body already read (within the limit) by the CSRF check, left in the
/// request's extensions for [`FormBody`].
#[derive(Clone, Debug)]
pub struct BufferedBody(pub Bytes);

fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<actix_web::web::Data<AppState>>().map(|s| s.settings.max_body_bytes).unwrap_or(1024 * 1024)
}

/// Turns a deserialisation failure into a 400 that names the field (`rows[2].kind`).
fn path_error<E: std::fmt::Display>(err: serde_path_to_error::Error<E>, what: &str) -> AppError {
    let path = err.path().to_string();
    let field = (path != "." && !path.is_empty()).then_some(path);
    let inner = err.into_inner().to_string();
    // serde names the unknown field itself; report it as the field.
    let field = field
        .or_else(|| inner.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next()).map(str::to_owned));
    let message = match &field {
        Some(f) => format!("{what}: {f}: {inner}"),
        None => format!("{what}: {inner}"),
    };
    AppError::BadRequest { field, message }
}

/// Parses JSON strictly, with the path of the first bad field in the error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(AppError::bad_request(None, "the request body is empty; send a JSON object")),
        // serde would read a struct from an array, by position: refuse anything but an object.
        Some(b'{') => {}
        Some(_) => return Err(AppError::bad_request(None, "the request body must be a JSON object")),
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| path_error(e, "invalid JSON body"))?;
    de.end().map_err(|e| AppError::bad_request(None, format!("invalid JSON body: {e}")))?;
    Ok(value)
}

/// Parses a query string strictly, naming the bad parameter.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let de = serde_urlencoded::Deserializer::new(url_parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| path_error(e, "invalid query parameter"))
}

/// A JSON request body (`Content-Type: application/json`), strictly typed.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let mime = req.mime_type().ok().flatten();
            let is_json = mime.as_ref().is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
            if !is_json {
                return Err(ApiError(AppError::UnsupportedMediaType(
                    "send the body as JSON with Content-Type: application/json".into(),
                )));
            }
            let bytes = read_limited(req.headers(), payload, body_limit(&req)).await?;
            Ok(ApiJson(parse_json(&bytes)?))
        })
    }
}

/// An optional JSON body: absent or empty means `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let bytes = read_limited(req.headers(), payload, body_limit(&req)).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(T::default()));
            }
            Ok(OptionalJson(parse_json(&bytes)?))
        })
    }
}

/// API query parameters, strictly typed (unknown parameters are refused).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ApiQuery).map_err(ApiError))
    }
}

/// A urlencoded HTML form body. Forms carry strings; handlers convert and validate them
/// so that errors show next to the field.
pub struct FormBody<T>(pub T);

/// A submitted form's body decoded into `T`: control characters refused, the field that
/// failed named (the fuzz target `form_decoder` calls this).
pub fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    super::hygiene::form(bytes)?;
    let de = serde_urlencoded::Deserializer::new(url_parse(bytes));
    serde_path_to_error::deserialize(de).map_err(|e| path_error(e, "invalid form"))
}

impl<T: DeserializeOwned + 'static> FromRequest for FormBody<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            if req.content_type() != "application/x-www-form-urlencoded" {
                return Err(PageError(AppError::UnsupportedMediaType("expected a submitted HTML form".into())));
            }
            let buffered = req.extensions_mut().remove::<BufferedBody>();
            let bytes = match buffered {
                Some(BufferedBody(bytes)) => bytes,
                None => read_limited(req.headers(), payload, body_limit(&req)).await?,
            };
            Ok(FormBody(parse_form(&bytes)?))
        })
    }
}
