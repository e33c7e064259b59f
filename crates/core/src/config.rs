//! Configuration: built-in defaults, overridden by `agora.toml`, overridden by the environment.
//!
//! Every setting is declared once in [`SETTINGS`], with its file key, its environment variable,
//! its default and its help text. That one table drives loading, the error messages (which name
//! the setting where the bad value came from), `agora config` and the generated reference
//! (`agora config --reference`, committed as `docs/configuration.md`).
//!
//! Loading is pure: the caller reads the file and the environment and hands them in, so the rules
//! are unit-tested without touching the process environment.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// One configuration setting.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// Key in `agora.toml`; a dot nests it in a table (`smtp.host` is `[smtp] host = …`).
    pub key: &'static str,
    /// Environment variable that overrides the file.
    pub env: &'static str,
    /// Value when neither the file nor the environment sets it; empty means unset.
    pub default: &'static str,
    /// Secrets are never printed, and in development are generated when missing.
    pub secret: bool,
    pub help: &'static str,
}

const fn setting(
    key: &'static str,
    env: &'static str,
    default: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        key,
        env,
        default,
        secret: false,
        help,
    }
}

/// Product modules that `modules` may enable.
pub const MODULES: &[&str] = &["social", "forums", "fantasy", "tasks"];

/// Every setting Agora reads.
pub const SETTINGS: &[Setting] = &[
    setting(
        "listen",
        "AGORA_LISTEN",
        "127.0.0.1:8080",
        "Address and port the HTTP server binds to.",
    ),
    setting(
        "public_url",
        "AGORA_PUBLIC_URL",
        "",
        "Public base URL of this server, used in links sent to people (emails). Default: `http://` + `listen`. An `https` URL turns on HSTS.",
    ),
    setting(
        "app_url",
        "AGORA_APP_URL",
        "",
        "Base URL of the web application that opens the links sent by email (`{app_url}/verify-email?token=…`, `{app_url}/reset-password?token=…`). Default: `public_url`.",
    ),
    setting(
        "env",
        "AGORA_ENV",
        "development",
        "`development` or `production`. Production requires secrets to be configured and logs JSON.",
    ),
    setting(
        "data_dir",
        "AGORA_DATA_DIR",
        "./data",
        "Directory for the SQLite database, local media, outgoing mail files and generated development secrets.",
    ),
    setting(
        "database_url",
        "DATABASE_URL",
        "",
        "`sqlite://path/to/file.db` or `postgres://user:password@host/db`. Default: `agora.db` in the data directory.",
    ),
    setting(
        "database_max_connections",
        "AGORA_DATABASE_MAX_CONNECTIONS",
        "10",
        "Most connections in the database pool (SQLite: readers; writes always use one connection).",
    ),
    setting(
        "database_acquire_timeout",
        "AGORA_DATABASE_ACQUIRE_TIMEOUT",
        "1s",
        "How long a PostgreSQL query waits for a connection (a free one, or a new one while the server refuses) before the request answers 503. SQLite's writes queue for their one connection up to 10 s.",
    ),
    setting(
        "redis_url",
        "REDIS_URL",
        "",
        "`redis://host:port/db`. When set, rate limits, revocations, the cache and real-time fan-out are shared by every instance through Redis.",
    ),
    setting(
        "email_transport",
        "AGORA_EMAIL_TRANSPORT",
        "log",
        "How outgoing email is delivered: `log` (a log line and an `.eml` file under `<data_dir>/mail/`, nothing is sent) or `smtp` (through the server of `smtp_url`).",
    ),
    setting(
        "smtp_url",
        "AGORA_SMTP_URL",
        "",
        "SMTP server for `email_transport = smtp`: `smtp://user:password@host:587?tls=starttls` (STARTTLS required), `?tls=opportunistic` (STARTTLS when offered), `smtp://host:25` (unencrypted) or `smtps://user:password@host:465` (implicit TLS). Percent-encode special characters of the user and password; the password is never printed.",
    ),
    setting(
        "email_from",
        "AGORA_EMAIL_FROM",
        "Agora <noreply@localhost>",
        "Sender of outgoing email: an address, with an optional name (`Agora <noreply@example.com>`).",
    ),
    setting(
        "redis_prefix",
        "AGORA_REDIS_PREFIX",
        "agora:",
        "Prefix of every Redis key this server writes, so that several deployments (or test runs) can share one Redis.",
    ),
    setting(
        "modules",
        "AGORA_MODULES",
        "social,forums,fantasy,tasks",
        "Product modules to serve, comma-separated, or `none`. The routes of the others are absent.",
    ),
    setting(
        "cors_origins",
        "AGORA_CORS_ORIGINS",
        "",
        "Origins allowed to call the API from a browser, comma-separated (`https://app.example.com`). Credentials are allowed, so `*` is refused.",
    ),
    setting(
        "log_format",
        "AGORA_LOG_FORMAT",
        "auto",
        "`pretty`, `json`, or `auto` (pretty in development, JSON in production). Filter with `RUST_LOG`.",
    ),
    setting(
        "body_limit",
        "AGORA_BODY_LIMIT",
        "2MiB",
        "Largest request body accepted outside upload routes, in bytes or with a unit (`512KiB`, `2MiB`).",
    ),
    setting(
        "request_timeout",
        "AGORA_REQUEST_TIMEOUT",
        "30s",
        "A request still running after this long is cancelled with 408.",
    ),
    setting(
        "shutdown_timeout",
        "AGORA_SHUTDOWN_TIMEOUT",
        "30s",
        "On SIGTERM or SIGINT, how long in-flight requests may take to finish.",
    ),
    setting(
        "header_read_timeout",
        "AGORA_HEADER_READ_TIMEOUT",
        "10s",
        "How long a client may take to send a request's line and headers, from the moment it connects (or sends the first byte of a later request on the same connection); then the connection is closed.",
    ),
    setting(
        "keep_alive_timeout",
        "AGORA_KEEP_ALIVE_TIMEOUT",
        "60s",
        "How long a connection may stay open, idle, between two requests before the server closes it.",
    ),
    setting(
        "max_connections",
        "AGORA_MAX_CONNECTIONS",
        "auto",
        "Most client connections (WebSockets included) open at once; one more is closed as soon as it is accepted. `auto`: the process's file-descriptor limit less 256 (kept for the database, Redis, files and logs), at least 64.",
    ),
    setting(
        "max_connections_per_address",
        "AGORA_MAX_CONNECTIONS_PER_ADDRESS",
        "256",
        "Most connections open at once from one client address (the TCP peer; connections from `trusted_proxies` are not counted, a proxy carries everyone's). One more is closed as soon as it is accepted.",
    ),
    setting(
        "jobs_workers",
        "AGORA_JOBS_WORKERS",
        "4",
        "Background jobs this instance runs at once (email delivery, scheduled clean-ups, ...). `0`: this instance runs none and only enqueues; another instance must run them.",
    ),
    setting(
        "jobs_poll_interval",
        "AGORA_JOBS_POLL_INTERVAL",
        "1s",
        "How often a job worker looks for due jobs. A job enqueued on this instance is started at once; one enqueued on another instance waits for this poll.",
    ),
    setting(
        "schedules",
        "AGORA_SCHEDULES",
        "",
        "Changes to the periodic jobs, as `name=cron` pairs separated by `;` (`jobs.purge=0 4 * * *; idempotency.purge=off`). A cron expression has five fields (minute hour day-of-month month day-of-week) or six with seconds first, in UTC; `off` turns a schedule off. The schedules and their defaults are listed by `agora jobs schedules`.",
    ),
    setting(
        "geoip_database",
        "AGORA_GEOIP_DATABASE",
        "",
        "A MaxMind-format country database (`GeoLite2-Country.mmdb`) to tell a user's country from their address at onboarding, offline. Takes precedence over `geoip_url`. Neither: the country is left empty.",
    ),
    setting(
        "geoip_url",
        "AGORA_GEOIP_URL",
        "",
        "An ipapi-compatible HTTP lookup, `{ip}` standing for the address (`https://ipapi.co/{ip}/json/`); the answer's `country_code` (or `countryCode`, or `country`) is used. A failing or slow provider leaves the country empty.",
    ),
    setting(
        "geoip_timeout",
        "AGORA_GEOIP_TIMEOUT",
        "2s",
        "How long onboarding waits for the HTTP geolocation provider.",
    ),
    setting(
        "health_timeout",
        "AGORA_HEALTH_TIMEOUT",
        "2s",
        "How long `/health/ready` waits for each dependency before calling it down.",
    ),
    setting(
        "realtime_heartbeat",
        "AGORA_REALTIME_HEARTBEAT",
        "30s",
        "How often the server pings each WebSocket (`/api/v1/ws`); a socket that has sent nothing (no pong, no frame) for two intervals is closed.",
    ),
    setting(
        "realtime_send_queue",
        "AGORA_REALTIME_SEND_QUEUE",
        "256",
        "Events waiting to be sent to one WebSocket before the server gives up on that (slow) client and closes it; from 1 to 65536.",
    ),
    setting(
        "realtime_sockets_per_user",
        "AGORA_REALTIME_SOCKETS_PER_USER",
        "16",
        "WebSockets one account may hold open at once on this instance; one more is refused with 429 `too_many_sockets`. From 1 to 10000.",
    ),
    setting(
        "realtime_typing_rate",
        "AGORA_REALTIME_TYPING_RATE",
        "10/10s",
        "`typing` frames one WebSocket may send, as `count/period`; the frames over it are dropped, and the client is told once with an `error` frame `rate_limited`.",
    ),
    setting(
        "trusted_proxies",
        "AGORA_TRUSTED_PROXIES",
        "",
        "Reverse proxies (comma-separated addresses or CIDR ranges, `10.0.0.0/8,::1`) whose `X-Forwarded-For` is believed. The client address is then the right-most address in that header that is not itself a trusted proxy. Empty: the client is the peer of the TCP connection.",
    ),
    setting(
        "rate_limit_general",
        "AGORA_RATE_LIMIT_GENERAL",
        "300/1m",
        "Requests to `/api/v1` allowed per signed-in user (per client address when anonymous), as `count/period` (`300/1m`, `5000/1h`).",
    ),
    setting(
        "rate_limit_login",
        "AGORA_RATE_LIMIT_LOGIN",
        "10/15m",
        "Login attempts allowed per client address, and per account from one client network (IPv4 /24, IPv6 /64): an attacker elsewhere spends a budget that is not the owner's. An account is one budget whether it is named by username or email.",
    ),
    setting(
        "rate_limit_login_account",
        "AGORA_RATE_LIMIT_LOGIN_ACCOUNT",
        "100/1h",
        "Login attempts allowed per account from all networks together. Once spent, only networks that have signed in to that account before may keep trying (each within `rate_limit_login`); the owner at home is not locked out by an attacker elsewhere.",
    ),
    setting(
        "rate_limit_register",
        "AGORA_RATE_LIMIT_REGISTER",
        "3/1h",
        "Account registrations allowed per client address.",
    ),
    setting(
        "rate_limit_password_reset",
        "AGORA_RATE_LIMIT_PASSWORD_RESET",
        "5/1h",
        "Password reset requests allowed per client address and, separately, per email address.",
    ),
    setting(
        "rate_limit_fallback_instances",
        "AGORA_RATE_LIMIT_FALLBACK_INSTANCES",
        "2",
        "While Redis is configured but unreachable, each instance limits on its own with every budget divided by this number (the instances you run; from 1 to 1000), and keeps refusing the clients that were refused before the outage until their wait is over.",
    ),
    setting(
        "rate_limit_upload",
        "AGORA_RATE_LIMIT_UPLOAD",
        "60/1h",
        "Upload requests (`/media/upload`, profile pictures) allowed per user, whatever the number of files in each.",
    ),
    setting(
        "jwt_algorithm",
        "AGORA_JWT_ALGORITHM",
        "EdDSA",
        "How access tokens are signed: `EdDSA` (Ed25519, public key published at `/.well-known/jwks.json`) or `HS256` (shared secret, nothing published). Both keys are derived from `secret_key`.",
    ),
    setting(
        "auth_external_issuer",
        "AGORA_AUTH_EXTERNAL_ISSUER",
        "",
        "Accept access tokens from this external identity provider (its exact `iss`, e.g. `https://xyz.supabase.co/auth/v1`). Needs `auth_external_audience` and one of `auth_external_jwks_url` or `auth_external_secret`.",
    ),
    setting(
        "auth_external_audience",
        "AGORA_AUTH_EXTERNAL_AUDIENCE",
        "",
        "The `aud` that the external provider's tokens must carry (Supabase: `authenticated`).",
    ),
    setting(
        "auth_external_jwks_url",
        "AGORA_AUTH_EXTERNAL_JWKS_URL",
        "",
        "URL of the external provider's JWK set (asymmetric keys; fetched on first use, cached, and fetched again for an unknown key id).",
    ),
    setting(
        "auth_external_jwks_refresh",
        "AGORA_AUTH_EXTERNAL_JWKS_REFRESH",
        "30s",
        "Least time between two fetches of the external JWKS caused by tokens naming an unknown key id (protects the provider from floods of made-up key ids).",
    ),
    setting(
        "storage",
        "AGORA_STORAGE",
        "local",
        "Where uploaded media is kept: `local` (files under `<data_dir>/media/`) or `s3` (a bucket of Amazon S3 or any S3-compatible server: MinIO, Garage, R2, ...). Either way media is served by this server at `/media/{key}`.",
    ),
    setting(
        "media_url",
        "AGORA_MEDIA_URL",
        "",
        "Base URL media is served from when not by this server (a CDN or a separate origin in front of `/media/`, or of the bucket): URLs of uploads, thumbnails and profile pictures become `{media_url}/{key}`. Empty: `/media/{key}` of this server.",
    ),
    setting(
        "media_quota",
        "AGORA_MEDIA_QUOTA",
        "1GiB",
        "Bytes of media (stored originals, as `size` shows them) each user may keep, with a unit (`500MiB`, `2GiB`); `0`: no quota. An upload beyond it is refused with 413 `quota_exceeded`.",
    ),
    setting(
        "media_quota_unverified",
        "AGORA_MEDIA_QUOTA_UNVERIFIED",
        "100MiB",
        "The quota of a user whose email address is not verified yet (the smaller of this and `media_quota` applies); `0`: only `media_quota`.",
    ),
    setting(
        "s3_endpoint",
        "AGORA_S3_ENDPOINT",
        "",
        "URL of an S3-compatible server (`http://127.0.0.1:9000`), addressed path-style. Empty: Amazon S3 itself. `http://` is allowed for servers on a private network.",
    ),
    setting(
        "s3_bucket",
        "AGORA_S3_BUCKET",
        "",
        "The bucket media is stored in, for `storage = s3`.",
    ),
    setting(
        "s3_region",
        "AGORA_S3_REGION",
        "us-east-1",
        "Region of the bucket (most S3-compatible servers accept any value).",
    ),
    setting(
        "s3_access_key_id",
        "AGORA_S3_ACCESS_KEY_ID",
        "",
        "Access key id for `storage = s3`.",
    ),
    Setting {
        key: "s3_secret_access_key",
        env: "AGORA_S3_SECRET_ACCESS_KEY",
        default: "",
        secret: true,
        help: "Secret access key for `storage = s3`.",
    },
    Setting {
        key: "auth_external_secret",
        env: "AGORA_AUTH_EXTERNAL_SECRET",
        default: "",
        secret: true,
        help: "Shared HS256 secret of the external provider, instead of a JWKS URL.",
    },
    Setting {
        key: "secret_key",
        env: "AGORA_SECRET_KEY",
        default: "",
        secret: true,
        help: "Server secret (at least 32 characters) from which salts and signing keys are derived. Generated and kept in the data directory in development; required in production.",
    },
];

