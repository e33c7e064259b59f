//! Accounts: registration (passwords, usernames and emails, organizations, reserved names)
//! and sign-in by email or username.

use agora_platform::entities::{organization_members, organizations, users};
use agora_platform::identity::tokens::AUDIENCE;
use agora_store::sea_orm::sea_query::Expr;
use agora_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use agora_testkit::{StatusCode, TEST_PASSWORD, TestApp, TestUser, json};
use serde_json::Value;
use uuid::Uuid;

use super::{claims_of, me_status};

#[tokio::test]
async fn register_signs_in_and_me_returns_the_account() {
    let app = TestApp::spawn().await;
    let response = app
        .post("/api/v1/auth/register")
        .json(&json!({
            "username": "Alice_1",
            "email": "Alice_1@example.com",
            "password": TEST_PASSWORD,
        }))
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    let auth: Value = response.json();
    assert_eq!(auth["token_type"], "Bearer");
    assert_eq!(auth["expires_in"], 900, "access tokens live 15 minutes");
    assert_eq!(auth["user"]["username"], "Alice_1");
    assert_eq!(auth["user"]["role"], "user");
    assert!(auth["user"].get("password_hash").is_none());

    let (status, me) = me_status(
        &app,
        auth["access_token"].as_str().expect("an access token"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], auth["user"]["id"]);
    assert_eq!(me["email"], "Alice_1@example.com");

    let claims = claims_of(auth["access_token"].as_str().expect("an access token"));
    for claim in ["sub", "sid", "role", "iat", "exp", "iss", "aud", "jti"] {
        assert!(claims.get(claim).is_some(), "the token carries `{claim}`");
    }
    assert_eq!(claims["aud"], AUDIENCE);
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes() {
    let app = TestApp::spawn().await;
    app.register("hashed").await;
    let user = users::Entity::find()
        .filter(users::Column::UsernameKey.eq("hashed"))
        .one(app.db().reader())
        .await
        .expect("query")
        .expect("the user");
    let hash = user.password_hash.expect("a hash");
    assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
    assert!(!hash.contains(TEST_PASSWORD));
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
        .json(&json!({ "username": "no spaces!", "email": "not-an-email", "password": TEST_PASSWORD }))
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
            .json(&json!({ "username": username, "email": "x@example.com", "password": TEST_PASSWORD }))
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.problem().errors[0].field, "username", "{username}");
    }
}

#[tokio::test]
async fn a_username_or_email_taken_in_another_case_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.register("Carol").await;
    let response = app
        .post("/api/v1/auth/register")
        .json(&json!({ "username": "cAROL", "email": "other@example.com", "password": TEST_PASSWORD }))
        .send()
        .await;
    let problem = response.assert_problem(StatusCode::CONFLICT, "already_exists");
    assert_eq!(problem.errors[0].field, "username");

    let response = app
        .post("/api/v1/auth/register")
        .json(&json!({ "username": "carol2", "email": "CAROL@Example.COM", "password": TEST_PASSWORD }))
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
                "password": TEST_PASSWORD,
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
            "password": TEST_PASSWORD,
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
    app.register("Dave").await;
    for body in [
        json!({ "email": "DAVE@example.com", "password": TEST_PASSWORD }),
        json!({ "username": "dave", "password": TEST_PASSWORD }),
    ] {
        let response = app.post("/api/v1/auth/login").json(&body).send().await;
        response.assert_status(StatusCode::OK);
        let auth: Value = response.json();
        assert_eq!(auth["user"]["username"], "Dave");
        let token = TestUser::from_auth(&auth).access_token;
        assert_eq!(me_status(&app, &token).await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.register("erin").await;
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
        .json(&json!({ "password": TEST_PASSWORD }))
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_disabled_account_cannot_log_in() {
    let app = TestApp::spawn().await;
    let auth = app.register("frank").await;
    let id: Uuid = Some(auth.id.as_str())
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
        .json(&json!({ "username": "frank", "password": TEST_PASSWORD }))
        .send()
        .await;
    response.assert_problem(StatusCode::FORBIDDEN, "account_disabled");
    // A wrong password still says only "invalid credentials".
    let response = app
        .post("/api/v1/auth/login")
        .json(&json!({ "username": "frank", "password": "wrong password!" }))
        .send()
        .await;
    response.assert_status(StatusCode::UNAUTHORIZED);
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
            .json(&json!({ "username": username, "email": format!("r{i}@example.com"), "password": TEST_PASSWORD }))
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let problem = response.problem();
        assert_eq!(problem.errors[0].field, "username", "{username}");
        assert!(problem.errors[0].message.contains("reserved"), "{username}");
    }
    assert_eq!(app.count("users").await, 0);
    app.register("admiral").await;
}
