//! The `/metrics/...` routes (admins only): each reads a few rows of the roll-ups
//! ([`super::rollup`]) or of the hourly route stats, never the activity itself.
//!
//! Definitions (decision 0028), all over UTC days:
//! - active user: an account that made at least one authenticated request that day;
//! - DAU: active users of the day; WAU: of the 7 days ending that day; MAU: of the 30 days
//!   ending that day; DAU/MAU: their ratio (0 when MAU is 0);
//! - Dn retention of a signup cohort (the accounts created on one day): the share of them
//!   active on exactly day n after it (D1, D7, D30: "classic" or "day n" retention);
//! - engagement per active user: what a counter (posts, comments, likes) gained that day over
//!   that day's DAU.

use std::collections::BTreeMap;

use agora_core::extract::{Json, Query};
use agora_core::{ApiError, ApiResult, FieldCode, FieldError};
use axum::extract::State;
use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::recorder::BUCKETS_MS;
use super::rollup::RETENTION_DAYS;
use super::{Counters, queries};
use crate::AppState;
use crate::entities::{analytics_cohorts, analytics_daily};
use crate::identity::AdminUser;

/// The days a series covers when the request gives neither `from` nor `days`.
pub const DEFAULT_DAYS: i64 = 30;
/// The most days a series covers.
pub const MAX_SERIES_DAYS: i64 = 366;
/// The earliest and latest days accepted: the years every time of the API keeps to (the
/// schema's `date` format allows no other).
const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date");
const LATEST: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

/// A range of days: `from`..=`to`, or the `days` days ending on `to`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// The first day (UTC, `YYYY-MM-DD`); by default `days` days before `to`. Not with `days`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The last day, included (UTC, `YYYY-MM-DD`); by default today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// How many days end on `to` (1–366, default 30), when `from` is left out.
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<i64>,
}

/// A validated range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn check_day(field: &str, day: NaiveDate, errors: &mut Vec<FieldError>) {
    if !(EARLIEST..=LATEST).contains(&day) {
        errors.push(FieldError::new(
            field,
            FieldCode::OutOfRange,
            "must be a day from 0001-01-01 to 9999-12-31",
        ));
    }
}

impl RangeParams {
    /// The range, refused (422) when reversed, longer than `max_days`, or given both ways.
    pub fn resolve(&self, today: NaiveDate, max_days: i64) -> ApiResult<DayRange> {
        let mut errors = Vec::new();
        let to = self.to.unwrap_or(today);
        check_day("to", to, &mut errors);
        if let Some(from) = self.from {
            check_day("from", from, &mut errors);
        }
        if let Some(days) = self.days {
            if self.from.is_some() {
                errors.push(FieldError::new(
                    "days",
                    FieldCode::Invalid,
                    "give `from` or `days`, not both",
                ));
            } else if !(1..=MAX_SERIES_DAYS.min(max_days)).contains(&days) {
                errors.push(FieldError::new(
                    "days",
                    FieldCode::OutOfRange,
                    format!("must be from 1 to {}", MAX_SERIES_DAYS.min(max_days)),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let from = match self.from {
            Some(from) => from,
            // Never before the first day there is (`days` ending early in year 1).
            None => (to - TimeDelta::days(self.days.unwrap_or(DEFAULT_DAYS) - 1)).max(EARLIEST),
        };
        if from > to {
            return Err(ApiError::invalid_field(
                "from",
                FieldCode::OutOfRange,
                "must not be after `to`",
            ));
        }
        let length = (to - from).num_days() + 1;
        if length > max_days {
            return Err(ApiError::invalid_field(
                "from",
                FieldCode::OutOfRange,
                format!("the range covers {length} days; at most {max_days} are answered"),
            ));
        }
        Ok(DayRange { from, to })
    }
}

fn ratio(part: i64, whole: i64) -> f64 {
    if whole > 0 {
        part as f64 / whole as f64
    } else {
        0.0
    }
}

fn rate(part: Option<i64>, whole: i64) -> Option<f64> {
    part.map(|part| ratio(part, whole))
}

fn today() -> NaiveDate {
    agora_core::time::now().date_naive()
}

fn counter_names(state: &AppState) -> Vec<&'static str> {
    state
        .service::<Counters>()
        .map(Counters::names)
        .unwrap_or_default()
}

/// The day of the dashboard.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DashboardParams {
    /// The day (UTC, `YYYY-MM-DD`); by default today.
    #[param(value_type = Option<String>, format = Date)]
    pub day: Option<NaiveDate>,
}

/// Retention rates: for Dn, over the 30 most recent signup cohorts whose day n has come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RetentionSummary {
    /// Share (0–1) of the accounts created on the 30 days ending the day before, active the
    /// day after their signup; null when none of those cohorts has accounts.
    pub d1: Option<f64>,
    /// The same for the 7th day after signup (cohorts of the 30 days ending 7 days before).
    pub d7: Option<f64>,
    /// The same for the 30th day after signup.
    pub d30: Option<f64>,
}

/// One day at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Dashboard {
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    /// When the roll-up of the day was last computed; null when it has not been yet (every
    /// number is then 0).
    pub refreshed_at: Option<DateTime<Utc>>,
    /// Accounts with at least one authenticated request that day.
    pub dau: i64,
    /// Accounts active on any of the 7 days ending that day.
    pub wau: i64,
    /// Accounts active on any of the 30 days ending that day.
    pub mau: i64,
    /// DAU over MAU (0 when MAU is 0): how many of the month's users come back daily.
    pub dau_mau: f64,
    /// Accounts created that day.
    pub signups: i64,
    /// Accounts that existed at the end of that day.
    pub users_total: i64,
    /// Authenticated requests that day.
    pub requests: i64,
    /// Each engagement counter (`posts`, `comments`, `likes`) summed up to that day.
    pub totals: BTreeMap<String, i64>,
    pub retention: RetentionSummary,
}

