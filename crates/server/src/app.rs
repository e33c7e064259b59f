//! Assembly: the only place that knows every module. It connects the database, runs the
//! migrations, builds the modules' services and the shared state, and mounts the routers of
//! the enabled modules; the job worker, the scheduler and the command line take the enabled
//! modules' jobs, schedules and commands from here.

use agora_core::ApiError;
use agora_core::config::{Config, ModuleSelection, SettingsSection};
use agora_platform::analytics::Counters;
use agora_platform::jobs::schedule::Scheduler;
use agora_platform::jobs::{self, JobKinds, Schedule, Worker, WorkerOptions};
use agora_platform::moderation::ModeratedKinds;
use agora_platform::module::{ModuleCommand, ServiceContext, Services};
use agora_platform::profiles::ProfileFacts;
use agora_platform::realtime::RoomKind;
use agora_platform::state::StateParts;
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

/// The modules an application is made of: the platform's areas (always on), the products of
/// [`MODULES`] that `AGORA_MODULES` enables and, for tests, modules added by hand (always on).
/// Everything the server does with a module is done here, from its `Module`.
#[derive(Clone)]
pub struct Assembly {
    products: Vec<Module>,
    always_on: Vec<Module>,
    extra_rooms: Vec<RoomKind>,
    observation: middleware::Observation,
}

impl Default for Assembly {
    fn default() -> Self {
        Assembly {
            products: MODULES.to_vec(),
            always_on: agora_platform::AREAS.to_vec(),
            extra_rooms: Vec::new(),
            observation: middleware::Observation::On,
        }
    }
}

impl Assembly {
    /// Leaves out what observes the answers (metrics, error log, analytics): for the benchmark
    /// that measures what they cost, never for a server.
    pub fn without_observation(mut self) -> Self {
        self.observation = middleware::Observation::Off;
        self
    }

    /// Adds `module`, on whatever `AGORA_MODULES` says (a test's own module).
    pub fn with_module(mut self, module: Module) -> Self {
        self.always_on.push(module);
        self
    }

    /// Adds a kind of real-time room that no module declares (tests).
    pub fn with_room(mut self, room: RoomKind) -> Self {
        self.extra_rooms.push(room);
        self
    }

    /// Refuses a `modules` setting that names a module this server does not have.
    pub fn check_modules(&self, config: &Config) -> anyhow::Result<()> {
        let ModuleSelection::Only(names) = &config.server.modules else {
            return Ok(());
        };
        let known: Vec<&str> = self.products.iter().map(|m| m.name).collect();
        match names.iter().find(|name| !known.contains(&name.as_str())) {
            Some(unknown) => anyhow::bail!(
                "invalid configuration: AGORA_MODULES (`modules`): unknown module `{unknown}`; \
                 modules are: {}",
                known.join(", ")
            ),
            None => Ok(()),
        }
    }

