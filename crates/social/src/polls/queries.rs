//! The SQL of polls.

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationDef, Set, TryInsertResult,
};
use uuid::Uuid;

use super::entity::{option, poll, vote};
use super::{PollId, PollOptionId};
use crate::graph::queries as graph;

/// Writes the poll of a new post with its options (`labels`, in order).
pub async fn insert(
    conn: &impl ConnectionTrait,
    post_id: Uuid,
    labels: &[String],
    closes_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DbResult<poll::Model> {
    let row = poll::ActiveModel {
        id: Set(PollId::new().0),
        post_id: Set(post_id),
        created_at: Set(now),
        closes_at: Set(closes_at),
        ended_notified_at: Set(None),
    }
    .insert(conn)
    .await?;
    option::Entity::insert_many(labels.iter().enumerate().map(|(n, label)| {
        option::ActiveModel {
            id: Set(PollOptionId::new().0),
            poll_id: Set(row.id),
            // At most four options.
            position: Set(i16::try_from(n).unwrap_or(i16::MAX)),
            label: Set(label.clone()),
            vote_count: Set(0),
        }
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(row)
}

/// The poll `id`, whatever its post's state.
pub async fn find(conn: &impl ConnectionTrait, id: PollId) -> DbResult<Option<poll::Model>> {
    Ok(poll::Entity::find_by_id(id.0).one(conn).await?)
}

/// The options of the poll `id`, in order.
pub async fn options_of(conn: &impl ConnectionTrait, id: PollId) -> DbResult<Vec<option::Model>> {
    Ok(option::Entity::find()
        .filter(option::Column::PollId.eq(id.0))
        .order_by_asc(option::Column::Position)
        .all(conn)
        .await?)
}

/// The option `user` chose in the poll `id`, if they voted.
pub async fn vote_of(
    conn: &impl ConnectionTrait,
    id: PollId,
    user: UserId,
) -> DbResult<Option<Uuid>> {
    Ok(vote::Entity::find_by_id((id.0, user.0))
        .one(conn)
        .await?
        .map(|v| v.option_id))
}

/// Records `user`'s vote for `option` (one of the poll's) and counts it; false when they had
/// already voted in this poll. The primary key (poll, user) decides between concurrent votes:
/// only the one that inserts counts.
pub async fn vote(
    conn: &impl ConnectionTrait,
    id: PollId,
    user: UserId,
    option: PollOptionId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let inserted = vote::Entity::insert(vote::ActiveModel {
        poll_id: Set(id.0),
        user_id: Set(user.0),
        option_id: Set(option.0),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([vote::Column::PollId, vote::Column::UserId])
    .exec_without_returning(conn)
    .await?;
    if !matches!(inserted, TryInsertResult::Inserted(rows) if rows > 0) {
        return Ok(false);
    }
    option::Entity::update_many()
        .col_expr(
            option::Column::VoteCount,
            Expr::col(option::Column::VoteCount).add(1),
        )
        .filter(option::Column::Id.eq(option.0))
        .exec(conn)
        .await?;
    Ok(true)
}

/// The options of the polls of `post_ids`, each with its poll, by poll and position: one
/// query for a page of posts.
pub async fn options_of_posts(
    conn: &impl ConnectionTrait,
    post_ids: &[Uuid],
) -> DbResult<Vec<(option::Model, poll::Model)>> {
    let join: RelationDef = option::Entity::belongs_to(poll::Entity)
        .from(option::Column::PollId)
        .to(poll::Column::Id)
        .into();
    let rows = option::Entity::find()
        .join(JoinType::InnerJoin, join)
        .filter(poll::Column::PostId.is_in(post_ids.iter().copied()))
        .order_by_asc(option::Column::PollId)
        .order_by_asc(option::Column::Position)
        .select_also(poll::Entity)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(option, poll)| poll.map(|poll| (option, poll)))
        .collect())
}

/// `viewer`'s votes in the polls of `post_ids`, as the poll's post (`id`) and the option voted
/// (`option_id`): a part of the post view's one statement of the viewer's flags
/// (`crate::post_view::flags`).
pub fn votes_on_posts(viewer: UserId, post_ids: &[Uuid]) -> SelectStatement {
    Query::select()
        .expr_as(Expr::col((poll::Entity, poll::Column::PostId)), "id")
        .expr_as(
            Expr::col((vote::Entity, vote::Column::OptionId)),
            "option_id",
        )
        .from(vote::Entity)
        .inner_join(
            poll::Entity,
            Expr::col((poll::Entity, poll::Column::Id))
                .equals((vote::Entity, vote::Column::PollId)),
        )
        .and_where(Expr::col((vote::Entity, vote::Column::UserId)).eq(viewer.0))
        .and_where(Expr::col((poll::Entity, poll::Column::PostId)).is_in(post_ids.iter().copied()))
        .to_owned()
}

/// Marks the poll `id` as notified of its end, if it has closed and was not yet; true when
/// this call did (so only one run of the job notifies).
pub async fn mark_ended(
    conn: &impl ConnectionTrait,
    id: PollId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let updated = poll::Entity::update_many()
        .col_expr(poll::Column::EndedNotifiedAt, Expr::value(now))
        .filter(poll::Column::Id.eq(id.0))
        .filter(poll::Column::EndedNotifiedAt.is_null())
        .filter(poll::Column::ClosesAt.lte(now))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// The voters of the poll `id` to tell of its end: not its `author`, and none who mutes the
/// author or is on either side of a block with them.
pub async fn voters_to_notify(
    conn: &impl ConnectionTrait,
    id: PollId,
    author: UserId,
) -> DbResult<Vec<UserId>> {
    Ok(vote::Entity::find()
        .filter(vote::Column::PollId.eq(id.0))
        .filter(vote::Column::UserId.ne(author.0))
        .filter(vote::Column::UserId.not_in_subquery(graph::not_hearing_from(author)))
        .order_by_asc(vote::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|v| UserId(v.user_id))
        .collect())
}
