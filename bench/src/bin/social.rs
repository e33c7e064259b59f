//! Social benchmark (issue 15): the home feed, publishing, search and trending on the data set
//! of `agora_bench::social_data` (100,000 users, 1,000,000 posts, ~5.7 million follows at scale
//! 1.0), seeded straight into the tables.
//!
//! Targets on a 2-core machine with the load generator on it, 64 concurrent connections:
//! `GET /feed` p99 ≤ 25 ms and ≥ 5,000 requests/s (PostgreSQL); `POST /posts` p99 ≤ 25 ms;
//! like toggle (the most liked post too) p99 ≤ 15 ms; `GET /search?type=posts` p99 ≤ 50 ms;
//! `GET /tickers/trending` p99 ≤ 10 ms.
//!
//! `cargo run --release -p agora-bench --bin social [-- <scale> <seconds> <concurrency>]`
//! (`AGORA_TEST_DATABASE=postgres` for PostgreSQL). Prints a line per step and, last, the
//! results as one JSON object.
//!
//! `AGORA_BENCH_SCENARIOS=feed,likes,search,trending,posts` runs only those scenarios (all by
//! default). `AGORA_BENCH_HOLD=1` stops after seeding, prints where the database is and waits
//! for a line on standard input, so that the data set can be examined in `sqlite3` or `psql`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_bench::social_data::{self, Scale, TICKERS};
use agora_bench::{Latencies, load, ms};
use agora_testkit::TestApp;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use uuid::Uuid;

