//! Bytes of media each user keeps, for the storage quota (`crate::media::queries::charge`):
//! a counter kept by the writes of `media` rows, in their transaction, so that a check never
//! sums a user's files.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

use super::user_fk;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000010_media_usage"
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
                    .table("media_usage")
                    .col(uuid("user_id").primary_key())
                    // The sum of `media.size` of the user's rows.
                    .col(big_integer("bytes").default(0))
                    .foreign_key(&mut user_fk("media_usage", "user_id"))
                    .to_owned(),
            )
            .await?;
        // Media stored before the counter existed.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO media_usage (user_id, bytes) \
                 SELECT user_id, SUM(size) FROM media GROUP BY user_id",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("media_usage").to_owned())
            .await
    }
}
