//! Extractors that turn every kind of bad input into an [`ApiError`] problem document.
//!
//! axum's own extractors answer rejections with plain text; these wrap the same work and answer
//! with the contract of `API.md`: 415 for a body that is not JSON, 413 for one over the limit,
//! 400 for malformed JSON, 422 with the path of the offending field for JSON or a query string of
//! the wrong shape (including unknown fields, for types with `#[serde(deny_unknown_fields)]`),
//! and 404 for a path parameter that cannot name anything (a malformed id).

use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// A JSON request body (as an extractor) or response body (as a response).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(req.headers()) {
            return Err(not_json());
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        parse_json(&bytes).map(Json)
    }
}

/// An optional JSON body (`Option<Json<T>>`): no body at all is `None`; a body must be JSON.
impl<T, S> OptionalFromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        if req.headers().contains_key(header::CONTENT_TYPE) {
            return <Self as FromRequest<S>>::from_request(req, state)
                .await
                .map(Some);
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        if bytes.is_empty() {
            Ok(None)
        } else {
            Err(not_json())
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn not_json() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "the request body must be JSON (Content-Type: application/json)",
    )
}

/// Parses a JSON document into `T`, telling syntax errors (400) from shape errors (422).
///
/// The document is read into a [`serde_json::Value`] first, so that the text rule
/// ([`crate::text::check`]) is applied to every string and key, wherever it is, before `T` sees
/// it; every string that breaks it is reported, each under its path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
        ApiError::bad_request(format!("the request body is not valid JSON: {err}"))
    })?;
    let mut errors = Vec::new();
    check_text_in(&value, &mut String::new(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::invalid_field(field, strip_position(&err.into_inner().to_string()))
    })
}

/// Applies the text rule to every string and object key of `value`, recording failures under
/// their path (`title`, `tags[2]`, `poll.options[0]`).
fn check_text_in(value: &serde_json::Value, path: &mut String, errors: &mut Vec<FieldError>) {
    use serde_json::Value;
    let field = |path: &str| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        Value::String(text) => {
            if let Err(err) = crate::text::check(text) {
                errors.push(FieldError::new(field(path), err.to_string()));
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                check_text_in(item, path, errors);
                path.truncate(len);
            }
        }
        Value::Object(members) => {
            for (key, item) in members {
                if let Err(err) = crate::text::check(key) {
                    let message = format!("the member name `{}` {err}", key.escape_debug());
                    errors.push(FieldError::new(field(path), message));
                    continue;
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                check_text_in(item, path, errors);
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A query string parsed into `T`; a value of the wrong shape is a 422 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = url::form_urlencoded::parse(query.as_bytes());
        let errors: Vec<FieldError> = pairs
            .filter_map(|(name, value)| {
                let name = crate::text::check(&name)
                    .map(|()| name)
                    .map_err(|err| FieldError::new("query", format!("a parameter name {err}")));
                match name {
                    Ok(name) => crate::text::check(&value)
                        .err()
                        .map(|err| FieldError::new(name, err.to_string())),
                    Err(error) => Some(error),
                }
            })
            .collect();
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let deserializer = serde_urlencoded::Deserializer::new(pairs);
        serde_path_to_error::deserialize(deserializer)
            .map(Query)
            .map_err(|err| {
                let path = err.path().to_string();
                let field = if path == "." {
                    "query".to_owned()
                } else {
                    path
                };
                ApiError::invalid_field(field, err.into_inner().to_string())
            })
    }
}

/// Path parameters. A parameter that does not parse (a malformed id) names no resource: 404.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // A parameter with a control character names nothing either (and must never reach a
        // query: PostgreSQL refuses NUL).
        if let Ok(params) = RawPathParams::from_request_parts(parts, state).await
            && let Some((_, value)) = params
                .iter()
                .find(|(_, value)| crate::text::check(value).is_err())
        {
            return Err(ApiError::not_found(format!(
                "no resource at this path (`{}` holds a control character)",
                value.escape_debug()
            )));
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(err)) => Err(ApiError::not_found(
                format!("no resource at this path ({})", err.body_text()),
            )),
            Err(other) => Err(ApiError::internal(other.body_text())),
        }
    }
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    // axum reports a body over the `DefaultBodyLimit` (or over tower-http's limit) as a failure
    // to buffer with status 413; anything else is a broken upload.
    let status = rejection.status();
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::from_status(status)
    } else {
        ApiError::bad_request(format!(
            "the request body could not be read: {}",
            rejection.body_text()
        ))
    }
}

