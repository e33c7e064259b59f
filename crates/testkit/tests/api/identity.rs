//! Accounts, tokens and sessions: every rule of the identity issue, over HTTP.

use agora_core::config::Secret;
use agora_platform::entities::{organization_members, organizations, users};
use agora_platform::identity::Identity;
use agora_platform::identity::tokens::{AUDIENCE, derive_key};
use agora_store::sea_orm::sea_query::Expr;
use agora_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use agora_testkit::{StatusCode, TEST_SECRET_KEY, TestApp, json};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery staple";

/// Registers `username` (email `{username}@example.com`) and returns the response body.
async fn register(app: &TestApp, username: &str) -> Value {
    let response = app
        .post("/api/v1/auth/register")
        .json(&json!({
            "username": username,
            "email": format!("{username}@example.com"),
            "password": PASSWORD,
        }))
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    response.json()
}

fn access_token(auth: &Value) -> &str {
    auth["access_token"].as_str().expect("an access token")
}

fn refresh_token(auth: &Value) -> &str {
    auth["refresh_token"].as_str().expect("a refresh token")
}

async fn me_status(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let response = app.get("/api/v1/auth/me").bearer(token).send().await;
    (
        response.status,
        serde_json::from_slice(&response.body).unwrap_or(Value::Null),
    )
}

async fn refresh(app: &TestApp, token: &str) -> agora_testkit::TestResponse {
    app.post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
}

/// Signs `claims` with the server's own Ed25519 key (derived from the test secret as the server
/// derives it), so a test can forge tokens that differ from real ones in one claim only.
fn sign_with_server_key(claims: &Value) -> String {
    let secret = Secret::new(TEST_SECRET_KEY);
    let key = ed25519_dalek::SigningKey::from_bytes(&derive_key(&secret, "agora/jwt/ed25519/v1"));
    let der = key.to_pkcs8_der().expect("a PKCS#8 key");
    jsonwebtoken::encode(
        &Header::new(Algorithm::EdDSA),
        claims,
        &EncodingKey::from_ed_der(der.as_bytes()),
    )
    .expect("a signed token")
}

/// The claims of a real token, decoded without checking (to copy and alter them).
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

#[tokio::test]
async fn register_signs_in_and_me_returns_the_account() {
    let app = TestApp::spawn().await;
    let auth = register(&app, "Alice_1").await;
    assert_eq!(auth["token_type"], "Bearer");
    assert_eq!(auth["expires_in"], 900, "access tokens live 15 minutes");
    assert_eq!(auth["user"]["username"], "Alice_1");
    assert_eq!(auth["user"]["role"], "user");
    assert!(auth["user"].get("password_hash").is_none());

    let (status, me) = me_status(&app, access_token(&auth)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], auth["user"]["id"]);
    assert_eq!(me["email"], "Alice_1@example.com");

    let claims = claims_of(access_token(&auth));
    for claim in ["sub", "sid", "role", "iat", "exp", "iss", "aud", "jti"] {
        assert!(claims.get(claim).is_some(), "the token carries `{claim}`");
    }
    assert_eq!(claims["aud"], AUDIENCE);
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes() {
    let app = TestApp::spawn().await;
    register(&app, "hashed").await;
    let user = users::Entity::find()
        .filter(users::Column::UsernameKey.eq("hashed"))
        .one(app.db().reader())
        .await
        .expect("query")
        .expect("the user");
    let hash = user.password_hash.expect("a hash");
    assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn weak_and_common_passwords_are_refused() {
    let app = TestApp::spawn().await;
    for (password, why) in [
        ("short1!", "at least 8"),
        ("password1", "common"),
        ("ILoveYou", "common"),
        (&"x".repeat(129) as &str, "at most 128"),
    ] {
        let response = app
            .post("/api/v1/auth/register")
            .json(&json!({ "username": "bob", "email": "bob@example.com", "password": password }))
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let problem = response.problem();
        assert_eq!(problem.errors.len(), 1, "{password}");
        assert_eq!(problem.errors[0].field, "password");
        assert!(
            problem.errors[0].message.contains(why),
            "{password}: {}",
            problem.errors[0].message
        );
    }
}

#[tokio::test]
async fn usernames_and_emails_are_validated_field_by_field() {
    let app = TestApp::spawn().await;
    let response = app
        .post("/api/v1/auth/register")
        .json(&json!({ "username": "no spaces!", "email": "not-an-email", "password": PASSWORD }))
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = response
        .problem()
        .errors
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(fields, ["username", "email"]);

    for username in ["ab", &"a".repeat(31) as &str, "émile"] {
        let response = app
            .post("/api/v1/auth/register")
            .json(&json!({ "username": username, "email": "x@example.com", "password": PASSWORD }))
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.problem().errors[0].field, "username", "{username}");
    }
}

