//! Who is in a room: users, not sockets. A user arrives with their first socket in the room and
//! leaves with their last.
//!
//! Each instance counts its own sockets per room and user. With Redis, each room also has a
//! sorted set of `user|instance` entries scored by an expiry that the instance refreshes every
//! [`REFRESH`]; a user has arrived when the first instance adds them and left when the last one
//! removes them. An instance that dies stops refreshing, and its entries expire after
//! [`ENTRY_TTL`] (no `left` event is sent for them).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use agora_core::UserId;
use agora_store::Redis;
use agora_store::redis::RedisResult;
use redis::Script;
use std::sync::LazyLock;

use super::event::Room;

/// How often an instance renews its presence entries in Redis.
pub const REFRESH: Duration = Duration::from_secs(10);
/// How long an entry lives without renewal.
const ENTRY_TTL: Duration = Duration::from_secs(30);

static JOIN: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/presence_join.lua")));
static LEAVE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/presence_leave.lua")));

type Counts = HashMap<Room, HashMap<UserId, usize>>;

pub struct Presence {
    local: Mutex<Counts>,
    shared: Option<Shared>,
}

struct Shared {
    redis: Redis,
    /// This instance's name in the presence sets.
    instance: String,
}

fn now_millis() -> i64 {
    agora_core::time::now().timestamp_millis()
}

fn ttl_millis() -> i64 {
    i64::try_from(ENTRY_TTL.as_millis()).unwrap_or(i64::MAX)
}

impl Presence {
    pub fn new(redis: Option<Redis>) -> Presence {
        Presence {
            local: Mutex::default(),
            shared: redis.map(|redis| Shared {
                redis,
                instance: uuid::Uuid::now_v7().simple().to_string(),
            }),
        }
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one more socket of `user` in `room`; true when the user has just arrived.
    pub async fn join(&self, room: &Room, user: UserId) -> RedisResult<bool> {
        let first_here = {
            let mut counts = self.counts();
            let count = counts
                .entry(room.clone())
                .or_default()
                .entry(user)
                .or_default();
            *count += 1;
            *count == 1
        };
        match &self.shared {
            Some(shared) if first_here => shared.join(room, user).await,
            _ => Ok(first_here),
        }
    }

    /// Counts one socket fewer; true when the user has just left.
    pub async fn leave(&self, room: &Room, user: UserId) -> RedisResult<bool> {
        let last_here = {
            let mut counts = self.counts();
            let Some(users) = counts.get_mut(room) else {
                return Ok(false);
            };
            let Some(count) = users.get_mut(&user) else {
                return Ok(false);
            };
            *count -= 1;
            let gone = *count == 0;
            if gone {
                users.remove(&user);
                if users.is_empty() {
                    counts.remove(room);
                }
            }
            gone
        };
        match &self.shared {
            Some(shared) if last_here => shared.leave(room, user).await,
            _ => Ok(last_here),
        }
    }

    /// The users in `room` now, on every instance.
    pub async fn members(&self, room: &Room) -> RedisResult<Vec<UserId>> {
        if let Some(shared) = &self.shared {
            return shared.members(room).await;
        }
        Ok(self
            .counts()
            .get(room)
            .map(|users| users.keys().copied().collect::<BTreeSet<_>>())
            .unwrap_or_default()
            .into_iter()
            .collect())
    }

    /// Renews this instance's entries in Redis (call every [`REFRESH`]).
    pub async fn refresh(&self) -> RedisResult<()> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let present: Vec<(Room, UserId)> = self
            .counts()
            .iter()
            .flat_map(|(room, users)| users.keys().map(move |user| (room.clone(), *user)))
            .collect();
        if present.is_empty() {
            return Ok(());
        }
        let expiry = now_millis() + ttl_millis();
        let mut pipeline = redis::pipe();
        for (room, user) in &present {
            let key = shared.key(room);
            pipeline
                .zadd(&key, shared.member(*user), expiry)
                .ignore()
                .cmd("PEXPIREAT")
                .arg(&key)
                .arg(expiry)
                .ignore();
        }
        pipeline
            .query_async::<()>(&mut shared.redis.connection())
            .await
    }
}

impl Shared {
    fn key(&self, room: &Room) -> String {
        self.redis.key(&format!("rt:presence:{room}"))
    }

    fn member(&self, user: UserId) -> String {
        format!("{user}|{}", self.instance)
    }

    async fn join(&self, room: &Room, user: UserId) -> RedisResult<bool> {
        let now = now_millis();
        let arrived: i64 = JOIN
            .key(self.key(room))
            .arg(user.to_string())
            .arg(&self.instance)
            .arg(now)
            .arg(now + ttl_millis())
            .invoke_async(&mut self.redis.connection())
            .await?;
        Ok(arrived == 1)
    }

    async fn leave(&self, room: &Room, user: UserId) -> RedisResult<bool> {
        let left: i64 = LEAVE
            .key(self.key(room))
            .arg(user.to_string())
            .arg(&self.instance)
            .arg(now_millis())
            .invoke_async(&mut self.redis.connection())
            .await?;
        Ok(left == 1)
    }

    async fn members(&self, room: &Room) -> RedisResult<Vec<UserId>> {
        let entries: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(self.key(room))
            .arg(now_millis())
            .arg("+inf")
            .query_async(&mut self.redis.connection())
            .await?;
        Ok(entries
            .iter()
            .filter_map(|entry| entry.split_once('|')?.0.parse().ok())
            .collect::<BTreeSet<UserId>>()
            .into_iter()
            .collect())
    }
}
