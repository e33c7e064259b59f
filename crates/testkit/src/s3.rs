//! An S3-compatible server in the test process (`s3s-fs`: objects are files under a temporary
//! folder), so the media tests run against the S3 backend without Docker or a binary.

use std::path::{Path, PathBuf};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub const BUCKET: &str = "agora-media";
const ACCESS_KEY_ID: &str = "agora-test";
const SECRET_ACCESS_KEY: &str = "agora-test-secret-0123456789";

/// A running S3 server with one empty bucket, [`BUCKET`]; stopped when dropped.
pub struct TestS3 {
    pub endpoint: String,
    root: tempfile::TempDir,
    task: JoinHandle<()>,
}

impl TestS3 {
    pub async fn start() -> TestS3 {
        let root = tempfile::tempdir().expect("a temporary folder");
        std::fs::create_dir(root.path().join(BUCKET)).expect("the bucket folder");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("an s3s-fs root");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY_ID, SECRET_ACCESS_KEY));
        let service = builder.build();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free local port");
        let address = listener.local_addr().expect("a bound address");
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = ConnBuilder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        TestS3 {
            endpoint: format!("http://{address}"),
            root,
            task,
        }
    }

    /// The settings that point Agora's storage at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AGORA_STORAGE", "s3".to_owned()),
            ("AGORA_S3_ENDPOINT", self.endpoint.clone()),
            ("AGORA_S3_BUCKET", BUCKET.to_owned()),
            ("AGORA_S3_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
            ("AGORA_S3_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_owned()),
        ]
    }

    /// The folder holding the bucket's objects (one file per key).
    pub fn bucket_dir(&self) -> PathBuf {
        self.root.path().join(BUCKET)
    }
}

impl Drop for TestS3 {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The files under `dir` as keys (`uploads/2026/11/x.jpg`), sorted, leaving out dot-files (the
/// temporary and metadata files of the backends).
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let key = format!("{prefix}{name}");
            if entry.path().is_dir() {
                walk(&entry.path(), &format!("{key}/"), out);
            } else {
                out.push(key);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}
