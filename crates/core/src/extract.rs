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

use serde_json::Value;

use crate::error::{ApiError, FieldCode, FieldError, Invalid};

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
    ApiError::from_code(
        &crate::codes::UNSUPPORTED_MEDIA_TYPE,
        "the request body must be JSON (Content-Type: application/json)",
    )
}

/// Parses a JSON document into `T`, telling syntax errors (400) from shape errors (422), and
/// reporting every invalid field of the body at once, each under its path with a code.
///
/// The document is read into a [`serde_json::Value`] first, so that the text rule
/// ([`crate::text::check`]) is applied to every string and key, wherever it is, before `T` sees
/// it. Then `T` is deserialized from the value; serde stops at the first error, so each error is
/// recorded under its path (`serde_path_to_error`) and the value is repaired at that path (the
/// member removed, or a neutral stand-in put there) before trying again, until `T` accepts the
/// value or nothing more can be repaired (`docs/decisions/0003-http-errors-and-middleware.md`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|err| {
        ApiError::bad_request(format!("the request body is not valid JSON: {err}"))
    })?;
    let mut errors = Vec::new();
    sanitize_text(&mut value, &mut Vec::new(), &mut errors);
    match deserialize_reporting_all::<T>(value, errors) {
        Ok(parsed) => Ok(parsed),
        Err(errors) => Err(ApiError::validation(errors)),
    }
}

/// How many times one body may be deserialized while looking for its invalid fields: a bound
/// on the work a bad body costs (a body over it reports the fields found by then).
const MAX_ATTEMPTS: usize = 64;

/// `T` from `value`, or every field error found (those already in `errors` first).
fn deserialize_reporting_all<T: DeserializeOwned>(
    mut value: Value,
    mut errors: Vec<FieldError>,
) -> Result<T, Vec<FieldError>> {
    let mut attempts = 1;
    let mut result = attempt::<T>(&value);
    loop {
        let failure = match result {
            Ok(parsed) if errors.is_empty() => return Ok(parsed),
            Ok(_) => return Err(errors),
            Err(failure) => failure,
        };
        let field = field_name(&failure.path);
        if !errors.iter().any(|e| e.field == field) {
            errors.push(FieldError::new(
                field,
                failure.code,
                failure.message.clone(),
            ));
        }
        match repair::<T>(&mut value, &failure, &mut attempts) {
            Some(next) => result = next,
            None => return Err(errors),
        }
    }
}

/// One failed deserialization: where (the path of the field itself, also for a missing or an
/// unknown member), why, and what serde said.
#[derive(Debug)]
struct Failure {
    path: Vec<Step>,
    code: FieldCode,
    message: String,
    /// For an unknown variant: the first variant serde expected, a value that passes.
    expected_variant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn attempt<T: DeserializeOwned>(value: &Value) -> Result<T, Failure> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|err| {
        let mut path: Vec<Step> = err
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(Step::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => Some(Step::Index(*index)),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = err.into_inner().to_string();
        let (code, message, member) = classify(&message);
        // A missing or unknown member is reported where the object is; the field is the member.
        if let Some(member) = member
            && path.last() != Some(&Step::Key(member.clone()))
        {
            path.push(Step::Key(member));
        }
        let expected_variant = (code == FieldCode::InvalidEnum)
            .then(|| first_quoted(message.split_once("expected").map_or("", |(_, rest)| rest)))
            .flatten();
        Failure {
            path,
            code,
            message,
            expected_variant,
        }
    })
}

/// The code of a serde message, the message as sent, and the member it names when the message
/// is about a member rather than a value. serde's messages for its standard failures are fixed
/// (`serde::de::Error`'s provided methods); anything else is a type's own rule.
fn classify(message: &str) -> (FieldCode, String, Option<String>) {
    let message = strip_position(message);
    if let Some(rest) = message.strip_prefix("missing field ") {
        return (
            FieldCode::Required,
            "is required".to_owned(),
            first_quoted(rest),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return (FieldCode::UnknownField, message.clone(), first_quoted(rest));
    }
    let code = if message.starts_with("invalid type: null") {
        FieldCode::Required
    } else if message.starts_with("invalid type: ") {
        FieldCode::InvalidType
    } else if message.starts_with("unknown variant ") {
        FieldCode::InvalidEnum
    } else if message.starts_with("invalid value: integer")
        || message.starts_with("invalid value: floating point")
    {
        FieldCode::OutOfRange
    } else if message.starts_with("invalid value: ") || message.starts_with("invalid length ") {
        FieldCode::InvalidFormat
    } else {
        FieldCode::Invalid
    };
    (code, message, None)
}

/// The text between the first pair of backquotes.
fn first_quoted(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(text[start..start + len].to_owned())
}

/// `title`, `tags[2]`, `poll.options[0]`; `body` for the document itself.
fn field_name(path: &[Step]) -> String {
    let mut name = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(key);
            }
            Step::Index(index) => name.push_str(&format!("[{index}]")),
        }
    }
    if name.is_empty() {
        "body".to_owned()
    } else {
        name
    }
}

