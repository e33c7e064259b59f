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

use crate::codes::{self, ErrorCode};
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
    /// What is wrong with it, for programs: one of the field error codes of `docs/errors.md`.
    pub code: FieldCode,
    /// What is wrong with it, for people.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: FieldCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// Why a field is invalid, for programs. The list is closed on purpose: these are kinds of
/// failure every product shares, so a client can handle them once (a product's own rule says
/// what is particular in the `message`, or gets a problem code of its own).
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum FieldCode {
    Required,
    InvalidType,
    InvalidEnum,
    InvalidFormat,
    TooShort,
    TooLong,
    OutOfRange,
    UnknownField,
    ControlCharacter,
    Duplicate,
    Taken,
    Invalid,
}

impl FieldCode {
    /// Every code, in the order `docs/errors.md` lists them.
    pub const ALL: &[FieldCode] = &[
        FieldCode::Required,
        FieldCode::InvalidType,
        FieldCode::InvalidEnum,
        FieldCode::InvalidFormat,
        FieldCode::TooShort,
        FieldCode::TooLong,
        FieldCode::OutOfRange,
        FieldCode::UnknownField,
        FieldCode::ControlCharacter,
        FieldCode::Duplicate,
        FieldCode::Taken,
        FieldCode::Invalid,
    ];

    /// The code as sent (`too_long`).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldCode::Required => "required",
            FieldCode::InvalidType => "invalid_type",
            FieldCode::InvalidEnum => "invalid_enum",
            FieldCode::InvalidFormat => "invalid_format",
            FieldCode::TooShort => "too_short",
            FieldCode::TooLong => "too_long",
            FieldCode::OutOfRange => "out_of_range",
            FieldCode::UnknownField => "unknown_field",
            FieldCode::ControlCharacter => "control_character",
            FieldCode::Duplicate => "duplicate",
            FieldCode::Taken => "taken",
            FieldCode::Invalid => "invalid",
        }
    }

    /// When it is reported, for `docs/errors.md`.
    pub fn meaning(self) -> &'static str {
        match self {
            FieldCode::Required => {
                "A required field is missing, `null`, or blank where text is required."
            }
            FieldCode::InvalidType => {
                "The JSON type is wrong (a number where a string is expected, …)."
            }
            FieldCode::InvalidEnum => {
                "The value is not one of the allowed values (the message lists them)."
            }
            FieldCode::InvalidFormat => {
                "The value does not have the required form: an email address, a URL, a time \
                 (RFC 3339), a username's characters, a cursor, a duration."
            }
            FieldCode::TooShort => "A text or list is shorter than allowed.",
            FieldCode::TooLong => "A text or list is longer than allowed (characters or items).",
            FieldCode::OutOfRange => "A number or time is outside the allowed range.",
            FieldCode::UnknownField => {
                "The member is not part of the request type (request types refuse unknown fields)."
            }
            FieldCode::ControlCharacter => {
                "Text holds a control character (anything but tab, line feed and carriage \
                 return; single-line fields refuse those too)."
            }
            FieldCode::Duplicate => {
                "A list holds the same value twice, or the value is already in the list."
            }
            FieldCode::Taken => {
                "The value is already used by someone else (a username, an email address)."
            }
            FieldCode::Invalid => "The value breaks a rule of its own; the message says which.",
        }
    }
}

impl fmt::Display for FieldCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why one value is invalid, before the caller knows under which field it is reported: what a
/// rule function returns (`fn title(value: &str) -> Result<String, Invalid>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: FieldCode,
    pub message: String,
}

