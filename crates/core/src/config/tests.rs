//! Tests of loading, errors and printing; each section's own rules are tested here too.

use super::jobs::parse_schedules;
use super::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let file = file.map(|contents| ConfigFile {
        name: "agora.toml".to_owned(),
        contents: contents.to_owned(),
    });
    Config::load(file.as_ref(), |name| env.get(name).cloned(), &[])
}

#[test]
fn defaults_need_no_configuration() {
    let config = load(None, &[]).expect("defaults are valid");
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.database.kind, DatabaseKind::Sqlite);
    assert_eq!(config.database.url, "sqlite://./data/agora.db");
    assert_eq!(config.server.modules, ModuleSelection::All);
    assert_eq!(config.server.env, Environment::Development);
    assert_eq!(config.server.log_format, LogFormat::Pretty);
    assert_eq!(config.server.body_limit, 2 << 20);
    assert_eq!(config.server.public_url.as_str(), "http://127.0.0.1:8080/");
    assert!(config.identity.secret_key.is_none());
}

#[test]
fn the_environment_overrides_the_file_which_overrides_defaults() {
    let file = "listen = \"0.0.0.0:9000\"\nmodules = [\"tasks\"]\n";
    let config = load(Some(file), &[]).expect("valid");
    assert_eq!(config.server.listen.port(), 9000);
    assert_eq!(
        config.server.modules,
        ModuleSelection::Only(vec!["tasks".into()])
    );
    assert_eq!(config.origins["listen"], Origin::File("agora.toml".into()));

    let config = load(Some(file), &[("AGORA_LISTEN", "127.0.0.1:9100")]).expect("valid");
    assert_eq!(config.server.listen.port(), 9100);
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
    let external = config.identity.external_auth.expect("configured");
    assert!(matches!(external.keys, ExternalKeySource::Jwks(_)));
    assert_eq!(external.jwks_refresh, Duration::from_secs(30));
    let config = load(None, &[issuer, audience, secret]).expect("valid");
    assert!(matches!(
        config.identity.external_auth.map(|e| e.keys),
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
    assert!(
        load(None, &[])
            .expect("valid")
            .identity
            .external_auth
            .is_none()
    );
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
    let config = load(None, &[("DATABASE_URL", "postgres://u:pw@localhost/agora")]).expect("pg");
    assert_eq!(config.database.kind, DatabaseKind::Postgres);
    let err = load(None, &[("DATABASE_URL", "mysql://localhost/x")]).expect_err("mysql");
    assert_eq!(err.setting, "DATABASE_URL");
    let err = load(None, &[("DATABASE_URL", "sqlite::memory:")]).expect_err("memory");
    assert!(err.message.contains("in-memory"));
}

#[test]
fn modules_are_all_none_or_a_list_of_names() {
    let config = load(None, &[("AGORA_MODULES", "tasks, Social,tasks")]).expect("valid");
    assert_eq!(
        config.server.modules,
        ModuleSelection::Only(vec!["tasks".into(), "social".into()])
    );
    assert!(config.module_enabled("social") && !config.module_enabled("forums"));
    // Which names exist is the server's to say (it knows its modules); the shape is checked here.
    let err = load(None, &[("AGORA_MODULES", "tasks,chat room")]).expect_err("not a name");
    assert!(
        err.message.contains("`chat room` is not a module name"),
        "{err}"
    );
    let config = load(None, &[("AGORA_MODULES", "")]).expect("empty is valid");
    assert_eq!(
        config.server.modules,
        ModuleSelection::All,
        "an empty variable leaves the default"
    );
    assert!(config.module_enabled("anything"));
    let config = load(None, &[("AGORA_MODULES", "none")]).expect("none is valid");
    assert_eq!(config.server.modules, ModuleSelection::Only(Vec::new()));
    assert!(!config.module_enabled("tasks"));
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
        config.server.cors_origins,
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
    assert_eq!(config.server.log_format, LogFormat::Json);
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
    assert_eq!(config.email.transport, EmailTransport::Log);
    assert_eq!(config.email.from.to_string(), "Agora <noreply@localhost>");
}

#[test]
fn smtp_urls_choose_encryption_port_and_credentials() {
    let smtp = |url: &str| match load(
        None,
        &[("AGORA_EMAIL_TRANSPORT", "smtp"), ("AGORA_SMTP_URL", url)],
    )
    .expect(url)
    .email
    .transport
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
        .server
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
    assert!(
        load(None, &[])
            .expect("valid")
            .server
            .trusted_proxies
            .is_empty()
    );
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
    assert_eq!(config.redis.url.expect("set").port(), Some(6380));
    assert_eq!(config.redis.prefix, "agora:");
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
    let parsed =
        parse_schedules(" jobs.purge = 0 4 * * 1,3 ; idempotency.purge=off;").expect("valid pairs");
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
        config.storage.backend,
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

/// A section as a product module declares one, to test the extension point.
#[derive(Debug, Default)]
struct ExampleSettings {
    page_size: u64,
    api_key: Option<Secret>,
}

impl Section for ExampleSettings {
    const TITLE: &'static str = "Example";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "example.page_size",
                env: "AGORA_EXAMPLE_PAGE_SIZE",
                default: "20",
                secret: false,
                help: "Items per page.",
            },
            required: true,
            parse: |s, v| {
                s.page_size = number(v, 1, 100)?;
                Ok(())
            },
            show: |s| s.page_size.to_string(),
        },
        Field {
            setting: Setting {
                key: "example.api_key",
                env: "AGORA_EXAMPLE_API_KEY",
                default: "",
                secret: true,
                help: "Key of the example provider.",
            },
            required: false,
            parse: |s, v| {
                s.api_key = Some(Secret::new(v));
                Ok(())
            },
            show: |s| {
                s.api_key
                    .as_ref()
                    .map(|k| k.expose().to_owned())
                    .unwrap_or_default()
            },
        },
    ];
}

