//! Administration: the routes under `/api/v1/admin` that act on accounts, read the audit log,
//! operate the job queue and manage moderation (its rules; tagged `moderation`). It sits above the areas it administers (identity, audit, jobs),
//! which never import it.

mod audit_log;
mod jobs;
mod moderation_queue;
mod moderation_rules;
pub mod queries;
mod users;

pub use crate::entities::users::AccountStatus;

use utoipa_axum::router::OpenApiRouter;

use crate::{AppState, Module, Tag};

/// The administration area.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "admin",
        description: "Administration of accounts, the audit log and the job queue (admins only)",
    }],
    router,
    ..Module::new("admin")
};

/// The admin routes under `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    users::router()
        .merge(audit_log::router())
        .merge(jobs::router())
        .merge(moderation_rules::router())
        .merge(moderation_queue::router())
}
