//! Email verification and password reset: links sent by email, each a single-use token
//! ([`super::one_time`]). The email is written to the outbox in the transaction that issues
//! the token, so a link exists if and only if its email is on its way.

use agora_core::extract::Json;
use agora_core::{ApiError, ApiResult, ErrorCode, FieldCode, FieldError, UserId};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{AccountStatus, User};
use super::names::EmailAddress;
use super::one_time::{self, Purpose, Redeemed};
use super::password::Password;
use super::sessions::RevokedReason;
use super::viewer::Viewer;
use super::{sessions, users};
use crate::AppState;
use crate::email::{self, OutgoingEmail, Template};
use crate::entities::users as user_rows;
use crate::ratelimit::{ClientIp, RateLimitStatus};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_password_reset))
        .routes(routes!(reset_password))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
}

/// The link of an email, in the web application: `{app_url}/{page}?token=…`.
fn link(state: &AppState, page: &str, token: &str) -> ApiResult<url::Url> {
    let mut url = state
        .config()
        .server
        .app_url
        .join(page)
        .map_err(ApiError::internal)?;
    url.query_pairs_mut().append_pair("token", token);
    Ok(url)
}

fn address(user: &user_rows::Model) -> ApiResult<email::Address> {
    user.email.parse().map_err(ApiError::internal)
}

/// Issues a verification token for `user` and queues its email, in `conn`'s transaction.
pub(super) async fn send_verification(
    state: &AppState,
    conn: &impl ConnectionTrait,
    user: &user_rows::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let token = one_time::issue(conn, UserId(user.id), Purpose::VerifyEmail, now).await?;
    let message = OutgoingEmail {
        to: address(user)?,
        template: Template::VerifyEmail {
            username: user.username.clone(),
            link: link(state, "verify-email", &token)?,
        },
    };
    email::enqueue(conn, message, now).await?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(
        max_length = 254,
        pattern = "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}){0,2}@[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?){1,4}$"
    )]
    pub email: String,
}

/// Email a password-reset link (valid 1 hour) if an active account has this address. The
/// answer is the same, and as fast, whether or not it does.
#[utoipa::path(post, path = "/auth/request-password-reset", tag = "identity",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the address belongs to an account, a link is on its way"),
        (status = 422, description = "Not an email address"),
        (status = 429, description = "Too many attempts (`rate_limited`, with `Retry-After`)"),
    ))]
async fn request_password_reset(
    State(state): State<AppState>,
    client: ClientIp,
    Json(body): Json<PasswordResetRequest>,
) -> ApiResult<(StatusCode, RateLimitStatus, ())> {
    let limit = state
        .rate_limiter()
        .check_password_reset(client, &body.email)
        .await?;
    let email = EmailAddress::parse(&body.email).map_err(|e| ApiError::invalid("email", e))?;
    // The work happens after the answer, so its duration tells nothing about the account.
    tokio::spawn(async move {
        if let Err(err) = send_password_reset(&state, &email).await {
            tracing::error!(error = %err, "cannot send a password reset email");
        }
    });
    Ok((StatusCode::ACCEPTED, limit, ()))
}

async fn send_password_reset(state: &AppState, email: &EmailAddress) -> ApiResult<()> {
    let db = state.db();
    let Some(user) = users::find_by_login(db.reader(), Some(email.as_str()), None).await? else {
        return Ok(());
    };
    if user.status != AccountStatus::Active {
        return Ok(());
    }
    let now = agora_core::time::now();
    let txn = db.begin().await?;
    let token = one_time::issue(&txn, UserId(user.id), Purpose::PasswordReset, now).await?;
    let message = OutgoingEmail {
        to: address(&user)?,
        template: Template::PasswordReset {
            username: user.username.clone(),
            link: link(state, "reset-password", &token)?,
        },
    };
    email::enqueue(&txn, message, now).await?;
    txn.commit().await?;
    state.jobs().wake();
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// The token of the emailed link.
    pub token: String,
    /// 8–128 characters, not a common password.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

pub const LINK_EXPIRED: ErrorCode = ErrorCode {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    code: "link_expired",
    when: "The password-reset or verification link has expired.",
    what_to_do: "Ask for a new link.",
};

pub const LINK_USED: ErrorCode = ErrorCode {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    code: "link_used",
    when: "The password-reset or verification link was already used.",
    what_to_do: "Ask for a new link if it is still needed (a verified address stays verified).",
};

pub const LINK_INVALID: ErrorCode = ErrorCode {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    code: "link_invalid",
    when: "The token of the link is not one the server issued.",
    what_to_do: "Ask for a new link; check the link was copied whole.",
};

pub const ALREADY_VERIFIED: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "already_verified",
    when: "A new verification link was asked for an address that is already verified.",
    what_to_do: "Nothing to do; refresh the account's state.",
};

