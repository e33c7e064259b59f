//! The email outbox: messages written in the transaction of the change that causes them and
//! delivered afterwards by the email worker (`crate::email`).

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_email_outbox"
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
                    .table("emails")
                    .col(pk_uuid("id"))
                    .col(string_len("to_address", 254))
                    .col(text("subject"))
                    // Which template rendered the bodies (`verify_email`, ...), for the logs.
                    .col(string_len("template", 64))
                    .col(text("body_text"))
                    .col(text("body_html"))
                    .col(string_len("status", 16).default("queued"))
                    // Attempts begun, counted when a worker claims the row.
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    // While `sending`: the claiming worker's lease. A row whose lease has passed
                    // belongs to a worker that died and is claimed again.
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .check(Expr::col("status").is_in(["queued", "sending", "sent", "dead"]))
                    .to_owned(),
            )
            .await?;

        // What the worker asks for: queued rows by due time, and `sending` rows by lease.
        manager
            .create_index(
                Index::create()
                    .name("ix_emails_status_next_attempt_at")
                    .table("emails")
                    .col("status")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("emails").to_owned())
            .await
    }
}
