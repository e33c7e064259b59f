//! Analytics (`/api/v1/metrics/...`): activity recorded in batches, the roll-ups on a known
//! fixture (10 users over 30 days, whose DAU, WAU, MAU and retention are counted by hand
//! below), the export in CSV and JSON, the guards and the ranges.

use std::collections::BTreeMap;

use agora_platform::analytics::{self, rollup};
use agora_platform::entities::{user_activity, users};
use agora_testkit::{StatusCode, TestApp, TestUser};
use chrono::{NaiveDate, NaiveTime, TimeDelta};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

fn today() -> NaiveDate {
    agora_core::time::now().date_naive()
}

async fn get(app: &TestApp, user: &TestUser, path: &str) -> agora_testkit::TestResponse {
    app.get(path).bearer(&user.access_token).send().await
}

async fn get_ok(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let response = get(app, user, path).await;
    response.assert_status(StatusCode::OK);
    response.json()
}

/// The fixture's first day: 35 days ago, so that day 31 (the last with activity) is past and
/// every cohort's day 30 has come.
fn day0() -> NaiveDate {
    today() - TimeDelta::days(35)
}

fn day(n: i64) -> NaiveDate {
    day0() + TimeDelta::days(n)
}

/// Who is active on which day of the fixture (days from `day0`). Users 0–4 sign up on day 0,
/// users 5–9 on day 1; each is active on their signup day, and:
/// - day 1 (D1 of the first cohort): 0, 1, 2;  day 2 (D1 of the second): 5;
/// - day 7 (D7 of the first): 0, 1;            day 8 (D7 of the second): 5, 6, 7;
/// - day 20: 9;  day 25: 4;
/// - day 30 (D30 of the first): 0;             day 31 (D30 of the second): nobody.
const ACTIVE: &[(i64, &[usize])] = &[
    (0, &[0, 1, 2, 3, 4]),
    (1, &[0, 1, 2, 5, 6, 7, 8, 9]),
    (2, &[5]),
    (7, &[0, 1]),
    (8, &[5, 6, 7]),
    (20, &[9]),
    (25, &[4]),
    (30, &[0]),
];

/// The fixture: 10 accounts with chosen signup days, their activity written to the store, and
/// the roll-ups of days 0–31 computed.
async fn fixture(app: &TestApp) {
    let mut ids = Vec::new();
    for n in 0..10 {
        let user = app.register(&format!("member{n}")).await;
        let id: uuid::Uuid = user.id.parse().expect("a uuid");
        let signup = if n < 5 { day(0) } else { day(1) };
        let at = signup
            .and_time(NaiveTime::from_hms_opt(9, n, 0).expect("a time"))
            .and_utc();
        users::Entity::update_many()
            .col_expr(users::Column::CreatedAt, Expr::value(at))
            .filter(users::Column::Id.eq(id))
            .exec(app.db().writer())
            .await
            .expect("the signup day is set");
        ids.push(id);
    }
    for (n, who) in ACTIVE {
        for user in *who {
            let at = day(*n)
                .and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("a time"))
                .and_utc();
            user_activity::Entity::insert(user_activity::ActiveModel {
                user_id: Set(ids[*user]),
                day: Set(day(*n)),
                requests: Set(3),
                first_seen_at: Set(at),
                last_seen_at: Set(at),
            })
            .exec_without_returning(app.db().writer())
            .await
            .expect("the activity is written");
        }
    }
    rollup::refresh(app.state(), day(0), day(31), agora_core::time::now())
        .await
        .expect("the roll-ups are computed");
}

fn series_day(series: &Value, day: NaiveDate) -> &Value {
    series["days"]
        .as_array()
        .expect("days")
        .iter()
        .find(|d| d["day"] == day.to_string())
        .unwrap_or_else(|| panic!("no {day} in {series}"))
}

