//! Outgoing email: the outbox (and its `email.send` job) follows its transaction, the job worker
//! started by the server delivers through the log and SMTP transports, and failures are retried
//! until the email is dead. SMTP runs against a real server (`agora_testkit::smtp`, in process),
//! never a stub. The queue's own rules (leases, concurrency) are tested in `jobs.rs`.

use std::time::Duration;

use agora_core::config::EmailTransport;
use agora_platform::AppState;
use agora_platform::email::transport::SmtpTransport;
use agora_platform::email::{
    self, EmailId, EmailStatus, Mailer, OutgoingEmail, StoredEmail, Template, Transport, outbox,
};
use agora_platform::jobs::queue::{self, JobFilter};
use agora_platform::jobs::{JobKinds, RetryPolicy, StoredJob, Worker, WorkerOptions};
use agora_store::Db;
use agora_testkit::smtp::{SmtpServerTls, TestSmtpServer};
use agora_testkit::{TestApp, eventually, services_without_server, test_config};
use chrono::{DateTime, Utc};

fn verify_email(to: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.parse().expect("a valid address"),
        template: Template::VerifyEmail {
            username: "alice".into(),
            link: "https://agora.example/verify-email?token=t0k3n"
                .parse()
                .expect("a valid link"),
        },
    }
}

/// A job worker that runs `email.send` jobs only, through `mailer`, with `max_attempts` and
/// waits of 10 s doubling to 60 s.
fn email_worker(state: &AppState, mailer: Mailer, max_attempts: u32) -> Worker {
    let kind = email::send_job(mailer).retry(RetryPolicy {
        max_attempts,
        base_delay: Duration::from_secs(10),
        max_delay: Duration::from_secs(60),
    });
    let kinds = JobKinds::new([kind]).expect("one kind");
    Worker::new(state.clone(), kinds, WorkerOptions::default())
}

/// Runs the email jobs due at `now`; how many ran.
async fn deliver_due(worker: &Worker, now: DateTime<Utc>) -> usize {
    worker.run_due(now, 100).await.expect("delivery runs")
}

/// The `email.send` job of the email `id`.
async fn job_of(db: &Db, id: EmailId) -> StoredJob {
    let filter = JobFilter {
        status: None,
        kind: Some("email.send".into()),
    };
    let jobs = queue::list(
        db.reader(),
        &filter,
        agora_core::pagination::PageNumber::first(100),
    )
    .await
    .expect("the queue is readable")
    .items;
    jobs.into_iter()
        .find(|job| job.payload["email_id"] == id.to_string())
        .expect("the email has a job")
}

async fn enqueue_committed(db: &Db, message: OutgoingEmail, now: DateTime<Utc>) -> EmailId {
    let txn = db.begin().await.expect("a transaction");
    let id = email::enqueue(&txn, message, now)
        .await
        .expect("the email is queued");
    txn.commit().await.expect("the commit");
    id
}

async fn stored(db: &Db, id: EmailId) -> StoredEmail {
    outbox::find(db.reader(), id)
        .await
        .expect("the outbox is readable")
        .expect("the email exists")
}

fn smtp_mailer(url: &str, certificate: Option<&str>) -> Mailer {
    let config = test_config(&[
        ("AGORA_EMAIL_TRANSPORT", "smtp"),
        ("AGORA_SMTP_URL", url),
        ("AGORA_EMAIL_FROM", "Agora Tests <noreply@agora.test>"),
    ]);
    let EmailTransport::Smtp(smtp) = &config.email.transport else {
        panic!("the SMTP transport was configured");
    };
    let transport = SmtpTransport::new(smtp, certificate.map(str::as_bytes))
        .expect("the SMTP transport builds");
    Mailer::new(Transport::Smtp(transport), config.email.from.clone())
}

