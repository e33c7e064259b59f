//! How a message leaves: written to the log and a folder (`log`, the default), or handed to an
//! SMTP server (`smtp`, through lettre, with rustls for TLS).

use std::path::{Path, PathBuf};
use std::time::Duration;

use agora_core::config::{Config, EmailTransport, SmtpTls, SmtpUrl};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::StoredEmail;

/// How long one SMTP conversation may take before the attempt counts as failed (lettre's own
/// timeout covers connecting, not a server that stops answering).
const SMTP_TIMEOUT: Duration = Duration::from_secs(60);

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    Log(LogTransport),
    Smtp(SmtpTransport),
}

/// Why a message was not delivered.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    /// True when trying again cannot help: the server refused the message for good, or it
    /// cannot be built.
    pub permanent: bool,
}

impl SendError {
    pub(crate) fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }

    fn transient(error: &dyn std::error::Error) -> Self {
        Self {
            message: error_chain(error),
            permanent: false,
        }
    }

    fn smtp(error: &lettre::transport::smtp::Error) -> Self {
        Self {
            message: error_chain(error),
            // A 5xx answer: the server will refuse this message however often it is offered
            // (RFC 5321, 4.2.1). Connection failures, timeouts and 4xx answers may pass later.
            permanent: error.is_permanent(),
        }
    }
}

impl Transport {
    /// The transport the configuration selects: `log` writes under `<data_dir>/mail/`.
    pub fn from_config(config: &Config) -> Result<Transport, String> {
        match &config.email.transport {
            EmailTransport::Log => Ok(Transport::Log(LogTransport::new(
                config.server.data_dir.join("mail"),
            ))),
            EmailTransport::Smtp(url) => SmtpTransport::new(url, None).map(Transport::Smtp),
        }
    }

    /// A short description for logs: `log (./data/mail)` or the SMTP URL, password hidden.
    pub fn describe(&self) -> String {
        match self {
            Transport::Log(log) => format!("log ({})", log.dir.display()),
            Transport::Smtp(smtp) => smtp.url.to_string(),
        }
    }

    /// Delivers `message`, the rendering of `email`.
    pub async fn send(&self, email: &StoredEmail, message: &Message) -> Result<(), SendError> {
        match self {
            Transport::Log(log) => log.send(email, message).await,
            Transport::Smtp(smtp) => smtp.send(message).await,
        }
    }
}

/// Logs each message and writes it as `<id>.eml` into a folder, where a developer opens it
/// with a mail client or reads the link out of it. Nothing is sent.
#[derive(Debug, Clone)]
pub struct LogTransport {
    dir: PathBuf,
}

impl LogTransport {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn send(&self, email: &StoredEmail, message: &Message) -> Result<(), SendError> {
        let id = email.id;
        let path = self.dir.join(format!("{id}.eml"));
        // Written aside and renamed, so a reader of the folder never sees half a file.
        let partial = self.dir.join(format!(".{id}.eml.partial"));
        let write = async {
            // Private: a message may hold a live password-reset link.
            let dir = self.dir.clone();
            tokio::task::spawn_blocking(move || agora_store::fs::create_private_dir_all(&dir))
                .await
                .map_err(std::io::Error::other)??;
            agora_store::fs::write_private(&partial, &message.formatted()).await?;
            tokio::fs::rename(&partial, &path).await
        };
        write.await.map_err(|err| {
            SendError::transient(&std::io::Error::new(
                err.kind(),
                format!("cannot write {}: {err}", path.display()),
            ))
        })?;
        let envelope = message.envelope();
        tracing::info!(
            email = %id,
            to = %envelope.to().iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            subject = message.headers().get_raw("Subject").unwrap_or_default(),
            file = %path.display(),
            links = %links(&email.body_text).join(" "),
            "email not sent (log transport): written to a file"
        );
        Ok(())
    }
}

/// Sends through an SMTP server: plain, STARTTLS or implicit TLS, with `AUTH` when the URL has
/// credentials. A connection per message; each conversation is bounded by a timeout.
#[derive(Clone)]
pub struct SmtpTransport {
    url: SmtpUrl,
    // Boxed: the client is large, and a `Transport` is moved around by value.
    client: Box<AsyncSmtpTransport<Tokio1Executor>>,
    timeout: Duration,
}

impl SmtpTransport {
    /// Builds the client for `url`. Servers are trusted by the Mozilla root certificates, and
    /// also by `extra_root` (PEM) when given: a private CA, or a test's self-signed certificate.
    pub fn new(url: &SmtpUrl, extra_root: Option<&[u8]>) -> Result<Self, String> {
        let tls_parameters = || -> Result<TlsParameters, lettre::transport::smtp::Error> {
            let mut builder = TlsParameters::builder(url.host.clone());
            if let Some(pem) = extra_root {
                builder = builder.add_root_certificate(Certificate::from_pem(pem)?);
            }
            builder.build_rustls()
        };
        let tls = match url.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::StartTls => Tls::Required(tls_parameters().map_err(|e| e.to_string())?),
            SmtpTls::Opportunistic => {
                Tls::Opportunistic(tls_parameters().map_err(|e| e.to_string())?)
            }
            SmtpTls::Implicit => Tls::Wrapper(tls_parameters().map_err(|e| e.to_string())?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&url.host)
            .port(url.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT / 2));
        if let Some((user, password)) = &url.credentials {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(Self {
            url: url.clone(),
            client: Box::new(builder.build()),
            timeout: SMTP_TIMEOUT,
        })
    }

    /// Changes how long one delivery may take (60 s by default).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn send(&self, message: &Message) -> Result<(), SendError> {
        match tokio::time::timeout(self.timeout, self.client.send(message.clone())).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(err)) => Err(SendError::smtp(&err)),
            Err(_) => Err(SendError {
                message: format!(
                    "the SMTP server did not complete the delivery within {}",
                    seconds(self.timeout)
                ),
                permanent: false,
            }),
        }
    }
}

/// The links of a plain-text body (each stands on a line of its own in the templates), for the
/// log line of the log transport: in development, the verification link is one click away.
fn links(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|line| {
            url::Url::parse(line).is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
        })
        .collect()
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// An error and its causes on one line: `Connection error: Connection refused (os error 111)`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::links;

    #[test]
    fn the_log_line_carries_the_links_of_the_plain_text() {
        let text = "Hello alice,\n\nOpen this link:\n\n  https://agora.example/verify-email?token=t0k3n  \n\nnot a link: example.com\nftp://example.com/file\n";
        assert_eq!(
            links(text),
            ["https://agora.example/verify-email?token=t0k3n"]
        );
    }
}
