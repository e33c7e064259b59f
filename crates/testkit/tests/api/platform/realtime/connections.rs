//! A socket's life: the upgrade and its credentials (a token or a one-time ticket), the cap per
//! account, heartbeats, slow clients, and closing at sign-out, token expiry and shutdown.

use std::time::Duration;

use agora_platform::entities::ws_tickets;
use agora_platform::realtime::Event;
use agora_testkit::ws::{RECEIVE_TIMEOUT, TestSocket, tungstenite};
use agora_testkit::{StatusCode, TestApp, TestDatabase, TestUser, json};
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;

use super::{
    assert_nothing_more, publish, receive_counted, room_of, ticket, until_connections, user_room,
};

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
