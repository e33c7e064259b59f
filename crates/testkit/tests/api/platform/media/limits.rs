//! Limits on uploads: the storage quota (checked as the file streams), the upload rate limit,
//! the 60 MiB request limit, and uploads cut short by the client or the request timeout.

use std::time::Duration;

use agora_testkit::s3::files_under;
use agora_testkit::{StatusCode, TestApp, TestUser, eventually};
use image::ImageFormat;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::support::{contains, encode, file, gradient, mp4, multipart, noise, webm};
use super::{Backend, MediaApp, upload_head};

/// The quota of an unverified account, 1 MiB here, counts stored bytes; an upload that would
/// pass it is refused with what is left, and keeps nothing of itself.
async fn an_upload_over_the_quota_is_refused_and_keeps_nothing(backend: Backend) {
    let media = MediaApp::spawn_with(
        backend,
        &[
            ("AGORA_MEDIA_QUOTA", "1GiB"),
            ("AGORA_MEDIA_QUOTA_UNVERIFIED", "1MiB"),
        ],
    )
    .await;
    let alice = media.app.register("alice").await;
    let first = media
        .upload(&alice, &[file("a.mp4", "video/mp4", mp4(600_000))])
        .await;
    first.assert_status(StatusCode::CREATED);
    let used = first.json::<Value>()["items"][0]["size"]
        .as_i64()
        .expect("a size");
    assert_eq!(
        media
            .app
            .count(&format!("media_usage WHERE bytes = {used}"))
            .await,
        1
    );
    let stored = media.stored();

    // Two files of 300 kB each: the first fits in what is left (about 448 KiB), the second
    // does not, so neither is kept.
    let response = media
        .upload(
            &alice,
            &[
                file("b.mp4", "video/mp4", mp4(300_000)),
                file("c.webm", "video/webm", webm(300_000)),
            ],
        )
        .await;
    let problem = response.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded");
    assert!(
        problem.detail.starts_with("file[1]: "),
        "{}",
        problem.detail
    );
    assert!(problem.detail.contains("1 MiB"), "{}", problem.detail);
    let body: Value = response.json();
    let left = (1 << 20) - used;
    assert_eq!(body["quota"], 1 << 20);
    assert_eq!(body["remaining"], left);
    assert_eq!(
        media.stored(),
        stored,
        "nothing of the refused upload is kept"
    );
    assert_eq!(media.app.count("media").await, 1);
    assert_eq!(
        media
            .app
            .count(&format!("media_usage WHERE bytes = {used}"))
            .await,
        1
    );

    // What is left can still be used.
    let response = media
        .upload(&alice, &[file("d.mp4", "video/mp4", mp4(400_000))])
        .await;
    response.assert_status(StatusCode::CREATED);
    // Images count too: with about 48 KiB left, a 120 kB PNG is refused.
    let response = media
        .upload(
            &alice,
            &[file(
                "e.png",
                "image/png",
                encode(noise(200, 200), ImageFormat::Png),
            )],
        )
        .await;
    response.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded");
    assert_eq!(media.app.count("media").await, 2);
}

/// The quota is checked as the file streams: with a 1 MiB quota, a client that has sent 2 MiB
/// of a 5 MiB upload and then stalls gets its 413 without sending the rest.
#[tokio::test]
async fn an_upload_over_the_quota_is_refused_before_it_is_all_sent() {
    let app = TestApp::builder()
        .env("AGORA_MEDIA_QUOTA_UNVERIFIED", "1MiB")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let (content_type, body) = multipart(&[file("big.mp4", "video/mp4", mp4(5_000_000))]);
    let mut stream = upload_head(&app, &alice, &content_type, body.len()).await;
    stream
        .write_all(&body[..2_000_000])
        .await
        .expect("writes 2 MB of the body");
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        while !contains(&answer, b"quota_exceeded") {
            let n = stream.read(&mut buffer).await.expect("reads the answer");
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    assert!(read.is_ok(), "no answer until the whole body is sent");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("\"code\":\"quota_exceeded\""), "{text}");
    assert_eq!(app.count("media").await, 0);
    assert!(files_under(&app.database().dir.path().join("media")).is_empty());
}

