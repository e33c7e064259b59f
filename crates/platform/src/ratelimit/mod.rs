//! Rate limits: GCRA budgets per client address, per account and per user.
//!
//! One interface, [`RateLimiter::check`], over two backends:
//!
//! - **in process** (default): `governor`'s keyed limiters; each instance counts alone;
//! - **Redis** (when `REDIS_URL` is set): a Lua GCRA script, so every instance that shares the
//!   Redis shares each budget. If Redis fails, the check falls back to the in-process limiter
//!   for a moment (logged once per outage), conservatively: every budget is divided by
//!   `rate_limit_fallback_instances` (each instance counts alone, so together they allow about
//!   the shared budget), and a key refused in the last while (by Redis or locally) stays refused
//!   until its `Retry-After` is over, so an outage does not hand a refused client a fresh
//!   budget. Requests are never failed because the shared counter is unreachable.
//!
//! The budgets ([`Quota`]) are named constants whose rates the configuration may override
//! (`rate_limit_*`, so tests can use tiny ones); [`Quotas`] holds the effective ones. Every
//! `/api/v1` request spends the general budget ([`limit_api`], a layer of the server's stack);
//! the identity routes also spend their own ([`RateLimiter::check_login`], ...).
//!
//! A refusal is [`RateLimited`], which becomes a 429 `rate_limited` problem with `Retry-After`
//! and `RateLimit-Limit`/`-Remaining`/`-Reset`. An allowed request's [`RateLimitStatus`] puts
//! the same `RateLimit-*` headers on the response; when several budgets apply, the response
//! shows the one with the least left.

mod client_ip;
mod local;
mod shared;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agora_core::ApiError;
use agora_core::config::{Rate, RateLimits};
use agora_store::Redis;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, IntoResponseParts, Response, ResponseParts};

pub use client_ip::ClientIp;
use local::LocalLimiter;
use shared::SharedLimiter;

use crate::AppState;

pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Longest account identifier or email used in a key; longer ones are cut (a key is not a
/// place to store a megabyte a client sent).
const MAX_IDENTIFIER_LEN: usize = 256;

/// How long to use the in-process limiter after Redis failed, before asking Redis again.
const SHARED_RETRY_AFTER: Duration = Duration::from_secs(1);
/// How long one check may wait for Redis before falling back.
const SHARED_TIMEOUT: Duration = Duration::from_millis(500);

/// A named budget: `limit` requests per `period`, replenished evenly (one every
/// `period / limit`), a burst of `limit` allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    name: &'static str,
    rate: Rate,
}

impl Quota {
    /// `limit` must be at least 1 (0 is taken as 1).
    pub const fn new(name: &'static str, limit: u32, period: Duration) -> Self {
        let limit = if limit == 0 { 1 } else { limit };
        Self {
            name,
            rate: Rate::new(limit, period),
        }
    }

    /// The same budget with another rate (from the configuration).
    pub const fn with_rate(self, rate: Rate) -> Self {
        Self::new(self.name, rate.limit, rate.period)
    }

    /// Names the budget in keys and logs: two quotas of one name share their counters.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn limit(&self) -> u32 {
        self.rate.limit
    }

    pub fn period(&self) -> Duration {
        self.rate.period
    }

    /// This budget shared by `instances` that count alone: `limit / instances` (at least 1)
    /// per period, under the same name.
    pub fn divided(self, instances: u32) -> Self {
        Self::new(
            self.name,
            self.rate.limit / instances.max(1),
            self.rate.period,
        )
    }

    /// Time between two requests at the sustained rate.
    pub fn interval(&self) -> Duration {
        (self.rate.period / self.rate.limit).max(Duration::from_nanos(1))
    }
}