/// Where a value came from, to say so in error messages and in `agora config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(String),
    Env(&'static str),
    Generated,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(path) => write!(f, "{path}"),
            Origin::Env(name) => write!(f, "environment {name}"),
            Origin::Generated => f.write_str("generated"),
        }
    }
}

/// A configuration value that is wrong, with the setting it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// How the person set it: `AGORA_LISTEN` or `listen in ./agora.toml`.
    pub setting: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration: {}: {}",
            self.setting, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// A value that must not be printed or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Which database the URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// A rate-limit budget: `limit` requests per `period`, replenished evenly (GCRA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    pub limit: u32,
    pub period: Duration,
}

impl Rate {
    pub const fn new(limit: u32, period: Duration) -> Self {
        Self { limit, period }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            self.limit,
            humantime::format_duration(self.period)
        )
    }
}

/// The configured rate-limit budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub general: Rate,
    pub login: Rate,
    /// Logins per account from every network together (see `rate_limit_login_account`).
    pub login_account: Rate,
    pub register: Rate,
    pub password_reset: Rate,
    /// What each budget is divided by while Redis is down (`rate_limit_fallback_instances`).
    pub fallback_instances: u32,
    /// Upload requests per user.
    pub upload: Rate,
}

/// Media settings beyond where it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// Where media is served from, without a trailing slash; `None`: `/media/` of this server.
    pub url: Option<String>,
    /// Bytes each user may keep; `None`: no quota.
    pub quota: Option<u64>,
    /// Bytes a user with an unverified email may keep; `None`: only `quota` applies.
    pub quota_unverified: Option<u64>,
}

impl MediaConfig {
    /// The quota of a user (`None`: none).
    pub fn quota_of(&self, email_verified: bool) -> Option<u64> {
        match (
            self.quota,
            self.quota_unverified.filter(|_| !email_verified),
        ) {
            (Some(all), Some(unverified)) => Some(all.min(unverified)),
            (all, unverified) => all.or(unverified),
        }
    }
}

/// Settings of the real-time hub (`/api/v1/ws`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Realtime {
    /// How often each socket is pinged; silence for two intervals closes it.
    pub heartbeat: Duration,
    /// Events queued for one socket before it counts as too slow and is closed.
    pub send_queue: usize,
    /// Sockets one user may hold open on this instance.
    pub sockets_per_user: usize,
    /// `typing` frames one socket may send.
    pub typing_rate: Rate,
}

/// Limits on client connections, enforced by the accept loop (`crates/server/src/serve.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connections {
    /// A request's line and headers must have arrived this long after its first byte (or
    /// after the connection opened, for the first request).
    pub header_read_timeout: Duration,
    /// An idle connection between two requests is closed after this long.
    pub keep_alive_timeout: Duration,
    /// Most connections at once; `None`: from the file-descriptor limit.
    pub max: Option<usize>,
    /// Most connections at once from one client address (trusted proxies excepted).
    pub max_per_address: usize,
}

/// How access tokens are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    EdDsa,
    Hs256,
}

