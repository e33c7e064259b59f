//! The F1 data that Jolpica publishes: seasons, teams, drivers, races and their results.
//!
//! Teams and drivers are rows per season (a team's name, a driver's team and car number change
//! between seasons), keyed by Jolpica's ids (`red_bull`, `max_verstappen`) within the season;
//! races by (season, round). The league tables of the module refer to these rows by id.

use agora_store::migrate::cascade_fk;
use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000100_f1_data"
    }
}

/// The external keys: Jolpica's ids within a season, a race's round, one result per
/// driver and session. Upserts of the import conflict on them.
const UNIQUE_KEYS: &[(&str, &str, &[&str])] = &[
    (
        "ux_fantasy_teams_season_external",
        "fantasy_teams",
        &["season_id", "external_id"],
    ),
    (
        "ux_fantasy_drivers_season_external",
        "fantasy_drivers",
        &["season_id", "external_id"],
    ),
    (
        "ux_fantasy_races_season_round",
        "fantasy_races",
        &["season_id", "round"],
    ),
    (
        "ux_fantasy_results_race_session_driver",
        "fantasy_results",
        &["race_id", "session", "driver_id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("fantasy_seasons")
                    .col(pk_uuid("id"))
                    .col(integer_uniq("year"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("synced_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("fantasy_teams")
                    .col(pk_uuid("id"))
                    .col(uuid("season_id"))
                    .col(string_len("external_id", 64))
                    .col(string_len("name", 100))
                    .col(string_len("nationality", 64))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_teams",
                        "season_id",
                        "fantasy_seasons",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("fantasy_drivers")
                    .col(pk_uuid("id"))
                    .col(uuid("season_id"))
                    .col(string_len("external_id", 64))
                    // The team of the driver's latest result; unknown before the first one.
                    .col(uuid_null("team_id"))
                    .col(string_len("given_name", 100))
                    .col(string_len("family_name", 100))
                    .col(string_len_null("code", 3))
                    .col(integer_null("permanent_number"))
                    // The car number of the latest result, else the permanent number.
                    .col(integer_null("number"))
                    .col(string_len("nationality", 64))
                    .col(date_null("date_of_birth"))
                    .col(string_len("status", 16))
                    .check(Expr::col("status").is_in(["active", "inactive"]))
                    // The fantasy points of every result (scoring/rules.rs), kept by the import.
                    .col(integer("total_points"))
                    .col(integer("races_scored"))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_drivers",
                        "season_id",
                        "fantasy_seasons",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from("fantasy_drivers", "team_id")
                            .to("fantasy_teams", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_fantasy_drivers_season_name")
                    .table("fantasy_drivers")
                    .col("season_id")
                    .col("family_name")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("fantasy_races")
                    .col(pk_uuid("id"))
                    .col(uuid("season_id"))
                    .col(integer("round"))
                    .col(string_len("name", 100))
                    .col(string_len("circuit_external_id", 64))
                    .col(string_len("circuit_name", 100))
                    .col(string_len("country", 64))
                    .col(string_len("locality", 64))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone_null("first_practice_at"))
                    .col(timestamp_with_time_zone_null("second_practice_at"))
                    .col(timestamp_with_time_zone_null("third_practice_at"))
                    .col(timestamp_with_time_zone_null("qualifying_at"))
                    .col(timestamp_with_time_zone_null("sprint_qualifying_at"))
                    .col(timestamp_with_time_zone_null("sprint_at"))
                    // Set when its race results are imported: the race is then `completed`.
                    .col(timestamp_with_time_zone_null("results_at"))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_races",
                        "season_id",
                        "fantasy_seasons",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_fantasy_races_starts")
                    .table("fantasy_races")
                    .col("starts_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("fantasy_results")
                    .col(pk_uuid("id"))
                    .col(uuid("race_id"))
                    .col(string_len("session", 8))
                    .check(Expr::col("session").is_in(["race", "sprint"]))
                    .col(uuid("driver_id"))
                    .col(uuid("team_id"))
                    .col(integer("number"))
                    .col(integer("position"))
                    .col(string_len("position_text", 4))
                    .col(integer("grid"))
                    .col(integer("laps"))
                    .col(string_len("status", 64))
                    // Jolpica's points as given, in hundredths (1950s results share points).
                    .col(integer("points_given"))
                    .col(integer_null("fastest_lap_rank"))
                    .col(integer_null("fastest_lap_lap"))
                    .col(string_len_null("fastest_lap_time", 16))
                    .col(big_integer_null("time_millis"))
                    .col(string_len_null("time_text", 16))
                    .col(integer("fantasy_points"))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_results",
                        "race_id",
                        "fantasy_races",
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_results",
                        "driver_id",
                        "fantasy_drivers",
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_results",
                        "team_id",
                        "fantasy_teams",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, table, columns) in UNIQUE_KEYS {
            let mut index = Index::create()
                .name(*name)
                .table(*table)
                .unique()
                .to_owned();
            for column in *columns {
                index.col(*column);
            }
            manager.create_index(index).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_fantasy_results_driver")
                    .table("fantasy_results")
                    .col("driver_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "fantasy_results",
            "fantasy_races",
            "fantasy_drivers",
            "fantasy_teams",
            "fantasy_seasons",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
