//! The state every handler receives: configuration and the shared services.

use std::sync::Arc;
use std::time::Instant;

use agora_core::config::Config;
use agora_store::Db;

/// Shared by every request; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: Config,
    db: Db,
    started_at: Instant,
}

impl AppState {
    pub fn new(config: Config, db: Db) -> Self {
        Self(Arc::new(Inner {
            config,
            db,
            started_at: Instant::now(),
        }))
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn db(&self) -> &Db {
        &self.0.db
    }

    pub fn uptime(&self) -> std::time::Duration {
        self.0.started_at.elapsed()
    }
}
