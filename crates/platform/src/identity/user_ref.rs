//! `{user_id}` in `/users/{user_id}/…` paths: `me` or a user id.
//!
//! Every route under `/users/{user_id}/…` takes a [`UserRef`], so a client never needs its own
//! id to reach its own data (`/users/me/tasks`), and an id works wherever `me` does. A handler
//! resolves it against the caller: [`Viewer::require_self`] for routes that only the user may
//! use, [`UserRef::resolve`] for routes anyone may read (`me` then needs a token: 401).

use std::fmt;

use agora_core::{ApiError, UserId};
use serde::{Deserialize, Deserializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use super::viewer::{OptionalViewer, Viewer};

/// The spelling of "the caller" in a path.
pub const ME: &str = "me";

/// What the OpenAPI document states as the parameter's `pattern`, and exactly what
/// [`UserRef::parse`] reads (a test holds the two to agreeing): `me`, or a UUID in its
/// hyphenated form.
pub const USER_REF_PATTERN: &str =
    "^(me|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$";

/// A user named by a path: the caller (`me`) or a user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRef {
    Me,
    Id(UserId),
}

impl UserRef {
    /// `me`, or a hyphenated UUID; nothing else (no braces, no `urn:uuid:`, no other case of
    /// `me`), so that one user has one spelling besides `me`.
    pub fn parse(text: &str) -> Option<UserRef> {
        if text == ME {
            return Some(UserRef::Me);
        }
        let hyphens_in_place = text.len() == 36
            && text
                .char_indices()
                .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-'));
        if !hyphens_in_place {
            return None;
        }
        uuid::Uuid::parse_str(text)
            .ok()
            .map(|id| UserRef::Id(UserId(id)))
    }

    /// The user meant, for a route anyone may call: `me` is the caller, and without a token
    /// there is no caller (401).
    pub fn resolve(self, viewer: &OptionalViewer) -> Result<UserId, ApiError> {
        match (self, viewer.0) {
            (UserRef::Id(id), _) => Ok(id),
            (UserRef::Me, Some(viewer)) => Ok(viewer.user_id),
            (UserRef::Me, None) => Err(ApiError::unauthorized(
                "`me` names the signed-in user: send `Authorization: Bearer <access token>`",
            )),
        }
    }
}

impl Viewer {
    /// For routes under `/users/{user_id}/…` that only that user may use: the caller's id for
    /// `me` or their own id, 403 for anyone else's, whatever their role (an admin acts on
    /// others' data through admin routes).
    pub fn require_self(&self, user: UserRef) -> Result<UserId, ApiError> {
        match user {
            UserRef::Me => Ok(self.user_id),
            UserRef::Id(id) if id == self.user_id => Ok(id),
            UserRef::Id(_) => Err(ApiError::forbidden(
                "this path belongs to another user; use `me` or your own user id",
            )),
        }
    }
}

impl fmt::Display for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserRef::Me => f.write_str(ME),
            UserRef::Id(id) => fmt::Display::fmt(id, f),
        }
    }
}

impl<'de> Deserialize<'de> for UserRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        UserRef::parse(&text)
            .ok_or_else(|| serde::de::Error::custom("expected `me` or a user id (a UUID)"))
    }
}

impl utoipa::PartialSchema for UserRef {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(USER_REF_PATTERN))
            .description(Some("`me` (the signed-in user) or a user id"))
            .examples([serde_json::json!(ME)])
            .into()
    }
}

impl utoipa::ToSchema for UserRef {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn me_and_hyphenated_ids_are_read_and_nothing_else() {
        let id = uuid::Uuid::now_v7();
        assert_eq!(UserRef::parse("me"), Some(UserRef::Me));
        assert_eq!(
            UserRef::parse(&id.to_string()),
            Some(UserRef::Id(UserId(id)))
        );
        assert_eq!(
            UserRef::parse(&id.to_string().to_uppercase()),
            Some(UserRef::Id(UserId(id)))
        );
        for refused in [
            "Me".to_owned(),
            "ME".to_owned(),
            "me ".to_owned(),
            String::new(),
            id.simple().to_string(),
            id.braced().to_string(),
            id.urn().to_string(),
            "0193a8f2-7c1e-7000-8000-00000000000g".to_owned(),
            "0193a8f27-c1e-7000-8000-000000000000".to_owned(),
        ] {
            assert_eq!(UserRef::parse(&refused), None, "{refused}");
        }
    }

    #[test]
    fn the_pattern_states_what_is_read() {
        let pattern = regex::Regex::new(USER_REF_PATTERN).expect("the pattern compiles");
        let id = uuid::Uuid::now_v7();
        for value in [
            "me".to_owned(),
            "Me".to_owned(),
            "mee".to_owned(),
            id.to_string(),
            id.to_string().to_uppercase(),
            id.simple().to_string(),
            id.braced().to_string(),
            id.urn().to_string(),
            "0193a8f2-7c1e-7000-8000-00000000000g".to_owned(),
            "0193a8f27-c1e-7000-8000-000000000000".to_owned(),
        ] {
            assert_eq!(
                pattern.is_match(&value),
                UserRef::parse(&value).is_some(),
                "{value}"
            );
        }
    }

    #[test]
    fn me_without_a_caller_is_a_401_and_an_id_needs_none() {
        let id = UserId::new();
        assert_eq!(
            UserRef::Id(id).resolve(&OptionalViewer(None)).ok(),
            Some(id)
        );
        let err = UserRef::Me.resolve(&OptionalViewer(None)).err();
        assert_eq!(
            err.map(|e| e.status()),
            Some(axum::http::StatusCode::UNAUTHORIZED)
        );
    }
}