#[tokio::test]
async fn dau_wau_mau_and_retention_of_a_known_fixture_are_the_hand_counted_ones() {
    let app = TestApp::spawn().await;
    let admin = app.admin("boss").await;
    fixture(&app).await;

    let users = get_ok(
        &app,
        &admin,
        &format!("/api/v1/metrics/users?from={}&to={}", day(0), day(31)),
    )
    .await;
    assert_eq!(users["days"].as_array().expect("days").len(), 32);
    // (day, DAU, WAU, MAU, signups, accounts at its end)
    let expected = [
        (0, 5, 5, 5, 5, 5),
        (1, 8, 10, 10, 5, 10),
        (2, 1, 10, 10, 0, 10),
        // days 1–7: the 8 of day 1 (0, 1, 2 and 5–9); 3 and 4 last came on day 0.
        (7, 2, 8, 10, 0, 10),
        // days 2–8: 5 (days 2 and 8), 0 and 1 (day 7), 6 and 7 (day 8).
        (8, 3, 5, 10, 0, 10),
        // days 24–30: 4 and 0; days 1–30: everyone but 3, who came on day 0 only.
        (30, 1, 2, 9, 0, 10),
        // days 25–31: 4 and 0; days 2–31: 0, 1, 4, 5, 6, 7, 9.
        (31, 0, 2, 7, 0, 10),
    ];
    for (n, dau, wau, mau, signups, total) in expected {
        let row = series_day(&users, day(n));
        assert_eq!(
            (
                row["dau"].as_i64(),
                row["wau"].as_i64(),
                row["mau"].as_i64()
            ),
            (Some(dau), Some(wau), Some(mau)),
            "DAU, WAU, MAU of day {n}: {row}"
        );
        assert_eq!(row["signups"], signups, "day {n}");
        assert_eq!(row["users_total"], total, "day {n}");
    }
    // A cohort per signup day of the range, empty ones included.
    let cohorts = users["cohorts"].as_array().expect("cohorts");
    assert_eq!(cohorts.len(), 32);
    assert!(cohorts[2..].iter().all(|c| c["size"] == 0), "{cohorts:?}");
    // The first cohort: 5 accounts; 3 back on day 1, 2 on day 7, 1 on day 30.
    assert_eq!(cohorts[0]["cohort_day"], day(0).to_string());
    assert_eq!(cohorts[0]["size"], 5);
    assert_eq!(
        (&cohorts[0]["d1"], &cohorts[0]["d7"], &cohorts[0]["d30"]),
        (&json!(3), &json!(2), &json!(1))
    );
    assert_eq!(cohorts[0]["d7_rate"], json!(0.4), "D7 retention: 2 of 5");
    // The second: 1 back on its day 1 (day 2), 3 on its day 7 (day 8), none on day 30 (31).
    assert_eq!(cohorts[1]["cohort_day"], day(1).to_string());
    assert_eq!(
        (&cohorts[1]["d1"], &cohorts[1]["d7"], &cohorts[1]["d30"]),
        (&json!(1), &json!(3), &json!(0))
    );
    assert_eq!(cohorts[1]["d7_rate"], json!(0.6));

    let dashboard = get_ok(
        &app,
        &admin,
        &format!("/api/v1/metrics/dashboard?day={}", day(30)),
    )
    .await;
    assert_eq!(dashboard["dau"], 1);
    assert_eq!(dashboard["wau"], 2);
    assert_eq!(dashboard["mau"], 9);
    assert_eq!(dashboard["dau_mau"], json!(1.0 / 9.0));
    assert_eq!(dashboard["users_total"], 10);
    assert!(dashboard["refreshed_at"].is_string());
    // Dn over the cohorts of the 30 signup days ending n days before day 30: D1 and D7 take
    // both cohorts ((3 + 1) / 10, (2 + 3) / 10), D30 only the first (days -29 to 0): 1 / 5.
    assert_eq!(dashboard["retention"]["d1"], json!(4.0 / 10.0));
    assert_eq!(dashboard["retention"]["d7"], json!(5.0 / 10.0));
    assert_eq!(dashboard["retention"]["d30"], json!(1.0 / 5.0));

    let growth = get_ok(
        &app,
        &admin,
        &format!("/api/v1/metrics/growth?from={}&to={}", day(0), day(2)),
    )
    .await;
    assert_eq!(growth["signups"], 10);
    assert_eq!(series_day(&growth, day(1))["users_total"], 10);
}

