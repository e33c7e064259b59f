//! Tokens from an external identity provider (Supabase, Better Auth, any OIDC issuer).
//!
//! When `auth_external_issuer` is configured, a bearer token whose `iss` is that issuer is
//! checked against the provider's keys instead of ours: a shared HS256 secret, or the
//! provider's JWKS (fetched on first use, cached, and fetched again when a token names a key id
//! we do not know, at most once per `auth_external_jwks_refresh`). The issuer, audience, expiry and
//! not-before are checked with a small leeway. Only the algorithms the key source allows are
//! accepted: HS256 for a secret; for a JWKS, the asymmetric algorithm of the key the token names
//! (never HS*, so a public key can never be used as an HMAC secret, and never `none`).
//!
//! The provider's `sub` is mapped to a local account, created on first sight
//! ([`local_user`]); the mapping lives in `external_identities`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use agora_core::config::{ExternalAuth, ExternalKeySource};
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

use agora_store::{Db, DbError, DbResult};

use super::model::Role;
use super::names::{EmailAddress, Username};
use super::tokens::TokenError;
use super::users::{self, NewUser};
use crate::entities::{external_identities, users as user_rows};

/// Leeway on `exp` and `nbf`, for clocks that disagree a little.
const LEEWAY_SECONDS: u64 = 30;
/// How long fetched keys are trusted before they are fetched again.
const JWKS_MAX_AGE: Duration = Duration::from_secs(3600);
const JWKS_FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The claims we read from a provider's token.
#[derive(Debug, Clone, Deserialize)]
pub struct ExternalClaims {
    pub sub: String,
    pub exp: i64,
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
    pub preferred_username: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
}

struct CachedKeys {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    fetched_at: Option<Instant>,
    /// The last fetch, successful or not: a provider that is down is asked again only after
    /// the configured interval, so requests do not queue behind timeouts.
    attempted_at: Option<Instant>,
}

impl CachedKeys {
    fn find(&self, kid: Option<&str>) -> Option<(DecodingKey, Algorithm)> {
        match kid {
            Some(kid) => self.keys.get(kid).cloned(),
            // Without a key id, a set of one key is unambiguous.
            None if self.keys.len() == 1 => self.keys.values().next().cloned(),
            None => None,
        }
    }
}

enum Keys {
    Secret(DecodingKey),
    Jwks(Box<Jwks>),
}

struct Jwks {
    url: url::Url,
    min_refresh: Duration,
    cache: RwLock<CachedKeys>,
    /// One fetch at a time; others wait for its result.
    fetching: Mutex<()>,
    http: reqwest::Client,
}

/// A configured external provider.
pub struct ExternalProvider {
    issuer: String,
    audience: String,
    keys: Keys,
}

