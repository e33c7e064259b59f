//! Email verification and password reset: the links that reach the outbox, used once, expiring.

use std::time::Duration;

use agora_platform::email::outbox;
use agora_platform::entities::one_time_tokens;
use agora_store::sea_orm::sea_query::Expr;
use agora_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use agora_testkit::{StatusCode, TEST_PASSWORD, TestApp, TestUser, eventually, json};
use serde_json::Value;

const NEW_PASSWORD: &str = "a brand new passphrase";

/// The emails of `template` sent to `to`, oldest first.
async fn emails(app: &TestApp, to: &str, template: &str) -> Vec<outbox::StoredEmail> {
    outbox::list(app.db().reader())
        .await
        .expect("the outbox")
        .into_iter()
        .filter(|e| e.to_address == to && e.template == template)
        .collect()
}

/// The token in the link of the latest such email, waiting for it to be written (password
/// reset emails are written after the answer).
async fn link_token(app: &TestApp, to: &str, template: &str) -> String {
    let email = latest_email(app, to, template).await;
    let start = email.body_text.find("token=").expect("a link with a token") + 6;
    email.body_text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The latest email of `template` to `to`, once it is in the outbox (within 2 s).
async fn latest_email(app: &TestApp, to: &str, template: &str) -> outbox::StoredEmail {
    eventually(
        Duration::from_secs(2),
        format_args!("a {template} email to {to}"),
        async || emails(app, to, template).await.pop(),
    )
    .await
}

async fn post(app: &TestApp, path: &str, body: Value) -> agora_testkit::TestResponse {
    app.post(path).json(&body).send().await
}

async fn expire_tokens(app: &TestApp) {
    one_time_tokens::Entity::update_many()
        .col_expr(
            one_time_tokens::Column::ExpiresAt,
            Expr::value(agora_core::time::now() - chrono::Duration::seconds(1)),
        )
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .exec(app.db().writer())
        .await
        .expect("expire");
}

#[tokio::test]
async fn registration_sends_a_verification_link_that_works_once() {
    let app = TestApp::spawn().await;
    let user = app.register("vera").await;
    let token = link_token(&app, "vera@example.com", "verify_email").await;

    let response = post(&app, "/api/v1/auth/verify-email", json!({ "token": token })).await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.json::<Value>()["email_verified"], true);
    let me: Value = app
        .get("/api/v1/auth/me")
        .bearer(&user.access_token)
        .send()
        .await
        .json();
    assert_eq!(me["email_verified"], true);
    assert_eq!(emails(&app, "vera@example.com", "welcome").await.len(), 1);

    let again = post(&app, "/api/v1/auth/verify-email", json!({ "token": token })).await;
    again.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "link_used");
    let unknown = post(
        &app,
        "/api/v1/auth/verify-email",
        json!({ "token": "made-up" }),
    )
    .await;
    assert_eq!(unknown.problem().code, "link_invalid");
}

#[tokio::test]
async fn a_verification_link_lasts_24_hours() {
    let app = TestApp::spawn().await;
    app.register("wade").await;
    let token = link_token(&app, "wade@example.com", "verify_email").await;
    let row = one_time_tokens::Entity::find()
        .one(app.db().reader())
        .await
        .expect("query")
        .expect("a token");
    assert_eq!(row.expires_at - row.created_at, chrono::Duration::hours(24));
    assert_ne!(row.token_hash, token, "only a hash is stored");

    expire_tokens(&app).await;
    let response = post(&app, "/api/v1/auth/verify-email", json!({ "token": token })).await;
    response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "link_expired");
}

