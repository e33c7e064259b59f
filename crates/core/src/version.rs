//! Optimistic locking, the contract of API.md for versioned resources.
//!
//! A versioned resource carries a `version` that starts at 1 and grows by one on every write.
//! A write names the version it was based on, in an `If-Match: "<version>"` header or a
//! `version` field of its body; the store applies it only if that is still the current version
//! (one conditional `UPDATE … WHERE version = ?`, so of two concurrent writers exactly one wins),
//! and the loser gets 409 `version_conflict` with the current version. Responses carry the
//! version as a strong `ETag`, so a client can echo it back.
//!
//! - no version at all: 428 `precondition_required` (a write must say what it was based on);
//! - `If-Match: *` alone: whatever version is current (RFC 9110), on a resource that exists;
//! - an `If-Match` that is not one version or `*`, or one that disagrees with the body's
//!   `version`: 412 `precondition_failed`;
//! - a stale version: 409 `version_conflict`, `current_version` in the problem document.
//!
//! Reads are conditional too: a handler answers [`Tagged`] (the body with its `ETag`) through
//! [`IfNoneMatch::answer`], which turns it into 304 Not Modified, without a body, when the
//! client already holds that version (`If-None-Match`, RFC 9110 13.1.2: weak comparison, a
//! list of tags, or `*`). An `If-None-Match` that is not such a list is ignored (the full answer
//! is always a correct answer to a GET), so no client is refused for a header it got wrong.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};

use crate::codes::{self, VERSION_CONFLICT};
use crate::error::ApiError;

/// What the `If-Match` header asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IfMatch {
    /// No header.
    #[default]
    Absent,
    /// `If-Match: *`: any current version (RFC 9110, 13.1.1); the resource must exist.
    Any,
    /// One version, `"3"`.
    Version(i64),
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch::Absent);
        };
        value.to_str().ok().and_then(parse_if_match).ok_or_else(|| {
            precondition_failed(
                "If-Match must name one version of the resource, like \"3\" (its ETag), or be *",
            )
        })
    }
}

/// What [`parse_if_match`] reads, as the JSON Schema `pattern` the OpenAPI document gives the
/// header (a test holds the two to agreeing).
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[1-9][0-9]{0,17}"|[1-9][0-9]{0,17})$"#;

/// `"3"`, or `3` and `W/"3"` from lenient clients, or `*`: exactly what the OpenAPI document
/// states as the header's pattern. Lists are refused: a write names the one version it was
/// based on.
fn parse_if_match(value: &str) -> Option<IfMatch> {
    let value = value.trim();
    if value == "*" {
        return Some(IfMatch::Any);
    }
    let quoted = value.strip_prefix("W/").unwrap_or(value).strip_prefix('"');
    let digits = match quoted {
        Some(tag) => tag.strip_suffix('"')?,
        None => value,
    };
    let canonical = (1..=18).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    canonical
        .then(|| digits.parse().ok().map(IfMatch::Version))
        .flatten()
}

/// The version a write is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Version(i64),
    /// Whatever version is current (`If-Match: *` alone).
    Any,
}

impl Expected {
    /// The version to write over, given the `current` one: a stale expectation is a 409.
    pub fn resolve(self, current: i64) -> Result<i64, ApiError> {
        match self {
            Expected::Version(version) if version != current => Err(version_conflict(current)),
            Expected::Version(_) | Expected::Any => Ok(current),
        }
    }
}

/// The version a write is based on, from `If-Match` or the body's `version` (both may be sent
/// if they agree; `*` agrees with any).
pub fn expected_version(if_match: IfMatch, body: Option<i64>) -> Result<Expected, ApiError> {
    match (if_match, body) {
        (IfMatch::Version(header), Some(body)) if header != body => Err(precondition_failed(
            format!("If-Match names version {header} but the body names version {body}"),
        )),
        (IfMatch::Version(version), _) | (IfMatch::Absent | IfMatch::Any, Some(version)) => {
            Ok(Expected::Version(version))
        }
        (IfMatch::Any, None) => Ok(Expected::Any),
        (IfMatch::Absent, None) => Err(ApiError::from_code(
            &codes::PRECONDITION_REQUIRED,
            "send the version this change is based on: an If-Match header (the ETag, or * for \
             any) or a `version` field",
        )),
    }
}

/// 409 `version_conflict`: the write was based on `stale`, the resource is at `current`.
pub fn version_conflict(current: i64) -> ApiError {
    ApiError::from_code(
        &VERSION_CONFLICT,
        format!(
            "the resource changed since you read it; it is now at version {current}: read it \
             again and reapply your change"
        ),
    )
    .with_extension("current_version", current)
}

/// The strong `ETag` of a version: `"3"`.
pub fn etag(version: i64) -> (header::HeaderName, HeaderValue) {
    (header::ETAG, etag_value(&version.to_string()))
}

