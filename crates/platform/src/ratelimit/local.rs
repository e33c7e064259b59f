//! The in-process backend: `governor`'s keyed GCRA limiters, one per quota.
//!
//! A governor limiter has one quota for all its keys, while our quotas come from the
//! configuration; they are still fixed once the server runs, so the backend keeps one keyed
//! limiter per distinct [`Quota`], made on first use. States of keys whose budget is full again
//! are dropped every [`SWEEP_EVERY`], so memory follows the active keys, not every address ever
//! seen.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;

use super::{Decision, Quota};

type Keyed<C> =
    governor::RateLimiter<String, DashMapStateStore<String>, C, StateInformationMiddleware>;

/// How often stale keys are dropped.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

pub(crate) struct LocalLimiter<C: Clock = DefaultClock> {
    clock: C,
    limiters: RwLock<HashMap<Quota, Arc<Keyed<C>>>>,
    next_sweep: Mutex<Instant>,
}

impl LocalLimiter<DefaultClock> {
    pub(crate) fn new() -> Self {
        Self::with_clock(DefaultClock::default())
    }
}

impl<C: Clock + Clone> LocalLimiter<C> {
    pub(crate) fn with_clock(clock: C) -> Self {
        Self {
            clock,
            limiters: RwLock::new(HashMap::new()),
            next_sweep: Mutex::new(Instant::now() + SWEEP_EVERY),
        }
    }