/// Every request to `/api/v1`, per signed-in user, else per client address: 300 a minute.
pub const GENERAL: Quota = Quota::new("general", 300, Duration::from_secs(60));
/// Login attempts, per client address and per (account, client network): 10 in 15 min.
pub const LOGIN: Quota = Quota::new("login", 10, Duration::from_secs(15 * 60));
/// Login attempts per account from every network together: 100 an hour. Once spent, only the
/// account's known networks may keep trying (see [`LoginCheck`]).
pub const LOGIN_ACCOUNT: Quota = Quota::new("login_account", 100, Duration::from_secs(3600));
/// Registrations per client address: 3 an hour.
pub const REGISTER: Quota = Quota::new("register", 3, Duration::from_secs(3600));
/// Password reset requests, per client address and, separately, per email: 5 an hour.
pub const PASSWORD_RESET: Quota = Quota::new("password_reset", 5, Duration::from_secs(3600));
/// Upload requests (`/media/upload`, the profile picture) per user: 60 an hour.
pub const UPLOAD: Quota = Quota::new("upload", 60, Duration::from_secs(3600));

/// The effective budgets: the constants above with the configured rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    pub general: Quota,
    pub login: Quota,
    pub login_account: Quota,
    pub register: Quota,
    pub password_reset: Quota,
    /// While Redis is down, each budget is divided by this (at least 1).
    pub fallback_instances: u32,
    pub upload: Quota,
}

impl Quotas {
    pub fn from_config(limits: &RateLimits) -> Self {
        Self {
            general: GENERAL.with_rate(limits.general),
            login: LOGIN.with_rate(limits.login),
            login_account: LOGIN_ACCOUNT.with_rate(limits.login_account),
            register: REGISTER.with_rate(limits.register),
            password_reset: PASSWORD_RESET.with_rate(limits.password_reset),
            fallback_instances: limits.fallback_instances.max(1),
            upload: UPLOAD.with_rate(limits.upload),
        }
    }
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            general: GENERAL,
            login: LOGIN,
            login_account: LOGIN_ACCOUNT,
            register: REGISTER,
            password_reset: PASSWORD_RESET,
            fallback_instances: 2,
            upload: UPLOAD,
        }
    }
}

/// What a backend decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Allowed {
        remaining: u32,
        reset: Duration,
    },
    Refused {
        retry_after: Duration,
        reset: Duration,
    },
}

/// An allowed request: where its budget stands. As a response part (`(status, Json(..))`)
/// it sets the `RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus {
    /// The budget: requests allowed at once.
    pub limit: u32,
    /// Requests left right now.
    pub remaining: u32,
    /// Until the whole budget is back.
    pub reset: Duration,
}

impl RateLimitStatus {
    /// Sets the `RateLimit-*` headers, unless they already show a budget with less left
    /// (a route's own budget, set by its handler, is usually the tighter one).
    pub fn apply_to(&self, headers: &mut HeaderMap) {
        let shown = headers
            .get(&RATELIMIT_REMAINING)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u32>().ok());
        if shown.is_some_and(|remaining| remaining <= self.remaining) {
            return;
        }
        headers.insert(RATELIMIT_LIMIT, HeaderValue::from(self.limit));
        headers.insert(RATELIMIT_REMAINING, HeaderValue::from(self.remaining));
        headers.insert(RATELIMIT_RESET, HeaderValue::from(seconds(self.reset)));
    }

    /// Adds this status's headers to an error answer, so that a failed attempt (a wrong
    /// password) still shows what is left of its budget.
    pub fn annotate(&self, error: ApiError) -> ApiError {
        let mut headers = HeaderMap::new();
        self.apply_to(&mut headers);
        headers
            .into_iter()
            .filter_map(|(name, value)| name.map(|name| (name, value)))
            .fold(error, |error, (name, value)| error.with_header(name, value))
    }

    /// The tighter of two statuses (fewer left; on a tie, the longer wait).
    pub fn tighter(self, other: RateLimitStatus) -> RateLimitStatus {
        if (other.remaining, std::cmp::Reverse(other.reset))
            < (self.remaining, std::cmp::Reverse(self.reset))
        {
            other
        } else {
            self
        }
    }
}

impl IntoResponseParts for RateLimitStatus {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        self.apply_to(res.headers_mut());
        Ok(res)
    }
}

/// A refused request. Converts into the 429 `rate_limited` problem (`?` in a handler).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    /// The budget that ran out.
    pub quota: &'static str,
    pub limit: u32,
    /// Until the next request of this kind may pass.
    pub retry_after: Duration,
    /// Until the whole budget is back.
    pub reset: Duration,
}

