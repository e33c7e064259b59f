//! What a post may carry besides its text: the history of its edits, its media and its poll
//! (with the options and one vote per user).

use agora_store::migrate::cascade_fk;
use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000400_post_edits_media_polls"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Each edit keeps the text it replaced: when that text was written and when replaced.
        manager
            .create_table(
                Table::create()
                    .table("post_edits")
                    .col(pk_uuid("id"))
                    .col(uuid("post_id"))
                    .col(text("content"))
                    .col(timestamp_with_time_zone("written_at"))
                    .col(timestamp_with_time_zone("replaced_at"))
                    .foreign_key(&mut cascade_fk("post_edits", "post_id", "posts"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_post_edits_post_replaced")
                    .table("post_edits")
                    .col("post_id")
                    .col("replaced_at")
                    .to_owned(),
            )
            .await?;
        // A post's uploads, in order. Forgetting an upload (its `media` row) takes it off the
        // posts that show it rather than leaving them pointing at nothing.
        manager
            .create_table(
                Table::create()
                    .table("post_media")
                    .col(uuid("post_id"))
                    .col(small_integer("position"))
                    .col(uuid("media_id"))
                    .primary_key(Index::create().col("post_id").col("position"))
                    .foreign_key(&mut cascade_fk("post_media", "post_id", "posts"))
                    .foreign_key(&mut cascade_fk("post_media", "media_id", "media"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_post_media_media")
                    .table("post_media")
                    .col("media_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("polls")
                    .col(pk_uuid("id"))
                    .col(uuid_uniq("post_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("closes_at"))
                    // Set once by the job that notifies the end: it runs at least once.
                    .col(timestamp_with_time_zone_null("ended_notified_at"))
                    .foreign_key(&mut cascade_fk("polls", "post_id", "posts"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("poll_options")
                    .col(pk_uuid("id"))
                    .col(uuid("poll_id"))
                    .col(small_integer("position"))
                    .col(text("label"))
                    // Kept by the vote's transaction, never counted on read.
                    .col(big_integer("vote_count").default(0))
                    .foreign_key(&mut cascade_fk("poll_options", "poll_id", "polls"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_poll_options_poll_position")
                    .table("poll_options")
                    .col("poll_id")
                    .col("position")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // One vote per user and poll: the primary key, so concurrent votes count once.
        manager
            .create_table(
                Table::create()
                    .table("poll_votes")
                    .col(uuid("poll_id"))
                    .col(uuid("user_id"))
                    .col(uuid("option_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("poll_id").col("user_id"))
                    .foreign_key(&mut cascade_fk("poll_votes", "poll_id", "polls"))
                    .foreign_key(&mut cascade_fk("poll_votes", "user_id", "users"))
                    .foreign_key(&mut cascade_fk("poll_votes", "option_id", "poll_options"))
                    .to_owned(),
            )
            .await?;
        // A user's votes (the viewer's vote on a page of posts; an account's removal).
        manager
            .create_index(
                Index::create()
                    .name("ix_poll_votes_user")
                    .table("poll_votes")
                    .col("user_id")
                    .col("poll_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "poll_votes",
            "poll_options",
            "polls",
            "post_media",
            "post_edits",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
