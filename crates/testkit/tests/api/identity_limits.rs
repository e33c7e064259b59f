//! The sign-in limits on the real identity routes: login 10 per 15 minutes per address and per
//! account, register 3 per hour per address, password reset 5 per hour per address and per
//! email. Client addresses are told apart through a trusted proxy's `X-Forwarded-For`.

use agora_testkit::{StatusCode, TEST_PASSWORD, TestApp, TestResponse, json};

async fn app() -> TestApp {
    TestApp::builder()
        .env("AGORA_TRUSTED_PROXIES", "127.0.0.1")
        .env("AGORA_RATE_LIMIT_LOGIN", "10/15m")
        .env("AGORA_RATE_LIMIT_REGISTER", "3/1h")
        .env("AGORA_RATE_LIMIT_PASSWORD_RESET", "5/1h")
        .spawn()
        .await
}

async fn login(app: &TestApp, from: &str, username: &str, password: &str) -> TestResponse {
    app.post("/api/v1/auth/login")
        .header("x-forwarded-for", from)
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
}

fn assert_limited(response: &TestResponse, limit: &str) {
    response.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.problem().code, "rate_limited");
    let retry_after: u64 = response
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(retry_after > 0);
    assert_eq!(response.header("ratelimit-limit"), Some(limit));
    assert_eq!(response.header("ratelimit-remaining"), Some("0"));
}

#[tokio::test]
async fn the_eleventh_login_for_one_account_is_refused_from_any_address() {
    let app = app().await;
    app.register("target").await;
    for i in 0..10 {
        let response = login(
            &app,
            &format!("198.51.100.{i}"),
            "target",
            "wrong password!",
        )
        .await;
        response.assert_status(StatusCode::UNAUTHORIZED);
    }
    // Even the right password, from a fresh address: the account's budget is spent.
    assert_limited(
        &login(&app, "203.0.113.50", "TARGET", TEST_PASSWORD).await,
        "10",
    );
    // Other accounts are not affected.
    app.register("bystander").await;
    login(&app, "203.0.113.51", "bystander", TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_eleventh_login_from_one_address_is_refused_for_any_account() {
    let app = app().await;
    for i in 0..10 {
        login(&app, "192.0.2.7", &format!("user{i}"), "wrong password!")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    assert_limited(
        &login(&app, "192.0.2.7", "someone_else", "x-password").await,
        "10",
    );
    login(&app, "192.0.2.8", "someone_else", "x-password")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_fourth_registration_from_one_address_within_an_hour_is_refused() {
    let app = app().await;
    let register = |from: &'static str, name: &'static str| {
        app.post("/api/v1/auth/register")
            .header("x-forwarded-for", from)
            .json(&json!({ "username": name, "email": format!("{name}@example.com"), "password": TEST_PASSWORD }))
            .send()
    };
    for name in ["one", "two", "three"] {
        register("192.0.2.1", name)
            .await
            .assert_status(StatusCode::CREATED);
    }
    assert_limited(&register("192.0.2.1", "four").await, "3");
    register("192.0.2.2", "four")
        .await
        .assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn password_resets_are_limited_per_address_and_per_email() {
    let app = app().await;
    let reset = |from: String, email: &'static str| {
        app.post("/api/v1/auth/request-password-reset")
            .header("x-forwarded-for", &from)
            .json(&json!({ "email": email }))
            .send()
    };
    for i in 0..5 {
        reset(format!("198.51.100.{i}"), "victim@example.com")
            .await
            .assert_status(StatusCode::ACCEPTED);
    }
    assert_limited(
        &reset("198.51.100.99".into(), "victim@example.com").await,
        "5",
    );

    for i in 0..5 {
        reset(
            "192.0.2.9".into(),
            [
                "a@example.com",
                "b@example.com",
                "c@example.com",
                "d@example.com",
                "e@example.com",
            ][i],
        )
        .await
        .assert_status(StatusCode::ACCEPTED);
    }
    assert_limited(&reset("192.0.2.9".into(), "f@example.com").await, "5");
}
