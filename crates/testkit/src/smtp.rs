//! A real SMTP server for tests, in the test process: one per test on a free port of
//! 127.0.0.1, writing every message it accepts into a folder that the test reads. It can
//! require `AUTH` (PLAIN or LOGIN), require `STARTTLS` or speak implicit TLS (with a
//! self-signed certificate made here), and refuse every recipient with a reply of the test's
//! choosing.
//!
//! It speaks the part of SMTP (RFC 5321, STARTTLS of RFC 3207, AUTH of RFC 4954) that a client
//! needs to deliver, and nothing more: no pipelining, no size limit, no relaying rules. Why it
//! is written here and not taken from a crate: `docs/decisions/0006-email.md`.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// The name the server gives itself in its greeting and its `EHLO` answer.
const HOSTNAME: &str = "localhost";

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
        let dir = tempfile::tempdir().expect("a temporary directory for the SMTP server");
        let maildir = dir.path().join("mail");
        std::fs::create_dir(&maildir).expect("the SMTP server's mail folder");
        let (tls, certificate_pem) = match self.tls {
            Some(mode) => {
                let (acceptor, pem) = self_signed_acceptor();
                (Some((mode, acceptor)), Some(pem))
            }
            None => (None, None),
        };
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free local port");
        let port = listener.local_addr().expect("a bound address").port();
        let server = Arc::new(Server {
            auth: self.auth,
            tls,
            reject: self.reject,
            maildir: maildir.clone(),
        });
        TestSmtpServer {
            port,
            maildir,
            certificate_pem,
            task: tokio::spawn(accept(listener, server)),
            _dir: dir,
        }
    }
}

/// A running SMTP server, stopped when dropped.
pub struct TestSmtpServer {
    pub port: u16,
    maildir: PathBuf,
    certificate_pem: Option<String>,
    task: JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// A message the server accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CapturedMessage {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// The user that authenticated, if any.
    pub login: Option<String>,
    /// Whether the session was encrypted (STARTTLS or implicit TLS).
    pub tls: bool,
    /// The message as received: headers and body, lines ending in CRLF, dot-stuffing undone.
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
        self.task.abort();
    }
}

/// A TLS acceptor with a new self-signed certificate for `127.0.0.1` and `localhost`, and that
/// certificate in PEM for the client to trust.
fn self_signed_acceptor() -> (TlsAcceptor, String) {
    let generated =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("a self-signed certificate");
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(generated.signing_key.serialize_der());
    // The provider is named here, not taken from the process default, so the server works in
    // a test that never installed one (`agora_platform::tls` does that for the application).
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![generated.cert.der().clone()], key.into())
        .expect("the certificate matches its key");
    (TlsAcceptor::from(Arc::new(config)), generated.cert.pem())
}

struct Server {
    auth: Option<(String, String)>,
    tls: Option<(SmtpServerTls, TlsAcceptor)>,
    reject: Option<String>,
    maildir: PathBuf,
}

async fn accept(listener: TcpListener, server: Arc<Server>) {
    // The sessions belong to this task, so stopping the server (aborting it) ends them too.
    let mut sessions = JoinSet::new();
    while let Ok((socket, _)) = listener.accept().await {
        while sessions.try_join_next().is_some() {}
        let server = server.clone();
        sessions.spawn(async move {
            // A session that breaks off (the client hung up, a TLS handshake failed) is over;
            // the client sees that, and the test checks what the client made of it.
            let _ = session(socket, &server).await;
        });
    }
}

/// A connection, plain or encrypted.
trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

async fn session(socket: TcpStream, server: &Server) -> io::Result<()> {
    let (mut connection, mut tls): (Box<dyn Connection>, bool) = match &server.tls {
        Some((SmtpServerTls::Implicit, acceptor)) => {
            (Box::new(acceptor.accept(socket).await?), true)
        }
        _ => (Box::new(socket), false),
    };
    connection
        .write_all(format!("220 {HOSTNAME} ESMTP Agora test server\r\n").as_bytes())
        .await?;
    connection.flush().await?;
    loop {
        // After STARTTLS the client starts over (RFC 3207): a new EHLO, a new AUTH.
        match Conversation::new(server, connection, tls).run().await? {
            Ended::Quit => return Ok(()),
            Ended::StartTls(plain) => {
                let Some((_, acceptor)) = &server.tls else {
                    return Ok(());
                };
                connection = Box::new(acceptor.accept(plain).await?);
                tls = true;
            }
        }
    }
}

enum Ended {
    Quit,
    /// The client asked for TLS; the plain connection, to be encrypted.
    StartTls(Box<dyn Connection>),
}

