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
//! - an `If-Match` that is not one version, or one that disagrees with the body's `version`:
//!   412 `precondition_failed`;
//! - a stale version: 409 `version_conflict`, `current_version` in the problem document.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};

use crate::error::ApiError;

/// The version named by the `If-Match` header, if one was sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        value
            .to_str()
            .ok()
            .and_then(parse_if_match)
            .map(|version| IfMatch(Some(version)))
            .ok_or_else(|| {
                precondition_failed(
                    "If-Match must name one version of the resource, like \"3\" (its ETag)",
                )
            })
    }
}

/// `"3"`, or `3` and `W/"3"` from lenient clients. `*` and lists are refused: a write must name
/// the one version it was based on.
fn parse_if_match(value: &str) -> Option<i64> {
    let value = value.trim();
    let value = value.strip_prefix("W/").unwrap_or(value);
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    value.parse().ok().filter(|version| *version >= 1)
}

/// The version a write is based on, from `If-Match` or the body's `version` (both may be sent
/// if they agree).
pub fn expected_version(if_match: IfMatch, body: Option<i64>) -> Result<i64, ApiError> {
    match (if_match.0, body) {
        (Some(header), Some(body)) if header != body => Err(precondition_failed(format!(
            "If-Match names version {header} but the body names version {body}"
        ))),
        (Some(version), _) | (None, Some(version)) => Ok(version),
        (None, None) => Err(ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send the version this change is based on: an If-Match header (the ETag) or a \
             `version` field",
        )),
    }
}

/// 409 `version_conflict`: the write was based on `stale`, the resource is at `current`.
pub fn version_conflict(current: i64) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "version_conflict",
        format!(
            "the resource changed since you read it; it is now at version {current}: read it \
             again and reapply your change"
        ),
    )
    .with_extension("current_version", current)
}

/// The strong `ETag` of a version: `"3"`.
pub fn etag(version: i64) -> (header::HeaderName, HeaderValue) {
    // A decimal number in quotes is always a valid header value.
    let value = HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    (header::ETAG, value)
}

fn precondition_failed(detail: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        detail,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_accepts_one_quoted_weak_or_bare_version() {
        assert_eq!(parse_if_match("\"3\""), Some(3));
        assert_eq!(parse_if_match(" W/\"12\" "), Some(12));
        assert_eq!(parse_if_match("7"), Some(7));
        for refused in ["*", "\"1\", \"2\"", "\"\"", "\"0\"", "\"-1\"", "abc", "\"3"] {
            assert_eq!(parse_if_match(refused), None, "{refused}");
        }
    }

    #[test]
    fn the_expected_version_comes_from_either_place_and_both_must_agree() {
        assert_eq!(expected_version(IfMatch(Some(2)), None).ok(), Some(2));
        assert_eq!(expected_version(IfMatch(None), Some(4)).ok(), Some(4));
        assert_eq!(expected_version(IfMatch(Some(5)), Some(5)).ok(), Some(5));
        let disagree = expected_version(IfMatch(Some(5)), Some(6)).err();
        assert_eq!(
            disagree.map(|e| e.status()),
            Some(StatusCode::PRECONDITION_FAILED)
        );
        let missing = expected_version(IfMatch(None), None).err();
        assert_eq!(
            missing.map(|e| e.status()),
            Some(StatusCode::PRECONDITION_REQUIRED)
        );
    }
}
