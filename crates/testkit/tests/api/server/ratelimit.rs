//! Rate limits: the general budget of `/api/v1`, budgets per client address, the API the
//! identity routes call, and budgets shared by every server that uses one Redis.
//!
//! The general budget counts every `/api/v1` request, so these tests use paths that answer 404:
//! the modules have no routes yet, and a 404 is still a request that spends the budget.

use std::time::Duration;

use agora_core::ApiError;
use agora_platform::AppState;
use agora_platform::ratelimit::{ClientIp, LoginAccount, RateLimitStatus};
use agora_testkit::proxy::TcpProxy;
use agora_testkit::{
    Server, StatusCode, TestApp, TestClient, TestResponse, test_redis, unique_redis_prefix,
};
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

use crate::support::assert_rate_limited;

const TRUST_LOCALHOST: (&str, &str) = ("AGORA_TRUSTED_PROXIES", "127.0.0.1,::1");

async fn get_as(app: &TestApp, path: &str, client: &str) -> TestResponse {
    app.get(path).header("x-forwarded-for", client).send().await
}

#[tokio::test]
async fn the_general_budget_answers_429_with_retry_after_and_ratelimit_headers() {
    let app = TestApp::builder()
        .env("AGORA_RATE_LIMIT_GENERAL", "3/1m")
        .spawn()
        .await;
    for remaining in ["2", "1", "0"] {
        let response = app.get("/api/v1/nothing-here").send().await;
        response.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(response.header("ratelimit-limit"), Some("3"));
        assert_eq!(response.header("ratelimit-remaining"), Some(remaining));
        assert!(response.header("ratelimit-reset").is_some());
    }
    let response = app.get("/api/v1/nothing-here").send().await;
    assert_rate_limited(&response, "3");
    assert!(
        response.header("x-request-id").is_some(),
        "a 429 goes through the whole stack"
    );
    // One request every 20 s: the next one is 20 s away.
    let retry_after: u64 = response
        .header("retry-after")
        .expect("set")
        .parse()
        .expect("n");
    assert!((19..=20).contains(&retry_after), "{retry_after}");

    // Outside /api/v1 nothing is counted: health checks and the docs never run out.
    for _ in 0..5 {
        let response = app.get("/health").send().await;
        response.assert_status(StatusCode::OK);
        assert_eq!(response.header("ratelimit-limit"), None);
    }
}

