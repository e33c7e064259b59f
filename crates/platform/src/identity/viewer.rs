//! Who is asking: extractors that make a handler's requirement visible in its signature.
//!
//! - [`Viewer`]: a valid access token of a live session (401 otherwise);
//! - [`OptionalViewer`]: the same when a token is sent, nobody otherwise (a bad token is still
//!   a 401, so a client learns to refresh instead of silently seeing the public view);
//! - [`ModeratorUser`], [`AdminUser`]: a viewer whose *current* role (read from the database,
//!   not from the token, so a demotion takes effect at once) allows it; 403 otherwise.

use agora_core::{ApiError, ErrorCode, SessionId, UserId};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use chrono::{DateTime, Utc};

use super::external::{ExternalProvider, local_user};
use super::model::{AccountStatus, Role};
use super::tokens::{TokenError, unverified_issuer};
use crate::AppState;

pub const ACCOUNT_DISABLED: ErrorCode = ErrorCode {
    status: StatusCode::FORBIDDEN,
    code: "account_disabled",
    when: "The account was disabled by an administrator: sign-in, refresh and every authenticated request are refused.",
    what_to_do: "Sign out; the person must contact the operators.",
};

/// The answer to a disabled account's sign-in, refresh or request.
pub(super) fn account_disabled() -> ApiError {
    ACCOUNT_DISABLED.with_detail("this account is disabled")
}

/// The signed-in caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: UserId,
    /// The session of our token; `None` for a token of the external provider, whose sessions
    /// are the provider's.
    pub session_id: Option<SessionId>,
    /// The role when the token was issued; guards that need the current one re-read it.
    pub role: Role,
    /// When the token presented stops being valid.
    pub expires_at: DateTime<Utc>,
}

/// Where the identity extractors note the caller of a request, for a layer around the handler
/// that put one in the request's extensions (analytics records who was active). Identity
/// knows no reader of it; without one in the extensions nothing is noted.
#[derive(Debug, Clone, Default)]
pub struct SeenUser(std::sync::Arc<std::sync::OnceLock<UserId>>);

impl SeenUser {
    /// The caller an extractor authenticated, if one did.
    pub fn get(&self) -> Option<UserId> {
        self.0.get().copied()
    }

    fn note(parts: &Parts, viewer: &Viewer) {
        if let Some(seen) = parts.extensions.get::<SeenUser>() {
            // A second extractor of the same request sees the same caller.
            let _ = seen.0.set(viewer.user_id);
        }
    }
}

/// The caller, if signed in.
#[derive(Debug, Clone, Copy)]
pub struct OptionalViewer(pub Option<Viewer>);

/// A signed-in moderator or admin.
#[derive(Debug, Clone, Copy)]
pub struct ModeratorUser(pub Viewer);

/// A signed-in admin.
#[derive(Debug, Clone, Copy)]
pub struct AdminUser(pub Viewer);

fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not readable"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::unauthorized(
            "the Authorization header must be `Bearer <access token>`",
        )),
    }
}

pub const TOKEN_EXPIRED: ErrorCode = ErrorCode {
    status: StatusCode::UNAUTHORIZED,
    code: "token_expired",
    when: "The access token has expired.",
    what_to_do: "Refresh it (`POST /auth/refresh`) and send the request again.",
};

pub const INVALID_TOKEN: ErrorCode = ErrorCode {
    status: StatusCode::UNAUTHORIZED,
    code: "invalid_token",
    when: "The access token is not one of ours (or of the configured provider): bad signature, wrong issuer or audience, malformed.",
    what_to_do: "Sign in again.",
};

pub const SESSION_REVOKED: ErrorCode = ErrorCode {
    status: StatusCode::UNAUTHORIZED,
    code: "session_revoked",
    when: "The session of the access token has ended (signed out, a password change, an administrator).",
    what_to_do: "Sign in again.",
};

fn token_error(err: TokenError) -> ApiError {
    match err {
        TokenError::Expired => {
            TOKEN_EXPIRED.with_detail("the access token has expired; refresh it")
        }
        TokenError::Invalid(_) => INVALID_TOKEN.with_detail("the access token is not valid"),
    }
    .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
}

/// Checks an access token (ours, or the external provider's) and its session.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Viewer, ApiError> {
    let identity = state.identity();
    if let Some(external) = &identity.external
        && unverified_issuer(token).as_deref() == Some(external.issuer())
    {
        return authenticate_external(state, external, token).await;
    }
    let claims = identity.tokens.verify(token).map_err(|err| {
        identity.tokens.log_refusal(&err);
        token_error(err)
    })?;
    if identity.revocations.is_revoked(claims.sid) {
        return Err(SESSION_REVOKED.with_detail("this session has ended; sign in again"));
    }
    Ok(Viewer {
        user_id: UserId(claims.sub),
        session_id: Some(SessionId(claims.sid)),
        // `verify` refused unknown roles; the fallback is the least privileged one.
        role: Role::parse(&claims.role).unwrap_or(Role::User),
        expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_default(),
    })
}

/// A provider token: verified against the provider's keys, then mapped to a local account
/// (created on first sight). A disabled local account is refused like ours.
async fn authenticate_external(
    state: &AppState,
    external: &ExternalProvider,
    token: &str,
) -> Result<Viewer, ApiError> {
    let claims = external.verify(token).await.map_err(|err| {
        state.identity().tokens.log_refusal(&err);
        token_error(err)
    })?;
    let user = local_user(
        state.db(),
        external.issuer(),
        &claims,
        agora_core::time::now(),
    )
    .await?;
    if user.status != AccountStatus::Active {
        return Err(account_disabled());
    }
    Ok(Viewer {
        user_id: UserId(user.id),
        session_id: None,
        role: user.role,
        expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_default(),
    })
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match bearer(parts)? {
            Some(token) => {
                let viewer = authenticate(state, token).await?;
                SeenUser::note(parts, &viewer);
                Ok(viewer)
            }
            None => Err(ApiError::unauthorized(
                "authentication required: send `Authorization: Bearer <access token>`",
            )),
        }
    }
}

impl FromRequestParts<AppState> for OptionalViewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match bearer(parts)? {
            Some(token) => {
                let viewer = authenticate(state, token).await?;
                SeenUser::note(parts, &viewer);
                Ok(OptionalViewer(Some(viewer)))
            }
            None => Ok(OptionalViewer(None)),
        }
    }
}

/// The viewer's current role, if the account is still active.
async fn current_role(state: &AppState, viewer: &Viewer) -> Result<Role, ApiError> {
    let user = super::users::find(state.db().reader(), viewer.user_id.0)
        .await?
        .filter(|u| u.status == AccountStatus::Active)
        .ok_or_else(|| ApiError::unauthorized("this account no longer exists or is disabled"))?;
    Ok(user.role)
}

impl FromRequestParts<AppState> for ModeratorUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        if current_role(state, &viewer).await?.can_moderate() {
            Ok(ModeratorUser(viewer))
        } else {
            Err(ApiError::forbidden(
                "this needs the moderator or admin role",
            ))
        }
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        if current_role(state, &viewer).await? == Role::Admin {
            Ok(AdminUser(viewer))
        } else {
            Err(ApiError::forbidden("this needs the admin role"))
        }
    }
}
