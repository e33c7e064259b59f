//! The `tasks` module: per-user tasks with optimistic locking (plan: tasks.md).
//!
//! The smallest product, and the model the others follow (ARCHITECTURE.md, "A product
//! module"): one `MODULE` with what the module brings (its OpenAPI tag, router, migrations,
//! settings and command), and one folder per resource holding its routes, types, queries and
//! rules.

pub mod command;
pub mod migrations;
pub mod settings;
pub mod tasks;

use agora_platform::{AppState, Module, Tag};
use agora_store::sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

/// What the server mounts when `tasks` is in `AGORA_MODULES`. Tasks run no jobs and own no
/// rooms or services: those fields keep `Module::new`'s empty values.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "tasks",
        description: "A user's own tasks, with optimistic locking (`If-Match` / `version`) and idempotent creates",
    }],
    router,
    migrations,
    settings: Some(settings::SECTION),
    command: Some(command::COMMAND),
    ..Module::new("tasks")
};

/// Routes of the module, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    tasks::routes::router()
}

/// Schema migrations of the module.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migrations::migrations()
}
