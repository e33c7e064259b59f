//! Real time: `/api/v1/ws` and `/api/v1/ws/ticket` over real WebSockets, with the hub in
//! process and, when a Redis is available, shared by two instances.

use std::time::Duration;

use agora_platform::entities::ws_tickets;
use agora_platform::realtime::{Event, Room, RoomKind};
use agora_testkit::ws::{RECEIVE_TIMEOUT, TestSocket, tungstenite};
use agora_testkit::{
    StatusCode, TestApp, TestDatabase, TestUser, json, test_redis, unique_redis_prefix,
};
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;
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
    tokio::time::timeout(RECEIVE_TIMEOUT, async {
        while hub.connections() != expected {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{} sockets open, expected {expected}", hub.connections()));
}

#[tokio::test]
async fn a_subscriber_receives_what_is_published_in_its_room() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut socket = app.socket(&alice).await;
    let ack = socket.subscribe(&user_room(&alice)).await;
    assert_eq!(ack["members"], json!([alice.id]));
    assert_eq!(app.state().realtime().connections(), 1);

    app.state()
        .realtime()
        .publish(Event::new(
            room_of(&alice),
            "notification.created",
            json!({ "text": "hello" }),
        ))
        .await;
    let event = socket.next_of_type("notification.created").await;
    assert_eq!(event["room"], user_room(&alice));
    assert_eq!(event["payload"]["text"], "hello");
    assert!(
        event["id"].is_string() && event["at"].is_string(),
        "{event}"
    );

    socket
        .send_json(json!({ "type": "unsubscribe", "room": user_room(&alice) }))
        .await;
    assert_eq!(
        socket.next_of_type("unsubscribed").await["room"],
        user_room(&alice)
    );
    publish(&app, &room_of(&alice), 1).await;
    assert_nothing_more(&mut socket).await;
}

#[tokio::test]
async fn without_valid_credentials_the_upgrade_is_refused_with_401() {
    let app = TestApp::spawn().await;
    for (query, token) in [
        ("", None),
        ("", Some("not-a-token")),
        ("?ticket=made-up", None),
    ] {
        let refused = TestSocket::try_connect(app.address(), query, token)
            .await
            .err()
            .unwrap_or_else(|| panic!("{query} {token:?} was accepted"));
        assert_eq!(refused.status, 401, "{query} {token:?}");
        assert!(
            ["unauthorized", "invalid_token"]
                .contains(&refused.body["code"].as_str().unwrap_or("")),
            "{:?}",
            refused.body
        );
    }
    // A plain GET with a valid token is not an upgrade.
    let alice = app.register("alice").await;
    let response = app
        .get("/api/v1/ws")
        .bearer(&alice.access_token)
        .send()
        .await;
    assert!(response.status.is_client_error(), "{}", response.status);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
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

#[tokio::test]
async fn a_ticket_opens_one_socket_once_on_any_instance() {
    let database = TestDatabase::create().await;
    let second = database.second_handle();
    let a = TestApp::builder().spawn_on(database).await;
    let b = TestApp::builder()
        .without_migrations()
        .spawn_on(second)
        .await;
    let alice = a.register("alice").await;
    assert_eq!(
        a.post("/api/v1/ws/ticket").send().await.status,
        StatusCode::UNAUTHORIZED
    );

    let issued_on_a = ticket(&a, &alice).await;
    let query = format!("?ticket={issued_on_a}");
    let mut socket = TestSocket::try_connect(b.address(), &query, None)
        .await
        .expect("the ticket opens a socket on the other instance");
    socket.subscribe(&user_room(&alice)).await;

    for app in [&a, &b] {
        let refused = TestSocket::try_connect(app.address(), &query, None)
            .await
            .err()
            .expect("a used ticket is refused");
        assert_eq!(refused.status, 401);
    }
    assert_eq!(a.count("ws_tickets").await, 0);
}

#[tokio::test]
async fn an_expired_ticket_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let issued = ticket(&app, &alice).await;
    let past = agora_core::time::now() - chrono::Duration::seconds(1);
    ws_tickets::Entity::update_many()
        .col_expr(ws_tickets::Column::ExpiresAt, Expr::value(past))
        .exec(app.db().writer())
        .await
        .expect("aged");
    let refused = TestSocket::try_connect(app.address(), &format!("?ticket={issued}"), None)
        .await
        .err()
        .expect("an expired ticket is refused");
    assert_eq!(refused.status, 401);
}

#[tokio::test]
async fn a_user_cannot_join_another_users_room_or_an_unknown_kind() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut socket = app.socket(&alice).await;

    socket
        .send_json(json!({ "type": "subscribe", "room": user_room(&bob) }))
        .await;
    let error = socket.next_json().await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "forbidden");
    assert_eq!(error["room"], user_room(&bob));

    socket
        .send_json(json!({ "type": "subscribe", "room": "vault:1" }))
        .await;
    let error = socket.next_json().await;
    assert_eq!(
        (error["type"].as_str(), error["code"].as_str()),
        (Some("error"), Some("not_found"))
    );

    publish(&app, &room_of(&bob), 1).await;
    assert_nothing_more(&mut socket).await;
}