/// serde_json appends " at line 1 column 17" to data errors; the field path already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// Collects the failures of several fields so that one 422 reports all of them: a handler
/// checks every field, then calls [`FieldErrors::finish`].
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of `result`, if any, under `field`, and passes the value on.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err.to_string());
                None
            }
        }
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when nothing failed, else the 422 listing every failure.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

/// For fields of PATCH bodies that may be cleared: `Option<Option<T>>` where an absent field is
/// `None` (leave it) and `null` is `Some(None)` (clear it). Use with
/// `#[serde(default, deserialize_with = "agora_core::extract::nullable")]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        tags: Vec<String>,
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        let err = parse_json::<Body>(br#"{"title": 5, "tags": []}"#).expect_err("wrong type");
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.errors()[0].field, "title");
        assert!(!err.errors()[0].message.contains("line 1"));
    }

    #[test]
    fn a_nested_wrong_type_names_the_path() {
        let err = parse_json::<Body>(br#"{"title": "a", "tags": ["x", 2]}"#).expect_err("bad tag");
        assert_eq!(err.errors()[0].field, "tags[1]");
    }

    #[test]
    fn an_unknown_field_is_a_validation_error() {
        let err =
            parse_json::<Body>(br#"{"title": "a", "tags": [], "admin": true}"#).expect_err("extra");
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.errors()[0].message.contains("unknown field `admin`"));
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        for body in [
            &b"{"[..],
            b"{\"title\": }",
            b"",
            br#"{"title": "a", "tags": []} {}"#,
            b"\xff",
        ] {
            let err = parse_json::<Body>(body).expect_err("malformed");
            assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{body:?}");
        }
    }

    #[test]
    fn control_characters_anywhere_in_a_body_are_each_reported_under_their_path() {
        let err = parse_json::<Body>(
            br#"{"title": "a\u0000b", "tags": ["ok", "tab\tand\nnewline", "\u001b"]}"#,
        )
        .expect_err("NUL and ESC");
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let mut errors = err.errors().to_vec();
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tags[2]", "title"]);
        assert!(errors[1].message.contains("U+0000"));
        assert!(parse_json::<Body>(br#"{"title": "a\tb\r\n", "tags": []}"#).is_ok());
    }

    #[test]
    fn a_control_character_in_a_key_is_refused() {
        let err = parse_json::<Body>(br#"{"title": "a", "tags": [], "x\u0000": 1}"#)
            .expect_err("NUL in a key");
        assert_eq!(err.errors()[0].field, "body");
        assert!(
            err.errors()[0].message.contains("`x\\0`"),
            "{:?}",
            err.errors()
        );
    }

    #[test]
    fn json_content_types_are_recognised() {
        let mut headers = HeaderMap::new();
        for (value, ok) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("application/merge-patch+json", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
        ] {
            headers.insert(header::CONTENT_TYPE, value.parse().expect("valid header"));
            assert_eq!(is_json_content_type(&headers), ok, "{value}");
        }
    }

    #[test]
    fn field_errors_collect_every_failure() {
        let mut errors = FieldErrors::new();
        let a: Option<u8> = errors.check("a", "x".parse::<u8>());
        let b: Option<u8> = errors.check("b", "7".parse::<u8>());
        errors.add("c", "is required");
        assert_eq!((a, b), (None, Some(7)));
        let err = errors.finish().expect_err("two failures");
        assert_eq!(err.errors().len(), 2);
    }
}
