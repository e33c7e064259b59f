//! Who may join a room (room kinds, declared by the modules that own them) and who has joined
//! on this instance (the registry the broadcaster delivers through).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use agora_core::{ApiError, UserId};
use futures::future::BoxFuture;
use tokio::sync::{Notify, mpsc};

use super::event::{Delivery, EventId, Room};
use crate::AppState;
use crate::identity::Viewer;

/// Decides whether `viewer` may join the room `{kind}:{id}` of a kind; gets the id part.
pub type MayJoin = fn(AppState, Viewer, String) -> BoxFuture<'static, Result<bool, ApiError>>;

/// A kind of room a module owns (`topic`, `conversation`) and its authorization rule.
#[derive(Clone, Copy)]
pub struct RoomKind {
    pub kind: &'static str,
    pub may_join: MayJoin,
}

/// The platform's own kind: `user:{id}`, for that user alone.
pub(super) const USER_ROOMS: RoomKind = RoomKind {
    kind: "user",
    may_join: |_state, viewer, id| {
        Box::pin(async move { Ok(id.parse::<uuid::Uuid>().ok() == Some(viewer.user_id.0)) })
    },
};

/// Identifies a socket within this instance.
pub type ConnectionId = u64;

/// The sending side of one socket, shared with every room it joined.
pub struct Subscriber {
    pub user_id: UserId,
    queue: mpsc::Sender<Arc<Delivery>>,
    /// Notified once when the queue overflowed; the socket then closes.
    pub too_slow: Notify,
    overflowed: AtomicBool,
}

impl Subscriber {
    pub fn new(user_id: UserId, queue: mpsc::Sender<Arc<Delivery>>) -> Subscriber {
        Subscriber {
            user_id,
            queue,
            too_slow: Notify::new(),
            overflowed: AtomicBool::new(false),
        }
    }

    /// Queues `delivery` without waiting: a full queue marks the client too slow, and it gets
    /// nothing more (it will resume from its last event id after reconnecting).
    fn offer(&self, delivery: &Arc<Delivery>) {
        if self.overflowed.load(Ordering::Relaxed) {
            return;
        }
        if let Err(mpsc::error::TrySendError::Full(_)) = self.queue.try_send(delivery.clone()) {
            self.overflowed.store(true, Ordering::Relaxed);
            // The permit is stored before any later event can be queued, so the socket stops
            // before it could send an event past the one it missed.
            self.too_slow.notify_one();
        }
    }
}

#[derive(Default)]
struct RoomSubscribers {
    sockets: HashMap<ConnectionId, Arc<Subscriber>>,
    /// The newest event id delivered in this room, from which to catch up after the Redis
    /// subscription was lost.
    last_id: Option<EventId>,
}

/// The rooms that sockets of this instance joined.
#[derive(Default)]
pub struct Registry {
    rooms: Mutex<HashMap<Room, RoomSubscribers>>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<Room, RoomSubscribers>> {
        // A panic while holding the lock leaves plain maps behind, still usable.
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn join(&self, room: &Room, connection: ConnectionId, subscriber: &Arc<Subscriber>) {
        self.lock()
            .entry(room.clone())
            .or_default()
            .sockets
            .insert(connection, subscriber.clone());
    }

    pub fn leave(&self, room: &Room, connection: ConnectionId) {
        let mut rooms = self.lock();
        if let Some(subscribers) = rooms.get_mut(room) {
            subscribers.sockets.remove(&connection);
            if subscribers.sockets.is_empty() {
                rooms.remove(room);
            }
        }
    }

    /// Hands `delivery` to every socket in its room; never waits.
    pub fn dispatch(&self, delivery: &Arc<Delivery>) {
        let mut rooms = self.lock();
        let Some(subscribers) = rooms.get_mut(&delivery.room) else {
            return;
        };
        if delivery.id.is_some() {
            subscribers.last_id = subscribers.last_id.max(delivery.id);
        }
        for subscriber in subscribers.sockets.values() {
            subscriber.offer(delivery);
        }
    }

    pub fn has_room(&self, room: &str) -> bool {
        Room::parse(room).is_ok_and(|room| self.lock().contains_key(&room))
    }

    /// Every joined room and the newest event delivered in it.
    pub fn positions(&self) -> Vec<(Room, Option<EventId>)> {
        self.lock()
            .iter()
            .map(|(room, subscribers)| (room.clone(), subscribers.last_id))
            .collect()
    }
}
