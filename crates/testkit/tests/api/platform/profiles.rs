//! Profiles: `/users/me` and its field rules, public profiles with counters, onboarding with
//! the country from a real geolocation provider (an HTTP server and a MaxMind-format file).

use std::time::Duration;

use agora_core::UserId;
use agora_platform::profiles::{self, Counter};
use agora_testkit::{Server, TestApp, TestUser};
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

async fn me(app: &TestApp, user: &TestUser) -> Value {
    let response = app
        .get("/api/v1/users/me")
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

async fn patch_me(app: &TestApp, user: &TestUser, body: Value) -> (u16, Value) {
    let response = app
        .patch("/api/v1/users/me")
        .bearer(&user.access_token)
        .json(&body)
        .send()
        .await;
    (response.status.as_u16(), response.json())
}

#[tokio::test]
async fn a_user_edits_the_profile_within_its_rules() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let fresh = me(&app, &alice).await;
    assert_eq!(fresh["username"], "alice");
    assert_eq!(fresh["bio"], Value::Null);
    assert_eq!(fresh["interests"], json!([]));
    assert_eq!(fresh["onboarded"], false);
    assert_eq!(
        fresh["counts"],
        json!({ "followers": 0, "following": 0, "posts": 0 })
    );

    let (status, body) = patch_me(
        &app,
        &alice,
        json!({
            "display_name": "  Alice A. ",
            "bio": "Options, mostly.",
            "website": "https://alice.example",
            "location": "Wellington",
            "interests": ["Options", "ETFs", "options"],
            "timezone": "Pacific/Auckland",
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["display_name"], "Alice A.");
    assert_eq!(body["bio"], "Options, mostly.");
    assert_eq!(body["interests"], json!(["options", "etfs"]));
    assert_eq!(body["timezone"], "Pacific/Auckland");

    // Left out: kept. Null: cleared.
    let (status, body) = patch_me(&app, &alice, json!({ "bio": null, "website": null })).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&body["bio"], &body["website"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(body["location"], "Wellington");
    assert_eq!(body["display_name"], "Alice A.");

    // Every broken rule is listed at once, and nothing is written.
    let (status, body) = patch_me(
        &app,
        &alice,
        json!({
            "display_name": "x".repeat(51),
            "bio": "x".repeat(161),
            "website": "javascript:alert(1)",
            "interests": (0..11).map(|n| format!("topic{n}")).collect::<Vec<_>>(),
            "timezone": "Mars/Olympus",
        }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["bio", "display_name", "interests", "timezone", "website"]
    );
    assert_eq!(me(&app, &alice).await["location"], "Wellington");
    let (status, _) = patch_me(&app, &alice, json!({ "favourite_colour": "blue" })).await;
    assert_eq!(status, 422);
    let response = app.get("/api/v1/users/me").send().await;
    assert_eq!(response.status, 401);
}

#[tokio::test]
async fn anyone_sees_a_public_profile_by_id_or_username_with_its_counters() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let bob = app.register("Bob_Trader").await;
    let (status, _) = patch_me(&app, &bob, json!({ "bio": "Long only." })).await;
    assert_eq!(status, 200);
    let bob_id: UserId = bob.id.parse().expect("an id");
    let now = agora_core::time::now();
    for (counter, delta) in [
        (Counter::Followers, 1),
        (Counter::Followers, 1),
        (Counter::Posts, 3),
        (Counter::Posts, -1),
        (Counter::Following, -5),
    ] {
        profiles::adjust_counter(app.db().writer(), bob_id, counter, delta, now)
            .await
            .expect("counted");
    }

    for path in [bob.id.clone(), "bob_trader".into(), "BOB_TRADER".into()] {
        let response = app.get(&format!("/api/v1/users/{path}")).send().await;
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        let profile: Value = response.json();
        assert_eq!(profile["username"], "Bob_Trader");
        assert_eq!(profile["bio"], "Long only.");
        assert_eq!(
            profile["counts"],
            json!({ "followers": 2, "following": 0, "posts": 2 })
        );
        // Private: neither the email nor where onboarding placed them.
        assert!(
            profile.get("email").is_none() && profile.get("country").is_none(),
            "{profile}"
        );
    }
    for missing in ["nobody", "not a name!", &uuid::Uuid::now_v7().to_string()] {
        let response = app.get(&format!("/api/v1/users/{missing}")).send().await;
        assert_eq!(response.status, 404, "{missing}");
    }

    let response = app
        .post(&format!("/api/v1/admin/users/{}/disable", bob.id))
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "spam" }))
        .send()
        .await;
    assert_eq!(response.status, 200);
    let response = app.get("/api/v1/users/bob_trader").send().await;
    assert_eq!(response.status, 404);
}