/// The commands of one session, up to `QUIT` or `STARTTLS`.
struct Conversation<'a> {
    server: &'a Server,
    connection: BufReader<Box<dyn Connection>>,
    tls: bool,
    greeted: bool,
    login: Option<String>,
    mail_from: Option<String>,
    rcpt_tos: Vec<String>,
}

impl<'a> Conversation<'a> {
    fn new(server: &'a Server, connection: Box<dyn Connection>, tls: bool) -> Self {
        Conversation {
            server,
            connection: BufReader::new(connection),
            tls,
            greeted: false,
            login: None,
            mail_from: None,
            rcpt_tos: Vec::new(),
        }
    }

    async fn run(mut self) -> io::Result<Ended> {
        while let Some(line) = self.read_line().await? {
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            let (verb, argument) = line.split_once(' ').unwrap_or((line, ""));
            let reply = match verb.to_ascii_uppercase().as_str() {
                "EHLO" => self.ehlo(),
                "HELO" => {
                    self.greeted = true;
                    self.reset();
                    format!("250 {HOSTNAME}")
                }
                "STARTTLS" if self.starttls_required() => {
                    self.reply("220 2.0.0 Ready to start TLS").await?;
                    // Anything the client sent after STARTTLS is dropped with the buffer, as
                    // RFC 3207 asks.
                    return Ok(Ended::StartTls(self.connection.into_inner()));
                }
                "STARTTLS" => "454 4.7.0 TLS not available".to_owned(),
                "AUTH" => self.auth(argument).await?,
                "MAIL" => self.mail(argument),
                "RCPT" => self.rcpt(argument),
                "DATA" => self.data().await?,
                "RSET" => {
                    self.reset();
                    "250 2.0.0 OK".to_owned()
                }
                "NOOP" => "250 2.0.0 OK".to_owned(),
                "QUIT" => {
                    self.reply("221 2.0.0 Bye").await?;
                    return Ok(Ended::Quit);
                }
                _ => "500 5.5.2 Command not recognized".to_owned(),
            };
            self.reply(&reply).await?;
        }
        Ok(Ended::Quit)
    }

    /// Whether this server wants STARTTLS and the session is not encrypted yet.
    fn starttls_required(&self) -> bool {
        matches!(self.server.tls, Some((SmtpServerTls::StartTls, _))) && !self.tls
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt_tos.clear();
    }

