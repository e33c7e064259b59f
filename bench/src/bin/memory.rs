//! Memory benchmark (issue 13): the resident memory of the release server, run as its own
//! process (`target/release/agora`, so with the binary's global allocator), at rest, after 200
//! registrations from 8 concurrent clients (Argon2id: 7 MiB per hash), and after a tasks load.
//! Target: under 100 MB after both.
//!
//! `cargo build --release -p agora && cargo run --release -p agora-bench --bin memory [-- <path to agora>]`

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const REGISTRATIONS: usize = 200;
const CLIENTS: usize = 8;
const TASKS_PER_CLIENT: usize = 250;
const PAGES_PER_CLIENT: usize = 250;

#[tokio::main]
async fn main() {
    let binary = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/agora").to_owned()
    });
    let binary = std::env::var("CARGO_TARGET_DIR")
        .ok()
        .filter(|_| std::env::args().nth(1).is_none())
        .map(|dir| format!("{dir}/release/agora"))
        .unwrap_or(binary);
    let dir = tempfile::tempdir().expect("a data directory");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Command::new(&binary)
        .current_dir(dir.path())
        .env("AGORA_LISTEN", format!("127.0.0.1:{port}"))
        .env("AGORA_RATE_LIMIT_REGISTER", "100000/1s")
        .env("AGORA_RATE_LIMIT_GENERAL", "100000/1s")
        .env("AGORA_RATE_LIMIT_LOGIN", "100000/1s")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| {
            panic!("cannot start {binary}: {err} (cargo build --release -p agora)")
        });
    agora_platform::tls::install_crypto_provider();
    let client = reqwest::Client::new();
    let started = Instant::now();
    while !client
        .get(format!("{base}/health"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(started.elapsed() < Duration::from_secs(60), "no /health");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("memory benchmark: {binary}, {CLIENTS} clients");
    println!("at rest: {} MB", rss_mb(&server));

    let next = Arc::new(AtomicUsize::new(0));
    let tokens = futures::future::join_all((0..CLIENTS).map(|_| {
        let (client, base, next) = (client.clone(), base.clone(), next.clone());
        async move {
            let mut token = None;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= REGISTRATIONS {
                    return token.expect("a registration per client");
                }
                let response = client
                    .post(format!("{base}/api/v1/auth/register"))
                    .json(&json!({
                        "username": format!("memory{n}"),
                        "email": format!("memory{n}@example.com"),
                        "password": "correct horse battery staple",
                    }))
                    .send()
                    .await
                    .expect("a response");
                assert_eq!(response.status(), 201, "registration {n}");
                let body: Value = response.json().await.expect("JSON");
                token = Some((
                    body["access_token"].as_str().expect("a token").to_owned(),
                    body["user"]["id"].as_str().expect("an id").to_owned(),
                ));
            }
        }
    }))
    .await;
    println!(
        "after {REGISTRATIONS} registrations from {CLIENTS} clients ({:.1} s): {} MB",
        started.elapsed().as_secs_f64(),
        rss_mb(&server)
    );

    let load = Instant::now();
    futures::future::join_all(tokens.into_iter().map(|(token, id)| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            for n in 0..TASKS_PER_CLIENT {
                let response = client
                    .post(format!("{base}/api/v1/users/{id}/tasks"))
                    .bearer_auth(&token)
                    .json(&json!({ "title": format!("task {n}"), "tags": ["work", "home"] }))
                    .send()
                    .await
                    .expect("a response");
                let status = response.status();
                assert_eq!(
                    status,
                    201,
                    "task {n}: {}",
                    response.text().await.unwrap_or_default()
                );
            }
            for _ in 0..PAGES_PER_CLIENT {
                let response = client
                    .get(format!("{base}/api/v1/users/{id}/tasks?limit=50"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("a response");
                assert_eq!(response.status(), 200);
                let _ = response.bytes().await;
            }
        }
    }))
    .await;
    println!(
        "after the tasks load ({} creates, {} pages of 50, {:.1} s): {} MB",
        CLIENTS * TASKS_PER_CLIENT,
        CLIENTS * PAGES_PER_CLIENT,
        load.elapsed().as_secs_f64(),
        rss_mb(&server)
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!("5 s later: {} MB", rss_mb(&server));
    let _ = server.kill();
    let _ = server.wait();
}

/// The process's resident set size (`VmRSS` of /proc/<pid>/status), in MB.
fn rss_mb(server: &Child) -> String {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.id()))
        .expect("/proc/<pid>/status (Linux)");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line");
    format!("{:.1}", kib / 1024.0)
}
