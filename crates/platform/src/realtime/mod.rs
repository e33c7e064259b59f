//! Real time: `GET /api/v1/ws`, rooms, events, presence (docs/decisions/0011-realtime.md).
//!
//! Modules and services publish with [`Hub::publish`] (`state.realtime().publish(event)`),
//! after the transaction that made the event true has committed:
//!
//! ```ignore
//! state.realtime().publish(Event::new(Room::user(user_id), "notification.created", json!({ … }))).await;
//! ```
//!
//! A client subscribes to rooms it may see; the platform decides `user:{id}` (that user only),
//! the module that declares a [`RoomKind`] decides its rooms. Events go through the
//! [`broadcaster`] (in process, or Redis pub/sub so every instance hears them) into a short
//! [`backlog`] per room, from which a reconnecting client gets what it missed.
//!
//! - `event.rs`: rooms, events, ids and the frame each event becomes;
//! - `room.rs`: room kinds and the registry of this instance's sockets per room;
//! - `broadcaster.rs`, `backlog.rs`, `presence.rs`: in process or through Redis (`scripts/`);
//! - `ws.rs`: the route and the loop of each socket; `protocol.rs` its frames;
//! - `ticket.rs`: `POST /api/v1/ws/ticket`.

mod backlog;
mod broadcaster;
mod event;
mod presence;
mod protocol;
mod room;
pub mod ticket;
mod ws;

pub use ws::{SHUTTING_DOWN, TOO_MANY_SOCKETS};

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use agora_core::config::Realtime;
use agora_core::{ApiError, UserId};
use agora_store::Redis;
use tokio::sync::watch;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub use backlog::{MAX_EVENTS_PER_ROOM, RETENTION};
pub use event::{BadRoom, Event, EventId, Room};
pub use room::{MayJoin, RoomKind};
pub use ws::{MAX_CLIENT_FRAME, MAX_ROOMS_PER_SOCKET};

use crate::identity::Viewer;
use crate::{AppState, Module, Tag};
use backlog::Replay;
use broadcaster::Broadcaster;
use presence::Presence;
use room::{ConnectionId, Registry, Subscriber};

/// `/ws` and `/ws/ticket`, under `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ws::connect))
        .routes(routes!(ticket::issue_ticket))
}

/// The real-time hub of this instance; cheap to clone.
#[derive(Clone)]
pub struct Hub(Arc<Inner>);

struct Inner {
    settings: Realtime,
    kinds: HashMap<&'static str, MayJoin>,
    registry: Registry,
    presence: Presence,
    broadcaster: Broadcaster,
    connections: AtomicUsize,
    /// Sockets closed because their client read too slowly (`/metrics`).
    dropped_slow: AtomicU64,
    /// Open sockets per user on this instance, against `settings.sockets_per_user`.
    sockets_per_user: Mutex<HashMap<UserId, usize>>,
    next_connection: AtomicU64,
    shutdown: watch::Sender<bool>,
}

/// One of a user's sockets, counted against their cap until dropped.
pub(crate) struct UserSocket {
    hub: Hub,
    user: UserId,
}

impl Drop for UserSocket {
    fn drop(&mut self) {
        let mut counts = self.hub.user_sockets();
        if let Some(count) = counts.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.user);
            }
        }
    }
}

/// Counts a socket as open until dropped.
pub(crate) struct OpenConnection(Hub);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Hub {
    /// `kinds`: the room kinds of the enabled modules (the platform adds `user`). With `redis`,
    /// events, backlogs and presence are shared by every instance using it.
    pub fn new(settings: Realtime, redis: Option<Redis>, kinds: &[RoomKind]) -> Hub {
        let kinds = std::iter::once(room::USER_ROOMS)
            .chain(kinds.iter().copied())
            .map(|kind| (kind.kind, kind.may_join))
            .collect();
        Hub(Arc::new(Inner {
            settings,
            kinds,
            registry: Registry::default(),
            presence: Presence::new(redis.clone()),
            broadcaster: Broadcaster::new(redis),
            connections: AtomicUsize::new(0),
            dropped_slow: AtomicU64::new(0),
            sockets_per_user: Mutex::default(),
            next_connection: AtomicU64::new(1),
            shutdown: watch::Sender::new(false),
        }))
    }

    /// Sends `event` to the sockets in its room, on every instance, and (unless it is
    /// `typing` or `presence`) keeps it in the room's backlog. Never fails the caller: a
    /// broadcaster that is down is logged, and clients that missed the event resync.
    pub async fn publish(&self, event: Event) {
        if let Err(err) = self.0.broadcaster.publish(&event, &self.0.registry).await {
            tracing::error!(error = %err, room = %event.room, kind = %event.kind, "cannot publish a real-time event");
        }
    }

    /// Open WebSockets on this instance.
    pub fn connections(&self) -> usize {
        self.0.connections.load(Ordering::Relaxed)
    }

    /// Sockets this instance closed because their client could not keep up (its send queue
    /// was full), since start.
    pub fn dropped_clients(&self) -> u64 {
        self.0.dropped_slow.load(Ordering::Relaxed)
    }

    /// Counts a socket closed for being too slow.
    fn client_dropped(&self) {
        self.0.dropped_slow.fetch_add(1, Ordering::Relaxed);
    }