/// What the `If-None-Match` header says the client already holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum IfNoneMatch {
    /// No header, or one that is not a list of entity tags (ignored).
    #[default]
    Absent,
    /// `*`: any current representation.
    Any,
    /// The opaque parts of the tags listed (`"3", W/"4"` → `3`, `4`): weak comparison ignores
    /// the `W/`.
    Tags(Vec<String>),
}

impl IfNoneMatch {
    /// Whether the client holds the representation whose entity tag is `opaque` (the text
    /// between the quotes).
    pub fn matches(&self, opaque: &str) -> bool {
        match self {
            IfNoneMatch::Absent => false,
            IfNoneMatch::Any => true,
            IfNoneMatch::Tags(tags) => tags.iter().any(|tag| tag == opaque),
        }
    }

    /// `tagged`, or 304 Not Modified with its `ETag` and no body when the client holds it.
    pub fn answer<T>(&self, tagged: Tagged<T>) -> Conditional<T> {
        if self.matches(&tagged.tag) {
            Conditional::NotModified(tagged.tag)
        } else {
            Conditional::Full(tagged)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // A list may come in several header lines (RFC 9110 5.3): they are one list.
        let mut lines = Vec::new();
        for value in parts.headers.get_all(header::IF_NONE_MATCH) {
            match value.to_str() {
                Ok(line) => lines.push(line),
                Err(_) => return Ok(IfNoneMatch::Absent),
            }
        }
        if lines.is_empty() {
            return Ok(IfNoneMatch::Absent);
        }
        Ok(parse_if_none_match(&lines.join(",")).unwrap_or_default())
    }
}

/// The header as a route's parameter, for `params(IfNoneMatch)`; `openapi::finish` then
/// documents the 304 and the `ETag` of the route.
impl utoipa::IntoParams for IfNoneMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("If-None-Match")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "The `ETag`s you hold (or `*`): 304 Not Modified when one is current. Not a \
                     list of entity tags: ignored",
                ))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        ]
    }
}

/// `*`, or a comma-separated list of `"tag"` / `W/"tag"` (and, as `If-Match` allows, a bare
/// version `3`); `None` for anything else.
fn parse_if_none_match(value: &str) -> Option<IfNoneMatch> {
    if value.trim() == "*" {
        return Some(IfNoneMatch::Any);
    }
    let separators = [' ', '\t', ','];
    let mut tags = Vec::new();
    let mut rest = value;
    loop {
        // `#rule` lists may hold empty elements.
        rest = rest.trim_start_matches(separators);
        if rest.is_empty() {
            break;
        }
        let unweakened = rest.strip_prefix("W/").unwrap_or(rest);
        let (tag, after) = if let Some(quoted) = unweakened.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = rest.find(separators).unwrap_or(rest.len());
            let bare = &rest[..end];
            if bare.is_empty() || !bare.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (bare, &rest[end..])
        };
        // etagc: visible ASCII but `"` (and obs-text, which `to_str` already refused).
        if !tag.bytes().all(|b| b == 0x21 || (0x23..=0x7e).contains(&b)) {
            return None;
        }
        let after = after.trim_start_matches([' ', '\t']);
        if !(after.is_empty() || after.starts_with(',')) {
            return None;
        }
        tags.push(tag.to_owned());
        rest = after;
    }
    (!tags.is_empty()).then_some(IfNoneMatch::Tags(tags))
}

/// A response body with its entity tag: 200 with `ETag`, or, through
/// [`IfNoneMatch::answer`], a [`Conditional`].
#[derive(Debug, Clone)]
pub struct Tagged<T> {
    /// The opaque part, without quotes.
    tag: String,
    body: T,
}

impl<T> Tagged<T> {
    /// `body` at `version`: the strong tag `"3"`.
    pub fn version(version: i64, body: T) -> Tagged<T> {
        Tagged {
            tag: version.to_string(),
            body,
        }
    }

    /// `body` with the strong tag `"{opaque}"` (a content hash, an immutable key).
    pub fn new(opaque: impl Into<String>, body: T) -> Tagged<T> {
        Tagged {
            tag: opaque.into(),
            body,
        }
    }
}

