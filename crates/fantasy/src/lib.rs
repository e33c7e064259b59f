//! The `fantasy` module: the F1 fantasy league (plan: fantasy-f1.md).
//!
//! Built so far: the F1 data it plays on. The Jolpica client (`jolpica/`, the module's
//! service: pages, retries, Jolpica's rate limits shared through Redis, cached and conditional
//! reads, strict parsing), the sync that imports a season in one transaction (`sync/`: from
//! the API or a folder, by `agora fantasy import`, `POST /fantasy/admin/sync`, a job after
//! each race and a daily catch-up), the scoring rule (`scoring/rules.rs`), and the read
//! routes of drivers and races (`drivers/`, `races/`; seasons and teams in `seasons/`). Leagues,
//! constructors (users' teams), drafts and leaderboards come next and refer to the drivers
//! and races by id. Decision 0029 says why it is built this way.

pub mod command;
pub mod drivers;
pub mod jolpica;
pub mod migrations;
pub mod params;
pub mod races;
pub mod scoring;
pub mod seasons;
pub mod settings;
pub mod sync;

use agora_platform::module::{ServiceContext, Services};
use agora_platform::{AppState, Module, Tag};
use agora_store::sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

/// What the server mounts when `fantasy` is in `AGORA_MODULES`.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "fantasy",
        description: "The F1 fantasy league: drivers, races and results synced from Jolpica, with fantasy points",
    }],
    router,
    migrations,
    settings: Some(settings::SECTION),
    services,
    jobs: sync::jobs::kinds,
    schedules: sync::jobs::SCHEDULES,
    command: Some(command::COMMAND),
    ..Module::new("fantasy")
};

/// Routes of the module, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(drivers::routes::router())
        .merge(races::routes::router())
        .merge(sync::routes::router())
}

/// Schema migrations of the module.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migrations::migrations()
}

/// The Jolpica client, with its budgets and cache shared through Redis when configured.
fn services(ctx: &ServiceContext<'_>, services: &mut Services) -> Result<(), String> {
    let settings = ctx
        .config
        .section::<settings::FantasySettings>()
        .ok_or("the fantasy settings were not loaded")?;
    services.insert(jolpica::Jolpica::new(
        settings,
        &ctx.config.rate_limits,
        ctx.redis.cloned(),
    )?)
}
