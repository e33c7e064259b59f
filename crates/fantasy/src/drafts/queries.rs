//! The SQL of drafts and picks: a draft's creation (once per league and race), its order set
//! by hand and its turn moved on (each a conditional update on `picks_made`), the picks and
//! their two unique keys, the best driver left, the drafts the rotation job looks at.

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationDef, Set,
};
use uuid::Uuid;

use super::entity::draft::{self, DraftOrigin};
use super::entity::pick;
use crate::constraints::UniqueKey;
use crate::drivers::entity as driver;
use crate::leagues::LeagueId;
use crate::leagues::entity::DraftMethod;
use crate::races::entity::race;

/// One pick per pick number in a league's draft of a race.
pub const PICK_NUMBER_KEY: UniqueKey = UniqueKey {
    name: "ux_fantasy_picks_league_race_pick",
    table: "fantasy_picks",
    columns: &["league_id", "race_id", "pick_number"],
};

/// A driver once per league and race.
pub const DRIVER_KEY: UniqueKey = UniqueKey {
    name: "ux_fantasy_picks_league_race_driver",
    table: "fantasy_picks",
    columns: &["league_id", "race_id", "driver_id"],
};

/// A draft about to be written.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub league: LeagueId,
    pub race: Uuid,
    pub method: DraftMethod,
    pub origin: DraftOrigin,
    pub seed: Option<u64>,
    pub order: Vec<Uuid>,
    /// The picks that complete it.
    pub total_picks: u32,
    pub by: Option<UserId>,
}

