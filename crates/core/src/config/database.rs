//! The database and the shared Redis.

use std::time::Duration;

use super::parse::{number, parse_duration, redact_url_password, show_duration};
use super::{Check, ConfigError, Field, Section, Setting};

/// Which database the URL selects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DatabaseKind {
    #[default]
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Default)]
pub struct DatabaseSettings {
    /// `database_url`, or `agora.db` in the data directory.
    pub url: String,
    pub kind: DatabaseKind,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Section for DatabaseSettings {
    const TITLE: &'static str = "Database";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "database_url",
                env: "DATABASE_URL",
                default: "",
                secret: false,
                help: "`sqlite://path/to/file.db` or `postgres://user:password@host/db`. Default: `agora.db` in the data directory.",
            },
            required: false,
            parse: |s, v| {
                (s.url, s.kind) = parse_database_url(v)?;
                Ok(())
            },
            show: |s| redact_url_password(&s.url),
        },
        Field {
            setting: Setting {
                key: "database_max_connections",
                env: "AGORA_DATABASE_MAX_CONNECTIONS",
                default: "10",
                secret: false,
                help: "Most connections in the database pool (SQLite: readers; writes always use one connection).",
            },
            required: true,
            parse: |s, v| {
                s.max_connections = number(v, 1, 1000)?;
                Ok(())
            },
            show: |s| s.max_connections.to_string(),
        },
        Field {
            setting: Setting {
                key: "database_acquire_timeout",
                env: "AGORA_DATABASE_ACQUIRE_TIMEOUT",
                default: "1s",
                secret: false,
                help: "How long a PostgreSQL query waits for a connection (a free one, or a new one while the server refuses) before the request answers 503. SQLite's writes queue for their one connection up to 10 s.",
            },
            required: true,
            parse: |s, v| {
                s.acquire_timeout = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.acquire_timeout),
        },
    ];

    fn finish(&mut self, check: &Check<'_>) -> Result<(), ConfigError> {
        if self.url.is_empty() {
            let path = check.data_dir().join("agora.db");
            self.url = format!("sqlite://{}", path.display());
            self.kind = DatabaseKind::Sqlite;
        }
        Ok(())
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

/// The optional Redis that several instances share.
#[derive(Debug, Clone, Default)]
pub struct RedisSettings {
    pub url: Option<url::Url>,
    /// Prefix of every key this server writes.
    pub prefix: String,
}

impl Section for RedisSettings {
    const TITLE: &'static str = "Redis";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "redis_url",
                env: "REDIS_URL",
                default: "",
                secret: false,
                help: "`redis://host:port/db`. When set, rate limits, revocations, the cache and real-time fan-out are shared by every instance through Redis.",
            },
            required: false,
            parse: |s, v| {
                s.url = Some(parse_redis_url(v)?);
                Ok(())
            },
            show: |s| {
                s.url
                    .as_ref()
                    .map(|u| redact_url_password(u.as_str()))
                    .unwrap_or_default()
            },
        },
        Field {
            setting: Setting {
                key: "redis_prefix",
                env: "AGORA_REDIS_PREFIX",
                default: "agora:",
                secret: false,
                help: "Prefix of every Redis key this server writes, so that several deployments (or test runs) can share one Redis.",
            },
            required: false,
            parse: |s, v| {
                if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err("must not contain spaces or control characters".to_owned());
                }
                s.prefix = v.to_owned();
                Ok(())
            },
            show: |s| s.prefix.clone(),
        },
    ];
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
