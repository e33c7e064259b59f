//! The cache for the modules' read-mostly data: in this process (moka) by default, in the
//! shared Redis when `REDIS_URL` is set, behind one interface.
//!
//! Values are stored as JSON under a key the caller names (`"tasks:count:<user>"`), each with a
//! time to live. Writers invalidate what they change explicitly, after their commit; the TTL
//! bounds how stale a value can be if an invalidation is lost. With Redis, every instance reads
//! and invalidates the same entries, so a write on one instance is seen by all; in process, the
//! cache is per instance (use it only for data that may be stale for its TTL elsewhere, or run
//! one instance).
//!
//! A cache failure is never a request failure: a Redis that does not answer is a miss (logged),
//! and the caller loads from the database.

use std::sync::Arc;
use std::time::Duration;

use moka::Expiry;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Redis;

/// Entries kept in process at most; the least recently used go first.
const LOCAL_CAPACITY: u64 = 100_000;

/// The shared cache handle. Cheap to clone.
#[derive(Clone)]
pub struct Cache(Backend);

#[derive(Clone)]
enum Backend {
    Local(moka::future::Cache<String, Entry>),
    Shared(Redis),
}

/// A JSON value and how long it may live.
#[derive(Clone)]
struct Entry {
    json: Arc<str>,
    ttl: Duration,
}

struct EntryTtl;

impl Expiry<String, Entry> for EntryTtl {
    fn expire_after_create(
        &self,
        _key: &String,
        entry: &Entry,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

impl Cache {
    /// A cache in this process.
    pub fn local() -> Cache {
        Cache(Backend::Local(
            moka::future::Cache::builder()
                .max_capacity(LOCAL_CAPACITY)
                .expire_after(EntryTtl)
                .build(),
        ))
    }

    /// A cache in the shared Redis (keys under its prefix, `cache:` first).
    pub fn shared(redis: Redis) -> Cache {
        Cache(Backend::Shared(redis))
    }

    /// `local()` without Redis, `shared()` with it.
    pub fn new(redis: Option<Redis>) -> Cache {
        redis.map_or_else(Cache::local, Cache::shared)
    }

    /// The value under `key`, if present, fresh and of type `T`.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let json: Arc<str> = match &self.0 {
            Backend::Local(cache) => cache.get(key).await?.json,
            Backend::Shared(redis) => match redis.get(&redis_key(key)).await {
                Ok(value) => Arc::from(value?),
                Err(err) => {
                    tracing::warn!(error = %err, key, "cache read failed; treating it as a miss");
                    return None;
                }
            },
        };
        serde_json::from_str(&json).ok()
    }

    /// Stores `value` under `key` for `ttl`.
    pub async fn set<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) {
        let Ok(json) = serde_json::to_string(value) else {
            return;
        };
        match &self.0 {
            Backend::Local(cache) => {
                let entry = Entry {
                    json: Arc::from(json),
                    ttl,
                };
                cache.insert(key.to_owned(), entry).await;
            }
            Backend::Shared(redis) => {
                if let Err(err) = redis.set_with_ttl(&redis_key(key), &json, ttl).await {
                    tracing::warn!(error = %err, key, "cache write failed");
                }
            }
        }
    }

    /// Forgets `key`: call it after committing a change to what it holds.
    pub async fn invalidate(&self, key: &str) {
        match &self.0 {
            Backend::Local(cache) => cache.invalidate(key).await,
            Backend::Shared(redis) => {
                if let Err(err) = redis.delete(&redis_key(key)).await {
                    tracing::warn!(error = %err, key, "cache invalidation failed; the entry lives until its TTL");
                }
            }
        }
    }

    /// The cached value, or `load()`'s, which is then cached for `ttl`. A load error is
    /// returned and nothing is cached.
    pub async fn get_or_load<T, E, F, Fut>(&self, key: &str, ttl: Duration, load: F) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get(key).await {
            return Ok(value);
        }
        let value = load().await?;
        self.set(key, &value, ttl).await;
        Ok(value)
    }
}

fn redis_key(key: &str) -> String {
    format!("cache:{key}")
}
