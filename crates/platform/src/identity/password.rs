//! Passwords: the policy, and Argon2id hashing.
//!
//! Parameters are one of OWASP's equivalent minimums for Argon2id: 7 MiB, 5 iterations, 1 lane
//! (OWASP lists 19 MiB/t=2 … 7 MiB/t=5 as giving the same defence; the smaller memory stays in
//! the processor's cache, so a login costs ~17 ms of a core here instead of ~27 ms, and a burst
//! of logins holds less memory; see decision 0008). Hashes made with other parameters still
//! verify, since a hash carries its own parameters. Hashing is CPU- and memory-heavy on
//! purpose, so it runs on the blocking pool, and at most one hash per core runs at once: a
//! burst of logins queues instead of exhausting memory.
//!
//! A login for an account that does not exist still verifies a password (against a dummy hash),
//! so the answer takes as long as for a real account and timing reveals nothing.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use agora_core::{FieldCode, Invalid};
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// 8 to 128 characters, and not one of the 30,000 most common passwords.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(********)")
    }
}

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
});

impl Password {
    pub fn parse(value: &str) -> Result<Password, Invalid> {
        let length = value.chars().count();
        if length < 8 {
            return Err(Invalid::new(
                FieldCode::TooShort,
                "must be at least 8 characters long",
            ));
        }
        if length > 128 {
            return Err(Invalid::new(
                FieldCode::TooLong,
                "must be at most 128 characters long",
            ));
        }
        if is_common(value) {
            return Err(Invalid::new(
                FieldCode::Invalid,
                "is one of the most common passwords; choose another",
            ));
        }
        Ok(Password(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// True when `value` is on the common-password list (case-insensitively).
pub fn is_common(value: &str) -> bool {
    COMMON_PASSWORDS.contains(value.to_lowercase().as_str())
}

/// How many entries the shipped list has.
pub fn common_password_count() -> usize {
    COMMON_PASSWORDS.len()
}

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: Argon2id, m = 7 MiB, t = 5, p = 1.
    let params = Params::new(7 * 1024, 5, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords off the async runtime, one per core at a time.
#[derive(Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

impl PasswordHasherPool {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        // A valid hash of a random password, so verifying against it costs a real hash.
        let dummy = super::secrets::new_token();
        let dummy_hash = hash_blocking(&dummy).unwrap_or_default();
        Self {
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hash: Arc::from(dummy_hash),
        }
    }

    pub async fn hash(&self, password: &Password) -> Result<String, String> {
        let password = password.expose().to_owned();
        self.run(move || hash_blocking(&password)).await?
    }

    /// Verifies `password` against `hash`, or against the dummy hash when there is none (no
    /// such account), so both take the same time. Returns false in the second case.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let real = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.to_owned();
        let matched = self
            .run(move || verify_blocking(&password, &hash))
            .await
            .unwrap_or(false);
        real && matched
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| "the password hasher is shut down".to_owned())?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| format!("password hashing failed: {e}"))
    }
}

impl Default for PasswordHasherPool {
    fn default() -> Self {
        Self::new()
    }
}

fn hash_blocking(password: &str) -> Result<String, String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| format!("hashing a password failed: {e}"))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    // The parameters stored in the hash are used, so older hashes still verify.
    argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_checks_length_and_the_common_list() {
        assert!(Password::parse("correct horse battery").is_ok());
        assert_eq!(
            Password::parse("short").err(),
            Some(Invalid::new(
                FieldCode::TooShort,
                "must be at least 8 characters long"
            ))
        );
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(
            Password::parse(&"é".repeat(128)).is_ok(),
            "length counts characters"
        );
        for common in [
            "password",
            "12345678",
            "PASSWORD1",
            "iloveyou",
            "qwertyuiop",
        ] {
            assert!(Password::parse(common).is_err(), "{common}");
        }
    }

    #[test]
    fn the_shipped_list_has_at_least_ten_thousand_entries() {
        assert!(
            common_password_count() >= 10_000,
            "{}",
            common_password_count()
        );
    }

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_blocking("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
        assert!(verify_blocking("correct horse battery", &hash));
        assert!(!verify_blocking("wrong horse battery", &hash));
        assert!(!verify_blocking("anything", "not a hash"));
    }

    #[tokio::test]
    async fn verifying_without_an_account_is_always_false() {
        let pool = PasswordHasherPool::new();
        assert!(!pool.verify("whatever", None).await);
    }
}