/// The server's allocator (crates/server/src/main.rs), so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let scale: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1.0);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    let mut builder = TestApp::builder()
        .env("AGORA_RATE_LIMIT_GENERAL", "1000000/1s")
        .env(
            "AGORA_DATABASE_MAX_CONNECTIONS",
            std::env::var("AGORA_DATABASE_MAX_CONNECTIONS").unwrap_or_else(|_| "32".to_owned()),
        );
    // Without metrics, the error log and analytics, to price them against a run with them.
    let unobserved = std::env::var_os("AGORA_BENCH_UNOBSERVED").is_some();
    if unobserved {
        builder = builder.without_observation();
    }
    let app = builder.spawn().await;
    println!(
        "social benchmark on {}: {cores} cores, scale {scale}, {seconds} s per scenario, {concurrency} concurrent clients{}",
        app.db().kind_name(),
        if unobserved { ", unobserved" } else { "" }
    );
    let started = Instant::now();
    let seeded = social_data::seed(app.db(), &Scale::of(scale)).await;
    let seed_seconds = started.elapsed().as_secs_f64();
    println!("  seeded in {seed_seconds:.1} s");
    if std::env::var_os("AGORA_BENCH_HOLD").is_some() {
        println!(
            "  holding the data set at {} (press Enter to go on)",
            app.database().url
        );
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }
    let chosen = std::env::var("AGORA_BENCH_SCENARIOS").ok();
    let wanted = |key: &str| {
        chosen
            .as_deref()
            .is_none_or(|list| list.split(',').any(|k| k.trim() == key))
    };

    // Tokens are minted, not signed in for: Argon2id per user is not what is measured.
    let tokens: Arc<Vec<String>> = Arc::new(
        (0..2_000)
            .map(|n| token(&app, seeded.users[(n * 7919) % seeded.users.len()]))
            .collect(),
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("a client");
    let duration = Duration::from_secs(seconds);
    let mut results = Vec::new();
    // Posts to like: a sample of the timeline's.
    let posts_sample: Arc<Vec<String>> = {
        let mut ids = Vec::new();
        let mut url = app.url("/api/v1/posts?limit=100");
        while ids.len() < 2_000 {
            let page: Value = client
                .get(&url)
                .send()
                .await
                .expect("a page")
                .json()
                .await
                .expect("JSON");
            for post in page["items"].as_array().expect("items") {
                // A plain repost's likes go to its original: like originals.
                if post["repost_of"].is_null() {
                    ids.push(post["id"].as_str().expect("an id").to_owned());
                }
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => url = app.url(&format!("/api/v1/posts?limit=100&cursor={cursor}")),
                None => break,
            }
        }
        Arc::new(ids)
    };

    if wanted("feed") {
        let (client, tokens, url) = (client.clone(), tokens.clone(), app.url("/api/v1/feed"));
        let feed = run("GET /feed", concurrency, duration, move |_| {
            let (client, tokens, url) = (client.clone(), tokens.clone(), url.clone());
            async move {
                let token = &tokens[rand::rng().random_range(0..tokens.len())];
                ok(client.get(&url).bearer_auth(token).send().await).await
            }
        })
        .await;
        results.push(feed);
    }

    let like = |name: &'static str, post: Option<Uuid>| {
        let (client, tokens, app_url) = (client.clone(), tokens.clone(), app.url("/api/v1/posts"));
        let posts = posts_sample.clone();
        run(name, concurrency, duration, move |_| {
            let (client, tokens, posts, app_url) = (
                client.clone(),
                tokens.clone(),
                posts.clone(),
                app_url.clone(),
            );
            async move {
                let mut rng = rand::rngs::StdRng::from_os_rng();
                let token = &tokens[rng.random_range(0..tokens.len())];
                let post = post.map_or_else(
                    || posts[rng.random_range(0..posts.len())].clone(),
                    |id| id.to_string(),
                );
                let url = format!("{app_url}/{post}/reactions");
                ok(client.post(&url).bearer_auth(token).send().await).await
            }
        })
    };
    if wanted("likes") {
        results.push(like("like toggle (random post)", None).await);
        results.push(like("like toggle (most liked)", Some(seeded.most_liked)).await);
    }

    if wanted("search") {
        let (client, url) = (client.clone(), app.url("/api/v1/search"));
        let words = Arc::new(seeded.vocabulary.clone());
        let search = run("GET /search?type=posts", concurrency, duration, move |_| {
            let (client, url, words) = (client.clone(), url.clone(), words.clone());
            async move {
                let mut rng = rand::rngs::StdRng::from_os_rng();
                // Words as people search them: the common ones more often.
                let n = words.len();
                let pick = ((((n + 1) as f64).ln() * rng.random::<f64>()).exp() - 1.0) as usize;
                let q = &words[pick.min(n - 1)];
                let url = format!("{url}?type=posts&q={q}");
                ok(client.get(&url).send().await).await
            }
        })
        .await;
        results.push(search);
    }

    if wanted("trending") {
        // The roll-up is refreshed by the scheduler every minute; wait for its first run.
        let trending_url = app.url("/api/v1/tickers/trending?window=24h");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let answer: Value = client
                .get(&trending_url)
                .send()
                .await
                .expect("an answer")
                .json()
                .await
                .expect("JSON");
            if answer["computed_at"].is_string() || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let trending = {
            let (client, url) = (client.clone(), trending_url.clone());
            run("GET /tickers/trending", concurrency, duration, move |_| {
                let (client, url) = (client.clone(), url.clone());
                async move { ok(client.get(&url).send().await).await }
            })
            .await
        };
        results.push(trending);
    }

    if wanted("analytics") {
        // The roll-ups of the last 90 days over the seeded data (what the scheduled job keeps
        // up to date two days at a time), then the admins' dashboard, which reads only them.
        let now = agora_core::time::now();
        let started = Instant::now();
        agora_platform::analytics::rollup::refresh(
            app.state(),
            (now - chrono::TimeDelta::days(90)).date_naive(),
            now.date_naive(),
            now,
        )
        .await
        .expect("the roll-ups");
        println!(
            "  analytics roll-ups of 90 days in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let admin = app.admin("bench_admin").await.access_token;
        let (client, url) = (client.clone(), app.url("/api/v1/metrics/dashboard"));
        let dashboard = run("GET /metrics/dashboard", concurrency, duration, move |_| {
            let (client, url, admin) = (client.clone(), url.clone(), admin.clone());
            async move { ok(client.get(&url).bearer_auth(&admin).send().await).await }
        })
        .await;
        results.push(dashboard);
    }

    // Last: each new post leaves a job that announces it to its author's followers, and that
    // work would run into the scenarios after it.
    if wanted("posts") {
        let (client, tokens, url) = (client.clone(), tokens.clone(), app.url("/api/v1/posts"));
        let publish = run("POST /posts", concurrency, duration, move |_| {
            let (client, tokens, url) = (client.clone(), tokens.clone(), url.clone());
            async move {
                let mut rng = rand::rngs::StdRng::from_os_rng();
                let token = &tokens[rng.random_range(0..tokens.len())];
                let body = json!({ "content": format!(
                    "${} and ${} look strong this week, @u{} what do you think?",
                    TICKERS[rng.random_range(0..TICKERS.len())],
                    TICKERS[rng.random_range(0..TICKERS.len())],
                    rng.random_range(0..1000),
                ) });
                ok(client
                    .post(&url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await)
                .await
            }
        })
        .await;
        results.push(publish);
    }

    let report = json!({
        "benchmark": "social",
        "database": app.db().kind_name(),
        "cores": cores,
        "scale": scale,
        "users": seeded.users.len(),
        "posts": seeded.posts,
        "follows": seeded.follows,
        "most_liked_post": seeded.most_liked,
        "seed_seconds": seed_seconds,
        "concurrency": concurrency,
        "seconds_per_scenario": seconds,
        "scenarios": results,
    });
    println!("{report}");
}

fn token(app: &TestApp, user: Uuid) -> String {
    app.state()
        .identity()
        .tokens
        .issue(user, Uuid::now_v7(), "user", agora_core::time::now())
        .expect("a token")
        .0
}

async fn ok(response: reqwest::Result<reqwest::Response>) -> bool {
    match response {
        Ok(response) if response.status().is_success() => response.bytes().await.is_ok(),
        Ok(response) => {
            eprintln!(
                "{}: {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
            false
        }
        Err(_) => false,
    }
}

async fn run<F, Fut>(name: &str, concurrency: usize, duration: Duration, operation: F) -> Value
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    // A short warm-up fills the caches and the connection pools.
    let _ = load(concurrency, Duration::from_secs(2), operation.clone()).await;
    let (latencies, failures) = load(concurrency, duration, operation).await;
    let per_second = latencies.len() as f64 / duration.as_secs_f64();
    println!(
        "{name:<24} {per_second:>8.0}/s  {}  ({failures} failed)",
        latencies.summary()
    );
    summary(name, &latencies, per_second, failures)
}

fn summary(name: &str, latencies: &Latencies, per_second: f64, failures: usize) -> Value {
    json!({
        "name": name,
        "requests": latencies.len(),
        "failed": failures,
        "per_second": per_second.round(),
        "p50_ms": ms(latencies.percentile(50.0)),
        "p90_ms": ms(latencies.percentile(90.0)),
        "p99_ms": ms(latencies.percentile(99.0)),
        "max_ms": ms(latencies.percentile(100.0)),
    })
}
