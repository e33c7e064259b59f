//! The networks each account has signed in from (issue 13): once an account's login budget for
//! all networks together is spent, these may still try, so an attacker elsewhere cannot lock
//! the owner out. Only a salted hash of the network is kept, as for session addresses.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

use super::user_fk;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000001_login_networks"
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
                    .table("login_networks")
                    .col(uuid("user_id"))
                    // HMAC-SHA256 of the IPv4 /24 or IPv6 /64, keyed from the server secret.
                    .col(string_len("network_hash", 64))
                    .col(timestamp_with_time_zone("first_seen_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .primary_key(Index::create().col("user_id").col("network_hash"))
                    .foreign_key(&mut user_fk("login_networks", "user_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("login_networks").to_owned())
            .await
    }
}