#[tokio::test]
async fn a_socket_joins_at_most_a_hundred_rooms() {
    let app = TestApp::builder().room_kind(LOBBY).spawn().await;
    let alice = app.register("alice").await;
    let mut socket = app.socket(&alice).await;
    for n in 0..agora_platform::realtime::MAX_ROOMS_PER_SOCKET {
        socket.subscribe(&format!("lobby:{n}")).await;
    }
    socket
        .send_json(json!({ "type": "subscribe", "room": "lobby:one-too-many" }))
        .await;
    let error = next_but_presence(&mut socket).await;
    assert_eq!(error["code"], "too_many_rooms", "{error}");
}

#[tokio::test]
async fn malformed_frames_are_answered_with_an_error_and_the_socket_stays_open() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut socket = app.socket(&alice).await;
    for (frame, room) in [
        ("not json".to_owned(), None),
        (r#"{"type":"dance"}"#.to_owned(), None),
        (r#"{"type":"subscribe"}"#.to_owned(), None),
        (
            r#"{"type":"subscribe","room":"no room"}"#.to_owned(),
            Some("no room"),
        ),
        (
            json!({"type":"subscribe","room":user_room(&alice),"last_event_id":"yesterday"})
                .to_string(),
            Some(user_room(&alice).as_str()),
        ),
        (
            r#"{"type":"typing","room":"lobby:1"}"#.to_owned(),
            Some("lobby:1"),
        ),
        (
            r#"{"type":"unsubscribe","room":"lobby:1"}"#.to_owned(),
            Some("lobby:1"),
        ),
    ] {
        socket.send_text(&frame).await;
        let error = socket.next_json().await;
        assert_eq!(error["type"], "error", "{frame}: {error}");
        assert!(
            error["code"].is_string() && error["detail"].is_string(),
            "{error}"
        );
        assert_eq!(error["room"].as_str(), room, "{frame}: {error}");
    }
    assert_nothing_more(&mut socket).await;

    // Too large a frame is abuse: the socket is closed with 1009.
    socket.send_text(&"x".repeat(64 * 1024)).await;
    let close = socket.closed().await.expect("a close frame");
    assert_eq!(u16::from(close.code), 1009);
    until_connections(&app, 0).await;
}

/// Subscribe, receive one event, go away; three more are published; come back with the last
/// id: exactly the three, in order, then live events, nothing twice.
async fn resuming_gets_exactly_the_missed_events(first: &TestApp, second: &TestApp) {
    let alice = first.register("alice").await;
    let room = room_of(&alice);
    let mut socket = first.socket(&alice).await;
    socket.subscribe(&user_room(&alice)).await;
    publish(first, &room, 1).await;
    let (_, ids) = receive_counted(&mut socket, 1).await;
    socket.close().await;

    for n in 2..=4 {
        publish(first, &room, n).await;
    }
    let mut socket = second.socket(&alice).await;
    socket.subscribe_after(&user_room(&alice), &ids[0]).await;
    let (missed, missed_ids) = receive_counted(&mut socket, 3).await;
    assert_eq!(missed, vec![2, 3, 4]);
    assert!(ids[0] < missed_ids[0], "ids grow: {ids:?} {missed_ids:?}");

    publish(first, &room, 5).await;
    let (live, _) = receive_counted(&mut socket, 1).await;
    assert_eq!(live, vec![5]);
    assert_nothing_more(&mut socket).await;

    // An id older than the backlog: the client must refetch.
    socket
        .send_json(json!({ "type": "unsubscribe", "room": user_room(&alice) }))
        .await;
    socket.next_of_type("unsubscribed").await;
    socket.subscribe_after(&user_room(&alice), "1-0").await;
    let frame = next_but_presence(&mut socket).await;
    assert_eq!(frame["type"], "resync_required", "{frame}");
    assert_eq!(frame["room"], user_room(&alice));
}

#[tokio::test]
async fn a_client_resuming_from_its_last_event_id_gets_exactly_what_it_missed() {
    let app = TestApp::spawn().await;
    resuming_gets_exactly_the_missed_events(&app, &app).await;
}

/// Two instances over one database and one Redis (under a prefix of this test's own).
async fn two_instances(redis: &url::Url) -> (TestApp, impl AsyncFnOnce() -> TestApp) {
    let prefix = unique_redis_prefix();
    let database = TestDatabase::create().await;
    let second = database.second_handle();
    let a = TestApp::builder()
        .env("REDIS_URL", redis.as_str())
        .env("AGORA_REDIS_PREFIX", prefix.clone())
        .room_kind(LOBBY)
        .spawn_on(database)
        .await;
    let redis = redis.clone();
    let start_b = async move || {
        TestApp::builder()
            .env("REDIS_URL", redis.as_str())
            .env("AGORA_REDIS_PREFIX", prefix)
            .room_kind(LOBBY)
            .without_migrations()
            .spawn_on(second)
            .await
    };
    (a, start_b)
}

#[tokio::test]
async fn with_redis_a_client_on_one_instance_hears_what_another_published() {
    let Some(redis) = test_redis().await else {
        return;
    };
    let (a, start_b) = two_instances(&redis).await;
    let b = start_b().await;
    let alice = a.register("alice").await;
    let mut on_a = a.socket(&alice).await;
    let mut on_b = b.socket(&alice).await;
    on_a.subscribe(&user_room(&alice)).await;
    on_b.subscribe(&user_room(&alice)).await;

    for n in 1..=3 {
        publish(&a, &room_of(&alice), n).await;
    }
    let (on_b_got, ids_b) = receive_counted(&mut on_b, 3).await;
    let (on_a_got, ids_a) = receive_counted(&mut on_a, 3).await;
    assert_eq!(on_b_got, vec![1, 2, 3]);
    assert_eq!(
        on_a_got,
        vec![1, 2, 3],
        "delivered once on the publishing instance too"
    );
    assert_eq!(
        ids_a, ids_b,
        "one id per event, whichever instance delivers it"
    );
    assert_nothing_more(&mut on_a).await;
    assert_nothing_more(&mut on_b).await;
}

#[tokio::test]
async fn with_redis_an_instance_started_later_replays_the_shared_backlog() {
    let Some(redis) = test_redis().await else {
        return;
    };
    let (a, start_b) = two_instances(&redis).await;
    // The second instance starts after the events it must replay were published.
    let app = a;
    let alice = app.register("alice").await;
    let room = room_of(&alice);
    let mut socket = app.socket(&alice).await;
    socket.subscribe(&user_room(&alice)).await;
    publish(&app, &room, 1).await;
    let (_, ids) = receive_counted(&mut socket, 1).await;
    socket.close().await;
    for n in 2..=4 {
        publish(&app, &room, n).await;
    }
    let b = start_b().await;
    let mut socket = b.socket(&alice).await;
    socket.subscribe_after(&user_room(&alice), &ids[0]).await;
    let (missed, _) = receive_counted(&mut socket, 3).await;
    assert_eq!(missed, vec![2, 3, 4]);
    publish(&app, &room, 5).await;
    assert_eq!(receive_counted(&mut socket, 1).await.0, vec![5]);
    assert_nothing_more(&mut socket).await;
}

#[tokio::test]
async fn with_redis_resuming_on_the_other_instance_gets_exactly_what_was_missed() {
    let Some(redis) = test_redis().await else {
        return;
    };
    let (a, start_b) = two_instances(&redis).await;
    let b = start_b().await;
    resuming_gets_exactly_the_missed_events(&a, &b).await;
}

#[tokio::test]
async fn a_slow_client_is_dropped_while_a_fast_one_keeps_receiving_everything() {
    let app = TestApp::builder()
        .env("AGORA_REALTIME_SEND_QUEUE", "8")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let room = room_of(&alice);
    let mut slow = app.socket(&alice).await;
    slow.subscribe(&user_room(&alice)).await;
    let mut fast = app.socket(&alice).await;
    fast.subscribe(&user_room(&alice)).await;

    // 64 KiB events: a few hundred fill the socket buffers of a client that does not read,
    // then its queue of 8. Published in small batches that the fast client reads before the
    // next, so its own queue never fills.
    let filler = "x".repeat(64 * 1024);
    let mut received = Vec::new();
    let mut n = 0;
    let started = std::time::Instant::now();
    while app.state().realtime().connections() == 2 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the slow client was not dropped after {n} events"
        );
        for _ in 0..4 {
            n += 1;
            let payload = json!({ "n": n, "filler": filler });
            app.state()
                .realtime()
                .publish(Event::new(room.clone(), "test.counted", payload))
                .await;
        }
        received.extend(receive_counted(&mut fast, 4).await.0);
    }
    for _ in 0..4 {
        n += 1;
        publish(&app, &room, n).await;
    }
    received.extend(receive_counted(&mut fast, 4).await.0);
    assert_eq!(
        received,
        (1..=n).collect::<Vec<_>>(),
        "the fast client missed nothing"
    );
    assert_eq!(app.state().realtime().connections(), 1);
    // The slow one, reading at last, finds its socket closed after what was in the pipe.
    let _ = slow.closed().await;
}

