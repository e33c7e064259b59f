//! `GET /api/v1/ws`: authenticate, upgrade, then one loop per socket that reads the client's
//! frames, sends what the hub queued for it, pings it, and closes it when it goes silent, falls
//! behind, or the server stops.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use agora_core::config::Rate;
use agora_core::extract::Query;
use agora_core::{ApiError, ErrorCode};
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite;
use utoipa::IntoParams;

use super::backlog::Replay;
use super::event::{Delivery, Event, EventId, Room};
use super::protocol::{ClientFrame, ServerFrame};
use super::room::{ConnectionId, Subscriber};
use super::{Hub, UserSocket, ticket};
use crate::AppState;
use crate::identity::{OptionalViewer, Viewer};

pub const SHUTTING_DOWN: ErrorCode = ErrorCode {
    status: StatusCode::SERVICE_UNAVAILABLE,
    code: "shutting_down",
    when: "`GET /ws` while this instance is shutting down (open sockets are closed with code 1012).",
    what_to_do: "Reconnect after a short delay; another instance (or this one, restarted) answers.",
};

pub const TOO_MANY_SOCKETS: ErrorCode = ErrorCode {
    status: StatusCode::TOO_MANY_REQUESTS,
    code: "too_many_sockets",
    when: "`GET /ws`: the account already holds the most WebSockets it may (`realtime_sockets_per_user`).",
    what_to_do: "Close a socket first (one per tab is usually one too many: share it).",
};

/// The largest frame a client may send; more closes the socket (1009).
pub const MAX_CLIENT_FRAME: usize = 16 * 1024;
/// How many rooms one socket may join.
pub const MAX_ROOMS_PER_SOCKET: usize = 100;
/// How long the close frame may take to go out before the socket is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConnectParams {
    /// A ticket from `POST /api/v1/ws/ticket`, for clients that cannot send `Authorization`.
    pub ticket: Option<String>,
}

/// Open the real-time WebSocket. Authenticate with `Authorization: Bearer` or `?ticket=`. The
/// protocol (JSON text frames): the client sends `{"type":"subscribe","room":"user:{id}",
/// "last_event_id":"…"?}`, `{"type":"unsubscribe","room"}`, `{"type":"typing","room"}`,
/// `{"type":"ping"}`; the server answers `subscribed` (with the room's `members`),
/// `unsubscribed`, `pong`, `error` (`code`, `room`?, `detail`) or `resync_required`, and sends
/// events `{"type","room","id"?,"at","payload"}`. See docs/realtime.md.
#[utoipa::path(get, path = "/ws", tag = "realtime", security((), ("bearer" = [])),
    params(ConnectParams),
    responses(
        (status = 101, description = "Switched to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade request"),
        (status = 401, description = "No valid token or ticket"),
        (status = 429, description = "`too_many_sockets`: this account already holds `realtime_sockets_per_user` WebSockets on this instance; close one first"),
        (status = 503, description = "The server is shutting down"),
    ))]
pub async fn connect(
    State(state): State<AppState>,
    OptionalViewer(viewer): OptionalViewer,
    Query(params): Query<ConnectParams>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let viewer = match authenticate(&state, viewer, params.ticket.as_deref()).await {
        Ok(viewer) => viewer,
        Err(err) => return err.into_response(),
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return ApiError::from_status(rejection.status())
                .with_detail(rejection.body_text())
                .into_response();
        }
    };
    if state.realtime().is_shutting_down() {
        return SHUTTING_DOWN
            .with_detail("the server is shutting down")
            .into_response();
    }
    // Held by the socket until it closes; dropped with the closure if the upgrade fails.
    let Some(seat) = state.realtime().reserve_socket(viewer.user_id) else {
        let most = state.realtime().settings().sockets_per_user;
        return ApiError::from_code(
            &TOO_MANY_SOCKETS,
            format!("an account may hold at most {most} WebSockets open at once; close one first"),
        )
        .into_response();
    };
    upgrade
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        // Small buffers: most frames are small, and memory per idle socket is what limits how
        // many one instance holds (bench: realtime).
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| run(state, viewer, socket, seat))
}

/// The bearer token's viewer, else the ticket's.
async fn authenticate(
    state: &AppState,
    viewer: Option<Viewer>,
    ticket: Option<&str>,
) -> Result<Viewer, ApiError> {
    if let Some(viewer) = viewer {
        return Ok(viewer);
    }
    let Some(ticket) = ticket else {
        return Err(ApiError::unauthorized(
            "authentication required: send `Authorization: Bearer <access token>` or `?ticket=` from POST /api/v1/ws/ticket",
        ));
    };
    let viewer = ticket::redeem(state.db().writer(), ticket, agora_core::time::now())
        .await?
        .ok_or_else(|| ApiError::unauthorized("the ticket is unknown, expired or already used"))?;
    if viewer
        .session_id
        .is_some_and(|sid| state.identity().revocations.is_revoked(sid.0))
    {
        return Err(ApiError::unauthorized(
            "this session has ended; sign in again",
        ));
    }
    Ok(viewer)
}

