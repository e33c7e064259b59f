//! With `SENTRY_DSN`, server errors also go to Sentry: a local HTTP server stands in for it,
//! receives the envelope and decodes it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agora_testkit::{Server, StatusCode, TestApp, eventually};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::post;

use super::with_faulty;

type Received = Arc<Mutex<Vec<(String, Bytes)>>>;

/// A stand-in for Sentry's envelope endpoint, keeping what it receives.
async fn fake_sentry() -> (String, Received) {
    let received: Received = Arc::default();
    let router = axum::Router::new()
        .route(
            "/api/{project}/envelope/",
            post(
                |State(received): State<Received>,
                 Path(project): Path<String>,
                 headers: axum::http::HeaderMap,
                 body: Bytes| async move {
                    let auth = headers
                        .get("x-sentry-auth")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    assert_eq!(project, "7");
                    received
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((auth, body));
                    StatusCode::OK
                },
            ),
        )
        .with_state(received.clone());
    let (address, _task) = Server::start_router(router).await;
    (format!("http://publickey@{address}/7"), received)
}

#[tokio::test]
async fn a_server_error_reaches_sentry_with_its_request_id() {
    let (dsn, received) = fake_sentry().await;
    let app = with_faulty(TestApp::builder())
        .env("SENTRY_DSN", dsn)
        .spawn()
        .await;
    app.get("/api/v1/faulty/99")
        .header("x-request-id", "req-to-sentry-1")
        .send()
        .await
        .assert_status(StatusCode::INTERNAL_SERVER_ERROR);

    let (auth, body) = eventually(
        Duration::from_secs(10),
        "an envelope at Sentry",
        async || {
            received
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .first()
                .cloned()
        },
    )
    .await;
    assert!(auth.contains("sentry_key=publickey"), "{auth}");
    let envelope = sentry::Envelope::from_slice(&body).expect("a Sentry envelope");
    let event = envelope.event().expect("an event in the envelope");
    assert_eq!(
        event.tags.get("request_id").map(String::as_str),
        Some("req-to-sentry-1")
    );
    assert_eq!(
        event.tags.get("route").map(String::as_str),
        Some("/api/v1/faulty/:n")
    );
    assert_eq!(event.message.as_deref(), Some("row 99 vanished"));
    assert_eq!(event.exception.values[0].ty, "internal");
}

#[tokio::test]
async fn client_errors_and_4xx_do_not_go_to_sentry() {
    let (dsn, received) = fake_sentry().await;
    let app = with_faulty(TestApp::builder())
        .env("SENTRY_DSN", dsn)
        .spawn()
        .await;
    app.get("/api/v1/no-such-route")
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.post("/api/v1/errors/log")
        .json(&agora_testkit::json!({ "message": "client side" }))
        .send()
        .await
        .assert_status(StatusCode::ACCEPTED);
    // A server error after them: once it has arrived, nothing else did.
    app.get("/api/v1/faulty/1").send().await;
    eventually(
        Duration::from_secs(10),
        "an envelope at Sentry",
        async || {
            let received = received
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (!received.is_empty()).then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len(),
        1
    );
}