#[tokio::test]
async fn presence_announces_arrivals_and_departures_and_typing_reaches_the_room() {
    let app = TestApp::builder().room_kind(LOBBY).spawn().await;
    presence_and_typing(&app, &app).await;
}

#[tokio::test]
async fn with_redis_presence_and_typing_cross_instances() {
    let Some(redis) = test_redis().await else {
        return;
    };
    let (a, start_b) = two_instances(&redis).await;
    let b = start_b().await;
    presence_and_typing(&a, &b).await;
}

/// Alice on `first`, Bob's two sockets on `second`, all in one lobby.
async fn presence_and_typing(first: &TestApp, second: &TestApp) {
    let alice = first.register("alice").await;
    let bob = second.register("bob").await;
    let room = format!("lobby:{}", Uuid::now_v7());
    let mut alices = first.socket(&alice).await;
    assert_eq!(alices.subscribe(&room).await["members"], json!([alice.id]));
    assert_eq!(
        alices.next_of_type("presence").await["payload"]["user_id"],
        alice.id
    );

    let mut bobs = second.socket(&bob).await;
    let ack = bobs.subscribe(&room).await;
    let mut members: Vec<String> = serde_json::from_value(ack["members"].clone()).expect("ids");
    members.sort();
    let mut expected = vec![alice.id.clone(), bob.id.clone()];
    expected.sort();
    assert_eq!(members, expected);
    let joined = alices.next_of_type("presence").await;
    assert_eq!(
        joined["payload"],
        json!({ "user_id": bob.id, "state": "joined" })
    );
    assert!(
        joined.get("id").is_none(),
        "presence is not resumable: {joined}"
    );

    bobs.send_json(json!({ "type": "typing", "room": room }))
        .await;
    let typing = alices.next_of_type("typing").await;
    assert_eq!(typing["room"], room);
    assert_eq!(typing["payload"]["user_id"], bob.id);

    // A second socket of Bob's is not a second Bob; closing one of two is not leaving.
    let mut bobs_phone = second.socket(&bob).await;
    bobs_phone.subscribe(&room).await;
    let open = second.state().realtime().connections();
    bobs.close().await;
    until_connections(second, open - 1).await;
    assert_nothing_more(&mut alices).await;
    bobs_phone.close().await;
    let left = alices.next_of_type("presence").await;
    assert_eq!(
        left["payload"],
        json!({ "user_id": bob.id, "state": "left" })
    );
}

