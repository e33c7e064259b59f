//! Reports: `POST /reports`.

use agora_testkit::{StatusCode, TestApp, TestUser};
use serde_json::{Value, json};

use super::publish;

async fn report(app: &TestApp, user: &TestUser, body: Value) -> agora_testkit::TestResponse {
    app.post("/api/v1/reports")
        .bearer(&user.access_token)
        .json(&body)
        .send()
        .await
}

#[tokio::test]
async fn a_report_waits_for_the_moderators_once_per_reporter_and_target() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let post = publish(&app, &alice, "buy my course").await;

    let body = json!({
        "target_type": "post",
        "target_id": post,
        "reason": "spam",
        "details": "  the same link in every post  ",
    });
    let response = report(&app, &bob, body.clone()).await;
    response.assert_status(StatusCode::ACCEPTED);
    let sent: Value = response.json();
    assert_eq!(sent["target_type"], "post");
    assert_eq!(sent["target_id"], post);
    assert_eq!(sent["reason"], "spam");
    assert_eq!(sent["details"], "the same link in every post");
    assert_eq!(sent["status"], "open");
    assert!(sent["id"].is_string() && sent["created_at"].is_string());

    // The same target again, whatever the reason: 409 while the first is open.
    let mut again = body.clone();
    again["reason"] = json!("other");
    report(&app, &bob, again)
        .await
        .assert_problem(StatusCode::CONFLICT, "already_reported");
    // Someone else may report it; and bob may report its author.
    report(&app, &carol, body.clone())
        .await
        .assert_status(StatusCode::ACCEPTED);
    report(
        &app,
        &bob,
        json!({ "target_type": "user", "target_id": alice.id, "reason": "harassment" }),
    )
    .await
    .assert_status(StatusCode::ACCEPTED);
    assert_eq!(app.count("reports").await, 3);

    // Once the moderators closed it, a new report may be opened.
    app.execute("UPDATE reports SET status = 'resolved'").await;
    report(&app, &bob, body)
        .await
        .assert_status(StatusCode::ACCEPTED);
    assert_eq!(app.count("reports").await, 4);
}

#[tokio::test]
async fn concurrent_reports_of_one_target_open_one() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let body = json!({ "target_type": "user", "target_id": alice.id, "reason": "spam" });
    let statuses = futures::future::join_all((0..4).map(|_| report(&app, &bob, body.clone())))
        .await
        .into_iter()
        .map(|response| response.status)
        .collect::<Vec<_>>();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::ACCEPTED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::ACCEPTED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert_eq!(app.count("reports").await, 1);
}

#[tokio::test]
async fn a_report_names_an_existing_target_that_is_not_oneself() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let post = publish(&app, &alice, "soon deleted").await;

    report(
        &app,
        &bob,
        json!({ "target_type": "user", "target_id": bob.id, "reason": "other" }),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "self_report");

    let missing = "0193a0b0-0000-7000-8000-000000000000";
    app.delete(&format!("/api/v1/posts/{post}"))
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    for (target_type, target_id) in [
        ("post", missing),
        ("user", missing),
        ("post", post.as_str()),
        // A user's id is not a post's.
        ("post", alice.id.to_string().leak()),
    ] {
        let problem = report(
            &app,
            &bob,
            json!({ "target_type": target_type, "target_id": target_id, "reason": "spam" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            problem.errors[0].field, "target_id",
            "{target_type} {target_id}"
        );
    }

    for bad in [
        json!({ "target_type": "group", "target_id": missing, "reason": "spam" }),
        json!({ "target_type": "user", "target_id": "nope", "reason": "spam" }),
        json!({ "target_type": "user", "target_id": alice.id, "reason": "boring" }),
        json!({ "target_type": "user", "target_id": alice.id, "reason": "spam", "details": "é".repeat(1001) }),
        json!({ "target_type": "user", "target_id": alice.id, "reason": "spam", "extra": 1 }),
        json!({ "target_type": "user", "reason": "spam" }),
    ] {
        report(&app, &bob, bad.clone())
            .await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    report(
        &app,
        &bob,
        json!({ "target_type": "user", "target_id": alice.id, "reason": "spam", "details": "é".repeat(1000) }),
    )
    .await
    .assert_status(StatusCode::ACCEPTED);
    let anonymous = app
        .post("/api/v1/reports")
        .json(&json!({ "target_type": "user", "target_id": alice.id, "reason": "spam" }))
        .send()
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("reports").await, 1);
}
