//! Outgoing email: the transport, the SMTP server, the sender.

use std::fmt;

use super::parse::redact_url_password;
use super::{Check, ConfigError, Field, Secret, Section, Setting};

/// How outgoing email leaves the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EmailTransport {
    /// Logged and written as `.eml` files under `<data_dir>/mail/`; nothing is sent.
    #[default]
    Log,
    /// Sent through an SMTP server.
    Smtp(SmtpUrl),
}

/// An SMTP server to send through, parsed from `smtp_url`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// User name and password for `AUTH`, when the URL has them.
    pub credentials: Option<(String, Secret)>,
    /// The URL as given, password replaced, for printing.
    redacted: String,
}

/// How the connection to the SMTP server is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (`smtp://host`): only for a relay on the same machine or network.
    None,
    /// `STARTTLS`, and the delivery fails when the server does not offer it (`?tls=starttls`).
    StartTls,
    /// `STARTTLS` when the server offers it, plain text otherwise (`?tls=opportunistic`).
    Opportunistic,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({})", self.redacted)
    }
}

#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// `email_transport`, with the server of `smtp_url` for `smtp`.
    pub transport: EmailTransport,
    /// Sender of outgoing email.
    pub from: lettre::message::Mailbox,
    smtp: bool,
    smtp_url: Option<SmtpUrl>,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            transport: EmailTransport::Log,
            // Replaced by `email_from`, which is required; this literal is a valid address.
            from: lettre::message::Mailbox::new(
                None,
                lettre::Address::new_dangerous("noreply", "localhost"),
            ),
            smtp: false,
            smtp_url: None,
        }
    }
}

impl Section for EmailSettings {
    const TITLE: &'static str = "Email";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "email_transport",
                env: "AGORA_EMAIL_TRANSPORT",
                default: "log",
                secret: false,
                help: "How outgoing email is delivered: `log` (a log line and an `.eml` file under `<data_dir>/mail/`, nothing is sent) or `smtp` (through the server of `smtp_url`).",
            },
            required: true,
            parse: |s, v| {
                s.smtp = match v {
                    "log" | "smtp" => v == "smtp",
                    other => return Err(format!("`{other}` is not one of: log, smtp")),
                };
                Ok(())
            },
            show: |s| if s.smtp { "smtp" } else { "log" }.to_owned(),
        },
        Field {
            setting: Setting {
                key: "smtp_url",
                env: "AGORA_SMTP_URL",
                default: "",
                secret: false,
                help: "SMTP server for `email_transport = smtp`: `smtp://user:password@host:587?tls=starttls` (STARTTLS required), `?tls=opportunistic` (STARTTLS when offered), `smtp://host:25` (unencrypted) or `smtps://user:password@host:465` (implicit TLS). Percent-encode special characters of the user and password; the password is never printed.",
            },
            required: false,
            parse: |s, v| {
                s.smtp_url = Some(parse_smtp_url(v)?);
                Ok(())
            },
            show: |s| {
                s.smtp_url
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            },
        },
        Field {
            setting: Setting {
                key: "email_from",
                env: "AGORA_EMAIL_FROM",
                default: "Agora <noreply@localhost>",
                secret: false,
                help: "Sender of outgoing email: an address, with an optional name (`Agora <noreply@example.com>`).",
            },
            required: true,
            parse: |s, v| {
                s.from = v.parse().map_err(|_| {
                    format!("`{v}` is not an email address such as `Agora <noreply@example.com>`")
                })?;
                Ok(())
            },
            show: |s| s.from.to_string(),
        },
    ];

    fn finish(&mut self, check: &Check<'_>) -> Result<(), ConfigError> {
        self.transport = match (self.smtp, &self.smtp_url) {
            (false, _) => EmailTransport::Log,
            (true, Some(url)) => EmailTransport::Smtp(url.clone()),
            (true, None) => {
                return Err(
                    check.error("smtp_url", "must be set when the email transport is `smtp`")
                );
            }
        };
        Ok(())
    }
}

/// Parses `smtp_url`. Messages never quote the value: it may hold a password.
fn parse_smtp_url(value: &str) -> Result<SmtpUrl, String> {
    let url = url::Url::parse(value).map_err(|e| format!("not a URL ({e})"))?;
    let host = match url.host_str() {
        Some(host) if !host.is_empty() => host.trim_start_matches('[').trim_end_matches(']'),
        _ => return Err("has no host (e.g. smtp://mail.example.com:587?tls=starttls)".to_owned()),
    };
    if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
        return Err("must not have a path or fragment".to_owned());
    }
    let mut tls_param = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "tls" if tls_param.is_none() => tls_param = Some(value.into_owned()),
            "tls" => return Err("gives `tls` twice".to_owned()),
            other => return Err(format!("unknown parameter `{other}`; only `tls` is read")),
        }
    }
    let tls = match (url.scheme(), tls_param.as_deref()) {
        ("smtp", None | Some("none")) => SmtpTls::None,
        ("smtp", Some("starttls" | "required")) => SmtpTls::StartTls,
        ("smtp", Some("opportunistic")) => SmtpTls::Opportunistic,
        ("smtp", Some(other)) => {
            return Err(format!(
                "`tls={other}` is not one of: starttls, opportunistic, none"
            ));
        }
        ("smtps", None) => SmtpTls::Implicit,
        ("smtps", Some(_)) => {
            return Err("smtps:// is TLS from the start; `tls` does not apply".to_owned());
        }
        (other, _) => {
            return Err(format!(
                "scheme `{other}` is not supported; use smtp:// or smtps://"
            ));
        }
    };
    let port = url.port().unwrap_or(match tls {
        SmtpTls::None => 25,
        SmtpTls::StartTls | SmtpTls::Opportunistic => 587,
        SmtpTls::Implicit => 465,
    });
    let decode = |part: &str, what: &str| {
        percent_decode(part).ok_or_else(|| format!("the {what} is not valid percent-encoded UTF-8"))
    };
    let credentials = match (url.username(), url.password()) {
        ("", None) => None,
        ("", Some(_)) => return Err("has a password but no user name".to_owned()),
        (_, None) => return Err("has a user name but no password".to_owned()),
        (user, Some(password)) => Some((
            decode(user, "user name")?,
            Secret::new(decode(password, "password")?),
        )),
    };
    Ok(SmtpUrl {
        host: host.to_owned(),
        port,
        tls,
        credentials,
        redacted: redact_url_password(value),
    })
}

/// Decodes `%XX` escapes; `None` when they do not form UTF-8.
fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = value
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}
