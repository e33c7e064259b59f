//! Uploads: a file is told by its bytes, images come back re-encoded without metadata and with
//! thumbnails, bombs and oversized images are refused, a failure leaves nothing behind,
//! `/media/{key}` serves only stored keys, and media URLs follow `media_url`.

use std::time::{Duration, Instant};

use agora_testkit::{StatusCode, TestApp};
use image::ImageFormat;
use serde_json::Value;

use super::support::{
    Part, contains, encode, fetch, file, gradient, jpeg_rotated, jpeg_with_gps, mp4, mp4_box,
    multipart, noise, png_bomb, random_bytes, raw_get, webm, webm_header,
};
use super::{Backend, MediaApp};

async fn an_image_is_stored_with_thumbnails_and_served(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let items = media
        .upload_ok(
            &alice,
            &[file(
                "photo.png",
                "image/png",
                encode(gradient(600, 400), ImageFormat::Png),
            )],
        )
        .await;
    let item = &items[0];
    assert_eq!(item.content_type, "image/png");
    assert_eq!((item.width, item.height), (Some(600), Some(400)));
    let key = &item.key;
    assert!(
        key.starts_with("uploads/") && key.ends_with(".png"),
        "{key}"
    );
    assert!(!key.contains("photo"), "keys never come from the file name");
    assert_eq!(item.url, format!("/media/{key}"));
    // 64 and 256 are made; 1024 is larger than the image, so it is the original.
    assert_eq!(item.thumbnails["1024"], item.url);
    let thumb = &item.thumbnails["256"];
    assert_ne!(thumb, &item.url);
    let served = fetch(&media.app, thumb).await;
    served.assert_status(StatusCode::OK);
    let decoded = image::load_from_memory(&served.body).expect("a thumbnail decodes");
    assert_eq!((decoded.width(), decoded.height()), (256, 171));

    let served = fetch(&media.app, &item.url).await;
    served.assert_status(StatusCode::OK);
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert_eq!(
        served.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(served.body.len() as i64, item.size);
    let etag = served.header("etag").expect("an etag").to_owned();
    let again = media
        .app
        .get(&item.url)
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    assert_eq!(media.app.count("media").await, 1);
    assert_eq!(media.stored().len(), 3, "{:?}", media.stored());
}

async fn a_jpeg_loses_its_gps_exif(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let original = jpeg_with_gps();
    assert!(contains(&original, b"Exif\0\0"));
    image::load_from_memory(&original).expect("the test JPEG with EXIF is valid");
    let items = media
        .upload_ok(&alice, &[file("holiday.jpg", "image/jpeg", original)])
        .await;
    assert_eq!(items[0].content_type, "image/jpeg");
    let served = fetch(&media.app, &items[0].url).await;
    served.assert_status(StatusCode::OK);
    assert!(served.body.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert!(!contains(&served.body, b"Exif"), "the EXIF segment is gone");
    assert!(
        !contains(&served.body, &[0xFF, 0xE1]),
        "no APP1 segment at all"
    );
    image::load_from_memory(&served.body).expect("still a JPEG");
}

async fn a_photo_is_turned_upright_by_its_exif_orientation(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let items = media
        .upload_ok(
            &alice,
            &[file("sideways.jpg", "image/jpeg", jpeg_rotated())],
        )
        .await;
    assert_eq!((items[0].width, items[0].height), (Some(20), Some(40)));
    let served = fetch(&media.app, &items[0].url).await;
    let decoded = image::load_from_memory(&served.body).expect("a JPEG");
    assert_eq!((decoded.width(), decoded.height()), (20, 40));
    assert!(!contains(&served.body, b"Exif"));
}

async fn a_png_named_jpg_is_stored_as_png(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let items = media
        .upload_ok(
            &alice,
            &[file(
                "photo.jpg",
                "image/jpeg",
                encode(gradient(40, 30), ImageFormat::Png),
            )],
        )
        .await;
    assert_eq!(items[0].content_type, "image/png");
    assert!(items[0].key.ends_with(".png"));
    let served = fetch(&media.app, &items[0].url).await;
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert!(served.body.starts_with(b"\x89PNG"));
}

async fn a_text_file_named_png_is_unsupported(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let response = media
        .upload(
            &alice,
            &[file(
                "cat.png",
                "image/png",
                b"this is not a picture of a cat, it is text".to_vec(),
            )],
        )
        .await;
    response.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert_eq!(media.app.count("media").await, 0);
    assert!(media.stored().is_empty());
}

async fn a_decompression_bomb_is_refused_quickly(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let bomb = png_bomb();
    assert!(bomb.len() < 1000);
    let started = Instant::now();
    let response = media
        .upload(&alice, &[file("small.png", "image/png", bomb)])
        .await;
    // Refused from the header (the decoder's `image::Limits` cap the width, height and
    // allocations), so neither the time nor the memory of 7.5 GB of pixels is spent.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(
        problem.detail.contains("50000 × 50000"),
        "{}",
        problem.detail
    );
    assert!(media.stored().is_empty());
}

async fn an_image_over_5_mb_is_too_large(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let big = encode(noise(1450, 1450), ImageFormat::Png);
    assert!(big.len() > 6_000_000, "{}", big.len());
    let response = media
        .upload(&alice, &[file("big.png", "image/png", big)])
        .await;
    response.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert!(media.stored().is_empty());
}

async fn a_failing_part_leaves_no_file_and_no_row(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let response = media
        .upload(
            &alice,
            &[
                file(
                    "a.png",
                    "image/png",
                    encode(gradient(300, 300), ImageFormat::Png),
                ),
                file(
                    "b.jpg",
                    "image/jpeg",
                    encode(gradient(300, 300), ImageFormat::Jpeg),
                ),
                file("c.png", "image/png", b"plain text".to_vec()),
            ],
        )
        .await;
    response.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(response.problem().detail.starts_with("file[2]"));
    assert_eq!(media.app.count("media").await, 0);
    assert_eq!(media.stored(), Vec::<String>::new());
}

async fn more_than_ten_files_are_refused_and_nothing_is_kept(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let parts: Vec<Part<'_>> = (0..11)
        .map(|_| {
            file(
                "a.png",
                "image/png",
                encode(gradient(10, 10), ImageFormat::Png),
            )
        })
        .collect();
    let response = media.upload(&alice, &parts).await;
    response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(media.app.count("media").await, 0);
    assert!(media.stored().is_empty(), "{:?}", media.stored());
}

async fn several_files_and_a_video_are_uploaded_at_once(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let mp4 = mp4(64);
    let webm = webm(64);
    let items = media
        .upload_ok(
            &alice,
            &[
                file(
                    "a.gif",
                    "image/gif",
                    encode(gradient(20, 20), ImageFormat::Gif),
                ),
                file("clip.mp4", "video/mp4", mp4.clone()),
                file("clip.webm", "video/webm", webm.clone()),
            ],
        )
        .await;
    // A GIF becomes a PNG of its first frame.
    assert_eq!(items[0].content_type, "image/png");
    assert_eq!(items[1].content_type, "video/mp4");
    assert!(items[1].thumbnails.is_empty());
    assert_eq!(items[1].width, None);
    let served = fetch(&media.app, &items[1].url).await;
    assert_eq!(served.header("content-type"), Some("video/mp4"));
    assert_eq!(served.body, mp4);
    assert_eq!(items[2].content_type, "video/webm");
    let served = fetch(&media.app, &items[2].url).await;
    assert_eq!(served.body, webm);
    assert_eq!(media.app.count("media").await, 3);
}

async fn traversal_and_unknown_keys_are_not_found(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    media
        .upload(
            &alice,
            &[file(
                "a.png",
                "image/png",
                encode(gradient(10, 10), ImageFormat::Png),
            )],
        )
        .await
        .assert_status(StatusCode::CREATED);
    for path in [
        "/media/../agora.db",
        "/media/../../etc/passwd",
        "/media/%2e%2e/agora.db",
        "/media/%2E%2E%2Fagora.db",
        "/media/..%2fagora.db",
        "/media/uploads/..%5c..%5cagora.db",
        "/media/uploads\\..\\..\\agora.db",
        "/media/%2fetc%2fpasswd",
        "/media//etc/passwd",
        "/media/uploads",
        "/media/uploads/",
        "/media/uploads/2026",
        "/media/uploads/2026.png",
        "/media/uploads/nothing-here.png",
        "/media/%ff%fe",
        "/media/",
    ] {
        assert_eq!(raw_get(&media.app, path).await, 404, "{path}");
    }
}

async fn random_bytes_behind_a_video_header_are_refused(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    // What the outside probe did: a valid `ftyp`, then noise.
    let fake_mp4 = [
        mp4_box(b"ftyp", b"mp42\0\0\0\0mp42isom"),
        random_bytes(200_000),
    ]
    .concat();
    let fake_webm = [
        webm_header(),
        vec![0x18, 0x53, 0x80, 0x67, 0xFF],
        random_bytes(200_000),
    ]
    .concat();
    let good = mp4(1000);
    let truncated_mp4 = good[..good.len() - 10].to_vec();
    let good = webm(1000);
    let truncated_webm = good[..good.len() - 10].to_vec();
    for (name, content_type, bytes, format) in [
        ("probe.mp4", "video/mp4", fake_mp4, "MP4"),
        ("probe.webm", "video/webm", fake_webm, "WebM"),
        ("cut.mp4", "video/mp4", truncated_mp4, "MP4"),
        ("cut.webm", "video/webm", truncated_webm, "WebM"),
    ] {
        let response = media
            .upload(&alice, &[file(name, content_type, bytes)])
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let problem = response.problem();
        assert_eq!(problem.code, "validation_failed", "{name}");
        let body: Value = response.json();
        assert_eq!(body["errors"][0]["field"], "file[0]", "{name}");
        let message = body["errors"][0]["message"].as_str().expect("a message");
        assert!(
            message.starts_with(&format!("not a well-formed {format} file")),
            "{name}: {message}"
        );
    }
    assert_eq!(media.app.count("media").await, 0);
    assert_eq!(media.app.count("media_usage WHERE bytes > 0").await, 0);
    assert!(media.stored().is_empty(), "{:?}", media.stored());
}

/// With `media_url`, every media URL the API gives (uploads, thumbnails, profile pictures on
/// the account and the public profile) points at that origin; the key is the same, and this
/// server still serves it at `/media/{key}` for the origin to fetch.
#[tokio::test]
async fn media_urls_follow_the_media_url_setting() {
    let base = "https://media.example.com/agora";
    let app = TestApp::builder()
        .env("AGORA_MEDIA_URL", format!("{base}/"))
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let (content_type, body) = multipart(&[file(
        "a.png",
        "image/png",
        encode(gradient(300, 300), ImageFormat::Png),
    )]);
    let items = app
        .post("/api/v1/media/upload")
        .bearer(&alice.access_token)
        .body(&content_type, body)
        .send()
        .await
        .assert_status(StatusCode::CREATED)
        .json::<Value>()["items"]
        .clone();
    let key = items[0]["key"].as_str().expect("a key");
    assert_eq!(items[0]["url"], format!("{base}/{key}"));
    assert_eq!(
        items[0]["thumbnails"]["64"],
        format!("{base}/{}", key.replace(".png", "_64.png"))
    );
    assert_eq!(items[0]["thumbnails"]["1024"], format!("{base}/{key}"));
    fetch(&app, &format!("/media/{key}"))
        .await
        .assert_status(StatusCode::OK);

    let (content_type, body) = multipart(&[file(
        "me.png",
        "image/png",
        encode(gradient(80, 80), ImageFormat::Png),
    )]);
    let account: Value = app
        .post("/api/v1/users/me/profile-picture")
        .bearer(&alice.access_token)
        .body(&content_type, body)
        .send()
        .await
        .assert_status(StatusCode::OK)
        .json();
    let picture = account["profile_picture_url"].as_str().expect("a picture");
    assert!(
        picture.starts_with(&format!("{base}/avatars/")),
        "{picture}"
    );
    for path in ["/api/v1/auth/me", "/api/v1/users/me", "/api/v1/users/alice"] {
        let shown: Value = app
            .get(path)
            .bearer(&alice.access_token)
            .send()
            .await
            .json();
        let shown = shown
            .get("profile_picture_url")
            .or_else(|| shown.get("user").and_then(|u| u.get("profile_picture_url")))
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(shown, picture, "{path}");
    }
}

#[tokio::test]
async fn uploads_need_a_signed_in_caller_and_a_multipart_body() {
    let app = TestApp::spawn().await;
    let (content_type, body) = multipart(&[file(
        "a.png",
        "image/png",
        encode(gradient(10, 10), ImageFormat::Png),
    )]);
    let response = app
        .post("/api/v1/media/upload")
        .body(&content_type, body)
        .send()
        .await;
    response.assert_status(StatusCode::UNAUTHORIZED);
    let alice = app.register("alice").await;
    let response = app
        .post("/api/v1/media/upload")
        .bearer(&alice.access_token)
        .json(&serde_json::json!({"file": "x"}))
        .send()
        .await;
    response.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let (content_type, body) = multipart(&[]);
    let response = app
        .post("/api/v1/media/upload")
        .bearer(&alice.access_token)
        .body(&content_type, body)
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    let doc: Value = app.get("/openapi.json").send().await.json();
    for path in [
        "/api/v1/media/upload",
        "/api/v1/users/me/profile-picture",
        "/media/{key}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}

#[tokio::test]
async fn a_part_other_than_file_is_refused_and_nothing_is_stored() {
    let media = MediaApp::spawn(Backend::Local).await;
    let user = media.app.register("parts").await;
    let png = encode(gradient(10, 10), ImageFormat::Png);
    let response = media
        .upload(
            &user,
            &[
                file("a.png", "image/png", png.clone()),
                Part("files", "b.png", "image/png", png.clone()),
            ],
        )
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().errors[0].field, "files");
    let response = media
        .set_picture(&user, Part("picture", "a.png", "image/png", png))
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().errors[0].field, "picture");
    assert!(media.stored().is_empty(), "{:?}", media.stored());
}

on_each_backend!(
    an_image_is_stored_with_thumbnails_and_served,
    a_jpeg_loses_its_gps_exif,
    a_photo_is_turned_upright_by_its_exif_orientation,
    a_png_named_jpg_is_stored_as_png,
    a_text_file_named_png_is_unsupported,
    a_decompression_bomb_is_refused_quickly,
    an_image_over_5_mb_is_too_large,
    a_failing_part_leaves_no_file_and_no_row,
    more_than_ten_files_are_refused_and_nothing_is_kept,
    several_files_and_a_video_are_uploaded_at_once,
    traversal_and_unknown_keys_are_not_found,
    random_bytes_behind_a_video_header_are_refused,
);
