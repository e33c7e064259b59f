//! The error log: what the request path records, what clients report, what admins read.

use std::time::Duration;

use agora_testkit::{Page, StatusCode, TestApp, eventually, json};
use serde_json::Value;

use super::{error_rows, faulty_app};
use crate::support::cursors::{assert_cursor_refused, bad_cursors};

async fn errors(app: &TestApp, token: &str, query: &str) -> Page<Value> {
    let response = app
        .get(&format!("/api/v1/errors{query}"))
        .bearer(token)
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    response.json()
}

#[tokio::test]
async fn a_server_error_is_recorded_with_its_route_template_request_id_and_user() {
    let app = faulty_app().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    let response = app
        .get("/api/v1/faulty/17")
        .bearer(&alice.access_token)
        .header("x-request-id", "req-server-error-1")
        .send()
        .await;
    let problem = response.assert_problem(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    assert!(
        !problem.detail.contains("vanished"),
        "the cause stays on the server: {}",
        problem.detail
    );
    error_rows(&app, 1).await;

    let page = errors(&app, &admin.access_token, "?source=server").await;
    assert_eq!(page.items.len(), 1, "{:?}", page.items);
    let entry = &page.items[0];
    assert_eq!(
        entry["route"], "/api/v1/faulty/:n",
        "the template, not /api/v1/faulty/17"
    );
    assert_eq!(entry["method"], "GET");
    assert_eq!(entry["status"], 500);
    assert_eq!(entry["request_id"], "req-server-error-1");
    assert_eq!(entry["user_id"], alice.id.as_str());
    assert_eq!(entry["message"], "row 17 vanished");
    assert_eq!(entry["count"], 1);
    assert!(entry["resolved_at"].is_null());
}

#[tokio::test]
async fn a_repeat_with_other_numbers_is_counted_not_duplicated() {
    let app = faulty_app().await;
    let admin = app.admin("root").await;
    for n in [1, 2, 3] {
        app.get(&format!("/api/v1/faulty/{n}"))
            .send()
            .await
            .assert_status(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let entry = eventually(Duration::from_secs(5), "a count of 3", async || {
        let page = errors(&app, &admin.access_token, "").await;
        page.items.into_iter().find(|entry| entry["count"] == 3)
    })
    .await;
    assert_eq!(app.count("error_logs").await, 1);
    assert_eq!(
        entry["message"], "row 3 vanished",
        "the latest occurrence's message"
    );
    assert!(entry["user_id"].is_null(), "no token, no user");
}

#[tokio::test]
async fn a_panic_is_recorded_as_one() {
    let app = faulty_app().await;
    let admin = app.admin("root").await;
    app.get("/api/v1/faulty-panic")
        .send()
        .await
        .assert_problem(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    error_rows(&app, 1).await;
    let page = errors(&app, &admin.access_token, "?route=/api/v1/faulty-panic").await;
    assert_eq!(page.items.len(), 1);
    assert!(
        page.items[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("deliberate panic of the tests")),
        "{:?}",
        page.items[0]
    );
}

#[tokio::test]
async fn a_resolved_error_that_happens_again_reopens() {
    let app = faulty_app().await;
    let admin = app.admin("root").await;
    app.get("/api/v1/faulty/5").send().await;
    error_rows(&app, 1).await;
    let id = errors(&app, &admin.access_token, "").await.items[0]["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_default();

    let response = app
        .patch(&format!("/api/v1/errors/{id}/resolve"))
        .bearer(&admin.access_token)
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    assert!(!response.json::<Value>()["resolved_at"].is_null());
    assert_eq!(
        errors(&app, &admin.access_token, "?resolved=true")
            .await
            .items
            .len(),
        1
    );
    assert_eq!(
        errors(&app, &admin.access_token, "?resolved=false")
            .await
            .items
            .len(),
        0
    );

    app.get("/api/v1/faulty/6").send().await;
    eventually(Duration::from_secs(5), "the error reopened", async || {
        let open = errors(&app, &admin.access_token, "?resolved=false").await;
        open.items.into_iter().find(|entry| entry["count"] == 2)
    })
    .await;
    assert_eq!(app.count("error_logs").await, 1);
}

#[tokio::test]
async fn resolving_an_unknown_error_is_404_and_only_admins_read_the_log() {
    let app = faulty_app().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    app.patch("/api/v1/errors/0193f2a4-77c1-7d0e-9b4c-1e2f3a4b5c6d/resolve")
        .bearer(&admin.access_token)
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "error_not_found");
    app.get("/api/v1/errors")
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.get("/api/v1/errors")
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.patch("/api/v1/errors/0193f2a4-77c1-7d0e-9b4c-1e2f3a4b5c6d/resolve")
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_log_filters_and_pages_with_a_cursor() {
    let app = faulty_app().await;
    let admin = app.admin("root").await;
    app.get("/api/v1/faulty/1").send().await;
    app.get("/api/v1/faulty-panic").send().await;
    error_rows(&app, 2).await;
    for message in ["first <b>client</b> error", "second client error"] {
        app.post("/api/v1/errors/log")
            .json(&json!({ "message": message, "route": "/posts/[id]" }))
            .send()
            .await
            .assert_status(StatusCode::ACCEPTED);
    }
    assert_eq!(
        errors(&app, &admin.access_token, "?source=client")
            .await
            .items
            .len(),
        2
    );
    assert_eq!(
        errors(&app, &admin.access_token, "?source=server")
            .await
            .items
            .len(),
        2
    );
    assert_eq!(
        errors(&app, &admin.access_token, "?route=/api/v1/faulty/:n")
            .await
            .items
            .len(),
        1
    );
    assert_eq!(
        errors(&app, &admin.access_token, "?since=2999-01-01T00:00:00Z")
            .await
            .items
            .len(),
        0
    );

    let first = errors(&app, &admin.access_token, "?limit=3").await;
    assert_eq!(first.items.len(), 3);
    let cursor = first.next_cursor.clone().unwrap_or_default();
    let second = errors(
        &app,
        &admin.access_token,
        &format!("?limit=3&cursor={cursor}"),
    )
    .await;
    assert_eq!(second.items.len(), 1);
    assert!(second.next_cursor.is_none());
    let mut ids: Vec<Value> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|e| e["id"].clone())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 4, "every entry once");
    let admin_user = admin;
    for bad in bad_cursors(&cursor) {
        assert_cursor_refused(&app, &admin_user, "/api/v1/errors?limit=3", &bad).await;
    }
}

#[tokio::test]
async fn a_client_error_is_stored_as_plain_text_with_the_reporter() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    let message = "<script>alert('x')</script> failed at item 42";
    app.post("/api/v1/errors/log")
        .bearer(&alice.access_token)
        .json(&json!({
            "message": message,
            "kind": "TypeError",
            "stack": "at render (app.js:10:5)\nat main (app.js:1:1)",
            "route": "/posts/[id]",
        }))
        .send()
        .await
        .assert_status(StatusCode::ACCEPTED);
    let page = errors(&app, &admin.access_token, "?source=client").await;
    let entry = &page.items[0];
    assert_eq!(
        entry["message"], message,
        "stored as sent, not escaped nor stripped"
    );
    assert_eq!(entry["source"], "client");
    assert_eq!(entry["route"], "/posts/[id]");
    assert_eq!(entry["user_id"], alice.id.as_str());
    assert!(
        entry["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("TypeError\nat render"))
    );
}

#[tokio::test]
async fn client_reports_are_length_capped_and_checked() {
    let app = TestApp::spawn().await;
    let too_long = "x".repeat(1001);
    let response = app
        .post("/api/v1/errors/log")
        .json(&json!({ "message": too_long }))
        .send()
        .await;
    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "message");
    app.post("/api/v1/errors/log")
        .json(&json!({ "message": "   " }))
        .send()
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.post("/api/v1/errors/log")
        .json(&json!({ "message": "m", "route": "/a\nb" }))
        .send()
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.post("/api/v1/errors/log")
        .json(&json!({ "message": "m", "stack": "s".repeat(16 * 1024 + 1) }))
        .send()
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.post("/api/v1/errors/log")
        .json(&json!({ "message": "m", "html": "<b>" }))
        .send()
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("error_logs").await, 0);
}

#[tokio::test]
async fn client_reports_are_rate_limited_per_address() {
    let app = TestApp::spawn().await;
    for _ in 0..30 {
        app.post("/api/v1/errors/log")
            .json(&json!({ "message": "again" }))
            .send()
            .await
            .assert_status(StatusCode::ACCEPTED);
    }
    let response = app
        .post("/api/v1/errors/log")
        .json(&json!({ "message": "again" }))
        .send()
        .await;
    crate::support::assert_rate_limited(&response, "30");
    assert_eq!(
        app.count("error_logs").await,
        1,
        "30 reports of one error: one row"
    );
}
