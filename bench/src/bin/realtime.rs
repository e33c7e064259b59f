//! Real-time benchmark (issue 6), against the release `agora` binary run as separate processes
//! so that the server's memory is its own:
//!
//! 1. memory: `<connections>` idle WebSockets (default 10,000), each subscribed to one room,
//!    held open against one instance; the server's VmRSS before and after, per connection;
//! 2. fan-out: `<subscribers>` sockets (default 1,000) in one room, a publisher's `typing`
//!    frame sent `<events>` times (default 200), one at a time; for each, the time from the
//!    send to the *last* subscriber's receipt. On one instance, then with the subscribers on a
//!    second instance that hears the publisher's instance through Redis (`REDIS_URL`, default
//!    `redis://127.0.0.1:6379`; skipped if none answers).
//!
//! ```sh
//! cargo build --release -p agora -p agora-bench
//! cargo run --release -p agora-bench --bin realtime [-- <connections> <subscribers> <events>]
//! ```
//!
//! Each process needs a file descriptor per socket: run with `ulimit -n` above the connection
//! count (the default hard limit here, 20,000, is enough for 10,000).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use agora_bench::{Latencies, ms};
use futures::stream::{self, SplitSink};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const SECRET: &str = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz";

/// One `agora serve` process, killed when dropped.
struct Instance {
    child: Child,
    address: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agora_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the bench's own path");
    let binary = exe.with_file_name("agora");
    assert!(
        binary.exists(),
        "{} is missing: cargo build --release -p agora",
        binary.display()
    );
    binary
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

async fn start(data_dir: &Path, redis: Option<(&str, &str)>, migrate: bool) -> Instance {
    let port = free_port();
    let mut command = Command::new(agora_binary());
    command
        .arg("serve")
        .env("AGORA_LISTEN", format!("127.0.0.1:{port}"))
        .env("AGORA_DATA_DIR", data_dir)
        .env("AGORA_SECRET_KEY", SECRET)
        // The token issuer: one for both instances, so either accepts the other's tokens.
        .env("AGORA_PUBLIC_URL", "http://agora.bench")
        .env("AGORA_RATE_LIMIT_GENERAL", "1000000/1s")
        .env("AGORA_RATE_LIMIT_REGISTER", "100000/1s")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    if !migrate {
        command.arg("--no-migrate");
    }
    if let Some((url, prefix)) = redis {
        command
            .env("REDIS_URL", url)
            .env("AGORA_REDIS_PREFIX", prefix);
    }
    let instance = Instance {
        child: command.spawn().expect("agora serve started"),
        address: format!("127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        let health = client
            .get(format!("http://{}/health", instance.address))
            .send()
            .await;
        if health.is_ok_and(|r| r.status().is_success()) {
            return instance;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("agora serve did not answer on {}", instance.address);
}

fn rss_kib(instance: &Instance) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", instance.child.id()))
        .expect("the server's /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Registers a user; returns its id and access token.
async fn register(instance: &Instance, name: &str) -> (String, String) {
    let body: Value = reqwest::Client::new()
        .post(format!("http://{}/api/v1/auth/register", instance.address))
        .json(&json!({
            "username": name,
            "email": format!("{name}@example.com"),
            "password": "correct horse battery staple",
        }))
        .send()
        .await
        .expect("registered")
        .json()
        .await
        .expect("JSON");
    (
        body["user"]["id"].as_str().expect("an id").to_owned(),
        body["access_token"].as_str().expect("a token").to_owned(),
    )
}

/// A socket subscribed to `room` (its acknowledgement read).
async fn subscribed(address: &str, token: &str, room: &str) -> Socket {
    let mut request = format!("ws://{address}/api/v1/ws")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connected");
    socket
        .send(Message::text(
            json!({"type":"subscribe","room":room}).to_string(),
        ))
        .await
        .unwrap();
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.contains("\"subscribed\"") => return socket,
            Some(Ok(Message::Text(text))) if text.contains("\"error\"") => panic!("{text}"),
            Some(Ok(_)) => {}
            other => panic!("subscribing failed: {other:?}"),
        }
    }
}

async fn open_many(address: &str, token: &str, room: &str, count: usize) -> Vec<Socket> {
    stream::iter(0..count)
        .map(|_| subscribed(address, token, room))
        .buffer_unordered(200)
        .collect()
        .await
}

async fn memory(connections: usize) {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), None, true).await;
    let (user, token) = register(&server, "memory").await;
    let room = format!("user:{user}");
    // A few sockets first, so that one-time allocations are not counted per connection.
    let warm = open_many(&server.address, &token, &room, 100).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_kib(&server);
    let started = Instant::now();
    let sockets = open_many(&server.address, &token, &room, connections).await;
    let opened_in = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(&server);
    let per_connection = (after.saturating_sub(before)) as f64 * 1024.0 / connections as f64;
    println!(
        "memory: {connections} sockets opened and subscribed in {:.1} s; server RSS {:.1} MiB -> {:.1} MiB: {:.1} KiB per connection",
        opened_in.as_secs_f64(),
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        per_connection / 1024.0
    );
    drop(sockets);
    drop(warm);
}

/// Shared by the subscribers' reader tasks: when the current event was sent, and the latest
/// receipt of it so far.
struct Round {
    base: Instant,
    sent_at: AtomicU64,
    latest: AtomicU64,
    received: AtomicUsize,
    all_received: Notify,
    subscribers: usize,
}

impl Round {
    fn now(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }
}

async fn read_typing(socket: Socket, round: Arc<Round>) {
    let (_sink, mut stream) = socket.split();
    while let Some(Ok(message)) = stream.next().await {
        if let Message::Text(text) = message
            && text.contains("\"typing\"")
        {
            round.latest.fetch_max(round.now(), Ordering::SeqCst);
            if round.received.fetch_add(1, Ordering::SeqCst) + 1 == round.subscribers {
                round.all_received.notify_one();
            }
        }
    }
}

async fn fan_out(
    label: &str,
    publisher_at: &Instance,
    subscribers_at: &Instance,
    subscribers: usize,
    events: usize,
) {
    let (user, token) = register(publisher_at, &format!("fan{}", free_port())).await;
    let room = format!("user:{user}");
    let round = Arc::new(Round {
        base: Instant::now(),
        sent_at: AtomicU64::new(0),
        latest: AtomicU64::new(0),
        received: AtomicUsize::new(0),
        all_received: Notify::new(),
        subscribers,
    });
    for socket in open_many(&subscribers_at.address, &token, &room, subscribers).await {
        tokio::spawn(read_typing(socket, round.clone()));
    }
    let publisher = subscribed(&publisher_at.address, &token, &room).await;
    let (mut sink, mut echoes): (SplitSink<Socket, Message>, _) = publisher.split();
    tokio::spawn(async move { while echoes.next().await.is_some() {} });
    let typing = Message::text(json!({"type":"typing","room":room}).to_string());

    let mut samples = Vec::with_capacity(events);
    for i in 0..events + 20 {
        round.received.store(0, Ordering::SeqCst);
        round.latest.store(0, Ordering::SeqCst);
        round.sent_at.store(round.now(), Ordering::SeqCst);
        sink.send(typing.clone()).await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), round.all_received.notified())
            .await
            .expect("every subscriber received the event");
        // The first 20 warm up.
        if i >= 20 {
            let latency =
                round.latest.load(Ordering::SeqCst) - round.sent_at.load(Ordering::SeqCst);
            samples.push(Duration::from_nanos(latency));
        }
    }
    let latencies = Latencies::new(samples);
    println!(
        "fan-out {label}: {events} events to {subscribers} subscribers, send to last receipt: {} (mean {:.2} ms)",
        latencies.summary(),
        ms(latencies.mean())
    );
}