/// DAU, WAU, MAU, DAU/MAU, signups and totals of a day, with the recent retention.
#[utoipa::path(get, path = "/metrics/dashboard", operation_id = "metrics_dashboard", tag = "metrics", security(("bearer" = [])),
    params(DashboardParams),
    responses(
        (status = 200, body = Dashboard),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "A bad day"),
    ))]
pub async fn dashboard(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(params): Query<DashboardParams>,
) -> ApiResult<Json<Dashboard>> {
    let day = params.day.unwrap_or_else(today);
    let mut errors = Vec::new();
    check_day("day", day, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let db = state.db().reader();
    let row = queries::days(db, day, day, Some(1))
        .await?
        .into_iter()
        .next();
    let totals = queries::counter_totals(db, day)
        .await?
        .into_iter()
        .collect();
    let oldest = day - TimeDelta::days(RETENTION_DAYS[RETENTION_DAYS.len() - 1] + 29);
    let cohorts = queries::cohorts_between(db, oldest, day).await?;
    let summary = |n: i64, retained: fn(&analytics_cohorts::Model) -> Option<i64>| {
        let last = day - TimeDelta::days(n);
        let first = last - TimeDelta::days(29);
        let (kept, size) = cohorts
            .iter()
            .filter(|c| (first..=last).contains(&c.cohort_day))
            .filter_map(|c| retained(c).map(|kept| (kept, c.size)))
            .fold((0, 0), |(k, s), (kept, size)| (k + kept, s + size));
        (size > 0).then(|| ratio(kept, size))
    };
    let retention = RetentionSummary {
        d1: summary(1, |c| c.d1),
        d7: summary(7, |c| c.d7),
        d30: summary(30, |c| c.d30),
    };
    let value = |field: fn(&analytics_daily::Model) -> i64| row.as_ref().map_or(0, field);
    Ok(Json(Dashboard {
        day,
        refreshed_at: row.as_ref().map(|r| r.refreshed_at),
        dau: value(|r| r.dau),
        wau: value(|r| r.wau),
        mau: value(|r| r.mau),
        dau_mau: ratio(value(|r| r.dau), value(|r| r.mau)),
        signups: value(|r| r.signups),
        users_total: value(|r| r.users_total),
        requests: value(|r| r.requests),
        totals,
        retention,
    }))
}

/// Users on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UsersDay {
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub dau: i64,
    pub wau: i64,
    pub mau: i64,
    pub dau_mau: f64,
    /// New accounts that day.
    pub signups: i64,
    pub users_total: i64,
}

/// A signup cohort: the accounts created on one day, and how many came back on day 1, 7, 30.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Cohort {
    #[schema(value_type = String, format = Date)]
    pub cohort_day: NaiveDate,
    pub size: i64,
    /// Active on the day after signup; null until that day has come.
    pub d1: Option<i64>,
    /// Active on the 7th day after signup.
    pub d7: Option<i64>,
    /// Active on the 30th day after signup.
    pub d30: Option<i64>,
    /// `d1` over `size` (0 for an empty cohort).
    pub d1_rate: Option<f64>,
    pub d7_rate: Option<f64>,
    pub d30_rate: Option<f64>,
}

