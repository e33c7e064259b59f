//! Grouped notifications (`notifications::notify_grouped`): "alice and 3 others liked your
//! post" is one row whose count grows while it is unread.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000010_notification_groups"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The product's key of a group (`social.like:post:{id}`); null for one not grouped.
        manager
            .alter_table(
                Table::alter()
                    .table("notifications")
                    .add_column(string_len_null("group_key", 200))
                    .to_owned(),
            )
            .await?;
        // How many notifications the row stands for.
        manager
            .alter_table(
                Table::alter()
                    .table("notifications")
                    .add_column(big_integer("group_count").default(1))
                    .to_owned(),
            )
            .await?;
        // The unread row of a recipient's group, which the next one of the group joins.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_notifications_group ON notifications (user_id, group_key) \
                 WHERE group_key IS NOT NULL AND read_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_notifications_group")
            .await?;
        for column in ["group_count", "group_key"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("notifications")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
