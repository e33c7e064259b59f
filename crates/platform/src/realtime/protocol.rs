//! The frames of `/api/v1/ws` (JSON text frames; docs/realtime.md describes them for clients).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// What a client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Subscribe {
        room: String,
        #[serde(default)]
        last_event_id: Option<String>,
    },
    Unsubscribe {
        room: String,
    },
    Typing {
        room: String,
    },
    Ping,
}

/// A frame the client sent that is not a valid [`ClientFrame`]: answered with an error frame
/// naming the room when the frame had one.
#[derive(Debug)]
pub struct Malformed {
    pub room: Option<String>,
    pub detail: String,
}

impl ClientFrame {
    pub fn parse(text: &str) -> Result<ClientFrame, Malformed> {
        let value: Value = serde_json::from_str(text).map_err(|err| Malformed {
            room: None,
            detail: format!("not a JSON frame: {err}"),
        })?;
        let room = value
            .get("room")
            .and_then(Value::as_str)
            .map(|r| r.chars().take(200).collect());
        serde_json::from_value(value).map_err(|err| Malformed {
            room,
            detail: format!(
                "not a frame this server understands ({err}); send `subscribe`, `unsubscribe`, `typing` or `ping`"
            ),
        })
    }
}

/// What the server sends besides events.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    /// The subscription is active; `members` are the users present in the room now.
    Subscribed {
        room: &'a str,
        members: Vec<Uuid>,
    },
    Unsubscribed {
        room: &'a str,
    },
    /// Events the client missed are no longer kept: refetch the room's state over HTTP.
    ResyncRequired {
        room: &'a str,
    },
    Error {
        code: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        room: Option<&'a str>,
        detail: &'a str,
    },
    Pong,
}

impl ServerFrame<'_> {
    pub fn to_text(&self) -> String {
        // A tagged enum of strings and ids always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_or_explain() {
        assert!(matches!(
            ClientFrame::parse(r#"{"type":"subscribe","room":"user:1","last_event_id":"5-0"}"#),
            Ok(ClientFrame::Subscribe {
                last_event_id: Some(_),
                ..
            })
        ));
        assert!(matches!(
            ClientFrame::parse(r#"{"type":"ping"}"#),
            Ok(ClientFrame::Ping)
        ));
        let bad = ClientFrame::parse(r#"{"type":"dance","room":"user:1"}"#).expect_err("unknown");
        assert_eq!(bad.room.as_deref(), Some("user:1"));
        for garbage in ["", "{", "[]", "null", r#"{"type":7}"#, r#"{"room":"x"}"#] {
            assert!(ClientFrame::parse(garbage).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn server_frames_are_tagged() {
        let text = ServerFrame::Error {
            code: "forbidden",
            room: Some("user:1"),
            detail: "no",
        }
        .to_text();
        assert_eq!(
            text,
            r#"{"type":"error","code":"forbidden","room":"user:1","detail":"no"}"#
        );
        assert_eq!(ServerFrame::Pong.to_text(), r#"{"type":"pong"}"#);
    }
}
