//! Agora's platform: the services every product module uses.
//!
//! Today: the shared [`AppState`], the [`Module`] contract between products and the server,
//! health checks, identity (accounts, tokens, sessions, roles, audit log), rate limits,
//! outgoing [`email`], [`idempotency`] keys for creates, durable [`jobs`] with their
//! scheduler, [`notifications`], the [`realtime`] hub (`/ws`), [`profiles`] with onboarding
//! ([`geolocation`]), and [`media`] (uploads checked by content, images re-encoded with
//! thumbnails, stored locally or in S3). Moderation and search are added here by the issues
//! that build them.

pub mod audit;
pub mod email;
pub mod entities;
pub mod geolocation;
pub mod health;
pub mod idempotency;
pub mod identity;
pub mod jobs;
pub mod media;
pub mod migrations;
pub mod module;
pub mod notifications;
pub mod profiles;
pub mod ratelimit;
pub mod realtime;
pub mod state;
pub mod tls;

pub use module::Module;

/// The problem codes the platform answers with, beyond the core's and the store's
/// (`docs/errors.md`).
pub const ERROR_CODES: &[&agora_core::ErrorCode] = &[
    &identity::INVALID_CREDENTIALS,
    &identity::ACCOUNT_DISABLED,
    &identity::ALREADY_EXISTS,
    &identity::INVALID_REFRESH_TOKEN,
    &identity::REFRESH_TOKEN_REUSED,
    &identity::TOKEN_EXPIRED,
    &identity::INVALID_TOKEN,
    &identity::SESSION_REVOKED,
    &identity::LINK_EXPIRED,
    &identity::LINK_USED,
    &identity::LINK_INVALID,
    &identity::ALREADY_VERIFIED,
    &health::DEPENDENCY_UNAVAILABLE,
    &idempotency::IDEMPOTENCY_KEY_REUSED,
    &media::QUOTA_EXCEEDED,
    &realtime::SHUTTING_DOWN,
    &realtime::TOO_MANY_SOCKETS,
];
pub use state::AppState;

use utoipa_axum::router::OpenApiRouter;

/// The platform's routes under `/api/v1` (identity, administration, audit log, jobs,
/// notifications, profiles, real time, media uploads and the profile picture).
pub fn api_router() -> OpenApiRouter<AppState> {
    identity::api_router()
        .merge(audit::router())
        .merge(jobs::routes::router())
        .merge(notifications::routes::router())
        .merge(profiles::routes::router())
        .merge(realtime::router())
        .merge(media::routes::router())
}

/// The platform's routes at the root: health checks, `/.well-known/jwks.json` and stored media
/// (`/media/{key}`).
pub fn root_router() -> OpenApiRouter<AppState> {
    health::router()
        .merge(identity::root_router())
        .merge(media::routes::root_router())
}
