//! The tasks module: a user's own tasks, optimistic locking, lists, idempotent creates, and the
//! module switch.

use std::collections::HashSet;

use agora_testkit::{StatusCode, TestApp, TestUser, json};
use serde_json::Value;

fn tasks_path(user: &TestUser) -> String {
    format!("/api/v1/users/{}/tasks", user.id)
}

fn task_path(user: &TestUser, task: &Value) -> String {
    format!("{}/{}", tasks_path(user), text(&task["id"]))
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

async fn create(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let response = app
        .post(&tasks_path(user))
        .bearer(&user.access_token)
        .json(&body)
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    response.json()
}

async fn patch(
    app: &TestApp,
    user: &TestUser,
    task: &Value,
    body: Value,
) -> agora_testkit::TestResponse {
    app.patch(&task_path(user, task))
        .bearer(&user.access_token)
        .json(&body)
        .send()
        .await
}

/// Every task of a list, following `next_cursor` (with `query` on each page).
async fn all_pages(app: &TestApp, user: &TestUser, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = list(app, user, query, cursor.as_deref()).await;
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

async fn list(app: &TestApp, user: &TestUser, query: &str, cursor: Option<&str>) -> Value {
    let mut url = format!("{}?{query}", tasks_path(user));
    if let Some(cursor) = cursor {
        url.push_str(&format!("&cursor={cursor}"));
    }
    let response = app.get(&url).bearer(&user.access_token).send().await;
    response.assert_status(StatusCode::OK);
    response.json()
}

fn titles(items: &[Value]) -> Vec<&str> {
    items.iter().map(|task| text(&task["title"])).collect()
}

#[tokio::test]
async fn a_created_task_has_its_defaults_and_reads_back_with_its_version_as_etag() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let task = create(
        &app,
        &alice,
        json!({ "title": "  Buy milk ", "tags": ["Home", "home", "Errands"] }),
    )
    .await;
    assert_eq!(task["title"], "Buy milk");
    assert_eq!(task["status"], "todo");
    assert_eq!(task["completed"], false);
    assert_eq!(task["priority"], "medium");
    assert_eq!(task["version"], 1);
    assert_eq!(task["user_id"], alice.id.as_str());
    assert_eq!(task["tags"], json!(["errands", "home"]));
    assert!(task["description"].is_null() && task["due_at"].is_null());
    assert!(task["completed_at"].is_null());

    let response = app
        .get(&task_path(&alice, &task))
        .bearer(&alice.access_token)
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert_eq!(response.json::<Value>(), task);

    let done = create(
        &app,
        &alice,
        json!({ "title": "Done already", "completed": true }),
    )
    .await;
    assert_eq!(done["status"], "done");
    assert!(done["completed_at"].is_string());
}

#[tokio::test]
async fn another_users_path_is_forbidden_and_another_users_task_is_not_found() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let task = create(&app, &alice, json!({ "title": "Alice's" })).await;

    // Bob on Alice's path: 403 for every route, whatever the task.
    for request in [
        app.get(&tasks_path(&alice)),
        app.post(&tasks_path(&alice)).json(&json!({ "title": "x" })),
        app.get(&task_path(&alice, &task)),
        app.patch(&task_path(&alice, &task))
            .json(&json!({ "version": 1 })),
        app.delete(&task_path(&alice, &task))
            .header("if-match", "\"1\""),
    ] {
        let response = request.bearer(&bob.access_token).send().await;
        response.assert_status(StatusCode::FORBIDDEN);
        assert_eq!(response.problem().code, "forbidden");
    }

    // Alice's task id under Bob's own path: not found, and untouched.
    let under_bob = format!("{}/{}", tasks_path(&bob), text(&task["id"]));
    for request in [
        app.get(&under_bob),
        app.put(&under_bob)
            .json(&json!({ "title": "mine now", "version": 1 })),
        app.patch(&under_bob)
            .json(&json!({ "title": "mine now", "version": 1 })),
        app.patch(&format!("{under_bob}/complete"))
            .json(&json!({ "version": 1 })),
        app.delete(&under_bob).header("if-match", "\"1\""),
    ] {
        let response = request.bearer(&bob.access_token).send().await;
        response.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(response.problem().code, "not_found");
    }
    let page = list(&app, &bob, "", None).await;
    assert_eq!(page["items"], json!([]));
    let still = app
        .get(&task_path(&alice, &task))
        .bearer(&alice.access_token)
        .send()
        .await;
    assert_eq!(still.json::<Value>(), task);

    app.get(&tasks_path(&alice))
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn invalid_fields_are_422_naming_each_field() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let cases = [
        (json!({ "title": " " }), vec!["title"]),
        (json!({ "title": "x".repeat(201) }), vec!["title"]),
        (
            json!({ "title": "ok", "description": "d".repeat(10_001) }),
            vec!["description"],
        ),
        (
            json!({ "title": "ok", "tags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>() }),
            vec!["tags"],
        ),
        (
            json!({ "title": "ok", "tags": ["x".repeat(51)] }),
            vec!["tags"],
        ),
        (
            json!({ "title": "ok", "status": "todo", "completed": true }),
            vec!["status"],
        ),
        (
            json!({ "title": "", "description": "d".repeat(10_001), "tags": [""] }),
            vec!["title", "description", "tags"],
        ),
        (
            json!({ "title": "ok", "priority": "urgent" }),
            vec!["priority"],
        ),
        (
            json!({ "title": "ok", "due_at": "tomorrow" }),
            vec!["due_at"],
        ),
        (json!({ "title": "ok", "owner": "bob" }), vec!["owner"]),
    ];
    for (body, fields) in cases {
        let response = app
            .post(&tasks_path(&alice))
            .bearer(&alice.access_token)
            .json(&body)
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let problem = response.problem();
        assert_eq!(problem.code, "validation_failed");
        let named: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, fields, "{body}");
    }
    assert_eq!(app.count("tasks").await, 0);
}

#[tokio::test]
async fn a_body_with_five_invalid_fields_gives_five_coded_field_errors() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    // Four of the wrong type or value and the required title missing.
    let response = app
        .post(&tasks_path(&alice))
        .bearer(&alice.access_token)
        .json(&json!({
            "description": 7,
            "priority": "urgent",
            "due_at": "tomorrow",
            "tags": ["ok", 2]
        }))
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let problem = response.problem();
    assert_eq!(problem.code, "validation_failed");
    let mut found: Vec<(String, &str)> = problem
        .errors
        .iter()
        .map(|e| (e.field.clone(), e.code.as_str()))
        .collect();
    found.sort();
    let expected: Vec<(String, &str)> = [
        ("description", "invalid_type"),
        ("due_at", "invalid"),
        ("priority", "invalid_enum"),
        ("tags[1]", "invalid_type"),
        ("title", "required"),
    ]
    .map(|(field, code)| (field.to_owned(), code))
    .into();
    assert_eq!(found, expected);
    assert_eq!(app.count("tasks").await, 0);
}

