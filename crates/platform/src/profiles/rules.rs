//! The rules of profile fields, as plain functions. Limits follow PageShare's (display name 50,
//! bio 160); the others are ours (decision 0015).

use std::str::FromStr;

use agora_core::text::optional_text;
use agora_core::{FieldCode, Invalid};

pub use crate::identity::names::DISPLAY_NAME_MAX;
pub const BIO_MAX: usize = 160;
pub const WEBSITE_MAX: usize = 200;
pub const LOCATION_MAX: usize = 100;
pub const INTERESTS_MAX: usize = 10;
pub const INTEREST_MAX: usize = 30;

/// An `http` or `https` address, at most [`WEBSITE_MAX`] characters, of the form the OpenAPI
/// document states (`UpdateMe.website`'s pattern): the scheme, a host of letters, digits, dots
/// and dashes, an optional port, then visible ASCII (path, query, fragment). Internationalised
/// domains are sent in their ASCII form (`xn--…`).
pub fn website(value: Option<String>) -> Result<Option<String>, Invalid> {
    let Some(value) = optional_text(value, WEBSITE_MAX)? else {
        return Ok(None);
    };
    if is_web_address(&value) {
        Ok(Some(value))
    } else {
        Err(Invalid::new(
            FieldCode::InvalidFormat,
            "must be an http or https address",
        ))
    }
}

fn is_web_address(value: &str) -> bool {
    let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
    else {
        return false;
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && host.bytes().any(|b| b.is_ascii_alphanumeric());
    let port_ok = port.is_none_or(|port| {
        (1..=4).contains(&port.len()) && port.bytes().all(|b| b.is_ascii_digit())
    });
    host_ok && port_ok && tail.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// At most [`INTERESTS_MAX`] words of 1–[`INTEREST_MAX`] characters, lower-cased, each once,
/// in the order given.
pub fn interests(values: Vec<String>) -> Result<Vec<String>, Invalid> {
    // Counted as sent, as the schema's `maxItems` says, before duplicates fold.
    if values.len() > INTERESTS_MAX {
        return Err(Invalid::new(
            FieldCode::TooLong,
            format!("at most {INTERESTS_MAX} interests"),
        ));
    }
    let mut kept: Vec<String> = Vec::new();
    for value in values {
        agora_core::text::check_single_line(&value)
            .map_err(|err| Invalid::new(FieldCode::ControlCharacter, format!("each {err}")))?;
        let value = value.trim().to_lowercase();
        if value.is_empty() || value.chars().count() > INTEREST_MAX {
            let code = if value.is_empty() {
                FieldCode::TooShort
            } else {
                FieldCode::TooLong
            };
            return Err(Invalid::new(
                code,
                format!("each must be 1 to {INTEREST_MAX} characters"),
            ));
        }
        if !kept.contains(&value) {
            kept.push(value);
        }
    }
    if kept.len() > INTERESTS_MAX {
        return Err(Invalid::new(
            FieldCode::TooLong,
            format!("at most {INTERESTS_MAX} interests"),
        ));
    }
    Ok(kept)
}

/// The schema of a time zone field: the IANA names the server knows (chrono-tz's), so that
/// clients and generators know them.
pub struct TimeZoneName;

impl utoipa::PartialSchema for TimeZoneName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An IANA time zone, such as `Europe/Berlin` or `UTC`"))
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .into()
    }
}

impl utoipa::ToSchema for TimeZoneName {}

/// An IANA time zone name (`Europe/Berlin`, `UTC`), in its canonical spelling.
pub fn timezone(value: &str) -> Result<String, Invalid> {
    chrono_tz::Tz::from_str(value.trim())
        .map(|tz| tz.name().to_owned())
        .map_err(|_| {
            Invalid::new(
                FieldCode::InvalidEnum,
                format!("`{value}` is not an IANA time zone such as Europe/Berlin"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websites_are_http_addresses() {
        assert_eq!(
            website(Some("https://agora.example/me".into())),
            Ok(Some("https://agora.example/me".into()))
        );
        assert_eq!(
            website(Some(" http://xn--bcher-kva.example:8080/a?b=c#d ".into())),
            Ok(Some("http://xn--bcher-kva.example:8080/a?b=c#d".into()))
        );
        for bad in [
            "javascript:alert(1)",
            "agora.example",
            "ftp://agora.example",
            "https://",
            "https://-",
            "https://agora.example:99999",
            "https://agora.example/a b",
            "https://agora.example/\u{e9}",
        ] {
            assert!(website(Some(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn interests_are_lower_case_words_each_once() {
        assert_eq!(
            interests(vec!["Options".into(), " options ".into(), "ETFs".into()]),
            Ok(vec!["options".into(), "etfs".into()])
        );
        assert!(interests(vec![String::new()]).is_err());
        assert!(interests((0..11).map(|n| format!("topic{n}")).collect()).is_err());
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(timezone("Europe/Berlin"), Ok("Europe/Berlin".into()));
        assert_eq!(timezone(" UTC "), Ok("UTC".into()));
        for bad in ["Mars/Olympus", "CEST+2", ""] {
            assert!(timezone(bad).is_err(), "{bad}");
        }
    }
}
