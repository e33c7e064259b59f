//! A rule changed through one instance is applied by another at once, without a restart,
//! through the shared Redis (the cached stamp of the rules, `moderation/cache.rs`).

use agora_testkit::{StatusCode, TestApp, TestDatabase, test_redis, unique_redis_prefix};
use serde_json::{Value, json};

use super::{add_rule, try_post};

#[tokio::test]
async fn with_redis_a_rule_change_on_one_instance_is_applied_by_another_at_once() {
    let Some(redis) = test_redis().await else {
        return;
    };
    let prefix = unique_redis_prefix();
    let database = TestDatabase::create().await;
    let second = database.second_handle();
    let a = TestApp::builder()
        .env("REDIS_URL", redis.as_str())
        .env("AGORA_REDIS_PREFIX", prefix.clone())
        .spawn_on(database)
        .await;
    let b = TestApp::builder()
        .env("REDIS_URL", redis.as_str())
        .env("AGORA_REDIS_PREFIX", prefix)
        .without_migrations()
        .spawn_on(second)
        .await;
    let admin = a.admin("root").await;
    let alice = b.login("root").await;
    // B screens (and holds the rule set without rules) before the change.
    try_post(&b, &alice, "a scam, before the rule")
        .await
        .assert_status(StatusCode::CREATED);

    let rule = add_rule(&a, &admin, "scam", "word", "reject").await;
    try_post(&b, &alice, "a scam, after the rule")
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "content_rejected");

    let path = format!(
        "/api/v1/admin/moderation-rules/{}",
        rule["id"].as_str().expect("an id")
    );
    let patched: Value = a
        .patch(&path)
        .bearer(&admin.access_token)
        .json(&json!({ "action": "flag" }))
        .send()
        .await
        .json();
    assert_eq!(patched["action"], "flag");
    try_post(&b, &alice, "a scam, flagged only")
        .await
        .assert_status(StatusCode::CREATED);

    a.delete(&path)
        .bearer(&admin.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    add_rule(&a, &admin, "fraud", "word", "reject").await;
    try_post(&b, &alice, "fraud")
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "content_rejected");
}
