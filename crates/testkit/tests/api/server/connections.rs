//! Limits on connections (issue 13): a client that is silent or slow to send its headers, or
//! idle between requests, is closed; one client address may hold only so many connections.

use std::net::SocketAddr;
use std::time::Duration;

use agora_testkit::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection, or `limit` passes: whether it closed, and
/// what it sent.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> (bool, Vec<u8>) {
    let mut received = Vec::new();
    let outcome = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    (outcome.is_ok(), received)
}

/// A plain HTTP/1.1 request on a raw connection; the response's head and body as text.
async fn request(stream: &mut TcpStream, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is sent");
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let n = stream.read(&mut buf).await.expect("the response is read");
            assert!(
                n > 0,
                "the server closed the connection instead of answering"
            );
            received.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&received);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    return;
                }
            }
        }
    })
    .await
    .expect("an answer within 5 s");
    String::from_utf8_lossy(&received).into_owned()
}

async fn connect(address: SocketAddr) -> TcpStream {
    TcpStream::connect(address).await.expect("a connection")
}

async fn app_with(env: &[(&str, &str)]) -> TestApp {
    let mut builder = TestApp::builder();
    for (name, value) in env {
        builder = builder.env(name, *value);
    }
    builder.spawn().await
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_read_timeout() {
    let app = app_with(&[("AGORA_HEADER_READ_TIMEOUT", "300ms")]).await;
    let mut silent = connect(app.address()).await;

    let (closed, _) = closed_within(&mut silent, Duration::from_secs(3)).await;
    assert!(closed, "a silent connection was left open");
}

#[tokio::test]
async fn a_connection_that_sends_half_a_header_is_closed_after_the_header_read_timeout() {
    let app = app_with(&[("AGORA_HEADER_READ_TIMEOUT", "400ms")]).await;
    let mut slow = connect(app.address()).await;
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: loc")
        .await
        .unwrap();

    // Trickling a byte now and then does not keep it open.
    let trickle = async {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if slow.write_all(b"a").await.is_err() {
                return true;
            }
        }
        false
    };
    let stopped_accepting = trickle.await;
    let (closed, received) = closed_within(&mut slow, Duration::from_secs(1)).await;
    assert!(
        stopped_accepting || closed,
        "a connection trickling its headers was left open for 2 s"
    );
    assert!(received.is_empty(), "no request was complete: {received:?}");
}

#[tokio::test]
async fn a_later_request_head_on_a_kept_alive_connection_has_the_same_timeout() {
    let app = app_with(&[
        ("AGORA_HEADER_READ_TIMEOUT", "400ms"),
        ("AGORA_KEEP_ALIVE_TIMEOUT", "30s"),
    ])
    .await;
    let mut stream = connect(app.address()).await;
    assert!(
        request(&mut stream, "/health")
            .await
            .starts_with("HTTP/1.1 200")
    );
    stream.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();

    let (closed, _) = closed_within(&mut stream, Duration::from_secs(3)).await;
    assert!(
        closed,
        "half a second request head was waited for past the timeout"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout() {
    let app = app_with(&[
        ("AGORA_HEADER_READ_TIMEOUT", "10s"),
        ("AGORA_KEEP_ALIVE_TIMEOUT", "500ms"),
    ])
    .await;
    let mut stream = connect(app.address()).await;
    assert!(
        request(&mut stream, "/health")
            .await
            .starts_with("HTTP/1.1 200")
    );

    let started = tokio::time::Instant::now();
    let (closed, _) = closed_within(&mut stream, Duration::from_secs(5)).await;
    assert!(closed, "an idle keep-alive connection was left open");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "closed before the keep-alive timeout: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_stays_open_within_the_keep_alive_timeout() {
    let app = app_with(&[
        ("AGORA_HEADER_READ_TIMEOUT", "200ms"),
        ("AGORA_KEEP_ALIVE_TIMEOUT", "30s"),
    ])
    .await;
    let mut stream = connect(app.address()).await;
    assert!(
        request(&mut stream, "/health")
            .await
            .starts_with("HTTP/1.1 200")
    );

    // Idle longer than the header-read timeout: idleness is the keep-alive timeout's business.
    let (closed, _) = closed_within(&mut stream, Duration::from_millis(800)).await;
    assert!(
        !closed,
        "an idle connection was closed before the keep-alive timeout"
    );
    assert!(
        request(&mut stream, "/health")
            .await
            .starts_with("HTTP/1.1 200")
    );
}

#[tokio::test]
async fn a_client_address_over_its_connection_cap_is_refused_until_one_closes() {
    let app = app_with(&[("AGORA_MAX_CONNECTIONS_PER_ADDRESS", "3")]).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut stream = connect(app.address()).await;
        assert!(
            request(&mut stream, "/health")
                .await
                .starts_with("HTTP/1.1 200")
        );
        open.push(stream);
    }

    let mut fourth = connect(app.address()).await;
    let _ = fourth
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let (closed, received) = closed_within(&mut fourth, Duration::from_secs(3)).await;
    assert!(closed, "the 4th connection from one address was kept");
    assert!(received.is_empty(), "the 4th connection was served");

    // The three others still work.
    for stream in &mut open {
        assert!(request(stream, "/health").await.starts_with("HTTP/1.1 200"));
    }

    // Once one closes, a new connection is accepted.
    drop(open.pop());
    let mut accepted = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut stream = connect(app.address()).await;
        let _ = stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await;
        let (_, received) = closed_within(&mut stream, Duration::from_secs(2)).await;
        if received.starts_with(b"HTTP/1.1 200") {
            accepted = true;
            break;
        }
    }
    assert!(accepted, "no connection was accepted after one closed");
}
