//! Recording, cheaply: each request is one update of a map in memory (who was active on which
//! day; how a route answered in which hour), under a lock held for that update only. A task
//! ([`run`]) writes what gathered every few seconds as one upsert per user and day and one per
//! route and hour, and the server writes the rest at shutdown ([`flush`]). Nothing is written
//! per request.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use agora_core::UserId;
use agora_store::DbResult;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};
use uuid::Uuid;

use super::queries;
use crate::AppState;
use crate::identity::SeenUser;

/// How often [`run`] writes what gathered.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(5);

/// The upper bounds of the latency buckets, in milliseconds (the columns `le_5ms`…
/// `le_2500ms` of `route_stats`); a slower request is counted in no bucket.
pub const BUCKETS_MS: [u64; 9] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500];

/// One user's requests on one day, not yet written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayActivity {
    pub requests: i64,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// One route's answers in one hour, not yet written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteCounts {
    pub requests: i64,
    /// Answers with a 5xx status.
    pub errors: i64,
    pub latency_us_sum: i64,
    /// Requests per bucket of [`BUCKETS_MS`] (each in the first bucket whose bound it meets).
    pub buckets: [i64; BUCKETS_MS.len()],
}

/// The key of a route's counts: the hour, the method and the route template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteKey {
    pub hour: DateTime<Utc>,
    pub method: Method,
    pub route: String,
}

/// What gathered since the last write.
#[derive(Debug, Default)]
pub struct Pending {
    pub activity: HashMap<(Uuid, NaiveDate), DayActivity>,
    pub routes: HashMap<(DateTime<Utc>, Method), HashMap<Box<str>, RouteCounts>>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.activity.is_empty() && self.routes.is_empty()
    }

    fn note_user(&mut self, user: UserId, now: DateTime<Utc>, requests: i64) {
        self.activity
            .entry((user.0, now.date_naive()))
            .and_modify(|day| {
                day.requests += requests;
                day.last_seen_at = day.last_seen_at.max(now);
                day.first_seen_at = day.first_seen_at.min(now);
            })
            .or_insert(DayActivity {
                requests,
                first_seen_at: now,
                last_seen_at: now,
            });
    }

    fn merge(&mut self, other: Pending) {
        for ((user, day), activity) in other.activity {
            self.activity
                .entry((user, day))
                .and_modify(|mine| {
                    mine.requests += activity.requests;
                    mine.first_seen_at = mine.first_seen_at.min(activity.first_seen_at);
                    mine.last_seen_at = mine.last_seen_at.max(activity.last_seen_at);
                })
                .or_insert(activity);
        }
        for (key, routes) in other.routes {
            let mine = self.routes.entry(key).or_default();
            for (route, counts) in routes {
                let entry = mine.entry(route).or_default();
                entry.requests += counts.requests;
                entry.errors += counts.errors;
                entry.latency_us_sum += counts.latency_us_sum;
                for (mine, theirs) in entry.buckets.iter_mut().zip(counts.buckets) {
                    *mine += theirs;
                }
            }
        }
    }

    /// The route counts by key, for writing.
    pub fn route_rows(&self) -> impl Iterator<Item = (RouteKey, RouteCounts)> + '_ {
        self.routes.iter().flat_map(|((hour, method), routes)| {
            routes.iter().map(|(route, counts)| {
                (
                    RouteKey {
                        hour: *hour,
                        method: method.clone(),
                        route: route.to_string(),
                    },
                    *counts,
                )
            })
        })
    }
}

/// The service that gathers activity and route counts between writes (one per process).
#[derive(Debug, Default)]
pub struct Recorder {
    pending: Mutex<Pending>,
}

impl Recorder {
    /// Notes one answered request: of `user` (if an extractor authenticated one), on `route`.
    pub fn note(
        &self,
        route: Option<&str>,
        method: &Method,
        server_error: bool,
        latency: Duration,
        user: Option<UserId>,
        now: DateTime<Utc>,
    ) {
        let hour = now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now);
        let latency_ms = latency.as_millis();
        let bucket = BUCKETS_MS
            .iter()
            .position(|bound| latency_ms <= u128::from(*bound));
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        if let Some(user) = user {
            pending.note_user(user, now, 1);
        }
        if let Some(route) = route {
            let routes = pending.routes.entry((hour, method.clone())).or_default();
            // The template is allocated once per hour, not per request.
            if !routes.contains_key(route) {
                routes.insert(route.into(), RouteCounts::default());
            }
            let Some(counts) = routes.get_mut(route) else {
                return;
            };
            counts.requests += 1;
            counts.errors += i64::from(server_error);
            counts.latency_us_sum += i64::try_from(latency.as_micros()).unwrap_or(i64::MAX);
            if let Some(bucket) = bucket {
                counts.buckets[bucket] += 1;
            }
        }
    }

    /// Takes what gathered, leaving an empty map.
    fn take(&self) -> Pending {
        self.pending
            .lock()
            .map(|mut pending| std::mem::take(&mut *pending))
            .unwrap_or_default()
    }

    /// Puts back what could not be written, to be written with the next batch.
    fn put_back(&self, unwritten: Pending) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.merge(unwritten);
        }
    }
}

