//! Every failure is a problem document: unknown routes, wrong methods, and each kind of bad
//! input to the extractors (through the real middleware stack).

use std::time::Duration;

use agora_core::extract::{Json, Path, Query};
use agora_testkit::{Server, StatusCode, TestApp, TestClient, json, test_config};
use axum::Router;
use axum::routing::{get, post};
use serde::Deserialize;

#[tokio::test]
async fn an_unknown_route_is_a_404_problem_with_the_request_id() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/nothing-here").send().await;
    let problem = response.assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(problem.status, 404);
    assert_eq!(problem.kind, "urn:agora:problem:not_found");
    assert_eq!(problem.title, "Not Found");
    assert_eq!(
        problem.request_id.as_deref(),
        response.header("x-request-id"),
        "the problem quotes the request id of the response"
    );
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_that_lists_the_allowed_ones() {
    let app = TestApp::spawn().await;
    let response = app.delete("/health").send().await;
    response.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert!(response.header("allow").unwrap_or_default().contains("GET"));
}

#[tokio::test]
async fn the_clients_request_id_is_echoed_and_a_bad_one_replaced() {
    let app = TestApp::spawn().await;
    let response = app
        .get("/health")
        .header("x-request-id", "trace-abc-123")
        .send()
        .await;
    assert_eq!(response.header("x-request-id"), Some("trace-abc-123"));

    let response = app
        .get("/nope")
        .header("x-request-id", "trace-404")
        .send()
        .await;
    assert_eq!(response.problem().request_id.as_deref(), Some("trace-404"));

    let long = "x".repeat(300);
    let response = app
        .get("/health")
        .header("x-request-id", &long)
        .send()
        .await;
    let id = response.header("x-request-id").expect("an id");
    assert_ne!(id, long);
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "a generated id is a UUID: {id}"
    );
}

/// The body the echo route takes.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Note {
    title: String,
    tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Listing {
    #[allow(dead_code)]
    limit: u8,
}

async fn panics() -> &'static str {
    panic!("secret internal detail")
}

/// A router of test routes behind the real middleware, with small limits.
async fn extractor_server() -> (TestClient, tokio::task::JoinHandle<()>) {
    let router = Router::new()
        .route(
            "/notes",
            post(|Json(note): Json<Note>| async move { Json(note) }),
        )
        .route(
            "/notes",
            get(|Query(q): Query<Listing>| async move { format!("{}", q.limit) }),
        )
        .route(
            "/notes/{id}",
            get(|Path(id): Path<uuid::Uuid>| async move { id.to_string() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "too late"
            }),
        )
        .route("/panic", get(panics));
    let config = test_config(&[
        ("AGORA_BODY_LIMIT", "1KiB"),
        ("AGORA_REQUEST_TIMEOUT", "200ms"),
    ]);
    let router = agora::middleware::apply(router, &config);
    let (address, task) = Server::start_router(router).await;
    (TestClient::new(address), task)
}

#[tokio::test]
async fn valid_json_reaches_the_handler() {
    let (client, _server) = extractor_server().await;
    let response = client
        .post("/notes")
        .json(&json!({"title": "hello", "tags": ["a"]}))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.json::<serde_json::Value>()["title"], "hello");
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let (client, _server) = extractor_server().await;
    let response = client
        .post("/notes")
        .body("application/json", "{\"title\": ")
        .send()
        .await;
    response.assert_problem(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_a_422_naming_the_field() {
    let (client, _server) = extractor_server().await;
    let response = client
        .post("/notes")
        .json(&json!({"title": "hello", "tags": ["a", 7]}))
        .send()
        .await;
    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "tags[1]");
}

#[tokio::test]
async fn a_missing_or_unknown_field_is_a_422() {
    let (client, _server) = extractor_server().await;
    let response = client
        .post("/notes")
        .json(&json!({"title": "x"}))
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let missing = &response.problem().errors[0];
    assert_eq!(
        (
            missing.field.as_str(),
            missing.code.as_str(),
            missing.message.as_str()
        ),
        ("tags", "required", "is required")
    );

    let response = client
        .post("/notes")
        .json(&json!({"title": "x", "tags": [], "is_admin": true}))
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = &response.problem().errors[0];
    assert_eq!(
        (unknown.field.as_str(), unknown.code.as_str()),
        ("is_admin", "unknown_field")
    );
    assert!(unknown.message.contains("unknown field `is_admin`"));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let (client, _server) = extractor_server().await;
    let response = client
        .post("/notes")
        .body("text/plain", "title=hello")
        .send()
        .await;
    response.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[tokio::test]
async fn an_oversized_body_is_a_413_whether_announced_or_streamed() {
    let (client, _server) = extractor_server().await;
    let big = json!({"title": "x".repeat(4096), "tags": []}).to_string();

    let response = client
        .post("/notes")
        .body("application/json", big.clone())
        .send()
        .await;
    response.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    // Without a Content-Length the limit is enforced while reading.
    let chunks = futures::stream::iter(
        big.into_bytes()
            .chunks(512)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let response = client
        .post("/notes")
        .body("application/json", reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    response.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn a_bad_query_parameter_is_a_422_naming_it() {
    let (client, _server) = extractor_server().await;
    client
        .get("/notes?limit=20")
        .send()
        .await
        .assert_status(StatusCode::OK);
    let response = client.get("/notes?limit=lots").send().await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().errors[0].field, "limit");
}

#[tokio::test]
async fn a_malformed_id_in_the_path_is_a_404() {
    let (client, _server) = extractor_server().await;
    let response = client.get("/notes/not-a-uuid").send().await;
    response.assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_request_over_the_timeout_is_a_408_problem() {
    let (client, _server) = extractor_server().await;
    let response = client.get("/slow").send().await;
    response.assert_problem(StatusCode::REQUEST_TIMEOUT, "request_timeout");
}

#[tokio::test]
async fn a_panic_is_a_500_problem_that_reveals_nothing() {
    let (client, _server) = extractor_server().await;
    let response = client.get("/panic").send().await;
    let problem = response.assert_problem(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    assert!(problem.request_id.is_some());
    assert!(!response.text().contains("secret internal detail"));
    // The server survives: the next request is served.
    client
        .get("/notes?limit=1")
        .send()
        .await
        .assert_status(StatusCode::OK);
}