    fn ehlo(&mut self) -> String {
        self.greeted = true;
        self.reset();
        let mut lines = vec![HOSTNAME, "8BITMIME", "SMTPUTF8"];
        // Credentials travel only once the session is encrypted, when the server wants TLS.
        if self.starttls_required() {
            lines.push("STARTTLS");
        } else if self.server.auth.is_some() && self.login.is_none() {
            lines.push("AUTH PLAIN LOGIN");
        }
        let last = lines.len() - 1;
        let lines: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, line)| format!("250{}{line}", if i == last { ' ' } else { '-' }))
            .collect();
        lines.join("\r\n")
    }

    async fn auth(&mut self, argument: &str) -> io::Result<String> {
        let server = self.server;
        let Some((user, password)) = &server.auth else {
            return Ok("502 5.5.1 AUTH not offered".to_owned());
        };
        if self.starttls_required() {
            return Ok("530 5.7.0 Must issue a STARTTLS command first".to_owned());
        }
        if !self.greeted || self.login.is_some() || self.mail_from.is_some() {
            return Ok("503 5.5.1 AUTH not allowed now".to_owned());
        }
        let (mechanism, initial) = argument.split_once(' ').unwrap_or((argument, ""));
        let given = match mechanism.to_ascii_uppercase().as_str() {
            // One response: authorization identity, NUL, user, NUL, password (RFC 4616).
            "PLAIN" => {
                let response = match initial {
                    "" => self.challenge("").await?,
                    initial => Some(initial.to_owned()),
                };
                response.as_deref().and_then(decode).and_then(|text| {
                    let mut parts = text.split('\0').skip(1);
                    Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
                })
            }
            // The user and the password, each asked for in turn.
            "LOGIN" => {
                let user = match initial {
                    "" => self.challenge("Username:").await?,
                    initial => Some(initial.to_owned()),
                };
                match user.as_deref().and_then(decode) {
                    Some(user) => (self.challenge("Password:").await?)
                        .as_deref()
                        .and_then(decode)
                        .map(|password| (user, password)),
                    None => None,
                }
            }
            _ => return Ok("504 5.5.4 Unrecognized authentication type".to_owned()),
        };
        Ok(match given {
            Some((given_user, given_password))
                if given_user == *user && given_password == *password =>
            {
                self.login = Some(given_user);
                "235 2.7.0 Authentication successful".to_owned()
            }
            _ => "535 5.7.8 Authentication credentials invalid".to_owned(),
        })
    }

    /// Sends the `334` challenge `prompt`; the client's answer, or `None` if it cancelled.
    async fn challenge(&mut self, prompt: &str) -> io::Result<Option<String>> {
        self.reply(&format!("334 {}", BASE64.encode(prompt)))
            .await?;
        let line = self
            .read_line()
            .await?
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        let answer = String::from_utf8_lossy(&line).trim_end().to_owned();
        Ok((answer != "*").then_some(answer))
    }

    fn mail(&mut self, argument: &str) -> String {
        if !self.greeted {
            return "503 5.5.1 Send EHLO first".to_owned();
        }
        if self.starttls_required() {
            return "530 5.7.0 Must issue a STARTTLS command first".to_owned();
        }
        if self.server.auth.is_some() && self.login.is_none() {
            return "530 5.7.0 Authentication required".to_owned();
        }
        if self.mail_from.is_some() {
            return "503 5.5.1 Nested MAIL command".to_owned();
        }
        match address(argument, "FROM:") {
            Some(from) => {
                self.mail_from = Some(from);
                "250 2.1.0 OK".to_owned()
            }
            None => "501 5.5.4 Syntax: MAIL FROM:<address>".to_owned(),
        }
    }

    fn rcpt(&mut self, argument: &str) -> String {
        if self.mail_from.is_none() {
            return "503 5.5.1 Need MAIL command".to_owned();
        }
        let Some(to) = address(argument, "TO:") else {
            return "501 5.5.4 Syntax: RCPT TO:<address>".to_owned();
        };
        if let Some(reply) = &self.server.reject {
            return reply.clone();
        }
        self.rcpt_tos.push(to);
        "250 2.1.5 OK".to_owned()
    }

    async fn data(&mut self) -> io::Result<String> {
        if self.rcpt_tos.is_empty() {
            return Ok("503 5.5.1 Need RCPT command".to_owned());
        }
        self.reply("354 End data with <CR><LF>.<CR><LF>").await?;
        let mut data = Vec::new();
        loop {
            let line = self
                .read_line()
                .await?
                .ok_or(io::ErrorKind::UnexpectedEof)?;
            if line == b".\r\n" || line == b".\n" {
                break;
            }
            // Dot-stuffing (RFC 5321, 4.5.2): the client doubled a line's leading dot.
            data.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
        }
        let message = CapturedMessage {
            mail_from: self.mail_from.take().unwrap_or_default(),
            rcpt_tos: std::mem::take(&mut self.rcpt_tos),
            login: self.login.clone(),
            tls: self.tls,
            data: String::from_utf8_lossy(&data).into_owned(),
        };
        Ok(match save(&self.server.maildir, &message) {
            Ok(()) => "250 2.0.0 Message accepted".to_owned(),
            // Said to the client, so it ends up in the error the test sees.
            Err(err) => format!("451 4.3.0 The test server could not keep the message: {err}"),
        })
    }

    /// The next line with its line ending; `None` once the client closed the connection.
    async fn read_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let read = self.connection.read_until(b'\n', &mut line).await?;
        Ok((read > 0).then_some(line))
    }

    /// Sends `reply`: one line, or several already joined by CRLF.
    async fn reply(&mut self, reply: &str) -> io::Result<()> {
        let connection = self.connection.get_mut();
        connection.write_all(reply.as_bytes()).await?;
        connection.write_all(b"\r\n").await?;
        connection.flush().await
    }
}

/// The address of `FROM:<a@b> BODY=8BITMIME` (with `keyword` `FROM:`), parameters left out.
fn address(argument: &str, keyword: &str) -> Option<String> {
    let rest = argument
        .get(..keyword.len())
        .filter(|start| start.eq_ignore_ascii_case(keyword))
        .and_then(|_| argument.get(keyword.len()..))?;
    let (address, _parameters) = rest.trim_start().strip_prefix('<')?.split_once('>')?;
    Some(address.to_owned())
}

