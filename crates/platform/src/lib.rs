//! Agora's platform: the services every product module uses.
//!
//! Today: the shared [`AppState`], the [`Module`] contract between products and the server,
//! health checks, identity (accounts, tokens, sessions, roles, audit log), rate limits,
//! outgoing [`email`], [`idempotency`] keys for creates, durable [`jobs`] with their
//! scheduler, [`notifications`] and the [`realtime`] hub (`/ws`). Media, moderation and search
//! are added here by the issues that build them.

pub mod audit;
pub mod email;
pub mod entities;
pub mod geolocation;
pub mod health;
pub mod idempotency;
pub mod identity;
pub mod jobs;
pub mod migrations;
pub mod module;
pub mod notifications;
pub mod profiles;
pub mod ratelimit;
pub mod realtime;
pub mod state;
pub mod tls;

pub use module::Module;
pub use state::AppState;

use utoipa_axum::router::OpenApiRouter;

/// The platform's routes under `/api/v1` (identity, administration, audit log, jobs,
/// notifications, real time).
pub fn api_router() -> OpenApiRouter<AppState> {
    identity::api_router()
        .merge(audit::router())
        .merge(jobs::routes::router())
        .merge(notifications::routes::router())
        .merge(profiles::routes::router())
        .merge(realtime::router())
}

/// The platform's routes at the root: health checks and `/.well-known/jwks.json`.
pub fn root_router() -> OpenApiRouter<AppState> {
    health::router().merge(identity::root_router())
}
