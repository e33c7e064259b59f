//! Profiles (what a user tells about themselves, what onboarding found, and the counters other
//! modules keep) and watchlists of tickers (`crate::profiles`).

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

use super::user_fk;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000009_profiles"
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
                    .table("profiles")
                    .col(uuid("user_id").primary_key())
                    .col(string_len_null("bio", 160))
                    .col(string_len_null("website", 200))
                    .col(string_len_null("location", 100))
                    // JSON array of lowercase words.
                    .col(text("interests").default("[]"))
                    // An IANA name (`Europe/Berlin`), and a two-letter country code.
                    .col(string_len_null("timezone", 64))
                    .col(string_len_null("country", 2))
                    // Keyed SHA-256 of the address onboarding came from; never the address.
                    .col(string_len_null("ip_hash", 64))
                    .col(timestamp_with_time_zone_null("onboarded_at"))
                    // Kept by the writes that change them (follows, posts), never counted on read.
                    .col(big_integer("followers_count").default(0))
                    .col(big_integer("following_count").default(0))
                    .col(big_integer("posts_count").default(0))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut user_fk("profiles", "user_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("watchlist_items")
                    .col(uuid("user_id"))
                    .col(string_len("symbol", 12))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("user_id").col("symbol"))
                    .foreign_key(&mut user_fk("watchlist_items", "user_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("watchlist_items").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("profiles").to_owned())
            .await
    }
}
