//! Real time: `/api/v1/ws` and `/api/v1/ws/ticket` over real WebSockets, with the hub in
//! process and, when a Redis is available, shared by two instances.

mod connections;
mod rooms;

use agora_platform::realtime::{Event, Room, RoomKind};
use agora_testkit::ws::{RECEIVE_TIMEOUT, TestSocket};
use agora_testkit::{StatusCode, TestApp, TestUser, eventually, json};
use serde_json::Value;
use uuid::Uuid;

/// A room kind anyone signed in may join, as a module would declare one.
const LOBBY: RoomKind = RoomKind {
    kind: "lobby",
    may_join: |_state, _viewer, _id| Box::pin(async { Ok(true) }),
};

fn user_room(user: &TestUser) -> String {
    format!("user:{}", user.id)
}

fn room_of(user: &TestUser) -> Room {
    Room::user(user.id.parse::<Uuid>().expect("a user id"))
}

async fn publish(app: &TestApp, room: &Room, n: u64) {
    app.state()
        .realtime()
        .publish(Event::new(room.clone(), "test.counted", json!({ "n": n })))
        .await;
}

/// The next frame that is not a `presence` event (every room announces its members, the
/// tests' own sockets included).
async fn next_but_presence(socket: &mut TestSocket) -> Value {
    loop {
        let frame = socket.next_json().await;
        if frame["type"] != "presence" {
            return frame;
        }
    }
}

/// Receives `count` events and returns their `n` payloads and ids.
async fn receive_counted(socket: &mut TestSocket, count: usize) -> (Vec<u64>, Vec<String>) {
    let mut numbers = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..count {
        let frame = next_but_presence(socket).await;
        assert_eq!(frame["type"], "test.counted", "{frame}");
        numbers.push(frame["payload"]["n"].as_u64().expect("a number"));
        ids.push(frame["id"].as_str().expect("an id").to_owned());
    }
    (numbers, ids)
}

/// Proves nothing else (but presence) was queued for `socket`: the answer to a ping comes next.
async fn assert_nothing_more(socket: &mut TestSocket) {
    socket.send_json(json!({ "type": "ping" })).await;
    let frame = next_but_presence(socket).await;
    assert_eq!(frame["type"], "pong", "unexpected frame: {frame}");
}

/// Waits (bounded) until the hub counts `expected` open sockets.
async fn until_connections(app: &TestApp, expected: usize) {
    let hub = app.state().realtime();
    eventually(
        RECEIVE_TIMEOUT,
        format_args!("{expected} sockets open"),
        async || (hub.connections() == expected).then_some(()),
    )
    .await;
}

async fn ticket(app: &TestApp, user: &TestUser) -> String {
    let response = app
        .post("/api/v1/ws/ticket")
        .bearer(&user.access_token)
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    let body: Value = response.json();
    assert_eq!(body["expires_in"], 30);
    body["ticket"].as_str().expect("a ticket").to_owned()
}
