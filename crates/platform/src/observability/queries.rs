//! The SQL of the error log (`error_logs`).

use agora_core::pagination::PageRequest;
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, UpdateResult,
};
use uuid::Uuid;

use crate::entities::error_logs::{ActiveModel, Column, Entity, Model};

/// One occurrence of an error, as stored.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub fingerprint: String,
    pub source: &'static str,
    pub message: String,
    pub detail: Option<String>,
    pub route: Option<String>,
    pub method: Option<String>,
    pub status: Option<i16>,
    pub request_id: Option<String>,
    pub user_id: Option<Uuid>,
}

/// Records `occurrence`: a new row, or, for a fingerprint already there, one more to its
/// count, the latest request's details, and the row reopened if it was resolved. One
/// statement (an upsert), so two instances recording the same error at once both count.
pub async fn record(
    conn: &impl ConnectionTrait,
    occurrence: Occurrence,
    now: DateTime<Utc>,
) -> DbResult<()> {
    Entity::insert(ActiveModel {
        id: Set(Uuid::now_v7()),
        fingerprint: Set(occurrence.fingerprint),
        source: Set(occurrence.source.to_owned()),
        message: Set(occurrence.message),
        detail: Set(occurrence.detail),
        route: Set(occurrence.route),
        method: Set(occurrence.method),
        status: Set(occurrence.status),
        request_id: Set(occurrence.request_id),
        user_id: Set(occurrence.user_id),
        count: Set(1),
        first_seen: Set(now),
        last_seen: Set(now),
        resolved_at: Set(None),
    })
    .on_conflict(
        OnConflict::column(Column::Fingerprint)
            .update_columns([
                Column::Message,
                Column::Detail,
                Column::Status,
                Column::RequestId,
                Column::UserId,
                Column::LastSeen,
            ])
            .value(Column::Count, Expr::col((Entity, Column::Count)).add(1))
            .value(Column::ResolvedAt, Expr::val(Option::<DateTime<Utc>>::None))
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// What a list of the log keeps.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub source: Option<&'static str>,
    pub resolved: Option<bool>,
    pub route: Option<String>,
    pub since: Option<DateTime<Utc>>,
}

/// A page of the log, most recently seen first (`last_seen`, then id), with one row more
/// than the page when there is a next one.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: ListFilter,
    page: &PageRequest<(DateTime<Utc>, Uuid)>,
) -> DbResult<Vec<Model>> {
    let keyset = Keyset::new(
        [SortKey::desc((Entity, Column::LastSeen))],
        SortKey::desc((Entity, Column::Id)),
    );
    let mut query = Entity::find();
    if let Some((at, id)) = page.after {
        query = query.filter(keyset.after([at.into(), id.into()]));
    }
    if let Some(source) = filter.source {
        query = query.filter(Column::Source.eq(source));
    }
    match filter.resolved {
        Some(true) => query = query.filter(Column::ResolvedAt.is_not_null()),
        Some(false) => query = query.filter(Column::ResolvedAt.is_null()),
        None => {}
    }
    if let Some(route) = filter.route {
        query = query.filter(Column::Route.eq(route));
    }
    if let Some(since) = filter.since {
        query = query.filter(Column::LastSeen.gte(since));
    }
    keyset.order_by(QuerySelect::query(&mut query));
    Ok(query.limit(page.fetch()).all(conn).await?)
}

/// Marks the error `id` resolved at `now` (again, if it was); `None` when there is no such
/// error.
pub async fn resolve(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> DbResult<Option<Model>> {
    let UpdateResult { rows_affected, .. } = Entity::update_many()
        .col_expr(Column::ResolvedAt, Expr::val(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    if rows_affected == 0 {
        return Ok(None);
    }
    Ok(Entity::find_by_id(id).one(conn).await?)
}
