//! The error log (issue 16): server errors (5xx answers, panics) and errors clients report,
//! one row per fingerprint, repeats counted (`count`, `last_seen`), resolved by an admin
//! (`resolved_at`, cleared when the error happens again).

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000040_error_logs"
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
                    .table("error_logs")
                    .col(uuid("id").primary_key())
                    // SHA-256 (hex) of the source, route, kind and message with numbers and
                    // ids taken out: the same error from two requests is one row.
                    .col(string_len("fingerprint", 64).unique_key())
                    // `server` or `client`.
                    .col(string_len("source", 16))
                    .col(text("message"))
                    .col(text_null("detail"))
                    // The route template (`/api/v1/posts/{id}`), never the raw path.
                    .col(string_len_null("route", 512))
                    .col(string_len_null("method", 16))
                    .col(small_integer_null("status"))
                    .col(string_len_null("request_id", 128))
                    .col(uuid_null("user_id"))
                    .col(big_integer("count").default(1))
                    .col(timestamp_with_time_zone("first_seen"))
                    .col(timestamp_with_time_zone("last_seen"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("error_logs", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_error_logs_last_seen")
                    .table("error_logs")
                    .col("last_seen")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("error_logs").to_owned())
            .await
    }
}