impl Invalid {
    pub fn new(code: FieldCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The error of field `field`.
    pub fn at(self, field: impl Into<String>) -> FieldError {
        FieldError::new(field, self.code, self.message)
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Invalid {}

impl ErrorCode {
    /// An error of this code with a detail for people.
    pub fn with_detail(&'static self, detail: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::from_code(self, detail)
    }
}

/// An error that becomes a problem document. Boxed: errors are the cold path, and a small
/// `Result` keeps the happy path cheap.
#[derive(Debug)]
pub struct ApiError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    /// The code's status, except for [`ApiError::from_status`] (a 504 reads `request_timeout`).
    status: StatusCode,
    code: &'static ErrorCode,
    detail: Cow<'static, str>,
    errors: Vec<FieldError>,
    extensions: Map<String, Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// What went wrong inside, for [`ApiError::internal`]: never sent to the client, carried to
    /// the error log as a [`ServerErrorCause`] extension of the response.
    cause: Option<String>,
}

/// The cause of a 5xx answer, in the response's extensions (not its body) for the layer that
/// records server errors (the error log, Sentry).
#[derive(Debug, Clone)]
pub struct ServerErrorCause(pub String);

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error of a declared code. There is no constructor from a bare string: a code that is
    /// not declared (and so not documented) cannot reach a client.
    pub fn from_code(code: &'static ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self(Box::new(Inner {
            status: code.status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            extensions: Map::new(),
            headers: Vec::new(),
            cause: None,
        }))
    }

    /// 400: the request could not be read at all (malformed JSON, bad encoding).
    pub fn bad_request(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::from_code(&codes::BAD_REQUEST, detail)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::from_code(&codes::UNAUTHORIZED, detail).with_bearer_challenge()
    }

    /// Adds `WWW-Authenticate: Bearer`, which every 401 carries.
    pub fn with_bearer_challenge(self) -> Self {
        self.with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// 403: the caller is known but may not do this.
    pub fn forbidden(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::from_code(&codes::FORBIDDEN, detail)
    }

    /// 404: nothing here, or nothing the caller may see (the two are never told apart).
    pub fn not_found(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::from_code(&codes::NOT_FOUND, detail)
    }

    /// 409: the request conflicts with the current state (a duplicate, an expired poll).
    pub fn conflict(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::from_code(&codes::CONFLICT, detail)
    }

    /// 422 with one entry per invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        Self::from_code(&codes::VALIDATION_FAILED, detail).with_errors(errors)
    }

    /// 422 for a single field.
    pub fn invalid_field(
        field: impl Into<String>,
        code: FieldCode,
        message: impl Into<String>,
    ) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    /// 422 for a single field that broke a rule.
    pub fn invalid(field: impl Into<String>, invalid: Invalid) -> Self {
        Self::validation(vec![invalid.at(field)])
    }

    /// 500 for a real server fault. The cause is logged with the request id; the client only
    /// learns that something failed on our side, never internal details.
    pub fn internal(cause: impl fmt::Display) -> Self {
        let cause = cause.to_string();
        tracing::error!(error = %cause, "internal error");
        let mut error = Self::from_code(
            &codes::INTERNAL_ERROR,
            "the server failed to handle this request; it has been logged",
        );
        error.0.cause = Some(cause);
        error
    }

    /// The problem document a bare status stands for, for responses made outside handlers
    /// (layers that time out, limit bodies or catch panics).
    pub fn from_status(status: StatusCode) -> Self {
        let (code, detail): (&'static ErrorCode, &'static str) = match status {
            StatusCode::BAD_REQUEST => (&codes::BAD_REQUEST, "the request is malformed"),
            StatusCode::UNAUTHORIZED => (&codes::UNAUTHORIZED, "authentication is required"),
            StatusCode::FORBIDDEN => (&codes::FORBIDDEN, "this action is not allowed"),
            StatusCode::NOT_FOUND => (&codes::NOT_FOUND, "no resource at this path"),
            StatusCode::METHOD_NOT_ALLOWED => (
                &codes::METHOD_NOT_ALLOWED,
                "this method is not allowed on this path",
            ),
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => (
                &codes::REQUEST_TIMEOUT,
                "the request took too long and was cancelled",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                &codes::PAYLOAD_TOO_LARGE,
                "the request body is larger than allowed",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                &codes::UNSUPPORTED_MEDIA_TYPE,
                "the content type of the request is not supported here",
            ),
            StatusCode::TOO_MANY_REQUESTS => (&codes::RATE_LIMITED, "too many requests; slow down"),
            StatusCode::SERVICE_UNAVAILABLE => {
                (&codes::SERVICE_UNAVAILABLE, "the service is unavailable")
            }
            s if s.is_server_error() => (
                &codes::INTERNAL_ERROR,
                "the server failed to handle this request; it has been logged",
            ),
            _ => (&codes::ERROR, "the request failed"),
        };
        let mut error = Self::from_code(code, detail);
        error.0.status = status;
        error
    }

    /// Replaces the detail (a layer's own text for a status it made).
    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Self {
        self.0.detail = detail.into();
        self
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

    pub fn code(&self) -> &'static str {
        self.0.code.code
    }

    /// The declared code, with its documentation.
    pub fn error_code(&self) -> &'static ErrorCode {
        self.0.code
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
            kind: format!("urn:agora:problem:{}", inner.code.code),
            title: inner
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            status: inner.status.as_u16(),
            detail: inner.detail.to_string(),
            code: inner.code.code.to_owned(),
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
            self.0.code.code,
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
        let inner = *self.0;
        for (name, value) in inner.headers {
            response.headers_mut().append(name, value);
        }
        if let Some(cause) = inner.cause {
            response.extensions_mut().insert(ServerErrorCause(cause));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_detail_names_the_single_field() {
        let err = ApiError::invalid_field("title", FieldCode::Required, "must not be empty");
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
    fn field_codes_are_listed_once_and_sent_as_their_names() {
        let names: std::collections::HashSet<&str> =
            FieldCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(names.len(), FieldCode::ALL.len());
        for code in FieldCode::ALL {
            let json = serde_json::to_value(code).expect("a code serializes");
            assert_eq!(json, code.as_str());
        }
    }

    #[test]
    fn every_error_status_maps_to_an_error_code() {
        for status in 400..600u16 {
            let status = StatusCode::from_u16(status).expect("in range");
            let err = ApiError::from_status(status);
            assert!(
                codes::ERROR_CODES.contains(&err.error_code()),
                "{status} maps to an undeclared code"
            );
            assert_eq!(err.status(), status);
        }
    }
}
