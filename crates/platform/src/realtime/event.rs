//! Rooms, events and event ids: what is published, and the text frame each becomes.
//!
//! An event is serialised once, when it reaches an instance, into a [`Delivery`] whose text is
//! shared by every socket that receives it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Event kinds that describe the moment (who is here, who is typing): fanned out, never kept in
/// the backlog, and sent without an `id` (a client cannot resume from them).
const EPHEMERAL_KINDS: &[&str] = &["typing", "presence"];

const MAX_KIND_LENGTH: usize = 32;
const MAX_ID_LENGTH: usize = 128;

/// A room: `kind:id` (`user:{uuid}`, `topic:{uuid}`, `conversation:{uuid}`). The kind decides
/// who may join (see [`super::RoomKind`]).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Room(Arc<str>);

/// Why a string is not a room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRoom {
    #[error(
        "a room is `kind:id`: a kind of 1–32 lowercase letters, digits or `_`, and an id of 1–128 letters, digits, `-`, `_` or `.`"
    )]
    Shape,
    /// `user:0190ABCD…` or `user:0190abcd…` without dashes: the same id as the canonical
    /// spelling, but not the room events are published to.
    #[error("a UUID in a room is written in lower case with dashes: `{0}`")]
    NotCanonical(String),
}

impl Room {
    /// The private room of one user: their notifications and anything else for them alone.
    pub fn user(user_id: Uuid) -> Room {
        Room(Arc::from(format!("user:{user_id}")))
    }

    /// Refuses an id that is a UUID spelled other than as events name it (upper case, no
    /// dashes): such a room would be joinable but never receive anything.
    pub fn parse(value: &str) -> Result<Room, BadRoom> {
        let (kind, id) = value.split_once(':').ok_or(BadRoom::Shape)?;
        let kind_ok = (1..=MAX_KIND_LENGTH).contains(&kind.len())
            && kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        let id_ok = (1..=MAX_ID_LENGTH).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !(kind_ok && id_ok) {
            return Err(BadRoom::Shape);
        }
        if let Ok(uuid) = Uuid::try_parse(id) {
            let canonical = uuid.hyphenated().to_string();
            if canonical != id {
                return Err(BadRoom::NotCanonical(format!("{kind}:{canonical}")));
            }
        }
        Ok(Room(Arc::from(value)))
    }

    /// `user` in `user:0190…`.
    pub fn kind(&self) -> &str {
        self.0.split_once(':').map_or("", |(kind, _)| kind)
    }

    /// `0190…` in `user:0190…`.
    pub fn id(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, id)| id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Room {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Room {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Room({})", self.0)
    }
}

impl FromStr for Room {
    type Err = BadRoom;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Room::parse(s)
    }
}

impl Serialize for Room {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Room {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Room::parse(&value).map_err(serde::de::Error::custom)
    }
}

/// The position of an event in its room's history: `{milliseconds}-{sequence}`, the shape of a
/// Redis stream id, so ids from the in-process hub and from Redis read alike. Ordered within a
/// room (by time, then sequence).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId {
    pub millis: u64,
    pub sequence: u64,
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.millis, self.sequence)
    }
}

impl FromStr for EventId {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (millis, sequence) = s.split_once('-').ok_or(())?;
        Ok(EventId {
            millis: millis.parse().map_err(|_| ())?,
            sequence: sequence.parse().map_err(|_| ())?,
        })
    }
}

impl Serialize for EventId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Something that happened in a room. Publish it with [`super::Hub::publish`] after the
/// transaction that made it true has committed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub room: Room,
    /// `notification.created`, `forum.post_created`, `typing`, `presence`, ...
    #[serde(rename = "type")]
    pub kind: String,
    pub at: DateTime<Utc>,
    pub payload: serde_json::Value,
    /// Describes the moment and is not kept (see [`Event::ephemeral`]). Only the publishing
    /// instance needs it: it decides whether the event enters the backlog.
    #[serde(skip)]
    ephemeral: bool,
}

impl Event {
    pub fn new(room: Room, kind: impl Into<String>, payload: serde_json::Value) -> Event {
        let kind = kind.into();
        Event {
            ephemeral: EPHEMERAL_KINDS.contains(&kind.as_str()),
            room,
            kind,
            at: agora_core::time::now(),
            payload,
        }
    }

    /// An event that describes the moment, like `typing`: fanned out to the sockets in its room
    /// now, never kept in the backlog, sent without an `id`. For hints a client that missed
    /// them recovers from by reading again ("3 new posts" above a feed), and for events sent to
    /// very many rooms at once, which the backlog would hold for nobody.
    pub fn ephemeral(room: Room, kind: impl Into<String>, payload: serde_json::Value) -> Event {
        Event {
            ephemeral: true,
            ..Event::new(room, kind, payload)
        }
    }

