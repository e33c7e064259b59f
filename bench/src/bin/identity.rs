//! Identity benchmark (issue 4): login throughput, Argon2id verification included, and the cost
//! of checking the access token of an authenticated request.
//!
//! Targets: at least 50 logins/s on a 2-core machine; under 50 µs per token check.
//!
//! `cargo run --release -p agora-bench --bin identity [-- <seconds> <concurrency>]`

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use agora_bench::{load, ms};
use agora_platform::identity::viewer::authenticate;
use agora_testkit::{TEST_PASSWORD, TestApp, json};

const ACCOUNTS: usize = 16;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("identity benchmark: {cores} cores, {seconds} s, {concurrency} concurrent clients");

    login_throughput(seconds, concurrency).await;
    for algorithm in ["EdDSA", "HS256"] {
        token_check(algorithm).await;
    }
}

async fn bench_app(algorithm: &str) -> TestApp {
    TestApp::builder()
        .env("AGORA_JWT_ALGORITHM", algorithm)
        // The benchmark is one client hammering a few accounts: lift the sign-in limits.
        .env("AGORA_RATE_LIMIT_LOGIN", "100000/1s")
        .env("AGORA_RATE_LIMIT_GENERAL", "100000/1s")
        .spawn()
        .await
}

async fn login_throughput(seconds: u64, concurrency: usize) {
    let app = bench_app("EdDSA").await;
    for i in 0..ACCOUNTS {
        app.register(&format!("bench{i}")).await;
    }
    let client = reqwest::Client::new();
    let url = app.url("/api/v1/auth/login");
    let (latencies, failures) = load(concurrency, Duration::from_secs(seconds), move |worker| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let body = json!({ "username": format!("bench{}", worker % ACCOUNTS), "password": TEST_PASSWORD });
            client
                .post(&url)
                .json(&body)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        }
    })
    .await;
    println!(
        "login: {:.1} logins/s ({} signed in, {failures} failed); {}",
        latencies.len() as f64 / seconds as f64,
        latencies.len(),
        latencies.summary()
    );
}

/// The work an authenticated request does to accept its token: parse, check the signature,
/// the claims and the revocation set (the `Viewer` extractor calls exactly this).
async fn token_check(algorithm: &str) {
    let app = bench_app(algorithm).await;
    let user = app.register("verifier").await;
    let state = app.state();
    for _ in 0..1_000 {
        authenticate(state, &user.access_token)
            .await
            .expect("a valid token");
    }
    let rounds = 50_000u32;
    let started = Instant::now();
    for _ in 0..rounds {
        authenticate(state, &user.access_token)
            .await
            .expect("a valid token");
    }
    let per_check = started.elapsed() / rounds;
    println!(
        "token check ({algorithm}), token already seen: {:.2} µs per authenticated request ({rounds} checks in {:.0} ms)",
        per_check.as_secs_f64() * 1e6,
        ms(started.elapsed())
    );

    // A token's first request pays for the signature check.
    let claims = state
        .identity()
        .tokens
        .verify(&user.access_token)
        .expect("a valid token");
    let fresh: Vec<String> = (0..5_000)
        .map(|_| {
            state
                .identity()
                .tokens
                .issue(
                    claims.sub,
                    claims.sid,
                    &claims.role,
                    agora_core::time::now(),
                )
                .expect("a token")
                .0
        })
        .collect();
    let started = Instant::now();
    for token in &fresh {
        authenticate(state, token).await.expect("a valid token");
    }
    println!(
        "token check ({algorithm}), first request of a token: {:.2} µs",
        (started.elapsed() / fresh.len() as u32).as_secs_f64() * 1e6
    );
}
