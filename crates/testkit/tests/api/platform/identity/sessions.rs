//! What keeps a caller signed in, and what ends it: access tokens (signature, claims, JWKS),
//! refresh-token rotation, sessions, sign-out on this and on other instances.

use agora_platform::identity::Identity;
use agora_platform::identity::tokens::AUDIENCE;
use agora_testkit::{StatusCode, TEST_PASSWORD, TestApp, TestUser, eventually, json};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

use super::{claims_of, me_status, refresh, sign_with_server_key};

#[tokio::test]
async fn requests_without_a_valid_token_are_401() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/auth/me").send().await;
    response.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    for header in ["Basic abc", "Bearer", "Bearer not-a-jwt"] {
        let response = app
            .get("/api/v1/auth/me")
            .header("authorization", header)
            .send()
            .await;
        response.assert_status(StatusCode::UNAUTHORIZED);
        response.problem();
    }
}

#[tokio::test]
async fn an_expired_access_token_is_refused() {
    let app = TestApp::spawn().await;
    let auth = app.register("grace").await;
    let mut claims = claims_of(&auth.access_token);
    let past = (agora_core::time::now() - Duration::minutes(20)).timestamp();
    claims["iat"] = past.into();
    claims["exp"] = (past + 900).into();
    let (status, problem) = me_status(&app, &sign_with_server_key(&claims)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "token_expired");
    // The same claims with a live expiry (and a lifetime within the allowed one) pass, so the
    // expiry is what was refused.
    claims["iat"] = (agora_core::time::now().timestamp() - 300).into();
    claims["exp"] = (agora_core::time::now().timestamp() + 60).into();
    assert_eq!(
        me_status(&app, &sign_with_server_key(&claims)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_tampered_token_is_refused() {
    let app = TestApp::spawn().await;
    let auth = app.register("heidi").await;
    let token = &auth.access_token;
    let mut claims = claims_of(token);
    claims["role"] = "admin".into();
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged_payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    parts[1] = &forged_payload;
    let (status, problem) = me_status(&app, &parts.join(".")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "invalid_token");
}

#[tokio::test]
async fn an_unsigned_token_with_alg_none_is_refused() {
    let app = TestApp::spawn().await;
    let auth = app.register("ivan").await;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims_of(&auth.access_token).to_string());
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        let (status, _) = me_status(&app, &token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_token_signed_with_hs256_and_the_public_key_is_refused() {
    let app = TestApp::spawn().await;
    let auth = app.register("judy").await;
    // Algorithm confusion: HMAC "signed" with the published public key.
    let jwks: Value = app.get("/.well-known/jwks.json").send().await.json();
    let public_key = URL_SAFE_NO_PAD
        .decode(jwks["keys"][0]["x"].as_str().expect("x"))
        .expect("base64url");
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims_of(&auth.access_token),
        &EncodingKey::from_secret(&public_key),
    )
    .expect("token");
    let (status, problem) = me_status(&app, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "invalid_token");
}

#[tokio::test]
async fn a_token_for_another_audience_or_issuer_is_refused() {
    let app = TestApp::spawn().await;
    let auth = app.register("ken").await;
    let claims = claims_of(&auth.access_token);
    for (claim, value) in [("aud", "another-service"), ("iss", "https://evil.example/")] {
        let mut forged = claims.clone();
        forged[claim] = value.into();
        let (status, problem) = me_status(&app, &sign_with_server_key(&forged)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{claim}");
        assert_eq!(problem["code"], "invalid_token");
    }
    // The unaltered claims, signed the same way, are accepted: the key is right.
    assert_eq!(
        me_status(&app, &sign_with_server_key(&claims)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn well_signed_tokens_issued_in_the_future_living_too_long_or_with_an_unknown_role_are_refused()
 {
    let app = TestApp::spawn().await;
    let auth = app.register("lena").await;
    let claims = claims_of(&auth.access_token);
    let now = agora_core::time::now().timestamp();
    let mut issued_later = claims.clone();
    issued_later["iat"] = (now + 3600).into();
    issued_later["exp"] = (now + 3600 + 900).into();
    let mut lives_a_month = claims.clone();
    lives_a_month["exp"] = (now + 30 * 24 * 3600).into();
    let mut root = claims.clone();
    root["role"] = "root".into();
    let mut not_before = claims.clone();
    not_before["nbf"] = (now + 600).into();
    for (name, forged) in [
        ("iat in the future", issued_later),
        ("a month-long lifetime", lives_a_month),
        ("an unknown role", root),
        ("nbf in the future", not_before),
    ] {
        let (status, problem) = me_status(&app, &sign_with_server_key(&forged)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(problem["code"], "invalid_token", "{name}");
    }
    assert_eq!(
        me_status(&app, &sign_with_server_key(&claims)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_published_jwks_verifies_our_tokens() {
    let app = TestApp::spawn().await;
    let auth = app.register("leo").await;
    let jwks: jsonwebtoken::jwk::JwkSet = app.get("/.well-known/jwks.json").send().await.json();
    let token = &auth.access_token;
    let kid = jsonwebtoken::decode_header(token)
        .expect("header")
        .kid
        .expect("kid");
    let jwk = jwks.find(&kid).expect("the key of the token is published");
    let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[AUDIENCE]);
    let decoded = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).expect("a key"),
        &validation,
    )
    .expect("the token verifies with the published key");
    assert_eq!(decoded.claims["sub"], auth.id);
}

#[tokio::test]
async fn hs256_can_be_configured_instead() {
    let app = TestApp::builder()
        .env("AGORA_JWT_ALGORITHM", "HS256")
        .spawn()
        .await;
    let auth = app.register("mallory").await;
    let header = jsonwebtoken::decode_header(&auth.access_token).expect("header");
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(me_status(&app, &auth.access_token).await.0, StatusCode::OK);
    let jwks: Value = app.get("/.well-known/jwks.json").send().await.json();
    assert_eq!(
        jwks["keys"],
        json!([]),
        "a shared secret is never published"
    );
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token() {
    let app = TestApp::spawn().await;
    let auth = app.register("nina").await;
    let first = refresh(&app, &auth.refresh_token).await;
    first.assert_status(StatusCode::OK);
    let first = TestUser::from_auth(&first.json());
    assert_ne!(&first.refresh_token, &auth.refresh_token);
    assert_eq!(
        claims_of(&first.access_token)["sid"],
        claims_of(&auth.access_token)["sid"]
    );
    let second = refresh(&app, &first.refresh_token).await;
    second.assert_status(StatusCode::OK);
    assert_eq!(
        me_status(&app, &TestUser::from_auth(&second.json()).access_token)
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_ends_the_whole_session() {
    let app = TestApp::spawn().await;
    let auth = app.register("oscar").await;
    let rotated = TestUser::from_auth(&refresh(&app, &auth.refresh_token).await.json());

    let reuse = refresh(&app, &auth.refresh_token).await;
    reuse.assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_reused");

    // The thief's copy and the legitimate holder's new token are both dead now.
    refresh(&app, &rotated.refresh_token)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let (status, problem) = me_status(&app, &rotated.access_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "session_revoked");
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_rotate_it_once() {
    let app = TestApp::spawn().await;
    let auth = app.register("peggy").await;
    let token = &auth.refresh_token;
    let (a, b) = tokio::join!(refresh(&app, token), refresh(&app, token));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNAUTHORIZED]);
}

#[tokio::test]
async fn an_unknown_refresh_token_is_refused() {
    let app = TestApp::spawn().await;
    let response = refresh(&app, "made-up").await;
    response.assert_problem(StatusCode::UNAUTHORIZED, "invalid_refresh_token");
}

#[tokio::test]
async fn logout_stops_the_access_token_at_once_and_the_refresh_token() {
    let app = TestApp::spawn().await;
    let auth = app.register("quinn").await;
    let token = &auth.access_token;
    app.post("/api/v1/auth/logout")
        .bearer(token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let (status, problem) = me_status(&app, token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "session_revoked");
    refresh(&app, &auth.refresh_token)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_restarted_server_remembers_revoked_sessions() {
    let app = TestApp::spawn().await;
    let auth = app.register("rupert").await;
    let token = &auth.access_token;
    app.post("/api/v1/auth/logout").bearer(token).send().await;

    // What a new process knows: nothing in memory, then what it loads at start-up.
    let fresh = Identity::new(app.state().config(), None).expect("identity");
    let claims = fresh
        .tokens
        .verify(token)
        .expect("the signature is still valid");
    assert!(!fresh.revocations.is_revoked(claims.sid));
    fresh.load_revocations(app.db()).await.expect("load");
    assert!(fresh.revocations.is_revoked(claims.sid));
}

#[tokio::test]
async fn sessions_are_listed_and_one_can_be_ended_from_another() {
    let app = TestApp::spawn().await;
    let phone = app.register("sybil").await;
    let laptop = TestUser::from_auth(
        &app.post("/api/v1/auth/login")
            .header("user-agent", "Laptop/1.0")
            .json(&json!({ "username": "sybil", "password": TEST_PASSWORD }))
            .send()
            .await
            .json(),
    );

    let list: Value = app
        .get("/api/v1/auth/sessions")
        .bearer(&phone.access_token)
        .send()
        .await
        .json();
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    let laptop_session = items
        .iter()
        .find(|s| s["user_agent"] == "Laptop/1.0")
        .expect("the laptop session");
    assert_eq!(laptop_session["current"], false);
    assert!(
        laptop_session["ip_hash"]
            .as_str()
            .is_some_and(|h| !h.contains("127.0.0.1"))
    );
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);

    let id = laptop_session["id"].as_str().expect("id");
    app.delete(&format!("/api/v1/auth/sessions/{id}"))
        .bearer(&phone.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(
        me_status(&app, &laptop.access_token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me_status(&app, &phone.access_token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn another_users_session_cannot_be_ended() {
    let app = TestApp::spawn().await;
    let victim = app.register("trent").await;
    let attacker = app.register("victor").await;
    let sid = claims_of(&victim.access_token)["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    app.delete(&format!("/api/v1/auth/sessions/{sid}"))
        .bearer(&attacker.access_token)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(
        me_status(&app, &victim.access_token).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_user_only() {
    let app = TestApp::spawn().await;
    let first = app.register("walter").await;
    let second = app.login("walter").await;
    let bystander = app.register("wendy").await;
    app.post("/api/v1/auth/logout-all")
        .bearer(&first.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    for auth in [&first, &second] {
        assert_eq!(
            me_status(&app, &auth.access_token).await.0,
            StatusCode::UNAUTHORIZED
        );
        refresh(&app, &auth.refresh_token)
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        me_status(&app, &bystander.access_token).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn verify_reports_whether_a_token_is_valid() {
    let app = TestApp::spawn().await;
    let auth = app.register("yara").await;
    let valid: Value = app
        .post("/api/v1/auth/verify")
        .json(&json!({ "token": &auth.access_token }))
        .send()
        .await
        .json();
    assert_eq!(valid["valid"], true);
    assert_eq!(valid["user_id"], auth.id);
    assert!(valid["expires_at"].as_str().is_some());

    let invalid: Value = app
        .post("/api/v1/auth/verify")
        .json(&json!({ "token": "garbage" }))
        .send()
        .await
        .json();
    assert_eq!(
        invalid,
        json!({ "valid": false, "user_id": null, "expires_at": null })
    );
}

#[tokio::test]
async fn a_logout_on_one_instance_stops_the_token_on_another_through_redis() {
    let Some(redis_url) = agora_testkit::test_redis().await else {
        return;
    };
    let prefix = agora_testkit::unique_redis_prefix();
    // Two instances of one deployment: the same secret, public URL and Redis.
    let spawn = || {
        TestApp::builder()
            .env("REDIS_URL", redis_url.as_str())
            .env("AGORA_REDIS_PREFIX", prefix.clone())
            .env("AGORA_PUBLIC_URL", "https://agora.example/")
            .spawn()
    };
    let (a, b) = (spawn().await, spawn().await);
    let auth = a.register("ursula").await;
    let token = &auth.access_token;
    // (Each test instance has a database of its own, so B is asked whether the token is valid
    // rather than for the account.)
    let valid_on_b = || async {
        let answer: Value = b
            .post("/api/v1/auth/verify")
            .json(&json!({ "token": token }))
            .send()
            .await
            .json();
        answer["valid"] == true
    };
    assert!(valid_on_b().await, "B accepts A's token");

    a.post("/api/v1/auth/logout")
        .bearer(token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    eventually(
        std::time::Duration::from_secs(1),
        "B refuses the token after the logout on A",
        async || (!valid_on_b().await).then_some(()),
    )
    .await;
}