#[tokio::test]
async fn an_email_and_its_job_exist_only_if_their_transaction_commits() {
    let (state, _database) = services_without_server().await;
    let db = state.db();
    let now = agora_core::time::now();

    let txn = db.begin().await.expect("a transaction");
    email::enqueue(&txn, verify_email("alice@example.com"), now)
        .await
        .expect("queued");
    txn.rollback().await.expect("the rollback");
    assert!(outbox::list(db.reader()).await.expect("list").is_empty());
    let jobs = queue::list(
        db.reader(),
        &JobFilter::default(),
        agora_core::pagination::PageNumber::first(100),
    )
    .await
    .expect("the queue is readable")
    .items;
    assert!(jobs.is_empty(), "{jobs:?}");

    let id = enqueue_committed(db, verify_email("alice@example.com"), now).await;
    let job = job_of(db, id).await;
    assert_eq!((job.attempts, job.run_at), (0, now));
    let rows = outbox::list(db.reader()).await.expect("list");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.id, id);
    assert_eq!(row.status, EmailStatus::Queued);
    assert_eq!(row.attempts, 0);
    assert_eq!(row.to_address, "alice@example.com");
    assert_eq!(row.template, "verify_email");
    assert_eq!(row.subject, "Confirm your email address");
    assert!(
        row.body_text
            .contains("https://agora.example/verify-email?token=t0k3n")
    );
    assert!(
        row.body_html
            .contains("href=\"https:&#x2f;&#x2f;agora.example&#x2f;verify-email?token=t0k3n\""),
        "{}",
        row.body_html
    );
}

#[tokio::test]
async fn the_server_worker_writes_log_transport_email_into_the_data_directory() {
    let app = TestApp::spawn().await;
    let id = enqueue_committed(
        app.db(),
        verify_email("alice@example.com"),
        agora_core::time::now(),
    )
    .await;
    app.state().jobs().wake();

    let eml = app.written_eml(id).await;
    assert!(eml.contains("To: alice@example.com"), "{eml}");
    assert!(eml.contains("From: Agora <noreply@localhost>"), "{eml}");
    assert!(eml.contains("Subject: Confirm your email address"), "{eml}");
    assert!(eml.contains("multipart/alternative"), "{eml}");
    assert!(
        eml.contains("https://agora.example/verify-email?token=t0k3n"),
        "{eml}"
    );

    // The outcome is recorded right after the file is written.
    let row = eventually(
        Duration::from_secs(10),
        "the email is recorded as sent",
        async || Some(stored(app.db(), id).await).filter(|row| row.status == EmailStatus::Sent),
    )
    .await;
    assert_eq!(row.attempts, 1);
    assert!(row.sent_at.is_some());
}

#[tokio::test]
async fn the_server_worker_delivers_through_the_configured_smtp_server() {
    let smtp = TestSmtpServer::start().await;
    let app = TestApp::builder()
        .env("AGORA_EMAIL_TRANSPORT", "smtp")
        .env("AGORA_SMTP_URL", format!("smtp://127.0.0.1:{}", smtp.port))
        .env("AGORA_EMAIL_FROM", "Agora Tests <noreply@agora.test>")
        .spawn()
        .await;
    let message = OutgoingEmail {
        to: "bob@example.com".parse().expect("an address"),
        template: Template::PasswordReset {
            username: "bob".into(),
            link: "https://agora.example/reset?token=r3s3t"
                .parse()
                .expect("a link"),
        },
    };
    let id = enqueue_committed(app.db(), message, agora_core::time::now()).await;
    app.state().jobs().wake();

    let messages = smtp.wait_for_messages(1).await;
    let received = &messages[0];
    assert_eq!(received.mail_from, "noreply@agora.test");
    assert_eq!(received.rcpt_tos, ["bob@example.com"]);
    assert!(!received.tls);
    assert!(received.login.is_none());
    // ASCII bodies travel as written (7bit): the link is whole in the raw message.
    let data = &received.data;
    assert!(data.contains("Content-Transfer-Encoding: 7bit"), "{data}");
    assert!(data.contains("Subject: Reset your password"), "{data}");
    assert!(
        data.contains("From: \"Agora Tests\" <noreply@agora.test>"),
        "{data}"
    );
    assert!(
        data.contains(&format!("Message-ID: <{id}@agora.test>")),
        "{data}"
    );
    assert!(data.contains("Content-Type: text/plain"), "{data}");
    assert!(data.contains("Content-Type: text/html"), "{data}");
    assert!(
        data.contains("https://agora.example/reset?token=r3s3t"),
        "{data}"
    );
}

