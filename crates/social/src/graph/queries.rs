//! The SQL of follows, mutes and blocks.

use agora_core::UserId;
use agora_core::pagination::PageRequest;
use agora_platform::entities::users;
use agora_platform::identity::users as accounts;
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationDef, Set, TryInsertResult,
};
use uuid::Uuid;

use super::entity::{ActiveModel, Column, Entity, RelationKind};

/// Records that `user` holds `kind` towards `target`; false when it already did.
pub async fn add(
    conn: &impl ConnectionTrait,
    user: UserId,
    kind: RelationKind,
    target: UserId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let row = ActiveModel {
        user_id: Set(user.0),
        kind: Set(kind),
        target_id: Set(target.0),
        created_at: Set(now),
    };
    let inserted = Entity::insert(row)
        .on_conflict_do_nothing_on([Column::UserId, Column::Kind, Column::TargetId])
        .exec_without_returning(conn)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(rows) if rows > 0))
}

/// Ends `user`'s `kind` towards `target`; false when there was none.
pub async fn remove(
    conn: &impl ConnectionTrait,
    user: UserId,
    kind: RelationKind,
    target: UserId,
) -> DbResult<bool> {
    let deleted = Entity::delete_many()
        .filter(Column::UserId.eq(user.0))
        .filter(Column::Kind.eq(kind))
        .filter(Column::TargetId.eq(target.0))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Whether `user` holds `kind` towards `target`.
pub async fn holds(
    conn: &impl ConnectionTrait,
    user: UserId,
    kind: RelationKind,
    target: UserId,
) -> DbResult<bool> {
    Ok(Entity::find_by_id((user.0, kind, target.0))
        .one(conn)
        .await?
        .is_some())
}

/// Which side of a relation a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The users `owner` holds the relation towards (whom they follow, mute, block).
    Targets,
    /// The users who hold it towards `owner` (their followers).
    Holders,
}

/// One page of the users on `side` of `owner`'s `kind` relations, newest first, with when
/// each began; active accounts only, and, for a `viewer`, none that blocked them or that they
/// blocked. `page` is of a sort keyed by (`created_at`, the listed user's id).
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: UserId,
    kind: RelationKind,
    side: Side,
    viewer: Option<UserId>,
    page: &PageRequest<(DateTime<Utc>, Uuid)>,
) -> DbResult<Vec<(users::Model, DateTime<Utc>)>> {
    let (owner_column, listed_column) = match side {
        Side::Targets => (Column::UserId, Column::TargetId),
        Side::Holders => (Column::TargetId, Column::UserId),
    };
    let join: RelationDef = Entity::belongs_to(users::Entity)
        .from(listed_column)
        .to(users::Column::Id)
        .into();
    let mut select = Entity::find()
        .join(JoinType::InnerJoin, join)
        .filter(owner_column.eq(owner.0))
        .filter(Column::Kind.eq(kind))
        .filter(users::Column::Status.eq(users::AccountStatus::Active));
    if let Some(viewer) = viewer {
        // Neither those `viewer` blocked nor those who blocked `viewer`.
        let listed = Expr::col((Entity, listed_column));
        select = select
            .filter(
                listed
                    .clone()
                    .not_in_subquery(blocks(viewer, Side::Targets)),
            )
            .filter(listed.not_in_subquery(blocks(viewer, Side::Holders)));
    }
    let keyset = Keyset::new(
        [SortKey::desc((Entity, Column::CreatedAt))],
        SortKey::desc((Entity, listed_column)),
    );
    if let Some((at, id)) = page.after {
        select = select.filter(keyset.after([at.into(), id.into()]));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    let rows = select
        .select_also(users::Entity)
        .limit(page.fetch())
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(relation, user)| user.map(|user| (user, relation.created_at)))
        .collect())
}

/// The users `user` blocked (`Targets`), or who blocked `user` (`Holders`).
fn blocks(user: UserId, side: Side) -> SelectStatement {
    let (owner, other) = match side {
        Side::Targets => (Column::UserId, Column::TargetId),
        Side::Holders => (Column::TargetId, Column::UserId),
    };
    Query::select()
        .column(other)
        .from(Entity)
        .and_where(Expr::col(owner).eq(user.0))
        .and_where(Expr::col(Column::Kind).eq(RelationKind::Block))
        .to_owned()
}

/// The users whose posts `viewer` does not see: those they mute, those they blocked and those
/// who blocked them.
pub fn hidden_from(viewer: UserId) -> SelectStatement {
    Query::select()
        .expr(Expr::col(Column::TargetId))
        .from(Entity)
        .and_where(Expr::col(Column::UserId).eq(viewer.0))
        .and_where(Expr::col(Column::Kind).is_in([RelationKind::Mute, RelationKind::Block]))
        .union(UnionType::All, blocks(viewer, Side::Holders))
        .to_owned()
}

