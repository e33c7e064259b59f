//! The SQL of analytics: writing what the recorder gathered, computing the roll-ups from
//! `users`, `user_activity` and the modules' counters, and reading the roll-ups for the routes.

use agora_store::{Db, DbResult};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::Counter;
use super::recorder::Pending;
use crate::entities::{
    analytics_cohorts as cohorts, analytics_daily as daily, analytics_daily_counters as counters,
    route_stats, user_activity as activity, users,
};

/// Rows per statement when writing a batch (well under SQLite's limit of bound values).
const ROWS_PER_STATEMENT: usize = 200;

/// The start of a UTC day.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// Writes a batch of the recorder, in one transaction: one upsert per user and day (requests
/// added, first and last seen widened) and one per route and hour (counts added).
pub async fn write_pending(db: &Db, pending: &Pending) -> DbResult<()> {
    let txn = db.begin().await?;
    let rows: Vec<activity::ActiveModel> = pending
        .activity
        .iter()
        .map(|((user, day), seen)| activity::ActiveModel {
            user_id: Set(*user),
            day: Set(*day),
            requests: Set(seen.requests),
            first_seen_at: Set(seen.first_seen_at),
            last_seen_at: Set(seen.last_seen_at),
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        activity::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([activity::Column::UserId, activity::Column::Day])
                    .value(
                        activity::Column::Requests,
                        Expr::cust("user_activity.requests + excluded.requests"),
                    )
                    .value(
                        activity::Column::FirstSeenAt,
                        Expr::cust(
                            "CASE WHEN excluded.first_seen_at < user_activity.first_seen_at \
                             THEN excluded.first_seen_at ELSE user_activity.first_seen_at END",
                        ),
                    )
                    .value(
                        activity::Column::LastSeenAt,
                        Expr::cust(
                            "CASE WHEN excluded.last_seen_at > user_activity.last_seen_at \
                             THEN excluded.last_seen_at ELSE user_activity.last_seen_at END",
                        ),
                    )
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    let rows: Vec<route_stats::ActiveModel> = pending
        .route_rows()
        .map(|(key, counts)| {
            let [b5, b10, b25, b50, b100, b250, b500, b1000, b2500] = counts.buckets;
            route_stats::ActiveModel {
                hour: Set(key.hour),
                method: Set(key.method.as_str().to_owned()),
                route: Set(key.route.chars().take(255).collect()),
                requests: Set(counts.requests),
                errors: Set(counts.errors),
                latency_us_sum: Set(counts.latency_us_sum),
                le_5ms: Set(b5),
                le_10ms: Set(b10),
                le_25ms: Set(b25),
                le_50ms: Set(b50),
                le_100ms: Set(b100),
                le_250ms: Set(b250),
                le_500ms: Set(b500),
                le_1000ms: Set(b1000),
                le_2500ms: Set(b2500),
            }
        })
        .collect();
    let added = [
        "requests",
        "errors",
        "latency_us_sum",
        "le_5ms",
        "le_10ms",
        "le_25ms",
        "le_50ms",
        "le_100ms",
        "le_250ms",
        "le_500ms",
        "le_1000ms",
        "le_2500ms",
    ];
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut on_conflict = OnConflict::columns([
            route_stats::Column::Hour,
            route_stats::Column::Method,
            route_stats::Column::Route,
        ]);
        for column in added {
            on_conflict.value(
                column,
                Expr::cust(format!("route_stats.{column} + excluded.{column}")),
            );
        }
        route_stats::Entity::insert_many(chunk.to_vec())
            .on_conflict(on_conflict.to_owned())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

async fn count(
    conn: &impl ConnectionTrait,
    select: &sea_orm::sea_query::SelectStatement,
) -> DbResult<i64> {
    Ok(match conn.query_one(select).await? {
        Some(row) => Count::from_query_result(&row, "")?.n,
        None => 0,
    })
}

/// Distinct users active on any day of `from..=to`.
pub async fn active_users(
    conn: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<i64> {
    let select = Query::select()
        .expr_as(Expr::col(activity::Column::UserId).count_distinct(), "n")
        .from(activity::Entity)
        .and_where(Expr::col(activity::Column::Day).gte(from))
        .and_where(Expr::col(activity::Column::Day).lte(to))
        .to_owned();
    count(conn, &select).await
}

/// The authenticated requests of `day`.
pub async fn requests_on(conn: &impl ConnectionTrait, day: NaiveDate) -> DbResult<i64> {
    let select = Query::select()
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(requests), 0) AS BIGINT)"),
            "n",
        )
        .from(activity::Entity)
        .and_where(Expr::col(activity::Column::Day).eq(day))
        .to_owned();
    count(conn, &select).await
}

/// Accounts created in `[from, to)`.
pub async fn signups(
    conn: &impl ConnectionTrait,
    from: Option<DateTime<Utc>>,
    to: DateTime<Utc>,
) -> DbResult<i64> {
    let mut select = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from(users::Entity)
        .and_where(Expr::col(users::Column::CreatedAt).lt(to))
        .to_owned();
    if let Some(from) = from {
        select.and_where(Expr::col(users::Column::CreatedAt).gte(from));
    }
    count(conn, &select).await
}

/// Rows of a module's counter created in `[from, to)`.
pub async fn counter(
    conn: &impl ConnectionTrait,
    counter: &Counter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<i64> {
    let select = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from(counter.table)
        .and_where(Expr::col(counter.at).gte(from))
        .and_where(Expr::col(counter.at).lt(to))
        .to_owned();
    count(conn, &select).await
}

/// Accounts created on `cohort` that were active on `day`.
pub async fn retained(
    conn: &impl ConnectionTrait,
    cohort: NaiveDate,
    day: NaiveDate,
) -> DbResult<i64> {
    let active = Query::select()
        .expr(Expr::val(1))
        .from(activity::Entity)
        .and_where(
            Expr::col((activity::Entity, activity::Column::UserId))
                .equals((users::Entity, users::Column::Id)),
        )
        .and_where(Expr::col((activity::Entity, activity::Column::Day)).eq(day))
        .to_owned();
    let select = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from(users::Entity)
        .and_where(Expr::col((users::Entity, users::Column::CreatedAt)).gte(start_of(cohort)))
        .and_where(
            Expr::col((users::Entity, users::Column::CreatedAt))
                .lt(start_of(cohort + TimeDelta::days(1))),
        )
        .and_where(Expr::exists(active))
        .to_owned();
    count(conn, &select).await
}

/// Replaces the roll-up rows of one day.
pub async fn store_day(
    conn: &impl ConnectionTrait,
    row: daily::Model,
    values: &[(&'static str, i64)],
) -> DbResult<()> {
    let day = row.day;
    daily::Entity::delete_by_id(day).exec(conn).await?;
    daily::Entity::insert(daily::ActiveModel::from(row))
        .exec_without_returning(conn)
        .await?;
    counters::Entity::delete_many()
        .filter(counters::Column::Day.eq(day))
        .exec(conn)
        .await?;
    if !values.is_empty() {
        counters::Entity::insert_many(values.iter().map(|(name, value)| counters::ActiveModel {
            day: Set(day),
            name: Set((*name).to_owned()),
            value: Set(*value),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Replaces the roll-up row of one signup day.
pub async fn store_cohort(conn: &impl ConnectionTrait, row: cohorts::Model) -> DbResult<()> {
    cohorts::Entity::delete_by_id(row.cohort_day)
        .exec(conn)
        .await?;
    cohorts::Entity::insert(cohorts::ActiveModel::from(row))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The daily roll-ups of `from..=to`, oldest first, at most `limit` (from the day after
/// `after`, when given: the export's pages).
pub async fn days(
    conn: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
    limit: Option<u64>,
) -> DbResult<Vec<daily::Model>> {
    let mut query = daily::Entity::find()
        .filter(daily::Column::Day.gte(from))
        .filter(daily::Column::Day.lte(to))
        .order_by_asc(daily::Column::Day);
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    Ok(query.all(conn).await?)
}

/// The counters of `from..=to`.
pub async fn day_counters(
    conn: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<counters::Model>> {
    Ok(counters::Entity::find()
        .filter(counters::Column::Day.gte(from))
        .filter(counters::Column::Day.lte(to))
        .order_by_asc(counters::Column::Day)
        .order_by_asc(counters::Column::Name)
        .all(conn)
        .await?)
}

/// The cohorts of the signup days `from..=to`, oldest first.
pub async fn cohorts_between(
    conn: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<cohorts::Model>> {
    Ok(cohorts::Entity::find()
        .filter(cohorts::Column::CohortDay.gte(from))
        .filter(cohorts::Column::CohortDay.lte(to))
        .order_by_asc(cohorts::Column::CohortDay)
        .all(conn)
        .await?)
}

/// One route's answers over a range of hours.
#[derive(Debug, Clone, FromQueryResult)]
pub struct RouteTotals {
    pub method: String,
    pub route: String,
    pub requests: i64,
    pub errors: i64,
    pub latency_us_sum: i64,
    pub le_5ms: i64,
    pub le_10ms: i64,
    pub le_25ms: i64,
    pub le_50ms: i64,
    pub le_100ms: i64,
    pub le_250ms: i64,
    pub le_500ms: i64,
    pub le_1000ms: i64,
    pub le_2500ms: i64,
}

/// Every route's answers in the hours of `[from, to)`, the busiest first.
pub async fn route_totals(
    conn: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<Vec<RouteTotals>> {
    let mut select = Query::select();
    select
        .column(route_stats::Column::Method)
        .column(route_stats::Column::Route);
    for column in [
        "requests",
        "errors",
        "latency_us_sum",
        "le_5ms",
        "le_10ms",
        "le_25ms",
        "le_50ms",
        "le_100ms",
        "le_250ms",
        "le_500ms",
        "le_1000ms",
        "le_2500ms",
    ] {
        // SUM of a BIGINT is a NUMERIC on PostgreSQL: cast back.
        select.expr_as(Expr::cust(format!("CAST(SUM({column}) AS BIGINT)")), column);
    }
    select
        .from(route_stats::Entity)
        .and_where(Expr::col(route_stats::Column::Hour).gte(from))
        .and_where(Expr::col(route_stats::Column::Hour).lt(to))
        .group_by_col(route_stats::Column::Method)
        .group_by_col(route_stats::Column::Route)
        .order_by_expr(Expr::cust("CAST(SUM(requests) AS BIGINT)"), Order::Desc)
        .order_by(route_stats::Column::Route, Order::Asc)
        .order_by(route_stats::Column::Method, Order::Asc);
    let rows = conn.query_all(&select).await?;
    Ok(rows
        .iter()
        .map(|row| RouteTotals::from_query_result(row, ""))
        .collect::<Result<_, _>>()?)
}

/// Every counter's total up to `to` (inclusive), by name.
pub async fn counter_totals(
    conn: &impl ConnectionTrait,
    to: NaiveDate,
) -> DbResult<Vec<(String, i64)>> {
    #[derive(FromQueryResult)]
    struct Total {
        name: String,
        total: i64,
    }
    let select = Query::select()
        .column(counters::Column::Name)
        .expr_as(Expr::cust("CAST(SUM(value) AS BIGINT)"), "total")
        .from(counters::Entity)
        .and_where(Expr::col(counters::Column::Day).lte(to))
        .group_by_col(counters::Column::Name)
        .order_by(counters::Column::Name, Order::Asc)
        .to_owned();
    let rows = conn.query_all(&select).await?;
    rows.iter()
        .map(|row| Total::from_query_result(row, "").map(|t| (t.name, t.total)))
        .collect::<Result<_, _>>()
        .map_err(Into::into)
}