    /// The names of the products `config` turns on.
    pub fn enabled_products(&self, config: &Config) -> Vec<&'static str> {
        self.products
            .iter()
            .filter(|m| config.module_enabled(m.name))
            .map(|m| m.name)
            .collect()
    }

    /// Every module, enabled or not.
    fn all(&self) -> impl Iterator<Item = &Module> {
        self.always_on.iter().chain(&self.products)
    }

    /// The modules `config` turns on, areas first.
    pub fn enabled<'a>(&'a self, config: &'a Config) -> impl Iterator<Item = &'a Module> {
        self.always_on.iter().chain(
            self.products
                .iter()
                .filter(|m| config.module_enabled(m.name)),
        )
    }

    /// The settings sections of every module, enabled or not: a module turned on later finds
    /// its settings checked, and `agora config` shows them all.
    pub fn settings_sections(&self) -> Vec<SettingsSection> {
        self.all().filter_map(|m| m.settings).collect()
    }

    /// The migrations of every module (all always run; see `agora_store::migrate`).
    pub fn migrator(&self) -> Migrator {
        Migrator::new(self.all().map(|m| m.migrations).collect())
    }

    /// The periodic jobs of the enabled modules, with their default cron expressions.
    pub fn schedules(&self, config: &Config) -> Vec<Schedule> {
        self.enabled(config)
            .flat_map(|m| m.schedules.iter().copied())
            .collect()
    }

    /// Checks the `schedules` setting against the enabled modules' schedules, before anything
    /// is started.
    pub fn check_schedules(&self, config: &Config) -> anyhow::Result<()> {
        jobs::schedule::check_overrides(&self.schedules(config), &config.jobs.schedules)
            .map_err(invalid_schedules)
    }

    /// The kinds of job of the enabled modules.
    pub fn job_kinds(&self, config: &Config) -> Result<JobKinds, String> {
        JobKinds::new(self.enabled(config).flat_map(|m| (m.jobs)()))
    }

    /// The routes of the enabled modules with their OpenAPI document: each module's under
    /// `/api/v1`, the platform's root routes (health, JWKS, stored media, link pages).
    pub fn api(&self, config: &Config) -> OpenApiRouter<AppState> {
        let mut doc = openapi::base();
        let mut v1 = OpenApiRouter::new();
        for module in self.enabled(config) {
            openapi::add_tags(&mut doc, module.tags);
            v1 = v1.merge((module.router)());
        }
        OpenApiRouter::with_openapi(doc)
            .merge(agora_platform::root_router())
            .nest("/api/v1", v1)
    }

    /// The OpenAPI document of the routes `config` enables.
    pub fn openapi_document(&self, config: &Config) -> serde_json::Value {
        openapi::finish(self.api(config).into_openapi())
    }

    /// The command line of a module: `agora <name> …`, for every module that has one.
    pub fn commands(&self) -> impl Iterator<Item = (&'static str, ModuleCommand)> + '_ {
        self.all().filter_map(|m| m.command.map(|c| (m.name, c)))
    }

    /// Connects, migrates (unless `migrate` is false), builds the enabled modules' services and
    /// the router.
    pub async fn build(&self, config: Config, migrate: bool) -> anyhow::Result<App> {
        self.check_modules(&config)?;
        let db = connect(&config).await?;
        if migrate {
            let applied = self
                .migrator()
                .up(&db)
                .await
                .context("applying database migrations failed")?;
            if applied > 0 {
                tracing::info!(applied, "applied database migrations");
            }
        } else {
            self.refuse_pending_migrations(&db).await?;
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
        let mut services = Services::default();
        let context = ServiceContext {
            config: &config,
            db: &db,
            redis: redis.as_ref(),
        };
        for module in self.enabled(&config) {
            (module.services)(&context, &mut services).map_err(|err| {
                anyhow::anyhow!("the services of the `{}` module failed: {err}", module.name)
            })?;
        }
        let counters = self
            .enabled(&config)
            .flat_map(|m| m.counters.iter().copied());
        services
            .insert(Counters(counters.collect()))
            .map_err(anyhow::Error::msg)?;
        let facts = self.enabled(&config).filter_map(|m| m.profile_facts);
        services
            .insert(ProfileFacts(facts.collect()))
            .map_err(anyhow::Error::msg)?;
        let moderated = self
            .enabled(&config)
            .flat_map(|m| m.moderation.iter().copied());
        services
            .insert(ModeratedKinds(moderated.collect()))
            .map_err(anyhow::Error::msg)?;
        let rooms = self
            .enabled(&config)
            .flat_map(|m| m.rooms.iter().copied())
            .chain(self.extra_rooms.iter().copied())
            .collect();
        let parts = StateParts {
            redis,
            rooms,
            services,
        };
        let state = AppState::assemble(config, db, parts).map_err(anyhow::Error::msg)?;
        if let Err(err) = state.identity().load_revocations(state.db()).await {
            tracing::warn!(error = %err, "cannot load recently revoked sessions");
        }
        let router = self.router(state.clone());
        self.app(state, router)
    }

    /// With `--no-migrate`, a database behind the code would answer requests with 500s: refuse
    /// to start, naming what is missing.
    pub async fn refuse_pending_migrations(&self, db: &Db) -> anyhow::Result<()> {
        let status = self
            .migrator()
            .status(db)
            .await
            .context("cannot read which migrations the database has")?;
        let pending: Vec<&str> = status
            .iter()
            .filter(|m| !m.applied)
            .map(|m| m.name.as_str())
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        if !status.iter().any(|m| m.applied) {
            anyhow::bail!(
                "the database has no schema yet: run `agora migrate up` (or start the server \
                 once, which applies the migrations)"
            );
        }
        anyhow::bail!(
            "the database lacks {} migration(s) this version needs: {}; run `agora migrate up` \
             (or start without --no-migrate)",
            pending.len(),
            pending.join(", ")
        )
    }

    /// `router` served with `state`, with the worker and scheduler of the enabled modules'
    /// jobs. Fails on a `schedules` setting that does not fit them.
    pub fn app(&self, state: AppState, router: Router) -> anyhow::Result<App> {
        let config = state.config();
        let kinds = self.job_kinds(config).map_err(anyhow::Error::msg)?;
        let scheduler = Scheduler::new(
            state.db().clone(),
            &self.schedules(config),
            &config.jobs.schedules,
            &kinds,
        )
        .map_err(invalid_schedules)?;
        let worker = Worker::new(state.clone(), kinds, WorkerOptions::from_config(config));
        Ok(App {
            state,
            router,
            worker,
            scheduler,
        })
    }

    /// The whole HTTP application: routes, documentation, fallbacks and middleware.
    pub fn router(&self, state: AppState) -> Router {
        let (routes, doc) = self.api(state.config()).split_for_parts();
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
        let routes = middleware::with_state_layers(routes, &state, self.observation);
        let routes = middleware::apply(routes, state.config());
        middleware::with_observation(routes, &state, self.observation)
    }
}

fn invalid_schedules(err: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("invalid configuration: AGORA_SCHEDULES (`schedules`): {err}")
}

/// The settings sections of every module of the default assembly.
pub fn settings_sections() -> Vec<SettingsSection> {
    Assembly::default().settings_sections()
}

/// The migrations of the default assembly.
pub fn migrator() -> Migrator {
    Assembly::default().migrator()
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
    /// Runs the jobs of the enabled modules (the platform's areas among them).
    pub worker: Worker,
    pub scheduler: Scheduler,
}

/// The default assembly, connected, migrated (unless `migrate` is false) and routed.
pub async fn build(config: Config, migrate: bool) -> anyhow::Result<App> {
    Assembly::default().build(config, migrate).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// utoipa keeps one schema of a name, silently: two types named alike in two modules
    /// (`Health` of `/health` and of `/metrics/health` once) would answer with the wrong one.
    #[test]
    fn no_two_schemas_of_the_modules_share_a_name() {
        let assembly = Assembly::default();
        let documents = assembly
            .all()
            .map(|module| (module.name, (module.router)().into_openapi()))
            .chain([("root", agora_platform::root_router().into_openapi())]);
        let mut seen: std::collections::HashMap<String, (&str, serde_json::Value)> =
            std::collections::HashMap::new();
        for (owner, document) in documents {
            let Some(components) = document.components else {
                continue;
            };
            for (name, schema) in components.schemas {
                let schema = serde_json::to_value(&schema).expect("a schema");
                match seen.get(&name) {
                    Some((first, earlier)) => assert_eq!(
                        earlier, &schema,
                        "`{name}` names two schemas, of {first} and of {owner}"
                    ),
                    None => {
                        seen.insert(name, (owner, schema));
                    }
                }
            }
        }
    }

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
