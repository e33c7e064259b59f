//! The state every handler receives: configuration and the shared services.

use std::sync::Arc;
use std::time::Instant;

use agora_core::config::Config;
use agora_store::{Cache, Db, Redis, Storage};

use crate::email::Mailer;
use crate::geolocation::Geolocator;
use crate::identity::Identity;
use crate::jobs::Jobs;
use crate::module::Services;
use crate::observability::{ErrorLog, Sentry};
use crate::ratelimit::{Quotas, RateLimiter};
use crate::realtime::{Hub, RoomKind};
use crate::telemetry::Metrics;

/// Shared by every request; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: Config,
    db: Db,
    identity: Identity,
    started_at: Instant,
    email: Mailer,
    jobs: Jobs,
    // Rate limits: the limiter, and the shared Redis when `REDIS_URL` is set.
    rate_limiter: RateLimiter,
    redis: Option<Redis>,
    cache: Cache,
    realtime: Hub,
    geolocator: Geolocator,
    storage: Storage,
    services: Services,
    metrics: Arc<Metrics>,
    error_log: ErrorLog,
}

/// What the server adds to the configuration and the database when it assembles the state.
#[derive(Default)]
pub struct StateParts {
    /// The shared Redis of `config.redis.url` (see `agora_store::Redis::open`): rate-limit
    /// budgets, revocations, the cache and real-time events of every instance.
    pub redis: Option<Redis>,
    /// The real-time room kinds of the enabled modules.
    pub rooms: Vec<RoomKind>,
    /// The services the enabled modules built (`crate::Module::services`).
    pub services: Services,
}

impl AppState {
    /// Without Redis (rate limits are counted in this process), rooms of modules or services.
    /// Fails when the configuration lacks what the services need (the server secret, a valid
    /// mail transport).
    pub fn new(config: Config, db: Db) -> Result<Self, String> {
        Self::assemble(config, db, StateParts::default())
    }

    /// With what the server assembled for the enabled modules.
    pub fn assemble(config: Config, db: Db, parts: StateParts) -> Result<Self, String> {
        let StateParts {
            redis,
            rooms,
            services,
        } = parts;
        let identity = Identity::new(&config, redis.clone())?;
        if config.s3().is_some() {
            // The S3 client speaks HTTPS through rustls with the process-wide provider.
            crate::tls::install_crypto_provider();
        }
        let storage = Storage::from_config(&config)?;
        let email = Mailer::from_config(&config)?;
        let realtime = Hub::new(config.realtime, redis.clone(), &rooms);
        let geolocator = Geolocator::from_config(&config.geoip)?;
        let rate_limiter =
            RateLimiter::new(Quotas::from_config(&config.rate_limits), redis.clone());
        let metrics = Arc::new(Metrics::new());
        let sentry = match &config.server.sentry_dsn {
            Some(dsn) => Some(Sentry::new(dsn, config.server.env.name())?),
            None => None,
        };
        let error_log = ErrorLog::start(db.clone(), sentry, metrics.clone());
        Ok(Self(Arc::new(Inner {
            config,
            db,
            identity,
            started_at: Instant::now(),
            email,
            jobs: Jobs::default(),
            rate_limiter,
            cache: Cache::new(redis.clone()),
            realtime,
            geolocator,
            storage,
            redis,
            services,
            metrics,
            error_log,
        })))
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn db(&self) -> &Db {
        &self.0.db
    }

    pub fn identity(&self) -> &Identity {
        &self.0.identity
    }

    pub fn uptime(&self) -> std::time::Duration {
        self.0.started_at.elapsed()
    }

    /// Outgoing email: the transport and the sender.
    pub fn mailer(&self) -> &Mailer {
        &self.0.email
    }

    /// The job queue: [`Jobs::wake`] after enqueueing.
    pub fn jobs(&self) -> &Jobs {
        &self.0.jobs
    }

    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.0.rate_limiter
    }

    /// The cache of read-mostly data (shared through Redis when configured).
    pub fn cache(&self) -> &Cache {
        &self.0.cache
    }

    /// Tells a country from an address (onboarding).
    pub fn geolocator(&self) -> &Geolocator {
        &self.0.geolocator
    }

    /// The real-time hub: publish events to WebSocket clients (`realtime::Hub::publish`).
    pub fn realtime(&self) -> &Hub {
        &self.0.realtime
    }

    /// Where media is stored: a local folder or an S3 bucket (`storage` setting).
    pub fn storage(&self) -> &Storage {
        &self.0.storage
    }

    /// The shared Redis, when `REDIS_URL` is configured.
    pub fn redis(&self) -> Option<&Redis> {
        self.0.redis.as_ref()
    }

    /// What the request path counts, for `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// Where server errors go (the error log, and Sentry when configured); never waits.
    pub fn error_log(&self) -> &ErrorLog {
        &self.0.error_log
    }

    /// The service of type `T`, if a module built one (for what is optional: a hook that only
    /// some modules bring).
    pub fn try_service<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0.services.get::<T>()
    }

    /// The service of type `T` that a module built at start (`crate::Module::services`). An
    /// error, not a panic, when none did: a handler of a module whose services were not
    /// built answers 500 and logs which type is missing.
    pub fn service<T: Send + Sync + 'static>(&self) -> Result<&T, agora_core::ApiError> {
        self.0.services.get::<T>().ok_or_else(|| {
            agora_core::ApiError::internal(format!(
                "no module built a service of type {}",
                std::any::type_name::<T>()
            ))
        })
    }
}
