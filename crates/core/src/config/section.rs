//! The declaration of settings: a [`Section`] is a typed struct with a list of [`Field`]s, each
//! saying once what the setting is called, its default, its help, whether it is secret, how its
//! value is parsed into the struct and how the struct prints it back (`agora config`).
//!
//! Product modules declare sections of their own and hand them to the server as a
//! [`SettingsSection`] (in their `MODULE`); the core cannot name their types, so the loader
//! keeps them behind [`LoadedSection`] and hands them back by type ([`super::Config::section`]).

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::{ConfigError, Origin};

/// What a setting is, as the reference and `agora config` describe it.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// Key in `agora.toml`; a dot nests it in a table (`tasks.page_size` is `[tasks] page_size`).
    pub key: &'static str,
    /// Environment variable that overrides the file.
    pub env: &'static str,
    /// Value when neither the file nor the environment sets it; empty means unset.
    pub default: &'static str,
    /// Secrets are never printed (`agora config` shows `********`), and in development the
    /// server's own are generated when missing.
    pub secret: bool,
    pub help: &'static str,
}

/// One setting of section `S`: what it is, and how its value enters and leaves `S`.
pub struct Field<S> {
    pub setting: Setting,
    /// An empty value is refused ("must not be empty"). Otherwise an empty value leaves the
    /// field as `S::default()` has it (usually `None`, or an empty list).
    pub required: bool,
    /// Parses the value (trimmed, never empty) into its field of `S`; the message says what is
    /// wrong with it, and is shown after the name of the setting where the value came from.
    pub parse: fn(&mut S, &str) -> Result<(), String>,
    /// The effective value, as `agora config` prints it and as `parse` would read it back.
    /// Secrets are returned in clear; the loader hides them.
    pub show: fn(&S) -> String,
}

/// A group of settings stored in one typed struct (`HttpSettings`, a module's own settings).
///
/// `Default` is the struct before any value is parsed; every field is then parsed from its
/// default, the file or the environment, in the order of [`Section::FIELDS`], and
/// [`Section::finish`] checks the fields against each other.
pub trait Section: Default + fmt::Debug + Send + Sync + 'static {
    /// The section's title in the reference (`Server`, `Tasks`).
    const TITLE: &'static str;
    const FIELDS: &'static [Field<Self>];

    /// Checks and combines the parsed fields (`smtp_url` must be set when `email_transport` is
    /// `smtp`). Errors name a setting with [`Check::error`].
    fn finish(&mut self, check: &Check<'_>) -> Result<(), ConfigError> {
        let _ = check;
        Ok(())
    }
}

/// What [`Section::finish`] may look at beyond its own fields.
pub struct Check<'a> {
    pub(super) layers: &'a Layers,
    /// The `data_dir` setting, already parsed (the server section comes first).
    pub(super) data_dir: &'a Path,
}

impl Check<'_> {
    /// An error about `key`, named where its value came from.
    pub fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            setting: self.layers.describe(key, &self.layers.origin(key)),
            message: message.into(),
        }
    }

    pub fn origin(&self, key: &str) -> Origin {
        self.layers.origin(key)
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir
    }
}

/// A section as the server collects it from the modules: its settings, and how to load it.
#[derive(Clone, Copy)]
pub struct SettingsSection {
    title: &'static str,
    settings: fn() -> Vec<&'static Setting>,
    load: LoadFn,
}

/// Loads one section from the layers, whatever its type.
type LoadFn = fn(&Layers, &Check<'_>) -> Result<Arc<dyn LoadedSection>, ConfigError>;

impl fmt::Debug for SettingsSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettingsSection")
            .field("title", &self.title)
            .finish_non_exhaustive()
    }
}

impl SettingsSection {
    /// The section of type `S`: `settings: Some(SettingsSection::of::<TasksSettings>())`.
    pub const fn of<S: Section>() -> Self {
        Self {
            title: S::TITLE,
            settings: settings_of::<S>,
            load: load_dyn::<S>,
        }
    }

    pub fn title(&self) -> &'static str {
        self.title
    }

    pub fn settings(&self) -> Vec<&'static Setting> {
        (self.settings)()
    }

    pub(super) fn load(
        &self,
        layers: &Layers,
        check: &Check<'_>,
    ) -> Result<Arc<dyn LoadedSection>, ConfigError> {
        (self.load)(layers, check)
    }
}

fn settings_of<S: Section>() -> Vec<&'static Setting> {
    S::FIELDS.iter().map(|field| &field.setting).collect()
}

fn load_dyn<S: Section>(
    layers: &Layers,
    check: &Check<'_>,
) -> Result<Arc<dyn LoadedSection>, ConfigError> {
    Ok(Arc::new(load::<S>(layers, check)?))
}

/// A loaded section whose type only its module knows.
pub trait LoadedSection: Any + fmt::Debug + Send + Sync {
    /// Each setting with its effective value, secrets hidden.
    fn effective(&self) -> Vec<(&'static Setting, String)>;
    fn as_any(&self) -> &dyn Any;
}

impl<S: Section> LoadedSection for S {
    fn effective(&self) -> Vec<(&'static Setting, String)> {
        S::FIELDS
            .iter()
            .map(|field| {
                let value = (field.show)(self);
                let value = if field.setting.secret && !value.is_empty() {
                    super::HIDDEN.to_owned()
                } else {
                    value
                };
                (&field.setting, value)
            })
            .collect()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Parses every field of `S` from the layers, then lets `S` check them together.
pub(super) fn load<S: Section>(layers: &Layers, check: &Check<'_>) -> Result<S, ConfigError> {
    let mut section = S::default();
    for field in S::FIELDS {
        let key = field.setting.key;
        match layers.raw(key) {
            Some((value, origin)) => {
                (field.parse)(&mut section, value.trim()).map_err(|message| ConfigError {
                    setting: layers.describe(key, origin),
                    message,
                })?;
            }
            None if field.required => {
                return Err(ConfigError {
                    setting: layers.describe(key, &Origin::Default),
                    message: "must not be empty".to_owned(),
                });
            }
            None => {}
        }
    }
    section.finish(check)?;
    Ok(section)
}

/// Values gathered from the layers (defaults < file < environment), before they are parsed.
#[derive(Debug)]
pub(super) struct Layers {
    pub(super) settings: BTreeMap<&'static str, &'static Setting>,
    pub(super) values: BTreeMap<&'static str, (String, Origin)>,
}

impl Layers {
    fn raw(&self, key: &str) -> Option<(&str, &Origin)> {
        self.values
            .get(key)
            .map(|(value, origin)| (value.as_str(), origin))
            .filter(|(value, _)| !value.trim().is_empty())
    }

    fn origin(&self, key: &str) -> Origin {
        self.values
            .get(key)
            .map_or(Origin::Default, |(_, origin)| origin.clone())
    }

    /// How a person would find the setting: by the variable or file that set it.
    pub(super) fn describe(&self, key: &str, origin: &Origin) -> String {
        let env = self.settings.get(key).map_or(key, |s| s.env);
        match origin {
            Origin::Env(name) => (*name).to_owned(),
            Origin::File(path) => format!("`{key}` in {path}"),
            Origin::Default | Origin::Generated => format!("{env} (`{key}`)"),
        }
    }
}
