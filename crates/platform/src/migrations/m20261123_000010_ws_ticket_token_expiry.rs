//! WebSocket tickets remember when the access token they were issued for expires: a socket
//! opened with a ticket closes then, as one opened with the token itself does.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000010_ws_ticket_token_expiry"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Null for the (30-second) tickets issued before this column existed.
        manager
            .alter_table(
                Table::alter()
                    .table("ws_tickets")
                    .add_column(timestamp_with_time_zone_null("token_expires_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("ws_tickets")
                    .drop_column("token_expires_at")
                    .to_owned(),
            )
            .await
    }
}