#[tokio::test]
async fn a_silent_client_is_dropped_after_two_missed_heartbeats() {
    let app = TestApp::builder()
        .env("AGORA_REALTIME_HEARTBEAT", "300ms")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let mut silent = app.socket(&alice).await;
    let mut talking = app.socket(&alice).await;
    // The talking client sends a frame every 50 ms (600 ms of silence are allowed); the silent
    // one is not even read, so it answers no ping.
    tokio::time::timeout(RECEIVE_TIMEOUT, async {
        while app.state().realtime().connections() == 2 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert_nothing_more(&mut talking).await;
        }
    })
    .await
    .expect("the silent client was dropped");
    assert_eq!(app.state().realtime().connections(), 1);
    assert_nothing_more(&mut talking).await;
    let close = silent.closed().await.expect("a close frame");
    assert_eq!(
        close.code,
        tungstenite::protocol::frame::coding::CloseCode::Policy
    );
}

#[tokio::test]
async fn signing_out_closes_the_sessions_sockets_at_the_next_heartbeat() {
    let app = TestApp::builder()
        .env("AGORA_REALTIME_HEARTBEAT", "200ms")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let mut socket = app.socket(&alice).await;
    socket.subscribe(&user_room(&alice)).await;
    app.post("/api/v1/auth/logout")
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let close = socket.closed().await.expect("a close frame");
    assert_eq!(
        close.code,
        tungstenite::protocol::frame::coding::CloseCode::Policy
    );
    assert_eq!(close.reason.as_str(), "the session has ended");
}