/// The layer that records every routed request: who made it (when a handler's extractor
/// authenticated the caller: `SeenUser`), its route template (axum's `MatchedPath`, never the
/// raw path), whether it failed with a 5xx, and how long the handler took to answer.
pub async fn record(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Ok(recorder) = state.service::<Recorder>() else {
        return next.run(request).await;
    };
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let seen = SeenUser::default();
    request.extensions_mut().insert(seen.clone());
    let started = Instant::now();
    let response = next.run(request).await;
    recorder.note(
        route.as_ref().map(MatchedPath::as_str),
        &method,
        response.status().is_server_error(),
        started.elapsed(),
        seen.get(),
        agora_core::time::now(),
    );
    response
}

/// Writes what gathered: one upsert per user and day, one per route and hour. What cannot be
/// written is kept for the next time.
pub async fn flush(state: &AppState) -> DbResult<()> {
    let Ok(recorder) = state.service::<Recorder>() else {
        return Ok(());
    };
    let pending = recorder.take();
    if pending.is_empty() {
        return Ok(());
    }
    if let Err(err) = queries::write_pending(state.db(), &pending).await {
        recorder.put_back(pending);
        return Err(err);
    }
    Ok(())
}

/// Writes what gathered every [`FLUSH_INTERVAL`] until `stop` completes. The server calls
/// [`flush`] once more after the last request has been answered.
pub async fn run(state: AppState, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let mut ticks = tokio::time::interval(FLUSH_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = ticks.tick() => {
                if let Err(err) = flush(&state).await {
                    tracing::warn!(error = %err, "cannot write the recorded activity; kept for the next try");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_requests_of_one_user_on_one_day_are_one_entry() {
        let recorder = Recorder::default();
        let user = UserId(Uuid::now_v7());
        let start = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .expect("a time")
            .to_utc();
        for minute in 0..50 {
            recorder.note(
                None,
                &Method::GET,
                false,
                Duration::from_millis(3),
                Some(user),
                start + TimeDelta::minutes(minute),
            );
        }
        let pending = recorder.take();
        assert_eq!(pending.activity.len(), 1);
        let day = pending.activity[&(user.0, start.date_naive())];
        assert_eq!(day.requests, 50);
        assert_eq!(day.first_seen_at, start);
        assert_eq!(day.last_seen_at, start + TimeDelta::minutes(49));
        assert!(recorder.take().is_empty(), "taking empties the map");
    }

    #[test]
    fn a_route_counts_errors_and_latency_buckets_per_hour() {
        let recorder = Recorder::default();
        let at = DateTime::parse_from_rfc3339("2026-03-01T10:59:59Z")
            .expect("a time")
            .to_utc();
        let route = || Some("/api/v1/posts/{id}");
        recorder.note(
            route(),
            &Method::GET,
            false,
            Duration::from_millis(4),
            None,
            at,
        );
        recorder.note(
            route(),
            &Method::GET,
            true,
            Duration::from_millis(30),
            None,
            at,
        );
        recorder.note(
            route(),
            &Method::GET,
            false,
            Duration::from_secs(3),
            None,
            at,
        );
        recorder.note(
            route(),
            &Method::GET,
            false,
            Duration::from_millis(1),
            None,
            at + TimeDelta::seconds(1),
        );
        let pending = recorder.take();
        let rows: HashMap<_, _> = pending.route_rows().collect();
        assert_eq!(rows.len(), 2, "two hours");
        let first = rows
            .iter()
            .find(|(key, _)| key.hour.to_rfc3339() == "2026-03-01T10:00:00+00:00")
            .map(|(_, counts)| *counts)
            .expect("the first hour");
        assert_eq!(first.requests, 3);
        assert_eq!(first.errors, 1);
        assert_eq!(first.buckets[0], 1, "4 ms");
        assert_eq!(first.buckets[3], 1, "30 ms");
        assert_eq!(first.buckets.iter().sum::<i64>(), 2, "3 s is in no bucket");
    }
}
