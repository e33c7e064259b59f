//! Secrets the configuration did not give.
//!
//! In development a missing secret is generated once and kept under `<data_dir>/secrets/`, so
//! `cargo run` needs no configuration and restarts keep sessions valid. In production a missing
//! secret stops the start: a generated one would differ per instance and vanish with the disk.

use std::path::{Path, PathBuf};

use agora_core::config::{Config, Origin, Secret};
use anyhow::{Context, bail};
use base64::Engine;
use rand::RngCore;

/// Fills in every secret the configuration lacks, or refuses to start in production.
pub fn resolve(config: &mut Config) -> anyhow::Result<()> {
    if config.identity.secret_key.is_some() {
        return Ok(());
    }
    if config.is_production() {
        bail!(
            "invalid configuration: AGORA_SECRET_KEY is required when AGORA_ENV=production \
             (at least 32 characters, e.g. the output of `openssl rand -base64 48`)"
        );
    }
    let path = secret_path(&config.server.data_dir, "secret_key");
    config.identity.secret_key = Some(load_or_generate(&path)?);
    config.origins.insert("secret_key", Origin::Generated);
    Ok(())
}

fn secret_path(data_dir: &Path, name: &str) -> PathBuf {
    data_dir.join("secrets").join(name)
}

fn load_or_generate(path: &Path) -> anyhow::Result<Secret> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(Secret::new(existing));
        }
        tracing::warn!(path = %path.display(), "stored development secret is too short; replacing it");
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    if let Some(dir) = path.parent() {
        agora_store::fs::create_private_dir_all(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_private(path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "generated a development secret; set AGORA_SECRET_KEY in production"
    );
    Ok(Secret::new(secret))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, env: &[(&str, &str)]) -> Config {
        let mut vars: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        vars.push(("AGORA_DATA_DIR".into(), dir.display().to_string()));
        Config::load(
            None,
            |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            &[],
        )
        .expect("valid configuration")
    }

    #[test]
    fn development_generates_a_secret_once_and_keeps_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut first = config(dir.path(), &[]);
        resolve(&mut first).expect("generated");
        let mut second = config(dir.path(), &[]);
        resolve(&mut second).expect("loaded");
        let (a, b) = (
            first.identity.secret_key.expect("set"),
            second.identity.secret_key.expect("set"),
        );
        assert_eq!(a, b);
        assert!(a.expose().len() >= 32);
    }

    #[test]
    fn production_without_a_secret_refuses_to_start() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = config(dir.path(), &[("AGORA_ENV", "production")]);
        let err = resolve(&mut config).expect_err("must fail");
        assert!(err.to_string().contains("AGORA_SECRET_KEY is required"));
        assert!(!dir.path().join("secrets").exists(), "nothing generated");
    }
}
