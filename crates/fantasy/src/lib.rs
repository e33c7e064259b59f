//! The `fantasy` module: the F1 fantasy league: Jolpica data sync, leagues, constructors, sequential and snake drafts, scoring and leaderboards (plan: fantasy-f1.md).
//!
//! Not built yet: the module mounts no routes and adds no tables. Its issue fills in the
//! resources, one folder each (routes, types, queries and rules together; see ARCHITECTURE.md).

use agora_platform::{AppState, Module};
use agora_store::sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

/// What the server mounts when `fantasy` is in `AGORA_MODULES`.
pub const MODULE: Module = Module {
    name: "fantasy",
    router,
    migrations,
    jobs: agora_platform::module::no_jobs,
    schedules: &[],
    rooms: &[],
    settings: None,
    error_codes: &[],
};

/// Routes of the module, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

/// Schema migrations of the module.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    Vec::new()
}
