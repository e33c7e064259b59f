//! The HTTP server: where it listens, how it is reached, what it serves, its limits and the
//! connections it accepts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::parse::{
    literal_url, number, parse_duration, parse_public_url, parse_size, show_duration, show_list,
};
use super::{Check, ConfigError, Field, Section, Setting};

/// Which product modules the server serves (the `modules` setting). The names are checked by
/// the server, which knows its modules; the core only reads the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ModuleSelection {
    /// Every module the server has (`all`, the default).
    #[default]
    All,
    /// These, by name (`none` is the empty list).
    Only(Vec<String>),
}

impl ModuleSelection {
    pub fn includes(&self, module: &str) -> bool {
        match self {
            ModuleSelection::All => true,
            ModuleSelection::Only(names) => names.iter().any(|name| name == module),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Environment {
    #[default]
    Development,
    Production,
}

impl Environment {
    /// `development` or `production`, as the setting spells it.
    pub fn name(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Production => "production",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

/// Settings of the HTTP server and of the process as a whole.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// `public_url`, or `http://` + `listen`.
    pub public_url: url::Url,
    /// Where links in emails lead; ends with `/`.
    pub app_url: url::Url,
    pub env: Environment,
    pub data_dir: PathBuf,
    pub modules: ModuleSelection,
    pub cors_origins: Vec<String>,
    /// `log_format`, with `auto` resolved from `env`.
    pub log_format: LogFormat,
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub health_timeout: Duration,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Client addresses that may read `GET /metrics` (others get 404).
    pub metrics_allow: Vec<ipnet::IpNet>,
    /// A second address that serves `GET /metrics` only, to anyone who reaches it; the API's
    /// address then has no `/metrics`.
    pub metrics_listen: Option<SocketAddr>,
    /// Where server errors are also sent, when set (`SENTRY_DSN`).
    pub sentry_dsn: Option<String>,
    /// The OpenTelemetry collector that receives the request spans, when set
    /// (`OTEL_EXPORTER_OTLP_ENDPOINT`, OTLP over HTTP).
    pub otlp_endpoint: Option<url::Url>,
    given_public_url: Option<url::Url>,
    given_app_url: Option<url::Url>,
    /// `None`: `auto`.
    given_log_format: Option<LogFormat>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: literal_url("http://127.0.0.1:8080/"),
            app_url: literal_url("http://127.0.0.1:8080/"),
            env: Environment::Development,
            data_dir: PathBuf::new(),
            modules: ModuleSelection::All,
            cors_origins: Vec::new(),
            log_format: LogFormat::Pretty,
            body_limit: 0,
            request_timeout: Duration::ZERO,
            shutdown_timeout: Duration::ZERO,
            health_timeout: Duration::ZERO,
            trusted_proxies: Vec::new(),
            metrics_allow: Vec::new(),
            metrics_listen: None,
            sentry_dsn: None,
            otlp_endpoint: None,
            given_public_url: None,
            given_app_url: None,
            given_log_format: None,
        }
    }
}

impl Section for ServerSettings {
    const TITLE: &'static str = "Server";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "listen",
                env: "AGORA_LISTEN",
                default: "127.0.0.1:8080",
                secret: false,
                help: "Address and port the HTTP server binds to.",
            },
            required: true,
            parse: |s, v| {
                s.listen = v.parse().map_err(|_| {
                    format!("`{v}` is not an address and port such as 127.0.0.1:8080")
                })?;
                Ok(())
            },
            show: |s| s.listen.to_string(),
        },
        Field {
            setting: Setting {
                key: "public_url",
                env: "AGORA_PUBLIC_URL",
                default: "",
                secret: false,
                help: "Public base URL of this server, used in links sent to people (emails). Default: `http://` + `listen`. An `https` URL turns on HSTS.",
            },
            required: false,
            parse: |s, v| {
                s.given_public_url = Some(parse_public_url(v)?);
                Ok(())
            },
            show: |s| s.public_url.to_string(),
        },
        Field {
            setting: Setting {
                key: "app_url",
                env: "AGORA_APP_URL",
                default: "",
                secret: false,
                help: "Base URL of the web application that opens the links sent by email (`{app_url}/verify-email?token=…`, `{app_url}/reset-password?token=…`). Default: `public_url`.",
            },
            required: false,
            parse: |s, v| {
                s.given_app_url = Some(parse_public_url(v)?);
                Ok(())
            },
            show: |s| s.app_url.to_string(),
        },
        Field {
            setting: Setting {
                key: "env",
                env: "AGORA_ENV",
                default: "development",
                secret: false,
                help: "`development` or `production`. Production requires secrets to be configured and logs JSON.",
            },
            required: true,
            parse: |s, v| {
                s.env = match v {
                    "development" => Environment::Development,
                    "production" => Environment::Production,
                    other => {
                        return Err(format!("`{other}` is not one of: development, production"));
                    }
                };
                Ok(())
            },
            show: |s| match s.env {
                Environment::Development => "development".to_owned(),
                Environment::Production => "production".to_owned(),
            },
        },
        Field {
            setting: Setting {
                key: "data_dir",
                env: "AGORA_DATA_DIR",
                default: "./data",
                secret: false,
                help: "Directory for the SQLite database, local media, outgoing mail files and generated development secrets.",
            },
            required: true,
            parse: |s, v| {
                s.data_dir = PathBuf::from(v);
                Ok(())
            },
            show: |s| s.data_dir.display().to_string(),
        },
        Field {
            setting: Setting {
                key: "modules",
                env: "AGORA_MODULES",
                default: "all",
                secret: false,
                help: "Product modules to serve: `all`, `none`, or their names comma-separated (`tasks,social`); the server refuses a name it has no module of. The routes, jobs and services of the others are absent.",
            },
            required: false,
            parse: |s, v| {
                s.modules = parse_modules(v)?;
                Ok(())
            },
            show: |s| match &s.modules {
                ModuleSelection::All => "all".to_owned(),
                ModuleSelection::Only(names) if names.is_empty() => "none".to_owned(),
                ModuleSelection::Only(names) => names.join(","),
            },
        },
        Field {
            setting: Setting {
                key: "cors_origins",
                env: "AGORA_CORS_ORIGINS",
                default: "",
                secret: false,
                help: "Origins allowed to call the API from a browser, comma-separated (`https://app.example.com`). Credentials are allowed, so `*` is refused.",
            },
            required: false,
            parse: |s, v| {
                s.cors_origins = parse_origins(v)?;
                Ok(())
            },
            show: |s| s.cors_origins.join(","),
        },
        Field {
            setting: Setting {
                key: "log_format",
                env: "AGORA_LOG_FORMAT",
                default: "auto",
                secret: false,
                help: "`pretty`, `json`, or `auto` (pretty in development, JSON in production). Filter with `RUST_LOG`.",
            },
            required: true,
            parse: |s, v| {
                s.given_log_format = match v {
                    "pretty" => Some(LogFormat::Pretty),
                    "json" => Some(LogFormat::Json),
                    "auto" => None,
                    other => return Err(format!("`{other}` is not one of: auto, pretty, json")),
                };
                Ok(())
            },
            show: |s| match s.log_format {
                LogFormat::Pretty => "pretty".to_owned(),
                LogFormat::Json => "json".to_owned(),
            },
        },
        Field {
            setting: Setting {
                key: "body_limit",
                env: "AGORA_BODY_LIMIT",
                default: "2MiB",
                secret: false,
                help: "Largest request body accepted outside upload routes, in bytes or with a unit (`512KiB`, `2MiB`).",
            },
            required: true,
            parse: |s, v| {
                s.body_limit = parse_size(v)?;
                Ok(())
            },
            show: |s| s.body_limit.to_string(),
        },
        Field {
            setting: Setting {
                key: "request_timeout",
                env: "AGORA_REQUEST_TIMEOUT",
                default: "30s",
                secret: false,
                help: "A request still running after this long is cancelled with 408.",
            },
            required: true,
            parse: |s, v| {
                s.request_timeout = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.request_timeout),
        },
        Field {
            setting: Setting {
                key: "shutdown_timeout",
                env: "AGORA_SHUTDOWN_TIMEOUT",
                default: "30s",
                secret: false,
                help: "On SIGTERM or SIGINT, how long in-flight requests may take to finish.",
            },
            required: true,
            parse: |s, v| {
                s.shutdown_timeout = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.shutdown_timeout),
        },
        Field {
            setting: Setting {
                key: "health_timeout",
                env: "AGORA_HEALTH_TIMEOUT",
                default: "2s",
                secret: false,
                help: "How long `/health/ready` waits for each dependency before calling it down.",
            },
            required: true,
            parse: |s, v| {
                s.health_timeout = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.health_timeout),
        },
        Field {
            setting: Setting {
                key: "trusted_proxies",
                env: "AGORA_TRUSTED_PROXIES",
                default: "",
                secret: false,
                help: "Reverse proxies (comma-separated addresses or CIDR ranges, `10.0.0.0/8,::1`) whose `X-Forwarded-For` is believed. The client address is then the right-most address in that header that is not itself a trusted proxy. Empty: the client is the peer of the TCP connection.",
            },
            required: false,
            parse: |s, v| {
                s.trusted_proxies = parse_networks(v)?;
                Ok(())
            },
            show: |s| show_list(&s.trusted_proxies, ","),
        },
        Field {
            setting: Setting {
                key: "metrics_allow",
                env: "AGORA_METRICS_ALLOW",
                default: "127.0.0.0/8,::1",
                secret: false,
                help: "Client addresses (comma-separated addresses or CIDR ranges) that may scrape `GET /metrics` (Prometheus text format); others get 404. The client address is the one `trusted_proxies` resolves. Empty: no one.",
            },
            required: false,
            parse: |s, v| {
                s.metrics_allow = parse_networks(v)?;
                Ok(())
            },
            show: |s| show_list(&s.metrics_allow, ","),
        },
        Field {
            setting: Setting {
                key: "metrics_listen",
                env: "AGORA_METRICS_LISTEN",
                default: "",
                secret: false,
                help: "A second address and port (`0.0.0.0:9100`) that serves `GET /metrics` only, to every client that reaches it (keep it off the public network); `/metrics` is then 404 on `listen`. Empty: `/metrics` is served on `listen` to the clients of `metrics_allow`.",
            },
            required: false,
            parse: |s, v| {
                s.metrics_listen = Some(v.parse().map_err(|_| {
                    format!("`{v}` is not an address and port such as 127.0.0.1:9100")
                })?);
                Ok(())
            },
            show: |s| s.metrics_listen.map(|a| a.to_string()).unwrap_or_default(),
        },
        Field {
            setting: Setting {
                key: "sentry_dsn",
                env: "SENTRY_DSN",
                default: "",
                secret: true,
                help: "Sentry DSN (`https://KEY@host/PROJECT`): server errors (5xx answers and panics) are also sent there, with the request id. Empty: errors go to the error log only.",
            },
            required: false,
            parse: |s, v| {
                let url = url::Url::parse(v).map_err(|_| {
                    "is not a Sentry DSN such as https://key@sentry.example/1".to_owned()
                })?;
                if !matches!(url.scheme(), "http" | "https")
                    || url.username().is_empty()
                    || url.path().trim_matches('/').is_empty()
                {
                    return Err(
                        "is not a Sentry DSN such as https://key@sentry.example/1".to_owned()
                    );
                }
                s.sentry_dsn = Some(v.to_owned());
                Ok(())
            },
            show: |s| s.sentry_dsn.clone().unwrap_or_default(),
        },
        Field {
            setting: Setting {
                key: "otlp_endpoint",
                env: "OTEL_EXPORTER_OTLP_ENDPOINT",
                default: "",
                secret: false,
                help: "OpenTelemetry collector (`http://collector:4318`): a span per request, with its request id, route and status, is exported to `/v1/traces` there by OTLP over HTTP (protobuf), in batches; `OTEL_EXPORTER_OTLP_HEADERS` adds headers (a token). Empty: no traces.",
            },
            required: false,
            parse: |s, v| {
                let url = url::Url::parse(v)
                    .ok()
                    .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
                    .ok_or_else(|| {
                        "is not an http(s) URL such as http://collector:4318".to_owned()
                    })?;
                s.otlp_endpoint = Some(url);
                Ok(())
            },
            show: |s| {
                s.otlp_endpoint
                    .as_ref()
                    .map(|u| u.to_string())
                    .unwrap_or_default()
            },
        },
    ];

    fn finish(&mut self, check: &Check<'_>) -> Result<(), ConfigError> {
        self.log_format = self.given_log_format.unwrap_or(match self.env {
            Environment::Development => LogFormat::Pretty,
            Environment::Production => LogFormat::Json,
        });
        self.public_url = match self.given_public_url.clone() {
            Some(url) => url,
            None => parse_public_url(&format!("http://{}", self.listen))
                .map_err(|message| check.error("listen", message))?,
        };
        let mut app_url = self
            .given_app_url
            .clone()
            .unwrap_or_else(|| self.public_url.clone());
        // Links are joined onto it: `https://app.example/my` must mean the folder `my/`.
        if !app_url.path().ends_with('/') {
            let path = format!("{}/", app_url.path());
            app_url.set_path(&path);
        }
        self.app_url = app_url;
        Ok(())
    }
}

