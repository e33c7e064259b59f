//! WebSocket tickets: short-lived, single-use credentials for `GET /api/v1/ws?ticket=…`
//! (browsers cannot set headers on a WebSocket). Kept in the database so that a ticket issued
//! by one instance works on another.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000006_ws_tickets"
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
                    .table("ws_tickets")
                    // SHA-256 of the ticket; the ticket itself is shown once and never stored.
                    .col(string_len("ticket_hash", 64).primary_key())
                    .col(uuid("user_id"))
                    .col(uuid_null("session_id"))
                    .col(string_len("role", 32))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("ws_tickets", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ws_tickets_expires")
                    .table("ws_tickets")
                    .col("expires_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("ws_tickets").to_owned())
            .await
    }
}
