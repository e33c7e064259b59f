//! Media: uploads are told by their bytes, images come back re-encoded without metadata and
//! with thumbnails, limits refuse large files and decompression bombs, a failure leaves nothing
//! behind, `/media/{key}` serves only stored keys, and an old profile picture's files go away.
//! Videos are checked by their structure (MP4 boxes, WebM elements), uploads count against a
//! storage quota per user and spend an upload rate limit, and media URLs follow `media_url`.
//!
//! Every test runs twice: on the local folder (`local::…`) and on an S3 server started in the
//! test process (`s3::…`, `s3s-fs`).

use std::io::Cursor;
use std::time::{Duration, Instant};

use agora_testkit::s3::files_under;
use agora_testkit::{StatusCode, TestApp, TestS3, TestUser};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Copy)]
enum Backend {
    Local,
    S3,
}

/// A running application on one storage backend.
struct MediaApp {
    app: TestApp,
    s3: Option<TestS3>,
}

impl MediaApp {
    async fn spawn(backend: Backend) -> MediaApp {
        MediaApp::spawn_with(backend, &[]).await
    }

    /// With settings of the test's own.
    async fn spawn_with(backend: Backend, env: &[(&str, &str)]) -> MediaApp {
        let mut builder = TestApp::builder();
        for (name, value) in env {
            builder = builder.env(name, *value);
        }
        match backend {
            Backend::Local => MediaApp {
                app: builder.spawn().await,
                s3: None,
            },
            Backend::S3 => {
                let s3 = TestS3::start().await;
                for (name, value) in s3.env() {
                    builder = builder.env(name, value);
                }
                MediaApp {
                    app: builder.spawn().await,
                    s3: Some(s3),
                }
            }
        }
    }

    /// Every object in storage, as keys.
    fn stored(&self) -> Vec<String> {
        match &self.s3 {
            Some(s3) => files_under(&s3.bucket_dir()),
            None => files_under(&self.app.database().dir.path().join("media")),
        }
    }

    async fn upload(&self, user: &TestUser, parts: &[Part<'_>]) -> agora_testkit::TestResponse {
        let (content_type, body) = multipart(parts);
        self.app
            .post("/api/v1/media/upload")
            .bearer(&user.access_token)
            .body(&content_type, body)
            .send()
            .await
    }

    async fn set_picture(&self, user: &TestUser, part: Part<'_>) -> agora_testkit::TestResponse {
        let (content_type, body) = multipart(&[part]);
        self.app
            .post("/api/v1/users/me/profile-picture")
            .bearer(&user.access_token)
            .body(&content_type, body)
            .send()
            .await
    }
}

/// One part of a multipart body: field name, file name, declared type, bytes.
struct Part<'a>(&'a str, &'a str, &'a str, Vec<u8>);

fn file(name: &'static str, content_type: &'static str, bytes: Vec<u8>) -> Part<'static> {
    Part("file", name, content_type, bytes)
}

fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "agora-test-boundary-7d1f";
    let mut body = Vec::new();
    for Part(field, filename, content_type, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), format)
        .expect("the test image encodes");
    bytes
}

fn gradient(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    }))
}

/// Pixels that do not compress: a PNG of them is about 3 bytes a pixel.
fn noise(width: u32, height: u32) -> DynamicImage {
    let mut state: u32 = 0x1234_5678;
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        Rgb([a, b, c])
    }))
}

/// An MP4 box: 32-bit size, four-letter type, content.
fn mp4_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(content.len() + 8)
        .expect("a box under 4 GiB")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(content);
    out
}

