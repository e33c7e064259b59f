//! Input an outside probe sent to break the server: control characters in text, numbers that
//! overflow SQL, times outside the years 0001–9999. Each is a clear 4xx problem, the same on
//! SQLite and PostgreSQL, and leaves nothing behind.

use agora_testkit::{StatusCode, TestApp, TestUser, json};
use serde_json::Value;

fn fields(response: &agora_testkit::TestResponse) -> Vec<String> {
    let mut fields: Vec<String> = response
        .problem()
        .errors
        .into_iter()
        .map(|e| e.field)
        .collect();
    fields.sort();
    fields
}

#[tokio::test]
async fn nul_in_a_sign_in_name_is_a_422_on_that_field_not_a_server_error() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let response = app
        .post("/api/v1/auth/login")
        .json(&json!({ "username": "a\u{0}b", "password": agora_testkit::TEST_PASSWORD }))
        .send()
        .await;
    response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(fields(&response), ["username"]);

    let register = app
        .post("/api/v1/auth/register")
        .json(&json!({
            "username": "bob",
            "email": "bob@example.com\u{0}",
            "password": agora_testkit::TEST_PASSWORD,
            "display_name": "Bob\u{1b}[31m",
        }))
        .send()
        .await;
    register.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&register), ["display_name", "email"]);
    assert_eq!(app.count("users").await, 1);
}

#[tokio::test]
async fn control_characters_in_task_fields_and_queries_are_refused_while_line_breaks_pass() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let tasks = format!("/api/v1/users/{}/tasks", alice.id);
    let response = app
        .post(&tasks)
        .bearer(&alice.access_token)
        .json(&json!({
            "title": "a\u{0}",
            "description": "fine\r\n\tfine",
            "tags": ["ok", "b\u{7}"],
        }))
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&response), ["tags[1]", "title"]);
    assert_eq!(app.count("tasks").await, 0);

    let multi_line = app
        .post(&tasks)
        .bearer(&alice.access_token)
        .json(&json!({ "title": "Plan", "description": "line one\r\n\tline two" }))
        .send()
        .await;
    multi_line.assert_status(StatusCode::CREATED);
    assert_eq!(
        multi_line.json::<Value>()["description"],
        "line one\r\n\tline two"
    );

    for query in ["q=%00", "tag=a%00b", "q=%1B"] {
        let response = app
            .get(&format!("{tasks}?{query}"))
            .bearer(&alice.access_token)
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&response).len(), 1, "{query}");
    }
}

#[tokio::test]
async fn control_characters_in_profiles_and_path_parameters_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let response = app
        .patch("/api/v1/users/me")
        .bearer(&alice.access_token)
        .json(&json!({ "bio": "hi\u{0}", "location": "Paris" }))
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&response), ["bio"]);

    for path in [
        "/api/v1/users/al%00ice",
        "/api/v1/users/me/watchlist/AA%00PL",
    ] {
        let request = if path.ends_with("PL") {
            app.delete(path)
        } else {
            app.get(path)
        };
        let response = request.bearer(&alice.access_token).send().await;
        response.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(response.problem().code, "not_found", "{path}");
    }
}

#[tokio::test]
async fn a_page_number_that_would_overflow_the_offset_is_a_422() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root_admin").await;
    for list in ["/api/v1/admin/users", "/api/v1/admin/jobs"] {
        for page in [
            "9223372036854775807",
            "18446744073709551615",
            "1000001",
            "0",
        ] {
            let response = app
                .get(&format!("{list}?page={page}"))
                .bearer(&admin.access_token)
                .send()
                .await;
            response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(fields(&response), ["page"], "{list}?page={page}");
        }
        let last = app
            .get(&format!("{list}?page=1000000&per_page=100"))
            .bearer(&admin.access_token)
            .send()
            .await;
        last.assert_status(StatusCode::OK);
        assert_eq!(last.json::<Value>()["items"], json!([]));
    }
}