#[tokio::test]
async fn each_client_address_has_a_budget_of_its_own_behind_a_trusted_proxy() {
    let app = TestApp::builder()
        .env("AGORA_RATE_LIMIT_GENERAL", "2/1m")
        .env(TRUST_LOCALHOST.0, TRUST_LOCALHOST.1)
        .spawn()
        .await;
    for _ in 0..2 {
        get_as(&app, "/api/v1/x", "203.0.113.1")
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    assert_rate_limited(&get_as(&app, "/api/v1/x", "203.0.113.1").await, "2");
    // Another client behind the same proxy is not affected.
    let response = get_as(&app, "/api/v1/x", "203.0.113.2").await;
    response.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(response.header("ratelimit-remaining"), Some("1"));
    // A client cannot get a fresh budget by forging an address in front of the real one.
    let forged = get_as(&app, "/api/v1/x", "198.51.100.77, 203.0.113.1").await;
    assert_rate_limited(&forged, "2");
}

#[tokio::test]
async fn ipv6_clients_share_the_budget_of_their_64_network() {
    let app = TestApp::builder()
        .env("AGORA_RATE_LIMIT_GENERAL", "2/1m")
        .env(TRUST_LOCALHOST.0, TRUST_LOCALHOST.1)
        .spawn()
        .await;
    get_as(&app, "/api/v1/x", "2001:db8:1:2::1")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    get_as(&app, "/api/v1/x", "2001:db8:1:2::ffff")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_rate_limited(
        &get_as(&app, "/api/v1/x", "2001:db8:1:2:abcd::9").await,
        "2",
    );
    get_as(&app, "/api/v1/x", "2001:db8:1:3::1")
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_a_trusted_proxy_forwarded_for_does_not_give_a_new_budget() {
    let app = TestApp::builder()
        .env("AGORA_RATE_LIMIT_GENERAL", "2/1m")
        .spawn()
        .await;
    get_as(&app, "/api/v1/x", "203.0.113.1")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    get_as(&app, "/api/v1/x", "203.0.113.2")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_rate_limited(&get_as(&app, "/api/v1/x", "203.0.113.3").await, "2");
}

#[tokio::test]
async fn a_signed_in_user_has_a_general_budget_of_their_own() {
    let app = TestApp::builder()
        .env("AGORA_RATE_LIMIT_GENERAL", "3/1m")
        .spawn()
        .await;
    let registered = app
        .post("/api/v1/auth/register")
        .json(&json!({
            "username": "alice",
            "email": "alice@example.com",
            "password": "correct horse battery staple",
        }))
        .send()
        .await;
    registered.assert_status(StatusCode::CREATED);
    assert_eq!(
        registered.header("ratelimit-remaining"),
        Some("2"),
        "by address"
    );
    let token = registered.json::<Value>()["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();

    for remaining in ["2", "1", "0"] {
        let me = app.get("/api/v1/auth/me").bearer(&token).send().await;
        me.assert_status(StatusCode::OK);
        assert_eq!(me.header("ratelimit-remaining"), Some(remaining), "by user");
    }
    assert_rate_limited(&app.get("/api/v1/auth/me").bearer(&token).send().await, "3");

    // The address (anonymous requests) still has its own budget left ...
    let anonymous = app.get("/api/v1/x").send().await;
    assert_eq!(anonymous.header("ratelimit-remaining"), Some("1"));
    // ... and a made-up token counts against the address, not as a fresh user.
    let forged = app
        .get("/api/v1/auth/me")
        .bearer("made.up.token")
        .send()
        .await;
    forged.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(forged.header("ratelimit-remaining"), Some("0"));
}

/// Stand-ins for the identity routes, calling the API those routes will call.
fn identity_like_routes(state: &AppState) -> Router {
    async fn login(
        State(state): State<AppState>,
        client: ClientIp,
        axum::Json(body): axum::Json<Value>,
    ) -> Result<(RateLimitStatus, &'static str), ApiError> {
        let account = body["username"].as_str().unwrap_or_default();
        let limiter = state.rate_limiter();
        let by_address = limiter.check_login_address(client).await?;
        let check = limiter
            .check_login_account(client, &LoginAccount::Unknown(account.to_owned()))
            .await?;
        check.account_wide?;
        Ok((by_address.tighter(check.status), "checked the password"))
    }
    async fn register(
        State(state): State<AppState>,
        client: ClientIp,
    ) -> Result<(StatusCode, RateLimitStatus, &'static str), ApiError> {
        let status = state.rate_limiter().check_register(client).await?;
        Ok((StatusCode::CREATED, status, "registered"))
    }
    async fn reset(
        State(state): State<AppState>,
        client: ClientIp,
        axum::Json(body): axum::Json<Value>,
    ) -> Result<(StatusCode, RateLimitStatus, &'static str), ApiError> {
        let email = body["email"].as_str().unwrap_or_default();
        let status = state
            .rate_limiter()
            .check_password_reset(client, email)
            .await?;
        Ok((
            StatusCode::ACCEPTED,
            status,
            "an email is on its way if the account exists",
        ))
    }
    let routes = Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/register", post(register))
        .route("/api/v1/auth/request-password-reset", post(reset))
        .with_state(state.clone());
    let routes = agora::middleware::with_state_layers(routes, state, Default::default());
    agora::middleware::apply(routes, state.config())
}

async fn identity_like_server(app: &TestApp) -> (Server, TestClient) {
    let state = app.state().clone();
    let router = identity_like_routes(&state);
    let server = Server::start(
        agora::app::Assembly::default()
            .app(state, router)
            .expect("the app"),
    )
    .await;
    let client = TestClient::new(server.address);
    (server, client)
}

#[tokio::test]
async fn login_is_limited_per_client_address_and_per_account_and_network() {
    let app = TestApp::builder()
        .env("AGORA_RATE_LIMIT_LOGIN", "2/15m")
        .env(TRUST_LOCALHOST.0, TRUST_LOCALHOST.1)
        .spawn()
        .await;
    let (_server, client) = identity_like_server(&app).await;
    let login = |from: &'static str, username: &'static str| {
        client
            .post("/api/v1/auth/login")
            .header("x-forwarded-for", from)
            .json(&json!({ "username": username, "password": "wrong" }))
            .send()
    };
    let response = login("203.0.113.1", "alice").await;
    response.assert_status(StatusCode::OK);
    // The route's budget is tighter than the general one, so its headers are the ones shown.
    assert_eq!(response.header("ratelimit-limit"), Some("2"));
    assert_eq!(response.header("ratelimit-remaining"), Some("1"));
    login("203.0.113.2", "Alice")
        .await
        .assert_status(StatusCode::OK);
    // Alice's account is out of attempts from that network (203.0.113.0/24) ...
    assert_rate_limited(&login("203.0.113.3", "alice").await, "2");
    // ... not from another one;
    login("198.51.100.1", "alice")
        .await
        .assert_status(StatusCode::OK);
    // and 203.0.113.1 runs out after its second attempt, whatever the account.
    login("203.0.113.1", "bob")
        .await
        .assert_status(StatusCode::OK);
    assert_rate_limited(&login("203.0.113.1", "carol").await, "2");
}

#[tokio::test]
async fn registration_and_password_reset_have_their_own_budgets() {
    let app = TestApp::builder()
        .env("AGORA_RATE_LIMIT_REGISTER", "1/1h")
        .env("AGORA_RATE_LIMIT_PASSWORD_RESET", "2/1h")
        .env(TRUST_LOCALHOST.0, TRUST_LOCALHOST.1)
        .spawn()
        .await;
    let (_server, client) = identity_like_server(&app).await;
    let register = |from: &'static str| {
        client
            .post("/api/v1/auth/register")
            .header("x-forwarded-for", from)
            .send()
    };
    let response = register("203.0.113.1").await;
    response.assert_status(StatusCode::CREATED);
    assert_eq!(response.header("ratelimit-remaining"), Some("0"));
    assert_rate_limited(&register("203.0.113.1").await, "1");
    register("203.0.113.2")
        .await
        .assert_status(StatusCode::CREATED);

    let reset = |from: &'static str, email: &'static str| {
        client
            .post("/api/v1/auth/request-password-reset")
            .header("x-forwarded-for", from)
            .json(&json!({ "email": email }))
            .send()
    };
    reset("203.0.113.1", "a@example.com")
        .await
        .assert_status(StatusCode::ACCEPTED);
    reset("203.0.113.2", "A@Example.com")
        .await
        .assert_status(StatusCode::ACCEPTED);
    assert_rate_limited(&reset("203.0.113.3", "a@example.com").await, "2");
    reset("203.0.113.3", "b@example.com")
        .await
        .assert_status(StatusCode::ACCEPTED);
}

#[tokio::test]
async fn two_servers_sharing_one_redis_share_the_budget() {
    let Some(redis_url) = test_redis().await else {
        return;
    };
    let prefix = unique_redis_prefix();
    let spawn = |prefix: String| {
        TestApp::builder()
            .env("REDIS_URL", redis_url.as_str())
            .env("AGORA_REDIS_PREFIX", prefix)
            .env("AGORA_RATE_LIMIT_GENERAL", "3/1m")
            .spawn()
    };
    let a = spawn(prefix.clone()).await;
    let b = spawn(prefix.clone()).await;
    assert!(a.state().rate_limiter().is_shared());

    for remaining in ["2", "1", "0"] {
        let response = a.get("/api/v1/x").send().await;
        response.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(response.header("ratelimit-remaining"), Some(remaining));
    }
    // The budget spent on A is gone on B too.
    assert_rate_limited(&b.get("/api/v1/x").send().await, "3");

    // A deployment with another prefix on the same Redis counts on its own.
    let other = spawn(unique_redis_prefix()).await;
    other
        .get("/api/v1/x")
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // Its keys carry the prefix, and expire by themselves.
    let redis = b.state().redis().expect("configured");
    let key = redis.key("rl:general:ip:127.0.0.1");
    assert!(key.starts_with(&prefix), "{key}");
    let mut connection = redis.connection();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut connection)
        .await
        .expect("PTTL");
    assert!(ttl > 0 && ttl <= 60_000, "ttl {ttl} ms");
}

#[tokio::test]
async fn the_shared_budget_follows_the_gcra_of_the_in_process_one() {
    let Some(redis_url) = test_redis().await else {
        return;
    };
    let app = TestApp::builder()
        .env("REDIS_URL", redis_url.as_str())
        .env("AGORA_REDIS_PREFIX", unique_redis_prefix())
        .env("AGORA_RATE_LIMIT_GENERAL", "2/1s")
        .spawn()
        .await;
    let first = app.get("/api/v1/x").send().await;
    assert_eq!(first.header("ratelimit-remaining"), Some("1"));
    assert_eq!(first.header("ratelimit-reset"), Some("1"), "rounded up");
    app.get("/api/v1/x")
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let refused = app.get("/api/v1/x").send().await;
    assert_rate_limited(&refused, "2");
    assert_eq!(refused.header("retry-after"), Some("1"));
    // One request is replenished every 500 ms.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let again = app.get("/api/v1/x").send().await;
    again.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(again.header("ratelimit-remaining"), Some("0"));
}

#[tokio::test]
async fn while_redis_is_down_refused_clients_stay_refused_others_get_a_share_and_sharing_resumes() {
    let Some(redis_url) = test_redis().await else {
        return;
    };
    // The server reaches Redis through a proxy the test can cut.
    let target = format!(
        "{}:{}",
        redis_url.host_str().unwrap_or("127.0.0.1"),
        redis_url.port().unwrap_or(6379)
    );
    let proxy = TcpProxy::start(target).await;
    let mut through_proxy = redis_url.clone();
    through_proxy
        .set_port(Some(proxy.address().port()))
        .expect("a port can be set");
    through_proxy
        .set_host(Some(&proxy.address().ip().to_string()))
        .expect("a host can be set");
    let app = TestApp::builder()
        .env("REDIS_URL", through_proxy.as_str())
        .env("AGORA_REDIS_PREFIX", unique_redis_prefix())
        .env("AGORA_RATE_LIMIT_GENERAL", "4/1m")
        .env("AGORA_RATE_LIMIT_FALLBACK_INSTANCES", "2")
        .env("AGORA_HEALTH_TIMEOUT", "500ms")
        .env(TRUST_LOCALHOST.0, TRUST_LOCALHOST.1)
        .spawn()
        .await;
    let ready = app.get("/health/ready").send().await;
    ready.assert_status(StatusCode::OK);
    assert_eq!(ready.json::<Value>()["checks"]["cache"]["status"], "up");
    for _ in 0..4 {
        app.get("/api/v1/x")
            .send()
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    assert_rate_limited(&app.get("/api/v1/x").send().await, "4");

    proxy.cut();
    // Not a 500, not a hang, and not a fresh budget: the client Redis refused stays refused.
    let started = std::time::Instant::now();
    let response = app.get("/api/v1/x").send().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_rate_limited(&response, "2");
    assert!(
        response
            .header("retry-after")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|s| s >= 10),
        "refused until its wait is over: {:?}",
        response.header("retry-after")
    );
    // Another client counts on this instance alone, with half the budget (2 instances).
    let other = |n: u32| {
        app.get("/api/v1/x")
            .header("x-forwarded-for", &format!("198.51.100.{n}"))
            .send()
    };
    other(1).await.assert_status(StatusCode::NOT_FOUND);
    other(1).await.assert_status(StatusCode::NOT_FOUND);
    assert_rate_limited(&other(1).await, "2");
    let ready = app.get("/health/ready").send().await;
    ready.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    let problem = ready.problem();
    assert!(problem.detail.contains("cache"), "{}", problem.detail);
    assert_eq!(problem.extensions["checks"]["cache"]["status"], "down");
    assert_eq!(problem.extensions["checks"]["database"]["status"], "up");

    proxy.restore();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    while tokio::time::Instant::now() < deadline {
        status = app.get("/health/ready").send().await.status;
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, StatusCode::OK, "/health/ready did not recover");
    // The shared budget, spent before the outage, applies again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_rate_limited(&app.get("/api/v1/x").send().await, "4");
}

#[tokio::test]
async fn a_server_starts_and_serves_when_redis_is_unreachable() {
    // A port nothing listens on: bound, then released.
    let unused = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = unused.local_addr().expect("bound").port();
    drop(unused);
    let app = TestApp::builder()
        .env("REDIS_URL", format!("redis://127.0.0.1:{port}"))
        .env("AGORA_HEALTH_TIMEOUT", "500ms")
        .spawn()
        .await;
    let response = app.get("/api/v1/x").send().await;
    response.assert_status(StatusCode::NOT_FOUND);
    assert!(response.header("ratelimit-limit").is_some());
    let ready = app.get("/health/ready").send().await;
    ready.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.problem().extensions["checks"]["cache"]["status"],
        "down"
    );
}
