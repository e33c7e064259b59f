//! Follows, mutes and blocks: one row per user, kind and target.

use agora_store::migrate::cascade_fk;
use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000200_user_relations"
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
                    .table("user_relations")
                    .col(uuid("user_id"))
                    // `follow`, `mute` or `block`.
                    .col(string_len("kind", 8))
                    .col(uuid("target_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    // One relation of a kind per pair; also the index of "whom does this user
                    // follow / mute / block", newest first through the next index.
                    .primary_key(Index::create().col("user_id").col("kind").col("target_id"))
                    .foreign_key(&mut cascade_fk("user_relations", "user_id", "users"))
                    .foreign_key(&mut cascade_fk("user_relations", "target_id", "users"))
                    .check(Expr::col("kind").is_in(["follow", "mute", "block"]))
                    .check(Expr::col("user_id").ne(Expr::col("target_id")))
                    .to_owned(),
            )
            .await?;
        // The two lists, newest first, each one index range: a user's own relations of a kind
        // (following, mutes, blocks) and the users related to one (followers).
        for (name, owner, other) in [
            ("ix_user_relations_by_user", "user_id", "target_id"),
            ("ix_user_relations_by_target", "target_id", "user_id"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("user_relations")
                        .col(owner)
                        .col("kind")
                        .col("created_at")
                        .col(other)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("user_relations").to_owned())
            .await
    }
}