const EXAMPLE: &[SettingsSection] = &[SettingsSection::of::<ExampleSettings>()];

fn load_with(
    file: Option<&str>,
    env: &[(&str, &str)],
    modules: &[SettingsSection],
) -> Result<Config, ConfigError> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let file = file.map(|contents| ConfigFile {
        name: "agora.toml".to_owned(),
        contents: contents.to_owned(),
    });
    Config::load(file.as_ref(), |name| env.get(name).cloned(), modules)
}

/// A value, the variables it needs beside it, and how `agora config` prints it.
type Sample = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

/// For each setting: a valid value other than its default, the settings it needs beside it,
/// and how `agora config` prints it. A new setting without a line here fails the test below.
fn sample(key: &str) -> Option<Sample> {
    let issuer = ("AGORA_AUTH_EXTERNAL_ISSUER", "https://idp.example/");
    let audience = ("AGORA_AUTH_EXTERNAL_AUDIENCE", "authenticated");
    let jwks = (
        "AGORA_AUTH_EXTERNAL_JWKS_URL",
        "https://idp.example/jwks.json",
    );
    let bucket = ("AGORA_S3_BUCKET", "agora-media");
    let s3 = ("AGORA_STORAGE", "s3");
    Some(match key {
        "listen" => ("0.0.0.0:9000", vec![], "0.0.0.0:9000"),
        "public_url" => ("https://agora.example", vec![], "https://agora.example/"),
        "app_url" => ("https://app.example/my", vec![], "https://app.example/my/"),
        "env" => ("production", vec![], "production"),
        "data_dir" => ("/srv/agora", vec![], "/srv/agora"),
        "modules" => ("tasks, Social", vec![], "tasks,social"),
        "cors_origins" => ("https://app.example.com", vec![], "https://app.example.com"),
        "log_format" => ("json", vec![], "json"),
        "body_limit" => ("1MiB", vec![], "1048576"),
        "request_timeout" => ("45s", vec![], "45s"),
        "shutdown_timeout" => ("5s", vec![], "5s"),
        "health_timeout" => ("3s", vec![], "3s"),
        "trusted_proxies" => ("10.1.2.3/8, ::1", vec![], "10.0.0.0/8,::1/128"),
        "metrics_allow" => ("10.0.0.0/8, 127.0.0.1", vec![], "10.0.0.0/8,127.0.0.1/32"),
        "metrics_listen" => ("0.0.0.0:9100", vec![], "0.0.0.0:9100"),
        "sentry_dsn" => ("https://key@sentry.example/42", vec![], HIDDEN),
        "otlp_endpoint" => ("http://collector:4318", vec![], "http://collector:4318/"),
        "header_read_timeout" => ("5s", vec![], "5s"),
        "keep_alive_timeout" => ("90s", vec![], "1m 30s"),
        "max_connections" => ("1000", vec![], "1000"),
        "max_connections_per_address" => ("32", vec![], "32"),
        "database_url" => (
            "postgres://agora:hunter2@db/agora",
            vec![],
            "postgres://agora:********@db/agora",
        ),
        "database_max_connections" => ("20", vec![], "20"),
        "database_acquire_timeout" => ("2s", vec![], "2s"),
        "redis_url" => (
            "redis://:hunter2@cache:6380/2",
            vec![],
            "redis://:********@cache:6380/2",
        ),
        "redis_prefix" => ("test:", vec![], "test:"),
        "jwt_algorithm" => ("HS256", vec![], "HS256"),
        "auth_external_issuer" => (
            "https://idp.example/",
            vec![audience, jwks],
            "https://idp.example/",
        ),
        "auth_external_audience" => ("authenticated", vec![issuer, jwks], "authenticated"),
        "auth_external_jwks_url" => (
            "https://idp.example/jwks.json",
            vec![issuer, audience],
            "https://idp.example/jwks.json",
        ),
        "auth_external_jwks_refresh" => ("1m", vec![], "1m"),
        "auth_external_secret" => (
            "0123456789abcdef0123456789abcdef",
            vec![issuer, audience],
            HIDDEN,
        ),
        "secret_key" => ("fedcba9876543210fedcba9876543210", vec![], HIDDEN),
        "rate_limit_general" => ("7/1m", vec![], "7/1m"),
        "rate_limit_login" => ("8/1m", vec![], "8/1m"),
        "rate_limit_login_account" => ("9/1m", vec![], "9/1m"),
        "rate_limit_register" => ("1/1h", vec![], "1/1h"),
        "rate_limit_password_reset" => ("2/1h", vec![], "2/1h"),
        "rate_limit_fallback_instances" => ("3", vec![], "3"),
        "rate_limit_upload" => ("6/1h", vec![], "6/1h"),
        "email_transport" => (
            "smtp",
            vec![("AGORA_SMTP_URL", "smtp://127.0.0.1:2525")],
            "smtp",
        ),
        "smtp_url" => (
            "smtp://mailer:hunter2@relay:587?tls=starttls",
            vec![],
            "smtp://mailer:********@relay:587?tls=starttls",
        ),
        "email_from" => (
            "Agora <agora@example.com>",
            vec![],
            "Agora <agora@example.com>",
        ),
        "storage" => ("s3", vec![bucket], "s3"),
        "s3_endpoint" => (
            "http://127.0.0.1:9000",
            vec![s3, bucket],
            "http://127.0.0.1:9000/",
        ),
        "s3_bucket" => ("agora-media", vec![s3], "agora-media"),
        "s3_region" => ("eu-west-1", vec![], "eu-west-1"),
        "s3_access_key_id" => (
            "agora",
            vec![("AGORA_S3_SECRET_ACCESS_KEY", "hunter2hunter2")],
            "agora",
        ),
        "s3_secret_access_key" => (
            "hunter2hunter2",
            vec![("AGORA_S3_ACCESS_KEY_ID", "agora")],
            HIDDEN,
        ),
        "media_url" => (
            "https://cdn.example.com/m/",
            vec![],
            "https://cdn.example.com/m",
        ),
        "media_quota" => ("10MiB", vec![], "10485760"),
        "media_quota_unverified" => ("1MiB", vec![], "1048576"),
        "realtime_heartbeat" => ("10s", vec![], "10s"),
        "realtime_send_queue" => ("64", vec![], "64"),
        "realtime_sockets_per_user" => ("4", vec![], "4"),
        "realtime_typing_rate" => ("5/10s", vec![], "5/10s"),
        "jobs_workers" => ("0", vec![], "0"),
        "jobs_poll_interval" => ("5s", vec![], "5s"),
        "schedules" => ("jobs.purge = off", vec![], "jobs.purge=off"),
        "geoip_database" => ("/var/lib/country.mmdb", vec![], "/var/lib/country.mmdb"),
        "geoip_url" => (
            "https://ipapi.co/{ip}/json/",
            vec![],
            "https://ipapi.co/{ip}/json/",
        ),
        "geoip_timeout" => ("5s", vec![], "5s"),
        "example.page_size" => ("50", vec![], "50"),
        "example.api_key" => ("example-key-hunter2", vec![], HIDDEN),
        _ => return None,
    })
}