/// An ipapi-compatible provider on a local port: `/{ip}/json/` answers the country of a few
/// documentation addresses, fails for `203.0.113.66`, and stalls for `203.0.113.99`.
async fn geolocation_server() -> (tokio::task::JoinHandle<()>, String) {
    let router = Router::new().route(
        "/{ip}/json/",
        get(
            |axum::extract::Path(ip): axum::extract::Path<String>| async move {
                match ip.as_str() {
                    "203.0.113.7" => (
                        axum::http::StatusCode::OK,
                        r#"{"ip":"203.0.113.7","country_code":"nz"}"#,
                    ),
                    "203.0.113.8" => (
                        axum::http::StatusCode::OK,
                        r#"{"status":"success","countryCode":"DE"}"#,
                    ),
                    "203.0.113.99" => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        (axum::http::StatusCode::OK, r#"{"country_code":"XX"}"#)
                    }
                    _ => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "oops"),
                }
            },
        ),
    );
    let (address, task) = Server::start_router(router).await;
    (task, format!("http://{address}/{{ip}}/json/"))
}

async fn onboard(app: &TestApp, user: &TestUser, from: &str, body: Value) -> (u16, Value) {
    let response = app
        .post("/api/v1/users/me/onboarding")
        .bearer(&user.access_token)
        .header("X-Forwarded-For", from)
        .json(&body)
        .send()
        .await;
    (response.status.as_u16(), response.json())
}

#[tokio::test]
async fn onboarding_sets_the_time_zone_and_the_country_of_the_address_from_an_http_provider() {
    let (_provider, url) = geolocation_server().await;
    let app = TestApp::builder()
        .env("AGORA_TRUSTED_PROXIES", "127.0.0.1")
        .env("AGORA_GEOIP_URL", url)
        .env("AGORA_GEOIP_TIMEOUT", "300ms")
        .spawn()
        .await;
    let carol = app.register("carol").await;
    let (status, body) = onboard(
        &app,
        &carol,
        "203.0.113.7",
        json!({ "timezone": "Pacific/Auckland", "username": "carol_nz" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            &body["country"],
            &body["timezone"],
            &body["username"],
            &body["onboarded"]
        ),
        (
            &json!("NZ"),
            &json!("Pacific/Auckland"),
            &json!("carol_nz"),
            &json!(true)
        )
    );
    // The address itself is nowhere; its keyed hash is.
    assert_eq!(
        app.count("profiles WHERE ip_hash LIKE '%203.0.113%'").await,
        0
    );
    assert_eq!(app.count("profiles WHERE length(ip_hash) = 64").await, 1);

    let (_, body) = onboard(
        &app,
        &carol,
        "203.0.113.8",
        json!({ "timezone": "Europe/Berlin" }),
    )
    .await;
    assert_eq!(body["country"], "DE");

    // A failing provider, a stalling one, and a private address: no country, no failure.
    for from in ["203.0.113.66", "203.0.113.99", "10.0.0.1"] {
        let started = std::time::Instant::now();
        let (status, body) = onboard(&app, &carol, from, json!({ "timezone": "UTC" })).await;
        assert_eq!(status, 200, "{from}: {body}");
        assert_eq!(body["country"], Value::Null, "{from}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{from}: {:?}",
            started.elapsed()
        );
    }

    // Bad input, and a username someone has.
    app.register("dave").await;
    for (body, expected) in [
        (json!({ "timezone": "Mars/Olympus" }), 422),
        (json!({ "timezone": "UTC", "username": "no spaces" }), 422),
        (json!({ "timezone": "UTC", "username": "DAVE" }), 409),
        (json!({ "username": "carol" }), 422),
    ] {
        let (status, answer) = onboard(&app, &carol, "203.0.113.7", body.clone()).await;
        assert_eq!(status, expected, "{body}: {answer}");
    }
}

#[tokio::test]
async fn onboarding_reads_the_country_from_a_maxmind_database_file() {
    // 203.0.113.0/24 is NZ, 2001:db8::/32 is DE; how it was made: fixtures/README.md.
    let database = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("geoip-country.mmdb");
    assert!(
        database.is_file(),
        "the test database {} is missing (see crates/testkit/fixtures/README.md)",
        database.display()
    );
    let app = TestApp::builder()
        .env("AGORA_TRUSTED_PROXIES", "127.0.0.1")
        .env("AGORA_GEOIP_DATABASE", database.display().to_string())
        .spawn()
        .await;
    let erin = app.register("erin").await;
    for (from, country) in [
        ("203.0.113.200", json!("NZ")),
        ("2001:db8::5", json!("DE")),
        ("198.51.100.1", Value::Null),
    ] {
        let (status, body) = onboard(&app, &erin, from, json!({ "timezone": "UTC" })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["country"], country, "{from}");
    }

    // A database that cannot be read stops the start.
    let database = agora_testkit::TestDatabase::create().await;
    let config = TestApp::builder()
        .env("AGORA_GEOIP_DATABASE", "/nonexistent/country.mmdb")
        .config(&database);
    let err = agora::build(config, true)
        .await
        .err()
        .expect("the start fails");
    assert!(
        format!("{err:#}").contains("geolocation database"),
        "{err:#}"
    );
}
