//! The SQL of races and results: the import's upserts and replacements, the list and the
//! look-ups.

use std::collections::{HashMap, HashSet};

use agora_core::pagination::{CursorSort, PageRequest};
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationDef, Set,
};
use uuid::Uuid;

use super::RaceId;
use super::entity::race;
use super::entity::result::{self, SessionKind};
use super::model::RaceKey;
use super::rules::{LIVE_FOR, RaceStatus};
use crate::jolpica::wire;

/// The list's one sort: by round, then id.
pub const BY_ROUND: CursorSort = CursorSort::new("fantasy_races", "round.asc");

fn row(season: Uuid, race: &wire::Race) -> race::ActiveModel {
    let at = |session: &Option<wire::Session>| session.as_ref().map(wire::Session::starts_at);
    race::ActiveModel {
        id: Set(Uuid::now_v7()),
        season_id: Set(season),
        round: Set(race.round),
        name: Set(race.race_name.clone()),
        circuit_external_id: Set(race.circuit.circuit_id.clone()),
        circuit_name: Set(race.circuit.circuit_name.clone()),
        country: Set(race.circuit.location.country.clone()),
        locality: Set(race.circuit.location.locality.clone()),
        starts_at: Set(race.starts_at()),
        first_practice_at: Set(at(&race.first_practice)),
        second_practice_at: Set(at(&race.second_practice)),
        third_practice_at: Set(at(&race.third_practice)),
        qualifying_at: Set(at(&race.qualifying)),
        sprint_qualifying_at: Set(at(&race.sprint_qualifying)),
        sprint_at: Set(at(&race.sprint)),
        results_at: Set(None),
    }
}

