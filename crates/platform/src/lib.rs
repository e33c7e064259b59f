//! Agora's platform: the services every product module uses.
//!
//! Today: the shared [`AppState`], the [`Module`] contract between products and the server,
//! health checks, identity (accounts, tokens, sessions, roles, audit log), rate limits,
//! outgoing [`email`], [`idempotency`] keys for creates, durable [`jobs`] with their
//! scheduler, [`notifications`], the [`realtime`] hub (`/ws`), [`profiles`] with onboarding
//! ([`geolocation`]), and [`media`] (uploads checked by content, images re-encoded with
//! thumbnails, stored locally or in S3), [`moderation`] (content rules, the hook every module
//! calls on public user text, the queue), [`analytics`] (activity, roll-ups, `/metrics/...`)
//! and [`observability`] (the error log, Sentry, `/metrics`; what requests count:
//! [`telemetry`]).

pub mod admin;
pub mod analytics;
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
pub mod moderation;
pub mod module;
pub mod notifications;
pub mod observability;
pub mod profiles;
pub mod ratelimit;
pub mod realtime;
pub mod state;
pub mod telemetry;
pub mod tls;

pub use module::{Module, Tag};
pub use state::AppState;

use utoipa_axum::router::OpenApiRouter;

/// The areas of the platform, always on, registered with the server as the products are
/// (`Module`): their `/api/v1` routes in this order, their jobs, schedules and codes.
pub const AREAS: &[Module] = &[
    PLATFORM,
    identity::MODULE,
    moderation::MODULE,
    profiles::MODULE,
    notifications::MODULE,
    realtime::MODULE,
    media::MODULE,
    email::MODULE,
    idempotency::MODULE,
    jobs::MODULE,
    admin::MODULE,
    analytics::MODULE,
    observability::MODULE,
];

/// What belongs to no one area: the platform's tables (one set of migrations, as its areas'
/// tables refer to each other) and the health checks' tag and code.
pub const PLATFORM: Module = Module {
    tags: &[Tag {
        name: "platform",
        description: "Health, documentation and server-wide endpoints",
    }],
    migrations: migrations::migrations,
    error_codes: &[&health::DEPENDENCY_UNAVAILABLE],
    ..Module::new("platform")
};

/// The platform's routes at the root: health checks, `/.well-known/jwks.json`, stored media
/// (`/media/{key}`) and `/metrics`.
pub fn root_router() -> OpenApiRouter<AppState> {
    health::router()
        .merge(identity::root_router())
        .merge(media::routes::root_router())
        .merge(observability::root_router())
}
