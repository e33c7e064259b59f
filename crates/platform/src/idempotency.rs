//! `Idempotency-Key` on creates (API.md): a retry with the same key and body returns the first
//! response and creates nothing new. Every module's create routes use it the same way:
//!
//! ```ignore
//! let txn = state.db().begin().await?;
//! let pending = match idempotency::claim(&txn, viewer.user_id, key.as_ref(), fingerprint, now).await? {
//!     Claim::Replay(response) => return Ok(response),
//!     Claim::Fresh(pending) => pending,
//! };
//! let created = /* the create, in `txn` */;
//! let response = pending.respond(&txn, Created::at(path, created).versioned(version)).await?;
//! txn.commit().await?;
//! Ok(response)
//! ```
//!
//! The key's row is written in the create's own transaction, so the two commit or fail
//! together: a create that fails leaves the key free for the retry, and a response is never
//! remembered for something that was not created. Two concurrent requests with one key meet at
//! the primary key `(user_id, key)`: on PostgreSQL the second insert waits for the first
//! transaction and then finds its row (replayed); on SQLite writes are serialised anyway.
//!
//! The remembered response is the create's status, body and own headers (`Location`, `ETag`),
//! so a replay answers exactly what the first request did, plus `Idempotent-Replayed: true`.
//!
//! Keys are per user, live 24 hours (IETF draft `httpapi-idempotency-key-header`), and a key
//! sent again with a different request (another route or body) is refused with 422
//! `idempotency_key_reused`.

use agora_core::{ApiError, ApiResult, Created, ErrorCode, UserId};
use agora_store::{DbError, DbResult, Transaction};
use axum::extract::OptionalFromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Module;
use crate::entities::idempotency_keys;
use crate::jobs::{Job, JobContext, JobError, JobKind, Schedule};

pub const IDEMPOTENCY_KEY_REUSED: ErrorCode = ErrorCode {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    code: "idempotency_key_reused",
    when: "The `Idempotency-Key` was used in the last 24 hours with a different request (another body or path).",
    what_to_do: "Use a new key for a new request; resend the same request to get its first answer.",
};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set to `true` on a response that repeats the first response to a key.
pub const REPLAYED_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");
/// How long a key is remembered.
pub const KEY_LIFETIME: Duration = Duration::hours(24);
const MAX_KEY_LENGTH: usize = 255;
/// The key's rule as the JSON Schema `pattern` the OpenAPI document gives the header: 1 to
/// [`MAX_KEY_LENGTH`] visible ASCII characters.
pub const KEY_PATTERN: &str = "^[\\x21-\\x7E]{1,255}$";

/// The `Idempotency-Key` of a request: 1–255 visible ASCII characters (a UUID is typical).
/// Take `Option<IdempotencyKey>`: the header is optional; a malformed one is a 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        if value.is_empty() || value.len() > MAX_KEY_LENGTH {
            return Err("the Idempotency-Key header must be 1 to 255 characters long");
        }
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "the Idempotency-Key header must be visible ASCII characters (a UUID works)",
            );
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let Some(value) = parts.headers.get(HEADER) else {
            return Ok(None);
        };
        let value = value
            .to_str()
            .map_err(|_| ApiError::bad_request("the Idempotency-Key header is not readable"))?;
        IdempotencyKey::parse(value)
            .map(Some)
            .map_err(ApiError::bad_request)
    }
}

/// What identifies "the same request": the route it was sent to and its parsed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// `route` names the operation (e.g. `POST /users/{user_id}/tasks`); `body` is the request
    /// as parsed, so the same JSON with other spacing or field order is the same request.
    pub fn of(route: &str, body: &impl Serialize) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(route.as_bytes());
        hasher.update(b"\n");
        // Serialising a value of a derived `Serialize` type into memory cannot fail.
        hasher.update(serde_json::to_vec(body).unwrap_or_default());
        Self(hex::encode(hasher.finalize()))
    }
}

/// The outcome of [`claim`].
#[derive(Debug)]
pub enum Claim {
    /// The key was used before with this request: its first response, to send again.
    Replay(Response),
    /// Go ahead with the create, then answer through [`Pending::respond`].
    Fresh(Pending),
}

/// A create under way; [`Pending::respond`] remembers its response under the key, if any.
#[derive(Debug)]
#[must_use = "answer with Pending::respond so the response is remembered under the key"]
pub struct Pending {
    claimed: Option<(UserId, String)>,
}