#[tokio::test]
async fn a_write_based_on_a_stale_version_is_409_with_the_current_version() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let task = create(&app, &alice, json!({ "title": "Draft" })).await;

    let first = patch(
        &app,
        &alice,
        &task,
        json!({ "title": "First", "version": 1 }),
    )
    .await;
    first.assert_status(StatusCode::OK);
    assert_eq!(first.header("etag"), Some("\"2\""));
    assert_eq!(first.json::<Value>()["version"], 2);

    // A second client still holding version 1, by body field and by If-Match.
    let stale = patch(
        &app,
        &alice,
        &task,
        json!({ "title": "Second", "version": 1 }),
    )
    .await;
    stale.assert_status(StatusCode::CONFLICT);
    let problem = stale.problem();
    assert_eq!(problem.code, "version_conflict");
    assert_eq!(problem.extensions["current_version"], 2);
    let stale = app
        .put(&task_path(&alice, &task))
        .bearer(&alice.access_token)
        .header("if-match", "\"1\"")
        .json(&json!({ "title": "Second" }))
        .send()
        .await;
    stale.assert_status(StatusCode::CONFLICT);
    assert_eq!(stale.problem().extensions["current_version"], 2);

    let current = app
        .get(&task_path(&alice, &task))
        .bearer(&alice.access_token)
        .send()
        .await
        .json::<Value>();
    assert_eq!(
        (current["title"].clone(), current["version"].clone()),
        (json!("First"), json!(2))
    );

    // With the ETag it just read, the second client's write goes through.
    let retried = app
        .patch(&task_path(&alice, &task))
        .bearer(&alice.access_token)
        .header("if-match", "\"2\"")
        .json(&json!({ "title": "Second" }))
        .send()
        .await;
    retried.assert_status(StatusCode::OK);
    assert_eq!(retried.json::<Value>()["version"], 3);
}

