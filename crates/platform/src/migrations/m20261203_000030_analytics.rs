//! Analytics (issue 16): what is recorded as requests come in (`user_activity`, one row per user
//! and day; `route_stats`, one row per route and hour) and the roll-ups the scheduled job
//! `analytics.refresh` recomputes from them (`analytics_daily`, `analytics_daily_counters`,
//! `analytics_cohorts`), which the `/metrics/...` routes read.

use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

use super::user_fk;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000030_analytics"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per user and UTC day with an authenticated request.
        manager
            .create_table(
                Table::create()
                    .table("user_activity")
                    .col(uuid("user_id"))
                    .col(date("day"))
                    .col(big_integer("requests"))
                    .col(timestamp_with_time_zone("first_seen_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .primary_key(Index::create().col("user_id").col("day"))
                    .foreign_key(&mut user_fk("user_activity", "user_id"))
                    .to_owned(),
            )
            .await?;
        // Who was active on a day (DAU) or in a window (WAU, MAU), without the users' rows.
        manager
            .create_index(
                Index::create()
                    .name("ix_user_activity_day")
                    .table("user_activity")
                    .col("day")
                    .col("user_id")
                    .to_owned(),
            )
            .await?;
        // Requests per route template and hour: count, server errors, latency (sum and
        // buckets, each counting the requests at most that many milliseconds long and longer
        // than the bucket before).
        let mut route_stats = Table::create();
        route_stats
            .table("route_stats")
            .col(timestamp_with_time_zone("hour"))
            .col(string_len("method", 16))
            .col(string_len("route", 255))
            .col(big_integer("requests"))
            .col(big_integer("errors"))
            .col(big_integer("latency_us_sum"));
        for bucket in BUCKETS {
            route_stats.col(big_integer(*bucket).default(0));
        }
        manager
            .create_table(
                route_stats
                    .primary_key(Index::create().col("hour").col("method").col("route"))
                    .to_owned(),
            )
            .await?;
        // The roll-ups, one row per day (and per counter, and per signup day).
        manager
            .create_table(
                Table::create()
                    .table("analytics_daily")
                    .col(date("day").primary_key())
                    .col(big_integer("dau"))
                    .col(big_integer("wau"))
                    .col(big_integer("mau"))
                    .col(big_integer("signups"))
                    .col(big_integer("users_total"))
                    .col(big_integer("requests"))
                    .col(timestamp_with_time_zone("refreshed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("analytics_daily_counters")
                    .col(date("day"))
                    .col(string_len("name", 64))
                    .col(big_integer("value"))
                    .primary_key(Index::create().col("day").col("name"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("analytics_cohorts")
                    .col(date("cohort_day").primary_key())
                    .col(big_integer("size"))
                    .col(big_integer_null("d1"))
                    .col(big_integer_null("d7"))
                    .col(big_integer_null("d30"))
                    .col(timestamp_with_time_zone("refreshed_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "analytics_cohorts",
            "analytics_daily_counters",
            "analytics_daily",
            "route_stats",
            "user_activity",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The latency buckets of `route_stats` (upper bounds in milliseconds; slower requests are in
/// `requests` only). Shipped: never change them here, add a migration.
const BUCKETS: &[&str] = &[
    "le_5ms",
    "le_10ms",
    "le_25ms",
    "le_50ms",
    "le_100ms",
    "le_250ms",
    "le_500ms",
    "le_1000ms",
    "le_2500ms",
];