#[tokio::test]
async fn smtp_authenticates_after_starttls_with_the_credentials_of_the_url() {
    let smtp = TestSmtpServer::builder()
        .auth("mailer", "p@ss:word")
        .tls(SmtpServerTls::StartTls)
        .start()
        .await;
    let mailer = smtp_mailer(
        &format!(
            "smtp://mailer:p%40ss%3Aword@127.0.0.1:{}?tls=starttls",
            smtp.port
        ),
        smtp.certificate_pem(),
    );
    let (state, _database) = services_without_server().await;
    let db = state.db();
    let now = agora_core::time::now();
    let id = enqueue_committed(db, verify_email("carol@example.com"), now).await;

    let attempted = deliver_due(&email_worker(&state, mailer, 3), now).await;
    assert_eq!(attempted, 1);
    let row = stored(db, id).await;
    assert_eq!(row.status, EmailStatus::Sent, "{:?}", row.last_error);

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].tls, "the session was encrypted");
    assert_eq!(messages[0].login.as_deref(), Some("mailer"));
    assert_eq!(messages[0].rcpt_tos, ["carol@example.com"]);
}

#[tokio::test]
async fn a_starttls_server_with_an_untrusted_certificate_gets_nothing() {
    let smtp = TestSmtpServer::builder()
        .tls(SmtpServerTls::StartTls)
        .start()
        .await;
    // No extra root: the self-signed certificate is not trusted.
    let mailer = smtp_mailer(
        &format!("smtp://127.0.0.1:{}?tls=starttls", smtp.port),
        None,
    );
    let (state, _database) = services_without_server().await;
    let db = state.db();
    let now = agora_core::time::now();
    let id = enqueue_committed(db, verify_email("dave@example.com"), now).await;

    deliver_due(&email_worker(&state, mailer, 3), now).await;
    let row = stored(db, id).await;
    assert_eq!(row.status, EmailStatus::Queued, "retried later");
    assert!(row.last_error.is_some());
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn implicit_tls_delivers_over_smtps() {
    let smtp = TestSmtpServer::builder()
        .tls(SmtpServerTls::Implicit)
        .start()
        .await;
    let mailer = smtp_mailer(
        &format!("smtps://127.0.0.1:{}", smtp.port),
        smtp.certificate_pem(),
    );
    let (state, _database) = services_without_server().await;
    let db = state.db();
    let now = agora_core::time::now();
    let id = enqueue_committed(db, verify_email("erin@example.com"), now).await;

    deliver_due(&email_worker(&state, mailer, 3), now).await;
    assert_eq!(stored(db, id).await.status, EmailStatus::Sent);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].tls);
}

#[tokio::test]
async fn a_wrong_smtp_password_is_a_permanent_failure() {
    let smtp = TestSmtpServer::builder()
        .auth("mailer", "right")
        .start()
        .await;
    let mailer = smtp_mailer(
        &format!("smtp://mailer:wrong@127.0.0.1:{}", smtp.port),
        None,
    );
    let (state, _database) = services_without_server().await;
    let db = state.db();
    let now = agora_core::time::now();
    let id = enqueue_committed(db, verify_email("frank@example.com"), now).await;

    deliver_due(&email_worker(&state, mailer, 5), now).await;
    let row = stored(db, id).await;
    assert_eq!(row.status, EmailStatus::Dead, "{:?}", row.last_error);
    assert_eq!(row.attempts, 1);
    let error = row.last_error.expect("the reason is kept");
    assert!(error.contains("535"), "{error}");
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn a_server_that_stops_answering_times_out_and_is_retried() {
    // Accepts connections and never says a word (not even the greeting).
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let port = silent.local_addr().expect("an address").port();
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            connections.push(socket);
        }
    });
    let config = test_config(&[
        ("AGORA_EMAIL_TRANSPORT", "smtp"),
        ("AGORA_SMTP_URL", &format!("smtp://127.0.0.1:{port}")),
    ]);
    let EmailTransport::Smtp(url) = &config.email.transport else {
        panic!("the SMTP transport was configured");
    };
    let transport = SmtpTransport::new(url, None)
        .expect("the SMTP transport builds")
        .with_timeout(Duration::from_millis(500));
    let mailer = Mailer::new(Transport::Smtp(transport), config.email.from.clone());
    let (state, _database) = services_without_server().await;
    let db = state.db();
    let now = agora_core::time::now();
    let id = enqueue_committed(db, verify_email("ivan@example.com"), now).await;

    let started = std::time::Instant::now();
    deliver_due(&email_worker(&state, mailer, 3), now).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let row = stored(db, id).await;
    assert_eq!((row.status, row.attempts), (EmailStatus::Queued, 1));
    let error = row.last_error.expect("the reason is kept");
    assert!(error.contains("did not complete"), "{error}");
    held.abort();
}

