//! Identity: how access tokens are signed, an external provider's tokens, the server secret.

use std::time::Duration;

use super::parse::{parse_duration, show_duration};
use super::{Check, ConfigError, Field, Secret, Section, Setting};

/// How access tokens are signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JwtAlgorithm {
    #[default]
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

#[derive(Debug, Clone, Default)]
pub struct IdentitySettings {
    pub jwt_algorithm: JwtAlgorithm,
    /// The `auth_external_*` settings, all or nothing.
    pub external_auth: Option<ExternalAuth>,
    /// `None` until the server resolves it (from the data directory in development).
    pub secret_key: Option<Secret>,
    issuer: Option<String>,
    audience: Option<String>,
    jwks_url: Option<url::Url>,
    jwks_refresh: Duration,
    external_secret: Option<Secret>,
}

impl Section for IdentitySettings {
    const TITLE: &'static str = "Identity";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "jwt_algorithm",
                env: "AGORA_JWT_ALGORITHM",
                default: "EdDSA",
                secret: false,
                help: "How access tokens are signed: `EdDSA` (Ed25519, public key published at `/.well-known/jwks.json`) or `HS256` (shared secret, nothing published). Both keys are derived from `secret_key`.",
            },
            required: true,
            parse: |s, v| {
                s.jwt_algorithm = match v {
                    "EdDSA" => JwtAlgorithm::EdDsa,
                    "HS256" => JwtAlgorithm::Hs256,
                    _ => return Err("must be `EdDSA` or `HS256`".to_owned()),
                };
                Ok(())
            },
            show: |s| match s.jwt_algorithm {
                JwtAlgorithm::EdDsa => "EdDSA".to_owned(),
                JwtAlgorithm::Hs256 => "HS256".to_owned(),
            },
        },
        Field {
            setting: Setting {
                key: "auth_external_issuer",
                env: "AGORA_AUTH_EXTERNAL_ISSUER",
                default: "",
                secret: false,
                help: "Accept access tokens from this external identity provider (its exact `iss`, e.g. `https://xyz.supabase.co/auth/v1`). Needs `auth_external_audience` and one of `auth_external_jwks_url` or `auth_external_secret`.",
            },
            required: false,
            parse: |s, v| {
                s.issuer = Some(v.to_owned());
                Ok(())
            },
            show: |s| s.issuer.clone().unwrap_or_default(),
        },
        Field {
            setting: Setting {
                key: "auth_external_audience",
                env: "AGORA_AUTH_EXTERNAL_AUDIENCE",
                default: "",
                secret: false,
                help: "The `aud` that the external provider's tokens must carry (Supabase: `authenticated`).",
            },
            required: false,
            parse: |s, v| {
                s.audience = Some(v.to_owned());
                Ok(())
            },
            show: |s| s.audience.clone().unwrap_or_default(),
        },
        Field {
            setting: Setting {
                key: "auth_external_jwks_url",
                env: "AGORA_AUTH_EXTERNAL_JWKS_URL",
                default: "",
                secret: false,
                help: "URL of the external provider's JWK set (asymmetric keys; fetched on first use, cached, and fetched again for an unknown key id).",
            },
            required: false,
            parse: |s, v| {
                let url = url::Url::parse(v).map_err(|e| format!("is not a URL: {e}"))?;
                s.jwks_url = match url.scheme() {
                    "http" | "https" => Some(url),
                    other => return Err(format!("must be an http or https URL, not {other}")),
                };
                Ok(())
            },
            show: |s| {
                s.jwks_url
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            },
        },
        Field {
            setting: Setting {
                key: "auth_external_jwks_refresh",
                env: "AGORA_AUTH_EXTERNAL_JWKS_REFRESH",
                default: "30s",
                secret: false,
                help: "Least time between two fetches of the external JWKS caused by tokens naming an unknown key id (protects the provider from floods of made-up key ids).",
            },
            required: true,
            parse: |s, v| {
                s.jwks_refresh = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.jwks_refresh),
        },
        Field {
            setting: Setting {
                key: "auth_external_secret",
                env: "AGORA_AUTH_EXTERNAL_SECRET",
                default: "",
                secret: true,
                help: "Shared HS256 secret of the external provider, instead of a JWKS URL.",
            },
            required: false,
            parse: |s, v| {
                if v.len() < 32 {
                    return Err("must be at least 32 characters long".to_owned());
                }
                s.external_secret = Some(Secret::new(v));
                Ok(())
            },
            show: |s| {
                s.external_secret
                    .as_ref()
                    .map(|k| k.expose().to_owned())
                    .unwrap_or_default()
            },
        },
        Field {
            setting: Setting {
                key: "secret_key",
                env: "AGORA_SECRET_KEY",
                default: "",
                secret: true,
                help: "Server secret (at least 32 characters) from which salts and signing keys are derived. Generated and kept in the data directory in development; required in production.",
            },
            required: false,
            parse: |s, v| {
                if v.chars().count() < 32 {
                    return Err("must be at least 32 characters long".to_owned());
                }
                s.secret_key = Some(Secret::new(v));
                Ok(())
            },
            show: |s| {
                s.secret_key
                    .as_ref()
                    .map(|k| k.expose().to_owned())
                    .unwrap_or_default()
            },
        },
    ];

    /// The external provider settings: all or nothing, and exactly one key source.
    fn finish(&mut self, check: &Check<'_>) -> Result<(), ConfigError> {
        let Some(issuer) = self.issuer.clone() else {
            if self.audience.is_some() || self.jwks_url.is_some() || self.external_secret.is_some()
            {
                return Err(check.error(
                    "auth_external_issuer",
                    "must be set when other auth_external_ settings are",
                ));
            }
            return Ok(());
        };
        let Some(audience) = self.audience.clone() else {
            return Err(check.error(
                "auth_external_audience",
                "must be set with auth_external_issuer",
            ));
        };
        let keys = match (self.jwks_url.clone(), self.external_secret.clone()) {
            (Some(url), None) => ExternalKeySource::Jwks(url),
            (None, Some(secret)) => ExternalKeySource::Secret(secret),
            (Some(_), Some(_)) => {
                return Err(check.error(
                    "auth_external_secret",
                    "set either auth_external_jwks_url or auth_external_secret, not both",
                ));
            }
            (None, None) => {
                return Err(check.error(
                    "auth_external_jwks_url",
                    "or auth_external_secret must be set with auth_external_issuer",
                ));
            }
        };
        self.external_auth = Some(ExternalAuth {
            issuer,
            audience,
            keys,
            jwks_refresh: self.jwks_refresh,
        });
        Ok(())
    }
}