/// An external identity provider whose tokens are accepted.
#[derive(Debug, Clone)]
pub struct ExternalAuth {
    pub issuer: String,
    pub audience: String,
    pub keys: ExternalKeySource,
    /// Least time between two JWKS fetches.
    pub jwks_refresh: Duration,
}

/// Where the external provider's verification keys come from.
#[derive(Debug, Clone)]
pub enum ExternalKeySource {
    Jwks(url::Url),
    Secret(Secret),
}

/// How outgoing email leaves the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailTransport {
    /// Logged and written as `.eml` files under `<data_dir>/mail/`; nothing is sent.
    Log,
    /// Sent through an SMTP server.
    Smtp(SmtpUrl),
}

/// An SMTP server to send through, parsed from `smtp_url`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// User name and password for `AUTH`, when the URL has them.
    pub credentials: Option<(String, Secret)>,
    /// The URL as given, password replaced, for printing.
    redacted: String,
}

/// How the connection to the SMTP server is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (`smtp://host`): only for a relay on the same machine or network.
    None,
    /// `STARTTLS`, and the delivery fails when the server does not offer it (`?tls=starttls`).
    StartTls,
    /// `STARTTLS` when the server offers it, plain text otherwise (`?tls=opportunistic`).
    Opportunistic,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({})", self.redacted)
    }
}

/// Where to look up the country of an address.
#[derive(Debug, Clone)]
pub struct GeoIp {
    pub database: Option<PathBuf>,
    /// With `{ip}` where the address goes.
    pub url: Option<String>,
    pub timeout: Duration,
}

/// Where uploaded media is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// Files under this directory (`<data_dir>/media`).
    Local(PathBuf),
    /// A bucket of S3 or an S3-compatible server.
    S3(S3Config),
}

/// An S3 bucket and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// An S3-compatible server (path-style requests); `None` for Amazon S3.
    pub endpoint: Option<url::Url>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub public_url: url::Url,
    /// Where links in emails lead; ends with `/`.
    pub app_url: url::Url,
    pub env: Environment,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub database_kind: DatabaseKind,
    pub database_max_connections: u32,
    pub database_acquire_timeout: Duration,
    pub redis_url: Option<url::Url>,
    pub email_transport: EmailTransport,
    /// Sender of outgoing email.
    pub email_from: lettre::message::Mailbox,
    pub redis_prefix: String,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub rate_limits: RateLimits,
    pub realtime: Realtime,
    pub connections: Connections,
    pub storage: StorageConfig,
    pub media: MediaConfig,
    pub modules: Vec<String>,
    pub cors_origins: Vec<String>,
    pub log_format: LogFormat,
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub health_timeout: Duration,
    /// Jobs run at once by this instance's worker (0: none).
    pub jobs_workers: usize,
    pub jobs_poll_interval: Duration,
    /// Schedule name → cron expression or `off`, replacing the built-in defaults.
    pub schedules: BTreeMap<String, String>,
    /// Where onboarding looks up a user's country.
    pub geoip: GeoIp,
    pub jwt_algorithm: JwtAlgorithm,
    pub external_auth: Option<ExternalAuth>,
    /// `None` until the server resolves it (from the data directory in development).
    pub secret_key: Option<Secret>,
    /// Where each setting's value came from, by key.
    pub origins: BTreeMap<&'static str, Origin>,
}

/// The contents of a configuration file.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// How to name the file in messages (its path).
    pub name: String,
    pub contents: String,
}

/// Values gathered from the layers, before they are parsed.
struct Layers {
    values: BTreeMap<&'static str, (String, Origin)>,
}

impl Layers {
    fn raw(&self, key: &'static str) -> Option<(&str, &Origin)> {
        self.values
            .get(key)
            .map(|(value, origin)| (value.as_str(), origin))
            .filter(|(value, _)| !value.trim().is_empty())
    }

    /// Parses one setting, naming where its value came from when it is wrong.
    fn parse<T>(
        &self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        match self.raw(key) {
            None => Ok(None),
            Some((value, origin)) => parse(value.trim())
                .map(Some)
                .map_err(|message| ConfigError {
                    setting: describe(key, origin),
                    message,
                }),
        }
    }

    fn required<T>(
        &self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        self.parse(key, parse)?.ok_or_else(|| ConfigError {
            setting: describe(key, &Origin::Default),
            message: "must not be empty".to_owned(),
        })
    }
}