impl From<analytics_cohorts::Model> for Cohort {
    fn from(row: analytics_cohorts::Model) -> Self {
        Cohort {
            cohort_day: row.cohort_day,
            size: row.size,
            d1: row.d1,
            d7: row.d7,
            d30: row.d30,
            d1_rate: rate(row.d1, row.size),
            d7_rate: rate(row.d7, row.size),
            d30_rate: rate(row.d30, row.size),
        }
    }
}

/// Active and new users per day, and the retention of each signup cohort of the range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UsersSeries {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// The days the roll-up has computed, oldest first.
    pub days: Vec<UsersDay>,
    /// The cohorts of the signup days of the range, oldest first.
    pub cohorts: Vec<Cohort>,
}

/// DAU, WAU, MAU and new users per day; D1/D7/D30 retention per signup cohort.
#[utoipa::path(get, path = "/metrics/users", operation_id = "metrics_users", tag = "metrics", security(("bearer" = [])),
    params(RangeParams),
    responses(
        (status = 200, body = UsersSeries),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "A bad range: reversed, too long, or `from` with `days`"),
    ))]
pub async fn users(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(params): Query<RangeParams>,
) -> ApiResult<Json<UsersSeries>> {
    let range = params.resolve(today(), MAX_SERIES_DAYS)?;
    let db = state.db().reader();
    let days = queries::days(db, range.from, range.to, None).await?;
    let cohorts = queries::cohorts_between(db, range.from, range.to).await?;
    Ok(Json(UsersSeries {
        from: range.from,
        to: range.to,
        days: days
            .into_iter()
            .map(|row| UsersDay {
                day: row.day,
                dau: row.dau,
                wau: row.wau,
                mau: row.mau,
                dau_mau: ratio(row.dau, row.mau),
                signups: row.signups,
                users_total: row.users_total,
            })
            .collect(),
        cohorts: cohorts.into_iter().map(Cohort::from).collect(),
    }))
}

/// Engagement on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EngagementDay {
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    /// DAU.
    pub active_users: i64,
    /// What each counter gained that day.
    pub counts: BTreeMap<String, i64>,
    /// Each count over `active_users` (0 when nobody was active).
    pub per_active_user: BTreeMap<String, f64>,
}

/// Engagement per day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EngagementSeries {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// The counters the enabled modules declare (`posts`, `comments`, `likes`).
    pub counters: Vec<String>,
    pub days: Vec<EngagementDay>,
}

/// Posts, comments and likes per day, and per active user.
#[utoipa::path(get, path = "/metrics/engagement", operation_id = "metrics_engagement", tag = "metrics", security(("bearer" = [])),
    params(RangeParams),
    responses(
        (status = 200, body = EngagementSeries),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "A bad range: reversed, too long, or `from` with `days`"),
    ))]
pub async fn engagement(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(params): Query<RangeParams>,
) -> ApiResult<Json<EngagementSeries>> {
    let range = params.resolve(today(), MAX_SERIES_DAYS)?;
    let names = counter_names(&state);
    let db = state.db().reader();
    let days = queries::days(db, range.from, range.to, None).await?;
    let mut values: BTreeMap<NaiveDate, BTreeMap<String, i64>> = BTreeMap::new();
    for row in queries::day_counters(db, range.from, range.to).await? {
        values
            .entry(row.day)
            .or_default()
            .insert(row.name, row.value);
    }
    let days = days
        .into_iter()
        .map(|row| {
            let stored = values.remove(&row.day).unwrap_or_default();
            let counts: BTreeMap<String, i64> = names
                .iter()
                .map(|name| ((*name).to_owned(), stored.get(*name).copied().unwrap_or(0)))
                .collect();
            let per_active_user = counts
                .iter()
                .map(|(name, value)| (name.clone(), ratio(*value, row.dau)))
                .collect();
            EngagementDay {
                day: row.day,
                active_users: row.dau,
                counts,
                per_active_user,
            }
        })
        .collect();
    Ok(Json(EngagementSeries {
        from: range.from,
        to: range.to,
        counters: names.iter().map(|n| (*n).to_owned()).collect(),
        days,
    }))
}

/// Growth on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GrowthDay {
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub signups: i64,
    /// Accounts at the end of the day (cumulative signups).
    pub users_total: i64,
}

/// Signups per day and the running total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GrowthSeries {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// Signups over the days listed.
    pub signups: i64,
    pub days: Vec<GrowthDay>,
}