/// The smallest MP4 the server accepts: `ftyp` (major brand `isom`, minor version 512,
/// compatible brand `isom`), a `moov` holding an `mvhd` (a version 0 header, zeroed: 100 bytes)
/// and a `trak` with an empty `mdia`, then an `mdat` of `payload` bytes. Players would find no
/// samples in it; the server checks structure, not playability.
fn mp4(payload: usize) -> Vec<u8> {
    let mut out = mp4_box(b"ftyp", b"isom\0\0\x02\0isom");
    let trak = mp4_box(b"trak", &mp4_box(b"mdia", &[]));
    out.extend(mp4_box(
        b"moov",
        &[mp4_box(b"mvhd", &[0u8; 100]), trak].concat(),
    ));
    out.extend(mp4_box(b"mdat", &vec![0x5A; payload]));
    out
}

/// An EBML element: its id as written (1–4 bytes), an 8-byte size (`0x01` then 7 bytes), its
/// content.
fn ebml(id: u32, content: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = id
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    out.push(0x01);
    out.extend_from_slice(&(content.len() as u64).to_be_bytes()[1..]);
    out.extend_from_slice(content);
    out
}

/// The EBML header of a WebM file: DocType (0x4282) `webm`.
fn webm_header() -> Vec<u8> {
    ebml(0x1A45_DFA3, &ebml(0x4282, b"webm"))
}

/// The smallest WebM the server accepts: the header, then a Segment (0x18538067) with Info
/// (0x1549A966, holding TimestampScale 0x2AD7B1 = 1,000,000), Tracks (0x1654AE6B, one empty
/// TrackEntry 0xAE) and a Cluster (0x1F43B675) with a Timestamp (0xE7) and a SimpleBlock (0xA3)
/// of `payload` bytes.
fn webm(payload: usize) -> Vec<u8> {
    let cluster = [ebml(0xE7, &[0]), ebml(0xA3, &vec![0x5A; payload])].concat();
    let segment = [
        ebml(0x1549_A966, &ebml(0x2A_D7B1, &[0x0F, 0x42, 0x40])),
        ebml(0x1654_AE6B, &ebml(0xAE, &[])),
        ebml(0x1F43_B675, &cluster),
    ]
    .concat();
    [webm_header(), ebml(0x1853_8067, &segment)].concat()
}

/// `len` bytes that look random (xorshift), the same on every run.
fn random_bytes(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A JPEG with an EXIF APP1 segment holding a GPS position (48°51'N), built by hand: a TIFF
/// header, IFD0 with the GPSInfo pointer, and the GPS IFD with GPSLatitudeRef and GPSLatitude.
fn jpeg_with_gps() -> Vec<u8> {
    let jpeg = encode(gradient(320, 240), ImageFormat::Jpeg);
    let mut tiff: Vec<u8> = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes()); // IFD0 at 8
    // IFD0: one entry, GPSInfo (0x8825, LONG) → the GPS IFD at 26.
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x8825u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    // GPS IFD at 26: GPSLatitudeRef "N", GPSLatitude (3 RATIONALs at 56).
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&2u32.to_le_bytes());
    tiff.extend_from_slice(b"N\0\0\0");
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&5u16.to_le_bytes());
    tiff.extend_from_slice(&3u32.to_le_bytes());
    tiff.extend_from_slice(&56u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(tiff.len(), 56);
    for (numerator, denominator) in [(48u32, 1u32), (51, 1), (2424, 100)] {
        tiff.extend_from_slice(&numerator.to_le_bytes());
        tiff.extend_from_slice(&denominator.to_le_bytes());
    }
    with_exif(&jpeg, &tiff)
}

/// `jpeg` with an EXIF APP1 segment holding `tiff` right after its SOI marker.
fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(tiff);
    let length = u16::try_from(app1.len() + 2).expect("a short segment");
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A 40 × 20 JPEG whose EXIF orientation (6) says: turn 90° clockwise to show it.
fn jpeg_rotated() -> Vec<u8> {
    let jpeg = encode(gradient(40, 20), ImageFormat::Jpeg);
    let mut tiff: Vec<u8> = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation, SHORT, 1 value
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&6u16.to_le_bytes());
    tiff.extend_from_slice(&0u16.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    with_exif(&jpeg, &tiff)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
    let mut checked = kind.to_vec();
    checked.extend_from_slice(data);
    out.extend_from_slice(&checked);
    out.extend_from_slice(&crc32(&checked).to_be_bytes());
}