#[tokio::test]
async fn on_shutdown_sockets_are_closed_as_going_away() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut socket = app.socket(&alice).await;
    socket.subscribe(&user_room(&alice)).await;
    let stopping = tokio::spawn(app.shutdown());
    let close = socket.closed().await.expect("a close frame");
    assert_eq!(
        close.code,
        tungstenite::protocol::frame::coding::CloseCode::Away
    );
    tokio::time::timeout(RECEIVE_TIMEOUT, stopping)
        .await
        .expect("the server stopped in time")
        .expect("cleanly");
}

#[tokio::test]
async fn a_notification_delivered_in_real_time_reaches_the_recipients_room() {
    use agora_platform::notifications::{self, NewNotification};
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut socket = app.socket(&alice).await;
    socket.subscribe(&user_room(&alice)).await;
    let delivered = notifications::notify(
        app.db().writer(),
        NewNotification {
            user_id: alice.id.parse().expect("a user id"),
            kind: "forum.reply".into(),
            actor_id: None,
            title: "a reply".into(),
            body: None,
            link: None,
            payload: json!({}),
        },
        agora_core::time::now(),
    )
    .await
    .expect("delivered");
    notifications::after_commit(app.state(), delivered).await;
    let event = socket.next_of_type("notification.created").await;
    assert_eq!(event["room"], user_room(&alice));
    assert_eq!(event["payload"]["title"], "a reply");
    assert!(event["payload"]["id"].is_string(), "{event}");
}

#[tokio::test]
async fn an_account_over_its_socket_cap_is_refused_with_429_until_one_closes() {
    let app = TestApp::builder()
        .env("AGORA_REALTIME_SOCKETS_PER_USER", "2")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let first = app.socket(&alice).await;
    let _second = app.socket(&alice).await;

    let refused = TestSocket::try_connect(app.address(), "", Some(&alice.access_token))
        .await
        .err()
        .expect("a third socket is refused");
    assert_eq!(refused.status, 429);
    assert_eq!(refused.body["code"], "too_many_sockets", "{}", refused.body);
    // Another account is not affected.
    let _bobs = app.socket(&bob).await;

    first.close().await;
    until_connections(&app, 2).await;
    let mut again = app.socket(&alice).await;
    again.subscribe(&user_room(&alice)).await;
}

