//! Geolocation: where onboarding looks up the country of an address.

use std::path::PathBuf;
use std::time::Duration;

use super::parse::{parse_duration, show_duration};
use super::{Field, Section, Setting};

/// Where to look up the country of an address.
#[derive(Debug, Clone, Default)]
pub struct GeoIp {
    pub database: Option<PathBuf>,
    /// With `{ip}` where the address goes.
    pub url: Option<String>,
    pub timeout: Duration,
}

impl Section for GeoIp {
    const TITLE: &'static str = "Geolocation";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "geoip_database",
                env: "AGORA_GEOIP_DATABASE",
                default: "",
                secret: false,
                help: "A MaxMind-format country database (`GeoLite2-Country.mmdb`) to tell a user's country from their address at onboarding, offline. Takes precedence over `geoip_url`. Neither: the country is left empty.",
            },
            required: false,
            parse: |s, v| {
                s.database = Some(PathBuf::from(v));
                Ok(())
            },
            show: |s| {
                s.database
                    .as_ref()
                    .map(|path| path.display().to_string())
                    .unwrap_or_default()
            },
        },
        Field {
            setting: Setting {
                key: "geoip_url",
                env: "AGORA_GEOIP_URL",
                default: "",
                secret: false,
                help: "An ipapi-compatible HTTP lookup, `{ip}` standing for the address (`https://ipapi.co/{ip}/json/`); the answer's `country_code` (or `countryCode`, or `country`) is used. A failing or slow provider leaves the country empty.",
            },
            required: false,
            parse: |s, v| {
                let url = v.replace("{ip}", "192.0.2.1");
                s.url = match url::Url::parse(&url) {
                    Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Some(v.to_owned()),
                    _ => return Err(format!("`{v}` is not an http(s) URL with `{{ip}}` in it")),
                };
                Ok(())
            },
            show: |s| s.url.clone().unwrap_or_default(),
        },
        Field {
            setting: Setting {
                key: "geoip_timeout",
                env: "AGORA_GEOIP_TIMEOUT",
                default: "2s",
                secret: false,
                help: "How long onboarding waits for the HTTP geolocation provider.",
            },
            required: true,
            parse: |s, v| {
                s.timeout = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.timeout),
        },
    ];
}