/// A decompression bomb: a valid PNG of a few hundred bytes whose header declares 50,000 ×
/// 50,000 RGB pixels (7.5 GB decoded), with a small zlib stream (one stored block of zeros) as
/// its only IDAT.
fn png_bomb() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    png_chunk(&mut png, b"IHDR", &ihdr);
    let data = [0u8; 256];
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&256u16.to_le_bytes());
    zlib.extend_from_slice(&(!256u16).to_le_bytes());
    zlib.extend_from_slice(&data);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    png_chunk(&mut png, b"IDAT", &zlib);
    png_chunk(&mut png, b"IEND", &[]);
    png
}

/// Sends a raw request line, as a browser-less attacker would, without the client normalising
/// `..` or `%2e%2e` away; returns the status.
async fn raw_get(app: &TestApp, path: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(app.address())
        .await
        .expect("connects");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("writes");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("reads");
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"))
}

async fn fetch(app: &TestApp, url: &str) -> agora_testkit::TestResponse {
    app.get(url).send().await
}

// --- the tests, each run on both backends -------------------------------------------------

async fn an_image_is_stored_with_thumbnails_and_served(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let response = media
        .upload(
            &alice,
            &[file(
                "photo.png",
                "image/png",
                encode(gradient(600, 400), ImageFormat::Png),
            )],
        )
        .await;
    response.assert_status(StatusCode::CREATED);
    let items = response.json::<Value>()["items"].clone();
    let item = &items[0];
    assert_eq!(item["content_type"], "image/png");
    assert_eq!(
        (item["width"].as_i64(), item["height"].as_i64()),
        (Some(600), Some(400))
    );
    let key = item["key"].as_str().expect("a key");
    assert!(
        key.starts_with("uploads/") && key.ends_with(".png"),
        "{key}"
    );
    assert!(!key.contains("photo"), "keys never come from the file name");
    assert_eq!(item["url"], format!("/media/{key}"));
    // 64 and 256 are made; 1024 is larger than the image, so it is the original.
    assert_eq!(item["thumbnails"]["1024"], item["url"]);
    let thumb = item["thumbnails"]["256"].as_str().expect("a thumbnail url");
    assert_ne!(thumb, item["url"].as_str().expect("url"));
    let served = fetch(&media.app, thumb).await;
    served.assert_status(StatusCode::OK);
    let decoded = image::load_from_memory(&served.body).expect("a thumbnail decodes");
    assert_eq!((decoded.width(), decoded.height()), (256, 171));

    let served = fetch(&media.app, item["url"].as_str().expect("url")).await;
    served.assert_status(StatusCode::OK);
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert_eq!(
        served.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        served.body.len() as i64,
        item["size"].as_i64().expect("size")
    );
    let etag = served.header("etag").expect("an etag").to_owned();
    let again = media
        .app
        .get(item["url"].as_str().expect("url"))
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
    let response = media
        .upload(&alice, &[file("holiday.jpg", "image/jpeg", original)])
        .await;
    response.assert_status(StatusCode::CREATED);
    let item = &response.json::<Value>()["items"][0];
    assert_eq!(item["content_type"], "image/jpeg");
    let served = fetch(&media.app, item["url"].as_str().expect("url")).await;
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
    let response = media
        .upload(
            &alice,
            &[file("sideways.jpg", "image/jpeg", jpeg_rotated())],
        )
        .await;
    response.assert_status(StatusCode::CREATED);
    let item = &response.json::<Value>()["items"][0];
    assert_eq!(
        (item["width"].as_i64(), item["height"].as_i64()),
        (Some(20), Some(40))
    );
    let served = fetch(&media.app, item["url"].as_str().expect("url")).await;
    let decoded = image::load_from_memory(&served.body).expect("a JPEG");
    assert_eq!((decoded.width(), decoded.height()), (20, 40));
    assert!(!contains(&served.body, b"Exif"));
}