#[tokio::test]
async fn a_write_without_a_version_is_428_and_an_unusable_if_match_is_412() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let task = create(&app, &alice, json!({ "title": "Draft" })).await;
    let path = task_path(&alice, &task);

    for request in [
        app.patch(&path).json(&json!({ "title": "x" })),
        app.put(&path).json(&json!({ "title": "x" })),
        app.patch(&format!("{path}/complete")),
        app.delete(&path),
    ] {
        let response = request.bearer(&alice.access_token).send().await;
        response.assert_status(StatusCode::PRECONDITION_REQUIRED);
        assert_eq!(response.problem().code, "precondition_required");
    }
    for (if_match, body) in [
        ("abc", json!({ "title": "x" })),
        ("\"1\", \"2\"", json!({ "title": "x" })),
        ("\"1\"", json!({ "title": "x", "version": 2 })),
    ] {
        let response = app
            .patch(&path)
            .bearer(&alice.access_token)
            .header("if-match", if_match)
            .json(&body)
            .send()
            .await;
        response.assert_status(StatusCode::PRECONDITION_FAILED);
        assert_eq!(response.problem().code, "precondition_failed");
    }
    assert_eq!(app.count("tasks WHERE version = 1").await, 1);
}

#[tokio::test]
async fn if_match_any_writes_over_whatever_version_is_current_on_a_task_that_exists() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let task = create(&app, &alice, json!({ "title": "Draft" })).await;
    let path = task_path(&alice, &task);
    patch(
        &app,
        &alice,
        &task,
        json!({ "title": "Second", "version": 1 }),
    )
    .await
    .assert_status(StatusCode::OK);

    let response = app
        .patch(&path)
        .bearer(&alice.access_token)
        .header("if-match", "*")
        .json(&json!({ "title": "Third" }))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.json::<Value>()["version"], 3);
    assert_eq!(response.header("etag"), Some("\"3\""));
    // `*` with a body version is that version: a stale one still conflicts.
    let stale = app
        .patch(&path)
        .bearer(&alice.access_token)
        .header("if-match", "*")
        .json(&json!({ "title": "Fourth", "version": 2 }))
        .send()
        .await;
    stale.assert_status(StatusCode::CONFLICT);

    let deleted = app
        .delete(&path)
        .bearer(&alice.access_token)
        .header("if-match", "*")
        .send()
        .await;
    deleted.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(app.count("tasks").await, 0);
    let gone = app
        .delete(&path)
        .bearer(&alice.access_token)
        .header("if-match", "*")
        .send()
        .await;
    gone.assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn put_replaces_every_field_and_patch_changes_only_what_it_names() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let task = create(
        &app,
        &alice,
        json!({
            "title": "Report", "description": "Q3 numbers", "priority": "high",
            "due_at": "2030-01-31T12:00:00Z", "tags": ["work"], "status": "in_progress"
        }),
    )
    .await;
    assert_eq!(task["due_at"], "2030-01-31T12:00:00Z");

    // PATCH: absent fields stay, null clears.
    let patched = patch(
        &app,
        &alice,
        &task,
        json!({ "description": null, "version": 1 }),
    )
    .await;
    patched.assert_status(StatusCode::OK);
    let patched: Value = patched.json();
    assert!(patched["description"].is_null());
    assert_eq!(
        (
            &patched["title"],
            &patched["priority"],
            &patched["due_at"],
            &patched["tags"],
            &patched["status"]
        ),
        (
            &json!("Report"),
            &json!("high"),
            &json!("2030-01-31T12:00:00Z"),
            &json!(["work"]),
            &json!("in_progress")
        )
    );
    let patched: Value = patch(
        &app,
        &alice,
        &task,
        json!({ "due_at": null, "tags": [], "version": 2 }),
    )
    .await
    .json();
    assert!(patched["due_at"].is_null());
    assert_eq!(patched["tags"], json!([]));
    assert_eq!(app.count("task_tags").await, 0);

    // PUT: what is left out takes its default.
    let replaced = app
        .put(&task_path(&alice, &task))
        .bearer(&alice.access_token)
        .json(&json!({ "title": "Report v2", "tags": ["Q4"], "version": 3 }))
        .send()
        .await;
    replaced.assert_status(StatusCode::OK);
    let replaced: Value = replaced.json();
    assert_eq!(
        (
            &replaced["title"],
            &replaced["priority"],
            &replaced["status"],
            &replaced["tags"],
            &replaced["version"]
        ),
        (
            &json!("Report v2"),
            &json!("medium"),
            &json!("todo"),
            &json!(["q4"]),
            &json!(4)
        )
    );
    assert_eq!(replaced["created_at"], task["created_at"]);
    assert_ne!(replaced["updated_at"], task["updated_at"]);
}