fn lookup(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// How a person would find the setting: by the variable or file that set it.
fn describe(key: &str, origin: &Origin) -> String {
    let env = lookup(key).map_or(key, |s| s.env);
    match origin {
        Origin::Env(name) => (*name).to_owned(),
        Origin::File(path) => format!("`{key}` in {path}"),
        Origin::Default | Origin::Generated => format!("{env} (`{key}`)"),
    }
}

impl Config {
    /// A warning for the start-up log when this instance looks like one of several (Redis is
    /// configured) but its `public_url` is the default made from `listen`: the access-token
    /// issuer comes from it, so instances on other ports or hosts would refuse each other's
    /// tokens (README, "Running several instances").
    pub fn multi_instance_warning(&self) -> Option<String> {
        let public_url_is_default =
            matches!(self.origins.get("public_url"), Some(Origin::Default) | None);
        (self.redis_url.is_some() && public_url_is_default).then(|| {
            format!(
                "REDIS_URL is set but AGORA_PUBLIC_URL is not: this instance's public URL (and the \
                 issuer of its access tokens) is {}, made from its listen address, so other \
                 instances will refuse its tokens; give every instance the same public_url",
                self.public_url
            )
        })
    }

    /// Builds the configuration from the defaults, an optional file and the environment.
    pub fn load(
        file: Option<&ConfigFile>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut values: BTreeMap<&'static str, (String, Origin)> = SETTINGS
            .iter()
            .map(|s| (s.key, (s.default.to_owned(), Origin::Default)))
            .collect();

        if let Some(file) = file {
            for (key, value) in read_file(file)? {
                values.insert(key, (value, Origin::File(file.name.clone())));
            }
        }
        for setting in SETTINGS {
            // An empty variable counts as unset (container tools often pass them empty).
            if let Some(value) = env(setting.env).filter(|v| !v.trim().is_empty()) {
                values.insert(setting.key, (value, Origin::Env(setting.env)));
            }
        }
        let layers = Layers { values };
        Self::from_layers(&layers)
    }

    fn from_layers(layers: &Layers) -> Result<Config, ConfigError> {
        let listen: SocketAddr = layers.required("listen", |v| {
            v.parse()
                .map_err(|_| format!("`{v}` is not an address and port such as 127.0.0.1:8080"))
        })?;
        let env = layers.required("env", |v| match v {
            "development" => Ok(Environment::Development),
            "production" => Ok(Environment::Production),
            other => Err(format!("`{other}` is not one of: development, production")),
        })?;
        let data_dir = PathBuf::from(layers.required("data_dir", |v| Ok(v.to_owned()))?);

        let database_url = match layers.parse("database_url", parse_database_url)? {
            Some(url) => url,
            None => {
                let path = data_dir.join("agora.db");
                (format!("sqlite://{}", path.display()), DatabaseKind::Sqlite)
            }
        };
        let database_max_connections =
            layers.required("database_max_connections", |v| match v.parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a whole number from 1 to 1000")),
            })?;
        let database_acquire_timeout =
            layers.required("database_acquire_timeout", parse_duration)?;
        let redis_url = layers.parse("redis_url", parse_redis_url)?;
        let redis_prefix = layers
            .parse("redis_prefix", |v| {
                if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    Err("must not contain spaces or control characters".to_owned())
                } else {
                    Ok(v.to_owned())
                }
            })?
            .unwrap_or_default();
        let trusted_proxies = layers
            .parse("trusted_proxies", parse_networks)?
            .unwrap_or_default();
        let rate_limits = RateLimits {
            general: layers.required("rate_limit_general", parse_rate)?,
            login: layers.required("rate_limit_login", parse_rate)?,
            login_account: layers.required("rate_limit_login_account", parse_rate)?,
            register: layers.required("rate_limit_register", parse_rate)?,
            password_reset: layers.required("rate_limit_password_reset", parse_rate)?,
            fallback_instances: layers.required("rate_limit_fallback_instances", |v| match v
                .parse::<u32>()
            {
                Ok(n) if (1..=1000).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a whole number from 1 to 1000")),
            })?,
            upload: layers.required("rate_limit_upload", parse_rate)?,
        };
        let realtime = Realtime {
            heartbeat: layers.required("realtime_heartbeat", parse_duration)?,
            send_queue: layers.required("realtime_send_queue", |v| match v.parse::<usize>() {
                Ok(n) if (1..=65_536).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a whole number from 1 to 65536")),
            })?,
            sockets_per_user: layers.required("realtime_sockets_per_user", |v| {
                match v.parse::<usize>() {
                    Ok(n) if (1..=10_000).contains(&n) => Ok(n),
                    _ => Err(format!("`{v}` is not a whole number from 1 to 10000")),
                }
            })?,
            typing_rate: layers.required("realtime_typing_rate", parse_rate)?,
        };
        let connections = Connections {
            header_read_timeout: layers.required("header_read_timeout", parse_duration)?,
            keep_alive_timeout: layers.required("keep_alive_timeout", parse_duration)?,
            max: layers.required("max_connections", |v| match v {
                "auto" => Ok(None),
                _ => match v.parse::<usize>() {
                    Ok(n) if (1..=1_000_000).contains(&n) => Ok(Some(n)),
                    _ => Err(format!(
                        "`{v}` is not `auto` or a whole number from 1 to 1000000"
                    )),
                },
            })?,
            max_per_address: layers.required("max_connections_per_address", |v| {
                match v.parse::<usize>() {
                    Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
                    _ => Err(format!("`{v}` is not a whole number from 1 to 1000000")),
                }
            })?,
        };
        let storage = storage(layers, &data_dir)?;
        let media = MediaConfig {
            url: layers.parse("media_url", |v| {
                parse_public_url(v).map(|url| url.as_str().trim_end_matches('/').to_owned())
            })?,
            quota: layers.required("media_quota", parse_quota)?,
            quota_unverified: layers.required("media_quota_unverified", parse_quota)?,
        };
        let smtp_url = layers.parse("smtp_url", parse_smtp_url)?;
        let email_transport = match layers.required("email_transport", |v| match v {
            "log" | "smtp" => Ok(v == "smtp"),
            other => Err(format!("`{other}` is not one of: log, smtp")),
        })? {
            false => EmailTransport::Log,
            true => EmailTransport::Smtp(smtp_url.ok_or_else(|| ConfigError {
                setting: describe("smtp_url", &Origin::Default),
                message: "must be set when the email transport is `smtp`".to_owned(),
            })?),
        };
        let email_from = layers.required("email_from", |v| {
            v.parse::<lettre::message::Mailbox>().map_err(|_| {
                format!("`{v}` is not an email address such as `Agora <noreply@example.com>`")
            })
        })?;
        let modules = layers.parse("modules", parse_modules)?.unwrap_or_default();
        let cors_origins = layers
            .parse("cors_origins", parse_origins)?
            .unwrap_or_default();
        let log_format = layers.required("log_format", |v| match v {
            "pretty" => Ok(Some(LogFormat::Pretty)),
            "json" => Ok(Some(LogFormat::Json)),
            "auto" => Ok(None),
            other => Err(format!("`{other}` is not one of: auto, pretty, json")),
        })?;
        let log_format = log_format.unwrap_or(match env {
            Environment::Development => LogFormat::Pretty,
            Environment::Production => LogFormat::Json,
        });
        let body_limit = layers.required("body_limit", parse_size)?;
        let request_timeout = layers.required("request_timeout", parse_duration)?;
        let shutdown_timeout = layers.required("shutdown_timeout", parse_duration)?;
        let health_timeout = layers.required("health_timeout", parse_duration)?;
        let jobs_workers = layers.required("jobs_workers", |v| match v.parse::<usize>() {
            Ok(n) if n <= 256 => Ok(n),
            _ => Err(format!("`{v}` is not a whole number from 0 to 256")),
        })?;
        let jobs_poll_interval = layers.required("jobs_poll_interval", parse_duration)?;
        let schedules = layers
            .parse("schedules", parse_schedules)?
            .unwrap_or_default();
        let geoip = GeoIp {
            database: layers.parse("geoip_database", |v| Ok(PathBuf::from(v)))?,
            url: layers.parse("geoip_url", |v| {
                let url = v.replace("{ip}", "192.0.2.1");
                match url::Url::parse(&url) {
                    Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(v.to_owned()),
                    _ => Err(format!("`{v}` is not an http(s) URL with `{{ip}}` in it")),
                }
            })?,
            timeout: layers.required("geoip_timeout", parse_duration)?,
        };
        let public_url = match layers.parse("public_url", parse_public_url)? {
            Some(url) => url,
            None => {
                parse_public_url(&format!("http://{listen}")).map_err(|message| ConfigError {
                    setting: describe("listen", &Origin::Default),
                    message,
                })?
            }
        };
        let mut app_url = layers
            .parse("app_url", parse_public_url)?
            .unwrap_or_else(|| public_url.clone());
        // Links are joined onto it: `https://app.example/my` must mean the folder `my/`.
        if !app_url.path().ends_with('/') {
            let path = format!("{}/", app_url.path());
            app_url.set_path(&path);
        }
        let jwt_algorithm = layers.required("jwt_algorithm", |v| match v {
            "EdDSA" => Ok(JwtAlgorithm::EdDsa),
            "HS256" => Ok(JwtAlgorithm::Hs256),
            _ => Err("must be `EdDSA` or `HS256`".to_owned()),
        })?;
        let external_auth = external_auth(layers)?;
        let secret_key = layers.parse("secret_key", |v| {
            if v.chars().count() < 32 {
                Err("must be at least 32 characters long".to_owned())
            } else {
                Ok(Secret::new(v))
            }
        })?;

        Ok(Config {
            listen,
            public_url,
            app_url,
            env,
            data_dir,
            database_url: database_url.0,
            database_kind: database_url.1,
            database_max_connections,
            database_acquire_timeout,
            redis_url,
            email_transport,
            email_from,
            redis_prefix,
            trusted_proxies,
            rate_limits,
            realtime,
            connections,
            storage,
            media,
            modules,
            cors_origins,
            log_format,
            body_limit,
            request_timeout,
            shutdown_timeout,
            health_timeout,
            jobs_workers,
            jobs_poll_interval,
            schedules,
            geoip,
            jwt_algorithm,
            external_auth,
            secret_key,
            origins: layers
                .values
                .iter()
                .map(|(key, (_, origin))| (*key, origin.clone()))
                .collect(),
        })
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    /// The S3 bucket, when media is stored in one.
    pub fn s3(&self) -> Option<&S3Config> {
        match &self.storage {
            StorageConfig::S3(s3) => Some(s3),
            StorageConfig::Local(_) => None,
        }
    }

    pub fn module_enabled(&self, module: &str) -> bool {
        self.modules.iter().any(|m| m == module)
    }

    /// Every setting with its effective value (secrets hidden) and origin, for `agora config`.
    pub fn effective(&self) -> Vec<(&'static Setting, String, Origin)> {
        SETTINGS
            .iter()
            .map(|setting| {
                let value = match setting.key {
                    "listen" => self.listen.to_string(),
                    "public_url" => self.public_url.to_string(),
                    "app_url" => self.app_url.to_string(),
                    "env" => match self.env {
                        Environment::Development => "development".to_owned(),
                        Environment::Production => "production".to_owned(),
                    },
                    "data_dir" => self.data_dir.display().to_string(),
                    "database_url" => redact_url_password(&self.database_url),
                    "database_max_connections" => self.database_max_connections.to_string(),
                    "database_acquire_timeout" => {
                        humantime::format_duration(self.database_acquire_timeout).to_string()
                    }
                    "redis_url" => self
                        .redis_url
                        .as_ref()
                        .map(|u| redact_url_password(u.as_str()))
                        .unwrap_or_default(),
                    "email_transport" => match self.email_transport {
                        EmailTransport::Log => "log".to_owned(),
                        EmailTransport::Smtp(_) => "smtp".to_owned(),
                    },
                    "smtp_url" => match &self.email_transport {
                        EmailTransport::Log => String::new(),
                        EmailTransport::Smtp(url) => url.to_string(),
                    },
                    "email_from" => self.email_from.to_string(),
                    "redis_prefix" => self.redis_prefix.clone(),
                    "trusted_proxies" => self
                        .trusted_proxies
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    "rate_limit_general" => self.rate_limits.general.to_string(),
                    "rate_limit_login" => self.rate_limits.login.to_string(),
                    "rate_limit_login_account" => self.rate_limits.login_account.to_string(),
                    "rate_limit_fallback_instances" => {
                        self.rate_limits.fallback_instances.to_string()
                    }
                    "rate_limit_register" => self.rate_limits.register.to_string(),
                    "rate_limit_password_reset" => self.rate_limits.password_reset.to_string(),
                    "rate_limit_upload" => self.rate_limits.upload.to_string(),
                    "media_url" => self.media.url.clone().unwrap_or_default(),
                    "media_quota" => self.media.quota.unwrap_or(0).to_string(),
                    "media_quota_unverified" => {
                        self.media.quota_unverified.unwrap_or(0).to_string()
                    }
                    "realtime_heartbeat" => {
                        humantime::format_duration(self.realtime.heartbeat).to_string()
                    }
                    "realtime_send_queue" => self.realtime.send_queue.to_string(),
                    "realtime_sockets_per_user" => self.realtime.sockets_per_user.to_string(),
                    "realtime_typing_rate" => self.realtime.typing_rate.to_string(),
                    "header_read_timeout" => {
                        humantime::format_duration(self.connections.header_read_timeout).to_string()
                    }
                    "keep_alive_timeout" => {
                        humantime::format_duration(self.connections.keep_alive_timeout).to_string()
                    }
                    "max_connections" => self
                        .connections
                        .max
                        .map_or_else(|| "auto".to_owned(), |n| n.to_string()),
                    "max_connections_per_address" => self.connections.max_per_address.to_string(),
                    "storage" => match self.storage {
                        StorageConfig::Local(_) => "local".to_owned(),
                        StorageConfig::S3(_) => "s3".to_owned(),
                    },
                    "s3_endpoint" => self
                        .s3()
                        .and_then(|s3| s3.endpoint.as_ref())
                        .map(|u| redact_url_password(u.as_str()))
                        .unwrap_or_default(),
                    "s3_bucket" => self.s3().map(|s3| s3.bucket.clone()).unwrap_or_default(),
                    "s3_region" => self
                        .s3()
                        .map(|s3| s3.region.clone())
                        .unwrap_or_else(|| setting.default.to_owned()),
                    "s3_access_key_id" => self
                        .s3()
                        .and_then(|s3| s3.access_key_id.clone())
                        .unwrap_or_default(),
                    "s3_secret_access_key" => match self.s3().map(|s3| &s3.secret_access_key) {
                        Some(Some(_)) => "********".to_owned(),
                        _ => String::new(),
                    },
                    "modules" => self.modules.join(","),
                    "cors_origins" => self.cors_origins.join(","),
                    "log_format" => match self.log_format {
                        LogFormat::Pretty => "pretty".to_owned(),
                        LogFormat::Json => "json".to_owned(),
                    },
                    "body_limit" => self.body_limit.to_string(),
                    "request_timeout" => {
                        humantime::format_duration(self.request_timeout).to_string()
                    }
                    "shutdown_timeout" => {
                        humantime::format_duration(self.shutdown_timeout).to_string()
                    }
                    "health_timeout" => humantime::format_duration(self.health_timeout).to_string(),
                    "jobs_workers" => self.jobs_workers.to_string(),
                    "geoip_database" => self
                        .geoip
                        .database
                        .as_ref()
                        .map(|path| path.display().to_string())
                        .unwrap_or_default(),
                    "geoip_url" => self.geoip.url.clone().unwrap_or_default(),
                    "geoip_timeout" => humantime::format_duration(self.geoip.timeout).to_string(),
                    "jobs_poll_interval" => {
                        humantime::format_duration(self.jobs_poll_interval).to_string()
                    }
                    "schedules" => self
                        .schedules
                        .iter()
                        .map(|(name, cron)| format!("{name}={cron}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                    "jwt_algorithm" => match self.jwt_algorithm {
                        JwtAlgorithm::EdDsa => "EdDSA".to_owned(),
                        JwtAlgorithm::Hs256 => "HS256".to_owned(),
                    },
                    "auth_external_issuer" => self
                        .external_auth
                        .as_ref()
                        .map(|e| e.issuer.clone())
                        .unwrap_or_default(),
                    "auth_external_audience" => self
                        .external_auth
                        .as_ref()
                        .map(|e| e.audience.clone())
                        .unwrap_or_default(),
                    "auth_external_jwks_url" => {
                        match self.external_auth.as_ref().map(|e| &e.keys) {
                            Some(ExternalKeySource::Jwks(url)) => url.to_string(),
                            _ => String::new(),
                        }
                    }
                    "auth_external_jwks_refresh" => self
                        .external_auth
                        .as_ref()
                        .map(|e| humantime::format_duration(e.jwks_refresh).to_string())
                        .unwrap_or_else(|| setting.default.to_owned()),
                    "auth_external_secret" => match self.external_auth.as_ref().map(|e| &e.keys) {
                        Some(ExternalKeySource::Secret(_)) => "********".to_owned(),
                        _ => String::new(),
                    },
                    _ if setting.secret => match self.secret_key {
                        Some(_) => "********".to_owned(),
                        None => String::new(),
                    },
                    _ => String::new(),
                };
                let origin = self
                    .origins
                    .get(setting.key)
                    .cloned()
                    .unwrap_or(Origin::Default);
                (setting, value, origin)
            })
            .collect()
    }
}

/// The configuration reference in Markdown, generated from [`SETTINGS`].
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Configuration reference\n\n\
         Generated by `agora config --reference`; do not edit by hand.\n\n\
         Each setting is read from, in rising priority: its default, `agora.toml` (in the working \
         directory, or the file named by `--config` or `AGORA_CONFIG`), and its environment \
         variable. Logging is filtered with `RUST_LOG` (e.g. `RUST_LOG=agora=debug,info`).\n\n\
         | `agora.toml` key | environment | default | description |\n|---|---|---|---|\n",
    );
    for s in SETTINGS {
        let default = if s.default.is_empty() {
            "–".to_owned()
        } else {
            format!("`{}`", s.default)
        };
        let help = if s.secret {
            format!("{} *(secret)*", s.help)
        } else {
            s.help.to_owned()
        };
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            s.key, s.env, default, help
        ));
    }
    out
}