#[tokio::test]
async fn a_day_not_yet_rolled_up_answers_zeros_and_no_refresh_time() {
    let app = TestApp::spawn().await;
    let admin = app.admin("boss").await;
    let dashboard = get_ok(&app, &admin, "/api/v1/metrics/dashboard?day=2001-01-01").await;
    assert_eq!(dashboard["dau"], 0);
    assert_eq!(dashboard["mau"], 0);
    assert_eq!(dashboard["dau_mau"], json!(0.0));
    assert_eq!(dashboard["refreshed_at"], Value::Null);
}

/// `text` parsed by the `csv` crate: one map of column → value per row.
fn parse_csv(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("a header line").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("a CSV record");
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// A JSON row as the CSV holds it: every value as text.
fn as_text(row: &Value) -> BTreeMap<String, String> {
    row.as_object()
        .expect("an object")
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

#[tokio::test]
async fn the_csv_export_parsed_back_equals_the_json_export_across_pages() {
    let app = TestApp::spawn().await;
    let admin = app.admin("boss").await;
    fixture(&app).await;
    // 130 days in all: more than one page of the export (100 days).
    rollup::refresh(app.state(), day(-98), day(-1), agora_core::time::now())
        .await
        .expect("the roll-ups are computed");

    let range = format!("from={}&to={}", day(-98), day(31));
    let csv = get(
        &app,
        &admin,
        &format!("/api/v1/metrics/export?format=csv&{range}"),
    )
    .await;
    csv.assert_status(StatusCode::OK);
    assert!(
        csv.header("content-type")
            .is_some_and(|t| t.starts_with("text/csv")),
        "{:?}",
        csv.header("content-type")
    );
    let json = get(
        &app,
        &admin,
        &format!("/api/v1/metrics/export?format=json&{range}"),
    )
    .await;
    json.assert_status(StatusCode::OK);
    let json: Value = json.json();
    let json = json["items"].as_array().expect("items");

    let rows = parse_csv(&csv.text());
    assert_eq!(rows.len(), 130);
    assert_eq!(json.len(), 130);
    let from_json: Vec<BTreeMap<String, String>> = json.iter().map(as_text).collect();
    assert_eq!(rows, from_json);
    // Oldest first, one row per day, with the module's counters as columns.
    assert_eq!(rows[0]["day"], day(-98).to_string());
    assert_eq!(rows[129]["day"], day(31).to_string());
    let day1 = &rows[99];
    assert_eq!(day1["day"], day(1).to_string());
    assert_eq!(day1["dau"], "8");
    assert_eq!(day1["requests"], "24", "3 requests for each of 8 users");
    for column in ["posts", "comments", "likes"] {
        assert_eq!(day1.get(column).map(String::as_str), Some("0"), "{column}");
    }
}

#[tokio::test]
async fn an_empty_export_is_a_header_or_an_empty_array() {
    let app = TestApp::spawn().await;
    let admin = app.admin("boss").await;
    let csv = get(
        &app,
        &admin,
        "/api/v1/metrics/export?from=2001-01-01&to=2001-01-31",
    )
    .await;
    csv.assert_status(StatusCode::OK);
    assert_eq!(
        csv.text().trim_end(),
        "day,dau,wau,mau,signups,users_total,requests,posts,comments,likes"
    );
    let json = get_ok(
        &app,
        &admin,
        "/api/v1/metrics/export?format=json&from=2001-01-01&to=2001-01-31",
    )
    .await;
    assert_eq!(json, json!({ "items": [] }));
}

#[tokio::test]
async fn many_requests_of_one_user_on_one_day_are_one_activity_row_with_their_count() {
    let app = TestApp::spawn().await;
    let user = app.register("busy").await;
    for _ in 0..7 {
        get(&app, &user, "/api/v1/auth/me")
            .await
            .assert_status(StatusCode::OK);
    }
    analytics::flush(app.state()).await.expect("written");
    let id: uuid::Uuid = user.id.parse().expect("a uuid");
    let rows = async || {
        user_activity::Entity::find()
            .filter(user_activity::Column::UserId.eq(id))
            .all(app.db().reader())
            .await
            .expect("read")
    };
    let written = rows().await;
    assert_eq!(written.len(), 1);
    assert_eq!((written[0].requests, written[0].day), (7, today()));
    // A later batch adds to the same row.
    for _ in 0..3 {
        get(&app, &user, "/api/v1/auth/me").await;
    }
    analytics::flush(app.state()).await.expect("written");
    let written = rows().await;
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].requests, 10);
    assert!(written[0].first_seen_at < written[0].last_seen_at);
    // Requests without a token are not anyone's activity, but are the route's.
    app.get("/api/v1/auth/me").send().await;
    analytics::flush(app.state()).await.expect("written");
    assert_eq!(app.count("user_activity").await, 1);
    assert_eq!(
        app.count("route_stats WHERE route = '/api/v1/auth/me' AND requests = 11")
            .await,
        1,
        "one row per route and hour, the raw path never stored"
    );
}

