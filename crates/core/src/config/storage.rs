//! Media: where uploads are stored (a local folder or an S3 bucket), where they are served
//! from, and how much each user may keep.

use std::path::PathBuf;

use super::parse::{parse_http_url, parse_public_url, parse_quota, redact_url_password};
use super::{Check, ConfigError, Field, Secret, Section, Setting};

/// Where uploaded media is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// Files under this directory (`<data_dir>/media`).
    Local(PathBuf),
    /// A bucket of S3 or an S3-compatible server.
    S3(S3Config),
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self::Local(PathBuf::new())
    }
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

#[derive(Debug, Clone, Default)]
pub struct StorageSettings {
    /// `storage`, with the bucket settings for `s3`.
    pub backend: StorageConfig,
    s3: bool,
    endpoint: Option<url::Url>,
    bucket: Option<String>,
    region: String,
    access_key_id: Option<String>,
    secret_access_key: Option<Secret>,
}

impl Section for StorageSettings {
    const TITLE: &'static str = "Storage";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "storage",
                env: "AGORA_STORAGE",
                default: "local",
                secret: false,
                help: "Where uploaded media is kept: `local` (files under `<data_dir>/media/`) or `s3` (a bucket of Amazon S3 or any S3-compatible server: MinIO, Garage, R2, ...). Either way media is served by this server at `/media/{key}`.",
            },
            required: true,
            parse: |s, v| {
                s.s3 = match v {
                    "local" | "s3" => v == "s3",
                    other => return Err(format!("`{other}` is not one of: local, s3")),
                };
                Ok(())
            },
            show: |s| if s.s3 { "s3" } else { "local" }.to_owned(),
        },
        Field {
            setting: Setting {
                key: "s3_endpoint",
                env: "AGORA_S3_ENDPOINT",
                default: "",
                secret: false,
                help: "URL of an S3-compatible server (`http://127.0.0.1:9000`), addressed path-style. Empty: Amazon S3 itself. `http://` is allowed for servers on a private network.",
            },
            required: false,
            parse: |s, v| {
                s.endpoint = Some(parse_http_url(v)?);
                Ok(())
            },
            show: |s| {
                s.endpoint
                    .as_ref()
                    .map(|u| redact_url_password(u.as_str()))
                    .unwrap_or_default()
            },
        },
        Field {
            setting: Setting {
                key: "s3_bucket",
                env: "AGORA_S3_BUCKET",
                default: "",
                secret: false,
                help: "The bucket media is stored in, for `storage = s3`.",
            },
            required: false,
            parse: |s, v| {
                let ok = (3..=63).contains(&v.len())
                    && v.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                    });
                if !ok {
                    return Err(format!(
                        "`{v}` is not a bucket name (3 to 63 lowercase letters, digits, `-` and `.`)"
                    ));
                }
                s.bucket = Some(v.to_owned());
                Ok(())
            },
            show: |s| s.bucket.clone().unwrap_or_default(),
        },
        Field {
            setting: Setting {
                key: "s3_region",
                env: "AGORA_S3_REGION",
                default: "us-east-1",
                secret: false,
                help: "Region of the bucket (most S3-compatible servers accept any value).",
            },
            required: true,
            parse: |s, v| {
                s.region = v.to_owned();
                Ok(())
            },
            show: |s| s.region.clone(),
        },
        Field {
            setting: Setting {
                key: "s3_access_key_id",
                env: "AGORA_S3_ACCESS_KEY_ID",
                default: "",
                secret: false,
                help: "Access key id for `storage = s3`.",
            },
            required: false,
            parse: |s, v| {
                s.access_key_id = Some(v.to_owned());
                Ok(())
            },
            show: |s| s.access_key_id.clone().unwrap_or_default(),
        },
        Field {
            setting: Setting {
                key: "s3_secret_access_key",
                env: "AGORA_S3_SECRET_ACCESS_KEY",
                default: "",
                secret: true,
                help: "Secret access key for `storage = s3`.",
            },
            required: false,
            parse: |s, v| {
                s.secret_access_key = Some(Secret::new(v));
                Ok(())
            },
            show: |s| {
                s.secret_access_key
                    .as_ref()
                    .map(|k| k.expose().to_owned())
                    .unwrap_or_default()
            },
        },
    ];

    fn finish(&mut self, check: &Check<'_>) -> Result<(), ConfigError> {
        if !self.s3 {
            self.backend = StorageConfig::Local(check.data_dir().join("media"));
            return Ok(());
        }
        let bucket = self
            .bucket
            .clone()
            .ok_or_else(|| check.error("s3_bucket", "must be set when `storage` is `s3`"))?;
        if self.access_key_id.is_some() != self.secret_access_key.is_some() {
            let missing = if self.access_key_id.is_some() {
                "s3_secret_access_key"
            } else {
                "s3_access_key_id"
            };
            return Err(check.error(
                missing,
                "the access key id and the secret access key go together",
            ));
        }
        self.backend = StorageConfig::S3(S3Config {
            endpoint: self.endpoint.clone(),
            bucket,
            region: self.region.clone(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
        });
        Ok(())
    }
}

/// Media settings beyond where it is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

impl Section for MediaConfig {
    const TITLE: &'static str = "Media";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "media_url",
                env: "AGORA_MEDIA_URL",
                default: "",
                secret: false,
                help: "Base URL media is served from when not by this server (a CDN or a separate origin in front of `/media/`, or of the bucket): URLs of uploads, thumbnails and profile pictures become `{media_url}/{key}`. Empty: `/media/{key}` of this server.",
            },
            required: false,
            parse: |s, v| {
                let url = parse_public_url(v)?;
                s.url = Some(url.as_str().trim_end_matches('/').to_owned());
                Ok(())
            },
            show: |s| s.url.clone().unwrap_or_default(),
        },
        Field {
            setting: Setting {
                key: "media_quota",
                env: "AGORA_MEDIA_QUOTA",
                default: "1GiB",
                secret: false,
                help: "Bytes of media (stored originals, as `size` shows them) each user may keep, with a unit (`500MiB`, `2GiB`); `0`: no quota. An upload beyond it is refused with 413 `quota_exceeded`.",
            },
            required: true,
            parse: |s, v| {
                s.quota = parse_quota(v)?;
                Ok(())
            },
            show: |s| s.quota.unwrap_or(0).to_string(),
        },
        Field {
            setting: Setting {
                key: "media_quota_unverified",
                env: "AGORA_MEDIA_QUOTA_UNVERIFIED",
                default: "100MiB",
                secret: false,
                help: "The quota of a user whose email address is not verified yet (the smaller of this and `media_quota` applies); `0`: only `media_quota`.",
            },
            required: true,
            parse: |s, v| {
                s.quota_unverified = parse_quota(v)?;
                Ok(())
            },
            show: |s| s.quota_unverified.unwrap_or(0).to_string(),
        },
    ];
}
