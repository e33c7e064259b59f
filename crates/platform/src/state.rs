//! The state every handler receives: configuration and the shared services.

use std::sync::Arc;
use std::time::Instant;

use agora_core::config::Config;
use agora_store::Db;

use crate::email::Mailer;
use crate::identity::Identity;

/// Shared by every request; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: Config,
    db: Db,
    identity: Identity,
    started_at: Instant,
    email: Mailer,
}

impl AppState {
    /// Fails when the configuration lacks what the services need (the server secret).
    pub fn new(config: Config, db: Db) -> Result<Self, String> {
        let identity = Identity::new(&config)?;
        let email = Mailer::from_config(&config)?;
        Ok(Self(Arc::new(Inner {
            config,
            db,
            identity,
            started_at: Instant::now(),
            email,
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

    /// Outgoing email: the transport, and [`Mailer::wake`] for the worker.
    pub fn mailer(&self) -> &Mailer {
        &self.0.email
    }
}
