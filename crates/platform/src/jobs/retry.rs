//! When to try a failed job again: exponential backoff with jitter, up to a number of attempts.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// How often and how long a failing task is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; after the last failure the task is dead.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each further one...
    pub base_delay: Duration,
    /// ...up to this.
    pub max_delay: Duration,
}

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(DateTime<Utc>),
    /// No attempts left.
    GiveUp,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl RetryPolicy {
    /// 10 attempts over about three hours: waits of 30 s, 1, 2, 4, 8, 16, 32 min, then 1 h,
    /// each shortened by up to half at random.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        max_attempts: 10,
        base_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(3600),
    };

    /// The wait after failed attempt number `attempt` (1 for the first). `jitter` in `[0, 1]`
    /// picks a point between half the exponential delay and all of it ("equal jitter"), so
    /// tasks that failed together (a relay that was down) do not all come back at once, yet
    /// each still waits at least half its delay.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let delay = self
            .base_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay);
        let half = delay / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// What to do after attempt number `attempts` failed at `now`.
    pub fn after_failure(&self, attempts: u32, now: DateTime<Utc>, jitter: f64) -> AfterFailure {
        if attempts >= self.max_attempts {
            return AfterFailure::GiveUp;
        }
        let delay = chrono::Duration::from_std(self.backoff(attempts, jitter))
            .unwrap_or(chrono::Duration::MAX);
        AfterFailure::RetryAt(
            now.checked_add_signed(delay)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_secs(10),
        max_delay: Duration::from_secs(60),
    };

    #[test]
    fn the_delay_doubles_after_each_failure_up_to_the_cap() {
        let delays: Vec<u64> = (1..=6).map(|n| POLICY.backoff(n, 1.0).as_secs()).collect();
        assert_eq!(delays, [10, 20, 40, 60, 60, 60]);
    }

    #[test]
    fn jitter_shortens_the_delay_by_at_most_half() {
        assert_eq!(POLICY.backoff(2, 0.0), Duration::from_secs(10));
        assert_eq!(POLICY.backoff(2, 0.5), Duration::from_secs(15));
        assert_eq!(POLICY.backoff(2, 1.0), Duration::from_secs(20));
    }

    #[test]
    fn the_last_attempt_gives_up_and_earlier_ones_retry_later() {
        let now = agora_core::time::now();
        assert_eq!(
            POLICY.after_failure(1, now, 1.0),
            AfterFailure::RetryAt(now + chrono::Duration::seconds(10))
        );
        assert!(matches!(
            POLICY.after_failure(4, now, 0.3),
            AfterFailure::RetryAt(at) if at > now
        ));
        assert_eq!(POLICY.after_failure(5, now, 0.3), AfterFailure::GiveUp);
        assert_eq!(POLICY.after_failure(6, now, 0.3), AfterFailure::GiveUp);
    }

    #[test]
    fn the_default_policy_spreads_ten_attempts_over_hours() {
        let policy = RetryPolicy::default();
        let longest: Duration = (1..policy.max_attempts)
            .map(|n| policy.backoff(n, 1.0))
            .sum();
        let shortest: Duration = (1..policy.max_attempts)
            .map(|n| policy.backoff(n, 0.0))
            .sum();
        assert_eq!(longest, Duration::from_secs(30 * 127 + 2 * 3600));
        assert!(shortest >= Duration::from_secs(90 * 60), "{shortest:?}");
    }

    proptest! {
        #[test]
        fn backoff_stays_between_half_the_delay_and_the_cap(
            attempt in 0u32..200,
            jitter in -1.0f64..2.0,
            base_ms in 1u64..100_000,
            cap_ms in 1u64..10_000_000,
        ) {
            let policy = RetryPolicy {
                max_attempts: 10,
                base_delay: Duration::from_millis(base_ms),
                max_delay: Duration::from_millis(cap_ms),
            };
            let delay = policy.backoff(attempt, jitter);
            prop_assert!(delay <= policy.max_delay);
            prop_assert!(delay >= policy.base_delay.min(policy.max_delay) / 2);
            prop_assert!(policy.backoff(attempt + 1, jitter) >= delay);
        }
    }
}