    pub(crate) fn check(&self, quota: &Quota, key: &str) -> Decision {
        self.sweep_if_due();
        let limiter = self.limiter(quota);
        let limit = quota.limit();
        let interval = quota.interval();
        match limiter.check_key(&key.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity().min(limit);
                Decision::Allowed {
                    remaining,
                    // governor does not expose the arrival time; this is its upper bound
                    // (exact to within one interval).
                    reset: interval * (limit - remaining),
                }
            }
            Err(not_until) => {
                let retry_after = not_until.wait_time_from(self.clock.now());
                Decision::Refused {
                    retry_after,
                    reset: retry_after + interval * (limit - 1),
                }
            }
        }
    }

    fn limiter(&self, quota: &Quota) -> Arc<Keyed<C>> {
        if let Some(limiter) = read(&self.limiters).get(quota) {
            return limiter.clone();
        }
        let mut limiters = self
            .limiters
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        limiters
            .entry(*quota)
            .or_insert_with(|| {
                let burst = NonZeroU32::new(quota.limit()).unwrap_or(NonZeroU32::MIN);
                let governor_quota = governor::Quota::with_period(quota.interval())
                    .unwrap_or_else(|| governor::Quota::per_second(NonZeroU32::MAX))
                    .allow_burst(burst);
                Arc::new(Keyed::new(
                    governor_quota,
                    DashMapStateStore::default(),
                    self.clock.clone(),
                ))
            })
            .clone()
    }

    fn sweep_if_due(&self) {
        let now = Instant::now();
        {
            let mut next = self
                .next_sweep
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if now < *next {
                return;
            }
            *next = now + SWEEP_EVERY;
        }
        for limiter in read(&self.limiters).values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    #[cfg(test)]
    fn keys(&self) -> usize {
        read(&self.limiters).values().map(|l| l.len()).sum()
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // A panic while holding the lock cannot leave the map half-written (inserts are atomic).
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use proptest::prelude::*;

    const LOGIN: Quota = Quota::new("login", 10, Duration::from_secs(15 * 60));

    fn allowed(decision: Decision) -> (u32, Duration) {
        match decision {
            Decision::Allowed { remaining, reset } => (remaining, reset),
            Decision::Refused { .. } => panic!("refused: {decision:?}"),
        }
    }

    fn refused(decision: Decision) -> (Duration, Duration) {
        match decision {
            Decision::Refused { retry_after, reset } => (retry_after, reset),
            Decision::Allowed { .. } => panic!("allowed: {decision:?}"),
        }
    }

    #[test]
    fn a_burst_of_the_limit_passes_then_one_request_per_interval() {
        let clock = FakeRelativeClock::default();
        let limiter = LocalLimiter::with_clock(clock.clone());
        let interval = Duration::from_secs(90); // 15 min / 10
        for expected in (0..10).rev() {
            let (remaining, reset) = allowed(limiter.check(&LOGIN, "ip:192.0.2.1"));
            assert_eq!(remaining, expected);
            assert_eq!(reset, interval * (10 - expected));
        }
        let (retry_after, reset) = refused(limiter.check(&LOGIN, "ip:192.0.2.1"));
        assert_eq!(retry_after, interval);
        assert_eq!(reset, Duration::from_secs(15 * 60));

        clock.advance(Duration::from_secs(89));
        let (retry_after, _) = refused(limiter.check(&LOGIN, "ip:192.0.2.1"));
        assert_eq!(retry_after, Duration::from_secs(1));
        clock.advance(Duration::from_secs(1));
        assert_eq!(allowed(limiter.check(&LOGIN, "ip:192.0.2.1")).0, 0);
        refused(limiter.check(&LOGIN, "ip:192.0.2.1"));

        // After a whole period of quiet the whole budget is back.
        clock.advance(Duration::from_secs(15 * 60));
        assert_eq!(allowed(limiter.check(&LOGIN, "ip:192.0.2.1")).0, 9);
    }

    #[test]
    fn keys_and_quotas_have_budgets_of_their_own() {
        let clock = FakeRelativeClock::default();
        let limiter = LocalLimiter::with_clock(clock);
        let register = Quota::new("register", 1, Duration::from_secs(3600));
        allowed(limiter.check(&register, "ip:192.0.2.1"));
        refused(limiter.check(&register, "ip:192.0.2.1"));
        allowed(limiter.check(&register, "ip:192.0.2.2"));
        allowed(limiter.check(&LOGIN, "ip:192.0.2.1"));
        // The same name with another rate (a configuration override) is another quota.
        let larger = Quota::new("register", 2, Duration::from_secs(3600));
        allowed(limiter.check(&larger, "ip:192.0.2.1"));
    }

    #[test]
    fn keys_whose_budget_is_full_again_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let limiter = LocalLimiter::with_clock(clock.clone());
        for i in 0..100 {
            allowed(limiter.check(&LOGIN, &format!("ip:192.0.2.{i}")));
        }
        assert_eq!(limiter.keys(), 100);
        clock.advance(Duration::from_secs(3600));
        *limiter.next_sweep.lock().expect("not poisoned") = Instant::now();
        allowed(limiter.check(&LOGIN, "ip:198.51.100.1"));
        assert_eq!(limiter.keys(), 1);
    }

    proptest! {
        /// Whatever the arrival pattern, no span of time lets through more than the burst plus
        /// what the rate replenishes during that span.
        #[test]
        fn no_span_lets_through_more_than_burst_plus_rate(
            limit in 1u32..20,
            period_ms in 10u64..10_000,
            gaps in proptest::collection::vec(0u64..2_000, 1..200),
        ) {
            let quota = Quota::new("prop", limit, Duration::from_millis(period_ms));
            let clock = FakeRelativeClock::default();
            let limiter = LocalLimiter::with_clock(clock.clone());
            let mut now = Duration::ZERO;
            let mut passed = Vec::new();
            for gap in gaps {
                clock.advance(Duration::from_millis(gap));
                now += Duration::from_millis(gap);
                if let Decision::Allowed { remaining, .. } = limiter.check(&quota, "k") {
                    prop_assert!(remaining < limit);
                    passed.push(now);
                }
            }
            let interval = quota.interval();
            for (i, start) in passed.iter().enumerate() {
                for (j, end) in passed.iter().enumerate().skip(i) {
                    let span = *end - *start;
                    let allowed_in_span = (j - i + 1) as u128;
                    let bound = u128::from(limit) + span.as_nanos() / interval.as_nanos();
                    prop_assert!(allowed_in_span <= bound,
                        "{allowed_in_span} requests in {span:?} (limit {limit}, interval {interval:?})");
                }
            }
        }
    }
}