#[tokio::test]
async fn a_refusing_server_is_retried_with_backoff_until_the_email_is_dead() {
    let smtp = TestSmtpServer::builder()
        .reject_with("451 4.3.0 Mailbox busy, try again later")
        .start()
        .await;
    let mailer = smtp_mailer(&format!("smtp://127.0.0.1:{}", smtp.port), None);
    let (state, _database) = services_without_server().await;
    let db = state.db();
    let worker = email_worker(&state, mailer, 3);
    let start = agora_core::time::now();
    let id = enqueue_committed(db, verify_email("grace@example.com"), start).await;

    // First attempt: refused, queued again 5 to 10 s later (10 s, less up to half of jitter).
    assert_eq!(deliver_due(&worker, start).await, 1);
    let first = stored(db, id).await;
    assert_eq!((first.status, first.attempts), (EmailStatus::Queued, 1));
    assert!(
        first
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("451"),
        "{first:?}"
    );
    let retry_at = job_of(db, id).await.run_at;
    let wait = retry_at - start;
    assert!(
        wait >= chrono::Duration::seconds(5) && wait <= chrono::Duration::seconds(11),
        "{wait}"
    );

    // Not due before then.
    let early = retry_at - chrono::Duration::milliseconds(1);
    assert_eq!(deliver_due(&worker, early).await, 0);

    // Second attempt: the wait doubles (10 to 20 s).
    assert_eq!(deliver_due(&worker, retry_at).await, 1);
    let second = stored(db, id).await;
    assert_eq!((second.status, second.attempts), (EmailStatus::Queued, 2));
    let third_at = job_of(db, id).await.run_at;
    let wait = third_at - retry_at;
    assert!(
        wait >= chrono::Duration::seconds(10) && wait <= chrono::Duration::seconds(21),
        "{wait}"
    );

    // Third and last attempt: dead, with the server's answer kept.
    assert_eq!(deliver_due(&worker, third_at).await, 1);
    let dead = stored(db, id).await;
    assert_eq!((dead.status, dead.attempts), (EmailStatus::Dead, 3));
    assert!(
        dead.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("451")
    );
    assert!(dead.sent_at.is_none());
    assert_eq!(
        job_of(db, id).await.status,
        agora_platform::jobs::JobStatus::Dead
    );

    // A dead email is never tried again.
    let much_later = start + chrono::Duration::days(1);
    assert_eq!(deliver_due(&worker, much_later).await, 0);
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn concurrent_workers_send_each_email_exactly_once() {
    let smtp = TestSmtpServer::start().await;
    let mailer = smtp_mailer(&format!("smtp://127.0.0.1:{}", smtp.port), None);
    let (state, _database) = services_without_server().await;
    let db = state.db();
    let now = agora_core::time::now();
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(enqueue_committed(db, verify_email(&format!("user{n}@example.com")), now).await);
    }

    let workers: Vec<Worker> = (0..3)
        .map(|_| email_worker(&state, mailer.clone(), 3))
        .collect();
    let attempted: usize = futures::future::join_all(workers.iter().map(|w| deliver_due(w, now)))
        .await
        .into_iter()
        .sum();
    assert_eq!(attempted, 12);

    let messages = smtp.wait_for_messages(12).await;
    let mut recipients: Vec<String> = messages.iter().flat_map(|m| m.rcpt_tos.clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(messages.len(), 12, "no email was sent twice");
    assert_eq!(recipients.len(), 12);
    for id in ids {
        assert_eq!(stored(db, id).await.status, EmailStatus::Sent);
    }
}

/// The mail folder and its `.eml` files (which hold live password-reset links) are the
/// server's alone.
#[cfg(unix)]
#[tokio::test]
async fn log_transport_mail_is_readable_by_the_server_user_alone() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    let id = enqueue_committed(
        app.db(),
        verify_email("alice@example.com"),
        agora_core::time::now(),
    )
    .await;
    app.state().jobs().wake();

    app.written_eml(id).await;
    let folder = app.mail_dir();
    let file = folder.join(format!("{id}.eml"));
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!((mode(&folder), mode(&file)), (0o700, 0o600));
}
