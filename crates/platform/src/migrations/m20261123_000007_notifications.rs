//! Notifications for every product, and each user's choice of channels per kind
//! (`crate::notifications`).

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

use super::user_fk;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000007_notifications"
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
                    .table("notifications")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    // `area.event` (`forum.reply`, `social.like`, `fantasy.pick_turn`).
                    .col(string_len("kind", 64))
                    .col(uuid_null("actor_id"))
                    .col(string_len("title", 200))
                    .col(text_null("body"))
                    // Where a client takes the reader (a path of the application).
                    .col(string_len_null("link", 500))
                    // What a client needs to show it (ids, names), as JSON text.
                    .col(text("payload"))
                    // Shown in the list and counted as unread (the `in_app` channel).
                    .col(boolean("in_app"))
                    // Waits for the next email digest (the `email_digest` channel) ...
                    .col(boolean("digest"))
                    // ... until it is in one.
                    .col(timestamp_with_time_zone_null("emailed_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut user_fk("notifications", "user_id"))
                    .to_owned(),
            )
            .await?;
        // A user's list, newest first (ids are time-ordered), and the unread count.
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_user_id_id")
                    .table("notifications")
                    .col("user_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_user_id_read_at")
                    .table("notifications")
                    .col("user_id")
                    .col("read_at")
                    .to_owned(),
            )
            .await?;
        // What the digest job looks for.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_notifications_digest ON notifications (user_id) \
                 WHERE digest AND emailed_at IS NULL AND read_at IS NULL",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("notification_preferences")
                    .col(uuid("user_id"))
                    // A kind, or `default` for every kind without a row of its own.
                    .col(string_len("kind", 64))
                    .col(boolean("in_app"))
                    .col(boolean("email_digest"))
                    .col(boolean("realtime"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("user_id").col("kind"))
                    .foreign_key(&mut user_fk("notification_preferences", "user_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("notification_preferences").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("notifications").to_owned())
            .await
    }
}
