//! Creates with an `Idempotency-Key`: a retry returns the first task, another body is refused,
//! the key is forgotten after 24 hours, and concurrent retries create one task.

use std::collections::HashSet;

use agora_testkit::{StatusCode, TestApp, TestUser, json};
use serde_json::Value;

use super::{create, tasks_path};

async fn create_with_key(
    app: &TestApp,
    user: &TestUser,
    key: &str,
    body: &Value,
) -> agora_testkit::TestResponse {
    app.post(&tasks_path(user))
        .bearer(&user.access_token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
}

#[tokio::test]
async fn a_create_retried_with_its_idempotency_key_returns_the_first_task_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let body = json!({ "title": "Once", "tags": ["x"] });
    let first = create_with_key(&app, &alice, "key-1", &body).await;
    first.assert_status(StatusCode::CREATED);
    assert_eq!(first.header("idempotent-replayed"), None);

    let retry = create_with_key(&app, &alice, "key-1", &body).await;
    retry.assert_status(StatusCode::CREATED);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json::<Value>(), first.json::<Value>());
    assert_eq!(app.count("tasks").await, 1);

    // Another key is another create; no key at all always creates.
    create_with_key(&app, &alice, "key-2", &body)
        .await
        .assert_status(StatusCode::CREATED);
    create(&app, &alice, body.clone()).await;
    create(&app, &alice, body.clone()).await;
    assert_eq!(app.count("tasks").await, 4);

    // Keys are per user: Bob's "key-1" is his own.
    let bob = app.register("bob").await;
    let bobs = create_with_key(&app, &bob, "key-1", &body).await;
    bobs.assert_status(StatusCode::CREATED);
    assert_eq!(bobs.header("idempotent-replayed"), None);
    assert_eq!(bobs.json::<Value>()["user_id"], bob.id.as_str());
}

#[tokio::test]
async fn an_idempotency_key_reused_with_another_body_is_422_and_a_malformed_key_is_400() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    create_with_key(&app, &alice, "key-1", &json!({ "title": "One" }))
        .await
        .assert_status(StatusCode::CREATED);
    let reused = create_with_key(&app, &alice, "key-1", &json!({ "title": "Two" })).await;
    reused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");

    let long = "k".repeat(256);
    for bad in ["two words", long.as_str()] {
        let response = create_with_key(&app, &alice, bad, &json!({ "title": "Two" })).await;
        response.assert_problem(StatusCode::BAD_REQUEST, "bad_request");
    }
    // An invalid body does not use the key up.
    create_with_key(&app, &alice, "key-2", &json!({ "title": "" }))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let valid = create_with_key(&app, &alice, "key-2", &json!({ "title": "Two" })).await;
    valid.assert_status(StatusCode::CREATED);
    assert_eq!(valid.header("idempotent-replayed"), None);
    assert_eq!(app.count("tasks").await, 2);
}

#[tokio::test]
async fn an_idempotency_key_is_forgotten_after_24_hours() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let body = json!({ "title": "Daily" });
    let first: Value = create_with_key(&app, &alice, "daily", &body).await.json();
    let aged = app
        .execute("UPDATE idempotency_keys SET expires_at = '2000-01-01 00:00:00+00:00'")
        .await;
    assert_eq!(aged, 1);
    let later = create_with_key(&app, &alice, "daily", &body).await;
    later.assert_status(StatusCode::CREATED);
    assert_eq!(later.header("idempotent-replayed"), None);
    assert_ne!(later.json::<Value>()["id"], first["id"]);
    assert_eq!(app.count("tasks").await, 2);
    assert_eq!(app.count("idempotency_keys").await, 1);

    // The hourly purge forgets keys once they expire, and only those.
    let purge = |at| agora_platform::idempotency::purge_expired(app.db().writer(), at);
    assert_eq!(purge(agora_core::time::now()).await.ok(), Some(0));
    let tomorrow = agora_core::time::now() + chrono::Duration::hours(25);
    assert_eq!(purge(tomorrow).await.ok(), Some(1));
    assert_eq!(app.count("idempotency_keys").await, 0);
}

#[tokio::test]
async fn concurrent_creates_with_one_idempotency_key_create_one_task() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let body = json!({ "title": "Racing" });
    let responses =
        futures::future::join_all((0..8).map(|_| create_with_key(&app, &alice, "race", &body)))
            .await;
    let ids: HashSet<String> = responses
        .iter()
        .map(|r| {
            r.assert_status(StatusCode::CREATED);
            r.json::<Value>()["id"].to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(app.count("tasks").await, 1);
}