async fn a_png_named_jpg_is_stored_as_png(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let response = media
        .upload(
            &alice,
            &[file(
                "photo.jpg",
                "image/jpeg",
                encode(gradient(40, 30), ImageFormat::Png),
            )],
        )
        .await;
    response.assert_status(StatusCode::CREATED);
    let item = &response.json::<Value>()["items"][0];
    assert_eq!(item["content_type"], "image/png");
    assert!(item["key"].as_str().expect("key").ends_with(".png"));
    let served = fetch(&media.app, item["url"].as_str().expect("url")).await;
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
    response.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.problem().code, "unsupported_media_type");
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
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let problem = response.problem();
    assert_eq!(problem.code, "validation_failed");
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
    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.problem().code, "payload_too_large");
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
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().code, "validation_failed");
    assert_eq!(media.app.count("media").await, 0);
    assert!(media.stored().is_empty(), "{:?}", media.stored());
}

async fn several_files_and_a_video_are_uploaded_at_once(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let mp4 = mp4(64);
    let webm = webm(64);
    let response = media
        .upload(
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
    response.assert_status(StatusCode::CREATED);
    let items = response.json::<Value>()["items"].clone();
    // A GIF becomes a PNG of its first frame.
    assert_eq!(items[0]["content_type"], "image/png");
    assert_eq!(items[1]["content_type"], "video/mp4");
    assert_eq!(items[1]["thumbnails"], serde_json::json!({}));
    assert!(items[1]["width"].is_null());
    let served = fetch(&media.app, items[1]["url"].as_str().expect("url")).await;
    assert_eq!(served.header("content-type"), Some("video/mp4"));
    assert_eq!(served.body, mp4);
    assert_eq!(items[2]["content_type"], "video/webm");
    let served = fetch(&media.app, items[2]["url"].as_str().expect("url")).await;
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

async fn a_new_profile_picture_replaces_and_deletes_the_old_one(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let first = media
        .set_picture(
            &alice,
            file(
                "me.jpg",
                "image/jpeg",
                encode(gradient(500, 500), ImageFormat::Jpeg),
            ),
        )
        .await;
    first.assert_status(StatusCode::OK);
    let first_url = first.json::<Value>()["profile_picture_url"]
        .as_str()
        .expect("a picture url")
        .to_owned();
    assert!(first_url.starts_with("/media/avatars/"), "{first_url}");
    let first_files = media.stored();
    assert_eq!(
        first_files.len(),
        3,
        "the picture, 64 and 256: {first_files:?}"
    );

    let second = media
        .set_picture(
            &alice,
            file(
                "me2.png",
                "image/png",
                encode(gradient(80, 80), ImageFormat::Png),
            ),
        )
        .await;
    second.assert_status(StatusCode::OK);
    let second_url = second.json::<Value>()["profile_picture_url"]
        .as_str()
        .expect("a picture url")
        .to_owned();
    let me: Value = media
        .app
        .get("/api/v1/auth/me")
        .bearer(&alice.access_token)
        .send()
        .await
        .json();
    assert_eq!(me["profile_picture_url"], second_url.as_str());
    let now = media.stored();
    assert!(
        first_files.iter().all(|old| !now.contains(old)),
        "old files remain: {now:?}"
    );
    assert_eq!(now.len(), 2, "the picture and its 64 px thumbnail: {now:?}");
    assert_eq!(
        fetch(&media.app, &first_url).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(media.app.count("media").await, 1);

    let deleted = media
        .app
        .delete("/api/v1/users/me/profile-picture")
        .bearer(&alice.access_token)
        .send()
        .await;
    deleted.assert_status(StatusCode::NO_CONTENT);
    assert!(media.stored().is_empty(), "{:?}", media.stored());
    assert_eq!(media.app.count("media").await, 0);
    let me: Value = media
        .app
        .get("/api/v1/auth/me")
        .bearer(&alice.access_token)
        .send()
        .await
        .json();
    assert!(me["profile_picture_url"].is_null());
}

async fn a_profile_picture_must_be_a_still_image(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let response = media
        .set_picture(
            &alice,
            file(
                "me.gif",
                "image/gif",
                encode(gradient(20, 20), ImageFormat::Gif),
            ),
        )
        .await;
    response.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.problem().code, "unsupported_media_type");
    assert!(media.stored().is_empty());
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
    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    let problem = response.problem();
    assert_eq!(problem.code, "quota_exceeded");
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
    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.problem().code, "quota_exceeded");
    assert_eq!(media.app.count("media").await, 2);
}

/// Replacing or deleting the profile picture gives its bytes back: with a quota smaller than
/// two pictures, a second one fits only because the first is gone.
async fn a_replaced_or_deleted_picture_gives_its_bytes_back(backend: Backend) {
    let media = MediaApp::spawn_with(backend, &[("AGORA_MEDIA_QUOTA_UNVERIFIED", "400KiB")]).await;
    let alice = media.app.register("alice").await;
    // Noise does not compress: each PNG is about 235 kB, stored as a PNG of the same size.
    let picture = encode(noise(280, 280), ImageFormat::Png);
    for round in 0..3 {
        let response = media
            .set_picture(&alice, file("me.png", "image/png", picture.clone()))
            .await;
        response.assert_status(StatusCode::OK);
        assert_eq!(
            media
                .app
                .count("media_usage WHERE bytes > 200000 AND bytes < 409600")
                .await,
            1,
            "round {round}: one picture counted"
        );
    }
    // An upload beside the picture does not fit.
    let response = media
        .upload(&alice, &[file("me.png", "image/png", picture.clone())])
        .await;
    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.problem().code, "quota_exceeded");
    media
        .app
        .delete("/api/v1/users/me/profile-picture")
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(media.app.count("media_usage WHERE bytes = 0").await, 1);
    media
        .upload(&alice, &[file("me.png", "image/png", picture)])
        .await
        .assert_status(StatusCode::CREATED);
}

