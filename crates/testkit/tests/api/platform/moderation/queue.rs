//! The queue: flags and reports grouped per target, restored or removed with a reason, the
//! audit log, the notifications of the outcome, a user's history of removals; and the admins'
//! numbers.

use agora_testkit::{StatusCode, TestApp, TestUser};
use serde_json::{Value, json};

use super::{add_rule, make_moderator, try_post};

async fn report(app: &TestApp, user: &TestUser, kind: &str, id: &str) {
    app.post("/api/v1/reports")
        .bearer(&user.access_token)
        .json(&json!({ "target_type": kind, "target_id": id, "reason": "spam" }))
        .send()
        .await
        .assert_status(StatusCode::ACCEPTED);
}

async fn queue(app: &TestApp, moderator: &TestUser) -> Vec<Value> {
    let response = app
        .get("/api/v1/admin/moderation-queue")
        .bearer(&moderator.access_token)
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    let page: Value = response.json();
    page["items"].as_array().expect("items").clone()
}

async fn decide(
    app: &TestApp,
    who: &TestUser,
    entry: &str,
    what: &str,
    reason: &str,
) -> agora_testkit::TestResponse {
    app.post(&format!("/api/v1/admin/moderation-queue/{entry}/{what}"))
        .bearer(&who.access_token)
        .json(&json!({ "reason": reason }))
        .send()
        .await
}

async fn kinds_of_notifications(app: &TestApp, user: &TestUser) -> Vec<String> {
    let page: Value = app
        .get("/api/v1/notifications?limit=100")
        .bearer(&user.access_token)
        .send()
        .await
        .json();
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["kind"].as_str().expect("a kind").to_owned())
        .collect()
}

async fn audit_actions(app: &TestApp, admin: &TestUser) -> Vec<String> {
    let log: Value = app
        .get("/api/v1/admin/audit-log?limit=100")
        .bearer(&admin.access_token)
        .send()
        .await
        .json();
    log["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("an action").to_owned())
        .collect()
}

#[tokio::test]
async fn a_flagged_post_with_two_reports_is_one_entry_with_its_flag_and_both_reports() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    make_moderator(&app, &admin, &dave).await;
    add_rule(&app, &admin, "moon", "word", "flag").await;
    let post: Value = try_post(&app, &alice, "to the moon").await.json();
    let post = post["id"].as_str().expect("an id");
    report(&app, &bob, "post", post).await;
    report(&app, &carol, "post", post).await;
    // Another target is another entry.
    report(&app, &bob, "user", &carol.id).await;

    app.get("/api/v1/admin/moderation-queue")
        .bearer(&bob.access_token)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let entries = queue(&app, &dave).await;
    assert_eq!(entries.len(), 2, "{entries:#?}");
    let entry = &entries[0];
    assert_eq!(entry["target"], json!({ "type": "post", "id": post }));
    assert_eq!(entry["author_id"], json!(alice.id));
    assert_eq!(entry["preview"], "to the moon");
    assert_eq!(entry["action"], "flag");
    assert_eq!(entry["flags"].as_array().expect("flags").len(), 1);
    let reporters: Vec<&str> = entry["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .map(|r| r["reporter_id"].as_str().expect("a reporter"))
        .collect();
    assert_eq!(reporters, [bob.id.as_str(), carol.id.as_str()]);
    assert_eq!(
        entries[1]["target"],
        json!({ "type": "profile", "id": carol.id })
    );
    assert!(entries[1]["action"].is_null());
}

#[tokio::test]
async fn restoring_a_hidden_post_shows_it_again_and_closes_its_entry_and_reports() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    add_rule(&app, &admin, "pump", "word", "hide").await;
    let post: Value = try_post(&app, &alice, "pump it").await.json();
    let post = post["id"].as_str().expect("an id");
    report(&app, &bob, "post", post).await;
    let path = format!("/api/v1/posts/{post}");
    app.get(&path)
        .bearer(&bob.access_token)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let entries = queue(&app, &admin).await;
    let entry = entries[0]["id"].as_str().expect("an id").to_owned();
    decide(&app, &admin, &entry, "restore", " ")
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    decide(&app, &bob, &entry, "restore", "fine")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let response = decide(&app, &admin, &entry, "restore", "a pump of a bicycle").await;
    response.assert_status(StatusCode::OK);
    let restored: Value = response.json();
    assert_eq!(restored["status"], "restored");
    assert_eq!(restored["resolution_reason"], "a pump of a bicycle");

    app.get(&path)
        .bearer(&bob.access_token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    assert!(queue(&app, &admin).await.is_empty());
    decide(&app, &admin, &entry, "remove", "changed my mind")
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        audit_actions(&app, &admin)
            .await
            .contains(&"moderation.restored".to_owned())
    );
    assert!(
        kinds_of_notifications(&app, &bob)
            .await
            .contains(&"moderation.report_closed".to_owned())
    );
    assert!(
        !kinds_of_notifications(&app, &alice)
            .await
            .contains(&"moderation.content_removed".to_owned())
    );
}

