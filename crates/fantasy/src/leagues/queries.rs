//! The SQL of leagues: the create with its unique join code, the seat a join takes (a
//! conditional update of `team_count`), the update, who may see a league, the list.

use agora_core::UserId;
use agora_core::pagination::{CursorSort, PageRequest};
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use agora_store::query::like_contains;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use uuid::Uuid;

use super::LeagueId;
use super::entity::{ActiveModel, Column, Entity, Model};
use super::model::LeagueContent;
use crate::constraints::UniqueKey;
use crate::constructors::entity as constructor;

/// The list's one sort: newest first.
pub const NEWEST: CursorSort = CursorSort::new("fantasy_leagues", "created.desc");

/// The join code's key (a collision of two random codes is retried with another).
pub const JOIN_CODE_KEY: UniqueKey = UniqueKey {
    name: "ux_fantasy_leagues_join_code",
    table: "fantasy_leagues",
    columns: &["join_code"],
};

/// Writes a new league with `join_code`, unless another league has that code: `None` then
/// (the caller draws another). Nothing is refused, so the transaction stays usable.
pub async fn insert(
    conn: &impl ConnectionTrait,
    creator: UserId,
    content: &LeagueContent,
    join_code: &str,
    now: DateTime<Utc>,
) -> DbResult<Option<Model>> {
    let id = Uuid::now_v7();
    let row = ActiveModel {
        id: Set(id),
        name: Set(content.name.clone()),
        description: Set(content.description.clone()),
        creator_id: Set(creator.0),
        max_teams: Set(content.max_teams),
        team_count: Set(0),
        is_private: Set(content.is_private),
        draft_method: Set(content.draft_method),
        join_code: Set(join_code.to_owned()),
        standings_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let inserted = Entity::insert(row)
        .on_conflict(OnConflict::column(Column::JoinCode).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    Ok(Entity::find_by_id(id).one(conn).await?)
}

pub async fn find(conn: &impl ConnectionTrait, id: LeagueId) -> DbResult<Option<Model>> {
    Ok(Entity::find_by_id(id.0).one(conn).await?)
}

/// League `id` if `viewer` may see it.
pub async fn find_visible(
    conn: &impl ConnectionTrait,
    id: LeagueId,
    viewer: Option<UserId>,
) -> DbResult<Option<Model>> {
    Ok(Entity::find_by_id(id.0)
        .filter(visible_to(viewer))
        .one(conn)
        .await?)
}

/// The league whose join code is `code` (as stored: upper case).
pub async fn find_by_code(conn: &impl ConnectionTrait, code: &str) -> DbResult<Option<Model>> {
    Ok(Entity::find()
        .filter(Column::JoinCode.eq(code))
        .one(conn)
        .await?)
}

/// Takes a seat in league `id` for a new constructor: `team_count` grows by one on the
/// condition that it is below `max_teams`. False when the league is full. On PostgreSQL the
/// row stays locked until the transaction ends, so concurrent joins queue here and each sees
/// the count the previous one left. The new constructor joins the leaderboards: their version
/// is raised.
pub async fn take_seat(
    conn: &impl ConnectionTrait,
    id: LeagueId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let result = Entity::update_many()
        .col_expr(
            Column::TeamCount,
            Expr::col(Column::TeamCount).add(Expr::val(1)),
        )
        .col_expr(Column::StandingsVersion, standings_raised())
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id.0))
        .filter(Expr::col(Column::TeamCount).lt(Expr::col(Column::MaxTeams)))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// `standings_version + 1`.
fn standings_raised() -> Expr {
    Expr::col(Column::StandingsVersion).add(Expr::val(1))
}

/// Raises the standings version of `leagues` (in the transaction of the change that needs it):
/// their cached leaderboards are no longer read.
pub async fn standings_changed(conn: &impl ConnectionTrait, leagues: &[Uuid]) -> DbResult<()> {
    if leagues.is_empty() {
        return Ok(());
    }
    Entity::update_many()
        .col_expr(Column::StandingsVersion, standings_raised())
        .filter(Column::Id.is_in(leagues.iter().copied()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Writes `content` over league `id`, on the condition that its constructors still fit in
/// `max_teams`: false otherwise.
pub async fn update(
    conn: &impl ConnectionTrait,
    id: LeagueId,
    content: &LeagueContent,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let result = Entity::update_many()
        .col_expr(Column::Name, Expr::value(content.name.clone()))
        .col_expr(
            Column::Description,
            Expr::value(content.description.clone()),
        )
        .col_expr(Column::MaxTeams, Expr::value(content.max_teams))
        .col_expr(Column::IsPrivate, Expr::value(content.is_private))
        .col_expr(Column::DraftMethod, Expr::value(content.draft_method))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id.0))
        .filter(Column::TeamCount.lte(content.max_teams))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The leagues `viewer` may see: the public ones, and the private ones they created or have a
/// constructor in.
pub fn visible_to(viewer: Option<UserId>) -> Condition {
    let public = Condition::all().add(Column::IsPrivate.eq(false));
    let Some(viewer) = viewer else {
        return public;
    };
    let member_of = Query::select()
        .column(constructor::Column::LeagueId)
        .from(constructor::Entity)
        .and_where(constructor::Column::UserId.eq(viewer.0))
        .to_owned();
    Condition::any()
        .add(public)
        .add(Column::CreatorId.eq(viewer.0))
        .add(Expr::col((Entity, Column::Id)).in_subquery(member_of))
}

/// One page of the leagues `viewer` may see, newest first, whose name holds every word of `q`.
pub async fn list(
    conn: &impl ConnectionTrait,
    viewer: Option<UserId>,
    q: Option<&str>,
    page: &PageRequest<Uuid>,
) -> DbResult<Vec<Model>> {
    let keyset = Keyset::new([], SortKey::desc(Column::Id));
    let mut condition = Condition::all().add(visible_to(viewer));
    if let Some(q) = q {
        let name = || Expr::expr(Func::lower(Expr::col((Entity, Column::Name))));
        for word in q.split_whitespace() {
            condition = condition.add(name().like(like_contains(&word.to_lowercase())));
        }
    }
    let mut select = Entity::find().filter(condition);
    if let Some(after) = page.after {
        select = select.filter(keyset.after([after.into()]));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    Ok(select.limit(page.fetch()).all(conn).await?)
}

/// Leagues by id.
pub async fn by_ids(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> DbResult<std::collections::HashMap<Uuid, Model>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows = Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// Clears a league's text for the moderators' removal: its name becomes a neutral one, its
/// description goes. False when it no longer exists.
pub async fn clear_text(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let simple = id.simple().to_string();
    let short = simple.get(26..).unwrap_or_default();
    let result = Entity::update_many()
        .col_expr(Column::Name, Expr::value(format!("League {short}")))
        .col_expr(Column::Description, Expr::value(Option::<String>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
