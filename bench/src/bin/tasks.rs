//! Tasks benchmark (issue 5): list 50 tasks of a user who has 10,000.
//!
//! Target: under 5 ms at p99, measured from the client (HTTP on loopback included).
//!
//! `cargo run --release -p agora-bench --bin tasks [-- <requests per scenario>]`
//! (`AGORA_TEST_DATABASE=postgres` for PostgreSQL.)

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use agora_bench::Latencies;
use agora_core::UserId;
use agora_tasks::tasks::queries;
use agora_tasks::tasks::rules::{self, Priority, Status, TaskContent};
use agora_testkit::TestApp;
use serde_json::Value;

const TASKS: usize = 10_000;
const TAGS: [&str; 8] = [
    "home", "work", "errands", "money", "health", "family", "study", "q4",
];

#[tokio::main]
async fn main() {
    let requests: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    let app = TestApp::builder()
        .env("AGORA_RATE_LIMIT_GENERAL", "1000000/1s")
        .spawn()
        .await;
    let user = app.register("bench").await;
    let started = Instant::now();
    seed(&app, user.id.parse().expect("a user id")).await;
    println!(
        "tasks benchmark on {}: {TASKS} tasks seeded in {:.1} s; {requests} sequential requests per scenario",
        app.db().kind_name(),
        started.elapsed().as_secs_f64()
    );

    let client = reqwest::Client::new();
    let base = app.url(&format!("/api/v1/users/{}/tasks?limit=50", user.id));
    let second_page = {
        let first: Value = get(&client, &base, &user.access_token).await;
        format!(
            "{base}&cursor={}",
            first["next_cursor"].as_str().expect("a next page")
        )
    };
    let scenarios = [
        ("first page, newest first", base.clone()),
        ("second page (cursor)", second_page),
        ("sort=due", format!("{base}&sort=due")),
        ("sort=priority", format!("{base}&sort=priority")),
        ("status=todo", format!("{base}&status=todo")),
        ("tag=work", format!("{base}&tag=work")),
        ("q=report (search)", format!("{base}&q=report")),
        (
            "overdue=true, sort=due",
            format!("{base}&overdue=true&sort=due"),
        ),
        // Newest first, half the tasks are newer than every overdue one: a scan of ~5,000 rows.
        (
            "overdue=true (newest first)",
            format!("{base}&overdue=true"),
        ),
    ];
    for (name, url) in scenarios {
        for _ in 0..requests / 10 {
            let _: Value = get(&client, &url, &user.access_token).await;
        }
        let mut samples = Vec::with_capacity(requests);
        for _ in 0..requests {
            let started = Instant::now();
            let page: Value = get(&client, &url, &user.access_token).await;
            samples.push(started.elapsed());
            assert!(
                !page["items"].as_array().expect("items").is_empty(),
                "{name}: empty page"
            );
        }
        let latencies = Latencies::new(samples);
        println!("{name:<28} {}", latencies.summary());
    }
}

async fn get(client: &reqwest::Client, url: &str, token: &str) -> Value {
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("a response");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.expect("a JSON page")
}

/// 10,000 varied tasks written straight through the module's queries, in one transaction.
async fn seed(app: &TestApp, user: UserId) {
    let txn = app.db().begin().await.expect("a transaction");
    let now = agora_core::time::now();
    for i in 0..TASKS {
        let content = TaskContent {
            title: format!(
                "{} #{i}",
                ["Write report", "Call bank", "Buy milk", "Plan trip"][i % 4]
            ),
            description: (i % 3 == 0)
                .then(|| format!("Details of task {i}, with some words to search")),
            status: [Status::Todo, Status::InProgress, Status::Done][i % 3],
            priority: [Priority::Low, Priority::Medium, Priority::High][i % 3],
            due_at: (i % 2 == 0).then(|| now + chrono::Duration::hours(i as i64 - 5_000)),
            tags: rules::tags(vec![
                TAGS[i % TAGS.len()].to_owned(),
                TAGS[(i / 8) % TAGS.len()].to_owned(),
            ])
            .expect("valid tags"),
        };
        let created = agora_core::time::to_stored(now - Duration::from_secs((TASKS - i) as u64));
        queries::insert(&txn, user, content, created)
            .await
            .expect("a task");
    }
    txn.commit().await.expect("commit");
    // Statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would have gathered
    // them on a database in use: without them the planner guesses on an empty table.
    app.execute("ANALYZE").await;
}