impl std::fmt::Display for RateLimited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "too many requests; retry in {} s",
            seconds(self.retry_after)
        )
    }
}

impl std::error::Error for RateLimited {}

impl From<RateLimited> for ApiError {
    fn from(limited: RateLimited) -> Self {
        ApiError::from_code(&agora_core::codes::RATE_LIMITED, limited.to_string())
            .with_extension("retry_after", seconds(limited.retry_after))
            .with_header(
                header::RETRY_AFTER,
                HeaderValue::from(seconds(limited.retry_after)),
            )
            .with_header(RATELIMIT_LIMIT, HeaderValue::from(limited.limit))
            .with_header(RATELIMIT_REMAINING, HeaderValue::from(0u32))
            .with_header(RATELIMIT_RESET, HeaderValue::from(seconds(limited.reset)))
    }
}

impl IntoResponse for RateLimited {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// Whole seconds, rounded up, so that a client that waits that long is not refused again.
fn seconds(duration: Duration) -> u64 {
    let whole = duration.as_secs();
    if duration.subsec_nanos() > 0 {
        whole + 1
    } else {
        whole
    }
}

/// Whose login budget an attempt spends: the account, whichever identifier named it, or for an
/// identifier that names no account, that identifier (normalised), so unknown names have
/// budgets too and answers do not differ between the two cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginAccount {
    User(uuid::Uuid),
    Unknown(String),
}

impl LoginAccount {
    fn key(&self) -> String {
        match self {
            LoginAccount::User(id) => format!("user:{id}"),
            LoginAccount::Unknown(identifier_) => format!("unknown:{}", identifier(identifier_)),
        }
    }
}

/// The outcome of [`RateLimiter::check_login_account`] when the per-network budget allowed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a spent account-wide budget must be checked against the known networks"]
pub struct LoginCheck {
    /// The tighter budget, for the response headers.
    pub status: RateLimitStatus,
    /// `Err` when the account-wide budget is spent: the attempt may go on only from a network
    /// that has signed in to this account before; otherwise it is this refusal.
    pub account_wide: Result<(), RateLimited>,
}

/// Who the general budget counts a request against, when it is not the client address. An
/// outer layer may insert one into the request's extensions; otherwise [`limit_api`] finds the
/// user of a valid access token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSubject(String);

impl RateLimitSubject {
    /// A signed-in user, by id.
    pub fn user(id: impl std::fmt::Display) -> Self {
        Self(format!("user:{id}"))
    }
}

/// Checks budgets; cheap to clone. Made once per server from the configuration.
#[derive(Clone)]
pub struct RateLimiter(Arc<Inner>);

struct Inner {
    quotas: Quotas,
    local: LocalLimiter,
    shared: Option<SharedLimiter>,
    /// When the shared backend failed: milliseconds since `started`, until which it is skipped.
    shared_down_until: AtomicU64,
    /// Whether the last shared check failed (to log an outage once, and its end).
    degraded: AtomicBool,
    started: Instant,
    /// With Redis: keys refused lately (`quota|key`) and until when, whoever refused them, so
    /// that they stay refused if Redis goes away before their wait is over.
    refused: Mutex<HashMap<String, Instant>>,
}

/// The most refusals remembered for an outage; past it, those whose wait is over are dropped,
/// and if that is not enough, new ones are not remembered (the divided budget still applies).
const REMEMBERED_REFUSALS: usize = 100_000;

impl RateLimiter {
    /// In process, or shared through `redis` when given.
    pub fn new(quotas: Quotas, redis: Option<Redis>) -> Self {
        Self(Arc::new(Inner {
            quotas,
            local: LocalLimiter::new(),
            shared: redis.map(SharedLimiter::new),
            shared_down_until: AtomicU64::new(0),
            degraded: AtomicBool::new(false),
            started: Instant::now(),
            refused: Mutex::new(HashMap::new()),
        }))
    }

    /// The effective budgets.
    pub fn quotas(&self) -> &Quotas {
        &self.0.quotas
    }

    /// Whether budgets are shared through Redis.
    pub fn is_shared(&self) -> bool {
        self.0.shared.is_some()
    }