impl ExternalProvider {
    pub fn new(config: &ExternalAuth) -> Result<ExternalProvider, String> {
        let keys = match &config.keys {
            ExternalKeySource::Secret(secret) => {
                Keys::Secret(DecodingKey::from_secret(secret.expose().as_bytes()))
            }
            ExternalKeySource::Jwks(url) => Keys::Jwks(Box::new(Jwks {
                min_refresh: config.jwks_refresh,
                http: {
                    crate::tls::install_crypto_provider();
                    reqwest::Client::builder()
                        .timeout(JWKS_FETCH_TIMEOUT)
                        .build()
                        .map_err(|e| format!("cannot build the HTTP client for the JWKS: {e}"))?
                },
                url: url.clone(),
                cache: RwLock::new(CachedKeys {
                    keys: HashMap::new(),
                    fetched_at: None,
                    attempted_at: None,
                }),
                fetching: Mutex::new(()),
            })),
        };
        Ok(ExternalProvider {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            keys,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Checks a provider token: algorithm, signature, issuer, audience, expiry, not-before.
    pub async fn verify(&self, token: &str) -> Result<ExternalClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| TokenError::Invalid(format!("bad header: {e}")))?;
        let (key, algorithm) = match &self.keys {
            Keys::Secret(key) => {
                if header.alg != Algorithm::HS256 {
                    return Err(TokenError::Invalid(format!(
                        "algorithm {:?} is not accepted from this provider",
                        header.alg
                    )));
                }
                (key.clone(), Algorithm::HS256)
            }
            Keys::Jwks(_) => {
                let (key, algorithm) = self.jwks_key(header.kid.as_deref()).await?;
                if header.alg != algorithm {
                    return Err(TokenError::Invalid(format!(
                        "the token says {:?} but its key is for {algorithm:?}",
                        header.alg
                    )));
                }
                (key, algorithm)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<ExternalClaims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(TokenError::from)
    }

    /// The key a token names, fetching the JWKS when it is unknown or stale.
    async fn jwks_key(&self, kid: Option<&str>) -> Result<(DecodingKey, Algorithm), TokenError> {
        let Keys::Jwks(jwks) = &self.keys else {
            return Err(TokenError::Invalid("no JWKS configured".to_owned()));
        };
        let Jwks {
            url,
            min_refresh,
            cache,
            fetching,
            http,
        } = &**jwks;
        let lookup = |cached: &CachedKeys| {
            let fresh = cached
                .fetched_at
                .is_some_and(|at| at.elapsed() < JWKS_MAX_AGE);
            fresh.then(|| cached.find(kid)).flatten()
        };
        if let Some(found) = lookup(&*cache.read().await) {
            return Ok(found);
        }
        let _one_fetch = fetching.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(found) = lookup(&*cache.read().await) {
            return Ok(found);
        }
        let recently = cache
            .read()
            .await
            .attempted_at
            .is_some_and(|at| at.elapsed() < *min_refresh);
        if !recently {
            let fetched = fetch_jwks(http, url).await;
            let mut cached = cache.write().await;
            cached.attempted_at = Some(Instant::now());
            match fetched {
                Ok(keys) => {
                    cached.keys = keys;
                    cached.fetched_at = cached.attempted_at;
                }
                Err(err) => {
                    tracing::warn!(jwks = %url, error = %err, "cannot fetch the external provider's keys");
                }
            }
        }
        // Stale keys still serve when the provider cannot be reached.
        cache.read().await.find(kid).ok_or_else(|| {
            TokenError::Invalid("the token's key is not in the provider's JWKS".to_owned())
        })
    }
}

/// Fetches a JWKS and keeps the signing keys whose algorithm we can tell.
async fn fetch_jwks(
    http: &reqwest::Client,
    url: &url::Url,
) -> Result<HashMap<String, (DecodingKey, Algorithm)>, String> {
    let set: JwkSet = http
        .get(url.clone())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| format!("not a JWK set: {e}"))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.clone() else {
            continue;
        };
        let Some(algorithm) = key_algorithm(jwk) else {
            continue;
        };
        if let Ok(key) = DecodingKey::from_jwk(jwk) {
            keys.insert(kid, (key, algorithm));
        }
    }
    Ok(keys)
}

/// The algorithm a published key is for: its `alg`, or the usual one for its type. Symmetric
/// keys, and keys declaring an algorithm we do not accept, are never used.
fn key_algorithm(jwk: &jsonwebtoken::jwk::Jwk) -> Option<Algorithm> {
    let usual = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(usual),
        Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
        Some(KeyAlgorithm::RS384) => Some(Algorithm::RS384),
        Some(KeyAlgorithm::RS512) => Some(Algorithm::RS512),
        Some(KeyAlgorithm::PS256) => Some(Algorithm::PS256),
        Some(KeyAlgorithm::PS384) => Some(Algorithm::PS384),
        Some(KeyAlgorithm::PS512) => Some(Algorithm::PS512),
        Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
        Some(KeyAlgorithm::ES384) => Some(Algorithm::ES384),
        Some(KeyAlgorithm::EdDSA) => Some(Algorithm::EdDSA),
        Some(_) => None,
    }
}