/// Changes `value` at the failure's path so that `T` gets past it, and returns the next
/// attempt's result; `None` when no change gets past it (or the attempts ran out).
///
/// A change is kept only when the next error is elsewhere (not at the path or inside it):
/// first removing the member (absent is fine for optional fields), then a stand-in of each JSON
/// type, the variant serde expected for an enum, and a time for types that parse one.
fn repair<T: DeserializeOwned>(
    value: &mut Value,
    failure: &Failure,
    attempts: &mut usize,
) -> Option<Result<T, Failure>> {
    let (last, parent_path) = failure.path.split_last()?;
    let mut candidates: Vec<Option<Value>> = Vec::new();
    if matches!(last, Step::Key(_)) {
        candidates.push(None);
    }
    if let Some(variant) = &failure.expected_variant {
        candidates.push(Some(Value::String(variant.clone())));
    }
    candidates.extend(
        [
            Value::Null,
            Value::Bool(false),
            Value::from(0),
            Value::String(String::new()),
            Value::Array(Vec::new()),
            Value::Object(serde_json::Map::new()),
            Value::String("2000-01-01T00:00:00Z".to_owned()),
        ]
        .map(Some),
    );
    let mut queue: std::collections::VecDeque<Option<Value>> = candidates.into();
    while let Some(candidate) = queue.pop_front() {
        if *attempts >= MAX_ATTEMPTS {
            return None;
        }
        *attempts += 1;
        let before = take_at(value, parent_path, last)?;
        if let Some(stand_in) = candidate {
            put_at(value, parent_path, last, stand_in)?;
        }
        let result = attempt::<T>(value);
        match &result {
            Err(next) if next.path.starts_with(&failure.path) => {
                // The stand-in itself failed; an enum's error names a value that passes.
                if let Some(variant) = &next.expected_variant
                    && next.path == failure.path
                {
                    queue.push_front(Some(Value::String(variant.clone())));
                }
                restore_at(value, parent_path, last, before);
            }
            _ => return Some(result),
        }
    }
    None
}

fn container_at<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter()
        .try_fold(value, |node, step| match (node, step) {
            (Value::Object(members), Step::Key(key)) => members.get_mut(key),
            (Value::Array(items), Step::Index(index)) => items.get_mut(*index),
            _ => None,
        })
}

/// Takes the value at `parent.last` out (an object member is removed, an array item replaced
/// by `null`); `Some(None)` when the member was absent.
fn take_at(value: &mut Value, parent: &[Step], last: &Step) -> Option<Option<Value>> {
    match (container_at(value, parent)?, last) {
        (Value::Object(members), Step::Key(key)) => Some(members.remove(key)),
        (Value::Array(items), Step::Index(index)) => {
            items.get_mut(*index).map(|item| Some(item.take()))
        }
        _ => None,
    }
}

fn put_at(value: &mut Value, parent: &[Step], last: &Step, new: Value) -> Option<()> {
    match (container_at(value, parent)?, last) {
        (Value::Object(members), Step::Key(key)) => {
            members.insert(key.clone(), new);
            Some(())
        }
        (Value::Array(items), Step::Index(index)) => {
            *items.get_mut(*index)? = new;
            Some(())
        }
        _ => None,
    }
}

fn restore_at(value: &mut Value, parent: &[Step], last: &Step, before: Option<Value>) {
    match before {
        Some(old) => {
            let _ = put_at(value, parent, last, old);
        }
        None => {
            if let (Some(Value::Object(members)), Step::Key(key)) =
                (container_at(value, parent), last)
            {
                members.remove(key);
            }
        }
    }
}