/// Writes the calendar of `season`: new rounds added, known ones' names, circuits and times
/// replaced (a race moved is a race moved). Their results stay.
pub async fn upsert_calendar(
    conn: &impl ConnectionTrait,
    season: Uuid,
    races: &[wire::Race],
) -> DbResult<()> {
    if races.is_empty() {
        return Ok(());
    }
    race::Entity::insert_many(races.iter().map(|race| row(season, race)))
        .on_conflict(
            OnConflict::columns([race::Column::SeasonId, race::Column::Round])
                .update_columns([
                    race::Column::Name,
                    race::Column::CircuitExternalId,
                    race::Column::CircuitName,
                    race::Column::Country,
                    race::Column::Locality,
                    race::Column::StartsAt,
                    race::Column::FirstPracticeAt,
                    race::Column::SecondPracticeAt,
                    race::Column::ThirdPracticeAt,
                    race::Column::QualifyingAt,
                    race::Column::SprintQualifyingAt,
                    race::Column::SprintAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Adds the rounds of `races` that `season` does not have yet (from a results answer, which
/// has no session times: a known round is left as the calendar wrote it).
pub async fn insert_missing(
    conn: &impl ConnectionTrait,
    season: Uuid,
    races: &[&wire::Race],
) -> DbResult<()> {
    if races.is_empty() {
        return Ok(());
    }
    race::Entity::insert_many(races.iter().map(|race| row(season, race)))
        .on_conflict(
            OnConflict::columns([race::Column::SeasonId, race::Column::Round])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The races of `season` by round.
pub async fn ids_by_round(
    conn: &impl ConnectionTrait,
    season: Uuid,
) -> DbResult<HashMap<i32, Uuid>> {
    let rows: Vec<(i32, Uuid)> = race::Entity::find()
        .select_only()
        .column(race::Column::Round)
        .column(race::Column::Id)
        .filter(race::Column::SeasonId.eq(season))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Replaces the results of `session` of race `race` with `rows` (a correction replaces the
/// whole classification); race results also mark the race completed at `now`.
pub async fn replace_results(
    conn: &impl ConnectionTrait,
    race: Uuid,
    session: SessionKind,
    rows: Vec<result::ActiveModel>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    result::Entity::delete_many()
        .filter(result::Column::RaceId.eq(race))
        .filter(result::Column::Session.eq(session))
        .exec(conn)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    result::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    if session == SessionKind::Race {
        race::Entity::update_many()
            .col_expr(race::Column::ResultsAt, Expr::value(now))
            .filter(race::Column::Id.eq(race))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// One result of a season, as the drivers' standings need it.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct ScoredResult {
    pub driver_id: Uuid,
    pub team_id: Uuid,
    pub number: i32,
    pub session: SessionKind,
    pub fantasy_points: i32,
    pub round: i32,
}

/// Every result of `season`, by round.
pub async fn season_results(
    conn: &impl ConnectionTrait,
    season: Uuid,
) -> DbResult<Vec<ScoredResult>> {
    let join: RelationDef = result::Entity::belongs_to(race::Entity)
        .from(result::Column::RaceId)
        .to(race::Column::Id)
        .into();
    Ok(result::Entity::find()
        .select_only()
        .column(result::Column::DriverId)
        .column(result::Column::TeamId)
        .column(result::Column::Number)
        .column(result::Column::Session)
        .column(result::Column::FantasyPoints)
        .column(race::Column::Round)
        .join(JoinType::InnerJoin, join)
        .filter(race::Column::SeasonId.eq(season))
        .order_by_asc(race::Column::Round)
        .into_model::<ScoredResult>()
        .all(conn)
        .await?)
}

/// Race `id`.
pub async fn find(conn: &impl ConnectionTrait, id: RaceId) -> DbResult<Option<race::Model>> {
    Ok(race::Entity::find_by_id(id.0).one(conn).await?)
}

/// The results of race `race` (of one session, or both), race before sprint, by position.
pub async fn results(
    conn: &impl ConnectionTrait,
    race: RaceId,
    session: Option<SessionKind>,
) -> DbResult<Vec<result::Model>> {
    let mut select = result::Entity::find().filter(result::Column::RaceId.eq(race.0));
    if let Some(session) = session {
        select = select.filter(result::Column::Session.eq(session));
    }
    let mut rows = select
        .order_by_asc(result::Column::Position)
        .order_by_asc(result::Column::Id)
        .all(conn)
        .await?;
    rows.sort_by_key(|row| (row.session == SessionKind::Sprint, row.position));
    Ok(rows)
}

/// Which of `races` have sprint results.
pub async fn with_sprint(conn: &impl ConnectionTrait, races: &[Uuid]) -> DbResult<HashSet<Uuid>> {
    if races.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<Uuid> = result::Entity::find()
        .select_only()
        .column(result::Column::RaceId)
        .distinct()
        .filter(result::Column::Session.eq(SessionKind::Sprint))
        .filter(result::Column::RaceId.is_in(races.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}

/// The list's checked filters.
#[derive(Debug, Clone)]
pub struct Filter {
    pub season: Uuid,
    pub status: Option<RaceStatus>,
    pub country: Option<String>,
}

/// One page of a season's races by round.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &Filter,
    page: &PageRequest<RaceKey>,
    now: DateTime<Utc>,
) -> DbResult<Vec<race::Model>> {
    let keyset = Keyset::new(
        [SortKey::asc(race::Column::Round)],
        SortKey::asc(race::Column::Id),
    );
    let mut condition = Condition::all().add(race::Column::SeasonId.eq(filter.season));
    if let Some(status) = filter.status {
        condition = condition.add(status_is(status, now));
    }
    if let Some(country) = &filter.country {
        condition = condition.add(
            Expr::expr(Func::lower(Expr::col((
                race::Entity,
                race::Column::Country,
            ))))
            .eq(country.to_lowercase()),
        );
    }
    let mut select = race::Entity::find().filter(condition);
    if let Some((round, id)) = page.after {
        select = select.filter(keyset.after([round.into(), id.into()]));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    Ok(select.limit(page.fetch()).all(conn).await?)
}

/// `rules::status(…) == status`, in SQL.
fn status_is(status: RaceStatus, now: DateTime<Utc>) -> Condition {
    let live_since = now - chrono::Duration::from_std(LIVE_FOR).unwrap_or_default();
    let no_results = race::Column::ResultsAt.is_null();
    match status {
        RaceStatus::Completed => Condition::all().add(race::Column::ResultsAt.is_not_null()),
        RaceStatus::Live => Condition::all()
            .add(no_results)
            .add(race::Column::StartsAt.lte(now))
            .add(race::Column::StartsAt.gt(live_since)),
        RaceStatus::Upcoming => Condition::all().add(no_results).add(
            Condition::any()
                .add(race::Column::StartsAt.gt(now))
                .add(race::Column::StartsAt.lte(live_since)),
        ),
    }
}
