//! A remembered create answers again with its headers (`Location`, `ETag`), not only its status
//! and body.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000001_idempotency_headers"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Null for the keys remembered before this column existed: replayed without headers.
        manager
            .alter_table(
                Table::alter()
                    .table("idempotency_keys")
                    .add_column(text_null("response_headers"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("idempotency_keys")
                    .drop_column("response_headers")
                    .to_owned(),
            )
            .await
    }
}
