//! The Jolpica client: the module's service (`state.service::<Jolpica>()`) that reads the F1
//! API (`fantasy.jolpica_url`, Ergast's format) for the import and the syncs.
//!
//! - **Pages.** A list is read page by page (`?limit=100&offset=…`, Jolpica's largest page)
//!   until `offset + limit ≥ total`; a results query pages its result rows, so a race may be
//!   split across two pages and is joined again by the caller (`source.rs`).
//! - **Politeness.** Every request spends Jolpica's two budgets (4 a second, 500 an hour by
//!   default) in the platform's GCRA limiter, keyed by the API's host, so every instance that
//!   shares a Redis shares them; a request waits for its turn rather than failing.
//! - **Retries.** A 429, a 5xx, a timeout or a broken connection is tried again, up to
//!   [`ATTEMPTS`] times, after the server's `Retry-After` (seconds or an HTTP date) or an
//!   exponential backoff with jitter.
//! - **Re-reads.** Each good answer is kept in the platform cache with its `ETag` and
//!   `Last-Modified`: within `fantasy.jolpica_fresh_for` it is used without a request, later it
//!   is asked for conditionally and a 304 reuses it (decision 0029).
//! - **Strict reading.** A body that does not parse ([`wire`]) is a [`SyncError::Malformed`]
//!   naming the URL and the field; it is never cached.

pub mod wire;

use std::time::Duration;

use agora_core::config::{Rate, RateLimits};
use agora_platform::ratelimit::{Quota, Quotas, RateLimiter};
use agora_store::{Cache, DbError, Redis};
use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde::{Deserialize, Serialize};

use crate::settings::FantasySettings;
use wire::{Envelope, MrData};

/// Tries of one request before giving up.
pub const ATTEMPTS: u32 = 5;
/// Jolpica's largest page.
pub const PAGE_SIZE: u32 = 100;
/// Pages of one list at most: a server that keeps answering "more" is not followed forever.
const MAX_PAGES: u32 = 1_000;
/// The longest `Retry-After` honoured; a server asking for more is reported as unavailable.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(300);
/// The longest wait for our own budget before a request gives up.
const LONGEST_BUDGET_WAIT: Duration = Duration::from_secs(15 * 60);
/// How long an answer is kept for conditional re-reads.
const KEPT_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

/// Why a sync or an import failed.
#[derive(Debug)]
pub enum SyncError {
    /// A document is not what Jolpica sends: nothing of the import was written.
    Malformed {
        /// The URL or the file.
        source: String,
        /// Where in the document (`MRData.RaceTable.Races[0].Results[3].grid`).
        field: String,
        message: String,
    },
    /// The API could not be read (refused, unreachable, or still failing after retries).
    Unavailable {
        url: String,
        message: String,
    },
    /// A file of an import folder could not be read.
    Unreadable {
        path: String,
        message: String,
    },
    Db(DbError),
}

impl SyncError {
    /// Whether trying again later cannot help (the data itself is wrong).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            SyncError::Malformed { .. } | SyncError::Unreadable { .. }
        )
    }

    pub fn malformed(source: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        SyncError::Malformed {
            source: source.to_owned(),
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for SyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyncError::Malformed {
                source,
                field,
                message,
            } => write!(f, "malformed data in {source}: field `{field}`: {message}"),
            SyncError::Unavailable { url, message } => write!(f, "cannot read {url}: {message}"),
            SyncError::Unreadable { path, message } => write!(f, "cannot read {path}: {message}"),
            SyncError::Db(err) => write!(f, "database: {err}"),
        }
    }
}

impl std::error::Error for SyncError {}

impl From<DbError> for SyncError {
    fn from(err: DbError) -> Self {
        SyncError::Db(err)
    }
}

/// Reads a document, naming `source` and the failing field on error.
pub fn parse(source: &str, body: &[u8]) -> Result<MrData, SyncError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, Envelope>(&mut deserializer) {
        Ok(envelope) => Ok(envelope.data),
        Err(err) => {
            let field = err.path().to_string();
            Err(SyncError::malformed(
                source,
                field,
                err.into_inner().to_string(),
            ))
        }
    }
}

/// What reading cost: requests sent, of which answered 304, and answers reused unasked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub requests: u32,
    pub not_modified: u32,
    pub cached: u32,
}