macro_rules! on_each_backend {
    ($($test:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::Backend::Local).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::Backend::S3).await;
                }
            )*
        }
    };
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
    a_new_profile_picture_replaces_and_deletes_the_old_one,
    a_profile_picture_must_be_a_still_image,
    random_bytes_behind_a_video_header_are_refused,
    an_upload_over_the_quota_is_refused_and_keeps_nothing,
    a_replaced_or_deleted_picture_gives_its_bytes_back,
);

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
    let mut stream = tokio::net::TcpStream::connect(app.address())
        .await
        .expect("connects");
    stream
        .write_all(
            format!(
                "POST /api/v1/media/upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                alice.access_token,
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("writes the head");
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
    refused.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.problem().code, "rate_limited");
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
    response.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.problem().code, "unsupported_media_type");
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
    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.problem().code, "payload_too_large");
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
    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.problem().code, "payload_too_large");
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
    let mut stream = tokio::net::TcpStream::connect(app.address())
        .await
        .expect("connects");
    stream
        .write_all(
            format!(
                "POST /api/v1/media/upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                alice.access_token,
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("writes the head");
    stream
        .write_all(&body[..cut])
        .await
        .expect("writes most of the body");
    let deadline = Instant::now() + Duration::from_secs(10);
    while files_under(&media_dir).is_empty() {
        assert!(Instant::now() < deadline, "the first file was never stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if close {
        drop(stream);
    }
    while !files_under(&media_dir).is_empty() {
        assert!(
            Instant::now() < deadline,
            "files left behind: {:?}",
            files_under(&media_dir)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