/// Limits on client connections, enforced by the accept loop (`crates/server/src/serve.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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

impl Section for Connections {
    const TITLE: &'static str = "Connections";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "header_read_timeout",
                env: "AGORA_HEADER_READ_TIMEOUT",
                default: "10s",
                secret: false,
                help: "How long a client may take to send a request's line and headers, from the moment it connects (or sends the first byte of a later request on the same connection); then the connection is closed.",
            },
            required: true,
            parse: |s, v| {
                s.header_read_timeout = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.header_read_timeout),
        },
        Field {
            setting: Setting {
                key: "keep_alive_timeout",
                env: "AGORA_KEEP_ALIVE_TIMEOUT",
                default: "60s",
                secret: false,
                help: "How long a connection may stay open, idle, between two requests before the server closes it.",
            },
            required: true,
            parse: |s, v| {
                s.keep_alive_timeout = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.keep_alive_timeout),
        },
        Field {
            setting: Setting {
                key: "max_connections",
                env: "AGORA_MAX_CONNECTIONS",
                default: "auto",
                secret: false,
                help: "Most client connections (WebSockets included) open at once; one more is closed as soon as it is accepted. `auto`: the process's file-descriptor limit less 256 (kept for the database, Redis, files and logs), at least 64.",
            },
            required: true,
            parse: |s, v| {
                s.max = match v {
                    "auto" => None,
                    _ => Some(number(v, 1, 1_000_000).map_err(|_| {
                        format!("`{v}` is not `auto` or a whole number from 1 to 1000000")
                    })?),
                };
                Ok(())
            },
            show: |s| s.max.map_or_else(|| "auto".to_owned(), |n| n.to_string()),
        },
        Field {
            setting: Setting {
                key: "max_connections_per_address",
                env: "AGORA_MAX_CONNECTIONS_PER_ADDRESS",
                default: "256",
                secret: false,
                help: "Most connections open at once from one client address (the TCP peer; connections from `trusted_proxies` are not counted, a proxy carries everyone's). One more is closed as soon as it is accepted.",
            },
            required: true,
            parse: |s, v| {
                s.max_per_address = number(v, 1, 1_000_000)?;
                Ok(())
            },
            show: |s| s.max_per_address.to_string(),
        },
    ];
}

fn parse_modules(value: &str) -> Result<ModuleSelection, String> {
    if value.trim().eq_ignore_ascii_case("all") {
        return Ok(ModuleSelection::All);
    }
    let mut modules = Vec::new();
    if value.trim().eq_ignore_ascii_case("none") {
        return Ok(ModuleSelection::Only(modules));
    }
    for name in value.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let name = name.to_ascii_lowercase();
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(format!(
                "`{name}` is not a module name (letters, digits and `_`)"
            ));
        }
        if !modules.contains(&name) {
            modules.push(name);
        }
    }
    Ok(ModuleSelection::Only(modules))
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