    /// Spends one request of `quota` for `key` (`ip:192.0.2.1`, `account:alice`, ...; the
    /// quota's name is added, so keys need only be unique within one quota).
    pub async fn check(&self, quota: &Quota, key: &str) -> Result<RateLimitStatus, RateLimited> {
        let (quota, decision) = match &self.0.shared {
            None => (*quota, self.0.local.check(quota, key)),
            Some(shared) => {
                let answer = if self.shared_is_up() {
                    match tokio::time::timeout(SHARED_TIMEOUT, shared.check(quota, key)).await {
                        Ok(Ok(decision)) => {
                            self.shared_succeeded();
                            Some(decision)
                        }
                        Ok(Err(err)) => {
                            self.shared_failed(&err.to_string());
                            None
                        }
                        Err(_) => {
                            self.shared_failed("no answer in time");
                            None
                        }
                    }
                } else {
                    None
                };
                let (quota, decision) = match answer {
                    Some(decision) => (*quota, decision),
                    None => self.fallback(quota, key),
                };
                if let Decision::Refused { retry_after, .. } = decision {
                    self.remember_refusal(&quota, key, retry_after);
                }
                (quota, decision)
            }
        };
        match decision {
            Decision::Allowed { remaining, reset } => Ok(RateLimitStatus {
                limit: quota.limit(),
                remaining,
                reset,
            }),
            Decision::Refused { retry_after, reset } => {
                tracing::debug!(quota = quota.name(), "rate limited");
                Err(RateLimited {
                    quota: quota.name(),
                    limit: quota.limit(),
                    retry_after,
                    reset,
                })
            }
        }
    }

    /// While Redis is unreachable: a key refused lately stays refused until its wait is over;
    /// others spend this instance's share of the budget.
    fn fallback(&self, quota: &Quota, key: &str) -> (Quota, Decision) {
        let share = quota.divided(self.0.quotas.fallback_instances);
        let until = self.refusals().get(&refusal_key(quota, key)).copied();
        if let Some(until) = until {
            let now = Instant::now();
            if until > now {
                let retry_after = until - now;
                return (
                    share,
                    Decision::Refused {
                        retry_after,
                        reset: retry_after + share.interval() * (share.limit() - 1),
                    },
                );
            }
        }
        (share, self.0.local.check(&share, key))
    }

    fn remember_refusal(&self, quota: &Quota, key: &str, retry_after: Duration) {
        let now = Instant::now();
        let mut refused = self.refusals();
        if refused.len() >= REMEMBERED_REFUSALS {
            refused.retain(|_, until| *until > now);
            if refused.len() >= REMEMBERED_REFUSALS {
                return;
            }
        }
        // Under the quota's name, so the divided quota of an outage finds it.
        refused.insert(refusal_key(quota, key), now + retry_after);
    }