/// The `storage` setting and, for `s3`, the bucket settings it needs.
fn storage(layers: &Layers, data_dir: &std::path::Path) -> Result<StorageConfig, ConfigError> {
    let s3 = layers.required("storage", |v| match v {
        "local" | "s3" => Ok(v == "s3"),
        other => Err(format!("`{other}` is not one of: local, s3")),
    })?;
    if !s3 {
        return Ok(StorageConfig::Local(data_dir.join("media")));
    }
    let endpoint = layers.parse("s3_endpoint", |v| {
        let url = url::Url::parse(v).map_err(|e| format!("not a URL ({e})"))?;
        match url.scheme() {
            "http" | "https" if url.host_str().is_some() => Ok(url),
            _ => Err("must be an http:// or https:// URL with a host".to_owned()),
        }
    })?;
    let bucket = layers.parse("s3_bucket", |v| {
        let ok = (3..=63).contains(&v.len())
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if ok {
            Ok(v.to_owned())
        } else {
            Err(format!(
                "`{v}` is not a bucket name (3 to 63 lowercase letters, digits, `-` and `.`)"
            ))
        }
    })?;
    let bucket = bucket.ok_or_else(|| ConfigError {
        setting: describe("s3_bucket", &Origin::Default),
        message: "must be set when `storage` is `s3`".to_owned(),
    })?;
    let region = layers.required("s3_region", |v| Ok(v.to_owned()))?;
    let access_key_id = layers.parse("s3_access_key_id", |v| Ok(v.to_owned()))?;
    let secret_access_key = layers.parse("s3_secret_access_key", |v| Ok(Secret::new(v)))?;
    if access_key_id.is_some() != secret_access_key.is_some() {
        let missing = if access_key_id.is_some() {
            "s3_secret_access_key"
        } else {
            "s3_access_key_id"
        };
        return Err(ConfigError {
            setting: describe(missing, &Origin::Default),
            message: "the access key id and the secret access key go together".to_owned(),
        });
    }
    Ok(StorageConfig::S3(S3Config {
        endpoint,
        bucket,
        region,
        access_key_id,
        secret_access_key,
    }))
}

fn read_file(file: &ConfigFile) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let table: toml::Table = file
        .contents
        .parse()
        .map_err(|e: toml::de::Error| ConfigError {
            setting: match e.span() {
                Some(span) => {
                    let (line, column) = line_and_column(&file.contents, span.start);
                    format!("{} (line {line}, column {column})", file.name)
                }
                None => file.name.clone(),
            },
            message: format!("not valid TOML: {}", e.message()),
        })?;
    let mut flat = Vec::new();
    flatten("", &table, &mut flat);
    flat.into_iter()
        .map(|(key, value)| {
            let setting = lookup(&key).ok_or_else(|| ConfigError {
                setting: format!("`{key}` in {}", file.name),
                message: "unknown setting (see `agora config --reference`)".to_owned(),
            })?;
            let value = value.map_err(|message| ConfigError {
                setting: format!("`{key}` in {}", file.name),
                message,
            })?;
            Ok((setting.key, value))
        })
        .collect()
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

type FlatValue = Result<String, String>;

fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, FlatValue)>) {
    for (key, value) in table {
        let key = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&key, inner, out),
            toml::Value::Array(items) => {
                let joined: Result<Vec<String>, String> = items.iter().map(scalar).collect();
                out.push((key, joined.map(|items| items.join(","))));
            }
            other => out.push((key, scalar(other))),
        }
    }
}

fn scalar(value: &toml::Value) -> FlatValue {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        toml::Value::Datetime(d) => Ok(d.to_string()),
        toml::Value::Array(_) | toml::Value::Table(_) => {
            Err("expected a string, number or list of strings".to_owned())
        }
    }
}

fn parse_database_url(value: &str) -> Result<(String, DatabaseKind), String> {
    let scheme = value.split(':').next().unwrap_or_default();
    match scheme {
        "sqlite" => {
            if value.contains(":memory:") || value.contains("mode=memory") {
                return Err(
                    "an in-memory SQLite database is not supported (each connection would see \
                     its own); use a file"
                        .to_owned(),
                );
            }
            Ok((value.to_owned(), DatabaseKind::Sqlite))
        }
        "postgres" | "postgresql" => {
            url::Url::parse(value).map_err(|e| format!("not a valid URL ({e})"))?;
            Ok((value.to_owned(), DatabaseKind::Postgres))
        }
        _ => Err("must start with sqlite:// (a file) or postgres:// (a server)".to_owned()),
    }
}