/// Signups per day, cumulative.
#[utoipa::path(get, path = "/metrics/growth", operation_id = "metrics_growth", tag = "metrics", security(("bearer" = [])),
    params(RangeParams),
    responses(
        (status = 200, body = GrowthSeries),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "A bad range: reversed, too long, or `from` with `days`"),
    ))]
pub async fn growth(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(params): Query<RangeParams>,
) -> ApiResult<Json<GrowthSeries>> {
    let range = params.resolve(today(), MAX_SERIES_DAYS)?;
    let days: Vec<GrowthDay> = queries::days(state.db().reader(), range.from, range.to, None)
        .await?
        .into_iter()
        .map(|row| GrowthDay {
            day: row.day,
            signups: row.signups,
            users_total: row.users_total,
        })
        .collect();
    Ok(Json(GrowthSeries {
        from: range.from,
        to: range.to,
        signups: days.iter().map(|d| d.signups).sum(),
        days,
    }))
}

/// The hours of the health report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HealthParams {
    /// The hours ending with the current one (1–720, default 24).
    #[param(minimum = 1, maximum = 720)]
    pub hours: Option<i64>,
}

/// How one route answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RouteHealth {
    pub method: String,
    /// The route template (`/api/v1/posts/{id}`).
    pub route: String,
    pub requests: i64,
    /// Answers with a 5xx status.
    pub errors: i64,
    /// `errors` over `requests`.
    pub error_rate: f64,
    /// The mean time to answer, in milliseconds.
    pub mean_ms: f64,
    /// The median's bucket bound in milliseconds (5, 10, 25, 50, 100, 250, 500, 1000, 2500);
    /// null when it is over 2500 ms.
    pub p50_ms: Option<u64>,
    /// The 95th percentile's bucket bound, likewise.
    pub p95_ms: Option<u64>,
}

/// Error rate and latency per route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthMetrics {
    /// The start of the first hour counted.
    pub from: DateTime<Utc>,
    /// The end of the last hour counted.
    pub to: DateTime<Utc>,
    pub requests: i64,
    pub errors: i64,
    pub error_rate: f64,
    /// The busiest first.
    pub routes: Vec<RouteHealth>,
}

/// The bound of the bucket holding the `quantile` of `requests`, if within the buckets.
fn quantile_bound(buckets: &[i64; BUCKETS_MS.len()], requests: i64, quantile: f64) -> Option<u64> {
    if requests == 0 {
        return None;
    }
    let rank = (quantile * requests as f64).ceil() as i64;
    let mut seen = 0;
    for (count, bound) in buckets.iter().zip(BUCKETS_MS) {
        seen += count;
        if seen >= rank {
            return Some(bound);
        }
    }
    None
}

/// Requests, server errors, error rate and latency (mean, p50, p95) per route template, from
/// the hourly route stats (written every few seconds).
#[utoipa::path(get, path = "/metrics/health", operation_id = "metrics_health", tag = "metrics", security(("bearer" = [])),
    params(HealthParams),
    responses(
        (status = 200, body = HealthMetrics),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "`hours` out of range"),
    ))]
pub async fn health(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(params): Query<HealthParams>,
) -> ApiResult<Json<HealthMetrics>> {
    let hours = params.hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::invalid_field(
            "hours",
            FieldCode::OutOfRange,
            "must be from 1 to 720",
        ));
    }
    let now = agora_core::time::now();
    let hour = now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now);
    let to = hour + TimeDelta::hours(1);
    let from = to - TimeDelta::hours(hours);
    let rows = queries::route_totals(state.db().reader(), from, to).await?;
    let routes: Vec<RouteHealth> = rows
        .into_iter()
        .map(|row| {
            let buckets = [
                row.le_5ms,
                row.le_10ms,
                row.le_25ms,
                row.le_50ms,
                row.le_100ms,
                row.le_250ms,
                row.le_500ms,
                row.le_1000ms,
                row.le_2500ms,
            ];
            RouteHealth {
                error_rate: ratio(row.errors, row.requests),
                mean_ms: ratio(row.latency_us_sum, row.requests) / 1000.0,
                p50_ms: quantile_bound(&buckets, row.requests, 0.5),
                p95_ms: quantile_bound(&buckets, row.requests, 0.95),
                method: row.method,
                route: row.route,
                requests: row.requests,
                errors: row.errors,
            }
        })
        .collect();
    let requests = routes.iter().map(|r| r.requests).sum();
    let errors = routes.iter().map(|r| r.errors).sum();
    Ok(Json(HealthMetrics {
        from,
        to,
        requests,
        errors,
        error_rate: ratio(errors, requests),
        routes,
    }))
}

