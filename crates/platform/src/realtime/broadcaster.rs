//! How a published event reaches the sockets: directly in this process, or through Redis so
//! that every instance hears it.
//!
//! With Redis, [`Broadcaster::publish`] does not deliver locally: the instance hears its own
//! events back from its subscription like every other instance does, so each instance delivers
//! each event exactly once, in the order Redis numbered them. One channel carries every room's
//! events (`{prefix}rt:events`); an instance skips rooms none of its sockets joined.

use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use agora_store::Redis;
use agora_store::redis::RedisResult;
use futures::StreamExt;
use tokio::sync::watch;

use super::backlog::{self, LocalBacklog, MAX_EVENTS_PER_ROOM, RETENTION, Replay};
use super::event::{Delivery, Event, EventId, Room};
use super::room::Registry;

const CHANNEL: &str = "rt:events";
/// How long a subscribe waits for this instance's Redis subscription before giving up.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

static PUBLISH: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(include_str!("scripts/publish.lua")));

pub enum Broadcaster {
    Local(Mutex<LocalBacklog>),
    Redis {
        redis: Redis,
        /// True while this instance's subscription to the channel is up.
        subscribed: watch::Sender<bool>,
    },
}

fn now_millis() -> u64 {
    u64::try_from(agora_core::time::now().timestamp_millis()).unwrap_or_default()
}

impl Broadcaster {
    pub fn new(redis: Option<Redis>) -> Broadcaster {
        match redis {
            Some(redis) => Broadcaster::Redis {
                redis,
                subscribed: watch::Sender::new(false),
            },
            None => Broadcaster::Local(Mutex::default()),
        }
    }

    /// Numbers, keeps (unless ephemeral) and fans `event` out.
    pub async fn publish(&self, event: &Event, registry: &Registry) -> RedisResult<()> {
        match self {
            Broadcaster::Local(backlog) => {
                let mut backlog = lock(backlog);
                let now = now_millis();
                let id = (!event.is_ephemeral()).then(|| backlog.next_id(now));
                let delivery = Arc::new(Delivery::new(event, id));
                if id.is_some() {
                    backlog.push(delivery.clone(), now);
                }
                // Still holding the backlog: events reach the sockets in the order of their ids.
                registry.dispatch(&delivery);
                Ok(())
            }
            Broadcaster::Redis { redis, .. } => {
                // Serialising an `Event` (strings, a time and a JSON value) cannot fail.
                let json = serde_json::to_string(event).unwrap_or_default();
                if event.is_ephemeral() {
                    redis
                        .publish(CHANNEL, &format!("{}\n\n{json}", event.room))
                        .await?;
                    return Ok(());
                }
                let (stream, floor) = backlog::redis_keys(redis, &event.room);
                PUBLISH
                    .key(stream)
                    .key(floor)
                    .key(redis.key(CHANNEL))
                    .arg(event.room.as_str())
                    .arg(json)
                    .arg(u64::try_from(RETENTION.as_millis()).unwrap_or(u64::MAX))
                    .arg(MAX_EVENTS_PER_ROOM)
                    .invoke_async::<String>(&mut redis.connection())
                    .await?;
                Ok(())
            }
        }
    }

    /// The events of `room` after `last`.
    pub async fn replay(&self, room: &Room, last: EventId) -> RedisResult<Replay> {
        match self {
            Broadcaster::Local(backlog) => Ok(lock(backlog).after(room, last, now_millis())),
            Broadcaster::Redis { redis, .. } => backlog::redis_after(redis, room, last).await,
        }
    }

    /// Whether events published from now on will reach this instance's sockets: at once in
    /// process; with Redis once the subscription is up (waiting a little for it).
    pub async fn ready(&self) -> bool {
        match self {
            Broadcaster::Local(_) => true,
            Broadcaster::Redis { subscribed, .. } => {
                let mut subscribed = subscribed.subscribe();
                tokio::time::timeout(READY_TIMEOUT, subscribed.wait_for(|up| *up))
                    .await
                    .is_ok_and(|answer| answer.is_ok())
            }
        }
    }

    /// Forgets the in-process history that aged out.
    pub fn trim(&self) {
        if let Broadcaster::Local(backlog) = self {
            lock(backlog).trim(now_millis());
        }
    }

    /// With Redis: delivers what every instance publishes to this instance's sockets, until
    /// `shutdown` completes. Each time it (re)subscribes it first catches every joined room up
    /// from the backlog, so nothing published while it was not listening is lost. Returns at
    /// once without Redis.
    pub async fn follow(&self, registry: &Registry, shutdown: impl Future<Output = ()>) {
        let Broadcaster::Redis { redis, subscribed } = self else {
            return;
        };
        tokio::pin!(shutdown);
        loop {
            match redis.subscribe(CHANNEL).await {
                Ok(messages) => {
                    subscribed.send_replace(true);
                    self.catch_up(registry).await;
                    tokio::pin!(messages);
                    loop {
                        tokio::select! {
                            () = &mut shutdown => return,
                            message = messages.next() => match message {
                                Some(message) => deliver(registry, &message),
                                None => break,
                            },
                        }
                    }
                    subscribed.send_replace(false);
                    tracing::warn!(
                        "lost the Redis subscription to real-time events; resubscribing"
                    );
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot subscribe to real-time events on Redis")
                }
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Delivers, room by room, the events published after the newest one delivered; a room
    /// whose missed events are gone gets a `resync_required` frame instead.
    async fn catch_up(&self, registry: &Registry) {
        for (room, last) in registry.positions() {
            let Some(last) = last else { continue };
            match self.replay(&room, last).await {
                Ok(Replay::Events(events)) => {
                    for delivery in events {
                        registry.dispatch(&delivery);
                    }
                }
                Ok(Replay::ResyncRequired) => registry.dispatch(&Arc::new(Delivery::resync(room))),
                Err(err) => {
                    tracing::warn!(error = %err, %room, "cannot catch a room up after resubscribing");
                    registry.dispatch(&Arc::new(Delivery::resync(room)));
                }
            }
        }
    }
}

fn lock(backlog: &Mutex<LocalBacklog>) -> MutexGuard<'_, LocalBacklog> {
    backlog.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One message of the channel: `{room}\n{id or nothing}\n{event JSON}`.
fn deliver(registry: &Registry, message: &redis::Msg) {
    let payload: String = message.get_payload().unwrap_or_default();
    let mut parts = payload.splitn(3, '\n');
    let (Some(room), Some(id), Some(json)) = (parts.next(), parts.next(), parts.next()) else {
        tracing::warn!("ignoring a malformed real-time message from Redis");
        return;
    };
    if !registry.has_room(room) {
        return;
    }
    let id = if id.is_empty() { None } else { id.parse().ok() };
    match Delivery::from_stored(json, id) {
        Some(delivery) => registry.dispatch(&Arc::new(delivery)),
        None => tracing::warn!(room, "ignoring an unreadable real-time event from Redis"),
    }
}
