//! The short history of each room (5 minutes, at most 200 events) from which a client that
//! reconnects gets what it missed: in this process without Redis; with Redis, a stream per room
//! written by the same script that publishes (`scripts/publish.lua`), so every instance, one
//! started a minute ago too, reads the same history.
//!
//! Each room also has a *floor*: the id of the newest event trimmed from it. A last event id
//! below the floor, or older than the retention, cannot be resumed: the client is told to
//! resync rather than silently given a history with a hole.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use agora_store::Redis;
use agora_store::redis::RedisResult;

use super::event::{Delivery, EventId, Room};

/// How long events are kept.
pub const RETENTION: Duration = Duration::from_secs(5 * 60);
/// How many events are kept per room.
pub const MAX_EVENTS_PER_ROOM: usize = 200;

fn retention_millis() -> u64 {
    u64::try_from(RETENTION.as_millis()).unwrap_or(u64::MAX)
}

/// What a client that resumes from an event id gets.
#[derive(Debug)]
pub enum Replay {
    /// The events after it, oldest first (possibly none).
    Events(Vec<Arc<Delivery>>),
    /// Some events after it are gone.
    ResyncRequired,
}

#[derive(Default)]
struct RoomHistory {
    events: VecDeque<Arc<Delivery>>,
    floor: Option<EventId>,
}

/// The backlog of the in-process hub; also hands out its event ids.
#[derive(Default)]
pub struct LocalBacklog {
    rooms: HashMap<Room, RoomHistory>,
    last_id: Option<EventId>,
}

impl LocalBacklog {
    /// An id greater than every id given before: the time in ms, and a sequence within it.
    pub fn next_id(&mut self, now_millis: u64) -> EventId {
        let id = match self.last_id {
            Some(last) if last.millis >= now_millis => EventId {
                millis: last.millis,
                sequence: last.sequence + 1,
            },
            _ => EventId {
                millis: now_millis,
                sequence: 0,
            },
        };
        self.last_id = Some(id);
        id
    }

    pub fn push(&mut self, delivery: Arc<Delivery>, now_millis: u64) {
        let room = delivery.room.clone();
        let history = self.rooms.entry(room).or_default();
        history.events.push_back(delivery);
        while history.events.len() > MAX_EVENTS_PER_ROOM {
            drop_oldest(history);
        }
        trim_aged(history, now_millis);
    }

    pub fn after(&self, room: &Room, last: EventId, now_millis: u64) -> Replay {
        if last.millis.saturating_add(retention_millis()) < now_millis {
            return Replay::ResyncRequired;
        }
        let Some(history) = self.rooms.get(room) else {
            // Nothing published in the room within the retention: nothing missed.
            return Replay::Events(Vec::new());
        };
        if history.floor.is_some_and(|floor| last < floor) {
            return Replay::ResyncRequired;
        }
        Replay::Events(
            history
                .events
                .iter()
                .filter(|d| d.id.is_some_and(|id| id > last))
                .cloned()
                .collect(),
        )
    }

    /// Forgets rooms whose events have all aged out.
    pub fn trim(&mut self, now_millis: u64) {
        self.rooms.retain(|_, history| {
            trim_aged(history, now_millis);
            !history.events.is_empty()
        });
    }
}

fn drop_oldest(history: &mut RoomHistory) {
    if let Some(dropped) = history.events.pop_front() {
        history.floor = history.floor.max(dropped.id);
    }
}

fn trim_aged(history: &mut RoomHistory, now_millis: u64) {
    let horizon = now_millis.saturating_sub(retention_millis());
    while history
        .events
        .front()
        .is_some_and(|d| d.id.is_some_and(|id| id.millis < horizon))
    {
        drop_oldest(history);
    }
}

/// The Redis keys of a room's backlog: its stream and its floor.
pub fn redis_keys(redis: &Redis, room: &Room) -> (String, String) {
    (
        redis.key(&format!("rt:backlog:{room}")),
        redis.key(&format!("rt:floor:{room}")),
    )
}

