//! The real-time hub (`/api/v1/ws`).

use std::time::Duration;

use super::parse::{Rate, number, parse_duration, parse_rate, show_duration};
use super::{Field, Section, Setting};

/// Settings of the real-time hub (`/api/v1/ws`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Realtime {
    /// How often each socket is pinged; silence for two intervals closes it.
    pub heartbeat: Duration,
    /// Events queued for one socket before it counts as too slow and is closed.
    pub send_queue: usize,
    /// Sockets one user may hold open on this instance.
    pub sockets_per_user: usize,
    /// `typing` frames one socket may send.
    pub typing_rate: Rate,
}

impl Section for Realtime {
    const TITLE: &'static str = "Real time";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "realtime_heartbeat",
                env: "AGORA_REALTIME_HEARTBEAT",
                default: "30s",
                secret: false,
                help: "How often the server pings each WebSocket (`/api/v1/ws`); a socket that has sent nothing (no pong, no frame) for two intervals is closed.",
            },
            required: true,
            parse: |s, v| {
                s.heartbeat = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.heartbeat),
        },
        Field {
            setting: Setting {
                key: "realtime_send_queue",
                env: "AGORA_REALTIME_SEND_QUEUE",
                default: "256",
                secret: false,
                help: "Events waiting to be sent to one WebSocket before the server gives up on that (slow) client and closes it; from 1 to 65536.",
            },
            required: true,
            parse: |s, v| {
                s.send_queue = number(v, 1, 65_536)?;
                Ok(())
            },
            show: |s| s.send_queue.to_string(),
        },
        Field {
            setting: Setting {
                key: "realtime_sockets_per_user",
                env: "AGORA_REALTIME_SOCKETS_PER_USER",
                default: "16",
                secret: false,
                help: "WebSockets one account may hold open at once on this instance; one more is refused with 429 `too_many_sockets`. From 1 to 10000.",
            },
            required: true,
            parse: |s, v| {
                s.sockets_per_user = number(v, 1, 10_000)?;
                Ok(())
            },
            show: |s| s.sockets_per_user.to_string(),
        },
        Field {
            setting: Setting {
                key: "realtime_typing_rate",
                env: "AGORA_REALTIME_TYPING_RATE",
                default: "10/10s",
                secret: false,
                help: "`typing` frames one WebSocket may send, as `count/period`; the frames over it are dropped, and the client is told once with an `error` frame `rate_limited`.",
            },
            required: true,
            parse: |s, v| {
                s.typing_rate = parse_rate(v)?;
                Ok(())
            },
            show: |s| s.typing_rate.to_string(),
        },
    ];
}
