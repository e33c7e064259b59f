//! The job queue and the scheduler's table (`crate::jobs`), and the email outbox moved onto it:
//! an email is now delivered by an `email.send` job, so the outbox keeps the message and its
//! outcome, and loses its own claim columns.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;
use sea_orm::{ConnectionTrait, FromQueryResult};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000005_jobs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("jobs")
                    .col(pk_uuid("id"))
                    // What runs it (`email.send`, ...), and its input as JSON text.
                    .col(string_len("kind", 64))
                    .col(text("payload"))
                    .col(string_len("status", 16).default("queued"))
                    // At most one job that is not finished per key (index below).
                    .col(string_len_null("unique_key", 200))
                    // Attempts begun, counted when a worker claims the job. How many it may
                    // have is the job kind's rule (`JobKind::retry`), not stored.
                    .col(integer("attempts").default(0))
                    // When it is due (first run, or next retry).
                    .col(timestamp_with_time_zone("run_at"))
                    // While `running`: the claiming worker's lease, and who that is. A job whose
                    // lease has passed belongs to a worker that died and is claimed again.
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(string_len_null("locked_by", 128))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("started_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .check(Expr::col("status").is_in(["queued", "running", "succeeded", "dead"]))
                    .to_owned(),
            )
            .await?;
        // What workers ask for: queued jobs by due time, running ones by lease.
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_status_run_at")
                    .table("jobs")
                    .col("status")
                    .col("run_at")
                    .to_owned(),
            )
            .await?;
        // Admin lists: by status, newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_status_created_at")
                    .table("jobs")
                    .col("status")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        // A partial unique index, the same SQL on both databases: a key is taken while its job
        // waits or runs, and free again once the job has finished.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_jobs_unique_key ON jobs (unique_key) \
                 WHERE status IN ('queued', 'running')",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("job_schedules")
                    // The schedule's name, which is also the kind of job it enqueues.
                    .col(string_len("name", 64).primary_key())
                    // The cron expression `next_run_at` was computed from; when the
                    // configuration changes it, the next run is computed again.
                    .col(string_len("cron", 128))
                    .col(timestamp_with_time_zone("next_run_at"))
                    .col(timestamp_with_time_zone_null("last_run_at"))
                    .to_owned(),
            )
            .await?;

        move_emails_onto_jobs(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("emails")
                    .add_column(timestamp_with_time_zone_null("next_attempt_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("emails")
                    .add_column(timestamp_with_time_zone_null("locked_until"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE emails SET next_attempt_at = created_at")
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_emails_status_next_attempt_at")
                    .table("emails")
                    .col("status")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("job_schedules").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("jobs").to_owned())
            .await
    }
}

#[derive(FromQueryResult)]
struct PendingEmail {
    id: uuid::Uuid,
    attempts: i32,
    next_attempt_at: chrono::DateTime<chrono::Utc>,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// Emails still waiting for delivery get an `email.send` job each (so none is lost by the
/// move), then the outbox's own claim columns go.
async fn move_emails_onto_jobs(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let select = Query::select()
        .columns(["id", "attempts", "next_attempt_at", "created_at"])
        .from("emails")
        .and_where(Expr::col("status").is_in(["queued", "sending"]))
        .to_owned();
    for row in db.query_all(&select).await? {
        let email = PendingEmail::from_query_result(&row, "")?;
        let insert = Query::insert()
            .into_table("jobs")
            .columns([
                "id",
                "kind",
                "payload",
                "status",
                "attempts",
                "run_at",
                "created_at",
            ])
            .values_panic([
                uuid::Uuid::now_v7().into(),
                "email.send".into(),
                serde_json::json!({ "email_id": email.id })
                    .to_string()
                    .into(),
                "queued".into(),
                // At least one more attempt, however many the outbox had made.
                Ord::min(email.attempts, 9).into(),
                email.next_attempt_at.into(),
                email.created_at.into(),
            ])
            .to_owned();
        db.execute(&insert).await?;
    }
    db.execute_unprepared("UPDATE emails SET status = 'queued' WHERE status = 'sending'")
        .await?;
    manager
        .drop_index(
            Index::drop()
                .name("ix_emails_status_next_attempt_at")
                .table("emails")
                .to_owned(),
        )
        .await?;
    for column in ["next_attempt_at", "locked_until"] {
        manager
            .alter_table(
                Table::alter()
                    .table("emails")
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}