/// Writes `new`, unless the league has a draft of that race already: `None` then. Nothing is
/// refused (`ON CONFLICT DO NOTHING` on the league and race), so the caller's transaction
/// stays usable, and two initializations of one draft write one.
pub async fn insert(
    conn: &impl ConnectionTrait,
    new: &NewDraft,
    now: DateTime<Utc>,
) -> DbResult<Option<draft::Model>> {
    let order = serde_json::to_string(&new.order)
        .map_err(|err| sea_orm::DbErr::Custom(format!("a draft's order: {err}")))?;
    let seed = new
        .seed
        .map(|seed| {
            i64::try_from(seed)
                .map_err(|_| sea_orm::DbErr::Custom(format!("seed {seed} is not below 2^63")))
        })
        .transpose()?;
    let id = Uuid::now_v7();
    let row = draft::ActiveModel {
        id: Set(id),
        league_id: Set(new.league.0),
        race_id: Set(new.race),
        method: Set(new.method),
        origin: Set(new.origin),
        seed: Set(seed),
        constructor_order: Set(order),
        picks_made: Set(0),
        total_picks: Set(i32::try_from(new.total_picks).unwrap_or(i32::MAX)),
        turn_started_at: Set(now),
        updated_by: Set(new.by.map(|user| user.0)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let inserted = draft::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([draft::Column::LeagueId, draft::Column::RaceId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    Ok(draft::Entity::find_by_id(id).one(conn).await?)
}

/// The draft of `race` in `league`.
pub async fn find(
    conn: &impl ConnectionTrait,
    league: LeagueId,
    race: Uuid,
) -> DbResult<Option<draft::Model>> {
    Ok(draft::Entity::find()
        .filter(draft::Column::LeagueId.eq(league.0))
        .filter(draft::Column::RaceId.eq(race))
        .one(conn)
        .await?)
}

fn race_of_draft() -> RelationDef {
    draft::Entity::belongs_to(race::Entity)
        .from(draft::Column::RaceId)
        .to(race::Column::Id)
        .into()
}

/// The league's draft of the latest race that starts before `starts_at`: the one a new
/// draft's order is rotated from.
pub async fn previous(
    conn: &impl ConnectionTrait,
    league: LeagueId,
    starts_at: DateTime<Utc>,
) -> DbResult<Option<draft::Model>> {
    Ok(draft::Entity::find()
        .join(JoinType::InnerJoin, race_of_draft())
        .filter(draft::Column::LeagueId.eq(league.0))
        .filter(race::Column::StartsAt.lt(starts_at))
        .order_by_desc(race::Column::StartsAt)
        .order_by_desc(race::Column::Id)
        .one(conn)
        .await?)
}

/// Sets the order of draft `id` by hand, on the condition that no pick was made: false
/// otherwise. The turn starts again (the first constructor's clock from now).
pub async fn set_order(
    conn: &impl ConnectionTrait,
    id: Uuid,
    order: &[Uuid],
    by: UserId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let order = serde_json::to_string(order)
        .map_err(|err| sea_orm::DbErr::Custom(format!("a draft's order: {err}")))?;
    let result = draft::Entity::update_many()
        .col_expr(draft::Column::ConstructorOrder, Expr::value(order))
        .col_expr(draft::Column::Origin, Expr::value(DraftOrigin::Manual))
        .col_expr(draft::Column::Seed, Expr::value(Option::<i64>::None))
        .col_expr(draft::Column::UpdatedBy, Expr::value(by.0))
        .col_expr(draft::Column::TurnStartedAt, Expr::value(now))
        .col_expr(draft::Column::UpdatedAt, Expr::value(now))
        .filter(draft::Column::Id.eq(id))
        .filter(draft::Column::PicksMade.eq(0))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Moves draft `id` on by one pick, on the condition that `picks_made` is still `from` (the
/// number its picker read): false when another pick came first. On PostgreSQL the row stays
/// locked until the transaction ends, so the picks of one draft take turns here.
pub async fn advance(
    conn: &impl ConnectionTrait,
    id: Uuid,
    from: i32,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let result = draft::Entity::update_many()
        .col_expr(draft::Column::PicksMade, Expr::value(from + 1))
        .col_expr(draft::Column::TurnStartedAt, Expr::value(now))
        .col_expr(draft::Column::UpdatedAt, Expr::value(now))
        .filter(draft::Column::Id.eq(id))
        .filter(draft::Column::PicksMade.eq(from))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A pick about to be written.
#[derive(Debug, Clone, Copy)]
pub struct NewPick {
    pub league: Uuid,
    pub race: Uuid,
    pub constructor: Uuid,
    pub driver: Uuid,
    pub pick_number: i32,
    pub auto: bool,
}

/// Writes `new`. A driver the league picked for the race already, or a pick number taken,
/// breaks [`DRIVER_KEY`] or [`PICK_NUMBER_KEY`].
pub async fn insert_pick(
    conn: &impl ConnectionTrait,
    new: NewPick,
    now: DateTime<Utc>,
) -> DbResult<pick::Model> {
    let row = pick::ActiveModel {
        id: Set(Uuid::now_v7()),
        league_id: Set(new.league),
        race_id: Set(new.race),
        constructor_id: Set(new.constructor),
        driver_id: Set(new.driver),
        pick_number: Set(new.pick_number),
        auto: Set(new.auto),
        created_at: Set(now),
    };
    Ok(pick::Entity::insert(row).exec_with_returning(conn).await?)
}

/// The picks of `league`'s draft of `race`, in pick order.
pub async fn picks(
    conn: &impl ConnectionTrait,
    league: LeagueId,
    race: Uuid,
) -> DbResult<Vec<pick::Model>> {
    Ok(pick::Entity::find()
        .filter(pick::Column::LeagueId.eq(league.0))
        .filter(pick::Column::RaceId.eq(race))
        .order_by_asc(pick::Column::PickNumber)
        .all(conn)
        .await?)
}

/// The picks of constructor `constructor` for `race`, in pick order.
pub async fn picks_of(
    conn: &impl ConnectionTrait,
    constructor: Uuid,
    race: Uuid,
) -> DbResult<Vec<pick::Model>> {
    Ok(pick::Entity::find()
        .filter(pick::Column::ConstructorId.eq(constructor))
        .filter(pick::Column::RaceId.eq(race))
        .order_by_asc(pick::Column::PickNumber)
        .all(conn)
        .await?)
}

/// The best driver of `season` that `league` has not picked for `race`: active drivers first
/// (a driver replaced during the season keeps their points but no longer races), then the
/// most fantasy points of the season, then by name.
pub async fn best_available(
    conn: &impl ConnectionTrait,
    league: LeagueId,
    race: Uuid,
    season: Uuid,
) -> DbResult<Option<Uuid>> {
    let picked = Query::select()
        .column(pick::Column::DriverId)
        .from(pick::Entity)
        .and_where(pick::Column::LeagueId.eq(league.0))
        .and_where(pick::Column::RaceId.eq(race))
        .to_owned();
    Ok(driver::Entity::find()
        .select_only()
        .column(driver::Column::Id)
        .filter(driver::Column::SeasonId.eq(season))
        .filter(Expr::col((driver::Entity, driver::Column::Id)).not_in_subquery(picked))
        // `active` sorts before `inactive`.
        .order_by_asc(driver::Column::Status)
        .order_by_desc(driver::Column::TotalPoints)
        .order_by_asc(driver::Column::FamilyName)
        .order_by_asc(driver::Column::Id)
        .into_tuple()
        .one(conn)
        .await?)
}

/// The drafts of the races that started from `since` to `until`: the rotation job opens the
/// next race's draft of each.
pub async fn of_races_started(
    conn: &impl ConnectionTrait,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> DbResult<Vec<draft::Model>> {
    Ok(draft::Entity::find()
        .join(JoinType::InnerJoin, race_of_draft())
        .filter(race::Column::StartsAt.gte(since))
        .filter(race::Column::StartsAt.lte(until))
        .order_by_asc(draft::Column::Id)
        .all(conn)
        .await?)
}

/// The race after `race` in its season (the next round).
pub async fn next_race(
    conn: &impl ConnectionTrait,
    race: &race::Model,
) -> DbResult<Option<race::Model>> {
    Ok(race::Entity::find()
        .filter(race::Column::SeasonId.eq(race.season_id))
        .filter(race::Column::Round.gt(race.round))
        .order_by_asc(race::Column::Round)
        .one(conn)
        .await?)
}