#[tokio::test]
async fn resending_replaces_the_earlier_link_until_verified() {
    let app = TestApp::spawn().await;
    let user = app.register("xena").await;
    let first = link_token(&app, "xena@example.com", "verify_email").await;
    app.post("/api/v1/auth/resend-verification")
        .bearer(&user.access_token)
        .send()
        .await
        .assert_status(StatusCode::ACCEPTED);
    let second = link_token(&app, "xena@example.com", "verify_email").await;
    assert_ne!(first, second);
    assert_eq!(
        post(&app, "/api/v1/auth/verify-email", json!({ "token": first }))
            .await
            .problem()
            .code,
        "link_invalid"
    );
    post(
        &app,
        "/api/v1/auth/verify-email",
        json!({ "token": second }),
    )
    .await
    .assert_status(StatusCode::OK);
    let response = app
        .post("/api/v1/auth/resend-verification")
        .bearer(&user.access_token)
        .send()
        .await;
    response.assert_problem(StatusCode::CONFLICT, "already_verified");
    app.post("/api/v1/auth/resend-verification")
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_password_reset_changes_the_password_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let user = app.register("yuri").await;
    let response = post(
        &app,
        "/api/v1/auth/request-password-reset",
        json!({ "email": "YURI@example.com" }),
    )
    .await;
    response.assert_status(StatusCode::ACCEPTED);
    let token = link_token(&app, "yuri@example.com", "password_reset").await;

    let weak = post(
        &app,
        "/api/v1/auth/reset-password",
        json!({ "token": token, "new_password": "password1" }),
    )
    .await;
    weak.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.problem().errors[0].field, "new_password");

    post(
        &app,
        "/api/v1/auth/reset-password",
        json!({ "token": token, "new_password": NEW_PASSWORD }),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);

    app.get("/api/v1/auth/me")
        .bearer(&user.access_token)
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    post(
        &app,
        "/api/v1/auth/refresh",
        json!({ "refresh_token": user.refresh_token }),
    )
    .await
    .assert_status(StatusCode::UNAUTHORIZED);
    post(
        &app,
        "/api/v1/auth/login",
        json!({ "username": "yuri", "password": TEST_PASSWORD }),
    )
    .await
    .assert_status(StatusCode::UNAUTHORIZED);
    let login = post(
        &app,
        "/api/v1/auth/login",
        json!({ "username": "yuri", "password": NEW_PASSWORD }),
    )
    .await;
    login.assert_status(StatusCode::OK);
    let signed_in = TestUser::from_auth(&login.json());
    let me: Value = app
        .get("/api/v1/auth/me")
        .bearer(&signed_in.access_token)
        .send()
        .await
        .json();
    assert_eq!(
        me["email_verified"], true,
        "the reset link proved the address"
    );

    let reused = post(
        &app,
        "/api/v1/auth/reset-password",
        json!({ "token": token, "new_password": "yet another passphrase" }),
    )
    .await;
    reused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "link_used");
}

#[tokio::test]
async fn a_reset_link_expires_after_one_hour() {
    let app = TestApp::spawn().await;
    app.register("zack").await;
    post(
        &app,
        "/api/v1/auth/request-password-reset",
        json!({ "email": "zack@example.com" }),
    )
    .await;
    let token = link_token(&app, "zack@example.com", "password_reset").await;
    let row = one_time_tokens::Entity::find()
        .filter(one_time_tokens::Column::Purpose.eq("password_reset"))
        .one(app.db().reader())
        .await
        .expect("query")
        .expect("a token");
    assert_eq!(row.expires_at - row.created_at, chrono::Duration::hours(1));

    expire_tokens(&app).await;
    let response = post(
        &app,
        "/api/v1/auth/reset-password",
        json!({ "token": token, "new_password": NEW_PASSWORD }),
    )
    .await;
    response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "link_expired");
    post(
        &app,
        "/api/v1/auth/login",
        json!({ "username": "zack", "password": TEST_PASSWORD }),
    )
    .await
    .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_reset_for_an_unknown_or_disabled_address_answers_the_same_and_sends_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let user = app.register("amy").await;
    app.post(&format!("/api/v1/admin/users/{}/disable", user.id))
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "spam" }))
        .send()
        .await
        .assert_status(StatusCode::OK);
    for email in ["nobody@example.com", "amy@example.com"] {
        let response = post(
            &app,
            "/api/v1/auth/request-password-reset",
            json!({ "email": email }),
        )
        .await;
        response.assert_status(StatusCode::ACCEPTED);
        assert!(response.body.is_empty());
    }
    // A real request, sent last, is written: the two before it would have been by then.
    app.register("bea").await;
    post(
        &app,
        "/api/v1/auth/request-password-reset",
        json!({ "email": "bea@example.com" }),
    )
    .await;
    link_token(&app, "bea@example.com", "password_reset").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        emails(&app, "nobody@example.com", "password_reset")
            .await
            .is_empty()
    );
    assert!(
        emails(&app, "amy@example.com", "password_reset")
            .await
            .is_empty()
    );

    let bad = post(
        &app,
        "/api/v1/auth/request-password-reset",
        json!({ "email": "not an email" }),
    )
    .await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

