//! Shared helpers of the benchmark programs: latency summaries and a timed load loop.
//!
//! Each program starts the real server in-process (over a fresh SQLite database, or
//! PostgreSQL with `AGORA_TEST_DATABASE=postgres`, as the tests do) and drives it over HTTP
//! from the same process, so a run needs nothing but `cargo run --release`.

// A benchmark that cannot set itself up has nothing to report: it stops with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod social_data;

use std::time::{Duration, Instant};

/// Latencies of one measured operation.
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        Latencies(samples)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `p`-th percentile (0–100).
    pub fn percentile(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * (self.0.len() - 1) as f64).round() as usize;
        self.0[rank.min(self.0.len() - 1)]
    }

    pub fn mean(&self) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        self.0.iter().sum::<Duration>() / self.0.len() as u32
    }

    /// `p50 … p99 … max` in milliseconds, for a report line.
    pub fn summary(&self) -> String {
        format!(
            "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            ms(self.percentile(50.0)),
            ms(self.percentile(90.0)),
            ms(self.percentile(99.0)),
            ms(self.percentile(100.0)),
        )
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `operation` from `concurrency` tasks for `duration`; returns each call's latency and
/// the number of failures.
pub async fn load<F, Fut>(
    concurrency: usize,
    duration: Duration,
    operation: F,
) -> (Latencies, usize)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let deadline = Instant::now() + duration;
    let workers = (0..concurrency).map(|worker| {
        let operation = operation.clone();
        tokio::spawn(async move {
            let (mut samples, mut failures) = (Vec::new(), 0usize);
            while Instant::now() < deadline {
                let started = Instant::now();
                if operation(worker).await {
                    samples.push(started.elapsed());
                } else {
                    failures += 1;
                }
            }
            (samples, failures)
        })
    });
    let (mut all, mut failures) = (Vec::new(), 0);
    for result in futures::future::join_all(workers).await {
        let (samples, failed) = result.expect("a load task");
        all.extend(samples);
        failures += failed;
    }
    (Latencies::new(all), failures)
}