#[tokio::test]
async fn removing_a_post_deletes_it_tells_its_author_and_reporters_and_joins_their_history() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    make_moderator(&app, &admin, &dave).await;
    let post: Value = try_post(&app, &alice, "buy my coin").await.json();
    let post = post["id"].as_str().expect("an id");
    report(&app, &bob, "post", post).await;
    report(&app, &carol, "post", post).await;
    let entries = queue(&app, &dave).await;
    let entry = entries[0]["id"].as_str().expect("an id").to_owned();

    decide(&app, &dave, &entry, "remove", "spam")
        .await
        .assert_status(StatusCode::OK);
    app.get(&format!("/api/v1/posts/{post}"))
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert!(
        kinds_of_notifications(&app, &alice)
            .await
            .contains(&"moderation.content_removed".to_owned())
    );
    for reporter in [&bob, &carol] {
        assert!(
            kinds_of_notifications(&app, reporter)
                .await
                .contains(&"moderation.report_closed".to_owned())
        );
    }
    assert!(
        audit_actions(&app, &admin)
            .await
            .contains(&"moderation.removed".to_owned())
    );
    let me: Value = app
        .get("/api/v1/users/me")
        .bearer(&alice.access_token)
        .send()
        .await
        .json();
    assert_eq!(me["counts"]["posts"], 0, "{me}");

    let history = format!("/api/v1/admin/users/{}/moderation-history", alice.id);
    app.get(&history)
        .bearer(&bob.access_token)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let page: Value = app
        .get(&history)
        .bearer(&dave.access_token)
        .send()
        .await
        .json();
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["status"], "removed");
    assert_eq!(items[0]["resolution_reason"], "spam");
    assert_eq!(items[0]["resolved_by"], json!(dave.id));
}

#[tokio::test]
async fn admin_stats_count_users_new_today_flagged_content_open_reports_and_dead_jobs() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.register("carol").await;
    app.execute(
        "UPDATE users SET created_at = '2020-01-01 00:00:00+00:00' WHERE username = 'carol'",
    )
    .await;
    add_rule(&app, &admin, "moon", "word", "flag").await;
    try_post(&app, &alice, "moon")
        .await
        .assert_status(StatusCode::CREATED);
    let post: Value = try_post(&app, &alice, "plain").await.json();
    report(&app, &bob, "post", post["id"].as_str().expect("an id")).await;
    app.execute(
        "INSERT INTO jobs (id, kind, payload, status, attempts, run_at, created_at) VALUES \
         ('0190c0de-0000-7000-8000-000000000001', 'test.nothing', '{}', 'dead', 3, \
          '2020-01-01 00:00:00+00:00', '2020-01-01 00:00:00+00:00')",
    )
    .await;

    app.get("/api/v1/admin/stats")
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let stats: Value = app
        .get("/api/v1/admin/stats")
        .bearer(&admin.access_token)
        .send()
        .await
        .json();
    assert_eq!(
        stats,
        json!({
            "users": 4,
            "new_today": 3,
            "flagged_content": 2,
            "open_reports": 1,
            "dead_jobs": 1,
        })
    );
}

#[tokio::test]
async fn a_hidden_comment_is_counted_once_restored_and_never_when_removed() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    add_rule(&app, &admin, "spam", "word", "hide").await;
    let post: Value = try_post(&app, &bob, "a post").await.json();
    let post = post["id"].as_str().expect("an id").to_owned();
    let comment_count = || async {
        let read: Value = app
            .get(&format!("/api/v1/posts/{post}"))
            .bearer(&bob.access_token)
            .send()
            .await
            .json();
        read["comment_count"].as_i64().expect("a count")
    };
    let comment = |content: &'static str| {
        let (app, alice, post) = (&app, &alice, &post);
        async move {
            app.post(&format!("/api/v1/posts/{post}/comments"))
                .bearer(&alice.access_token)
                .json(&json!({ "content": content }))
                .send()
                .await
                .assert_status(StatusCode::CREATED);
        }
    };

    // What others cannot see is not in the count they see.
    comment("buy my spam").await;
    assert_eq!(comment_count().await, 0);
    let entry = queue(&app, &admin).await[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    decide(&app, &admin, &entry, "restore", "a joke about tinned meat")
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(comment_count().await, 1);

    // A hidden comment removed takes nothing off; a visible one deleted does.
    comment("more spam").await;
    let entry = queue(&app, &admin).await[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    decide(&app, &admin, &entry, "remove", "spam")
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(comment_count().await, 1);
}
