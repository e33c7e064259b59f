//! The `tasks` module: per-user tasks with optimistic locking (plan: tasks.md).
//!
//! The smallest product, and the model the others follow (ARCHITECTURE.md, "A product
//! module"): one `MODULE` with the module's router, migrations and settings, and one folder
//! per resource holding its routes, types, queries and rules.

pub mod migrations;
pub mod settings;
pub mod tasks;

use agora_platform::{AppState, Module};
use agora_store::sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

/// What the server mounts when `tasks` is in `AGORA_MODULES`.
pub const MODULE: Module = Module {
    name: "tasks",
    router,
    migrations,
    jobs: agora_platform::module::no_jobs,
    schedules: &[],
    rooms: &[],
    settings: Some(settings::SECTION),
    error_codes: &[],
};

/// Routes of the module, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    tasks::router()
}

/// Schema migrations of the module.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migrations::migrations()
}
