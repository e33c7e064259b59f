//! Trending tickers: `GET /tickers/trending`, answered from the roll-up that the scheduled job
//! `social.trending` refreshes.

use agora_platform::jobs::{self, JobKinds, Worker, WorkerOptions};
use agora_social::trending::{self, RefreshTrends};
use agora_store::sea_orm::ConnectionTrait;
use agora_store::sea_orm::sea_query::{Expr, ExprTrait, Query};
use agora_testkit::{StatusCode, TestApp};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::publish;

async fn trending(app: &TestApp, query: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/tickers/trending{query}"))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    response.json()
}

fn symbols(answer: &Value) -> Vec<&str> {
    answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["symbol"].as_str().expect("a symbol"))
        .collect()
}

async fn refresh(app: &TestApp, now: DateTime<Utc>) {
    trending::refresh(app.state(), now)
        .await
        .expect("refreshed");
}

/// Moves the posts naming `symbol` back in time by `age`.
async fn age(app: &TestApp, symbol: &str, age: Duration) {
    let update = Query::update()
        .table("post_tickers")
        .value("created_at", agora_core::time::now() - age)
        .and_where(Expr::col("symbol").eq(symbol))
        .to_owned();
    app.db()
        .writer()
        .execute(&update)
        .await
        .expect("the posts are older");
}

#[tokio::test]
async fn distinct_authors_make_a_ticker_trend_not_one_account_posting_often() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;

    let before = trending(&app, "").await;
    assert_eq!(before["window"], "24h");
    assert_eq!(before["computed_at"], Value::Null, "never computed");
    assert_eq!(before["items"], json!([]));

    for n in 0..5 {
        publish(&app, &carol, &format!("$BBB to the moon, take {n}")).await;
    }
    publish(&app, &alice, "$AAA looks good").await;
    publish(&app, &bob, "$aaa and $CCC").await;
    assert_eq!(
        trending(&app, "").await["items"],
        json!([]),
        "not a scan on read"
    );

    refresh(&app, agora_core::time::now()).await;
    let answer = trending(&app, "?window=24h").await;
    // Two authors beat one posting five times; among single authors, more posts rank higher.
    assert_eq!(symbols(&answer), ["AAA", "BBB", "CCC"]);
    assert_eq!(
        answer["items"][0],
        json!({ "rank": 1, "symbol": "AAA", "authors": 2, "posts": 2 })
    );
    assert_eq!(
        answer["items"][1],
        json!({ "rank": 2, "symbol": "BBB", "authors": 1, "posts": 5 })
    );
    assert!(answer["computed_at"].is_string());
    assert_eq!(symbols(&trending(&app, "?limit=1").await), ["AAA"]);

    for bad in ["?window=2h", "?limit=0", "?limit=101", "?since=1h"] {
        app.get(&format!("/api/v1/tickers/trending{bad}"))
            .send()
            .await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    // `/tickers/{symbol}` still reads other symbols.
    app.get("/api/v1/tickers/AAA")
        .send()
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn each_window_counts_its_own_posts() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    publish(&app, &alice, "$NOW").await;
    publish(&app, &alice, "$DAY").await;
    publish(&app, &bob, "$DAY").await;
    publish(&app, &alice, "$WEEK").await;
    publish(&app, &bob, "$WEEK").await;
    publish(&app, &bob, "$OLD").await;
    age(&app, "DAY", Duration::hours(3)).await;
    age(&app, "WEEK", Duration::days(3)).await;
    age(&app, "OLD", Duration::days(8)).await;

    refresh(&app, agora_core::time::now()).await;
    assert_eq!(symbols(&trending(&app, "?window=1h").await), ["NOW"]);
    assert_eq!(
        symbols(&trending(&app, "?window=24h").await),
        ["DAY", "NOW"]
    );
    assert_eq!(
        symbols(&trending(&app, "?window=7d").await),
        ["DAY", "WEEK", "NOW"]
    );
}

#[tokio::test]
async fn deleted_posts_and_disabled_authors_leave_at_the_next_refresh() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let post = publish(&app, &alice, "$GONE").await;
    publish(&app, &bob, "$KEPT").await;
    publish(&app, &bob, "$SPAM").await;
    refresh(&app, agora_core::time::now()).await;
    assert_eq!(symbols(&trending(&app, "").await), ["GONE", "KEPT", "SPAM"]);

    app.delete(&format!("/api/v1/posts/{post}"))
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(
        symbols(&trending(&app, "").await),
        ["GONE", "KEPT", "SPAM"],
        "until the next refresh"
    );
    refresh(&app, agora_core::time::now()).await;
    assert_eq!(symbols(&trending(&app, "").await), ["KEPT", "SPAM"]);

    let admin = app.admin("root").await;
    app.post(&format!("/api/v1/admin/users/{}/disable", bob.id))
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "spam" }))
        .send()
        .await
        .assert_status(StatusCode::OK);
    refresh(&app, agora_core::time::now()).await;
    let answer = trending(&app, "").await;
    assert_eq!(answer["items"], json!([]));
    assert!(answer["computed_at"].is_string(), "computed, and empty");
}

#[tokio::test]
async fn the_refresh_is_a_job_scheduled_every_minute() {
    let app = TestApp::builder()
        .env("AGORA_JOBS_WORKERS", "0")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    publish(&app, &alice, "$JOB").await;
    let schedules = agora_social::MODULE.schedules;
    assert!(
        schedules
            .iter()
            .any(|s| s.kind == "social.trending" && s.cron == "* * * * *"),
        "{schedules:?}"
    );

    // What the scheduler enqueues, a worker runs.
    let now = agora_core::time::now();
    let txn = app.state().db().begin().await.expect("a transaction");
    jobs::enqueue(&txn, &RefreshTrends {}, now)
        .await
        .expect("enqueued");
    txn.commit().await.expect("the commit");
    let kinds = JobKinds::new((agora_social::MODULE.jobs)()).expect("the module's kinds");
    let worker = Worker::new(app.state().clone(), kinds, WorkerOptions::default());
    // The refresh, and the announcement of alice's post to her followers.
    assert_eq!(worker.run_due(now, 10).await.expect("runs"), 2);
    assert_eq!(symbols(&trending(&app, "").await), ["JOB"]);
}
