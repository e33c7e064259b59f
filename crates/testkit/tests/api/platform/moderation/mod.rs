//! Moderation: the rules (`rules.rs`), the hook on user text and what it hides
//! (`screening.rs`), the OpenAPI check that no public text skips the hook (`coverage.rs`), and
//! a rule change seen by a second instance (`instances.rs`), the queue and the admin numbers
//! (`queue.rs`).

mod coverage;
mod instances;
mod queue;
mod rules;
mod screening;

use agora_testkit::{StatusCode, TestApp, TestUser};
use serde_json::{Value, json};

/// Adds a rule as `admin`; the rule.
async fn add_rule(
    app: &TestApp,
    admin: &TestUser,
    pattern: &str,
    kind: &str,
    action: &str,
) -> Value {
    let response = app
        .post("/api/v1/admin/moderation-rules")
        .bearer(&admin.access_token)
        .json(&json!({ "pattern": pattern, "match": kind, "severity": 3, "action": action }))
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    response.json()
}

/// Makes `user` a moderator.
async fn make_moderator(app: &TestApp, admin: &TestUser, user: &TestUser) {
    app.patch(&format!("/api/v1/admin/users/{}", user.id))
        .bearer(&admin.access_token)
        .json(&json!({ "role": "moderator" }))
        .send()
        .await
        .assert_status(StatusCode::OK);
}

/// Posts `content` as `user`: the response.
async fn try_post(app: &TestApp, user: &TestUser, content: &str) -> agora_testkit::TestResponse {
    app.post("/api/v1/posts")
        .bearer(&user.access_token)
        .json(&json!({ "content": content }))
        .send()
        .await
}