fn etag_value(opaque: &str) -> HeaderValue {
    // Versions and storage keys are visible ASCII, always a valid header value.
    HeaderValue::from_str(&format!("\"{opaque}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

impl<T: IntoResponse> IntoResponse for Tagged<T> {
    fn into_response(self) -> Response {
        ([(header::ETAG, etag_value(&self.tag))], self.body).into_response()
    }
}

/// The answer to a conditional GET: the full [`Tagged`] response, or 304 with the same `ETag`.
#[derive(Debug, Clone)]
pub enum Conditional<T> {
    NotModified(String),
    Full(Tagged<T>),
}

impl<T: IntoResponse> IntoResponse for Conditional<T> {
    fn into_response(self) -> Response {
        match self {
            Conditional::NotModified(tag) => {
                (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value(&tag))]).into_response()
            }
            Conditional::Full(tagged) => tagged.into_response(),
        }
    }
}

fn precondition_failed(detail: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::from_code(&codes::PRECONDITION_FAILED, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn if_match_accepts_one_quoted_weak_or_bare_version_or_any() {
        assert_eq!(parse_if_match("\"3\""), Some(IfMatch::Version(3)));
        assert_eq!(parse_if_match(" W/\"12\" "), Some(IfMatch::Version(12)));
        assert_eq!(parse_if_match("7"), Some(IfMatch::Version(7)));
        assert_eq!(parse_if_match(" * "), Some(IfMatch::Any));
        for refused in [
            "\"1\", \"2\"",
            "\"\"",
            "\"0\"",
            "\"-1\"",
            "abc",
            "\"3",
            "**",
            "W/3",
            "03",
            "+3",
            "1234567890123456789",
        ] {
            assert_eq!(parse_if_match(refused), None, "{refused}");
        }
    }

    #[test]
    fn the_pattern_states_what_is_read() {
        let pattern = regex::Regex::new(IF_MATCH_PATTERN).expect("the pattern compiles");
        for value in [
            "*",
            "\"3\"",
            "W/\"12\"",
            "7",
            "\"\"",
            "\"0\"",
            "W/3",
            "03",
            "+3",
            "**",
            "\"3",
            "1234567890123456789",
            "123456789012345678",
            "\"1\", \"2\"",
        ] {
            assert_eq!(
                pattern.is_match(value),
                parse_if_match(value).is_some(),
                "{value}"
            );
        }
    }

    #[test]
    fn if_none_match_reads_lists_of_strong_and_weak_tags_and_any() {
        let tags = |list: &[&str]| {
            Some(IfNoneMatch::Tags(
                list.iter().map(|t| t.to_string()).collect(),
            ))
        };
        assert_eq!(parse_if_none_match("\"3\""), tags(&["3"]));
        assert_eq!(parse_if_none_match(" * "), Some(IfNoneMatch::Any));
        assert_eq!(
            parse_if_none_match("\"1\", W/\"2\",,\"a,b\" , 4"),
            tags(&["1", "2", "a,b", "4"])
        );
        assert_eq!(parse_if_none_match("\"\""), tags(&[""]));
        for ignored in [
            "",
            " , ",
            "\"3",
            "abc",
            "W/3",
            "\"1\" \"2\"",
            "*, \"1\"",
            "\"a b\"",
        ] {
            assert_eq!(parse_if_none_match(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn a_matching_tag_or_any_is_not_modified_and_weak_tags_compare_equal() {
        let answer = |header: &str| {
            let if_none_match = parse_if_none_match(header).unwrap_or_default();
            if_none_match
                .answer(Tagged::version(3, "body"))
                .into_response()
        };
        for matching in ["\"3\"", "W/\"3\"", "\"2\", \"3\"", "*", "3"] {
            let response = answer(matching);
            assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{matching}");
            assert_eq!(
                response.headers().get(header::ETAG).map(|v| v.as_bytes()),
                Some(&b"\"3\""[..])
            );
        }
        for other in ["\"2\"", "\"33\"", "garbage", ""] {
            let response = answer(other);
            assert_eq!(response.status(), StatusCode::OK, "{other}");
            assert_eq!(
                response.headers().get(header::ETAG).map(|v| v.as_bytes()),
                Some(&b"\"3\""[..])
            );
        }
    }

    #[test]
    fn the_expected_version_comes_from_either_place_and_both_must_agree() {
        let expected = |header, body| expected_version(header, body).ok();
        assert_eq!(
            expected(IfMatch::Version(2), None),
            Some(Expected::Version(2))
        );
        assert_eq!(
            expected(IfMatch::Absent, Some(4)),
            Some(Expected::Version(4))
        );
        assert_eq!(
            expected(IfMatch::Version(5), Some(5)),
            Some(Expected::Version(5))
        );
        assert_eq!(expected(IfMatch::Any, Some(5)), Some(Expected::Version(5)));
        assert_eq!(expected(IfMatch::Any, None), Some(Expected::Any));
        let disagree = expected_version(IfMatch::Version(5), Some(6)).err();
        assert_eq!(
            disagree.map(|e| e.status()),
            Some(StatusCode::PRECONDITION_FAILED)
        );
        let missing = expected_version(IfMatch::Absent, None).err();
        assert_eq!(
            missing.map(|e| e.status()),
            Some(StatusCode::PRECONDITION_REQUIRED)
        );
    }

    #[test]
    fn any_version_resolves_to_the_current_one_and_a_stale_one_conflicts() {
        assert_eq!(Expected::Any.resolve(7).ok(), Some(7));
        assert_eq!(Expected::Version(7).resolve(7).ok(), Some(7));
        let stale = Expected::Version(6).resolve(7).err();
        assert_eq!(
            stale.map(|e| e.code().to_owned()).as_deref(),
            Some("version_conflict")
        );
    }
}