/// Applies the text rule to every string and object key of `value`, recording failures under
/// their path (`title`, `tags[2]`, `poll.options[0]`). A string that fails has its control
/// characters removed and a key that fails is removed with its member, so that the type's own
/// checks still run on the rest of the body (their errors on the same paths are not repeated).
fn sanitize_text(value: &mut Value, path: &mut Vec<Step>, errors: &mut Vec<FieldError>) {
    match value {
        Value::String(text) => {
            if let Err(err) = crate::text::check(text) {
                errors.push(FieldError::new(
                    field_name(path),
                    FieldCode::ControlCharacter,
                    err.to_string(),
                ));
                text.retain(|c| !c.is_control());
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                path.push(Step::Index(index));
                sanitize_text(item, path, errors);
                path.pop();
            }
        }
        Value::Object(members) => {
            members.retain(|key, _| match crate::text::check(key) {
                Ok(()) => true,
                Err(err) => {
                    let message = format!("the member name `{}` {err}", key.escape_debug());
                    errors.push(FieldError::new(
                        field_name(path),
                        FieldCode::ControlCharacter,
                        message,
                    ));
                    false
                }
            });
            for (key, item) in members.iter_mut() {
                path.push(Step::Key(key.clone()));
                sanitize_text(item, path, errors);
                path.pop();
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
                let name = crate::text::check(&name).map(|()| name).map_err(|err| {
                    FieldError::new(
                        "query",
                        FieldCode::ControlCharacter,
                        format!("a parameter name {err}"),
                    )
                });
                match name {
                    Ok(name) => crate::text::check(&value).err().map(|err| {
                        FieldError::new(name, FieldCode::ControlCharacter, err.to_string())
                    }),
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
                let (code, message, member) = classify(&err.into_inner().to_string());
                let field = match member {
                    Some(member) => member,
                    None if path == "." => "query".to_owned(),
                    None => path,
                };
                ApiError::invalid_field(field, code, message)
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
    pub fn check<T, E: Into<Invalid>>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.0.push(err.into().at(field));
                None
            }
        }
    }

    pub fn add(&mut self, field: impl Into<String>, code: FieldCode, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The failures recorded so far, for a caller that reports them with its own status.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
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

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Kind {
        Low,
        High,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Wide {
        title: String,
        kind: Kind,
        count: u8,
        tags: Vec<String>,
        note: Option<String>,
        inner: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
        level: Kind,
    }

    fn fields(err: &ApiError) -> Vec<(String, FieldCode)> {
        let mut found: Vec<(String, FieldCode)> = err
            .errors()
            .iter()
            .map(|e| (e.field.clone(), e.code))
            .collect();
        found.sort();
        found
    }

    #[test]
    fn every_invalid_field_is_reported_with_its_path_and_code() {
        let err = parse_json::<Wide>(
            br#"{"title": 5, "kind": "medium", "count": 300, "tags": ["a", 2, "c", false],
                 "note": 1, "inner": {"level": "low"}, "admin": true}"#,
        )
        .expect_err("eight failures");
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            fields(&err),
            [
                ("admin".to_owned(), FieldCode::UnknownField),
                ("count".to_owned(), FieldCode::OutOfRange),
                ("inner.name".to_owned(), FieldCode::Required),
                ("kind".to_owned(), FieldCode::InvalidEnum),
                ("note".to_owned(), FieldCode::InvalidType),
                ("tags[1]".to_owned(), FieldCode::InvalidType),
                ("tags[3]".to_owned(), FieldCode::InvalidType),
                ("title".to_owned(), FieldCode::InvalidType),
            ]
        );
        assert_eq!(err.detail(), "8 fields are invalid");
    }

    #[test]
    fn every_missing_field_is_named_even_one_of_an_enum_type() {
        let err = parse_json::<Wide>(br#"{"count": 1}"#).expect_err("missing fields");
        assert_eq!(
            fields(&err),
            [
                ("inner".to_owned(), FieldCode::Required),
                ("kind".to_owned(), FieldCode::Required),
                ("tags".to_owned(), FieldCode::Required),
                ("title".to_owned(), FieldCode::Required),
            ]
        );
        assert_eq!(err.errors()[0].message, "is required");
    }

    #[test]
    fn null_for_a_required_field_is_required_and_a_wrong_root_is_the_body() {
        let err = parse_json::<Inner>(br#"{"name": null, "level": "high"}"#).expect_err("null");
        assert_eq!(fields(&err), [("name".to_owned(), FieldCode::Required)]);
        let err = parse_json::<Inner>(br#""text""#).expect_err("a string");
        assert_eq!(fields(&err), [("body".to_owned(), FieldCode::InvalidType)]);
    }

    #[test]
    fn text_and_shape_failures_are_reported_together_once_per_field() {
        let err = parse_json::<Inner>(br#"{"name": "a\u0000b", "level": "x\u0001"}"#)
            .expect_err("control characters and a bad level");
        assert_eq!(
            fields(&err),
            [
                ("level".to_owned(), FieldCode::ControlCharacter),
                ("name".to_owned(), FieldCode::ControlCharacter),
            ]
        );
    }

    #[test]
    fn the_work_on_a_bad_body_is_bounded() {
        let items: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
        let body = format!(r#"{{"title": "a", "tags": [{}]}}"#, items.join(","));
        let err = parse_json::<Body>(body.as_bytes()).expect_err("numbers for tags");
        assert!(!err.errors().is_empty());
        assert!(err.errors().len() < MAX_ATTEMPTS, "{}", err.errors().len());
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
        let a: Option<u8> = errors.check(
            "a",
            "x".parse::<u8>()
                .map_err(|e| Invalid::new(FieldCode::InvalidFormat, e.to_string())),
        );
        let b: Option<u8> = errors.check(
            "b",
            "7".parse::<u8>()
                .map_err(|_| Invalid::new(FieldCode::InvalidFormat, "")),
        );
        errors.add("c", FieldCode::Required, "is required");
        assert_eq!((a, b), (None, Some(7)));
        let err = errors.finish().expect_err("two failures");
        let found: Vec<(&str, FieldCode)> = err
            .errors()
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            found,
            [("a", FieldCode::InvalidFormat), ("c", FieldCode::Required)]
        );
    }
}
