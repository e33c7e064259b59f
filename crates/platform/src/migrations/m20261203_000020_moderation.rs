//! Moderation: the rules user text is screened against, and the queue of flagged or reported
//! content the moderators work through.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000020_moderation"
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
                    .table("moderation_rules")
                    .col(uuid("id").primary_key())
                    .col(string_len("pattern", 500))
                    // word | phrase | regex
                    .col(string_len("match_kind", 16))
                    // 1 (mild) to 5 (severe): for the moderators' ordering, not the matcher.
                    .col(small_integer("severity"))
                    // flag | hide | reject
                    .col(string_len("action", 16))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("moderation_queue")
                    .col(uuid("id").primary_key())
                    // The module's kind of target (`post`, `comment`, `profile`) and its id.
                    .col(string_len("target_type", 32))
                    .col(uuid("target_id"))
                    .col(uuid_null("author_id"))
                    // The text as it was flagged, for the moderators (at most 500 characters).
                    .col(string_len("preview", 500))
                    // open | restored | removed
                    .col(string_len("status", 16))
                    // The strictest action of the rules that flagged it; null for reports only.
                    .col(string_len_null("action", 16))
                    // The rules that matched: [{rule_id, field, action, at}].
                    .col(json("flags"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .col(uuid_null("resolved_by"))
                    .col(string_len_null("resolution_reason", 500))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // One open entry per target: new flags and reports join it.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_moderation_queue_open ON moderation_queue \
             (target_type, target_id) WHERE status = 'open'",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_moderation_queue_status ON moderation_queue (status, created_at, id)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_moderation_queue_author ON moderation_queue (author_id, status)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["moderation_queue", "moderation_rules"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