/// Why a link was refused: a 422 on `token` with a code a client can explain.
fn bad_link(redeemed: Redeemed) -> ApiError {
    let (code, field_code, message) = match redeemed {
        Redeemed::Expired => (
            &LINK_EXPIRED,
            FieldCode::OutOfRange,
            "this link has expired; ask for a new one",
        ),
        Redeemed::AlreadyUsed => (
            &LINK_USED,
            FieldCode::Invalid,
            "this link has already been used",
        ),
        _ => (
            &LINK_INVALID,
            FieldCode::InvalidFormat,
            "this link is not valid",
        ),
    };
    ApiError::from_code(code, message)
        .with_errors(vec![FieldError::new("token", field_code, message)])
}

/// Choose a new password with the token of a reset link. Every session of the account ends.
#[utoipa::path(post, path = "/auth/reset-password", tag = "identity",
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "Password changed; every session ended"),
        (status = 422, description = "Weak password (`validation_failed`), or `link_invalid`, `link_expired`, `link_used`"),
    ))]
async fn reset_password(
    State(state): State<AppState>,
    client: ClientIp,
    Json(body): Json<ResetPasswordRequest>,
) -> ApiResult<StatusCode> {
    let password =
        Password::parse(&body.new_password).map_err(|e| ApiError::invalid("new_password", e))?;
    let hash = state
        .identity()
        .passwords
        .hash(&password)
        .await
        .map_err(ApiError::internal)?;
    let now = agora_core::time::now();
    let txn = state.db().begin().await?;
    let user_id = match one_time::redeem(&txn, &body.token, Purpose::PasswordReset, now).await? {
        Redeemed::Valid(user) => user,
        other => return Err(bad_link(other)),
    };
    let user = users::find(&txn, user_id.0)
        .await?
        .ok_or_else(|| bad_link(Redeemed::Unknown))?;
    // The link reached the owner of the address: it is verified.
    let verified_at = user.email_verified_at.unwrap_or(now);
    users::set_password(&txn, user.id, hash, verified_at, now).await?;
    let ended = sessions::revoke_all_in(&txn, user.id, RevokedReason::PasswordReset, now).await?;
    // The owner (who read the link) is here: this network may sign in even while a distributed
    // attack has spent the account-wide login budget (0008, "Login throttle").
    let network = state.identity().hash_network(&client.network_key());
    super::networks::remember(&txn, user.id, network, now).await?;
    txn.commit().await?;
    state.identity().revoke(&ended, now);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token of the emailed link.
    pub token: String,
}

/// Confirm an email address with the token of a verification link (valid 24 hours).
#[utoipa::path(post, path = "/auth/verify-email", tag = "identity",
    request_body = VerifyEmailRequest,
    responses(
        (status = 200, description = "The address is verified", body = User),
        (status = 422, description = "`link_invalid`, `link_expired` or `link_used`"),
    ))]
async fn verify_email(
    State(state): State<AppState>,
    Json(body): Json<VerifyEmailRequest>,
) -> ApiResult<Json<User>> {
    let now = agora_core::time::now();
    let txn = state.db().begin().await?;
    let user_id = match one_time::redeem(&txn, &body.token, Purpose::VerifyEmail, now).await? {
        Redeemed::Valid(user) => user,
        other => return Err(bad_link(other)),
    };
    let user = users::mark_verified(&txn, user_id.0, now).await?;
    let welcome = OutgoingEmail {
        to: address(&user)?,
        template: Template::Welcome {
            username: user.username.clone(),
            link: state.config().server.app_url.clone(),
        },
    };
    email::enqueue(&txn, welcome, now).await?;
    txn.commit().await?;
    state.jobs().wake();
    Ok(Json(User::from(user)))
}

/// Send the verification link again (the earlier one stops working).
#[utoipa::path(post, path = "/auth/resend-verification", tag = "identity", security(("bearer" = [])),
    responses(
        (status = 202, description = "A new link is on its way"),
        (status = 401),
        (status = 409, description = "`already_verified`"),
    ))]
async fn resend_verification(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<StatusCode> {
    let db = state.db();
    let user = users::find(db.reader(), viewer.user_id.0)
        .await?
        .ok_or_else(|| ApiError::unauthorized("this account no longer exists"))?;
    if user.email_verified_at.is_some() {
        return Err(ALREADY_VERIFIED.with_detail("this email address is already verified"));
    }
    let now = agora_core::time::now();
    let txn = db.begin().await?;
    send_verification(&state, &txn, &user, now).await?;
    txn.commit().await?;
    state.jobs().wake();
    Ok(StatusCode::ACCEPTED)
}