/// The users `viewer` blocked and those who blocked `viewer`: each side is hidden from the
/// other everywhere, even in the lists the viewer chose and in search results (mutes are not:
/// a muted user can still be found).
pub fn blocked_either_way(viewer: UserId) -> SelectStatement {
    blocks(viewer, Side::Targets)
        .union(UnionType::All, blocks(viewer, Side::Holders))
        .to_owned()
}

/// The users who do not hear from `actor`: those who mute them, those who blocked them and
/// those they blocked (the mirror of [`hidden_from`]; none is notified of what `actor` does).
pub fn not_hearing_from(actor: UserId) -> SelectStatement {
    Query::select()
        .expr(Expr::col(Column::UserId))
        .from(Entity)
        .and_where(Expr::col(Column::TargetId).eq(actor.0))
        .and_where(Expr::col(Column::Kind).is_in([RelationKind::Mute, RelationKind::Block]))
        .union(UnionType::All, blocks(actor, Side::Targets))
        .to_owned()
}

/// Whose posts make `reader`'s home feed, and whose it leaves out even when reposted.
#[derive(Debug, Default)]
pub struct FeedSources {
    /// `reader` and the active accounts they follow, less those hidden from them.
    pub authors: Vec<Uuid>,
    /// Those `reader` mutes, blocked or is blocked by: a followed account's plain repost of
    /// their post is left out too.
    pub hidden: Vec<Uuid>,
}

/// The sources of `reader`'s home feed, in one statement (a block ends follows both ways).
pub async fn feed_sources(conn: &impl ConnectionTrait, reader: UserId) -> DbResult<FeedSources> {
    let followed = Condition::all()
        .add(Column::Kind.eq(RelationKind::Follow))
        .add(Column::TargetId.not_in_subquery(hidden_from(reader)))
        .add(accounts::is_active((Entity, Column::TargetId)));
    let mut select = Entity::find()
        .select_only()
        .column(Column::TargetId)
        .column(Column::Kind)
        .filter(Column::UserId.eq(reader.0))
        .filter(
            Condition::any()
                .add(Column::Kind.is_in([RelationKind::Mute, RelationKind::Block]))
                .add(followed),
        );
    let blocked_by = Query::select()
        .column(Column::UserId)
        .column(Column::Kind)
        .from(Entity)
        .and_where(Expr::col(Column::TargetId).eq(reader.0))
        .and_where(Expr::col(Column::Kind).eq(RelationKind::Block))
        .to_owned();
    QuerySelect::query(&mut select).union(UnionType::All, blocked_by);
    let rows: Vec<(Uuid, RelationKind)> = select.into_tuple().all(conn).await?;
    let mut sources = FeedSources::default();
    for (user, kind) in rows {
        match kind {
            RelationKind::Follow => sources.authors.push(user),
            RelationKind::Mute | RelationKind::Block => sources.hidden.push(user),
        }
    }
    sources.authors.push(reader.0);
    Ok(sources)
}

/// Up to `limit` followers of `author` who do not mute them, by id, after `after`: whom a new
/// post of `author` is announced to.
pub async fn audience(
    conn: &impl ConnectionTrait,
    author: UserId,
    after: Option<UserId>,
    limit: u64,
) -> DbResult<Vec<UserId>> {
    let muters = Query::select()
        .expr(Expr::col(Column::UserId))
        .from(Entity)
        .and_where(Expr::col(Column::TargetId).eq(author.0))
        .and_where(Expr::col(Column::Kind).eq(RelationKind::Mute))
        .to_owned();
    let mut select = Entity::find()
        .select_only()
        .column(Column::UserId)
        .filter(Column::TargetId.eq(author.0))
        .filter(Column::Kind.eq(RelationKind::Follow))
        .filter(Column::UserId.not_in_subquery(muters));
    if let Some(after) = after {
        select = select.filter(Column::UserId.gt(after.0));
    }
    let ids: Vec<Uuid> = select
        .order_by_asc(Column::UserId)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().map(UserId).collect())
}

/// Whether either of `a` and `b` blocked the other.
pub async fn blocked_between(conn: &impl ConnectionTrait, a: UserId, b: UserId) -> DbResult<bool> {
    Ok(holds(conn, a, RelationKind::Block, b).await?
        || holds(conn, b, RelationKind::Block, a).await?)
}

/// Whether `actor`'s action may notify `recipient`: not themselves, no block either way, and
/// the recipient does not mute the actor.
pub async fn may_notify(
    conn: &impl ConnectionTrait,
    actor: UserId,
    recipient: UserId,
) -> DbResult<bool> {
    Ok(actor != recipient
        && !blocked_between(conn, actor, recipient).await?
        && !holds(conn, recipient, RelationKind::Mute, actor).await?)
}
