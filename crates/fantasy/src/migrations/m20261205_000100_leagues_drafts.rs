//! The game on the F1 data: leagues, their constructors (a user's team in a league), the
//! draft of each race (its order) and the drivers picked in it.
//!
//! The rules that must hold under concurrent requests are the database's: a league never has
//! more constructors than `max_teams` (`team_count`, raised by a conditional update in the
//! join's transaction), one constructor per user and per team name (case-folded) in a league,
//! one draft per league and race, and in a draft one pick per pick number and per driver.
//! Decision 0030.

use agora_store::migrate::cascade_fk;
use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000100_leagues_drafts"
    }
}

/// The unique keys; the queries map a violation of each to its problem by these names.
const UNIQUE_KEYS: &[(&str, &str, &[&str])] = &[
    (
        "ux_fantasy_leagues_join_code",
        "fantasy_leagues",
        &["join_code"],
    ),
    (
        "ux_fantasy_constructors_league_user",
        "fantasy_constructors",
        &["league_id", "user_id"],
    ),
    (
        "ux_fantasy_constructors_league_team",
        "fantasy_constructors",
        &["league_id", "team_key"],
    ),
    (
        "ux_fantasy_draft_orders_league_race",
        "fantasy_draft_orders",
        &["league_id", "race_id"],
    ),
    (
        "ux_fantasy_picks_league_race_pick",
        "fantasy_picks",
        &["league_id", "race_id", "pick_number"],
    ),
    (
        "ux_fantasy_picks_league_race_driver",
        "fantasy_picks",
        &["league_id", "race_id", "driver_id"],
    ),
];

/// The other indexes: a user's leagues and constructors, the drafts of a race (the rotation
/// job), a constructor's picks of a race.
const INDEXES: &[(&str, &str, &[&str])] = &[
    (
        "ix_fantasy_leagues_creator",
        "fantasy_leagues",
        &["creator_id"],
    ),
    (
        "ix_fantasy_constructors_user",
        "fantasy_constructors",
        &["user_id"],
    ),
    (
        "ix_fantasy_draft_orders_race",
        "fantasy_draft_orders",
        &["race_id"],
    ),
    (
        "ix_fantasy_picks_constructor_race",
        "fantasy_picks",
        &["constructor_id", "race_id"],
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
                    .table("fantasy_leagues")
                    .col(pk_uuid("id"))
                    .col(string_len("name", 100))
                    .col(text_null("description"))
                    .col(uuid("creator_id"))
                    .col(integer("max_teams"))
                    .check(Expr::col("max_teams").between(2, 20))
                    // The constructors it has, kept by the join's conditional update.
                    .col(integer("team_count"))
                    .check(Expr::col("team_count").gte(0))
                    .check(Expr::col("team_count").lte(Expr::col("max_teams")))
                    .col(boolean("is_private"))
                    // The method of the drafts initialized from now on (each draft keeps its own).
                    .col(string_len("draft_method", 16))
                    .check(Expr::col("draft_method").is_in(["sequential", "snake"]))
                    .col(string_len("join_code", 8))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut cascade_fk("fantasy_leagues", "creator_id", "users"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("fantasy_constructors")
                    .col(pk_uuid("id"))
                    .col(uuid("league_id"))
                    .col(uuid("user_id"))
                    .col(string_len("team_name", 50))
                    // The team name trimmed and lower-cased: unique in the league.
                    .col(string_len("team_key", 200))
                    // Kept by the league's scoring (the next part of the module).
                    .col(integer("total_points"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_constructors",
                        "league_id",
                        "fantasy_leagues",
                    ))
                    .foreign_key(&mut cascade_fk("fantasy_constructors", "user_id", "users"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("fantasy_draft_orders")
                    .col(pk_uuid("id"))
                    .col(uuid("league_id"))
                    .col(uuid("race_id"))
                    .col(string_len("method", 16))
                    .check(Expr::col("method").is_in(["sequential", "snake"]))
                    // How the order was made: from `seed` (random), the previous race's
                    // (rotated), or set by the league's creator (manual).
                    .col(string_len("origin", 16))
                    .check(Expr::col("origin").is_in(["random", "rotated", "manual"]))
                    .col(big_integer_null("seed"))
                    .check(Expr::col("seed").is_null().or(Expr::col("seed").gte(0)))
                    // The constructors' ids in picking order, as a JSON array.
                    .col(text("constructor_order"))
                    // The picks made so far; a pick raises it on the condition that it is
                    // still the number the picker read (so two picks of one turn cannot both
                    // pass), and a new order needs it at 0.
                    .col(integer("picks_made"))
                    // Two per constructor, or fewer when the season has fewer drivers than
                    // that (a driver goes once per draft): the draft is complete at this count.
                    .col(integer("total_picks"))
                    .check(Expr::col("total_picks").gte(0))
                    .col(timestamp_with_time_zone("turn_started_at"))
                    .col(uuid_null("updated_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_draft_orders",
                        "league_id",
                        "fantasy_leagues",
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_draft_orders",
                        "race_id",
                        "fantasy_races",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from("fantasy_draft_orders", "updated_by")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("fantasy_picks")
                    .col(pk_uuid("id"))
                    .col(uuid("league_id"))
                    .col(uuid("race_id"))
                    .col(uuid("constructor_id"))
                    .col(uuid("driver_id"))
                    .col(integer("pick_number"))
                    .check(Expr::col("pick_number").gte(1))
                    // Made by the pick clock's job rather than by the constructor's owner.
                    .col(boolean("auto"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_picks",
                        "league_id",
                        "fantasy_leagues",
                    ))
                    .foreign_key(&mut cascade_fk("fantasy_picks", "race_id", "fantasy_races"))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_picks",
                        "constructor_id",
                        "fantasy_constructors",
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_picks",
                        "driver_id",
                        "fantasy_drivers",
                    ))
                    .to_owned(),
            )
            .await?;

        for (name, table, columns, unique) in UNIQUE_KEYS
            .iter()
            .map(|(n, t, c)| (n, t, c, true))
            .chain(INDEXES.iter().map(|(n, t, c)| (n, t, c, false)))
        {
            let mut index = Index::create().name(*name).table(*table).to_owned();
            if unique {
                index.unique();
            }
            for column in *columns {
                index.col(*column);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "fantasy_picks",
            "fantasy_draft_orders",
            "fantasy_constructors",
            "fantasy_leagues",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
