//! Rooms and what travels in them: joining (and who may), events, the backlog a client resumes
//! from, presence and typing, in process and through Redis.

use agora_platform::realtime::Event;
use agora_testkit::{TestApp, TestDatabase, json, test_redis, unique_redis_prefix};
use uuid::Uuid;

use crate::support::notify;

use super::{
    LOBBY, assert_nothing_more, next_but_presence, publish, receive_counted, room_of,
    until_connections, user_room,
};

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
async fn a_notification_delivered_in_real_time_reaches_the_recipients_room() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut socket = app.socket(&alice).await;
    socket.subscribe(&user_room(&alice)).await;
    let delivered = notify(&app, &alice, "forum.reply", "a reply").await;
    agora_platform::notifications::after_commit(app.state(), delivered).await;
    let event = socket.next_of_type("notification.created").await;
    assert_eq!(event["room"], user_room(&alice));
    assert_eq!(event["payload"]["title"], "a reply");
    assert!(event["payload"]["id"].is_string(), "{event}");
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
