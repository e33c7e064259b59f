//! The league scores: a constructor's points in each race (its two drivers' fantasy points in
//! the race and its sprint), and the version of a league's standings that names its cached
//! leaderboards. Decision 0031.

use agora_store::migrate::cascade_fk;
use agora_store::sea_orm_migration::prelude::*;
use agora_store::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000200_league_scores"
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
                    .table("fantasy_scores")
                    .col(uuid("constructor_id"))
                    .col(uuid("race_id"))
                    .col(uuid("league_id"))
                    .col(integer("points"))
                    .col(timestamp_with_time_zone("scored_at"))
                    // One score per constructor and race: scoring again replaces it.
                    .primary_key(Index::create().col("constructor_id").col("race_id"))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_scores",
                        "constructor_id",
                        "fantasy_constructors",
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_scores",
                        "race_id",
                        "fantasy_races",
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fantasy_scores",
                        "league_id",
                        "fantasy_leagues",
                    ))
                    .to_owned(),
            )
            .await?;
        // A league's scores, read whole for its leaderboards.
        manager
            .create_index(
                Index::create()
                    .name("ix_fantasy_scores_league")
                    .table("fantasy_scores")
                    .col("league_id")
                    .col("race_id")
                    .to_owned(),
            )
            .await?;
        // Raised in the transaction of every change to what a leaderboard shows (a score, a
        // new constructor, a team name removed): the cached leaderboards are named by it.
        manager
            .alter_table(
                Table::alter()
                    .table("fantasy_leagues")
                    .add_column(integer("standings_version").default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("fantasy_leagues")
                    .drop_column("standings_version")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("fantasy_scores").to_owned())
            .await
    }
}
