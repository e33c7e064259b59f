//! Posts, the tickers they name and the users they mention.

use agora_store::migrate::cascade_fk;
use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000300_posts"
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
                    .table("posts")
                    .col(pk_uuid("id"))
                    .col(uuid("author_id"))
                    .col(text("content"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("edited_at"))
                    // Soft delete: the row stays for counters, reports and moderation.
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    // Kept by the writes that change them, never counted on read.
                    .col(big_integer("like_count").default(0))
                    .col(big_integer("comment_count").default(0))
                    .col(big_integer("repost_count").default(0))
                    .foreign_key(&mut cascade_fk("posts", "author_id", "users"))
                    .to_owned(),
            )
            .await?;
        // A user's posts, newest first (their timeline; the feed reads it per followed user).
        manager
            .create_index(
                Index::create()
                    .name("ix_posts_author_created")
                    .table("posts")
                    .col("author_id")
                    .col("created_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        // The public timeline, newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_posts_created")
                    .table("posts")
                    .col("created_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("post_tickers")
                    .col(uuid("post_id"))
                    .col(string_len("symbol", 8))
                    // Copied from the post, so a ticker's page is one index range.
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("post_id").col("symbol"))
                    .foreign_key(&mut cascade_fk("post_tickers", "post_id", "posts"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_post_tickers_symbol_created")
                    .table("post_tickers")
                    .col("symbol")
                    .col("created_at")
                    .col("post_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("post_mentions")
                    .col(uuid("post_id"))
                    .col(uuid("user_id"))
                    .primary_key(Index::create().col("post_id").col("user_id"))
                    .foreign_key(&mut cascade_fk("post_mentions", "post_id", "posts"))
                    .foreign_key(&mut cascade_fk("post_mentions", "user_id", "users"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["post_mentions", "post_tickers", "posts"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
