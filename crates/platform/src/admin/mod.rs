//! Administration: the routes under `/api/v1/admin` that act on accounts and read the audit
//! log. It sits above the areas it administers (identity, audit), which never import it.
//! The queue's admin routes stay with the queue (`crate::jobs::routes`).

mod audit_log;
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
    users::router().merge(audit_log::router())
}