/// Looks `key` up for `user` inside the create's transaction: a replay, a 422 for a key used
/// with another request, or the claim of a fresh key (also when no key was sent).
pub async fn claim(
    txn: &Transaction,
    user: UserId,
    key: Option<&IdempotencyKey>,
    fingerprint: Fingerprint,
    now: DateTime<Utc>,
) -> ApiResult<Claim> {
    let Some(key) = key else {
        return Ok(Claim::Fresh(Pending { claimed: None }));
    };
    if let Some(seen) = find(txn, user, key).await? {
        if seen.expires_at > now {
            return replay(seen, &fingerprint).map(Claim::Replay);
        }
        idempotency_keys::Entity::delete_by_id((user.0, key.0.clone()))
            .exec(txn)
            .await
            .map_err(DbError::from)?;
    }

    // A savepoint, so that losing the race for the key leaves the transaction usable.
    let savepoint = txn.savepoint().await?;
    let inserted = idempotency_keys::ActiveModel {
        user_id: Set(user.0),
        key: Set(key.0.clone()),
        request_hash: Set(fingerprint.0.clone()),
        status_code: Set(0),
        response_body: Set(String::new()),
        response_headers: Set(None),
        created_at: Set(now),
        expires_at: Set(now + KEY_LIFETIME),
    }
    .insert(&savepoint)
    .await
    .map_err(DbError::from);
    match inserted {
        Ok(_) => {
            savepoint.commit().await?;
            Ok(Claim::Fresh(Pending {
                claimed: Some((user, key.0.clone())),
            }))
        }
        Err(err) if err.is_unique_violation() => {
            // A concurrent request with this key committed first: answer as it did.
            savepoint.rollback().await?;
            let seen = find(txn, user, key)
                .await?
                .ok_or_else(|| ApiError::internal("an idempotency key vanished after a clash"))?;
            replay(seen, &fingerprint).map(Claim::Replay)
        }
        Err(err) => Err(err.into()),
    }
}

impl Pending {
    /// The answer to the create (201, `Location`, `ETag`), remembered under the key (in the
    /// same transaction).
    pub async fn respond<T: Serialize>(
        self,
        txn: &Transaction,
        created: Created<T>,
    ) -> ApiResult<Response> {
        let status = StatusCode::CREATED;
        let body = serde_json::to_string(created.body()).map_err(ApiError::internal)?;
        let headers = created.headers();
        if let Some((user, key)) = self.claimed {
            let stored: Vec<(&str, &str)> = headers
                .iter()
                .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
                .collect();
            let stored = serde_json::to_string(&stored).map_err(ApiError::internal)?;
            idempotency_keys::ActiveModel {
                user_id: Set(user.0),
                key: Set(key),
                status_code: Set(i16::try_from(status.as_u16()).unwrap_or(201)),
                response_body: Set(body.clone()),
                response_headers: Set(Some(stored)),
                ..Default::default()
            }
            .update(txn)
            .await
            .map_err(DbError::from)?;
        }
        Ok(json_response(status, body, headers))
    }
}

/// Forgets keys older than [`KEY_LIFETIME`]; returns how many.
pub async fn purge_expired(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> DbResult<u64> {
    let result = idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// The scheduled purge of expired keys (`idempotency.purge`, hourly by default).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct PurgeExpiredKeys {}

impl Job for PurgeExpiredKeys {
    const KIND: &'static str = "idempotency.purge";
}

pub(crate) fn purge_job() -> JobKind {
    JobKind::new(|ctx: JobContext, _: PurgeExpiredKeys| async move {
        let purged = purge_expired(ctx.state.db().writer(), agora_core::time::now()).await?;
        tracing::info!(purged, "purged expired idempotency keys");
        Ok::<_, JobError>(())
    })
}

async fn find(
    txn: &Transaction,
    user: UserId,
    key: &IdempotencyKey,
) -> DbResult<Option<idempotency_keys::Model>> {
    Ok(
        idempotency_keys::Entity::find_by_id((user.0, key.0.clone()))
            .one(txn)
            .await?,
    )
}

fn replay(seen: idempotency_keys::Model, fingerprint: &Fingerprint) -> ApiResult<Response> {
    if seen.request_hash != fingerprint.0 {
        return Err(ApiError::from_code(
            &IDEMPOTENCY_KEY_REUSED,
            "this Idempotency-Key was already used with a different request; use a new key \
             for a new request",
        ));
    }
    let status = u16::try_from(seen.status_code)
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| ApiError::internal("a remembered response has no status"))?;
    // Rows remembered before headers were: replayed without them.
    let stored: Vec<(String, String)> = seen
        .response_headers
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(ApiError::internal)?
        .unwrap_or_default();
    let mut headers: Vec<(HeaderName, HeaderValue)> = stored
        .into_iter()
        .filter_map(|(name, value)| {
            Some((
                HeaderName::try_from(name).ok()?,
                HeaderValue::try_from(value).ok()?,
            ))
        })
        .collect();
    headers.push((REPLAYED_HEADER, HeaderValue::from_static("true")));
    Ok(json_response(status, seen.response_body, headers))
}

fn json_response(
    status: StatusCode,
    body: String,
    headers: Vec<(HeaderName, HeaderValue)>,
) -> Response {
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    response.headers_mut().extend(headers);
    response
}

/// The idempotency area: the hourly purge of expired keys.
pub const MODULE: Module = Module {
    jobs: || vec![purge_job()],
    schedules: &[Schedule {
        kind: PurgeExpiredKeys::KIND,
        cron: "10 * * * *",
    }],
    error_codes: &[&IDEMPOTENCY_KEY_REUSED],
    ..Module::new("idempotency")
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::parse("0193a8f2-7c1e-7000-8000-000000000000").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for refused in [
            String::new(),
            "k".repeat(256),
            "two words".into(),
            "clé".into(),
        ] {
            assert!(IdempotencyKey::parse(&refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn the_fingerprint_tells_routes_and_bodies_apart() {
        let body = serde_json::json!({ "title": "a" });
        let same = Fingerprint::of("POST /a", &body);
        assert_eq!(same, Fingerprint::of("POST /a", &body));
        assert_ne!(same, Fingerprint::of("POST /b", &body));
        assert_ne!(
            same,
            Fingerprint::of("POST /a", &serde_json::json!({ "title": "b" }))
        );
    }
}
