//! The SQL of constructors: the insert of a join (its two unique keys), the look-ups, who may
//! see one (through its league), the list.

use std::collections::HashMap;

use agora_core::UserId;
use agora_core::pagination::{CursorSort, PageRequest};
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::ConstructorId;
use super::entity::{ActiveModel, Column, Entity, Model};
use super::rules::team_key;
use crate::constraints::UniqueKey;
use crate::leagues::LeagueId;
use crate::leagues::entity as league;
use crate::leagues::queries::{self as leagues, visible_to};

/// The list's one sort: oldest first (the order they joined).
pub const BY_JOINING: CursorSort = CursorSort::new("fantasy_constructors", "joined.asc");

/// One constructor per user in a league.
pub const MEMBER_KEY: UniqueKey = UniqueKey {
    name: "ux_fantasy_constructors_league_user",
    table: "fantasy_constructors",
    columns: &["league_id", "user_id"],
};

/// One team name (case-folded) in a league.
pub const TEAM_NAME_KEY: UniqueKey = UniqueKey {
    name: "ux_fantasy_constructors_league_team",
    table: "fantasy_constructors",
    columns: &["league_id", "team_key"],
};

/// Writes `user`'s constructor `team_name` in `league`. A second one of the user, or a name
/// the league has, breaks [`MEMBER_KEY`] or [`TEAM_NAME_KEY`].
pub async fn insert(
    conn: &impl ConnectionTrait,
    league: LeagueId,
    user: UserId,
    team_name: &str,
    now: DateTime<Utc>,
) -> DbResult<Model> {
    let row = ActiveModel {
        id: Set(Uuid::now_v7()),
        league_id: Set(league.0),
        user_id: Set(user.0),
        team_name: Set(team_name.to_owned()),
        team_key: Set(team_key(team_name)),
        total_points: Set(0),
        created_at: Set(now),
    };
    Ok(Entity::insert(row).exec_with_returning(conn).await?)
}

pub async fn find(conn: &impl ConnectionTrait, id: ConstructorId) -> DbResult<Option<Model>> {
    Ok(Entity::find_by_id(id.0).one(conn).await?)
}

/// Constructor `id` if `viewer` may see its league.
pub async fn find_visible(
    conn: &impl ConnectionTrait,
    id: ConstructorId,
    viewer: Option<UserId>,
) -> DbResult<Option<Model>> {
    Ok(Entity::find_by_id(id.0)
        .filter(in_visible_league(viewer))
        .one(conn)
        .await?)
}

/// `user`'s constructor in `league`.
pub async fn of_user_in(
    conn: &impl ConnectionTrait,
    league: LeagueId,
    user: UserId,
) -> DbResult<Option<Model>> {
    Ok(Entity::find()
        .filter(Column::LeagueId.eq(league.0))
        .filter(Column::UserId.eq(user.0))
        .one(conn)
        .await?)
}

/// Which of `leagues` `user` has a constructor in.
pub async fn leagues_of(
    conn: &impl ConnectionTrait,
    user: UserId,
    leagues: &[Uuid],
) -> DbResult<Vec<Uuid>> {
    if leagues.is_empty() {
        return Ok(Vec::new());
    }
    Ok(Entity::find()
        .select_only()
        .column(Column::LeagueId)
        .filter(Column::UserId.eq(user.0))
        .filter(Column::LeagueId.is_in(leagues.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?)
}

/// The constructors of `league`, in the order they joined.
pub async fn of_league(conn: &impl ConnectionTrait, league: LeagueId) -> DbResult<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::LeagueId.eq(league.0))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?)
}

/// Constructors by id.
pub async fn by_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> DbResult<HashMap<Uuid, Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// The list's checked filters.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub league: Option<LeagueId>,
    pub user: Option<UserId>,
}

/// One page of the constructors of the leagues `viewer` may see, in the order they joined.
pub async fn list(
    conn: &impl ConnectionTrait,
    viewer: Option<UserId>,
    filter: &Filter,
    page: &PageRequest<Uuid>,
) -> DbResult<Vec<Model>> {
    let keyset = Keyset::new([], SortKey::asc(Column::Id));
    let mut condition = Condition::all().add(in_visible_league(viewer));
    if let Some(league) = filter.league {
        condition = condition.add(Column::LeagueId.eq(league.0));
    }
    if let Some(user) = filter.user {
        condition = condition.add(Column::UserId.eq(user.0));
    }
    let mut select = Entity::find().filter(condition);
    if let Some(after) = page.after {
        select = select.filter(keyset.after([after.into()]));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    Ok(select.limit(page.fetch()).all(conn).await?)
}

/// The constructors whose league `viewer` may see.
fn in_visible_league(viewer: Option<UserId>) -> Condition {
    let visible = Query::select()
        .column(league::Column::Id)
        .from(league::Entity)
        .cond_where(visible_to(viewer))
        .to_owned();
    Condition::all().add(Expr::col((Entity, Column::LeagueId)).in_subquery(visible))
}

/// Gives a constructor a neutral team name for the moderators' removal (its league's
/// leaderboards show the new one at once). False when it no longer exists.
pub async fn clear_team_name(conn: &impl ConnectionTrait, id: Uuid) -> DbResult<bool> {
    let Some(constructor) = Entity::find_by_id(id).one(conn).await? else {
        return Ok(false);
    };
    let simple = id.simple().to_string();
    let name = format!("Team {}", simple.get(24..).unwrap_or_default());
    Entity::update_many()
        .col_expr(Column::TeamKey, Expr::value(team_key(&name)))
        .col_expr(Column::TeamName, Expr::value(name))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    leagues::standings_changed(conn, &[constructor.league_id]).await?;
    Ok(true)
}