/// A kept answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    body: String,
    etag: Option<String>,
    last_modified: Option<String>,
    fetched_at: DateTime<Utc>,
}

/// The client (the module's service). Cheap to share.
pub struct Jolpica {
    http: reqwest::Client,
    base: String,
    limiter: RateLimiter,
    burst: Quota,
    sustained: Quota,
    /// The limiter's key: budgets are per API host.
    budget_key: String,
    cache: Cache,
    fresh_for: Duration,
}

impl Jolpica {
    /// Built at start from the settings; shares its budgets and cache through `redis`.
    pub fn new(
        settings: &FantasySettings,
        rate_limits: &RateLimits,
        redis: Option<Redis>,
    ) -> Result<Jolpica, String> {
        agora_platform::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(settings.jolpica_timeout)
            .connect_timeout(settings.jolpica_timeout)
            .user_agent(concat!(
                "agora/",
                env!("CARGO_PKG_VERSION"),
                " (fantasy sync)"
            ))
            .build()
            .map_err(|err| format!("cannot build the Jolpica client: {err}"))?;
        let base = settings
            .jolpica_url
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        Ok(Jolpica {
            http,
            budget_key: format!("jolpica:{}", settings.jolpica_url.host_str().unwrap_or("")),
            base,
            limiter: RateLimiter::new(Quotas::from_config(rate_limits), redis.clone()),
            burst: quota("jolpica_burst", settings.jolpica_burst),
            sustained: quota("jolpica_sustained", settings.jolpica_sustained),
            cache: Cache::new(redis),
            fresh_for: settings.jolpica_fresh_for,
        })
    }

