//! `GET /metrics`: scraped and parsed as Prometheus does, and its counters move.

use agora_testkit::{StatusCode, TestApp, json};
use prometheus_parse::{Scrape, Value};

use super::{faulty_app, with_faulty};

/// Scrapes `/metrics` (from 127.0.0.1, the default allow-list) and parses it.
async fn scrape(app: &TestApp) -> Scrape {
    let response = app.get("/metrics").send().await;
    response.assert_status(StatusCode::OK);
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text")),
        "{:?}",
        response.header("content-type")
    );
    let text = response.text();
    if std::env::var_os("SHOW_METRICS").is_some() {
        eprintln!("{text}");
    }
    assert!(text.ends_with("# EOF\n"), "a complete exposition");
    Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).expect("the Prometheus text format")
}

/// The value of the sample `metric` whose labels include all of `labels` (0 when absent).
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == metric)
        .filter(|sample| labels.iter().all(|(k, v)| sample.labels.get(k) == Some(*v)))
        .map(|sample| match &sample.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
            Value::Summary(_) => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_status_class() {
    let app = faulty_app().await;
    let before = scrape(&app).await;
    let health = [("method", "GET"), ("route", "/health"), ("status", "2xx")];
    let fail = [("method", "GET"), ("route", "/api/v1/faulty/:n")];
    for n in 1..=3 {
        app.get(&format!("/api/v1/faulty/{n}")).send().await;
    }
    app.get("/health")
        .send()
        .await
        .assert_status(StatusCode::OK);
    app.get("/no/such/path/42")
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let after = scrape(&app).await;

    assert_eq!(
        value(&after, "http_requests_total", &health)
            - value(&before, "http_requests_total", &health),
        1.0
    );
    let failed = [fail[0], fail[1], ("status", "5xx")];
    assert_eq!(value(&after, "http_requests_total", &failed), 3.0);
    assert_eq!(value(&after, "http_errors_total", &fail), 3.0);
    assert_eq!(
        value(
            &after,
            "http_requests_total",
            &[("route", "unmatched"), ("status", "4xx")]
        ),
        1.0
    );
    // The histogram of the three failures counts them, and holds them all in its last bucket.
    assert_eq!(
        value(&after, "http_request_duration_seconds_count", &failed),
        3.0
    );
    assert_eq!(value(&after, "http_request_duration_seconds", &failed), 3.0);
    // Never the raw path.
    assert!(
        after.samples.iter().all(|s| s
            .labels
            .get("route")
            .is_none_or(|r| !r.contains("/42") && !r.ends_with("/1"))),
        "a raw path became a label"
    );
}

#[tokio::test]
async fn what_is_read_at_scrape_time_is_there() {
    let app = TestApp::spawn().await;
    // An email in the outbox: registering queues the verification email.
    app.register("alice").await;
    app.post("/api/v1/errors/log")
        .json(&json!({ "message": "one" }))
        .send()
        .await
        .assert_status(StatusCode::ACCEPTED);
    let scraped = scrape(&app).await;
    for metric in [
        "jobs_queued",
        "emails",
        "websocket_connections",
        "websocket_dropped_clients_total",
        "db_pool_connections",
        "db_pool_idle_connections",
        "db_statements_total",
        "db_statement_seconds_total",
        "rate_limit_refusals_total",
    ] {
        assert!(
            scraped.samples.iter().any(|s| s.metric == metric),
            "{metric} is scraped"
        );
    }
    let emails: f64 = ["queued", "sent", "dead"]
        .iter()
        .map(|status| value(&scraped, "emails", &[("status", status)]))
        .sum();
    assert!(emails >= 1.0, "the verification email is counted");
    assert!(value(&scraped, "db_statements_total", &[]) > 0.0);
    assert!(value(&scraped, "db_pool_connections", &[]) >= 1.0);
}

#[tokio::test]
async fn rate_limit_refusals_are_counted() {
    let app = TestApp::builder()
        .env("AGORA_RATE_LIMIT_GENERAL", "2/1m")
        .spawn()
        .await;
    for _ in 0..3 {
        app.get("/api/v1/errors").send().await;
    }
    let scraped = scrape(&app).await;
    assert_eq!(value(&scraped, "rate_limit_refusals_total", &[]), 1.0);
}

#[tokio::test]
async fn clients_outside_the_allow_list_do_not_see_it() {
    let app = with_faulty(TestApp::builder())
        .env("AGORA_METRICS_ALLOW", "10.0.0.0/8")
        .spawn()
        .await;
    app.get("/metrics")
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}
