//! What a product crate, or an area of the platform, hands to the server: the module contract.
//!
//! ```ignore
//! pub const MODULE: Module = Module {
//!     router,
//!     migrations,
//!     settings: Some(settings::SECTION),
//!     services,
//!     jobs,
//!     schedules: &[Schedule { kind: SyncSeason::KIND, cron: "0 6 * * *" }],
//!     rooms: &[DRAFT_ROOM],
//!     command: Some(command::COMMAND),
//!     error_codes: &[&NOT_YOUR_TURN],
//!     tags: &[Tag { name: "fantasy", description: "The F1 fantasy league: leagues, drafts, scoring" }],
//!     ..Module::new("fantasy")
//! };
//! ```
//!
//! The server lists each product's `MODULE` once (`crates/server/src/app.rs`, `MODULES`) and
//! does the rest: it loads the module's settings with the core's, runs its migrations, builds
//! its services into [`AppState`], mounts its routes under `/api/v1` with its OpenAPI tag,
//! registers its jobs, schedules and real-time rooms, and adds its command to `agora`. The
//! platform's own areas register the same way (`agora_platform::AREAS`), so the job queue
//! knows no job of theirs by name.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::sync::Arc;

use agora_core::ErrorCode;
use agora_core::config::{Config, SettingsSection};
use agora_store::sea_orm_migration::MigrationTrait;
use agora_store::{Db, MigrationSource, Redis};
use futures::future::BoxFuture;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::jobs::{JobKind, Schedule};
use crate::moderation::ModeratedKind;
use crate::profiles::ViewerFactsFn;
use crate::realtime::RoomKind;

/// A module's engagement counter, for analytics (`crate::analytics`): each day's value is the
/// number of rows of `table` whose `at` column (a creation time) falls on that UTC day.
/// Counters of one name add up (`likes` of posts and of comments). The names are the columns
/// of the engagement series and the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// `posts`, `comments`, `likes`: lowercase, one word.
    pub name: &'static str,
    /// The module's table.
    pub table: &'static str,
    /// Its creation time column (a timestamp with time zone).
    pub at: &'static str,
}

/// A module: a product (enabled by `AGORA_MODULES`) or an area of the platform (always on).
///
/// Start from [`Module::new`] and name only what the module brings; every other field is
/// empty there.
#[derive(Clone, Copy)]
pub struct Module {
    /// The name used in `AGORA_MODULES`, in its settings' keys (`<name>.page_size`) and as the
    /// name of its command (`agora <name> …`).
    pub name: &'static str,
    /// The OpenAPI tags of its routes, with their descriptions (a product has one, named after
    /// it). A test checks that every operation's tag is declared by some module.
    pub tags: &'static [Tag],
    /// Routes relative to `/api/v1`, annotated for OpenAPI.
    pub router: fn() -> OpenApiRouter<AppState>,
    /// Its schema migrations (all modules' always run: see `agora_store::migrate`).
    pub migrations: MigrationSource,
    /// Its own settings (keys `<module>.<name>`, variables `AGORA_<MODULE>_<NAME>`), loaded and
    /// checked at start with the core's whether or not the module is enabled, printed by
    /// `agora config` and listed in the reference; handlers read them with
    /// `state.config().section::<TheirType>()`. `None` for a module with no settings.
    pub settings: Option<SettingsSection>,
    /// Builds the long-lived services its handlers and jobs use (an API client, an index, a
    /// cache of rules), once at start; they reach them with `state.service::<T>()`.
    pub services: fn(&ServiceContext<'_>, &mut Services) -> Result<(), String>,
    /// The kinds of job it enqueues, with their handlers (`crate::jobs`).
    pub jobs: fn() -> Vec<JobKind>,
    /// Its periodic jobs (each names one of its kinds), by default cron expression.
    pub schedules: &'static [Schedule],
    /// The kinds of real-time rooms it owns (`topic`, `conversation`), each with the rule that
    /// decides who may join one.
    pub rooms: &'static [RoomKind],
    /// Its command line, `agora <name> …`, if it has one.
    pub command: Option<ModuleCommand>,
    /// What it tells about a user to the viewer of their public profile (`followed_by_me`,
    /// a block that hides it), if anything.
    pub profile_facts: Option<ViewerFactsFn>,
    /// The problem codes of its own (`poll_closed`), each declared beside the code that raises
    /// it; `docs/errors.md` lists them under the module.
    pub error_codes: &'static [&'static ErrorCode],
    /// The kinds of its content on the moderation queue (`post`, `comment`), each with how the
    /// moderators restore it or remove it (`crate::moderation::ModeratedKind`).
    pub moderation: &'static [ModeratedKind],
    /// Its engagement counters for analytics (`posts`, `likes`): each a table and its creation
    /// time column, counted per day by the roll-up (`crate::analytics`).
    pub counters: &'static [Counter],
}

impl Module {
    /// A module named `name` that brings nothing yet.
    pub const fn new(name: &'static str) -> Module {
        Module {
            name,
            tags: &[],
            router: OpenApiRouter::new,
            migrations: no_migrations,
            settings: None,
            services: no_services,
            jobs: no_jobs,
            schedules: &[],
            rooms: &[],
            command: None,
            profile_facts: None,
            error_codes: &[],
            moderation: &[],
            counters: &[],
        }
    }
}

/// An OpenAPI tag: the group a route is listed under in the document and in `/docs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    pub name: &'static str,
    pub description: &'static str,
}

/// What services are built from: the loaded configuration, the database and the shared Redis.
pub struct ServiceContext<'a> {
    pub config: &'a Config,
    pub db: &'a Db,
    pub redis: Option<&'a Redis>,
}

/// The services of the modules, one value per type, built at start and shared by every request
/// and job (each is held in an `Arc`; make a service cheap to share, or `Clone` it out).
#[derive(Clone, Default)]
pub struct Services(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl Services {
    /// Adds `service`. Two services of one type would make `state.service::<T>()` ambiguous:
    /// the second is refused, naming the type.
    pub fn insert<T: Send + Sync + 'static>(&mut self, service: T) -> Result<(), String> {
        match self.0.entry(TypeId::of::<T>()) {
            std::collections::hash_map::Entry::Occupied(_) => Err(format!(
                "two modules build a service of type {}",
                type_name::<T>()
            )),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(Arc::new(service));
                Ok(())
            }
        }
    }

    /// The service of type `T`, if a module built one.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0.get(&TypeId::of::<T>())?.downcast_ref::<T>()
    }
}

/// A module's command line: `agora <module name> …`.
#[derive(Clone, Copy)]
pub struct ModuleCommand {
    /// Its arguments and subcommands (clap's builder; the command is named after the module
    /// by the server, whatever name this gives it).
    pub cli: fn() -> clap::Command,
    /// Runs it on the state of the application, built as for serving (migrations applied,
    /// services built, no server started), with what the command line matched. An error
    /// ends `agora` with status 1 and the message on one line.
    pub run: fn(AppState, clap::ArgMatches) -> BoxFuture<'static, anyhow::Result<()>>,
}

/// For a module without tables.
pub fn no_migrations() -> Vec<Box<dyn MigrationTrait>> {
    Vec::new()
}

/// For a module without services.
pub fn no_services(_: &ServiceContext<'_>, _: &mut Services) -> Result<(), String> {
    Ok(())
}

/// For a module that runs no jobs.
pub fn no_jobs() -> Vec<JobKind> {
    Vec::new()
}