async fn redis_answers(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    matches!(
        tokio::time::timeout(
            Duration::from_secs(2),
            client.get_multiplexed_async_connection()
        )
        .await,
        Ok(Ok(_))
    )
}

#[tokio::main]
async fn main() {
    let arg = |n: usize, default: usize| {
        std::env::args()
            .nth(n)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (connections, subscribers, events) = (arg(1, 10_000), arg(2, 1_000), arg(3, 200));
    agora_platform::tls::install_crypto_provider();

    memory(connections).await;

    let data = tempfile::tempdir().unwrap();
    let alone = start(data.path(), None, true).await;
    fan_out("on one instance", &alone, &alone, subscribers, events).await;
    drop(alone);

    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    if !redis_answers(&redis_url).await {
        println!("fan-out through Redis: skipped, no Redis answers at {redis_url}");
        return;
    }
    let prefix = format!("agora-bench:{}:", std::process::id());
    let data = tempfile::tempdir().unwrap();
    let a = start(data.path(), Some((&redis_url, &prefix)), true).await;
    let b = start(data.path(), Some((&redis_url, &prefix)), false).await;
    fan_out("on one instance, with Redis", &a, &a, subscribers, events).await;
    fan_out(
        "across two instances through Redis",
        &a,
        &b,
        subscribers,
        events,
    )
    .await;
}
