//! Configuration: built-in defaults, overridden by `agora.toml`, overridden by the environment.
//!
//! Settings are grouped in sections, one file each (`server.rs`, `database.rs`, ...). A section
//! is a typed struct ([`Section`]) whose [`Field`]s declare each setting once: its file key, its
//! environment variable, its default, its help, whether it is secret, how its value is parsed
//! into the struct and how the struct prints it back. Those declarations drive loading, the
//! error messages (which name the setting where the bad value came from), `agora config` and
//! the generated reference (`agora config --reference`, committed as `docs/configuration.md`).
//!
//! Product modules declare sections of their own ([`SettingsSection`] in their `MODULE`); the
//! server hands them to [`Config::load`], and handlers read them with [`Config::section`].
//!
//! Loading is pure: the caller reads the file and the environment and hands them in, so the rules
//! are unit-tested without touching the process environment.

mod database;
mod email;
mod file;
mod geolocation;
mod identity;
mod jobs;
mod parse;
mod rate_limits;
mod realtime;
mod section;
mod server;
mod storage;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub use database::{DatabaseKind, DatabaseSettings, RedisSettings};
pub use email::{EmailSettings, EmailTransport, SmtpTls, SmtpUrl};
pub use geolocation::GeoIp;
pub use identity::{ExternalAuth, ExternalKeySource, IdentitySettings, JwtAlgorithm};
pub use jobs::JobsSettings;
pub use parse::{
    Rate, number, parse_duration, parse_rate, parse_size, redact_url_password, show_duration,
};
pub use rate_limits::RateLimits;
pub use realtime::Realtime;
pub use section::{Check, Field, LoadedSection, Section, Setting, SettingsSection};
pub use server::{Connections, Environment, LogFormat, ModuleSelection, ServerSettings};
pub use storage::{MediaConfig, S3Config, StorageConfig, StorageSettings};

use section::Layers;

/// How `agora config` shows a secret that is set.
const HIDDEN: &str = "********";

/// The sections of the core, in the order they are loaded, printed and listed in the
/// reference. `server` comes first: the others may read its `data_dir`.
pub const CORE_SECTIONS: &[SettingsSection] = &[
    SettingsSection::of::<ServerSettings>(),
    SettingsSection::of::<Connections>(),
    SettingsSection::of::<DatabaseSettings>(),
    SettingsSection::of::<RedisSettings>(),
    SettingsSection::of::<IdentitySettings>(),
    SettingsSection::of::<RateLimits>(),
    SettingsSection::of::<EmailSettings>(),
    SettingsSection::of::<StorageSettings>(),
    SettingsSection::of::<MediaConfig>(),
    SettingsSection::of::<Realtime>(),
    SettingsSection::of::<JobsSettings>(),
    SettingsSection::of::<GeoIp>(),
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

/// The contents of a configuration file.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// How to name the file in messages (its path).
    pub name: String,
    pub contents: String,
}

/// The validated configuration: one field per section of the core, and the sections of the
/// product modules, reached by type with [`Config::section`].
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerSettings,
    pub connections: Connections,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub identity: IdentitySettings,
    pub rate_limits: RateLimits,
    pub email: EmailSettings,
    pub storage: StorageSettings,
    pub media: MediaConfig,
    pub realtime: Realtime,
    pub jobs: JobsSettings,
    pub geoip: GeoIp,
    /// The modules' sections, in the order the server listed them.
    module_sections: Vec<Arc<dyn LoadedSection>>,
    /// Where each setting's value came from, by key.
    pub origins: BTreeMap<&'static str, Origin>,
}

