//! The one error type of the HTTP API, rendered as an RFC 9457 problem document.
//!
//! Every failure a client can see goes through [`ApiError`]: handlers return it, the extractors of
//! [`crate::extract`] turn rejections into it, and the server's outer middleware turns the few
//! responses made outside handlers (a timeout, a panic) into the same document. Clients switch on
//! `code`, a stable snake_case string; `title` and `detail` are for people.

use std::borrow::Cow;
use std::fmt;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::request_context;

/// Media type of problem documents (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// What every error response body looks like.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Problem {
    /// A URI that names the kind of problem: `urn:agora:problem:{code}`.
    #[serde(rename = "type")]
    #[schema(example = "urn:agora:problem:validation_failed")]
    pub kind: String,
    /// Short human summary of the status.
    #[schema(example = "Unprocessable Entity")]
    pub title: String,
    /// HTTP status code, repeated for convenience.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong with this request, for people.
    pub detail: String,
    /// Stable machine-readable code; clients switch on it.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// The `X-Request-Id` of the request, to quote in bug reports and find in logs.
    pub request_id: Option<String>,
    /// Per-field failures (validation errors); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extension members specific to a code (e.g. `current_version` on `version_conflict`).
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: Map<String, Value>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the request (`title`, `tags[2]`, `poll.options`); `body` or `query`
    /// when the failure is not about one field.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error that becomes a problem document. Boxed: errors are the cold path, and a small
/// `Result` keeps the happy path cheap.
#[derive(Debug)]
pub struct ApiError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    code: Cow<'static, str>,
    detail: Cow<'static, str>,
    errors: Vec<FieldError>,
    extensions: Map<String, Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self(Box::new(Inner {
            status,
            code: code.into(),
            detail: detail.into(),
            errors: Vec::new(),
            extensions: Map::new(),
            headers: Vec::new(),
        }))
    }

    /// 400: the request could not be read at all (malformed JSON, bad encoding).
    pub fn bad_request(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// 403: the caller is known but may not do this.
    pub fn forbidden(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404: nothing here, or nothing the caller may see (the two are never told apart).
    pub fn not_found(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 409: the request conflicts with the current state (a duplicate, an expired poll).
    pub fn conflict(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", detail)
    }

    /// 422 with one entry per invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        let mut error = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            detail,
        );
        error.0.errors = errors;
        error
    }

    /// 422 for a single field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 503: a dependency this request needs is down; retrying later may work.
    pub fn unavailable(
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, detail)
    }

    /// 500 for a real server fault. The cause is logged with the request id; the client only
    /// learns that something failed on our side, never internal details.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server failed to handle this request; it has been logged",
        )
    }

    /// The problem document a bare status stands for, for responses made outside handlers
    /// (layers that time out, limit bodies or catch panics).
    pub fn from_status(status: StatusCode) -> Self {
        let (code, detail): (&'static str, &'static str) = match status {
            StatusCode::BAD_REQUEST => ("bad_request", "the request is malformed"),
            StatusCode::UNAUTHORIZED => ("unauthorized", "authentication is required"),
            StatusCode::FORBIDDEN => ("forbidden", "this action is not allowed"),
            StatusCode::NOT_FOUND => ("not_found", "no resource at this path"),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "this method is not allowed on this path",
            ),
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => (
                "request_timeout",
                "the request took too long and was cancelled",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "the request body is larger than allowed",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "the content type of the request is not supported here",
            ),
            StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "too many requests; slow down"),
            StatusCode::SERVICE_UNAVAILABLE => {
                ("service_unavailable", "the service is unavailable")
            }
            s if s.is_server_error() => (
                "internal_error",
                "the server failed to handle this request; it has been logged",
            ),
            _ => ("error", "the request failed"),
        };
        Self::new(status, code, detail)
    }

    /// Adds an extension member to the problem document.
    pub fn with_extension(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.extensions.insert(key.to_owned(), value.into());
        self
    }

    /// Attaches per-field failures to an error of any status (e.g. a 409 naming the field
    /// that is already taken).
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.0.errors = errors;
        self
    }

    /// Adds a response header (e.g. `Retry-After`).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn code(&self) -> &str {
        &self.0.code
    }

    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    /// The document this error renders to, with the current request's id.
    pub fn to_problem(&self) -> Problem {
        let inner = &self.0;
        Problem {
            kind: format!("urn:agora:problem:{}", inner.code),
            title: inner
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            status: inner.status.as_u16(),
            detail: inner.detail.to_string(),
            code: inner.code.to_string(),
            request_id: request_context::request_id(),
            errors: inner.errors.clone(),
            extensions: inner.extensions.clone(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.0.status.as_u16(),
            self.0.code,
            self.0.detail
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Serializing a struct of strings and JSON values cannot fail; the fallback keeps the
        // status right even if it somehow did.
        let body = serde_json::to_vec(&self.to_problem()).unwrap_or_default();
        let mut response = (
            self.0.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response();
        for (name, value) in self.0.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_detail_names_the_single_field() {
        let err = ApiError::invalid_field("title", "must not be empty");
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.code(), "validation_failed");
        assert_eq!(err.detail(), "title: must not be empty");
    }

    #[test]
    fn problem_document_has_the_fields_of_the_contract() {
        let problem = ApiError::conflict("already liked")
            .with_extension("current_version", 3)
            .to_problem();
        let json = serde_json::to_value(&problem).expect("a problem serializes");
        assert_eq!(json["type"], "urn:agora:problem:conflict");
        assert_eq!(json["title"], "Conflict");
        assert_eq!(json["status"], 409);
        assert_eq!(json["code"], "conflict");
        assert_eq!(json["current_version"], 3);
        assert!(json.get("errors").is_none(), "empty errors are left out");
    }

    #[test]
    fn every_error_status_maps_to_an_error_code() {
        for status in 400..600u16 {
            let status = StatusCode::from_u16(status).expect("in range");
            let err = ApiError::from_status(status);
            assert!(!err.code().is_empty());
            assert_eq!(err.status(), status);
        }
    }
}
