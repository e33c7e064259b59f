//! The index the home feed reads each followed author through: `(author_id, created_at, id)`
//! with `deleted_at` and `hidden_at` after them, so that a branch of the feed (an author's
//! newest visible posts, their time and id) is answered from the index alone, without reading a
//! post's row until it is on the page (docs/decisions/0025-home-feed.md, "Measurements"). It
//! replaces the index without them, which served the same lists but read every candidate's row.

use agora_store::sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000800_feed_index"
    }
}

fn index(name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table("posts").to_owned();
    for column in columns {
        index.col(*column);
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "ix_posts_author_live",
                &["author_id", "created_at", "id", "deleted_at", "hidden_at"],
            ))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_posts_author_created")
                    .table("posts")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "ix_posts_author_created",
                &["author_id", "created_at", "id"],
            ))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_posts_author_live")
                    .table("posts")
                    .to_owned(),
            )
            .await
    }
}
