//! Assembly: the only place that knows every module. It connects the database, runs the
//! migrations, builds the shared state and mounts the routers of the enabled modules.

use agora_core::ApiError;
use agora_core::config::{Config, SettingsSection};
use agora_platform::jobs::schedule::Scheduler;
use agora_platform::jobs::{self, JobKinds, Schedule, Worker, WorkerOptions};
use agora_platform::realtime::RoomKind;
use agora_platform::{AppState, Module};
use agora_store::{Db, DbOptions, Migrator};
use anyhow::Context;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::{middleware, openapi};

/// Every product module, in the order their routes are mounted.
pub const MODULES: &[Module] = &[
    agora_social::MODULE,
    agora_forums::MODULE,
    agora_fantasy::MODULE,
    agora_tasks::MODULE,
];

/// The settings sections of every module, enabled or not: a module turned on later finds its
/// settings checked, and `agora config` shows them all.
pub fn settings_sections() -> Vec<SettingsSection> {
    MODULES.iter().filter_map(|m| m.settings).collect()
}

/// The migrations of the platform and of every module (all always run; see `agora_store::migrate`).
pub fn migrator() -> Migrator {
    let mut sources = vec![agora_platform::migrations::migrations as agora_store::MigrationSource];
    sources.extend(MODULES.iter().map(|m| m.migrations));
    Migrator::new(sources)
}

/// Opens the database of `config`, naming it in the error when that fails.
pub async fn connect(config: &Config) -> anyhow::Result<Db> {
    Db::connect(&DbOptions {
        url: config.database.url.clone(),
        kind: config.database.kind,
        max_connections: config.database.max_connections,
        acquire_timeout: config.database.acquire_timeout,
    })
    .await
    .with_context(|| {
        format!(
            "cannot open the database at {}",
            agora_core::config::redact_url_password(&config.database.url)
        )
    })
}

/// A ready-to-serve application.
pub struct App {
    pub state: AppState,
    pub router: Router,
    /// Runs the jobs of the platform and of the enabled modules.
    pub worker: Worker,
    pub scheduler: Scheduler,
}

/// Connects, migrates (unless `migrate` is false) and builds the router.
pub async fn build(config: Config, migrate: bool) -> anyhow::Result<App> {
    build_with_rooms(config, migrate, &[]).await
}

/// [`build`], with real-time room kinds beyond those of the enabled modules (tests use it to
/// have rooms that several users may join).
pub async fn build_with_rooms(
    config: Config,
    migrate: bool,
    extra_rooms: &[RoomKind],
) -> anyhow::Result<App> {
    let db = connect(&config).await?;
    if migrate {
        let applied = migrator()
            .up(&db)
            .await
            .context("applying database migrations failed")?;
        if applied > 0 {
            tracing::info!(applied, "applied database migrations");
        }
    } else {
        refuse_pending_migrations(&db).await?;
    }
    if let Some(warning) = config.multi_instance_warning() {
        tracing::warn!("{warning}");
    }
    let redis = match &config.redis.url {
        // Opened lazily: a Redis that is down now delays nothing and is reported by
        // `/health/ready`; rate limits fall back to this instance's counters meanwhile.
        Some(url) => Some(
            agora_store::Redis::open(url, &config.redis.prefix).with_context(|| {
                format!(
                    "cannot use the Redis at {}",
                    agora_core::config::redact_url_password(url.as_str())
                )
            })?,
        ),
        None => None,
    };
    let rooms: Vec<RoomKind> = enabled(&config)
        .flat_map(|m| m.rooms.iter().copied())
        .chain(extra_rooms.iter().copied())
        .collect();
    let state = AppState::with_rooms(config, db, redis, &rooms).map_err(anyhow::Error::msg)?;
    if let Err(err) = state.identity().load_revocations(state.db()).await {
        tracing::warn!(error = %err, "cannot load recently revoked sessions");
    }
    let router = router(state.clone());
    App::new(state, router)
}

/// With `--no-migrate`, a database behind the code would answer requests with 500s: refuse to
/// start, naming what is missing.
pub async fn refuse_pending_migrations(db: &Db) -> anyhow::Result<()> {
    let pending: Vec<String> = migrator()
        .status(db)
        .await
        .context("cannot read which migrations the database has")?
        .into_iter()
        .filter(|m| !m.applied)
        .map(|m| m.name)
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    if !migrator().status(db).await?.iter().any(|m| m.applied) {
        anyhow::bail!(
            "the database has no schema yet: run `agora migrate up` (or start the server once, \
             which applies the migrations)"
        );
    }
    anyhow::bail!(
        "the database lacks {} migration(s) this version needs: {}; run `agora migrate up` \
         (or start without --no-migrate)",
        pending.len(),
        pending.join(", ")
    )
}

