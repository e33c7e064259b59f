//! The `fantasy` module: the F1 fantasy league (plan: fantasy-f1.md).
//!
//! The F1 data it plays on: the Jolpica client (`jolpica/`, the module's service: pages,
//! retries, Jolpica's rate limits shared through Redis, cached and conditional reads, strict
//! parsing), the sync that imports a season in one transaction (`sync/`: from the API or a
//! folder, by `agora fantasy import`, `POST /fantasy/admin/sync`, a job after each race and a
//! daily catch-up), the scoring rule (`scoring/rules.rs`), and the read routes of drivers and
//! races (`drivers/`, `races/`; seasons and teams in `seasons/`). Decision 0029.
//!
//! The game: leagues with a join code (`leagues/`), a user's constructor in a league, made by
//! joining it (`constructors/`), and each race's draft (`drafts/`): an order shuffled by a
//! recorded seed for a league's first race and rotated after, turns by the sequential or snake
//! method, two drivers per constructor and a driver once per league and race (the database's
//! unique keys), an optional pick clock that picks for a constructor that let its turn pass
//! (`fantasy.auto_pick`), the next race's draft opened after each race
//! (`fantasy.rotate_drafts`), the turn told to its constructor (`fantasy.pick_turn`) and the
//! draft live in the league's room (`league:{id}`). Decision 0030.
//!
//! The scores: each constructor's points in a race, from its picks and the results, written
//! in the sync's transaction where they changed and summed into its `total_points`
//! (`scoring/league.rs`, told by `fantasy.race_scored` and the room's `leaderboard.updated`),
//! and the leaderboards of a league's season and races, ranked with shared ties and cached
//! under the league's standings version (`leaderboards/`). Decision 0031.

pub mod command;
pub mod constraints;
pub mod constructors;
pub mod drafts;
pub mod drivers;
pub mod jolpica;
pub mod leaderboards;
pub mod leagues;
pub mod migrations;
pub mod moderation;
pub mod params;
pub mod races;
pub mod scoring;
pub mod seasons;
pub mod settings;
pub mod sync;
pub mod users;

use agora_platform::jobs::{JobKind, Schedule};
use agora_platform::module::{ServiceContext, Services};
use agora_platform::{AppState, Module, Tag};
use agora_store::sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

/// What the server mounts when `fantasy` is in `AGORA_MODULES`.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "fantasy",
        description: "The F1 fantasy league: drivers, races and results synced from Jolpica, with fantasy points; leagues, constructors and each race's draft",
    }],
    router,
    migrations,
    settings: Some(settings::SECTION),
    services,
    jobs,
    schedules: SCHEDULES,
    rooms: &[drafts::room::LEAGUE_ROOMS],
    command: Some(command::COMMAND),
    error_codes: &[
        &constructors::LEAGUE_FULL,
        &constructors::ALREADY_JOINED,
        &constructors::TEAM_NAME_TAKEN,
        &drafts::NOT_YOUR_TURN,
        &drafts::DRIVER_TAKEN,
        &drafts::DRAFT_CLOSED,
        &drafts::DRAFT_COMPLETE,
        &drafts::DRAFT_EXISTS,
        &drafts::DRAFT_STARTED,
        &drafts::NOT_ENOUGH_CONSTRUCTORS,
    ],
    moderation: moderation::KINDS,
    ..Module::new("fantasy")
};

/// The daily catch-up of the F1 data and the hourly rotation of the drafts.
const SCHEDULES: &[Schedule] = &[sync::jobs::CATCH_UP_SCHEDULE, drafts::jobs::ROTATE_SCHEDULE];

/// Routes of the module, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(drivers::routes::router())
        .merge(races::routes::router())
        .merge(sync::routes::router())
        .merge(leagues::routes::router())
        .merge(constructors::routes::router())
        .merge(drafts::routes::router())
        .merge(leaderboards::routes::router())
}

/// Schema migrations of the module.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migrations::migrations()
}

/// The sync's jobs and the drafts'.
fn jobs() -> Vec<JobKind> {
    let mut kinds = sync::jobs::kinds();
    kinds.extend(drafts::jobs::kinds());
    kinds
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
