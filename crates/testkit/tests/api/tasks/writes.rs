//! A task's life: created with its defaults, read, replaced, patched, completed and deleted by
//! its owner only; every write names the version it is based on (409, 412, 428).

use agora_testkit::{StatusCode, TestApp, json};
use serde_json::Value;

use super::{create, list, patch, task_path, tasks_path, text};

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
        response.assert_problem(StatusCode::FORBIDDEN, "forbidden");
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
        response.assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
    let page = list(&app, &bob, "", None).await;
    assert!(page.items.is_empty(), "{:?}", page.items);
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
        let problem =
            response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
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
    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
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
    let problem = stale.assert_problem(StatusCode::CONFLICT, "version_conflict");
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
        response.assert_problem(StatusCode::PRECONDITION_REQUIRED, "precondition_required");
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
        response.assert_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");
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