impl App {
    /// `router` served with `state`, with the worker and scheduler of the jobs of the platform
    /// and the enabled modules. Fails on a `schedules` setting that does not fit them.
    pub fn new(state: AppState, router: Router) -> anyhow::Result<App> {
        let kinds = job_kinds(&state).map_err(anyhow::Error::msg)?;
        let scheduler = Scheduler::new(
            state.db().clone(),
            &schedules(state.config()),
            &state.config().jobs.schedules,
            &kinds,
        )
        .map_err(|err| {
            anyhow::anyhow!("invalid configuration: AGORA_SCHEDULES (`schedules`): {err}")
        })?;
        let worker = Worker::new(
            state.clone(),
            kinds,
            WorkerOptions::from_config(state.config()),
        );
        Ok(App {
            state,
            router,
            worker,
            scheduler,
        })
    }
}

fn enabled(config: &Config) -> impl Iterator<Item = &'static Module> + '_ {
    MODULES.iter().filter(|m| config.module_enabled(m.name))
}

/// Checks the `schedules` setting against the schedules of the platform and the enabled
/// modules, before anything is started.
pub fn check_schedules(config: &Config) -> anyhow::Result<()> {
    jobs::schedule::check_overrides(&schedules(config), &config.jobs.schedules).map_err(|err| {
        anyhow::anyhow!("invalid configuration: AGORA_SCHEDULES (`schedules`): {err}")
    })
}

/// The kinds of job this instance runs: the platform's and the enabled modules'.
pub fn job_kinds(state: &AppState) -> Result<JobKinds, String> {
    let mut kinds = jobs::platform_kinds(state);
    for module in enabled(state.config()) {
        kinds.extend((module.jobs)());
    }
    JobKinds::new(kinds)
}

/// The periodic jobs, with their default cron expressions: the platform's and the enabled
/// modules'.
pub fn schedules(config: &Config) -> Vec<Schedule> {
    let mut schedules = jobs::PLATFORM_SCHEDULES.to_vec();
    for module in enabled(config) {
        schedules.extend_from_slice(module.schedules);
    }
    schedules
}

/// The routes of the platform and the enabled modules, with their OpenAPI document.
pub fn api(config: &Config) -> OpenApiRouter<AppState> {
    let mut v1 = agora_platform::api_router();
    for module in enabled(config) {
        v1 = v1.merge((module.router)());
    }
    OpenApiRouter::with_openapi(openapi::base())
        .merge(agora_platform::root_router())
        .nest("/api/v1", v1)
}

/// The OpenAPI document of the routes `config` enables.
pub fn openapi_document(config: &Config) -> serde_json::Value {
    openapi::finish(api(config).into_openapi())
}

/// The whole HTTP application: routes, documentation, fallbacks and middleware.
pub fn router(state: AppState) -> Router {
    let (routes, doc) = api(state.config()).split_for_parts();
    // Completed once at start, served as it is.
    let doc = std::sync::Arc::new(openapi::finish(doc));
    let routes = routes
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc) }
            }),
        )
        .merge(SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::from("/openapi.json")))
        .fallback(|| async { ApiError::not_found("no resource at this path") })
        .with_state(state.clone());
    let routes = middleware::with_state_layers(routes, &state);
    middleware::apply(routes, state.config())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_modules_settings_are_named_after_it() {
        for module in MODULES {
            let Some(section) = module.settings else {
                continue;
            };
            let env_prefix = format!("AGORA_{}_", module.name.to_ascii_uppercase());
            for setting in section.settings() {
                assert!(
                    setting.key.starts_with(&format!("{}.", module.name)),
                    "{}: the key of a module setting starts with `{}.`",
                    setting.key,
                    module.name
                );
                assert!(
                    setting.env.starts_with(&env_prefix),
                    "{}: the variable of a module setting starts with {env_prefix}",
                    setting.env
                );
            }
        }
        assert!(
            !settings_sections().is_empty(),
            "tasks declares a section, so this test checks one"
        );
    }
}