#[tokio::test]
async fn the_flushing_task_writes_activity_without_being_asked() {
    let app = TestApp::spawn().await;
    let user = app.register("patient").await;
    get(&app, &user, "/api/v1/auth/me").await;
    agora_testkit::eventually(
        std::time::Duration::from_secs(15),
        "the activity row",
        async || (app.count("user_activity").await == 1).then_some(()),
    )
    .await;
}

#[tokio::test]
async fn health_shows_requests_errors_and_latency_per_route_template() {
    let app = TestApp::spawn().await;
    let admin = app.admin("boss").await;
    let user = app.register("reader").await;
    for _ in 0..4 {
        get(&app, &user, &format!("/api/v1/users/{}", user.id)).await;
    }
    analytics::flush(app.state()).await.expect("written");
    let health = get_ok(&app, &admin, "/api/v1/metrics/health?hours=2").await;
    let routes = health["routes"].as_array().expect("routes");
    let profile = routes
        .iter()
        .find(|r| r["route"] == "/api/v1/users/{user_id}" && r["method"] == "GET")
        .unwrap_or_else(|| panic!("the profile route in {health}"));
    assert_eq!(profile["requests"], 4);
    assert_eq!(profile["errors"], 0);
    assert_eq!(profile["error_rate"], json!(0.0));
    assert!(
        profile["p50_ms"].is_u64() && profile["p95_ms"].is_u64(),
        "{profile}"
    );
    assert!(
        !routes
            .iter()
            .any(|r| r["route"].as_str().is_some_and(|p| p.contains(&user.id))),
        "no raw path"
    );
}

#[tokio::test]
async fn engagement_counts_a_modules_rows_per_active_user() {
    let app = TestApp::spawn().await;
    let admin = app.admin("boss").await;
    let author = app.register("author").await;
    for content in ["first $ACME", "second"] {
        app.post("/api/v1/posts")
            .bearer(&author.access_token)
            .json(&json!({ "content": content }))
            .send()
            .await
            .assert_status(StatusCode::CREATED);
    }
    analytics::flush(app.state()).await.expect("written");
    let now = agora_core::time::now();
    rollup::refresh(app.state(), today(), today(), now)
        .await
        .expect("refreshed");
    let engagement = get_ok(&app, &admin, "/api/v1/metrics/engagement?days=1").await;
    assert_eq!(
        engagement["counters"],
        json!(["posts", "comments", "likes"])
    );
    let day = series_day(&engagement, today());
    assert_eq!(day["active_users"], 1, "the author");
    assert_eq!(day["counts"]["posts"], 2);
    assert_eq!(day["per_active_user"]["posts"], json!(2.0));
    assert_eq!(day["counts"]["likes"], 0);

    let trending = get_ok(&app, &admin, "/api/v1/metrics/trending").await;
    let posts = trending["trends"]
        .as_array()
        .expect("trends")
        .iter()
        .find(|t| t["name"] == "posts")
        .cloned()
        .expect("posts");
    assert_eq!(posts["current"], 2);
    assert_eq!(posts["previous"], 0);
    assert_eq!(posts["change"], Value::Null);
}