/// Why a socket closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The client closed it or the connection broke: nothing more to send.
    Gone,
    ShuttingDown,
    TooSlow,
    Silent,
    FrameTooLarge,
    SessionRevoked,
    TokenExpired,
}

impl Ending {
    fn close_frame(self) -> Option<CloseFrame> {
        let (code, reason) = match self {
            Ending::Gone => return None,
            Ending::ShuttingDown => (close_code::AWAY, "server shutting down"),
            Ending::TooSlow => (close_code::POLICY, "too slow: the send queue is full"),
            Ending::Silent => (close_code::POLICY, "no answer to pings"),
            Ending::FrameTooLarge => (close_code::SIZE, "frame too large"),
            Ending::SessionRevoked => (close_code::POLICY, "the session has ended"),
            Ending::TokenExpired => (
                close_code::POLICY,
                "the access token has expired; reconnect with a fresh one",
            ),
        };
        Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        })
    }
}

/// One socket, from upgrade to close.
async fn run(state: AppState, viewer: Viewer, mut socket: WebSocket, _seat: UserSocket) {
    let hub = state.realtime().clone();
    let (id, _open) = hub.connection_opened();
    let (queue_tx, queue) = mpsc::channel(hub.settings().send_queue);
    let typing = TypingBudget::new(hub.settings().typing_rate);
    let mut connection = Connection {
        subscriber: Arc::new(Subscriber::new(viewer.user_id, queue_tx)),
        state,
        hub,
        viewer,
        id,
        rooms: HashMap::new(),
        typing,
    };
    let ending = connection.serve(&mut socket, queue).await;
    if ending == Ending::TooSlow {
        connection.hub.client_dropped();
    }
    tracing::debug!(user = %viewer.user_id, ?ending, "WebSocket closed");
    connection.leave_all().await;
    if let Some(frame) = ending.close_frame() {
        // A client too slow to read its events will not read this either: barely wait.
        let limit = match ending {
            Ending::TooSlow => CLOSE_TIMEOUT / 10,
            _ => CLOSE_TIMEOUT,
        };
        let _ = tokio::time::timeout(limit, socket.send(Message::Close(Some(frame)))).await;
    }
}

struct Connection {
    state: AppState,
    hub: Hub,
    viewer: Viewer,
    id: ConnectionId,
    subscriber: Arc<Subscriber>,
    /// Joined rooms and the newest event id sent in each: an event at or below it was
    /// already sent (from the backlog, or twice through a resubscription) and is skipped.
    rooms: HashMap<Room, Option<EventId>>,
    typing: TypingBudget,
}

