//! Outgoing email: an outbox in the database and a worker that delivers it.
//!
//! A change that sends email (sign-up, password reset) calls [`enqueue`] on its own
//! transaction: the message is rendered and written to the `emails` table there, with an
//! `email.send` job ([`crate::jobs`]), so both exist if and only if the change commits, and a
//! crash between the two cannot lose or invent one. A job worker then hands the message to the
//! [`Transport`] (log or SMTP) and marks it sent; a failure is retried with backoff by the job
//! queue until the job, and with it the email, is dead (`docs/decisions/0006-email.md`).
//!
//! ```ignore
//! let txn = state.db().begin().await?;
//! // ... create the account ...
//! email::enqueue(&txn, OutgoingEmail {
//!     to: address,
//!     template: Template::VerifyEmail { username, link },
//! }, agora_core::time::now()).await?;
//! txn.commit().await?;
//! state.jobs().wake(); // deliver now rather than at the worker's next poll
//! ```

pub mod outbox;
pub mod templates;
pub mod transport;

use std::sync::Arc;

use agora_core::config::Config;
use agora_store::{DbError, DbResult};
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use crate::Module;
use crate::jobs::{self, Job, JobContext, JobError, JobKind};
pub use lettre::Address;
pub use outbox::{EmailStatus, StoredEmail};
pub use templates::{DigestItem, Template};
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

/// Renders `message` and writes it to the outbox on `conn`, with the job that sends it.
///
/// Call it with the transaction of the change that causes the email: the email is then sent
/// if and only if that transaction commits. Afterwards, `state.jobs().wake()` has it sent at
/// once rather than at the worker's next poll.
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
    jobs::enqueue(conn, &SendEmail { email_id: id }, now).await?;
    tracing::debug!(email = %id, template = name, "email queued");
    Ok(id)
}

/// The job that delivers one email of the outbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendEmail {
    pub email_id: EmailId,
}

impl Job for SendEmail {
    const KIND: &'static str = "email.send";
}

/// How `email.send` jobs run: through `mailer`, 10 attempts over about three hours. A
/// recipient the transport refuses for good (a malformed address) kills the job at once. The
/// outbox row follows: attempts and last error after each failure, `sent` or `dead` at the end.
pub fn send_job(mailer: Mailer) -> JobKind {
    send_job_through(move |_| mailer.clone())
}

/// `email.send`, delivering through the mailer `mailer_of` picks for a run.
fn send_job_through(mailer_of: impl Fn(&JobContext) -> Mailer + Send + Sync + 'static) -> JobKind {
    JobKind::new(move |ctx: JobContext, job: SendEmail| {
        let mailer = mailer_of(&ctx);
        async move { deliver(&ctx, &mailer, job.email_id).await }
    })
    // Longer than any send: SMTP sends time out after 60 s.
    .timeout(std::time::Duration::from_secs(90))
    .on_dead(
        |ctx: JobContext, job: SendEmail, error: String| async move {
            if let Err(err) = outbox::mark_dead(ctx.state.db().writer(), job.email_id, &error).await
            {
                tracing::warn!(email = %job.email_id, error = %err, "cannot mark the email dead");
            }
        },
    )
}

async fn deliver(ctx: &JobContext, mailer: &Mailer, id: EmailId) -> Result<(), JobError> {
    let db = ctx.state.db().writer();
    let email = outbox::find(db, id)
        .await?
        .ok_or_else(|| JobError::permanent(format!("the email {id} is not in the outbox")))?;
    if email.status != EmailStatus::Queued {
        // Sent before its job's outcome was recorded (the worker died): nothing more to do.
        return Ok(());
    }
    let sent = match mailer.message(&email) {
        Ok(message) => mailer.transport().send(&email, &message).await,
        Err(err) => Err(err),
    };
    match sent {
        Ok(()) => {
            outbox::mark_sent(db, id, ctx.attempt, agora_core::time::now()).await?;
            tracing::info!(email = %id, template = %email.template, attempt = ctx.attempt, "email sent");
            Ok(())
        }
        Err(err) => {
            outbox::record_failure(db, id, ctx.attempt, &err.message).await?;
            Err(if err.permanent {
                JobError::permanent(err.message)
            } else {
                JobError::retry(err.message)
            })
        }
    }
}

/// What delivers email: the transport and the sender. Cheap to clone; the application state
/// holds one.
#[derive(Clone)]
pub struct Mailer(Arc<MailerInner>);

struct MailerInner {
    transport: Transport,
    from: Mailbox,
}

impl Mailer {
    pub fn new(transport: Transport, from: Mailbox) -> Self {
        Self(Arc::new(MailerInner { transport, from }))
    }

    /// The transport and sender of the configuration (`email_transport`, `smtp_url`,
    /// `email_from`).
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let transport = Transport::from_config(config)
            .map_err(|err| format!("cannot set up the email transport: {err}"))?;
        Ok(Self::new(transport, config.email.from.clone()))
    }

    pub fn transport(&self) -> &Transport {
        &self.0.transport
    }

    pub fn from(&self) -> &Mailbox {
        &self.0.from
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
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(body(&email.body_text)),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(body(&email.body_html)),
                    ),
            )
            .map_err(|err| SendError::permanent(format!("cannot build the message: {err}")))
    }
}

/// A body as it was written when it can travel so (ASCII, lines within the 998 characters of
/// RFC 5322): 7bit, so that a link stays whole on one line of the raw message, where a
/// developer copies it from the `.eml` of the log transport. Otherwise lettre chooses (quoted-
/// printable or base64), which wraps lines at 76 characters.
fn body(text: &str) -> Body {
    const MAX_LINE: usize = 998;
    let lines = text.replace("\r\n", "\n");
    let travels_as_is = lines.is_ascii()
        && !lines.contains(['\0', '\r'])
        && lines.split('\n').all(|line| line.len() <= MAX_LINE);
    if travels_as_is {
        let crlf = lines.replace('\n', "\r\n");
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
    } else {
        Body::new(text.to_owned())
    }
}

/// The email area: the `email.send` job, delivering through the state's mailer.
pub const MODULE: Module = Module {
    jobs: || vec![send_job_through(|ctx| ctx.state.mailer().clone())],
    ..Module::new("email")
};