/// [`LocalBacklog::after`] over the shared backlog in Redis.
pub async fn redis_after(redis: &Redis, room: &Room, last: EventId) -> RedisResult<Replay> {
    static SCRIPT: std::sync::LazyLock<redis::Script> =
        std::sync::LazyLock::new(|| redis::Script::new(include_str!("scripts/replay.lua")));
    let (stream, floor) = redis_keys(redis, room);
    let answer: redis::Value = SCRIPT
        .key(stream)
        .key(floor)
        .arg(last.to_string())
        .arg(retention_millis())
        .invoke_async(&mut redis.connection())
        .await?;
    Ok(parse_replay(answer, room))
}

/// `{'resync'}` or `{'events', [[id, [field, json, ...]], ...]}` from `replay.lua`.
fn parse_replay(answer: redis::Value, room: &Room) -> Replay {
    use redis::Value;
    let Value::Array(mut parts) = answer else {
        return Replay::ResyncRequired;
    };
    let Some(Value::Array(entries)) = parts.pop().filter(|_| parts.len() == 1) else {
        return Replay::ResyncRequired;
    };
    let mut events = Vec::with_capacity(entries.len());
    for entry in entries {
        match stream_entry(entry) {
            Some(delivery) if delivery.room == *room => events.push(Arc::new(delivery)),
            // An entry this version cannot read: the history has a hole the client must know of.
            _ => return Replay::ResyncRequired,
        }
    }
    Replay::Events(events)
}

fn stream_entry(entry: redis::Value) -> Option<Delivery> {
    use redis::Value;
    let Value::Array(entry) = entry else {
        return None;
    };
    let [id, Value::Array(fields)] = entry.as_slice() else {
        return None;
    };
    let id: String = redis::from_redis_value_ref(id).ok()?;
    let json: String = redis::from_redis_value_ref(fields.get(1)?).ok()?;
    Delivery::from_stored(&json, Some(id.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::event::Event;

    const MINUTE: u64 = 60_000;

    fn publish(backlog: &mut LocalBacklog, room: &Room, now: u64) -> EventId {
        let id = backlog.next_id(now);
        let event = Event::new(room.clone(), "test.event", serde_json::json!({}));
        backlog.push(Arc::new(Delivery::new(&event, Some(id))), now);
        id
    }

    fn ids(replay: Replay) -> Vec<EventId> {
        match replay {
            Replay::Events(events) => events.iter().filter_map(|d| d.id).collect(),
            Replay::ResyncRequired => panic!("resync required"),
        }
    }

    #[test]
    fn a_client_gets_the_events_after_its_last_one() {
        let mut backlog = LocalBacklog::default();
        let room = Room::parse("topic:1").expect("a room");
        let other = Room::parse("topic:2").expect("a room");
        let t = 10 * MINUTE;
        let first = publish(&mut backlog, &room, t);
        publish(&mut backlog, &other, t);
        let second = publish(&mut backlog, &room, t);
        let third = publish(&mut backlog, &room, t + 1);
        assert!(first < second && second < third);
        assert_eq!(ids(backlog.after(&room, first, t + 2)), vec![second, third]);
        assert_eq!(ids(backlog.after(&room, third, t + 2)), vec![]);
        let quiet = Room::parse("topic:3").expect("a room");
        assert_eq!(ids(backlog.after(&quiet, first, t + 2)), vec![]);
    }

    #[test]
    fn a_client_behind_the_trimmed_history_must_resync() {
        let mut backlog = LocalBacklog::default();
        let room = Room::parse("topic:1").expect("a room");
        let t = 10 * MINUTE;
        // Two more than are kept: the first two are trimmed.
        let first = publish(&mut backlog, &room, t);
        let second = publish(&mut backlog, &room, t);
        for _ in 0..MAX_EVENTS_PER_ROOM {
            publish(&mut backlog, &room, t);
        }
        assert!(matches!(
            backlog.after(&room, first, t),
            Replay::ResyncRequired
        ));
        // Whoever saw the second (the newest trimmed) missed nothing that is gone.
        assert_eq!(
            ids(backlog.after(&room, second, t)).len(),
            MAX_EVENTS_PER_ROOM
        );

        // Older than the retention: resync, even if the room was quiet since.
        assert!(matches!(
            backlog.after(&room, second, t + 6 * MINUTE),
            Replay::ResyncRequired
        ));
        backlog.trim(t + 6 * MINUTE);
        assert!(backlog.rooms.is_empty());
    }
}