impl Connection {
    async fn serve(
        &mut self,
        socket: &mut WebSocket,
        mut queue: mpsc::Receiver<Arc<Delivery>>,
    ) -> Ending {
        let interval = self.hub.settings().heartbeat;
        let mut heartbeat = tokio::time::interval_at(Instant::now() + interval, interval);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        let mut stopping = self.hub.shutdown_signal();
        // The token (or the token a ticket was issued for) stops being valid: so does the
        // socket, as if it were a request made now.
        let token_left = (self.viewer.expires_at - agora_core::time::now())
            .to_std()
            .unwrap_or_default();
        let token_expiry = tokio::time::sleep(token_left);
        tokio::pin!(token_expiry);
        loop {
            let step = tokio::select! {
                biased;
                () = stopped(&mut stopping) => Err(Ending::ShuttingDown),
                () = &mut token_expiry => Err(Ending::TokenExpired),
                () = self.subscriber.too_slow.notified() => Err(Ending::TooSlow),
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() >= interval * 2 {
                        Err(Ending::Silent)
                    } else if self.session_revoked() {
                        Err(Ending::SessionRevoked)
                    } else {
                        self.send(socket, Message::Ping(Default::default())).await
                    }
                }
                Some(delivery) = queue.recv() => self.deliver(socket, &delivery).await,
                frame = socket.recv() => match frame {
                    Some(Ok(message)) => {
                        last_heard = Instant::now();
                        self.receive(socket, message).await
                    }
                    Some(Err(err)) => Err(read_error(&err)),
                    None => Err(Ending::Gone),
                },
            };
            if let Err(ending) = step {
                return ending;
            }
        }
    }

    /// Whether the user signed out (or was signed out) of the session this socket opened with;
    /// checked at each heartbeat, a look-up in the in-process revocation set.
    fn session_revoked(&self) -> bool {
        self.viewer
            .session_id
            .is_some_and(|sid| self.state.identity().revocations.is_revoked(sid.0))
    }

    /// Sends one frame, unless the socket must close first (it fell behind, or the server is
    /// stopping): a client that does not read blocks the write, and must not block the close.
    async fn send(&self, socket: &mut WebSocket, message: Message) -> Result<(), Ending> {
        let mut stopping = self.hub.shutdown_signal();
        tokio::select! {
            biased;
            () = self.subscriber.too_slow.notified() => Err(Ending::TooSlow),
            () = stopped(&mut stopping) => Err(Ending::ShuttingDown),
            sent = socket.send(message) => sent.map_err(|_| Ending::Gone),
        }
    }

    async fn reply(&self, socket: &mut WebSocket, frame: ServerFrame<'_>) -> Result<(), Ending> {
        self.send(socket, Message::Text(frame.to_text().into()))
            .await
    }

    async fn error(
        &self,
        socket: &mut WebSocket,
        code: &str,
        room: Option<&str>,
        detail: &str,
    ) -> Result<(), Ending> {
        self.reply(socket, ServerFrame::Error { code, room, detail })
            .await
    }

    /// Sends a queued event if the socket is still in its room and has not had it yet.
    async fn deliver(&mut self, socket: &mut WebSocket, delivery: &Delivery) -> Result<(), Ending> {
        let Some(last_sent) = self.rooms.get_mut(&delivery.room) else {
            return Ok(());
        };
        if let Some(id) = delivery.id {
            if last_sent.is_some_and(|last| id <= last) {
                return Ok(());
            }
            *last_sent = Some(id);
        }
        self.send(socket, Message::Text(delivery.text.clone()))
            .await
    }

    async fn receive(&mut self, socket: &mut WebSocket, message: Message) -> Result<(), Ending> {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                return self
                    .error(
                        socket,
                        "bad_request",
                        None,
                        "send JSON text frames, not binary",
                    )
                    .await;
            }
            // Pongs only prove the client is alive; tungstenite answers pings itself.
            Message::Ping(_) | Message::Pong(_) => return Ok(()),
            Message::Close(_) => return Err(Ending::Gone),
        };
        match ClientFrame::parse(text.as_str()) {
            Err(bad) => {
                self.error(socket, "bad_request", bad.room.as_deref(), &bad.detail)
                    .await
            }
            Ok(ClientFrame::Subscribe {
                room,
                last_event_id,
            }) => {
                self.subscribe(socket, &room, last_event_id.as_deref())
                    .await
            }
            Ok(ClientFrame::Unsubscribe { room }) => self.unsubscribe(socket, &room).await,
            Ok(ClientFrame::Typing { room }) => self.typing(socket, &room).await,
            Ok(ClientFrame::Ping) => self.reply(socket, ServerFrame::Pong).await,
        }
    }

    async fn subscribe(
        &mut self,
        socket: &mut WebSocket,
        name: &str,
        last_event_id: Option<&str>,
    ) -> Result<(), Ending> {
        let room = match Room::parse(name) {
            Ok(room) => room,
            Err(err) => {
                return self
                    .error(socket, "bad_request", Some(name), &err.to_string())
                    .await;
            }
        };
        let last_event_id = match last_event_id.map(str::parse::<EventId>).transpose() {
            Ok(id) => id,
            Err(()) => {
                let detail = "`last_event_id` must be the `id` of an event received earlier";
                return self.error(socket, "bad_request", Some(name), detail).await;
            }
        };
        if self.rooms.contains_key(&room) {
            let members = self.hub.members(&room).await;
            return self
                .reply(
                    socket,
                    ServerFrame::Subscribed {
                        room: name,
                        members,
                    },
                )
                .await;
        }
        if self.rooms.len() >= MAX_ROOMS_PER_SOCKET {
            let detail = format!("a socket may join at most {MAX_ROOMS_PER_SOCKET} rooms");
            return self
                .error(socket, "too_many_rooms", Some(name), &detail)
                .await;
        }
        if let Err(refusal) = self.hub.authorize(&self.state, self.viewer, &room).await {
            return self
                .error(socket, refusal.code(), Some(name), refusal.detail())
                .await;
        }
        if !self.hub.broadcaster_ready().await {
            let detail = "real-time delivery is unavailable; try again shortly";
            return self.error(socket, "unavailable", Some(name), detail).await;
        }
        // Joined before the backlog is read: an event published meanwhile is either in the
        // backlog or queued (or both, and then sent once).
        self.rooms.insert(room.clone(), last_event_id);
        self.hub.join(&room, self.id, &self.subscriber).await;
        let members = self.hub.members(&room).await;
        self.reply(
            socket,
            ServerFrame::Subscribed {
                room: name,
                members,
            },
        )
        .await?;
        match last_event_id {
            Some(last) => self.replay(socket, &room, last).await,
            None => Ok(()),
        }
    }

    async fn replay(
        &mut self,
        socket: &mut WebSocket,
        room: &Room,
        last: EventId,
    ) -> Result<(), Ending> {
        match self.hub.replay(room, last).await {
            Replay::Events(events) => {
                for delivery in events {
                    self.deliver(socket, &delivery).await?;
                }
                Ok(())
            }
            Replay::ResyncRequired => {
                self.reply(
                    socket,
                    ServerFrame::ResyncRequired {
                        room: room.as_str(),
                    },
                )
                .await
            }
        }
    }

    async fn unsubscribe(&mut self, socket: &mut WebSocket, name: &str) -> Result<(), Ending> {
        let Some(room) = Room::parse(name)
            .ok()
            .filter(|r| self.rooms.contains_key(r))
        else {
            return self
                .error(socket, "not_subscribed", Some(name), "not in this room")
                .await;
        };
        self.rooms.remove(&room);
        self.hub.leave(&room, self.id, self.viewer.user_id).await;
        self.reply(socket, ServerFrame::Unsubscribed { room: name })
            .await
    }

    async fn typing(&mut self, socket: &mut WebSocket, name: &str) -> Result<(), Ending> {
        let Some(room) = Room::parse(name)
            .ok()
            .filter(|r| self.rooms.contains_key(r))
        else {
            let detail = "subscribe to the room before typing in it";
            return self
                .error(socket, "not_subscribed", Some(name), detail)
                .await;
        };
        if !self.typing.allow(Instant::now()) {
            // Told once per run of dropped frames, so an abuser gets no reply per frame.
            if std::mem::replace(&mut self.typing.told, true) {
                return Ok(());
            }
            let rate = self.typing.rate;
            let detail = format!(
                "at most {} `typing` frames per {}; the ones over it are dropped",
                rate.limit,
                humantime_period(rate.period)
            );
            return self
                .error(socket, "rate_limited", Some(name), &detail)
                .await;
        }
        self.typing.told = false;
        let payload = serde_json::json!({ "user_id": self.viewer.user_id });
        self.hub.publish(Event::new(room, "typing", payload)).await;
        Ok(())
    }

    async fn leave_all(&mut self) {
        for (room, _) in std::mem::take(&mut self.rooms) {
            self.hub.leave(&room, self.id, self.viewer.user_id).await;
        }
    }
}

