//! Identity: accounts, passwords, access and refresh tokens, sessions, and the extractors that
//! tell handlers who is asking.
//!
//! Routes (API.md, Identity and accounts) are under `/api/v1/auth`; the public keys that verify
//! our tokens are at `/.well-known/jwks.json`.

pub mod external;
pub mod model;
pub mod names;
pub mod networks;
pub mod one_time;
mod pages;
pub mod password;
mod recovery;
pub mod revocation;
mod routes;
pub mod secrets;
pub mod sessions;
pub mod tokens;
pub mod user_ref;
pub mod users;
pub mod viewer;

use std::net::IpAddr;

use agora_core::config::Config;
use std::future::Future;

use agora_store::{Db, DbResult, Redis};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

pub use model::Role;
pub use recovery::{ALREADY_VERIFIED, LINK_EXPIRED, LINK_INVALID, LINK_USED};
pub use routes::{
    ALREADY_EXISTS, INVALID_CREDENTIALS, INVALID_REFRESH_TOKEN, REFRESH_TOKEN_REUSED,
};
pub use user_ref::UserRef;
pub use viewer::{ACCOUNT_DISABLED, INVALID_TOKEN, SESSION_REVOKED, TOKEN_EXPIRED};
pub use viewer::{AdminUser, ModeratorUser, OptionalViewer, SeenUser, Viewer};

use crate::{AppState, Module, Tag};
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
    /// Where revocations are published to the other instances, when Redis is configured.
    redis: Option<Redis>,
    ip_salt: [u8; 32],
}

impl Identity {
    /// Needs the server secret, which the server resolves before building the state.
    pub fn new(config: &Config, redis: Option<Redis>) -> Result<Identity, String> {
        let secret = config
            .identity
            .secret_key
            .as_ref()
            .ok_or("the server secret (AGORA_SECRET_KEY) is not set")?;
        Ok(Identity {
            tokens: TokenService::new(
                secret,
                config.identity.jwt_algorithm,
                config.server.public_url.as_str(),
            )?,
            revocations: Revocations::default(),
            passwords: PasswordHasherPool::new(),
            external: config
                .identity
                .external_auth
                .as_ref()
                .map(ExternalProvider::new)
                .transpose()?,
            ip_salt: tokens::derive_key(secret, "agora/ip-hash/v1"),
            redis,
        })
    }

    /// A salted hash of a client address: stable for one server secret, useless without it.
    pub fn hash_ip(&self, ip: IpAddr) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.ip_salt)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(ip.to_string().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A salted hash of a client network (`ClientIp::network_key`), as `login_networks` keeps it.
    pub fn hash_network(&self, network: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.ip_salt)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"network:");
        mac.update(network.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Marks sessions revoked for the tokens already issued to them, here and, through Redis,
    /// on every other instance (see [`follow_revocations`]).
    pub fn revoke(&self, sessions: &[Uuid], at: DateTime<Utc>) {
        for session in sessions {
            self.revocations.revoke(*session, at);
        }
        if let Some(redis) = self.redis.clone()
            && !sessions.is_empty()
        {
            let message = revocation::encode(sessions, at);
            tokio::spawn(async move {
                if let Err(err) = redis.publish(REVOCATIONS_CHANNEL, &message).await {
                    // The others still learn of it from the database when they resubscribe.
                    tracing::warn!(error = %err, "cannot publish revoked sessions to Redis");
                }
            });
        }
    }

    /// Refills the revocation set with sessions revoked while their tokens may still be alive.
    pub async fn load_revocations(&self, db: &Db) -> DbResult<()> {
        let since =
            agora_core::time::now() - tokens::ACCESS_TOKEN_TTL - chrono::Duration::minutes(1);
        for (session, at) in sessions::revoked_since(db.reader(), since).await? {
            self.revocations.revoke(session, at);
        }
        Ok(())
    }
}

/// The Redis channel of revoked sessions.
const REVOCATIONS_CHANNEL: &str = "sessions:revoked";

/// Keeps this instance's revocation set in step with the other instances: applies the
/// revocations they publish on Redis. Each time it (re)subscribes it also reloads recent
/// revocations from the database, so nothing published while it was not listening is lost.
/// Returns at once without Redis, and when `shutdown` completes.
pub async fn follow_revocations(state: AppState, shutdown: impl Future<Output = ()>) {
    let Some(redis) = state.identity().redis.clone() else {
        return;
    };
    tokio::pin!(shutdown);
    loop {
        match redis.subscribe(REVOCATIONS_CHANNEL).await {
            Ok(messages) => {
                if let Err(err) = state.identity().load_revocations(state.db()).await {
                    tracing::warn!(error = %err, "cannot reload revoked sessions");
                }
                tokio::pin!(messages);
                loop {
                    tokio::select! {
                        () = &mut shutdown => return,
                        message = messages.next() => match message {
                            Some(message) => {
                                let payload: String = message.get_payload().unwrap_or_default();
                                for (session, at) in revocation::decode(&payload) {
                                    state.identity().revocations.revoke(session, at);
                                }
                            }
                            None => break,
                        },
                    }
                }
                tracing::warn!("lost the Redis subscription to revoked sessions; resubscribing");
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot subscribe to revoked sessions on Redis")
            }
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}

/// Routes under `/api/v1`.
pub fn api_router() -> OpenApiRouter<AppState> {
    routes::api_router().merge(recovery::router())
}

/// Routes at the root (`/.well-known/jwks.json`).
pub fn root_router() -> OpenApiRouter<AppState> {
    routes::root_router().merge(pages::router())
}

/// The identity area: the `/auth` routes and the codes of sign-in, tokens and links.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "identity",
        description: "Accounts, sign-in, tokens and sessions; profiles",
    }],
    router: api_router,
    error_codes: &[
        &INVALID_CREDENTIALS,
        &ACCOUNT_DISABLED,
        &ALREADY_EXISTS,
        &INVALID_REFRESH_TOKEN,
        &REFRESH_TOKEN_REUSED,
        &TOKEN_EXPIRED,
        &INVALID_TOKEN,
        &SESSION_REVOKED,
        &LINK_EXPIRED,
        &LINK_USED,
        &LINK_INVALID,
        &ALREADY_VERIFIED,
    ],
    ..Module::new("identity")
};
