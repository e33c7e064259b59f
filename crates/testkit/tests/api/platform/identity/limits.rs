//! The sign-in limits on the real identity routes: login 10 per 15 minutes per address and per
//! (account, client network), 100 an hour per account from unknown networks; register 3 per
//! hour per address, password reset 5 per hour per address and per email. Client addresses are
//! told apart through a trusted proxy's `X-Forwarded-For`.

use agora_testkit::{StatusCode, TEST_PASSWORD, TestApp, TestResponse, json};

use crate::support::assert_rate_limited;

async fn app() -> TestApp {
    TestApp::builder()
        .env("AGORA_TRUSTED_PROXIES", "127.0.0.1")
        .env("AGORA_RATE_LIMIT_LOGIN", "10/15m")
        .env("AGORA_RATE_LIMIT_LOGIN_ACCOUNT", "100/1h")
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

#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_the_owner_out_of_sign_in() {
    let app = app().await;
    app.register("target").await;
    // An attacker from two networks spends both networks' budgets on the account ...
    for i in 0..10 {
        for network in ["198.51.100", "192.0.2"] {
            login(&app, &format!("{network}.{i}"), "target", "wrong password!")
                .await
                .assert_status(StatusCode::UNAUTHORIZED);
        }
    }
    assert_rate_limited(
        &login(&app, "198.51.100.99", "target", "wrong password!").await,
        "10",
    );
    // ... and the owner, from an address never seen before, still signs in.
    login(&app, "203.0.113.50", "TARGET", TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_username_and_the_email_of_an_account_share_one_budget() {
    let app = app().await;
    app.register("shared").await;
    let by_email = |from: &'static str| {
        app.post("/api/v1/auth/login")
            .header("x-forwarded-for", from)
            .json(&json!({ "email": "Shared@Example.com", "password": "wrong password!" }))
            .send()
    };
    // Five guesses by username and five by email, each from an address of its own in one
    // network (so the per-address budgets are not what runs out) ...
    for i in 0..5 {
        login(
            &app,
            &format!("198.51.100.{i}"),
            "shared",
            "wrong password!",
        )
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
        let from: &'static str = [
            "198.51.100.10",
            "198.51.100.11",
            "198.51.100.12",
            "198.51.100.13",
            "198.51.100.14",
        ][i];
        by_email(from).await.assert_status(StatusCode::UNAUTHORIZED);
    }
    // ... are the account's ten from that network, by either name.
    assert_rate_limited(
        &login(&app, "198.51.100.20", "shared", TEST_PASSWORD).await,
        "10",
    );
    assert_rate_limited(&by_email("198.51.100.21").await, "10");
}

#[tokio::test]
async fn once_the_account_wide_budget_is_spent_only_known_networks_may_sign_in() {
    let app = TestApp::builder()
        .env("AGORA_TRUSTED_PROXIES", "127.0.0.1")
        .env("AGORA_RATE_LIMIT_LOGIN", "3/15m")
        .env("AGORA_RATE_LIMIT_LOGIN_ACCOUNT", "6/1h")
        .spawn()
        .await;
    app.register("dana").await;
    // The owner has signed in from home before.
    login(&app, "203.0.113.9", "dana", TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    // A distributed attack spends the account-wide budget (6) from many networks.
    for n in 0..5 {
        login(&app, &format!("198.51.{n}.1"), "dana", "wrong password!")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    // Strangers are now refused, even with the right password ...
    let refused = login(&app, "192.0.2.1", "dana", TEST_PASSWORD).await;
    assert_rate_limited(&refused, "6");
    // ... while the owner's known network (another address in it) gets in.
    login(&app, "203.0.113.10", "dana", TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    // An unknown name is refused the same way once its own budget is spent: the answers do not
    // tell accounts from non-accounts.
    for n in 0..6 {
        login(
            &app,
            &format!("198.51.{n}.2"),
            "nobody_here",
            "wrong password!",
        )
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    }
    assert_rate_limited(
        &login(&app, "192.0.2.2", "nobody_here", "x-password").await,
        "6",
    );
}

#[tokio::test]
async fn the_eleventh_login_from_one_address_is_refused_for_any_account() {
    let app = app().await;
    for i in 0..10 {
        login(&app, "192.0.2.7", &format!("user{i}"), "wrong password!")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    assert_rate_limited(
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
    assert_rate_limited(&register("192.0.2.1", "four").await, "3");
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
    assert_rate_limited(
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
    assert_rate_limited(&reset("192.0.2.9".into(), "f@example.com").await, "5");
}