    fn refusals(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        // A panic while holding the lock cannot leave the map half-written.
        self.0
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The first step of a login attempt, before the account is looked up: spends the login
    /// budget of the client address, so one address cannot try many accounts.
    pub async fn check_login_address(
        &self,
        client: ClientIp,
    ) -> Result<RateLimitStatus, RateLimited> {
        self.check(&self.0.quotas.login, &address_key(client)).await
    }

    /// The second step, once the identifier is resolved: spends the login budget of the
    /// account from the client's network (IPv4 /24, IPv6 /64), then the account-wide budget.
    ///
    /// The first is what guessing from one place runs into, and an attacker elsewhere cannot
    /// spend the owner's. The second bounds a distributed attack; spending it does not refuse
    /// by itself: the caller lets networks that signed in to the account before through
    /// ([`LoginCheck::account_wide`]), so the owner at home still gets in.
    pub async fn check_login_account(
        &self,
        client: ClientIp,
        account: &LoginAccount,
    ) -> Result<LoginCheck, RateLimited> {
        let account = account.key();
        let by_network = self
            .check(
                &self.0.quotas.login,
                &format!("account:{account}|net:{}", client.network_key()),
            )
            .await?;
        let account_wide = self
            .check(&self.0.quotas.login_account, &format!("account:{account}"))
            .await;
        Ok(LoginCheck {
            status: match account_wide {
                Ok(status) => by_network.tighter(status),
                Err(_) => by_network,
            },
            account_wide: account_wide.map(|_| ()),
        })
    }

    /// A registration: spends the register budget of the client address.
    pub async fn check_register(&self, client: ClientIp) -> Result<RateLimitStatus, RateLimited> {
        let quota = self.0.quotas.register;
        self.check(&quota, &address_key(client)).await
    }

    /// A password reset request: spends the budget of the client address, then that of the
    /// email address (compared without case).
    pub async fn check_password_reset(
        &self,
        client: ClientIp,
        email: &str,
    ) -> Result<RateLimitStatus, RateLimited> {
        let quota = self.0.quotas.password_reset;
        let by_address = self.check(&quota, &address_key(client)).await?;
        let by_email = self
            .check(&quota, &format!("email:{}", identifier(email)))
            .await?;
        Ok(by_address.tighter(by_email))
    }

    /// An upload request: spends the upload budget of the user.
    pub async fn check_upload(
        &self,
        user: impl std::fmt::Display,
    ) -> Result<RateLimitStatus, RateLimited> {
        let quota = self.0.quotas.upload;
        self.check(&quota, &format!("user:{user}")).await
    }

    fn shared_is_up(&self) -> bool {
        self.elapsed_ms() >= self.0.shared_down_until.load(Ordering::Relaxed)
    }

    fn shared_failed(&self, error: &str) {
        let retry_at = self.elapsed_ms() + millis(SHARED_RETRY_AFTER);
        self.0.shared_down_until.store(retry_at, Ordering::Relaxed);
        if !self.0.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                error,
                "Redis is unreachable: rate limits fall back to this instance's own counters, \
                 each budget divided by rate_limit_fallback_instances, clients refused lately \
                 still refused, until it answers again"
            );
        }
    }

    fn shared_succeeded(&self) {
        if self.0.degraded.swap(false, Ordering::Relaxed) {
            tracing::info!("Redis answers again: rate limits are shared again");
        }
    }

    fn elapsed_ms(&self) -> u64 {
        millis(self.0.started.elapsed())
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn refusal_key(quota: &Quota, key: &str) -> String {
    format!("{}|{key}", quota.name())
}

fn address_key(client: ClientIp) -> String {
    format!("ip:{}", client.limit_key())
}

/// An account identifier or email as a key part: trimmed, lowercase, at most
/// [`MAX_IDENTIFIER_LEN`] bytes.
fn identifier(value: &str) -> String {
    let mut normalized = value.trim().to_lowercase();
    if normalized.len() > MAX_IDENTIFIER_LEN {
        let mut end = MAX_IDENTIFIER_LEN;
        while !normalized.is_char_boundary(end) {
            end -= 1;
        }
        normalized.truncate(end);
    }
    normalized
}

/// The layer that spends the general budget on every `/api/v1` request: per signed-in user
/// (a [`RateLimitSubject`] an outer layer set, or the user of a valid access token of ours),
/// else per client address. Refused → 429; allowed → the response carries the `RateLimit-*`
/// headers (unless a tighter budget's are already there).
///
/// Only the token's signature and expiry are checked here (no database): an invalid token
/// counts against the client address, so made-up tokens cannot buy fresh budgets, and the
/// handler's `Viewer` still answers 401 for it. Tokens of an external identity provider need a
/// key fetch and count against the client address too.
pub async fn limit_api(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_api(request.uri().path()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let subject = parts
        .extensions
        .get::<RateLimitSubject>()
        .cloned()
        .or_else(|| signed_in_user(&state, &parts.headers));
    let key = match subject {
        Some(subject) => subject.0,
        None => match ClientIp::from_request_parts(&mut parts, &state).await {
            Ok(client) => address_key(client),
            Err(err) => return err.into_response(),
        },
    };
    let limiter = state.rate_limiter();
    match limiter.check(&limiter.quotas().general, &key).await {
        Ok(status) => {
            let mut response = next.run(Request::from_parts(parts, body)).await;
            status.apply_to(response.headers_mut());
            response
        }
        Err(limited) => limited.into_response(),
    }
}

/// The user of a valid `Authorization: Bearer` access token of ours.
fn signed_in_user(state: &AppState, headers: &HeaderMap) -> Option<RateLimitSubject> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let claims = state.identity().tokens.verify(token.trim()).ok()?;
    Some(RateLimitSubject::user(claims.sub))
}

fn is_api(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/v1/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn the_default_quotas_are_the_documented_defaults_of_the_settings() {
        let config = agora_core::config::Config::load(None, |_| None, &[]).expect("defaults");
        assert_eq!(Quotas::from_config(&config.rate_limits), Quotas::default());
    }

    #[test]
    fn a_refusal_is_a_429_problem_with_retry_after_and_ratelimit_headers() {
        let limited = RateLimited {
            quota: "login",
            limit: 10,
            retry_after: Duration::from_millis(89_100),
            reset: Duration::from_secs(900),
        };
        let response = limited.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let headers = response.headers();
        assert_eq!(headers[header::RETRY_AFTER], "90");
        assert_eq!(headers[RATELIMIT_LIMIT], "10");
        assert_eq!(headers[RATELIMIT_REMAINING], "0");
        assert_eq!(headers[RATELIMIT_RESET], "900");
        assert_eq!(
            ApiError::from(limited).code(),
            "rate_limited",
            "the code clients switch on"
        );
    }

    #[test]
    fn the_headers_show_the_budget_with_the_least_left() {
        let general = RateLimitStatus {
            limit: 300,
            remaining: 299,
            reset: Duration::from_millis(200),
        };
        let login = RateLimitStatus {
            limit: 10,
            remaining: 3,
            reset: Duration::from_secs(630),
        };
        let mut headers = HeaderMap::new();
        login.apply_to(&mut headers);
        general.apply_to(&mut headers);
        assert_eq!(headers[RATELIMIT_LIMIT], "10");
        assert_eq!(headers[RATELIMIT_REMAINING], "3");
        assert_eq!(headers[RATELIMIT_RESET], "630");

        let mut headers = HeaderMap::new();
        general.apply_to(&mut headers);
        login.apply_to(&mut headers);
        assert_eq!(headers[RATELIMIT_LIMIT], "10");
        assert_eq!(general.tighter(login), login);
        assert_eq!(login.tighter(general), login);
    }

    #[test]
    fn identifiers_are_compared_without_case_and_cut_to_a_bounded_length() {
        assert_eq!(identifier("  Alice@Example.COM "), "alice@example.com");
        let long = "é".repeat(500);
        let cut = identifier(&long);
        assert!(cut.len() <= MAX_IDENTIFIER_LEN);
        assert!(cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn only_api_paths_spend_the_general_budget() {
        assert!(is_api("/api/v1/posts"));
        assert!(is_api("/api/v1"));
        assert!(!is_api("/api/v10/posts"));
        assert!(!is_api("/health/ready"));
        assert!(!is_api("/docs"));
    }

    #[tokio::test]
    async fn an_account_has_a_login_budget_per_network_and_one_for_all_networks() {
        let quotas = Quotas {
            login: LOGIN.with_rate(Rate::new(2, Duration::from_secs(3600))),
            login_account: LOGIN_ACCOUNT.with_rate(Rate::new(5, Duration::from_secs(3600))),
            ..Quotas::default()
        };
        let limiter = RateLimiter::new(quotas, None);
        let ip = |s: &str| ClientIp::new(s.parse().expect("ip"));
        let alice = LoginAccount::User(uuid::Uuid::now_v7());
        // Two attempts from 192.0.2.0/24 (two addresses in it) spend that network's budget.
        let first = limiter
            .check_login_account(ip("192.0.2.1"), &alice)
            .await
            .expect("first");
        assert_eq!(first.account_wide, Ok(()));
        assert_eq!((first.status.limit, first.status.remaining), (2, 1));
        let _ = limiter
            .check_login_account(ip("192.0.2.200"), &alice)
            .await
            .expect("second");
        let refused = limiter
            .check_login_account(ip("192.0.2.3"), &alice)
            .await
            .expect_err("the network's budget is spent");
        assert_eq!(refused.quota, "login");
        // Another network has its own; the account-wide budget (5) runs out on the fifth.
        for n in 0..3 {
            let check = limiter
                .check_login_account(ip(&format!("198.51.{n}.1")), &alice)
                .await
                .expect("another network");
            assert_eq!(check.account_wide, Ok(()));
        }
        let check = limiter
            .check_login_account(ip("203.0.113.1"), &alice)
            .await
            .expect("the network's budget is not spent");
        assert_eq!(
            check.account_wide.map_err(|limited| limited.quota),
            Err("login_account"),
            "all networks together have spent the account's budget"
        );
        // Other accounts are not affected; an unknown name has budgets of its own, one for
        // every spelling of it.
        let bob = LoginAccount::User(uuid::Uuid::now_v7());
        let check = limiter
            .check_login_account(ip("192.0.2.1"), &bob)
            .await
            .expect("bob");
        assert_eq!(check.account_wide, Ok(()));
        let ghost = |name: &str| LoginAccount::Unknown(name.to_owned());
        let _ = limiter
            .check_login_account(ip("192.0.2.1"), &ghost("Ghost"))
            .await
            .expect("ghost");
        let _ = limiter
            .check_login_account(ip("192.0.2.1"), &ghost(" ghost "))
            .await
            .expect("ghost");
        limiter
            .check_login_account(ip("192.0.2.1"), &ghost("GHOST"))
            .await
            .expect_err("one budget for every spelling");
    }

    #[tokio::test]
    async fn the_address_budget_counts_attempts_on_every_account() {
        let quotas = Quotas {
            login: LOGIN.with_rate(Rate::new(2, Duration::from_secs(3600))),
            ..Quotas::default()
        };
        let limiter = RateLimiter::new(quotas, None);
        let a = ClientIp::new("192.0.2.1".parse().expect("ip"));
        let b = ClientIp::new("192.0.2.2".parse().expect("ip"));
        limiter.check_login_address(a).await.expect("first");
        limiter.check_login_address(a).await.expect("second");
        limiter.check_login_address(a).await.expect_err("third");
        limiter.check_login_address(b).await.expect("b's own");
    }

    #[tokio::test]
    async fn while_redis_is_unreachable_refused_keys_stay_refused_and_budgets_are_divided() {
        // A port nothing listens on: bound, then released.
        let unused = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = unused.local_addr().expect("bound").port();
        drop(unused);
        let url = url::Url::parse(&format!("redis://127.0.0.1:{port}")).expect("url");
        let redis = Redis::open(&url, "test:").expect("a usable URL");
        let quotas = Quotas {
            general: GENERAL.with_rate(Rate::new(6, Duration::from_secs(60))),
            fallback_instances: 3,
            ..Quotas::default()
        };
        let limiter = RateLimiter::new(quotas, Some(redis));
        let general = limiter.quotas().general;
        // Refused (by Redis, before it went away) for another 30 s.
        limiter.remember_refusal(&general, "ip:192.0.2.1", Duration::from_secs(30));

        let refused = limiter
            .check(&general, "ip:192.0.2.1")
            .await
            .expect_err("still refused while Redis is down");
        assert!(refused.retry_after > Duration::from_secs(25), "{refused:?}");
        // Another client gets a third of the budget (6 / 3 instances).
        for remaining in [1, 0] {
            let status = limiter
                .check(&general, "ip:192.0.2.2")
                .await
                .expect("within this instance's share");
            assert_eq!((status.limit, status.remaining), (2, remaining));
        }
        let refused = limiter
            .check(&general, "ip:192.0.2.2")
            .await
            .expect_err("its share is spent");
        assert_eq!(refused.limit, 2);
        // ... and that refusal is remembered as well.
        assert!(limiter.refusals().contains_key("general|ip:192.0.2.2"));
    }

    #[test]
    fn client_networks_are_the_ipv4_24_and_the_ipv6_64() {
        let net = |s: &str| ClientIp::new(s.parse().expect("ip")).network_key();
        assert_eq!(net("192.0.2.77"), "192.0.2.0/24");
        assert_eq!(net("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    }
}