/// Parses `smtp_url`. Messages never quote the value: it may hold a password.
fn parse_smtp_url(value: &str) -> Result<SmtpUrl, String> {
    let url = url::Url::parse(value).map_err(|e| format!("not a URL ({e})"))?;
    let host = match url.host_str() {
        Some(host) if !host.is_empty() => host.trim_start_matches('[').trim_end_matches(']'),
        _ => return Err("has no host (e.g. smtp://mail.example.com:587?tls=starttls)".to_owned()),
    };
    if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
        return Err("must not have a path or fragment".to_owned());
    }
    let mut tls_param = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "tls" if tls_param.is_none() => tls_param = Some(value.into_owned()),
            "tls" => return Err("gives `tls` twice".to_owned()),
            other => return Err(format!("unknown parameter `{other}`; only `tls` is read")),
        }
    }
    let tls = match (url.scheme(), tls_param.as_deref()) {
        ("smtp", None | Some("none")) => SmtpTls::None,
        ("smtp", Some("starttls" | "required")) => SmtpTls::StartTls,
        ("smtp", Some("opportunistic")) => SmtpTls::Opportunistic,
        ("smtp", Some(other)) => {
            return Err(format!(
                "`tls={other}` is not one of: starttls, opportunistic, none"
            ));
        }
        ("smtps", None) => SmtpTls::Implicit,
        ("smtps", Some(_)) => {
            return Err("smtps:// is TLS from the start; `tls` does not apply".to_owned());
        }
        (other, _) => {
            return Err(format!(
                "scheme `{other}` is not supported; use smtp:// or smtps://"
            ));
        }
    };
    let port = url.port().unwrap_or(match tls {
        SmtpTls::None => 25,
        SmtpTls::StartTls | SmtpTls::Opportunistic => 587,
        SmtpTls::Implicit => 465,
    });
    let decode = |part: &str, what: &str| {
        percent_decode(part).ok_or_else(|| format!("the {what} is not valid percent-encoded UTF-8"))
    };
    let credentials = match (url.username(), url.password()) {
        ("", None) => None,
        ("", Some(_)) => return Err("has a password but no user name".to_owned()),
        (_, None) => return Err("has a user name but no password".to_owned()),
        (user, Some(password)) => Some((
            decode(user, "user name")?,
            Secret::new(decode(password, "password")?),
        )),
    };
    Ok(SmtpUrl {
        host: host.to_owned(),
        port,
        tls,
        credentials,
        redacted: redact_url_password(value),
    })
}

/// Decodes `%XX` escapes; `None` when they do not form UTF-8.
fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = value
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn parse_redis_url(value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "redis" => {}
        // The redis client is built without TLS (it would bring a second TLS stack); a TLS
        // tunnel or a private network carries plain redis:// until that is needed.
        "rediss" => return Err("TLS (rediss://) is not supported yet; use redis://".to_owned()),
        other => return Err(format!("scheme `{other}` is not supported; use redis://")),
    }
    match url.host_str() {
        None | Some("") => return Err("names no host (redis://host:port/db)".to_owned()),
        Some("0.0.0.0" | "[::]") => return Err("a wildcard address is not a server".to_owned()),
        Some(_) => {}
    }
    let db = url.path().trim_matches('/');
    if !db.is_empty() && db.parse::<u16>().is_err() {
        return Err(format!("`{db}` is not a database number"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("query parameters and fragments are not supported".to_owned());
    }
    Ok(url)
}

/// `10.0.0.0/8, 192.168.1.10, ::1`: networks, a bare address being a network of one.
fn parse_networks(value: &str) -> Result<Vec<ipnet::IpNet>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|network| {
            network
                .parse::<ipnet::IpNet>()
                .map(|net| net.trunc())
                .or_else(|_| network.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    format!("`{network}` is not an address or a CIDR range such as 10.0.0.0/8")
                })
        })
        .collect()
}

/// `300/1m`: a count and a period.
fn parse_rate(value: &str) -> Result<Rate, String> {
    let error = || format!("`{value}` is not a rate such as 300/1m or 10/15m");
    let (limit, period) = value.split_once('/').ok_or_else(error)?;
    let limit: u32 = limit.trim().parse().map_err(|_| error())?;
    let period = humantime::parse_duration(period.trim()).map_err(|_| error())?;
    if !(1..=1_000_000).contains(&limit) {
        return Err("the count must be from 1 to 1000000".to_owned());
    }
    if period < Duration::from_millis(1) || period > Duration::from_secs(30 * 24 * 3600) {
        return Err("the period must be from 1ms to 30 days".to_owned());
    }
    if period.as_micros() < u128::from(limit) {
        return Err(
            "at most one request per microsecond (the count is too large for the period)"
                .to_owned(),
        );
    }
    Ok(Rate { limit, period })
}

fn parse_modules(value: &str) -> Result<Vec<String>, String> {
    let mut modules = Vec::new();
    if value.eq_ignore_ascii_case("none") {
        return Ok(modules);
    }
    for name in value.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let name = name.to_ascii_lowercase();
        if !MODULES.contains(&name.as_str()) {
            return Err(format!(
                "unknown module `{name}`; modules are: {}",
                MODULES.join(", ")
            ));
        }
        if !modules.contains(&name) {
            modules.push(name);
        }
    }
    Ok(modules)
}

fn parse_origins(value: &str) -> Result<Vec<String>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            if origin == "*" {
                return Err(
                    "`*` is not allowed because the API allows credentials; list each origin"
                        .to_owned(),
                );
            }
            let url = url::Url::parse(origin)
                .map_err(|_| format!("`{origin}` is not an origin such as https://app.example.com"))?;
            let bare = matches!(url.scheme(), "http" | "https")
                && url.host().is_some()
                && url.path() == "/"
                && url.query().is_none()
                && url.fragment().is_none()
                && !origin.ends_with('/');
            if !bare {
                return Err(format!(
                    "`{origin}` is not an origin: scheme, host and optional port only, e.g. https://app.example.com"
                ));
            }
            Ok(url.origin().ascii_serialization())
        })
        .collect()
}

/// The external provider settings: all or nothing, and exactly one key source.
fn external_auth(layers: &Layers) -> Result<Option<ExternalAuth>, ConfigError> {
    let issuer = layers.parse("auth_external_issuer", |v| Ok(v.to_owned()))?;
    let audience = layers.parse("auth_external_audience", |v| Ok(v.to_owned()))?;
    let jwks_url = layers.parse("auth_external_jwks_url", |v| {
        url::Url::parse(v)
            .map_err(|e| format!("is not a URL: {e}"))
            .and_then(|url| match url.scheme() {
                "http" | "https" => Ok(url),
                other => Err(format!("must be an http or https URL, not {other}")),
            })
    })?;
    let secret = layers.parse("auth_external_secret", |v| {
        if v.len() < 32 {
            Err("must be at least 32 characters long".to_owned())
        } else {
            Ok(Secret::new(v))
        }
    })?;
    let error = |key: &'static str, message: &str| {
        let origin = layers
            .values
            .get(key)
            .map_or(Origin::Default, |(_, origin)| origin.clone());
        Err(ConfigError {
            setting: describe(key, &origin),
            message: message.to_owned(),
        })
    };
    let Some(issuer) = issuer else {
        if audience.is_some() || jwks_url.is_some() || secret.is_some() {
            return error(
                "auth_external_issuer",
                "must be set when other auth_external_ settings are",
            );
        }
        return Ok(None);
    };
    let Some(audience) = audience else {
        return error(
            "auth_external_audience",
            "must be set with auth_external_issuer",
        );
    };
    let keys = match (jwks_url, secret) {
        (Some(url), None) => ExternalKeySource::Jwks(url),
        (None, Some(secret)) => ExternalKeySource::Secret(secret),
        (Some(_), Some(_)) => {
            return error(
                "auth_external_secret",
                "set either auth_external_jwks_url or auth_external_secret, not both",
            );
        }
        (None, None) => {
            return error(
                "auth_external_jwks_url",
                "or auth_external_secret must be set with auth_external_issuer",
            );
        }
    };
    Ok(Some(ExternalAuth {
        issuer,
        audience,
        keys,
        jwks_refresh: layers.required("auth_external_jwks_refresh", parse_duration)?,
    }))
}

fn parse_public_url(value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value).map_err(|e| format!("`{value}` is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("`{value}` must be an http:// or https:// URL"));
    }
    Ok(url)
}

/// `name=cron; name=off`: the cron expressions are checked when the scheduler starts, where
/// the schedules are known.
fn parse_schedules(value: &str) -> Result<BTreeMap<String, String>, String> {
    let mut schedules = BTreeMap::new();
    for pair in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, cron) = pair
            .split_once('=')
            .map(|(name, cron)| (name.trim(), cron.trim()))
            .filter(|(name, cron)| !name.is_empty() && !cron.is_empty())
            .ok_or_else(|| format!("`{pair}` is not `name=cron expression` (or `name=off`)"))?;
        if schedules.insert(name.to_owned(), cron.to_owned()).is_some() {
            return Err(format!("`{name}` is given twice"));
        }
    }
    Ok(schedules)
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value)
        .map_err(|_| format!("`{value}` is not a duration such as 30s, 500ms or 2m"))?;
    if duration.is_zero() {
        return Err("must be longer than zero".to_owned());
    }
    Ok(duration)
}

/// A size, or `0` for none.
fn parse_quota(value: &str) -> Result<Option<u64>, String> {
    if value.trim() == "0" {
        return Ok(None);
    }
    parse_size(value).map(|bytes| Some(bytes as u64))
}

fn parse_size(value: &str) -> Result<usize, String> {
    let error = || format!("`{value}` is not a size such as 1048576, 512KiB or 2MiB");
    let digits_end = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(digits_end);
    let number: usize = number.parse().map_err(|_| error())?;
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "kb" | "k" => 1 << 10,
        "mib" | "mb" | "m" => 1 << 20,
        "gib" | "gb" | "g" => 1 << 30,
        _ => return Err(error()),
    };
    let bytes = number.checked_mul(multiplier).ok_or_else(error)?;
    if bytes == 0 {
        return Err("must be larger than zero".to_owned());
    }
    Ok(bytes)
}