/// Uploads spend a budget per user (2 an hour here) shared by both upload routes; past it, 429
/// with `Retry-After`, and nothing is read or stored.
#[tokio::test]
async fn uploads_past_the_rate_limit_are_refused() {
    let app = TestApp::builder()
        .env("AGORA_RATE_LIMIT_UPLOAD", "2/1h")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let upload = |user: &TestUser| {
        let (content_type, body) = multipart(&[file("a.mp4", "video/mp4", mp4(100))]);
        app.post("/api/v1/media/upload")
            .bearer(&user.access_token)
            .body(&content_type, body)
    };
    let first = upload(&alice).send().await;
    first.assert_status(StatusCode::CREATED);
    assert_eq!(first.header("ratelimit-limit"), Some("2"));
    assert_eq!(first.header("ratelimit-remaining"), Some("1"));
    upload(&alice)
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    let refused = upload(&alice).send().await;
    refused.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry_after: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=1800).contains(&retry_after), "{retry_after}");
    // The profile picture spends the same budget.
    let (content_type, body) = multipart(&[file(
        "me.png",
        "image/png",
        encode(gradient(10, 10), ImageFormat::Png),
    )]);
    app.post("/api/v1/users/me/profile-picture")
        .bearer(&alice.access_token)
        .body(&content_type, body)
        .send()
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count("media").await, 2);
    // Another user has a budget of their own.
    upload(&bob).send().await.assert_status(StatusCode::CREATED);
}

/// Two 32 MB videos: each within its own limit (50 MiB), together over the request's (60 MiB).
fn two_large_videos() -> (String, Vec<u8>) {
    let video = mp4(32_000_000);
    multipart(&[
        file("a.mp4", "video/mp4", video.clone()),
        file("b.mp4", "video/mp4", video),
    ])
}

#[tokio::test]
async fn a_request_over_60_mib_is_too_large_declared_or_streamed() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let (content_type, body) = two_large_videos();
    // With its length declared: refused before the body is read.
    let response = app
        .post("/api/v1/media/upload")
        .bearer(&alice.access_token)
        .body(&content_type, body.clone())
        .send()
        .await;
    response.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Streamed without a length: cut off at the limit, the first video (stored by then)
    // deleted again.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(1 << 20).map(|c| Ok(c.to_vec())).collect();
    let response = app
        .post("/api/v1/media/upload")
        .bearer(&alice.access_token)
        .body(
            &content_type,
            reqwest::Body::wrap_stream(futures::stream::iter(chunks)),
        )
        .send()
        .await;
    response.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(app.count("media").await, 0);
    assert!(files_under(&app.database().dir.path().join("media")).is_empty());
}

/// Sends all of a two-file upload but its last 100 bytes, waits until the first file is stored,
/// then closes the connection (`close`) or stalls; returns once no file is left (or fails).
async fn upload_interrupted(app: &TestApp, close: bool) {
    let alice = app.register("alice").await;
    let media_dir = app.database().dir.path().join("media");
    let (content_type, body) = multipart(&[
        file(
            "a.png",
            "image/png",
            encode(gradient(300, 300), ImageFormat::Png),
        ),
        file(
            "b.png",
            "image/png",
            encode(gradient(300, 300), ImageFormat::Png),
        ),
    ]);
    let cut = body.len() - 100;
    let mut stream = upload_head(app, &alice, &content_type, body.len()).await;
    stream
        .write_all(&body[..cut])
        .await
        .expect("writes most of the body");
    let stored = async || (!files_under(&media_dir).is_empty()).then_some(());
    eventually(Duration::from_secs(10), "the first file is stored", stored).await;
    if close {
        drop(stream);
    }
    let gone = async || files_under(&media_dir).is_empty().then_some(());
    eventually(Duration::from_secs(10), "no file is left behind", gone).await;
    assert_eq!(app.count("media").await, 0);
}

#[tokio::test]
async fn a_client_that_goes_away_mid_upload_leaves_no_file() {
    let app = TestApp::spawn().await;
    upload_interrupted(&app, true).await;
}

#[tokio::test]
async fn an_upload_cancelled_by_the_request_timeout_leaves_no_file() {
    // The timeout drops the handler mid-request: no error path runs, the `Pending` guard
    // deletes what the first part stored.
    let app = TestApp::builder()
        .env("AGORA_REQUEST_TIMEOUT", "1s")
        .spawn()
        .await;
    upload_interrupted(&app, false).await;
}

on_each_backend!(an_upload_over_the_quota_is_refused_and_keeps_nothing,);
