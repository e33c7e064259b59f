//! Identity: accounts, passwords, access and refresh tokens, sessions, and the extractors that
//! tell handlers who is asking.
//!
//! Routes (API.md, Identity and accounts) are under `/api/v1/auth`; the public keys that verify
//! our tokens are at `/.well-known/jwks.json`.

mod admin;
pub mod external;
pub mod model;
pub mod names;
pub mod password;
pub mod revocation;
mod routes;
pub mod secrets;
pub mod sessions;
pub mod tokens;
pub mod users;
pub mod viewer;

use std::net::IpAddr;

use agora_core::config::Config;
use agora_store::{Db, DbResult};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

pub use model::Role;
pub use viewer::{AdminUser, ModeratorUser, OptionalViewer, Viewer};

use crate::AppState;
use external::ExternalProvider;
use password::PasswordHasherPool;
use revocation::Revocations;
use tokens::TokenService;

/// The identity services held in [`AppState`].
pub struct Identity {
    pub tokens: TokenService,
    pub revocations: Revocations,
    pub passwords: PasswordHasherPool,
    /// The external identity provider whose tokens are accepted too, if configured.
    pub external: Option<ExternalProvider>,
    ip_salt: [u8; 32],
}

impl Identity {
    /// Needs the server secret, which the server resolves before building the state.
    pub fn new(config: &Config) -> Result<Identity, String> {
        let secret = config
            .secret_key
            .as_ref()
            .ok_or("the server secret (AGORA_SECRET_KEY) is not set")?;
        Ok(Identity {
            tokens: TokenService::new(secret, config.jwt_algorithm, config.public_url.as_str())?,
            revocations: Revocations::default(),
            passwords: PasswordHasherPool::new(),
            external: config
                .external_auth
                .as_ref()
                .map(ExternalProvider::new)
                .transpose()?,
            ip_salt: tokens::derive_key(secret, "agora/ip-hash/v1"),
        })
    }

    /// A salted hash of a client address: stable for one server secret, useless without it.
    pub fn hash_ip(&self, ip: IpAddr) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.ip_salt)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(ip.to_string().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Marks sessions revoked for the tokens already issued to them.
    pub fn revoke(&self, sessions: &[Uuid], at: DateTime<Utc>) {
        for session in sessions {
            self.revocations.revoke(*session, at);
        }
    }

    /// Refills the revocation set with sessions revoked while their tokens may still be alive.
    pub async fn load_revocations(&self, db: &Db) -> DbResult<()> {
        let since = Utc::now() - tokens::ACCESS_TOKEN_TTL - chrono::Duration::minutes(1);
        for (session, at) in sessions::revoked_since(db.reader(), since).await? {
            self.revocations.revoke(session, at);
        }
        Ok(())
    }
}

/// Routes under `/api/v1`.
pub fn api_router() -> OpenApiRouter<AppState> {
    routes::api_router().merge(admin::router())
}

/// Routes at the root (`/.well-known/jwks.json`).
pub fn root_router() -> OpenApiRouter<AppState> {
    routes::root_router()
}
