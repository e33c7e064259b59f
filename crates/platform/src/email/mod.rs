//! Outgoing email: an outbox in the database and a worker that delivers it.
//!
//! A change that sends email (sign-up, password reset) calls [`enqueue`] on its own
//! transaction: the message is rendered and written to the `emails` table there, so it exists
//! if and only if the change commits, and a crash between the two cannot lose or invent one.
//! The [`worker`] then claims due rows, hands them to the [`Transport`] (log or SMTP), and
//! marks them sent, or retries with backoff until they are dead (`docs/decisions/0006-email.md`).
//!
//! ```ignore
//! let txn = state.db().begin().await?;
//! // ... create the account ...
//! email::enqueue(&txn, OutgoingEmail {
//!     to: address,
//!     template: Template::VerifyEmail { username, link },
//! }, Utc::now()).await?;
//! txn.commit().await?;
//! state.mailer().wake(); // deliver now rather than at the worker's next poll
//! ```

pub mod outbox;
pub mod retry;
pub mod templates;
pub mod transport;
pub mod worker;

use std::sync::Arc;

use agora_core::config::Config;
use agora_store::{DbError, DbResult};
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use sea_orm::ConnectionTrait;
use tokio::sync::Notify;

pub use lettre::Address;
pub use outbox::{EmailStatus, StoredEmail};
pub use templates::Template;
pub use transport::{SendError, Transport};

agora_core::id_type!(
    /// Identifies an email in the outbox.
    EmailId
);

/// An email to send: to whom, and which template with which values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: Address,
    pub template: Template,
}

/// Renders `message` and writes it to the outbox on `conn`, due at once.
///
/// Call it with the transaction of the change that causes the email: the email is then sent
/// if and only if that transaction commits. Afterwards, [`Mailer::wake`] has it sent at once.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    message: OutgoingEmail,
    now: DateTime<Utc>,
) -> DbResult<EmailId> {
    let name = message.template.name();
    // The templates are compiled in and each is rendered by the unit tests, so this fails only
    // on a programming error; it then fails the request (500) rather than losing the email.
    let rendered = message.template.render().map_err(|err| {
        DbError(sea_orm::DbErr::Custom(format!(
            "rendering the email template `{name}` failed: {err:#}"
        )))
    })?;
    let id = EmailId::new();
    outbox::insert(conn, id, message.to.as_ref(), name, &rendered, now).await?;
    tracing::debug!(email = %id, template = name, "email queued");
    Ok(id)
}

/// What delivers email: the transport, the sender, and the bell that wakes the worker.
/// Cheap to clone; the application state holds one.
#[derive(Clone)]
pub struct Mailer(Arc<MailerInner>);

struct MailerInner {
    transport: Transport,
    from: Mailbox,
    wake: Notify,
}

impl Mailer {
    pub fn new(transport: Transport, from: Mailbox) -> Self {
        Self(Arc::new(MailerInner {
            transport,
            from,
            wake: Notify::new(),
        }))
    }

    /// The transport and sender of the configuration (`email_transport`, `smtp_url`,
    /// `email_from`).
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let transport = Transport::from_config(config)
            .map_err(|err| format!("cannot set up the email transport: {err}"))?;
        Ok(Self::new(transport, config.email_from.clone()))
    }

    pub fn transport(&self) -> &Transport {
        &self.0.transport
    }

    pub fn from(&self) -> &Mailbox {
        &self.0.from
    }

    /// Asks the worker to look for due email now rather than at its next poll. Call it after
    /// the transaction that enqueued the email has committed (before, the worker may not see
    /// the row yet). Harmless when nothing is due.
    pub fn wake(&self) {
        self.0.wake.notify_one();
    }

    /// Completes at the next [`Mailer::wake`] (or at once if one came since the last wait).
    pub(crate) async fn woken(&self) {
        self.0.wake.notified().await;
    }

    /// The message for a stored email, from the configured sender. Its `Message-ID` is derived
    /// from the email's id, so a message sent twice (a worker died after sending, before
    /// recording it) can be recognised by the receiver.
    pub fn message(&self, email: &StoredEmail) -> Result<Message, SendError> {
        let to: Address = email.to_address.parse().map_err(|err| {
            SendError::permanent(format!("invalid recipient `{}`: {err}", email.to_address))
        })?;
        Message::builder()
            .from(self.0.from.clone())
            .to(Mailbox::new(None, to))
            .subject(email.subject.as_str())
            .message_id(Some(format!(
                "<{}@{}>",
                email.id,
                self.0.from.email.domain()
            )))
            .multipart(MultiPart::alternative_plain_html(
                email.body_text.clone(),
                email.body_html.clone(),
            ))
            .map_err(|err| SendError::permanent(format!("cannot build the message: {err}")))
    }
}
