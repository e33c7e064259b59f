//! `/admin/moderation-rules`: admins only, checked patterns, every change audited.

use agora_testkit::{StatusCode, TestApp};
use serde_json::{Value, json};

use super::add_rule;

#[tokio::test]
async fn only_admins_manage_rules_and_every_change_is_audited() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    app.get("/api/v1/admin/moderation-rules")
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.post("/api/v1/admin/moderation-rules")
        .bearer(&alice.access_token)
        .json(&json!({ "pattern": "x", "match": "word", "severity": 1, "action": "flag" }))
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);

    let rule = add_rule(&app, &admin, "scam", "word", "reject").await;
    let id = rule["id"].as_str().expect("an id");
    assert_eq!(rule["match"], "word");
    assert_eq!(rule["action"], "reject");
    let path = format!("/api/v1/admin/moderation-rules/{id}");
    let read: Value = app
        .get(&path)
        .bearer(&admin.access_token)
        .send()
        .await
        .json();
    assert_eq!(read["pattern"], "scam");
    let list: Value = app
        .get("/api/v1/admin/moderation-rules")
        .bearer(&admin.access_token)
        .send()
        .await
        .json();
    assert_eq!(list["items"].as_array().expect("items").len(), 1);

    let patched = app
        .patch(&path)
        .bearer(&admin.access_token)
        .json(&json!({ "action": "hide", "severity": 5 }))
        .send()
        .await;
    patched.assert_status(StatusCode::OK);
    let patched: Value = patched.json();
    assert_eq!(
        (patched["action"].clone(), patched["severity"].clone()),
        (json!("hide"), json!(5))
    );
    assert_eq!(patched["pattern"], "scam");

    app.delete(&path)
        .bearer(&admin.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get(&path)
        .bearer(&admin.access_token)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let log: Value = app
        .get("/api/v1/admin/audit-log?target_type=moderation_rule")
        .bearer(&admin.access_token)
        .send()
        .await
        .json();
    let actions: Vec<&str> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("an action"))
        .collect();
    assert_eq!(
        actions,
        [
            "moderation.rule_deleted",
            "moderation.rule_updated",
            "moderation.rule_created"
        ]
    );
}

#[tokio::test]
async fn an_invalid_or_too_big_pattern_is_refused_at_pattern() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    for (pattern, kind) in [
        ("(unclosed", "regex"),
        (r"\w{1000}\w{1000}\w{1000}", "regex"),
        ("...", "word"),
    ] {
        let response = app
            .post("/api/v1/admin/moderation-rules")
            .bearer(&admin.access_token)
            .json(&json!({ "pattern": pattern, "match": kind, "severity": 2, "action": "flag" }))
            .send()
            .await;
        let problem =
            response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem.errors[0].field, "pattern", "{pattern}");
    }
    let response = app
        .post("/api/v1/admin/moderation-rules")
        .bearer(&admin.access_token)
        .json(&json!({ "pattern": "ok", "match": "word", "severity": 9, "action": "flag" }))
        .send()
        .await;
    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "severity");
    assert_eq!(app.count("moderation_rules").await, 0);
}
