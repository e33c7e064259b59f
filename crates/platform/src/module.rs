//! What a product crate hands to the server.

use agora_core::ErrorCode;
use agora_core::config::SettingsSection;
use agora_store::MigrationSource;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::jobs::{JobKind, Schedule};
use crate::realtime::RoomKind;

/// A product module: its routes (with their OpenAPI description), its migrations, the jobs it
/// runs in the background, the real-time rooms it owns and its settings.
///
/// Each product crate exposes one `pub const MODULE: Module`; the server mounts the routers of
/// the modules enabled by `AGORA_MODULES` and runs every module's migrations.
#[derive(Clone, Copy)]
pub struct Module {
    /// The name used in `AGORA_MODULES`.
    pub name: &'static str,
    /// Routes relative to `/api/v1`.
    pub router: fn() -> OpenApiRouter<AppState>,
    pub migrations: MigrationSource,
    /// The kinds of job it enqueues, with their handlers (`crate::jobs`).
    pub jobs: fn() -> Vec<JobKind>,
    /// Its periodic jobs (each names one of its kinds), by default cron expression.
    pub schedules: &'static [Schedule],
    /// The kinds of real-time rooms the module owns (`topic`, `conversation`), each with the
    /// rule that decides who may join one.
    pub rooms: &'static [RoomKind],
    /// Its own settings (keys `<module>.<name>`, variables `AGORA_<MODULE>_<NAME>`), loaded and
    /// checked at start with the core's whether or not the module is enabled, printed by
    /// `agora config` and listed in the reference; handlers read them with
    /// `state.config().section::<TheirType>()`. `None` for a module with no settings.
    pub settings: Option<SettingsSection>,
    /// The problem codes of its own (`poll_closed`), each declared beside the code that raises
    /// it; `docs/errors.md` lists them under the module.
    pub error_codes: &'static [&'static ErrorCode],
}

/// For a module that runs no jobs: `jobs: no_jobs`.
pub fn no_jobs() -> Vec<JobKind> {
    Vec::new()
}