/// How one measure moved: the last 7 days against the 7 before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Trend {
    /// `active_users` (WAU), `signups`, or an engagement counter (`posts`, `likes`).
    pub name: String,
    /// Over the 7 days ending on the day.
    pub current: i64,
    /// Over the 7 days before those.
    pub previous: i64,
    /// `current / previous - 1`; null when `previous` is 0.
    pub change: Option<f64>,
}

/// What is growing: each measure's week against the week before, fastest growing first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Trending {
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub trends: Vec<Trend>,
}

/// Which measures grow fastest: active users, signups and each engagement counter, the 7 days
/// ending on `day` against the 7 days before (trending tickers are `GET /tickers/trending`).
#[utoipa::path(get, path = "/metrics/trending", operation_id = "metrics_trending", tag = "metrics", security(("bearer" = [])),
    params(DashboardParams),
    responses(
        (status = 200, body = Trending),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "A bad day"),
    ))]
pub async fn trending(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(params): Query<DashboardParams>,
) -> ApiResult<Json<Trending>> {
    let day = params.day.unwrap_or_else(today);
    let mut errors = Vec::new();
    check_day("day", day, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let split = day - TimeDelta::days(6);
    let first = split - TimeDelta::days(7);
    let db = state.db().reader();
    let rows = queries::days(db, first, day, None).await?;
    let mut sums: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut add = |name: &str, at: NaiveDate, value: i64| {
        let entry = sums.entry(name.to_owned()).or_default();
        if at >= split {
            entry.0 += value;
        } else {
            entry.1 += value;
        }
    };
    for name in counter_names(&state) {
        add(name, day, 0);
    }
    add("signups", day, 0);
    for row in &rows {
        add("signups", row.day, row.signups);
    }
    for row in queries::day_counters(db, first, day).await? {
        add(&row.name, row.day, row.value);
    }
    let wau = |at: NaiveDate| rows.iter().find(|r| r.day == at).map_or(0, |r| r.wau);
    sums.insert(
        "active_users".to_owned(),
        (wau(day), wau(split - TimeDelta::days(1))),
    );
    let mut trends: Vec<Trend> = sums
        .into_iter()
        .map(|(name, (current, previous))| Trend {
            change: (previous > 0).then(|| current as f64 / previous as f64 - 1.0),
            name,
            current,
            previous,
        })
        .collect();
    trends.sort_by(|a, b| {
        b.change
            .unwrap_or(f64::INFINITY)
            .total_cmp(&a.change.unwrap_or(f64::INFINITY))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(Json(Trending { day, trends }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a day")
    }

    #[test]
    fn a_range_defaults_to_the_30_days_ending_today() {
        let range = RangeParams::default()
            .resolve(day("2026-03-31"), MAX_SERIES_DAYS)
            .expect("valid");
        assert_eq!(range.from, day("2026-03-02"));
        assert_eq!(range.to, day("2026-03-31"));
    }

    #[test]
    fn reversed_too_long_or_doubly_given_ranges_are_refused() {
        let today = day("2026-03-31");
        let refused = [
            RangeParams {
                from: Some(day("2026-03-10")),
                to: Some(day("2026-03-09")),
                days: None,
            },
            RangeParams {
                from: Some(day("2020-01-01")),
                to: Some(day("2026-01-01")),
                days: None,
            },
            RangeParams {
                from: Some(day("2026-03-01")),
                to: None,
                days: Some(3),
            },
            RangeParams {
                from: None,
                to: None,
                days: Some(0),
            },
        ];
        for params in refused {
            let err = params.resolve(today, MAX_SERIES_DAYS).expect_err("refused");
            assert_eq!(err.status().as_u16(), 422, "{params:?}");
        }
    }

    #[test]
    fn quantiles_are_the_bounds_of_their_buckets() {
        let buckets = [10, 0, 0, 5, 0, 0, 0, 0, 4];
        assert_eq!(quantile_bound(&buckets, 20, 0.5), Some(5));
        assert_eq!(quantile_bound(&buckets, 20, 0.75), Some(50));
        assert_eq!(quantile_bound(&buckets, 20, 0.95), Some(2500));
        assert_eq!(quantile_bound(&buckets, 20, 1.0), None, "one is over 2.5 s");
        assert_eq!(quantile_bound(&buckets, 0, 0.5), None);
    }
}
