//! Administration of accounts and the audit log: role guards, disable/enable, roles, search.

use agora_testkit::{StatusCode, TEST_PASSWORD, TestApp, json};
use serde_json::Value;

use super::me_status;

#[tokio::test]
async fn admin_routes_are_401_anonymous_and_403_for_users_and_moderators() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let user = app.register("plain").await;
    app.get("/api/v1/admin/users")
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let response = app
        .get("/api/v1/admin/users")
        .bearer(&user.access_token)
        .send()
        .await;
    response.assert_problem(StatusCode::FORBIDDEN, "forbidden");

    app.patch(&format!("/api/v1/admin/users/{}", user.id))
        .bearer(&admin.access_token)
        .json(&json!({ "role": "moderator" }))
        .send()
        .await
        .assert_status(StatusCode::OK);
    // The role is read from the database, not the token: the same token is still refused.
    app.get("/api/v1/admin/audit-log")
        .bearer(&user.access_token)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.get("/api/v1/admin/users")
        .bearer(&admin.access_token)
        .send()
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_demoted_admin_loses_admin_routes_at_once() {
    let app = TestApp::spawn().await;
    let root = app.admin("root").await;
    let second = app.admin("second").await;
    app.patch(&format!("/api/v1/admin/users/{}", second.id))
        .bearer(&root.access_token)
        .json(&json!({ "role": "user", "reason": "left the team" }))
        .send()
        .await
        .assert_status(StatusCode::OK);
    app.get("/api/v1/admin/users")
        .bearer(&second.access_token)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn disabling_ends_every_session_and_blocks_login_until_enabled() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let user = app.register("mallory").await;
    assert_eq!(me_status(&app, &user.access_token).await.0, StatusCode::OK);

    let response = app
        .post(&format!("/api/v1/admin/users/{}/disable", user.id))
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "spam" }))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.json::<Value>()["status"], "disabled");

    assert_eq!(
        me_status(&app, &user.access_token).await.0,
        StatusCode::UNAUTHORIZED,
        "the access token stops at once"
    );
    app.post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": user.refresh_token }))
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let login = app
        .post("/api/v1/auth/login")
        .json(&json!({ "username": "mallory", "password": TEST_PASSWORD }))
        .send()
        .await;
    login.assert_problem(StatusCode::FORBIDDEN, "account_disabled");

    app.post(&format!("/api/v1/admin/users/{}/enable", user.id))
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "appeal accepted" }))
        .send()
        .await
        .assert_status(StatusCode::OK);
    app.post("/api/v1/auth/login")
        .json(&json!({ "username": "mallory", "password": TEST_PASSWORD }))
        .send()
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn disabling_needs_a_reason_and_never_targets_oneself() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let user = app.register("target").await;
    let response = app
        .post(&format!("/api/v1/admin/users/{}/disable", user.id))
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "  " }))
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().errors[0].field, "reason");

    app.post(&format!("/api/v1/admin/users/{}/disable", admin.id))
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "oops" }))
        .send()
        .await
        .assert_status(StatusCode::CONFLICT);
    app.patch(&format!("/api/v1/admin/users/{}", admin.id))
        .bearer(&admin.access_token)
        .json(&json!({ "role": "user" }))
        .send()
        .await
        .assert_status(StatusCode::CONFLICT);
    app.post("/api/v1/admin/users/0193a0b0-0000-7000-8000-000000000000/disable")
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "ghost" }))
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unknown_role_is_a_field_error() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let user = app.register("someone").await;
    let response = app
        .patch(&format!("/api/v1/admin/users/{}", user.id))
        .bearer(&admin.access_token)
        .json(&json!({ "role": "superuser" }))
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().errors[0].field, "role");
}

#[tokio::test]
async fn users_are_searched_filtered_and_paged() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    for name in ["alpha_one", "alpha_two", "beta"] {
        app.register(name).await;
    }
    let list = |query: &'static str| {
        let app = &app;
        let token = admin.access_token.clone();
        async move {
            let response = app
                .get(&format!("/api/v1/admin/users{query}"))
                .bearer(&token)
                .send()
                .await;
            response.assert_status(StatusCode::OK);
            response.json::<Value>()
        }
    };
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|u| u["username"].as_str().unwrap_or_default().to_owned())
            .collect()
    };

    let all = list("").await;
    assert_eq!(all["total"], 4);
    let alphas = list("?q=ALPHA").await;
    assert_eq!(alphas["total"], 2);
    assert!(names(&alphas).iter().all(|n| n.starts_with("alpha")));
    // `_` and `%` are literal characters in a search, not wildcards.
    assert_eq!(list("?q=p_a").await["total"], 0);
    assert_eq!(list("?q=%25").await["total"], 0);
    assert_eq!(list("?q=example.com&role=admin").await["total"], 1);

    let first = list("?per_page=3").await;
    let second = list("?per_page=3&page=2").await;
    assert_eq!(
        (
            first["items"].as_array().map(Vec::len),
            second["items"].as_array().map(Vec::len)
        ),
        (Some(3), Some(1))
    );
    let mut seen = names(&first);
    seen.extend(names(&second));
    seen.sort();
    assert_eq!(seen, ["alpha_one", "alpha_two", "beta", "root"]);

    for bad in [
        "?per_page=0",
        "?page=0",
        "?role=king",
        "?status=asleep",
        "?sort=name",
        // The search parameter is `q`, as on every list.
        "?search=alpha",
    ] {
        let response = app
            .get(&format!("/api/v1/admin/users{bad}"))
            .bearer(&admin.access_token)
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn every_admin_action_is_in_the_audit_log_newest_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let user = app.register("subject").await;
    let base = format!("/api/v1/admin/users/{}", user.id);
    app.post(&format!("{base}/disable"))
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "spam" }))
        .send()
        .await;
    app.post(&format!("{base}/enable"))
        .bearer(&admin.access_token)
        .json(&json!({}))
        .send()
        .await;
    app.patch(&base)
        .bearer(&admin.access_token)
        .json(&json!({ "role": "moderator", "reason": "helpful" }))
        .send()
        .await;

    let log: Value = app
        .get(&format!("/api/v1/admin/audit-log?target_id={}", user.id))
        .bearer(&admin.access_token)
        .send()
        .await
        .json();
    let actions: Vec<&str> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        actions,
        ["user.role_changed", "user.enabled", "user.disabled"]
    );
    let disabled = &log["items"][2];
    assert_eq!(disabled["actor_id"], admin.id.as_str());
    assert_eq!(disabled["reason"], "spam");
    assert_eq!(
        log["items"][0]["details"],
        json!({ "from": "user", "to": "moderator" })
    );

    // Paged with a cursor: two pages of two, nothing repeated.
    let first: Value = app
        .get("/api/v1/admin/audit-log?limit=2")
        .bearer(&admin.access_token)
        .send()
        .await
        .json();
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second: Value = app
        .get(&format!("/api/v1/admin/audit-log?limit=2&cursor={cursor}"))
        .bearer(&admin.access_token)
        .send()
        .await
        .json();
    // Four entries: the three above and the creation of the admin by `agora admin create`.
    assert_eq!(second["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(second["next_cursor"], Value::Null);
    assert_eq!(second["items"][1]["action"], "user.created");
    app.get("/api/v1/admin/audit-log?cursor=nonsense")
        .bearer(&admin.access_token)
        .send()
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}
