//! A real SMTP server for tests: aiosmtpd (Python) run by `scripts/smtp_server.py`, one process
//! per test on a free port, writing every message it accepts into a folder that the test reads.
//! It can require `AUTH`, require `STARTTLS` or speak implicit TLS (with a self-signed
//! certificate made here), and refuse every recipient with a reply of the test's choosing.
//!
//! Needs Python 3 with aiosmtpd (`pip install aiosmtpd`; `.ci/run` installs it). The
//! interpreter is `python3`, or `AGORA_TEST_PYTHON`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Deserialize;

/// How the test server encrypts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpServerTls {
    /// Offers `STARTTLS` and refuses mail without it.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Implicit,
}

/// What a [`TestSmtpServer`] should do; [`TestSmtpServer::builder`].
#[derive(Debug, Default)]
pub struct TestSmtpServerBuilder {
    auth: Option<(String, String)>,
    tls: Option<SmtpServerTls>,
    reject: Option<String>,
}

impl TestSmtpServerBuilder {
    /// Requires `AUTH` with this user and password before any mail.
    pub fn auth(mut self, user: &str, password: &str) -> Self {
        self.auth = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// Encrypts with a self-signed certificate for `127.0.0.1` and `localhost`
    /// ([`TestSmtpServer::certificate_pem`]).
    pub fn tls(mut self, tls: SmtpServerTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Answers every recipient with `reply` (e.g. `451 4.3.0 Try again later`).
    pub fn reject_with(mut self, reply: &str) -> Self {
        self.reject = Some(reply.to_owned());
        self
    }

    pub async fn start(self) -> TestSmtpServer {
        tokio::task::spawn_blocking(move || self.start_blocking())
            .await
            .expect("the SMTP server start-up task")
    }

    fn start_blocking(self) -> TestSmtpServer {
        let dir = tempfile::tempdir().expect("a temporary directory for the SMTP server");
        let maildir = dir.path().join("mail");
        std::fs::create_dir(&maildir).expect("the SMTP server's mail folder");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/smtp_server.py");
        let python = std::env::var("AGORA_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());

        let mut command = Command::new(&python);
        command.arg(&script).arg("--maildir").arg(&maildir);
        if let Some((user, password)) = &self.auth {
            command.arg("--auth").arg(format!("{user}:{password}"));
        }
        let mut certificate_pem = None;
        if let Some(tls) = self.tls {
            let generated =
                rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
                    .expect("a self-signed certificate");
            let cert = dir.path().join("cert.pem");
            let key = dir.path().join("key.pem");
            std::fs::write(&cert, generated.cert.pem()).expect("writing the certificate");
            std::fs::write(&key, generated.signing_key.serialize_pem()).expect("writing the key");
            command
                .arg(match tls {
                    SmtpServerTls::StartTls => "--starttls",
                    SmtpServerTls::Implicit => "--implicit-tls",
                })
                .arg(&cert)
                .arg(&key);
            certificate_pem = Some(generated.cert.pem());
        }
        if let Some(reply) = &self.reject {
            command.arg("--reject").arg(reply);
        }

        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {python} for the test SMTP server: {err}"));
        let stdout = child.stdout.take().expect("the piped standard output");
        let mut first_line = String::new();
        let read = BufReader::new(stdout).read_line(&mut first_line);
        let port = first_line
            .trim()
            .strip_prefix("READY ")
            .and_then(|port| port.parse::<u16>().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the test SMTP server did not start ({read:?}, said {first_line:?}); \
                 is aiosmtpd installed? (pip install aiosmtpd)"
            );
        };
        TestSmtpServer {
            port,
            maildir,
            certificate_pem,
            child,
            _dir: dir,
        }
    }
}

/// A running SMTP server, stopped when dropped.
pub struct TestSmtpServer {
    pub port: u16,
    maildir: PathBuf,
    certificate_pem: Option<String>,
    child: Child,
    _dir: tempfile::TempDir,
}

/// A message the server accepted.
#[derive(Debug, Clone, Deserialize)]
pub struct CapturedMessage {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// The user that authenticated, if any.
    pub login: Option<String>,
    /// Whether the session was encrypted (STARTTLS or implicit TLS).
    pub tls: bool,
    /// The message as received: headers and body.
    pub data: String,
}

impl TestSmtpServer {
    /// A plain server that accepts everything.
    pub async fn start() -> TestSmtpServer {
        Self::builder().start().await
    }

    pub fn builder() -> TestSmtpServerBuilder {
        TestSmtpServerBuilder::default()
    }

    /// The server's self-signed certificate (PEM), when it speaks TLS.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate_pem.as_deref()
    }

    /// The messages accepted so far, in no particular order.
    pub fn messages(&self) -> Vec<CapturedMessage> {
        let mut messages = Vec::new();
        for entry in std::fs::read_dir(&self.maildir).expect("the SMTP server's mail folder") {
            let path = entry.expect("a folder entry").path();
            if path.extension().is_some_and(|ext| ext == "json") {
                let text = std::fs::read_to_string(&path).expect("a captured message");
                messages.push(serde_json::from_str(&text).expect("a captured message's JSON"));
            }
        }
        messages
    }

    /// Waits (up to 10 s) until the server has accepted at least `count` messages.
    pub async fn wait_for_messages(&self, count: usize) -> Vec<CapturedMessage> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the SMTP server received {} message(s), expected {count}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for TestSmtpServer {
    fn drop(&mut self) {
        // Closing standard input ends the server; killing it covers a server that hangs.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