async fn create_due(app: &TestApp, alice: &TestUser, title: &str, due: &str) -> StatusCode {
    app.post(&format!("/api/v1/users/{}/tasks", alice.id))
        .bearer(&alice.access_token)
        .json(&json!({ "title": title, "due_at": due }))
        .send()
        .await
        .status
}

#[tokio::test]
async fn times_outside_the_years_1_to_9999_are_refused_in_bodies_and_queries() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    for due in [
        "+10000-01-01T00:00:00Z",
        "-0001-01-01T00:00:00Z",
        "9999-12-31T23:30:00-01:00",
        "0001-01-01T00:00:00+01:00",
        "2026-13-01T00:00:00Z",
    ] {
        assert_eq!(
            create_due(&app, &alice, "x", due).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{due}"
        );
    }
    assert_eq!(app.count("tasks").await, 0);
    let tasks = format!("/api/v1/users/{}/tasks", alice.id);
    let query = app
        .get(&format!("{tasks}?due_before=%2B10000-01-01T00:00:00Z"))
        .bearer(&alice.access_token)
        .send()
        .await;
    query.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&query), ["due_before"]);
}

/// SQLite compares stored times as text: the extremes of the allowed range, whole and
/// fractional seconds and offsets other than UTC must still sort and filter as times do.
#[tokio::test]
async fn stored_times_sort_and_filter_in_time_order_and_every_cursor_is_accepted() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    // In time order.
    let dues = [
        ("t1", "0001-01-01T00:00:00Z"),
        ("t2", "1969-12-31T23:59:59.999999Z"),
        ("t3", "2026-01-01T00:59:59+01:00"),
        ("t4", "2026-01-01T00:00:00Z"),
        ("t5", "2026-01-01T00:00:00.000001Z"),
        ("t6", "2026-01-01T00:00:00.1Z"),
        ("t7", "2026-01-01T00:00:00.100001Z"),
        ("t8", "2026-01-01T00:00:01Z"),
        ("t9", "9999-12-31T23:59:59.999999Z"),
    ];
    for (title, due) in dues.iter().rev() {
        assert_eq!(
            create_due(&app, &alice, title, due).await,
            StatusCode::CREATED,
            "{due}"
        );
    }
    let expected: Vec<&str> = dues.iter().map(|(title, _)| *title).collect();
    let tasks = format!("/api/v1/users/{}/tasks", alice.id);
    let mut seen = Vec::new();
    let mut url = format!("{tasks}?sort=due&order=asc&limit=1");
    loop {
        let page = app.get(&url).bearer(&alice.access_token).send().await;
        page.assert_status(StatusCode::OK);
        let page: Value = page.json();
        for item in page["items"].as_array().into_iter().flatten() {
            seen.push(item["title"].as_str().unwrap_or_default().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                url = format!("{tasks}?sort=due&order=asc&limit=1&cursor={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(seen, expected);

    let between = app
        .get(&format!(
            "{tasks}?sort=due&order=asc&due_after=2026-01-01T00:00:00.000001Z&due_before=2026-01-01T00:00:00.100001Z"
        ))
        .bearer(&alice.access_token)
        .send()
        .await;
    between.assert_status(StatusCode::OK);
    let titles: Vec<String> = between.json::<Value>()["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| item["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(titles, ["t5", "t6"]);

    // Every sort and order: each cursor the server hands out is accepted back.
    for sort in ["created", "updated", "due", "priority"] {
        for order in ["asc", "desc"] {
            let mut url = format!("{tasks}?sort={sort}&order={order}&limit=2");
            let mut count = 0;
            loop {
                let page = app.get(&url).bearer(&alice.access_token).send().await;
                page.assert_status(StatusCode::OK);
                let page: Value = page.json();
                count += page["items"].as_array().map_or(0, Vec::len);
                match page["next_cursor"].as_str() {
                    Some(cursor) => {
                        url = format!("{tasks}?sort={sort}&order={order}&limit=2&cursor={cursor}");
                    }
                    None => break,
                }
            }
            assert_eq!(count, dues.len(), "{sort} {order}");
        }
    }
}
