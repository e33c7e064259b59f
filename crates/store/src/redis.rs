//! The shared Redis, when `REDIS_URL` is configured: what several instances of the server must
//! agree on (rate-limit budgets, revoked sessions, later the cache and real-time fan-out).
//!
//! [`Redis`] is a cheap-to-clone handle over one multiplexed connection that reconnects by
//! itself. It is opened lazily: a server starts even while Redis is down, `/health/ready` says
//! so, and the first command after Redis returns reconnects. Every key goes through
//! [`Redis::key`], which puts the configured prefix (`agora:` by default) in front, so several
//! deployments or test runs can share one Redis without seeing each other's keys.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub use redis::{RedisError, RedisResult};

/// How long to wait for a connection, and then for each answer, before calling Redis down.
/// Short: callers (the rate limiter) have a fallback and must not hold a request for long.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(1000);

/// A handle on the shared Redis; clones share the connection.
#[derive(Clone)]
pub struct Redis {
    /// For the dedicated connections that subscriptions need.
    client: redis::Client,
    connection: ConnectionManager,
    prefix: Arc<str>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// A handle on the Redis at `url` whose keys start with `prefix`. Does not connect: the
    /// connection is made by the first command (and remade after a failure), so this only fails
    /// for a URL the client cannot use. Must be called inside a Tokio runtime.
    pub fn open(url: &url::Url, prefix: &str) -> RedisResult<Redis> {
        let client = redis::Client::open(url.as_str())?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            // One quick retry; beyond that the caller's fallback is better than waiting.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(Redis {
            client,
            connection,
            prefix: Arc::from(prefix),
        })
    }

    /// The prefix of every key this handle writes.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The full Redis key for `name`: the prefix, then `name` (`agora:session:revoked:…`).
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The connection, for commands and scripts this module has no helper for. Keys passed to
    /// it must come from [`Redis::key`].
    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// Checks that Redis answers (`PING`); `/health/ready` uses it.
    pub async fn ping(&self) -> RedisResult<()> {
        let mut connection = self.connection();
        let _: String = redis::cmd("PING").query_async(&mut connection).await?;
        Ok(())
    }

    /// Stores `value` under the key for `name` (see [`Redis::key`]), replacing what was there;
    /// Redis forgets it after `ttl` (at least one millisecond).
    pub async fn set_with_ttl(&self, name: &str, value: &str, ttl: Duration) -> RedisResult<()> {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut connection = self.connection();
        redis::cmd("SET")
            .arg(self.key(name))
            .arg(value)
            .arg("PX")
            .arg(millis)
            .query_async::<()>(&mut connection)
            .await
    }

    /// The value under the key for `name`, if it is there and has not expired.
    pub async fn get(&self, name: &str) -> RedisResult<Option<String>> {
        let mut connection = self.connection();
        redis::cmd("GET")
            .arg(self.key(name))
            .query_async(&mut connection)
            .await
    }

    /// Whether the key for `name` is there (and has not expired).
    pub async fn exists(&self, name: &str) -> RedisResult<bool> {
        let mut connection = self.connection();
        redis::cmd("EXISTS")
            .arg(self.key(name))
            .query_async(&mut connection)
            .await
    }

    /// Removes the key for `name`; true when it was there.
    pub async fn delete(&self, name: &str) -> RedisResult<bool> {
        let mut connection = self.connection();
        let removed: u64 = redis::cmd("DEL")
            .arg(self.key(name))
            .query_async(&mut connection)
            .await?;
        Ok(removed > 0)
    }

    /// Publishes `message` on the channel for `name` (prefixed like keys); returns how many
    /// subscribers received it.
    pub async fn publish(&self, name: &str, message: &str) -> RedisResult<u64> {
        let mut connection = self.connection();
        redis::cmd("PUBLISH")
            .arg(self.key(name))
            .arg(message)
            .query_async(&mut connection)
            .await
    }

    /// Subscribes to the channel for `name` on a connection of its own; the stream ends when
    /// that connection is lost (the caller subscribes again).
    pub async fn subscribe(
        &self,
        name: &str,
    ) -> RedisResult<impl futures::Stream<Item = redis::Msg> + Send + use<>> {
        let mut pubsub = tokio::time::timeout(CONNECT_TIMEOUT, self.client.get_async_pubsub())
            .await
            .map_err(|_| {
                redis::RedisError::from((redis::ErrorKind::Io, "connecting to Redis timed out"))
            })??;
        pubsub.subscribe(self.key(name)).await?;
        Ok(pubsub.into_on_message())
    }
}