/// Replaces the password of a URL with `********`.
pub fn redact_url_password(value: &str) -> String {
    match url::Url::parse(value) {
        Ok(mut url) if url.password().is_some() => {
            // Only fails for URLs that cannot have a password, which this one has.
            let _ = url.set_password(Some("********"));
            url.to_string()
        }
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let file = file.map(|contents| ConfigFile {
            name: "agora.toml".to_owned(),
            contents: contents.to_owned(),
        });
        Config::load(file.as_ref(), |name| env.get(name).cloned())
    }

    #[test]
    fn defaults_need_no_configuration() {
        let config = load(None, &[]).expect("defaults are valid");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_kind, DatabaseKind::Sqlite);
        assert_eq!(config.database_url, "sqlite://./data/agora.db");
        assert_eq!(config.modules, MODULES);
        assert_eq!(config.env, Environment::Development);
        assert_eq!(config.log_format, LogFormat::Pretty);
        assert_eq!(config.body_limit, 2 << 20);
        assert_eq!(config.public_url.as_str(), "http://127.0.0.1:8080/");
        assert!(config.secret_key.is_none());
    }

    #[test]
    fn the_environment_overrides_the_file_which_overrides_defaults() {
        let file = "listen = \"0.0.0.0:9000\"\nmodules = [\"tasks\"]\n";
        let config = load(Some(file), &[]).expect("valid");
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.modules, vec!["tasks"]);
        assert_eq!(config.origins["listen"], Origin::File("agora.toml".into()));

        let config = load(Some(file), &[("AGORA_LISTEN", "127.0.0.1:9100")]).expect("valid");
        assert_eq!(config.listen.port(), 9100);
        assert_eq!(config.origins["listen"], Origin::Env("AGORA_LISTEN"));
    }

    #[test]
    fn a_bad_value_names_the_variable_that_set_it() {
        let err = load(None, &[("AGORA_LISTEN", "not-an-address")]).expect_err("invalid");
        assert_eq!(err.setting, "AGORA_LISTEN");
        assert_eq!(
            err.to_string(),
            "invalid configuration: AGORA_LISTEN: `not-an-address` is not an address and port such as 127.0.0.1:8080"
        );
        let err = load(Some("listen = \"x\""), &[]).expect_err("invalid");
        assert_eq!(err.setting, "`listen` in agora.toml");
    }

    #[test]
    fn an_external_provider_needs_an_audience_and_exactly_one_key_source() {
        let issuer = ("AGORA_AUTH_EXTERNAL_ISSUER", "https://idp.example/");
        let audience = ("AGORA_AUTH_EXTERNAL_AUDIENCE", "authenticated");
        let jwks = (
            "AGORA_AUTH_EXTERNAL_JWKS_URL",
            "https://idp.example/jwks.json",
        );
        let secret = (
            "AGORA_AUTH_EXTERNAL_SECRET",
            "0123456789abcdef0123456789abcdef",
        );

        let config = load(None, &[issuer, audience, jwks]).expect("valid");
        let external = config.external_auth.expect("configured");
        assert!(matches!(external.keys, ExternalKeySource::Jwks(_)));
        assert_eq!(external.jwks_refresh, Duration::from_secs(30));
        let config = load(None, &[issuer, audience, secret]).expect("valid");
        assert!(matches!(
            config.external_auth.map(|e| e.keys),
            Some(ExternalKeySource::Secret(_))
        ));

        for (env, blamed) in [
            (
                vec![issuer, jwks],
                "AGORA_AUTH_EXTERNAL_AUDIENCE (`auth_external_audience`)",
            ),
            (
                vec![issuer, audience],
                "AGORA_AUTH_EXTERNAL_JWKS_URL (`auth_external_jwks_url`)",
            ),
            (
                vec![issuer, audience, jwks, secret],
                "AGORA_AUTH_EXTERNAL_SECRET",
            ),
            (
                vec![audience, jwks],
                "AGORA_AUTH_EXTERNAL_ISSUER (`auth_external_issuer`)",
            ),
            (
                vec![
                    issuer,
                    audience,
                    ("AGORA_AUTH_EXTERNAL_JWKS_URL", "ftp://x/"),
                ],
                "AGORA_AUTH_EXTERNAL_JWKS_URL",
            ),
        ] {
            let err = load(None, &env).expect_err("invalid");
            assert_eq!(err.setting, blamed, "{err}");
        }
        assert!(load(None, &[]).expect("valid").external_auth.is_none());
    }

    #[test]
    fn unknown_file_keys_and_bad_toml_are_refused() {
        let err = load(Some("lisen = \"x\""), &[]).expect_err("typo");
        assert!(err.message.contains("unknown setting"), "{err}");
        let err = load(Some("listen = "), &[]).expect_err("bad toml");
        assert!(err.message.contains("not valid TOML"), "{err}");
        let err = load(
            Some("listen = \"127.0.0.1:8080\"\nlog_format = pretty\n"),
            &[],
        )
        .expect_err("unquoted string");
        assert!(err.setting.contains("line 2, column 14"), "{err}");
    }

    #[test]
    fn database_urls_select_the_backend() {
        let config =
            load(None, &[("DATABASE_URL", "postgres://u:pw@localhost/agora")]).expect("pg");
        assert_eq!(config.database_kind, DatabaseKind::Postgres);
        let err = load(None, &[("DATABASE_URL", "mysql://localhost/x")]).expect_err("mysql");
        assert_eq!(err.setting, "DATABASE_URL");
        let err = load(None, &[("DATABASE_URL", "sqlite::memory:")]).expect_err("memory");
        assert!(err.message.contains("in-memory"));
    }

    #[test]
    fn modules_are_checked_against_the_known_ones() {
        let config = load(None, &[("AGORA_MODULES", "tasks, Social,tasks")]).expect("valid");
        assert_eq!(config.modules, vec!["tasks", "social"]);
        let err = load(None, &[("AGORA_MODULES", "tasks,chat")]).expect_err("unknown");
        assert!(err.message.contains("unknown module `chat`"), "{err}");
        let config = load(None, &[("AGORA_MODULES", "")]).expect("empty is valid");
        assert_eq!(
            config.modules, MODULES,
            "an empty variable leaves the default"
        );
        let config = load(None, &[("AGORA_MODULES", "none")]).expect("none is valid");
        assert!(config.modules.is_empty());
    }

    #[test]
    fn cors_origins_must_be_bare_origins_and_never_a_wildcard() {
        let config = load(
            None,
            &[(
                "AGORA_CORS_ORIGINS",
                "https://app.example.com, http://localhost:3000",
            )],
        )
        .expect("valid");
        assert_eq!(
            config.cors_origins,
            vec!["https://app.example.com", "http://localhost:3000"]
        );
        for bad in [
            "*",
            "app.example.com",
            "https://app.example.com/path",
            "ftp://x.y",
        ] {
            let err = load(None, &[("AGORA_CORS_ORIGINS", bad)]).expect_err(bad);
            assert_eq!(err.setting, "AGORA_CORS_ORIGINS");
        }
    }

    #[test]
    fn sizes_and_durations_take_units() {
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0s").is_err());
    }

    #[test]
    fn production_logs_json_and_short_secrets_are_refused() {
        let config = load(None, &[("AGORA_ENV", "production")]).expect("valid");
        assert_eq!(config.log_format, LogFormat::Json);
        let err = load(None, &[("AGORA_SECRET_KEY", "short")]).expect_err("short");
        assert_eq!(err.setting, "AGORA_SECRET_KEY");
        assert!(
            !err.to_string().contains("short"),
            "the secret is not echoed"
        );
    }

    #[test]
    fn effective_configuration_hides_secrets_and_passwords() {
        let config = load(
            None,
            &[
                ("DATABASE_URL", "postgres://agora:hunter2@db/agora"),
                ("AGORA_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ],
        )
        .expect("valid");
        let printed: String = config
            .effective()
            .iter()
            .map(|(s, v, _)| format!("{}={v}\n", s.key))
            .collect();
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("0123456789abcdef"), "{printed}");
        assert!(printed.contains("secret_key=********"));
    }

    #[test]
    fn email_defaults_to_the_log_transport() {
        let config = load(None, &[]).expect("defaults are valid");
        assert_eq!(config.email_transport, EmailTransport::Log);
        assert_eq!(config.email_from.to_string(), "Agora <noreply@localhost>");
    }

    #[test]
    fn smtp_urls_choose_encryption_port_and_credentials() {
        let smtp = |url: &str| match load(
            None,
            &[("AGORA_EMAIL_TRANSPORT", "smtp"), ("AGORA_SMTP_URL", url)],
        )
        .expect(url)
        .email_transport
        {
            EmailTransport::Smtp(smtp) => smtp,
            EmailTransport::Log => panic!("smtp was asked for"),
        };
        let url = smtp("smtp://mailer:p%40ss%3Aword@mail.example.com?tls=starttls");
        assert_eq!(url.host, "mail.example.com");
        assert_eq!((url.port, url.tls), (587, SmtpTls::StartTls));
        let (user, password) = url.credentials.clone().expect("credentials");
        assert_eq!((user.as_str(), password.expose()), ("mailer", "p@ss:word"));
        assert_eq!(
            url.to_string(),
            "smtp://mailer:********@mail.example.com?tls=starttls"
        );
        assert!(!format!("{url:?}").contains("p%40ss"));

        let url = smtp("smtp://127.0.0.1:2525");
        assert_eq!((url.port, url.tls), (2525, SmtpTls::None));
        assert!(url.credentials.is_none());
        assert_eq!(smtp("smtps://relay").port, 465);
        assert_eq!(smtp("smtps://relay").tls, SmtpTls::Implicit);
        assert_eq!(
            smtp("smtp://relay?tls=opportunistic").tls,
            SmtpTls::Opportunistic
        );
    }

    #[test]
    fn bad_email_settings_name_the_setting_and_never_echo_the_password() {
        let err = load(None, &[("AGORA_EMAIL_TRANSPORT", "smtp")]).expect_err("no url");
        assert_eq!(err.setting, "AGORA_SMTP_URL (`smtp_url`)");
        let err = load(None, &[("AGORA_EMAIL_TRANSPORT", "carrier-pigeon")]).expect_err("kind");
        assert_eq!(err.setting, "AGORA_EMAIL_TRANSPORT");
        for bad in [
            "http://u:hunter2@relay",
            "smtp://u:hunter2@relay?tls=always",
            "smtps://u:hunter2@relay?tls=starttls",
            "smtp://u:hunter2@relay?tsl=starttls",
            "smtp://u@relay",
            "smtp://u:hunter2@relay/path",
            "not a url hunter2",
        ] {
            let err = load(None, &[("AGORA_SMTP_URL", bad)]).expect_err(bad);
            assert_eq!(err.setting, "AGORA_SMTP_URL", "{bad}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
        let err = load(None, &[("AGORA_EMAIL_FROM", "not an address")]).expect_err("from");
        assert_eq!(err.setting, "AGORA_EMAIL_FROM");
    }

    #[test]
    fn the_smtp_password_is_hidden_from_the_effective_configuration() {
        let config = load(
            None,
            &[
                ("AGORA_EMAIL_TRANSPORT", "smtp"),
                (
                    "AGORA_SMTP_URL",
                    "smtp://mailer:hunter2@relay:587?tls=starttls",
                ),
            ],
        )
        .expect("valid");
        let printed: String = config
            .effective()
            .iter()
            .map(|(s, v, _)| format!("{}={v}\n", s.key))
            .collect();
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(
            printed.contains("smtp_url=smtp://mailer:********@relay:587?tls=starttls"),
            "{printed}"
        );
        assert!(printed.contains("email_transport=smtp"), "{printed}");
    }

    #[test]
    fn rates_are_a_count_per_period() {
        assert_eq!(
            parse_rate("300/1m"),
            Ok(Rate::new(300, Duration::from_secs(60)))
        );
        assert_eq!(
            parse_rate("10 / 15m"),
            Ok(Rate::new(10, Duration::from_secs(900)))
        );
        for bad in [
            "300",
            "x/1m",
            "0/1m",
            "10/soon",
            "10/0s",
            "5/400days",
            "5000/1ms",
        ] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        let config = load(None, &[("AGORA_RATE_LIMIT_LOGIN", "2/10s")]).expect("valid");
        assert_eq!(
            config.rate_limits.login,
            Rate::new(2, Duration::from_secs(10))
        );
        assert_eq!(config.rate_limits.general.to_string(), "300/1m");
        let err = load(None, &[("AGORA_RATE_LIMIT_GENERAL", "lots")]).expect_err("bad");
        assert_eq!(err.setting, "AGORA_RATE_LIMIT_GENERAL");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let config = load(
            None,
            &[(
                "AGORA_TRUSTED_PROXIES",
                "10.0.0.0/8, 192.168.1.10,::1, 172.16.3.4/12",
            )],
        )
        .expect("valid");
        let printed: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            printed,
            ["10.0.0.0/8", "192.168.1.10/32", "::1/128", "172.16.0.0/12"]
        );
        let err = load(None, &[("AGORA_TRUSTED_PROXIES", "10.0.0.0/33")]).expect_err("bad");
        assert_eq!(err.setting, "AGORA_TRUSTED_PROXIES");
        assert!(load(None, &[]).expect("valid").trusted_proxies.is_empty());
    }

    #[test]
    fn several_instances_without_a_shared_public_url_are_warned_about() {
        let alone = load(None, &[]).expect("valid");
        assert_eq!(alone.multi_instance_warning(), None);
        let shared = load(None, &[("REDIS_URL", "redis://127.0.0.1:6379")]).expect("valid");
        let warning = shared.multi_instance_warning().expect("a warning");
        assert!(warning.contains("http://127.0.0.1:8080/"), "{warning}");
        let configured = load(
            None,
            &[
                ("REDIS_URL", "redis://127.0.0.1:6379"),
                ("AGORA_PUBLIC_URL", "https://agora.example"),
            ],
        )
        .expect("valid");
        assert_eq!(configured.multi_instance_warning(), None);
    }

    #[test]
    fn redis_urls_must_name_a_server_the_client_can_reach() {
        let config = load(None, &[("REDIS_URL", "redis://:pw@cache:6380/2")]).expect("valid");
        assert_eq!(config.redis_url.expect("set").port(), Some(6380));
        assert_eq!(config.redis_prefix, "agora:");
        for bad in [
            "rediss://cache",
            "http://cache",
            "redis://",
            "redis://cache/x",
            "redis://0.0.0.0",
            "redis://cache?protocol=resp3",
        ] {
            let err = load(None, &[("REDIS_URL", bad)]).expect_err(bad);
            assert_eq!(err.setting, "REDIS_URL");
        }
    }

    #[test]
    fn schedules_are_name_cron_pairs_separated_by_semicolons() {
        let parsed = parse_schedules(" jobs.purge = 0 4 * * 1,3 ; idempotency.purge=off;")
            .expect("valid pairs");
        assert_eq!(
            parsed.into_iter().collect::<Vec<_>>(),
            [
                ("idempotency.purge".to_owned(), "off".to_owned()),
                ("jobs.purge".to_owned(), "0 4 * * 1,3".to_owned()),
            ]
        );
        for bad in [
            "jobs.purge",
            "=0 * * * *",
            "jobs.purge=",
            "a=off; a=0 * * * *",
        ] {
            assert!(parse_schedules(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn storage_is_local_by_default_and_s3_needs_a_bucket() {
        let config = load(None, &[]).expect("valid");
        assert_eq!(
            config.storage,
            StorageConfig::Local(PathBuf::from("./data/media"))
        );
        let err = load(None, &[("AGORA_STORAGE", "s3")]).expect_err("no bucket");
        assert_eq!(err.setting, "AGORA_S3_BUCKET (`s3_bucket`)");
        let err = load(None, &[("AGORA_STORAGE", "ftp")]).expect_err("unknown");
        assert_eq!(err.setting, "AGORA_STORAGE");
        let config = load(
            None,
            &[
                ("AGORA_STORAGE", "s3"),
                ("AGORA_S3_BUCKET", "agora-media"),
                ("AGORA_S3_ENDPOINT", "http://127.0.0.1:9000"),
                ("AGORA_S3_ACCESS_KEY_ID", "agora"),
                ("AGORA_S3_SECRET_ACCESS_KEY", "hunter2hunter2"),
            ],
        )
        .expect("valid");
        let s3 = config.s3().expect("s3");
        assert_eq!(s3.bucket, "agora-media");
        assert_eq!(s3.region, "us-east-1");
        let printed: String = config
            .effective()
            .iter()
            .map(|(s, v, _)| format!("{}={v}\n", s.key))
            .collect();
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("s3_secret_access_key=********"));
        let err = load(
            None,
            &[
                ("AGORA_STORAGE", "s3"),
                ("AGORA_S3_BUCKET", "agora-media"),
                ("AGORA_S3_ACCESS_KEY_ID", "agora"),
            ],
        )
        .expect_err("half the credentials");
        assert_eq!(
            err.setting,
            "AGORA_S3_SECRET_ACCESS_KEY (`s3_secret_access_key`)"
        );
        let err = load(
            None,
            &[("AGORA_STORAGE", "s3"), ("AGORA_S3_BUCKET", "Bad_Bucket")],
        )
        .expect_err("bad name");
        assert_eq!(err.setting, "AGORA_S3_BUCKET");
    }

    #[test]
    fn media_quotas_and_url_have_defaults_and_zero_means_none() {
        let config = load(None, &[]).expect("valid");
        assert_eq!(config.media.url, None);
        assert_eq!(config.media.quota_of(true), Some(1 << 30));
        assert_eq!(config.media.quota_of(false), Some(100 << 20));
        assert_eq!(config.rate_limits.upload.to_string(), "60/1h");
        let config = load(
            None,
            &[
                ("AGORA_MEDIA_QUOTA", "10MiB"),
                ("AGORA_MEDIA_URL", "https://cdn.example.com/m/"),
            ],
        )
        .expect("valid");
        // The smaller of the two applies to an unverified account.
        assert_eq!(config.media.quota_of(false), Some(10 << 20));
        assert_eq!(
            config.media.url.as_deref(),
            Some("https://cdn.example.com/m")
        );
        let config = load(None, &[("AGORA_MEDIA_QUOTA", "0")]).expect("valid");
        assert_eq!(config.media.quota_of(true), None);
        assert_eq!(config.media.quota_of(false), Some(100 << 20));
        let config = load(None, &[("AGORA_MEDIA_QUOTA_UNVERIFIED", "0")]).expect("valid");
        assert_eq!(config.media.quota_of(false), Some(1 << 30));
        let err = load(None, &[("AGORA_MEDIA_URL", "cdn.example.com")]).expect_err("no scheme");
        assert_eq!(err.setting, "AGORA_MEDIA_URL");
        let err = load(None, &[("AGORA_MEDIA_QUOTA", "lots")]).expect_err("not a size");
        assert_eq!(err.setting, "AGORA_MEDIA_QUOTA");
    }

    #[test]
    fn the_reference_lists_every_setting() {
        let reference = reference_markdown();
        for s in SETTINGS {
            assert!(reference.contains(s.env), "{} missing", s.env);
        }
    }
}
