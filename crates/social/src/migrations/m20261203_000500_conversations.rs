//! Comments, likes of posts and comments, reposts and quotes (two columns of `posts`) and
//! bookmarks.

use agora_store::migrate::cascade_fk;
use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000500_conversations"
    }
}

/// `post_likes` or `comment_likes`: one row per liked thing and user.
fn likes(table: &'static str, column: &'static str, of: &'static str) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(uuid(column))
        .col(uuid("user_id"))
        .col(timestamp_with_time_zone("created_at"))
        // One like per user: the toggle's insert conflicts on it.
        .primary_key(Index::create().col(column).col("user_id"))
        .foreign_key(&mut cascade_fk(table, column, of))
        .foreign_key(&mut cascade_fk(table, "user_id", "users"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A repost (`repost_of_id`, empty content) or a quote (`quote_of_id`) is a post. No
        // foreign keys: SQLite cannot add one to an existing table; an original is only ever
        // soft deleted, so the ids stay valid.
        for column in ["repost_of_id", "quote_of_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("posts")
                        .add_column(uuid_null(column))
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        // Who reposted or quoted a post (the viewer's `reposted_by_me`, counts by hand).
        db.execute_unprepared(
            "CREATE INDEX ix_posts_repost_of ON posts (repost_of_id, author_id) \
             WHERE repost_of_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_posts_quote_of ON posts (quote_of_id) WHERE quote_of_id IS NOT NULL",
        )
        .await?;
        // One live plain repost of a post per user, even for concurrent requests.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_posts_author_repost ON posts (author_id, repost_of_id) \
             WHERE repost_of_id IS NOT NULL AND deleted_at IS NULL",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("comments")
                    .col(pk_uuid("id"))
                    .col(uuid("post_id"))
                    .col(uuid("author_id"))
                    // Null for a comment on the post; a reply names the comment it answers.
                    .col(uuid_null("parent_id"))
                    // 0 for a comment on the post, its parent's depth + 1 for a reply.
                    .col(small_integer("depth"))
                    .col(text("content"))
                    .col(timestamp_with_time_zone("created_at"))
                    // Soft delete: a deleted comment with replies stays as a tombstone.
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    // Kept by the writes that change them, never counted on read.
                    .col(big_integer("like_count").default(0))
                    .col(big_integer("reply_count").default(0))
                    .foreign_key(&mut cascade_fk("comments", "post_id", "posts"))
                    .foreign_key(&mut cascade_fk("comments", "author_id", "users"))
                    .foreign_key(&mut cascade_fk("comments", "parent_id", "comments"))
                    .to_owned(),
            )
            .await?;
        // A post's comments, and a comment's replies, oldest first.
        for (name, columns) in [
            (
                "ix_comments_post_created",
                ["post_id", "parent_id", "created_at", "id"].as_slice(),
            ),
            (
                "ix_comments_parent_created",
                ["parent_id", "created_at", "id"].as_slice(),
            ),
        ] {
            let mut index = Index::create().name(name).table("comments").to_owned();
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(likes("post_likes", "post_id", "posts"))
            .await?;
        manager
            .create_table(likes("comment_likes", "comment_id", "comments"))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("bookmarks")
                    .col(uuid("user_id"))
                    .col(uuid("post_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("user_id").col("post_id"))
                    .foreign_key(&mut cascade_fk("bookmarks", "user_id", "users"))
                    .foreign_key(&mut cascade_fk("bookmarks", "post_id", "posts"))
                    .to_owned(),
            )
            .await?;
        // A user's bookmarks, newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_bookmarks_user_created")
                    .table("bookmarks")
                    .col("user_id")
                    .col("created_at")
                    .col("post_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["bookmarks", "comment_likes", "post_likes", "comments"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        let db = manager.get_connection();
        for index in [
            "ux_posts_author_repost",
            "ix_posts_quote_of",
            "ix_posts_repost_of",
        ] {
            db.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
        }
        for column in ["quote_of_id", "repost_of_id"] {
            manager
                .alter_table(Table::alter().table("posts").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