/// The local account of a provider's subject, created on first sight.
pub async fn local_user(
    db: &Db,
    issuer: &str,
    claims: &ExternalClaims,
    now: DateTime<Utc>,
) -> DbResult<user_rows::Model> {
    let key = (issuer.to_owned(), claims.sub.clone());
    if let Some(user) = mapped_user(db.reader(), &key).await? {
        return Ok(user);
    }
    let txn = db.begin().await?;
    let username = available_username(&txn, claims).await?;
    let email = available_email(&txn, claims).await?;
    let verified = claims.email_verified == Some(true) && claims.email.is_some();
    let created = async {
        let mut user = users::insert(
            &txn,
            NewUser {
                username: &username,
                email: &email,
                password_hash: None,
                display_name: claims.name.clone().map(|n| n.chars().take(50).collect()),
                role: Role::User,
            },
            now,
        )
        .await?;
        if verified {
            user = user_rows::ActiveModel {
                id: Set(user.id),
                email_verified_at: Set(Some(now)),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
        external_identities::ActiveModel {
            issuer: Set(key.0.clone()),
            subject: Set(key.1.clone()),
            user_id: Set(user.id),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        Ok::<_, DbError>(user)
    }
    .await;
    match created {
        Ok(user) => {
            txn.commit().await?;
            Ok(user)
        }
        // Two first requests of one subject raced; the other one created the account.
        Err(err) if err.is_unique_violation() => {
            drop(txn);
            mapped_user(db.writer(), &key).await?.ok_or(err)
        }
        Err(err) => Err(err),
    }
}

async fn mapped_user(
    conn: &impl ConnectionTrait,
    (issuer, subject): &(String, String),
) -> DbResult<Option<user_rows::Model>> {
    let Some(mapping) = external_identities::Entity::find_by_id((issuer.clone(), subject.clone()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(user_rows::Entity::find_by_id(mapping.user_id)
        .one(conn)
        .await?)
}

/// A username from the provider's claims, made valid and free (a numbered suffix if taken).
async fn available_username(
    conn: &impl ConnectionTrait,
    claims: &ExternalClaims,
) -> DbResult<Username> {
    let wanted = [
        claims.preferred_username.as_deref(),
        claims.username.as_deref(),
        claims.email.as_deref().and_then(|e| e.split('@').next()),
    ]
    .into_iter()
    .flatten()
    .map(|name| {
        name.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(24)
            .collect::<String>()
    })
    .find(|name| name.len() >= 3)
    .unwrap_or_else(|| "user".to_owned());
    for attempt in 0..20u32 {
        let candidate = if attempt == 0 && wanted.len() >= 3 {
            wanted.clone()
        } else {
            format!("{wanted}_{:04}", rand::random::<u16>() % 10_000)
        };
        let Ok(username) = Username::parse_new(&candidate) else {
            continue;
        };
        if !users::username_taken(conn, &username).await? {
            return Ok(username);
        }
    }
    // Twenty collisions in a row: fall back to a name that cannot collide.
    Username::parse(
        &format!("user_{}", uuid::Uuid::now_v7().simple())
            .chars()
            .take(30)
            .collect::<String>(),
    )
    .map_err(|e| DbError::from(sea_orm::DbErr::Custom(e.to_string())))
}

/// The provider's email when it is valid and not already someone else's; otherwise a
/// placeholder that can receive nothing (the user can set a real one later).
async fn available_email(
    conn: &impl ConnectionTrait,
    claims: &ExternalClaims,
) -> DbResult<EmailAddress> {
    if let Some(email) = claims
        .email
        .as_deref()
        .and_then(|e| EmailAddress::parse(e).ok())
        && !users::email_taken(conn, &email).await?
    {
        return Ok(email);
    }
    EmailAddress::parse(&format!(
        "{}@external.invalid",
        uuid::Uuid::now_v7().simple()
    ))
    .map_err(|e| DbError::from(sea_orm::DbErr::Custom(e.to_string())))
}