#[test]
fn every_setting_prints_the_value_the_environment_gave_it() {
    let declared: Vec<&Setting> = CORE_SECTIONS
        .iter()
        .chain(EXAMPLE)
        .flat_map(SettingsSection::settings)
        .collect();
    let defaults = load_with(None, &[], EXAMPLE).expect("defaults are valid");
    let printed_keys: Vec<&str> = defaults.effective().iter().map(|(s, ..)| s.key).collect();
    let declared_keys: Vec<&str> = declared.iter().map(|s| s.key).collect();
    assert_eq!(
        printed_keys, declared_keys,
        "every declared setting is printed, once"
    );

    for setting in declared {
        let Some((value, companions, expected)) = sample(setting.key) else {
            panic!("no sample value for `{}`: add one to `sample`", setting.key);
        };
        let mut env = companions;
        env.push((setting.env, value));
        let config = load_with(None, &env, EXAMPLE)
            .unwrap_or_else(|err| panic!("{}={value}: {err}", setting.env));
        let effective = config.effective();
        let shown = |config_effective: &[(&Setting, String, Origin)]| {
            config_effective
                .iter()
                .find(|(s, ..)| s.key == setting.key)
                .map(|(_, value, origin)| (value.clone(), origin.clone()))
                .expect("printed")
        };
        let (printed, origin) = shown(&effective);
        assert_eq!(printed, expected, "{}", setting.key);
        assert_eq!(origin, Origin::Env(setting.env), "{}", setting.key);
        let (default_printed, _) = shown(&defaults.effective());
        assert_ne!(
            default_printed, printed,
            "{}: the sample must differ from the default",
            setting.key
        );
        if setting.secret {
            assert!(
                effective.iter().all(|(_, v, _)| !v.contains(value)),
                "{} is printed",
                setting.key
            );
        }
    }
}