fn decode(base64: &str) -> Option<String> {
    let bytes = BASE64.decode(base64.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

/// Writes `message` as `<maildir>/<id>.json`, written aside and renamed so that
/// [`TestSmtpServer::messages`] never reads half a file.
fn save(maildir: &Path, message: &CapturedMessage) -> io::Result<()> {
    let name = uuid::Uuid::now_v7().simple().to_string();
    let partial = maildir.join(format!(".{name}.partial"));
    std::fs::write(&partial, serde_json::to_vec(message)?)?;
    std::fs::rename(&partial, maildir.join(format!("{name}.json")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client that speaks SMTP by hand, for what lettre never sends.
    struct Client {
        connection: BufReader<TcpStream>,
    }

    impl Client {
        async fn connect(server: &TestSmtpServer) -> Client {
            let socket = TcpStream::connect(("127.0.0.1", server.port))
                .await
                .expect("the server accepts");
            let mut client = Client {
                connection: BufReader::new(socket),
            };
            let greeting = client.reply().await;
            assert!(greeting.starts_with("220 "), "{greeting}");
            client
        }

        /// Sends `line` and returns the whole reply, its lines joined by `\n`.
        async fn send(&mut self, line: &str) -> String {
            let connection = self.connection.get_mut();
            connection
                .write_all(format!("{line}\r\n").as_bytes())
                .await
                .expect("the server reads");
            self.reply().await
        }

        async fn reply(&mut self) -> String {
            let mut lines = Vec::new();
            loop {
                let mut line = String::new();
                self.connection
                    .read_line(&mut line)
                    .await
                    .expect("the server answers");
                let line = line.trim_end().to_owned();
                // `250-…` continues a reply, `250 …` ends it.
                let last = line.as_bytes().get(3) != Some(&b'-');
                lines.push(line);
                if last {
                    return lines.join("\n");
                }
            }
        }
    }

    fn base64(text: &str) -> String {
        BASE64.encode(text)
    }

    #[tokio::test]
    async fn login_authenticates_and_the_message_is_kept_as_sent_less_its_dot_stuffing() {
        let server = TestSmtpServer::builder()
            .auth("mailer", "s3cret")
            .start()
            .await;
        let mut client = Client::connect(&server).await;
        let ehlo = client.send("EHLO client.test").await;
        assert!(ehlo.contains("250 AUTH PLAIN LOGIN"), "{ehlo}");
        let refused = client.send("MAIL FROM:<a@example.com>").await;
        assert!(refused.starts_with("530 "), "{refused}");

        assert_eq!(client.send("AUTH LOGIN").await, "334 VXNlcm5hbWU6");
        assert_eq!(client.send(&base64("mailer")).await, "334 UGFzc3dvcmQ6");
        let accepted = client.send(&base64("s3cret")).await;
        assert!(accepted.starts_with("235 "), "{accepted}");

        let from = client.send("MAIL FROM:<a@example.com> BODY=8BITMIME").await;
        assert!(from.starts_with("250 "), "{from}");
        let to = client.send("RCPT TO:<b@example.com>").await;
        assert!(to.starts_with("250 "), "{to}");
        assert!(client.send("DATA").await.starts_with("354 "));
        let sent = client
            .send("Subject: dots\r\n\r\n..leading dot\r\nlast line\r\n.")
            .await;
        assert!(sent.starts_with("250 "), "{sent}");
        assert!(client.send("QUIT").await.starts_with("221 "));

        let messages = server.messages();
        assert_eq!(messages.len(), 1);
        let message = &messages[0];
        assert_eq!(message.mail_from, "a@example.com");
        assert_eq!(message.rcpt_tos, ["b@example.com"]);
        assert_eq!(message.login.as_deref(), Some("mailer"));
        assert!(!message.tls);
        assert_eq!(
            message.data,
            "Subject: dots\r\n\r\n.leading dot\r\nlast line\r\n"
        );
    }

    #[tokio::test]
    async fn wrong_credentials_are_refused_with_535_by_either_mechanism() {
        let server = TestSmtpServer::builder()
            .auth("mailer", "s3cret")
            .start()
            .await;
        let mut client = Client::connect(&server).await;
        client.send("EHLO client.test").await;

        let plain = client
            .send(&format!("AUTH PLAIN {}", base64("\0mailer\0wrong")))
            .await;
        assert!(plain.starts_with("535 "), "{plain}");
        client.send("AUTH LOGIN").await;
        client.send(&base64("mailer")).await;
        let login = client.send(&base64("wrong")).await;
        assert!(login.starts_with("535 "), "{login}");

        let right = client
            .send(&format!("AUTH PLAIN {}", base64("\0mailer\0s3cret")))
            .await;
        assert!(right.starts_with("235 "), "{right}");
        assert!(server.messages().is_empty());
    }

    #[tokio::test]
    async fn a_starttls_server_takes_neither_credentials_nor_mail_in_the_clear() {
        let server = TestSmtpServer::builder()
            .auth("mailer", "s3cret")
            .tls(SmtpServerTls::StartTls)
            .start()
            .await;
        let mut client = Client::connect(&server).await;
        let ehlo = client.send("EHLO client.test").await;
        assert!(ehlo.contains("STARTTLS"), "{ehlo}");
        assert!(!ehlo.contains("AUTH"), "{ehlo}");

        let auth = client
            .send(&format!("AUTH PLAIN {}", base64("\0mailer\0s3cret")))
            .await;
        assert!(auth.starts_with("530 "), "{auth}");
        let mail = client.send("MAIL FROM:<a@example.com>").await;
        assert!(mail.starts_with("530 "), "{mail}");
    }
}
