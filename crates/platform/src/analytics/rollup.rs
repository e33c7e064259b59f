//! The roll-ups (the plans' materialized views), recomputed by the scheduled job
//! `analytics.refresh` from `users`, `user_activity` and the modules' engagement counters, so
//! the `/metrics/...` routes read a few rows instead of scanning the activity.
//!
//! - `analytics_daily`: per UTC day, DAU (users active that day), WAU (active on any of the 7
//!   days ending that day), MAU (any of the 30 days ending that day), signups that day, accounts
//!   that existed at its end, authenticated requests that day;
//! - `analytics_daily_counters`: per day and counter (`posts`, `comments`, `likes`), the rows
//!   the modules' tables gained that day;
//! - `analytics_cohorts`: per signup day, the accounts created that day and how many of them
//!   were active exactly 1, 7 and 30 days later (null until that day has come).

use std::collections::BTreeSet;

use agora_store::DbResult;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::{Counters, queries};
use crate::AppState;
use crate::entities::{analytics_cohorts, analytics_daily};

/// The retention days of a cohort.
pub const RETENTION_DAYS: [i64; 3] = [1, 7, 30];

/// Days each scheduled run recomputes: today and yesterday (whose last minutes may have been
/// flushed after yesterday's last run).
pub const TRAILING_DAYS: i64 = 2;

/// Recomputes the roll-ups of the days `from..=to` (and of the cohorts whose retention falls
/// on one of them) as of `now`: read on the reader, written in one transaction.
pub async fn refresh(
    state: &AppState,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let counters = state
        .service::<Counters>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let today = now.date_naive();
    let reader = state.db().reader();
    let mut rows = Vec::new();
    for day in days(from, to) {
        let start = queries::start_of(day);
        let end = queries::start_of(day + TimeDelta::days(1));
        let row = analytics_daily::Model {
            day,
            dau: queries::active_users(reader, day, day).await?,
            wau: queries::active_users(reader, day - TimeDelta::days(6), day).await?,
            mau: queries::active_users(reader, day - TimeDelta::days(29), day).await?,
            signups: queries::signups(reader, Some(start), end).await?,
            users_total: queries::signups(reader, None, end).await?,
            requests: queries::requests_on(reader, day).await?,
            refreshed_at: now,
        };
        let mut values: Vec<(&'static str, i64)> = Vec::new();
        for counter in &counters {
            let value = queries::counter(reader, counter, start, end).await?;
            match values.iter_mut().find(|(name, _)| *name == counter.name) {
                Some((_, total)) => *total += value,
                None => values.push((counter.name, value)),
            }
        }
        rows.push((row, values));
    }
    // The cohorts of the days refreshed, and those whose day 1, 7 or 30 is one of them.
    let mut cohort_days = BTreeSet::new();
    for day in days(from, to) {
        cohort_days.insert(day);
        for n in RETENTION_DAYS {
            cohort_days.insert(day - TimeDelta::days(n));
        }
    }
    let mut cohorts = Vec::new();
    for cohort in cohort_days {
        let start = queries::start_of(cohort);
        let end = queries::start_of(cohort + TimeDelta::days(1));
        let mut retained = [None; RETENTION_DAYS.len()];
        for (slot, n) in retained.iter_mut().zip(RETENTION_DAYS) {
            let day = cohort + TimeDelta::days(n);
            if day <= today {
                *slot = Some(queries::retained(reader, cohort, day).await?);
            }
        }
        let [d1, d7, d30] = retained;
        cohorts.push(analytics_cohorts::Model {
            cohort_day: cohort,
            size: queries::signups(reader, Some(start), end).await?,
            d1,
            d7,
            d30,
            refreshed_at: now,
        });
    }
    let txn = state.db().begin().await?;
    for (row, values) in rows {
        queries::store_day(&txn, row, &values).await?;
    }
    for cohort in cohorts {
        queries::store_cohort(&txn, cohort).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// `from..=to`, one day at a time.
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |day| *day <= to)
}