#[test]
fn a_module_section_is_loaded_checked_printed_and_listed() {
    let config = load_with(
        Some("[example]\npage_size = 30\n"),
        &[("AGORA_EXAMPLE_API_KEY", "k")],
        EXAMPLE,
    )
    .expect("valid");
    let example = config.section::<ExampleSettings>().expect("loaded");
    assert_eq!(example.page_size, 30);
    assert_eq!(example.api_key.as_ref().map(Secret::expose), Some("k"));
    assert_eq!(
        config.origins["example.page_size"],
        Origin::File("agora.toml".into())
    );

    let err = load_with(None, &[("AGORA_EXAMPLE_PAGE_SIZE", "500")], EXAMPLE).expect_err("range");
    assert_eq!(
        err.to_string(),
        "invalid configuration: AGORA_EXAMPLE_PAGE_SIZE: `500` is not a whole number from 1 to 100"
    );
    let err = load_with(Some("[example]\npage_size = 0\n"), &[], EXAMPLE).expect_err("range");
    assert_eq!(err.setting, "`example.page_size` in agora.toml");

    // Without the module's section, its keys are unknown and its values absent.
    let err = load_with(Some("[example]\npage_size = 30\n"), &[], &[]).expect_err("unknown");
    assert!(err.message.contains("unknown setting"), "{err}");
    assert!(
        load_with(None, &[], &[])
            .expect("valid")
            .section::<ExampleSettings>()
            .is_none()
    );

    let reference = reference_markdown(EXAMPLE);
    assert!(reference.contains("## Example"), "{reference}");
    assert!(reference.contains("| `example.page_size` | `AGORA_EXAMPLE_PAGE_SIZE` | `20` |"));
}

#[test]
fn a_key_declared_by_two_sections_stops_the_start() {
    let twice = [EXAMPLE[0], EXAMPLE[0]];
    let err = load_with(None, &[], &twice).expect_err("declared twice");
    assert!(err.message.contains("declared by two sections"), "{err}");
}

#[test]
fn the_defaults_of_every_setting_are_valid_values() {
    // Loading with no file and no environment parses every default; a default that its own
    // parser refuses would stop every start.
    let config = load_with(None, &[], EXAMPLE).expect("defaults are valid");
    for (setting, printed, origin) in config.effective() {
        assert_eq!(origin, Origin::Default, "{}", setting.key);
        if !setting.secret && !setting.default.is_empty() {
            let reparsed = load_with(None, &[(setting.env, &printed)], EXAMPLE)
                .unwrap_or_else(|err| panic!("{} prints `{printed}`: {err}", setting.key));
            let again = reparsed
                .effective()
                .into_iter()
                .find(|(s, ..)| s.key == setting.key)
                .map(|(_, v, _)| v);
            assert_eq!(again.as_deref(), Some(printed.as_str()), "{}", setting.key);
        }
    }
}

#[test]
fn the_reference_lists_every_setting() {
    let reference = reference_markdown(&[]);
    for s in CORE_SECTIONS.iter().flat_map(SettingsSection::settings) {
        assert!(reference.contains(s.env), "{} missing", s.env);
    }
}