#[tokio::test]
async fn complete_toggles_between_done_and_todo_and_keeps_completed_at_while_done() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let task = create(
        &app,
        &alice,
        json!({ "title": "Walk", "status": "in_progress" }),
    )
    .await;
    let complete = format!("{}/complete", task_path(&alice, &task));

    let done = app
        .patch(&complete)
        .bearer(&alice.access_token)
        .header("if-match", "\"1\"")
        .send()
        .await;
    done.assert_status(StatusCode::OK);
    let done: Value = done.json();
    assert_eq!(
        (&done["status"], &done["completed"], &done["version"]),
        (&json!("done"), &json!(true), &json!(2))
    );
    assert!(done["completed_at"].is_string());

    // Still done after an unrelated edit: completed_at does not move.
    let edited: Value = patch(
        &app,
        &alice,
        &task,
        json!({ "title": "Walk the dog", "version": 2 }),
    )
    .await
    .json();
    assert_eq!(edited["completed_at"], done["completed_at"]);

    let reopened = app
        .patch(&complete)
        .bearer(&alice.access_token)
        .json(&json!({ "version": 3 }))
        .send()
        .await;
    reopened.assert_status(StatusCode::OK);
    let reopened: Value = reopened.json();
    assert_eq!(
        (&reopened["status"], &reopened["completed"]),
        (&json!("todo"), &json!(false))
    );
    assert!(reopened["completed_at"].is_null());
}

#[tokio::test]
async fn delete_takes_the_current_version_and_removes_the_task_with_its_tags() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let task = create(&app, &alice, json!({ "title": "Old", "tags": ["a", "b"] })).await;
    patch(
        &app,
        &alice,
        &task,
        json!({ "title": "Older", "version": 1 }),
    )
    .await
    .assert_status(StatusCode::OK);
    let path = task_path(&alice, &task);

    let stale = app
        .delete(&path)
        .bearer(&alice.access_token)
        .header("if-match", "\"1\"")
        .send()
        .await;
    stale.assert_status(StatusCode::CONFLICT);
    assert_eq!(stale.problem().extensions["current_version"], 2);
    assert_eq!(app.count("tasks").await, 1);

    app.delete(&path)
        .bearer(&alice.access_token)
        .header("if-match", "\"2\"")
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get(&path)
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(app.count("tasks").await, 0);
    assert_eq!(app.count("task_tags").await, 0);
    let again = app
        .delete(&path)
        .bearer(&alice.access_token)
        .header("if-match", "\"2\"")
        .send()
        .await;
    again.assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn of_concurrent_writes_based_on_one_version_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let task = create(&app, &alice, json!({ "title": "Contended" })).await;

    let writers = (0..8).map(|i| {
        let request = if i % 2 == 0 {
            app.patch(&task_path(&alice, &task))
                .json(&json!({ "title": format!("writer {i}"), "version": 1 }))
        } else {
            app.patch(&format!("{}/complete", task_path(&alice, &task)))
                .header("if-match", "\"1\"")
        };
        request.bearer(&alice.access_token).send()
    });
    let responses = futures::future::join_all(writers).await;
    let statuses: Vec<StatusCode> = responses.iter().map(|r| r.status).collect();
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let lost = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((won, lost), (1, 7), "{statuses:?}");
    for loser in responses
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
    {
        assert_eq!(loser.problem().extensions["current_version"], 2);
    }
    let winner: Value = responses
        .iter()
        .find(|r| r.status == StatusCode::OK)
        .map(|r| r.json())
        .unwrap_or_default();
    let stored = app
        .get(&task_path(&alice, &task))
        .bearer(&alice.access_token)
        .send()
        .await
        .json::<Value>();
    assert_eq!(stored, winner);
    assert_eq!(stored["version"], 2);
}