#[tokio::test]
async fn typing_frames_over_the_rate_are_dropped_and_the_client_is_told_once() {
    let app = TestApp::builder()
        .room_kind(LOBBY)
        .env("AGORA_REALTIME_TYPING_RATE", "3/1m")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = format!("lobby:{}", Uuid::now_v7());
    let mut alices = app.socket(&alice).await;
    alices.subscribe(&room).await;
    let mut bobs = app.socket(&bob).await;
    bobs.subscribe(&room).await;

    for _ in 0..6 {
        bobs.send_json(json!({ "type": "typing", "room": room }))
            .await;
    }
    let mut errors = Vec::new();
    loop {
        let frame = next_but_presence(&mut bobs).await;
        match frame["type"].as_str() {
            Some("typing") => {}
            Some("error") => errors.push(frame),
            _ => panic!("unexpected frame: {frame}"),
        }
        if !errors.is_empty() {
            break;
        }
    }
    assert_eq!(errors[0]["code"], "rate_limited", "{}", errors[0]);
    assert_eq!(errors[0]["room"], room.as_str());
    // Told once: the next frame Bob gets (typing echoes aside) answers his ping.
    bobs.send_json(json!({ "type": "ping" })).await;
    loop {
        let frame = next_but_presence(&mut bobs).await;
        match frame["type"].as_str() {
            Some("typing") => {}
            Some("pong") => break,
            _ => panic!("unexpected frame: {frame}"),
        }
    }

    // Alice heard three of the six.
    for _ in 0..3 {
        let typing = next_but_presence(&mut alices).await;
        assert_eq!(typing["type"], "typing", "{typing}");
    }
    assert_nothing_more(&mut alices).await;
}

#[tokio::test]
async fn a_users_room_is_refused_under_other_spellings_of_their_id() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut socket = app.socket(&alice).await;
    let id: Uuid = alice.id.parse().expect("a user id");
    for room in [
        format!("user:{}", alice.id.to_uppercase()),
        format!("user:{}", id.simple()),
    ] {
        socket
            .send_json(json!({ "type": "subscribe", "room": room }))
            .await;
        let error = next_but_presence(&mut socket).await;
        assert_eq!(
            (error["type"].as_str(), error["code"].as_str()),
            (Some("error"), Some("bad_request")),
            "{room}: {error}"
        );
        assert_eq!(error["room"], room.as_str());
        assert!(
            error["detail"]
                .as_str()
                .is_some_and(|d| d.contains(&user_room(&alice))),
            "{error}"
        );
    }
    // The canonical spelling still works, and gets the user's events.
    socket.subscribe(&user_room(&alice)).await;
    publish(&app, &room_of(&alice), 1).await;
    assert_eq!(receive_counted(&mut socket, 1).await.0, vec![1]);
}

/// An access token of `user`'s session that expires about `seconds` from now.
fn token_expiring_in(app: &TestApp, user: &TestUser, seconds: i64) -> String {
    let tokens = &app.state().identity().tokens;
    let claims = tokens.verify(&user.access_token).expect("a valid token");
    let issued_at = agora_core::time::now() - agora_platform::identity::tokens::ACCESS_TOKEN_TTL
        + chrono::Duration::seconds(seconds);
    tokens
        .issue(claims.sub, claims.sid, &claims.role, issued_at)
        .expect("a token")
        .0
}

async fn assert_closed_for_expiry(socket: &mut TestSocket) {
    let close = socket.closed().await.expect("a close frame");
    assert_eq!(
        close.code,
        tungstenite::protocol::frame::coding::CloseCode::Policy
    );
    assert!(
        close.reason.as_str().contains("access token has expired"),
        "{close:?}"
    );
}

#[tokio::test]
async fn a_socket_closes_when_its_access_token_expires() {
    // The heartbeat is far off: the expiry, not the heartbeat, closes the socket.
    let app = TestApp::builder()
        .env("AGORA_REALTIME_HEARTBEAT", "1h")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let short = token_expiring_in(&app, &alice, 2);
    let mut socket = TestSocket::connect(app.address(), &short).await;
    socket.subscribe(&user_room(&alice)).await;
    assert_closed_for_expiry(&mut socket).await;
}

#[tokio::test]
async fn a_socket_opened_with_a_ticket_closes_when_the_token_behind_the_ticket_expires() {
    let app = TestApp::builder()
        .env("AGORA_REALTIME_HEARTBEAT", "1h")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let short = TestUser {
        access_token: token_expiring_in(&app, &alice, 2),
        ..alice.clone()
    };
    let issued = ticket(&app, &short).await;
    let mut socket = TestSocket::try_connect(app.address(), &format!("?ticket={issued}"), None)
        .await
        .expect("the ticket opens a socket");
    socket.subscribe(&user_room(&alice)).await;
    assert_closed_for_expiry(&mut socket).await;
}