    /// Whether the event describes the moment and is not kept.
    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }
}

/// The frame a client receives: the event and, unless ephemeral, its id.
#[derive(Serialize)]
struct EventFrame<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    room: &'a Room,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<EventId>,
    at: DateTime<Utc>,
    payload: &'a serde_json::Value,
}

/// An event ready for the sockets of one instance: its room and id (to route and de-duplicate)
/// and its frame, serialised once.
#[derive(Debug)]
pub struct Delivery {
    pub room: Room,
    pub id: Option<EventId>,
    pub text: Utf8Bytes,
}

impl Delivery {
    pub fn new(event: &Event, id: Option<EventId>) -> Delivery {
        let frame = EventFrame {
            kind: &event.kind,
            room: &event.room,
            id,
            at: event.at,
            payload: &event.payload,
        };
        // Serialising a struct of strings and a `Value` cannot fail.
        let text = serde_json::to_string(&frame).unwrap_or_default();
        Delivery {
            room: event.room.clone(),
            id,
            text: Utf8Bytes::from(text),
        }
    }

    /// Tells the sockets of `room` that events they should have had are gone.
    pub fn resync(room: Room) -> Delivery {
        let text = super::protocol::ServerFrame::ResyncRequired {
            room: room.as_str(),
        }
        .to_text();
        Delivery {
            room,
            id: None,
            text: Utf8Bytes::from(text),
        }
    }

    /// From an event as stored in Redis (its JSON) and the id Redis gave it; `None` for a
    /// message this version cannot read (logged by the caller).
    pub fn from_stored(json: &str, id: Option<EventId>) -> Option<Delivery> {
        let event: Event = serde_json::from_str(json).ok()?;
        Some(Delivery::new(&event, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_parse_kind_and_id() {
        let room = Room::parse("topic:0190b3c2-aa").expect("a room");
        assert_eq!((room.kind(), room.id()), ("topic", "0190b3c2-aa"));
        let user = Uuid::now_v7();
        assert_eq!(Room::user(user).to_string(), format!("user:{user}"));
        assert_eq!(
            Room::parse(&Room::user(user).to_string()),
            Ok(Room::user(user))
        );
        for bad in [
            "",
            "user",
            ":x",
            "user:",
            "User:x",
            "user:a b",
            "user:a:b",
            "a\u{e9}:x",
            &format!("k:{}", "x".repeat(129)),
        ] {
            assert_eq!(Room::parse(bad), Err(BadRoom::Shape), "{bad:?}");
        }
    }

    #[test]
    fn a_uuid_in_a_room_must_be_spelled_as_events_spell_it() {
        let user = Uuid::now_v7();
        let canonical = format!("user:{user}");
        for other in [
            format!("user:{}", user.to_string().to_uppercase()),
            format!("user:{}", user.simple()),
            format!("topic:{}", user.simple().to_string().to_uppercase()),
        ] {
            assert!(
                matches!(Room::parse(&other), Err(BadRoom::NotCanonical(_))),
                "{other}"
            );
        }
        assert_eq!(
            Room::parse(&format!("user:{}", user.simple())),
            Err(BadRoom::NotCanonical(canonical))
        );
    }

    #[test]
    fn event_ids_order_by_time_then_sequence() {
        let parse = |s: &str| s.parse::<EventId>().expect("an id");
        assert!(parse("5-10") > parse("5-9"));
        assert!(parse("6-0") > parse("5-99"));
        assert_eq!(parse("17-3").to_string(), "17-3");
        for bad in ["", "5", "5-", "-5", "a-1", "1-2-3", "-1-2"] {
            assert!(bad.parse::<EventId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ephemeral_events_are_sent_without_an_id() {
        let room = Room::parse("topic:1").expect("a room");
        let typing = Event::new(room.clone(), "typing", serde_json::json!({"user_id": "u"}));
        assert!(typing.is_ephemeral());
        let text = Delivery::new(&typing, None).text;
        let frame: serde_json::Value = serde_json::from_str(text.as_str()).expect("JSON");
        assert_eq!(frame["type"], "typing");
        assert!(frame.get("id").is_none());

        let posted = Event::new(room, "forum.post_created", serde_json::json!({"n": 1}));
        assert!(!posted.is_ephemeral());
        let stored = serde_json::to_string(&posted).expect("JSON");
        let id = "7-1".parse().ok();
        let delivery = Delivery::from_stored(&stored, id).expect("readable");
        let frame: serde_json::Value = serde_json::from_str(delivery.text.as_str()).expect("JSON");
        assert_eq!(frame["id"], "7-1");
        assert_eq!(frame["payload"]["n"], 1);
        assert_eq!(frame["room"], "topic:1");
    }
}