fn humantime_period(period: Duration) -> String {
    if period.subsec_nanos() == 0 {
        format!("{} s", period.as_secs())
    } else {
        format!("{} ms", period.as_millis())
    }
}

/// The `typing` frames a socket may still send: a token bucket of `rate.limit` frames,
/// refilled evenly over `rate.period`.
struct TypingBudget {
    rate: Rate,
    tokens: f64,
    updated: Instant,
    /// Whether the client was told that frames are being dropped.
    told: bool,
}

impl TypingBudget {
    fn new(rate: Rate) -> TypingBudget {
        TypingBudget {
            rate,
            tokens: f64::from(rate.limit),
            updated: Instant::now(),
            told: false,
        }
    }

    fn allow(&mut self, now: Instant) -> bool {
        let capacity = f64::from(self.rate.limit);
        let per_second = capacity / self.rate.period.as_secs_f64().max(f64::EPSILON);
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(capacity);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Completes when the hub shuts down.
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`; it must not live across an await.
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// A read error: a frame over the size limit, or a broken connection.
fn read_error(err: &axum::Error) -> Ending {
    let capacity = std::error::Error::source(err)
        .and_then(|source| source.downcast_ref::<tungstenite::Error>())
        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)));
    if capacity {
        Ending::FrameTooLarge
    } else {
        Ending::Gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typing_budget_allows_its_rate_and_refills_over_the_period() {
        let start = Instant::now();
        let mut budget = TypingBudget::new(Rate::new(3, Duration::from_secs(3)));
        budget.updated = start;
        let allowed = (0..5).filter(|_| budget.allow(start)).count();
        assert_eq!(allowed, 3);
        assert!(!budget.allow(start + Duration::from_millis(500)));
        assert!(budget.allow(start + Duration::from_millis(1100)));
        assert!(!budget.allow(start + Duration::from_millis(1200)));
    }
}
