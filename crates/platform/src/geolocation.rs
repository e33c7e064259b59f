//! The country of an address, for onboarding: from an offline MaxMind-format database
//! (`geoip_database`) or an ipapi-compatible HTTP provider (`geoip_url`), or not at all.
//!
//! A lookup never fails its caller: no provider, a private address, a provider that is down,
//! slow (`geoip_timeout`) or answers nonsense all give `None`, and onboarding goes on without a
//! country. Only a two-letter ISO 3166 code is ever returned.

use std::net::IpAddr;
use std::sync::Arc;

use agora_core::config::GeoIp;
use serde::Deserialize;

/// Looks up countries; cheap to clone.
#[derive(Clone)]
pub struct Geolocator(Arc<Provider>);

enum Provider {
    None,
    Database(maxminddb::Reader<Vec<u8>>),
    Http {
        client: reqwest::Client,
        /// With `{ip}` where the address goes.
        url: String,
    },
}

impl Geolocator {
    /// The provider of the configuration. Fails when the database file cannot be read, so a
    /// mistyped path stops the start instead of silently losing every country.
    pub fn from_config(config: &GeoIp) -> Result<Self, String> {
        let provider = match (&config.database, &config.url) {
            (Some(path), _) => {
                Provider::Database(maxminddb::Reader::open_readfile(path).map_err(|err| {
                    format!(
                        "cannot read the geolocation database {}: {err}",
                        path.display()
                    )
                })?)
            }
            (None, Some(url)) => Provider::Http {
                client: reqwest::Client::builder()
                    .timeout(config.timeout)
                    .connect_timeout(config.timeout)
                    .build()
                    .map_err(|err| format!("cannot build the geolocation client: {err}"))?,
                url: url.clone(),
            },
            (None, None) => Provider::None,
        };
        Ok(Self(Arc::new(provider)))
    }

    /// Which provider is in use, for the logs.
    pub fn describe(&self) -> &'static str {
        match *self.0 {
            Provider::None => "none",
            Provider::Database(_) => "database",
            Provider::Http { .. } => "http",
        }
    }

    /// The country of `ip` (`"NZ"`), if it can be told.
    pub async fn country(&self, ip: IpAddr) -> Option<String> {
        if !is_public(ip) {
            return None;
        }
        let found = match &*self.0 {
            Provider::None => None,
            Provider::Database(reader) => from_database(reader, ip),
            Provider::Http { client, url } => from_http(client, url, ip).await,
        };
        found.and_then(|code| iso_code(&code))
    }
}

#[derive(Deserialize)]
struct CountryRecord {
    country: Option<Country>,
}

#[derive(Deserialize)]
struct Country {
    iso_code: Option<String>,
}

fn from_database(reader: &maxminddb::Reader<Vec<u8>>, ip: IpAddr) -> Option<String> {
    let result = reader.lookup(ip).ok()?;
    let record: CountryRecord = result.decode().ok()??;
    record.country?.iso_code
}

/// The fields ipapi.co, ip-api.com and their imitators answer with.
#[derive(Deserialize)]
struct HttpAnswer {
    country_code: Option<String>,
    #[serde(rename = "countryCode")]
    country_code_camel: Option<String>,
    country: Option<String>,
}

async fn from_http(client: &reqwest::Client, url: &str, ip: IpAddr) -> Option<String> {
    let url = url.replace("{ip}", &ip.to_string());
    let response = match client.get(&url).send().await {
        Ok(response) if response.status().is_success() => response,
        Ok(response) => {
            tracing::warn!(status = %response.status(), "the geolocation provider refused a lookup");
            return None;
        }
        Err(err) => {
            tracing::warn!(error = %err, "the geolocation provider did not answer");
            return None;
        }
    };
    // A JSON object, or (ipapi.co's `/country/`) the code as plain text.
    let body = response.text().await.ok()?;
    match serde_json::from_str::<HttpAnswer>(&body) {
        Ok(answer) => answer
            .country_code
            .or(answer.country_code_camel)
            .or(answer.country),
        Err(_) => Some(body.trim().to_owned()),
    }
}

/// A two-letter code, upper case; anything else is no answer.
fn iso_code(code: &str) -> Option<String> {
    let code = code.trim();
    (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}

/// Addresses no provider can place (private, loopback, link-local, documentation ranges are
/// kept: tests use them).
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast())
        }
        IpAddr::V6(v6) => {
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_unique_local()
                || v6.is_unicast_link_local())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_two_letter_codes_count() {
        assert_eq!(iso_code(" nz\n").as_deref(), Some("NZ"));
        for bad in ["", "N", "NZL", "1A", "Undefined", "<html>"] {
            assert_eq!(iso_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn private_addresses_are_not_looked_up() {
        for private in [
            "10.1.2.3",
            "192.168.0.1",
            "127.0.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(
                !is_public(private.parse().expect("an address")),
                "{private}"
            );
        }
        for public in ["203.0.113.7", "8.8.8.8", "2001:db8::1"] {
            assert!(is_public(public.parse().expect("an address")), "{public}");
        }
    }
}
