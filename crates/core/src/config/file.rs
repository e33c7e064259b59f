//! `agora.toml`: parsed with `toml`, flattened to `section.key` strings, each checked against
//! the declared settings.

use std::collections::BTreeMap;

use super::{ConfigError, ConfigFile, Setting};

/// The settings the file sets, with their values as strings.
pub(super) fn read(
    file: &ConfigFile,
    settings: &BTreeMap<&'static str, &'static Setting>,
) -> Result<Vec<(&'static str, String)>, ConfigError> {
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
            let setting = settings.get(key.as_str()).ok_or_else(|| ConfigError {
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
