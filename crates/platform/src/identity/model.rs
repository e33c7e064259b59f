//! Request and response types of the identity routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use agora_core::{SessionId, UserId};

use crate::entities::{sessions, users};

pub use crate::entities::users::{AccountStatus, Role};

/// An account as its owner and admins see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub status: AccountStatus,
    pub email_verified: bool,
    /// Where the profile picture is served (`/media/{key}`); thumbnails of 64, 256 and 1024
    /// pixels are at the same path with `_64`, `_256`, `_1024` before the extension.
    pub profile_picture_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<users::Model> for User {
    fn from(user: users::Model) -> Self {
        User {
            id: UserId(user.id),
            username: user.username,
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            status: user.status,
            email_verified: user.email_verified_at.is_some(),
            profile_picture_url: user
                .profile_picture_key
                .as_deref()
                .map(agora_store::media_url::url_of),
            created_at: user.created_at,
        }
    }
}

/// What anyone may see of an account beside something it did (the author of a post, a
/// follower): its name and picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserSummary {
    pub id: UserId,
    pub username: String,
    pub display_name: Option<String>,
    /// Where the profile picture is served (thumbnails beside it, as on `/users/me`).
    pub profile_picture_url: Option<String>,
}

impl From<users::Model> for UserSummary {
    fn from(user: users::Model) -> Self {
        UserSummary {
            id: UserId(user.id),
            username: user.username,
            display_name: user.display_name,
            profile_picture_url: user
                .profile_picture_key
                .as_deref()
                .map(agora_store::media_url::url_of),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 3–30 letters, digits or `_`; unique regardless of case; a few names (`admin`, `support`,
    /// ...) are reserved.
    #[schema(pattern = "^[A-Za-z0-9_]{3,30}$")]
    pub username: String,
    #[schema(
        max_length = 254,
        pattern = "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}){0,2}@[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?){1,4}$"
    )]
    pub email: String,
    /// 8–128 characters, not a common password.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// At most 50 characters on one line.
    #[schema(max_length = 50, pattern = "^[^\\u0000-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true))))]
    pub display_name: Option<String>,
    /// Also creates this organization, with the new user as its admin: at most 100 characters
    /// on one line.
    #[schema(max_length = 100, pattern = "^[^\\u0000-\\u001F]*$")]
    pub organization_name: Option<String>,
}

impl crate::moderation::Screen for RegisterRequest {
    fn texts(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("display_name", self.display_name.as_deref())]
    }
}

/// Give either `email` or `username`, not both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(max_length = 254)]
    pub email: Option<String>,
    #[schema(max_length = 30)]
    pub username: Option<String>,
    #[schema(max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Tokens for a signed-in session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthResponse {
    pub user: User,
    pub access_token: String,
    /// Single use: each refresh returns a new one, and presenting a used one ends the session.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// One signed-in device or client.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub id: SessionId,
    pub user_agent: Option<String>,
    /// Salted hash of the address the session was opened from.
    pub ip_hash: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// True for the session of the token making this request.
    pub current: bool,
}

impl Session {
    pub fn from_model(session: sessions::Model, current: Option<SessionId>) -> Self {
        Session {
            id: SessionId(session.id),
            current: current == Some(SessionId(session.id)),
            user_agent: session.user_agent,
            ip_hash: session.ip_hash,
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<Session>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub token: String,
}

/// Whether a token is valid, for services that accept our users.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyResponse {
    pub valid: bool,
    pub user_id: Option<UserId>,
    pub expires_at: Option<DateTime<Utc>>,
}
