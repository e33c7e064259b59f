//! The shared backend: GCRA in a Lua script run by Redis, so every instance that uses the same
//! Redis (and key prefix) spends one budget. One round trip per check (`EVALSHA`, loading the
//! script on first use), atomic because Redis runs a script alone, and the clock is Redis' own.

use std::time::Duration;

use agora_store::Redis;
use agora_store::redis::RedisResult;

use super::{Decision, Quota};

const GCRA: &str = include_str!("gcra.lua");

pub(crate) struct SharedLimiter {
    redis: Redis,
    script: redis::Script,
}

impl SharedLimiter {
    pub(crate) fn new(redis: Redis) -> Self {
        Self {
            redis,
            script: redis::Script::new(GCRA),
        }
    }

    pub(crate) async fn check(&self, quota: &Quota, key: &str) -> RedisResult<Decision> {
        let interval = u64::try_from(quota.interval().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut connection = self.redis.connection();
        let (allowed, remaining, reset, retry_after): (i64, i64, i64, i64) = self
            .script
            .key(self.redis.key(&redis_key(quota, key)))
            .arg(interval)
            .arg(quota.limit())
            .invoke_async(&mut connection)
            .await?;
        let micros = |n: i64| Duration::from_micros(u64::try_from(n).unwrap_or(0));
        Ok(if allowed == 1 {
            Decision::Allowed {
                remaining: u32::try_from(remaining).unwrap_or(0).min(quota.limit()),
                reset: micros(reset),
            }
        } else {
            Decision::Refused {
                retry_after: micros(retry_after),
                reset: micros(reset),
            }
        })
    }
}

/// `rl:{quota}:{key}`, after the deployment's prefix.
fn redis_key(quota: &Quota, key: &str) -> String {
    format!("rl:{}:{key}", quota.name())
}