#[tokio::test]
async fn a_username_or_email_taken_in_another_case_is_a_conflict() {
    let app = TestApp::spawn().await;
    register(&app, "Carol").await;
    let response = app
        .post("/api/v1/auth/register")
        .json(&json!({ "username": "cAROL", "email": "other@example.com", "password": PASSWORD }))
        .send()
        .await;
    response.assert_status(StatusCode::CONFLICT);
    let problem = response.problem();
    assert_eq!(problem.code, "already_exists");
    assert_eq!(problem.errors[0].field, "username");

    let response = app
        .post("/api/v1/auth/register")
        .json(&json!({ "username": "carol2", "email": "CAROL@Example.COM", "password": PASSWORD }))
        .send()
        .await;
    response.assert_status(StatusCode::CONFLICT);
    assert_eq!(response.problem().errors[0].field, "email");
}

#[tokio::test]
async fn concurrent_registrations_of_one_name_create_one_account() {
    let app = TestApp::spawn().await;
    let attempts = (0..4).map(|i| {
        app.post("/api/v1/auth/register")
            .json(&json!({
                "username": "racer",
                "email": format!("racer{i}@example.com"),
                "password": PASSWORD,
            }))
            .send()
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn register_with_an_organization_makes_the_user_its_admin() {
    let app = TestApp::spawn().await;
    let response = app
        .post("/api/v1/auth/register")
        .json(&json!({
            "username": "founder",
            "email": "founder@example.com",
            "password": PASSWORD,
            "organization_name": "  Acme Robotics ",
        }))
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    let user_id: Uuid = response.json::<Value>()["user"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("a user id");
    let organization = organizations::Entity::find()
        .one(app.db().reader())
        .await
        .expect("query")
        .expect("an organization");
    assert_eq!(organization.name, "Acme Robotics");
    let member = organization_members::Entity::find_by_id((organization.id, user_id))
        .one(app.db().reader())
        .await
        .expect("query")
        .expect("a membership");
    assert_eq!(
        member.role,
        organization_members::OrganizationRole::OrgAdmin
    );
}

#[tokio::test]
async fn login_works_with_email_or_username_in_any_case() {
    let app = TestApp::spawn().await;
    register(&app, "Dave").await;
    for body in [
        json!({ "email": "DAVE@example.com", "password": PASSWORD }),
        json!({ "username": "dave", "password": PASSWORD }),
    ] {
        let response = app.post("/api/v1/auth/login").json(&body).send().await;
        response.assert_status(StatusCode::OK);
        let auth: Value = response.json();
        assert_eq!(auth["user"]["username"], "Dave");
        assert_eq!(me_status(&app, access_token(&auth)).await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_answer() {
    let app = TestApp::spawn().await;
    register(&app, "erin").await;
    let wrong_password = app
        .post("/api/v1/auth/login")
        .json(&json!({ "username": "erin", "password": "not the password" }))
        .send()
        .await;
    let no_account = app
        .post("/api/v1/auth/login")
        .json(&json!({ "username": "nobody", "password": "not the password" }))
        .send()
        .await;
    for response in [&wrong_password, &no_account] {
        response.assert_status(StatusCode::UNAUTHORIZED);
    }
    let (a, b) = (wrong_password.problem(), no_account.problem());
    assert_eq!((a.code.as_str(), &a.detail), (b.code.as_str(), &b.detail));
    assert_eq!(a.code, "invalid_credentials");
}

#[tokio::test]
async fn login_needs_exactly_one_of_email_and_username() {
    let app = TestApp::spawn().await;
    let response = app
        .post("/api/v1/auth/login")
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_disabled_account_cannot_log_in() {
    let app = TestApp::spawn().await;
    let auth = register(&app, "frank").await;
    let id: Uuid = auth["user"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id");
    users::Entity::update_many()
        .col_expr(users::Column::Status, Expr::value("disabled"))
        .filter(users::Column::Id.eq(id))
        .exec(app.db().writer())
        .await
        .expect("disable");
    let response = app
        .post("/api/v1/auth/login")
        .json(&json!({ "username": "frank", "password": PASSWORD }))
        .send()
        .await;
    response.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(response.problem().code, "account_disabled");
    // A wrong password still says only "invalid credentials".
    let response = app
        .post("/api/v1/auth/login")
        .json(&json!({ "username": "frank", "password": "wrong password!" }))
        .send()
        .await;
    response.assert_status(StatusCode::UNAUTHORIZED);
}

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
    let auth = register(&app, "grace").await;
    let mut claims = claims_of(access_token(&auth));
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
    let auth = register(&app, "heidi").await;
    let token = access_token(&auth);
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
    let auth = register(&app, "ivan").await;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims_of(access_token(&auth)).to_string());
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
    let auth = register(&app, "judy").await;
    // Algorithm confusion: HMAC "signed" with the published public key.
    let jwks: Value = app.get("/.well-known/jwks.json").send().await.json();
    let public_key = URL_SAFE_NO_PAD
        .decode(jwks["keys"][0]["x"].as_str().expect("x"))
        .expect("base64url");
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims_of(access_token(&auth)),
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
    let auth = register(&app, "ken").await;
    let claims = claims_of(access_token(&auth));
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
    let auth = register(&app, "lena").await;
    let claims = claims_of(access_token(&auth));
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
async fn staff_and_system_usernames_cannot_be_registered() {
    let app = TestApp::spawn().await;
    for (i, username) in [
        "admin",
        "Root",
        "support",
        "moderator",
        "Admin_2",
        "postmaster",
    ]
    .into_iter()
    .enumerate()
    {
        let response = app
            .post("/api/v1/auth/register")
            .json(&json!({ "username": username, "email": format!("r{i}@example.com"), "password": PASSWORD }))
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let problem = response.problem();
        assert_eq!(problem.errors[0].field, "username", "{username}");
        assert!(problem.errors[0].message.contains("reserved"), "{username}");
    }
    assert_eq!(app.count("users").await, 0);
    register(&app, "admiral").await;
}

#[tokio::test]
async fn the_published_jwks_verifies_our_tokens() {
    let app = TestApp::spawn().await;
    let auth = register(&app, "leo").await;
    let jwks: jsonwebtoken::jwk::JwkSet = app.get("/.well-known/jwks.json").send().await.json();
    let token = access_token(&auth);
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
    assert_eq!(decoded.claims["sub"], auth["user"]["id"]);
}

#[tokio::test]
async fn hs256_can_be_configured_instead() {
    let app = TestApp::builder()
        .env("AGORA_JWT_ALGORITHM", "HS256")
        .spawn()
        .await;
    let auth = register(&app, "mallory").await;
    let header = jsonwebtoken::decode_header(access_token(&auth)).expect("header");
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(me_status(&app, access_token(&auth)).await.0, StatusCode::OK);
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
    let auth = register(&app, "nina").await;
    let first = refresh(&app, refresh_token(&auth)).await;
    first.assert_status(StatusCode::OK);
    let first: Value = first.json();
    assert_ne!(refresh_token(&first), refresh_token(&auth));
    assert_eq!(
        claims_of(access_token(&first))["sid"],
        claims_of(access_token(&auth))["sid"]
    );
    let second = refresh(&app, refresh_token(&first)).await;
    second.assert_status(StatusCode::OK);
    assert_eq!(
        me_status(&app, access_token(&second.json())).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_ends_the_whole_session() {
    let app = TestApp::spawn().await;
    let auth = register(&app, "oscar").await;
    let rotated: Value = refresh(&app, refresh_token(&auth)).await.json();

    let reuse = refresh(&app, refresh_token(&auth)).await;
    reuse.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(reuse.problem().code, "refresh_token_reused");

    // The thief's copy and the legitimate holder's new token are both dead now.
    refresh(&app, refresh_token(&rotated))
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let (status, problem) = me_status(&app, access_token(&rotated)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "session_revoked");
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_rotate_it_once() {
    let app = TestApp::spawn().await;
    let auth = register(&app, "peggy").await;
    let token = refresh_token(&auth).to_owned();
    let (a, b) = tokio::join!(refresh(&app, &token), refresh(&app, &token));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNAUTHORIZED]);
}

#[tokio::test]
async fn an_unknown_refresh_token_is_refused() {
    let app = TestApp::spawn().await;
    let response = refresh(&app, "made-up").await;
    response.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(response.problem().code, "invalid_refresh_token");
}

#[tokio::test]
async fn logout_stops_the_access_token_at_once_and_the_refresh_token() {
    let app = TestApp::spawn().await;
    let auth = register(&app, "quinn").await;
    let token = access_token(&auth);
    app.post("/api/v1/auth/logout")
        .bearer(token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let (status, problem) = me_status(&app, token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "session_revoked");
    refresh(&app, refresh_token(&auth))
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_restarted_server_remembers_revoked_sessions() {
    let app = TestApp::spawn().await;
    let auth = register(&app, "rupert").await;
    let token = access_token(&auth);
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
    let phone = register(&app, "sybil").await;
    let laptop: Value = app
        .post("/api/v1/auth/login")
        .header("user-agent", "Laptop/1.0")
        .json(&json!({ "username": "sybil", "password": PASSWORD }))
        .send()
        .await
        .json();

    let list: Value = app
        .get("/api/v1/auth/sessions")
        .bearer(access_token(&phone))
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
        .bearer(access_token(&phone))
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(
        me_status(&app, access_token(&laptop)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me_status(&app, access_token(&phone)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn another_users_session_cannot_be_ended() {
    let app = TestApp::spawn().await;
    let victim = register(&app, "trent").await;
    let attacker = register(&app, "victor").await;
    let sid = claims_of(access_token(&victim))["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    app.delete(&format!("/api/v1/auth/sessions/{sid}"))
        .bearer(access_token(&attacker))
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(
        me_status(&app, access_token(&victim)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_user_only() {
    let app = TestApp::spawn().await;
    let first = register(&app, "walter").await;
    let second: Value = app
        .post("/api/v1/auth/login")
        .json(&json!({ "username": "walter", "password": PASSWORD }))
        .send()
        .await
        .json();
    let bystander = register(&app, "wendy").await;
    app.post("/api/v1/auth/logout-all")
        .bearer(access_token(&first))
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    for auth in [&first, &second] {
        assert_eq!(
            me_status(&app, access_token(auth)).await.0,
            StatusCode::UNAUTHORIZED
        );
        refresh(&app, refresh_token(auth))
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        me_status(&app, access_token(&bystander)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn verify_reports_whether_a_token_is_valid() {
    let app = TestApp::spawn().await;
    let auth = register(&app, "yara").await;
    let valid: Value = app
        .post("/api/v1/auth/verify")
        .json(&json!({ "token": access_token(&auth) }))
        .send()
        .await
        .json();
    assert_eq!(valid["valid"], true);
    assert_eq!(valid["user_id"], auth["user"]["id"]);
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
    let auth = register(&a, "ursula").await;
    let token = access_token(&auth);
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
    let mut refused = false;
    for _ in 0..100 {
        if !valid_on_b().await {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        refused,
        "B refuses the token within a second of the logout on A"
    );
}