const ROUTES: &[&str] = &[
    "/api/v1/metrics/dashboard",
    "/api/v1/metrics/users",
    "/api/v1/metrics/engagement",
    "/api/v1/metrics/growth",
    "/api/v1/metrics/health",
    "/api/v1/metrics/trending",
    "/api/v1/metrics/export",
];

#[tokio::test]
async fn only_admins_see_the_metrics() {
    let app = TestApp::spawn().await;
    let user = app.register("curious").await;
    for route in ROUTES {
        get(&app, &user, route)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        app.get(route)
            .send()
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn reversed_overlong_or_doubly_given_ranges_are_422() {
    let app = TestApp::spawn().await;
    let admin = app.admin("boss").await;
    let refused = [
        "/api/v1/metrics/users?from=2026-03-10&to=2026-03-09",
        "/api/v1/metrics/engagement?from=2024-01-01&to=2026-01-01",
        "/api/v1/metrics/growth?from=2026-01-01&days=3",
        "/api/v1/metrics/users?days=0",
        "/api/v1/metrics/users?days=367",
        "/api/v1/metrics/users?from=0000-12-30&to=0000-12-31",
        "/api/v1/metrics/users?from=yesterday",
        "/api/v1/metrics/dashboard?day=2026-02-30",
        "/api/v1/metrics/health?hours=0",
        "/api/v1/metrics/health?hours=721",
        "/api/v1/metrics/export?from=2026-03-10&to=2026-03-09",
        "/api/v1/metrics/export?from=2000-01-01&to=2026-01-01",
        "/api/v1/metrics/export?format=xml",
        "/api/v1/metrics/export?limit=3",
    ];
    for path in refused {
        get(&app, &admin, path)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    // Any day of the years 1 to 9999 is a day (with nothing in it).
    get(
        &app,
        &admin,
        "/api/v1/metrics/users?from=1900-01-01&to=1900-01-02",
    )
    .await
    .assert_status(StatusCode::OK);
    get(&app, &admin, "/api/v1/metrics/dashboard?day=0467-05-13")
        .await
        .assert_status(StatusCode::OK);
    // Ten years is the export's limit, a year the series'.
    get(
        &app,
        &admin,
        "/api/v1/metrics/export?from=2016-01-01&to=2025-12-31",
    )
    .await
    .assert_status(StatusCode::OK);
    get(
        &app,
        &admin,
        "/api/v1/metrics/users?from=2025-01-01&to=2025-12-31",
    )
    .await
    .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_compressed_export_streams_to_its_end() {
    let app = TestApp::spawn().await;
    let admin = app.admin("boss").await;
    for format in ["csv", "json"] {
        let response = app
            .get(&format!("/api/v1/metrics/export?format={format}&days=366"))
            .bearer(&admin.access_token)
            .header("accept-encoding", "gzip")
            .send()
            .await;
        response.assert_status(StatusCode::OK);
        assert_eq!(response.header("content-encoding"), Some("gzip"));
        // The whole body arrived: gzip's trailer (its last 8 bytes) after the data.
        assert!(
            response.body.len() > 20,
            "{format}: {} bytes",
            response.body.len()
        );
    }
}