    /// Closes every socket with 1001 (going away) and refuses new ones.
    pub fn shutdown(&self) {
        self.0.shutdown.send_replace(true);
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.0.shutdown.borrow()
    }

    /// Waits until every socket has closed, for at most `limit`.
    pub async fn closed(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.connections() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub(crate) fn settings(&self) -> Realtime {
        self.0.settings
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.0.shutdown.subscribe()
    }

    fn user_sockets(&self) -> MutexGuard<'_, HashMap<UserId, usize>> {
        // A panic while holding the lock leaves a plain map behind, still usable.
        self.0
            .sockets_per_user
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for one more socket of `user`, or `None` when they hold as many as allowed.
    pub(crate) fn reserve_socket(&self, user: UserId) -> Option<UserSocket> {
        let mut counts = self.user_sockets();
        let count = counts.entry(user).or_insert(0);
        if *count >= self.0.settings.sockets_per_user {
            return None;
        }
        *count += 1;
        Some(UserSocket {
            hub: self.clone(),
            user,
        })
    }

    pub(crate) fn connection_opened(&self) -> (ConnectionId, OpenConnection) {
        self.0.connections.fetch_add(1, Ordering::Relaxed);
        let id = self.0.next_connection.fetch_add(1, Ordering::Relaxed);
        (id, OpenConnection(self.clone()))
    }

    /// Whether `viewer` may join `room`: `not_found` for a kind no enabled module declares,
    /// `forbidden` when its rule says no.
    pub(crate) async fn authorize(
        &self,
        state: &AppState,
        viewer: Viewer,
        room: &Room,
    ) -> Result<(), ApiError> {
        let Some(may_join) = self.0.kinds.get(room.kind()) else {
            return Err(ApiError::not_found(format!(
                "there are no `{}` rooms",
                room.kind()
            )));
        };
        if may_join(state.clone(), viewer, room.id().to_owned()).await? {
            Ok(())
        } else {
            Err(ApiError::forbidden("you may not join this room"))
        }
    }

    pub(crate) async fn broadcaster_ready(&self) -> bool {
        self.0.broadcaster.ready().await
    }

    /// Adds a socket to `room`; announces its user if they have just arrived.
    pub(crate) async fn join(&self, room: &Room, id: ConnectionId, subscriber: &Arc<Subscriber>) {
        self.0.registry.join(room, id, subscriber);
        match self.0.presence.join(room, subscriber.user_id).await {
            Ok(true) => self.announce(room, subscriber.user_id, "joined").await,
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, %room, "cannot record presence"),
        }
    }

    /// Removes a socket from `room`; announces its user if they have just left.
    pub(crate) async fn leave(&self, room: &Room, id: ConnectionId, user: UserId) {
        self.0.registry.leave(room, id);
        match self.0.presence.leave(room, user).await {
            Ok(true) => self.announce(room, user, "left").await,
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, %room, "cannot record presence"),
        }
    }

    async fn announce(&self, room: &Room, user: UserId, state: &str) {
        let payload = serde_json::json!({ "user_id": user, "state": state });
        self.publish(Event::new(room.clone(), "presence", payload))
            .await;
    }

    /// The users in `room` (empty, and logged, when Redis cannot say).
    pub(crate) async fn members(&self, room: &Room) -> Vec<Uuid> {
        match self.0.presence.members(room).await {
            Ok(users) => users.into_iter().map(|u| u.0).collect(),
            Err(err) => {
                tracing::warn!(error = %err, %room, "cannot read presence");
                Vec::new()
            }
        }
    }

    /// What a socket resuming after `last` missed; resync when the backlog cannot say.
    pub(crate) async fn replay(&self, room: &Room, last: EventId) -> Replay {
        self.0
            .broadcaster
            .replay(room, last)
            .await
            .unwrap_or_else(|err| {
                tracing::warn!(error = %err, %room, "cannot read the room's backlog");
                Replay::ResyncRequired
            })
    }
}

/// The hub's background work, started with the server: with Redis, delivering what every
/// instance publishes and renewing this instance's presence; without, trimming the in-process
/// backlog. Returns when `shutdown` completes.
pub async fn run(state: AppState, shutdown: impl Future<Output = ()>) {
    let hub = state.realtime().clone();
    let housekeeping = async {
        let mut every = tokio::time::interval(presence::REFRESH);
        loop {
            every.tick().await;
            hub.0.broadcaster.trim();
            if let Err(err) = hub.0.presence.refresh().await {
                tracing::warn!(error = %err, "cannot renew presence in Redis");
            }
        }
    };
    let follow = async {
        hub.0
            .broadcaster
            .follow(&hub.0.registry, std::future::pending())
            .await;
        std::future::pending::<()>().await
    };
    tokio::select! {
        () = shutdown => {}
        () = housekeeping => {}
        () = follow => {}
    }
}

/// The real-time area: `/ws` and its tickets.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "realtime",
        description: "The WebSocket of real-time events (`/ws`, protocol in docs/realtime.md) and its tickets",
    }],
    router,
    error_codes: &[&SHUTTING_DOWN, &TOO_MANY_SOCKETS],
    ..Module::new("realtime")
};