    /// The URL of `path` (`2024/results/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// Every page of the list at `path`.
    pub async fn list(&self, path: &str, tally: &mut Tally) -> Result<Vec<MrData>, SyncError> {
        let mut pages = Vec::new();
        let mut offset: u32 = 0;
        for _ in 0..MAX_PAGES {
            let url = format!("{}?limit={PAGE_SIZE}&offset={offset}", self.url(path));
            let page = self.page(&url, tally).await?;
            if page.offset != offset {
                return Err(SyncError::malformed(
                    &url,
                    "MRData.offset",
                    format!("is {} where {offset} was asked for", page.offset),
                ));
            }
            let step = page.limit;
            let total = page.total;
            let empty = page.rows() == 0;
            pages.push(page);
            offset = offset.saturating_add(step);
            if empty || step == 0 || offset >= total {
                return Ok(pages);
            }
        }
        Err(SyncError::Unavailable {
            url: self.url(path),
            message: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// One page, from the cache while fresh, else from the API (conditionally when kept).
    async fn page(&self, url: &str, tally: &mut Tally) -> Result<MrData, SyncError> {
        let key = format!("fantasy:jolpica:{url}");
        let kept: Option<Kept> = self.cache.get(&key).await;
        if let Some(kept) = &kept {
            let age = agora_core::time::now() - kept.fetched_at;
            if age.to_std().is_ok_and(|age| age < self.fresh_for) {
                tally.cached += 1;
                return parse(url, kept.body.as_bytes());
            }
        }
        let answer = self.fetch(url, kept.as_ref(), tally).await?;
        let kept = match answer {
            Fetched::NotModified => {
                tally.not_modified += 1;
                let Some(kept) = kept else {
                    return Err(SyncError::Unavailable {
                        url: url.to_owned(),
                        message: "304 Not Modified to a request that was not conditional".into(),
                    });
                };
                kept
            }
            Fetched::Body(kept) => kept,
        };
        let data = parse(url, kept.body.as_bytes())?;
        let kept = Kept {
            fetched_at: agora_core::time::now(),
            ..kept
        };
        self.cache.set(&key, &kept, KEPT_FOR).await;
        Ok(data)
    }

    /// Sends the request, retrying what may pass later.
    async fn fetch(
        &self,
        url: &str,
        kept: Option<&Kept>,
        tally: &mut Tally,
    ) -> Result<Fetched, SyncError> {
        let unavailable = |message: String| SyncError::Unavailable {
            url: url.to_owned(),
            message,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_for_budget(url).await?;
            let mut request = self.http.get(url);
            if let Some(kept) = kept {
                if let Some(etag) = &kept.etag {
                    request = request.header(header::IF_NONE_MATCH, etag);
                }
                if let Some(date) = &kept.last_modified {
                    request = request.header(header::IF_MODIFIED_SINCE, date);
                }
            }
            tally.requests += 1;
            let (failure, wait) = match request.send().await {
                Ok(response) if response.status() == StatusCode::NOT_MODIFIED => {
                    return Ok(Fetched::NotModified);
                }
                Ok(response) if response.status().is_success() => {
                    let etag = header_text(response.headers(), header::ETAG);
                    let last_modified = header_text(response.headers(), header::LAST_MODIFIED);
                    match response.text().await {
                        Ok(body) => {
                            return Ok(Fetched::Body(Kept {
                                body,
                                etag,
                                last_modified,
                                fetched_at: agora_core::time::now(),
                            }));
                        }
                        Err(err) => (format!("the body broke off: {err}"), None),
                    }
                }
                Ok(response)
                    if response.status() == StatusCode::TOO_MANY_REQUESTS
                        || response.status().is_server_error() =>
                {
                    let wait = retry_after(response.headers(), agora_core::time::now());
                    (format!("answered {}", response.status()), wait)
                }
                Ok(response) => return Err(unavailable(format!("answered {}", response.status()))),
                Err(err) => (describe(&err), None),
            };
            if attempt >= ATTEMPTS {
                return Err(unavailable(format!("{failure}, {ATTEMPTS} times")));
            }
            let wait = match wait {
                Some(wait) if wait > LONGEST_RETRY_AFTER => {
                    return Err(unavailable(format!(
                        "{failure} and asks to wait {} s",
                        wait.as_secs()
                    )));
                }
                Some(wait) => wait,
                None => backoff(attempt),
            };
            tracing::info!(
                url,
                attempt,
                wait_ms = wait.as_millis() as u64,
                "{failure}; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits until both of Jolpica's budgets allow one more request.
    async fn wait_for_budget(&self, url: &str) -> Result<(), SyncError> {
        let mut waited = Duration::ZERO;
        for quota in [&self.burst, &self.sustained] {
            loop {
                match self.limiter.check(quota, &self.budget_key).await {
                    Ok(_) => break,
                    Err(limited) => {
                        waited += limited.retry_after;
                        if waited > LONGEST_BUDGET_WAIT {
                            return Err(SyncError::Unavailable {
                                url: url.to_owned(),
                                message: format!(
                                    "the {} budget would need a wait of over {} s",
                                    quota.name(),
                                    LONGEST_BUDGET_WAIT.as_secs()
                                ),
                            });
                        }
                        tokio::time::sleep(limited.retry_after).await;
                    }
                }
            }
        }
        Ok(())
    }
}

enum Fetched {
    NotModified,
    Body(Kept),
}

fn quota(name: &'static str, rate: Rate) -> Quota {
    Quota::new(name, rate.limit, rate.period)
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "no answer in time".to_owned()
    } else if err.is_connect() {
        format!("cannot connect: {err}")
    } else {
        err.to_string()
    }
}

/// `Retry-After` in seconds or as an HTTP date, as a wait from `now`.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let text = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(text).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// 0.5 s, 1 s, 2 s, … (at most 30 s), each ±25 %, so that instances do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500)
        .saturating_mul(1 << attempt.saturating_sub(1).min(6))
        .min(Duration::from_secs(30));
    let jitter = rand::rng().random_range(0.75..1.25);
    base.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z")
            .expect("a time")
            .with_timezone(&Utc);
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Fri, 04 Dec 2026 10:00:30 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..20 {
            let wait = backoff(attempt);
            assert!(wait <= Duration::from_millis(37_500), "{attempt}: {wait:?}");
        }
        assert!(backoff(1) < Duration::from_millis(700));
        assert!(backoff(4) >= Duration::from_millis(3_000));
    }

    #[test]
    fn a_malformed_document_names_its_source_and_field() {
        let err = parse(
            "https://api.example/2024/drivers/",
            br#"{"MRData": {"limit": "30"}}"#,
        )
        .expect_err("missing fields");
        let text = err.to_string();
        assert!(text.contains("https://api.example/2024/drivers/"), "{text}");
        assert!(text.contains("MRData"), "{text}");
        assert!(err.is_permanent());
    }
}