#[tokio::test]
async fn the_list_filters_by_words_status_priority_tag_due_dates_and_overdue() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    create(
        &app,
        &bob,
        json!({ "title": "Bob's milk", "tags": ["home"] }),
    )
    .await;
    for body in [
        json!({ "title": "Buy MILK", "tags": ["home"], "due_at": "2000-01-01T00:00:00Z" }),
        json!({ "title": "Pay rent", "description": "Before the 5th; milk money too", "priority": "high", "due_at": "2099-01-01T00:00:00Z" }),
        json!({ "title": "Fix 100% of bugs", "status": "in_progress", "tags": ["work"] }),
        json!({ "title": "Filed taxes", "status": "done", "due_at": "2001-01-01T00:00:00Z", "tags": ["home", "money"] }),
    ] {
        create(&app, &alice, body).await;
    }
    let cases = [
        ("q=milk", vec!["Pay rent", "Buy MILK"]),
        ("q=%25", vec!["Fix 100% of bugs"]),
        ("q=_", vec![]),
        ("status=done", vec!["Filed taxes"]),
        ("status=in_progress", vec!["Fix 100% of bugs"]),
        ("priority=high", vec!["Pay rent"]),
        ("tag=HOME", vec!["Filed taxes", "Buy MILK"]),
        ("tag=home&status=todo", vec!["Buy MILK"]),
        (
            "due_before=2050-01-01T00:00:00Z",
            vec!["Filed taxes", "Buy MILK"],
        ),
        (
            "due_after=2001-01-01T00:00:00Z",
            vec!["Filed taxes", "Pay rent"],
        ),
        ("overdue=true", vec!["Buy MILK"]),
        (
            "overdue=false",
            vec!["Filed taxes", "Fix 100% of bugs", "Pay rent"],
        ),
    ];
    for (query, expected) in cases {
        let items = all_pages(&app, &alice, query).await;
        let mut got = titles(&items);
        if query.starts_with("due_after") || query.starts_with("overdue=false") {
            got.sort_unstable();
        }
        assert_eq!(got, expected, "{query}");
    }
    for bad in [
        "status=later",
        "sort=title",
        "order=up",
        "limit=0",
        "limit=101",
        "due_before=soon",
        "color=red",
    ] {
        let response = app
            .get(&format!("{}?{bad}", tasks_path(&alice)))
            .bearer(&alice.access_token)
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.problem().code, "validation_failed", "{bad}");
    }
}

#[tokio::test]
async fn every_sort_orders_both_ways_with_tasks_without_due_date_last() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut created = Vec::new();
    for (title, priority, due) in [
        ("a", "low", Some("2030-03-01T00:00:00Z")),
        ("b", "high", None),
        ("c", "medium", Some("2030-01-01T00:00:00Z")),
        ("d", "high", Some("2030-02-01T00:00:00Z")),
        ("e", "low", None),
    ] {
        created.push(
            create(
                &app,
                &alice,
                json!({ "title": title, "priority": priority, "due_at": due }),
            )
            .await,
        );
    }
    // Touch "a" so that it is the most recently updated.
    patch(
        &app,
        &alice,
        &created[0],
        json!({ "description": "touched", "version": 1 }),
    )
    .await
    .assert_status(StatusCode::OK);

    let cases = [
        ("", vec!["e", "d", "c", "b", "a"]),
        ("sort=created&order=asc", vec!["a", "b", "c", "d", "e"]),
        ("sort=updated", vec!["a", "e", "d", "c", "b"]),
        ("sort=due", vec!["c", "d", "a", "b", "e"]),
        ("sort=due&order=desc", vec!["a", "d", "c", "e", "b"]),
        ("sort=priority", vec!["d", "b", "c", "e", "a"]),
        ("sort=priority&order=asc", vec!["a", "e", "c", "b", "d"]),
    ];
    for (query, expected) in cases {
        // Pages of two, so that every sort also crosses page boundaries (and, for `due`, the
        // boundary between dated and undated tasks).
        let items = all_pages(&app, &alice, &format!("limit=2&{query}")).await;
        assert_eq!(titles(&items), expected, "{query}");
    }
}

