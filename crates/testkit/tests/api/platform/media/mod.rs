//! Media: uploads are told by their bytes, images come back re-encoded without metadata and
//! with thumbnails, limits refuse large files and decompression bombs, a failure leaves nothing
//! behind, `/media/{key}` serves only stored keys, and an old profile picture's files go away.
//! Videos are checked by their structure (MP4 boxes, WebM elements), uploads count against a
//! storage quota per user and spend an upload rate limit, and media URLs follow `media_url`.
//!
//! A test that takes a [`Backend`] runs twice, through [`on_each_backend!`]: on the local folder
//! (`…::local::…`) and on an S3 server started in the test process (`…::s3::…`, `s3s-fs`). The
//! bytes the tests upload are made in `support.rs`.

use std::collections::BTreeMap;

use agora_core::pagination::Items;
use agora_testkit::s3::files_under;
use agora_testkit::{StatusCode, TestApp, TestS3, TestUser};
use serde::Deserialize;

use support::{Part, multipart};

/// Declares, for each named `async fn(Backend)` of the file that calls it, a test on the local
/// folder (in a module `local`) and one on S3 (in `s3`).
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

mod limits;
mod pictures;
mod support;
mod uploads;

#[derive(Clone, Copy)]
enum Backend {
    Local,
    S3,
}

/// What an upload answers for each file it stored, as a client reads it.
#[derive(Debug, Deserialize)]
struct Uploaded {
    key: String,
    url: String,
    content_type: String,
    size: i64,
    width: Option<i64>,
    height: Option<i64>,
    /// URL by longest side (`"64"`, `"256"`, `"1024"`); empty for videos.
    thumbnails: BTreeMap<String, String>,
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

    /// Uploads `parts`, which must all be stored (201), and returns what each became.
    async fn upload_ok(&self, user: &TestUser, parts: &[Part<'_>]) -> Vec<Uploaded> {
        let response = self.upload(user, parts).await;
        response.assert_status(StatusCode::CREATED);
        response.json::<Items<Uploaded>>().items
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

/// Opens a connection and sends the head of an upload of `len` bytes as `user`, leaving the
/// body to the test (to stall, cut or finish it).
async fn upload_head(
    app: &TestApp,
    user: &TestUser,
    content_type: &str,
    len: usize,
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(app.address())
        .await
        .expect("connects");
    let head = format!(
        "POST /api/v1/media/upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {len}\r\n\r\n",
        user.access_token
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("writes the head");
    stream
}