/// The `.eml` the log transport wrote for the latest email of `template` to `to`.
async fn written_eml(app: &TestApp, to: &str, template: &str) -> String {
    let email = latest_email(app, to, template).await;
    app.written_eml(email.id).await
}

#[tokio::test]
async fn the_link_in_a_written_email_is_whole_and_works() {
    let app = TestApp::spawn().await;
    app.register("wendy").await;
    let eml = written_eml(&app, "wendy@example.com", "verify_email").await;

    // The plain-text part travels as written: the link is one line, not quoted-printable
    // (which would cut it at 76 characters and turn `=` into `=3D`).
    assert!(eml.contains("Content-Transfer-Encoding: 7bit"), "{eml}");
    let line = eml
        .lines()
        .find(|line| line.contains("/verify-email?token="))
        .unwrap_or_else(|| panic!("no whole link in {eml}"));
    let link = url::Url::parse(line.trim()).expect("the line is the link");
    let (_, token) = link
        .query_pairs()
        .find(|(name, _)| name == "token")
        .expect("a token");
    post(&app, "/api/v1/auth/verify-email", json!({ "token": token }))
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn email_links_open_pages_of_the_server_that_send_the_token_to_the_api() {
    let app = TestApp::spawn().await;
    app.register("pia").await;
    let token = link_token(&app, "pia@example.com", "verify_email").await;
    let body = emails(&app, "pia@example.com", "verify_email")
        .await
        .pop()
        .expect("the email")
        .body_text;
    let link = body
        .lines()
        .find_map(|line| url::Url::parse(line.trim()).ok())
        .expect("a link");
    assert_eq!(link.path(), "/verify-email", "{link}");

    for (page, action) in [
        (
            format!("{}?{}", link.path(), link.query().unwrap_or_default()),
            "verify-email",
        ),
        ("/reset-password?token=abc".to_owned(), "reset-password"),
    ] {
        let response = app.get(&page).send().await;
        response.assert_status(StatusCode::OK);
        assert_eq!(
            response.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        let csp = response
            .header("content-security-policy")
            .unwrap_or_default();
        for directive in [
            "script-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{page}: {csp}");
        }
        assert_eq!(response.header("cache-control"), Some("no-store"));
        let html = response.text();
        assert!(
            html.contains(&format!("data-action=\"{action}\"")),
            "{html}"
        );
        assert!(html.contains("src=\"pages/account.js\""), "{html}");
        // Static pages: nothing of the address reaches the HTML.
        assert!(!html.contains(&token) && !html.contains("abc"), "{html}");
    }

    let script = app.get("/pages/account.js").send().await;
    script.assert_status(StatusCode::OK);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    // The script posts to `api/v1/auth/{data-action}`: both routes exist.
    assert!(script.text().contains("`api/v1/auth/${action}`"));
    for action in ["verify-email", "reset-password"] {
        let response = post(&app, &format!("/api/v1/auth/{action}"), json!({})).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{action}"
        );
    }
    app.get("/pages/account.css")
        .send()
        .await
        .assert_status(StatusCode::OK);
}
