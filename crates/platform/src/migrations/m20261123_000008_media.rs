//! Uploaded media and who owns it (`crate::media`), and each user's profile picture.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

use super::user_fk;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000008_media"
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
                    .table("media")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    // The original's storage key; thumbnails are variants of it (`_64`, ...).
                    .col(string_len_uniq("key", 200))
                    .col(string_len("content_type", 100))
                    // Bytes of the stored original (after re-encoding).
                    .col(big_integer("size"))
                    .col(integer_null("width"))
                    .col(integer_null("height"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut user_fk("media", "user_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_media_user_id_id")
                    .table("media")
                    .col("user_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(string_len_null("profile_picture_key", 200))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("profile_picture_key")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("media").to_owned())
            .await
    }
}
