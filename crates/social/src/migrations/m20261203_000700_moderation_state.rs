//! Moderation of posts and comments: `hidden_at`, set while a content rule hides the row
//! (seen by its author and the moderators only, until a moderator restores it).

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000700_moderation_state"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["posts", "comments"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(timestamp_with_time_zone_null("hidden_at"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["comments", "posts"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("hidden_at")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