#[tokio::test]
async fn cursor_pages_show_every_task_once_while_tasks_come_and_go() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        tasks.push(create(&app, &alice, json!({ "title": format!("task {i:02}") })).await);
    }
    // Newest first: page one holds tasks 11..8.
    let first = list(&app, &alice, "limit=4", None).await;
    assert_eq!(
        titles(first["items"].as_array().unwrap()),
        ["task 11", "task 10", "task 09", "task 08"]
    );

    // Meanwhile: a new task, one deleted from page one, one deleted from a later page.
    create(&app, &alice, json!({ "title": "new" })).await;
    for gone in [&tasks[10], &tasks[3]] {
        app.delete(&task_path(&alice, gone))
            .bearer(&alice.access_token)
            .header("if-match", "\"1\"")
            .send()
            .await
            .assert_status(StatusCode::NO_CONTENT);
    }
    let mut seen: Vec<String> = titles(first["items"].as_array().unwrap())
        .iter()
        .map(|t| t.to_string())
        .collect();
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    while let Some(next) = cursor {
        let page = list(&app, &alice, "limit=4", Some(&next)).await;
        seen.extend(
            titles(page["items"].as_array().unwrap())
                .iter()
                .map(|t| t.to_string()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    let expected: Vec<String> = (0..12)
        .rev()
        .filter(|i| *i != 3)
        .map(|i| format!("task {i:02}"))
        .collect();
    assert_eq!(seen, expected);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
}

#[tokio::test]
async fn a_cursor_only_continues_the_list_it_came_from() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    for i in 0..3 {
        create(&app, &alice, json!({ "title": format!("t{i}") })).await;
    }
    let page = list(&app, &alice, "limit=1&sort=due", None).await;
    let cursor = text(&page["next_cursor"]).to_owned();
    for query in [
        format!("limit=1&sort=created&cursor={cursor}"),
        format!("limit=1&sort=due&order=desc&cursor={cursor}"),
        "cursor=not-a-cursor".to_owned(),
        // Base64 of JSON that is not a position.
        "cursor=eyJhIjoxfQ".to_owned(),
    ] {
        let response = app
            .get(&format!("{}?{query}", tasks_path(&alice)))
            .bearer(&alice.access_token)
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let problem = response.problem();
        assert_eq!(problem.errors[0].field, "cursor", "{query}");
    }
}

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
    reused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused.problem().code, "idempotency_key_reused");

    let long = "k".repeat(256);
    for bad in ["two words", long.as_str()] {
        let response = create_with_key(&app, &alice, bad, &json!({ "title": "Two" })).await;
        response.assert_status(StatusCode::BAD_REQUEST);
        assert_eq!(response.problem().code, "bad_request");
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

#[tokio::test]
async fn with_the_module_off_its_routes_and_documentation_are_gone() {
    let on = TestApp::spawn().await;
    let doc: Value = on.get("/openapi.json").send().await.json();
    let documented = &doc["paths"]["/api/v1/users/{user_id}/tasks/{id}"];
    for method in ["get", "put", "patch", "delete"] {
        let responses = &documented[method]["responses"];
        assert!(responses["404"].is_object(), "{method}: {responses}");
    }
    assert!(documented["patch"]["responses"]["409"].is_object());

    let off = TestApp::builder()
        .env("AGORA_MODULES", "social,forums,fantasy")
        .spawn()
        .await;
    let alice = off.register("alice").await;
    let response = off
        .post(&tasks_path(&alice))
        .bearer(&alice.access_token)
        .json(&json!({ "title": "x" }))
        .send()
        .await;
    response.assert_status(StatusCode::NOT_FOUND);
    let doc: Value = off.get("/openapi.json").send().await.json();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    assert!(
        !paths.keys().any(|path| path.contains("/tasks")),
        "{:?}",
        paths.keys()
    );
    assert!(paths.contains_key("/api/v1/auth/login"));
}

#[tokio::test]
async fn the_page_size_setting_is_the_limit_of_a_list_that_gives_none() {
    let app = TestApp::builder()
        .env("AGORA_TASKS_PAGE_SIZE", "3")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    for i in 0..4 {
        create(&app, &alice, json!({ "title": format!("task {i}") })).await;
    }
    let page = list(&app, &alice, "", None).await;
    assert_eq!(
        titles(page["items"].as_array().unwrap()),
        ["task 3", "task 2", "task 1"]
    );
    assert!(page["next_cursor"].is_string(), "{page}");
    // A limit in the request still wins, up to the largest.
    let page = list(&app, &alice, "limit=4", None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 4);
    assert!(page["next_cursor"].is_null(), "{page}");
}