impl Config {
    /// Builds the configuration from the defaults, an optional file and the environment: the
    /// core's sections and `modules`, the sections the product modules declare.
    pub fn load(
        file: Option<&ConfigFile>,
        env: impl Fn(&str) -> Option<String>,
        modules: &[SettingsSection],
    ) -> Result<Config, ConfigError> {
        let mut settings: BTreeMap<&'static str, &'static Setting> = BTreeMap::new();
        for setting in CORE_SECTIONS
            .iter()
            .chain(modules)
            .flat_map(SettingsSection::settings)
        {
            if settings.insert(setting.key, setting).is_some() {
                // Two sections claiming one key is a mistake in the code, not in the
                // configuration; it still stops the start with the key named.
                return Err(ConfigError {
                    setting: format!("{} (`{}`)", setting.env, setting.key),
                    message: "is declared by two sections".to_owned(),
                });
            }
        }
        let mut values: BTreeMap<&'static str, (String, Origin)> = settings
            .values()
            .map(|s| (s.key, (s.default.to_owned(), Origin::Default)))
            .collect();
        if let Some(file) = file {
            for (key, value) in file::read(file, &settings)? {
                values.insert(key, (value, Origin::File(file.name.clone())));
            }
        }
        for setting in settings.values() {
            // An empty variable counts as unset (container tools often pass them empty).
            if let Some(value) = env(setting.env).filter(|v| !v.trim().is_empty()) {
                values.insert(setting.key, (value, Origin::Env(setting.env)));
            }
        }
        let layers = Layers { settings, values };

        let server: ServerSettings = section::load(
            &layers,
            &Check {
                layers: &layers,
                data_dir: Path::new(""),
            },
        )?;
        let data_dir = server.data_dir.clone();
        let check = Check {
            layers: &layers,
            data_dir: &data_dir,
        };
        Ok(Config {
            server,
            connections: section::load(&layers, &check)?,
            database: section::load(&layers, &check)?,
            redis: section::load(&layers, &check)?,
            identity: section::load(&layers, &check)?,
            rate_limits: section::load(&layers, &check)?,
            email: section::load(&layers, &check)?,
            storage: section::load(&layers, &check)?,
            media: section::load(&layers, &check)?,
            realtime: section::load(&layers, &check)?,
            jobs: section::load(&layers, &check)?,
            geoip: section::load(&layers, &check)?,
            module_sections: modules
                .iter()
                .map(|section| section.load(&layers, &check))
                .collect::<Result<_, _>>()?,
            origins: layers
                .values
                .iter()
                .map(|(key, (_, origin))| (*key, origin.clone()))
                .collect(),
        })
    }

    /// The section of a product module, when the server loaded it (it loads every module's,
    /// enabled or not).
    pub fn section<S: Section>(&self) -> Option<&S> {
        self.module_sections
            .iter()
            .find_map(|section| section.as_any().downcast_ref::<S>())
    }

    /// Every section, in the order of [`CORE_SECTIONS`] and then the modules'.
    fn sections(&self) -> impl Iterator<Item = &dyn LoadedSection> {
        let core: [&dyn LoadedSection; 12] = [
            &self.server,
            &self.connections,
            &self.database,
            &self.redis,
            &self.identity,
            &self.rate_limits,
            &self.email,
            &self.storage,
            &self.media,
            &self.realtime,
            &self.jobs,
            &self.geoip,
        ];
        core.into_iter()
            .chain(self.module_sections.iter().map(|section| section.as_ref()))
    }

    /// Every setting with its effective value (secrets hidden) and origin, for `agora config`.
    pub fn effective(&self) -> Vec<(&'static Setting, String, Origin)> {
        self.sections()
            .flat_map(|section| section.effective())
            .map(|(setting, value)| {
                let origin = self
                    .origins
                    .get(setting.key)
                    .cloned()
                    .unwrap_or(Origin::Default);
                (setting, value, origin)
            })
            .collect()
    }

    /// A warning for the start-up log when this instance looks like one of several (Redis is
    /// configured) but its `public_url` is the default made from `listen`: the access-token
    /// issuer comes from it, so instances on other ports or hosts would refuse each other's
    /// tokens (README, "Running several instances").
    pub fn multi_instance_warning(&self) -> Option<String> {
        let public_url_is_default =
            matches!(self.origins.get("public_url"), Some(Origin::Default) | None);
        (self.redis.url.is_some() && public_url_is_default).then(|| {
            format!(
                "REDIS_URL is set but AGORA_PUBLIC_URL is not: this instance's public URL (and the \
                 issuer of its access tokens) is {}, made from its listen address, so other \
                 instances will refuse its tokens; give every instance the same public_url",
                self.server.public_url
            )
        })
    }

    pub fn is_production(&self) -> bool {
        self.server.env == Environment::Production
    }

    /// The S3 bucket, when media is stored in one.
    pub fn s3(&self) -> Option<&S3Config> {
        match &self.storage.backend {
            StorageConfig::S3(s3) => Some(s3),
            StorageConfig::Local(_) => None,
        }
    }

    pub fn module_enabled(&self, module: &str) -> bool {
        self.server.modules.includes(module)
    }
}

/// The configuration reference in Markdown: the core's sections and `modules`, the sections
/// the product modules declare.
pub fn reference_markdown(modules: &[SettingsSection]) -> String {
    let mut out = String::from(
        "# Configuration reference\n\n\
         Generated by `agora config --reference`; do not edit by hand.\n\n\
         Each setting is read from, in rising priority: its default, `agora.toml` (in the working \
         directory, or the file named by `--config` or `AGORA_CONFIG`), and its environment \
         variable. Logging is filtered with `RUST_LOG` (e.g. `RUST_LOG=agora=debug,info`).\n",
    );
    for section in CORE_SECTIONS.iter().chain(modules) {
        out.push_str(&format!(
            "\n## {}\n\n| `agora.toml` key | environment | default | description |\n|---|---|---|---|\n",
            section.title()
        ));
        for s in section.settings() {
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
    }
    out
}

#[cfg(test)]
mod tests;
