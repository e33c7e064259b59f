//! Parsers and printers shared by the sections' fields.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A rate-limit budget: `limit` requests per `period`, replenished evenly (GCRA).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Rate {
    pub limit: u32,
    pub period: Duration,
}

impl Rate {
    pub const fn new(limit: u32, period: Duration) -> Self {
        Self { limit, period }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            self.limit,
            humantime::format_duration(self.period)
        )
    }
}

/// A whole number from `min` to `max`.
pub fn number<T>(value: &str, min: T, max: T) -> Result<T, String>
where
    T: FromStr + PartialOrd + fmt::Display,
{
    match value.parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(format!(
            "`{value}` is not a whole number from {min} to {max}"
        )),
    }
}

/// `300/1m`: a count and a period.
pub fn parse_rate(value: &str) -> Result<Rate, String> {
    let error = || format!("`{value}` is not a rate such as 300/1m or 10/15m");
    let (limit, period) = value.split_once('/').ok_or_else(error)?;
    let limit: u32 = limit.trim().parse().map_err(|_| error())?;
    let period = humantime::parse_duration(period.trim()).map_err(|_| error())?;
    if !(1..=1_000_000).contains(&limit) {
        return Err("the count must be from 1 to 1000000".to_owned());
    }
    if period < Duration::from_millis(1) || period > Duration::from_secs(30 * 24 * 3600) {
        return Err("the period must be from 1ms to 30 days".to_owned());
    }
    if period.as_micros() < u128::from(limit) {
        return Err(
            "at most one request per microsecond (the count is too large for the period)"
                .to_owned(),
        );
    }
    Ok(Rate { limit, period })
}

pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value)
        .map_err(|_| format!("`{value}` is not a duration such as 30s, 500ms or 2m"))?;
    if duration.is_zero() {
        return Err("must be longer than zero".to_owned());
    }
    Ok(duration)
}

pub fn show_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// A size, or `0` for none.
pub fn parse_quota(value: &str) -> Result<Option<u64>, String> {
    if value.trim() == "0" {
        return Ok(None);
    }
    parse_size(value).map(|bytes| Some(bytes as u64))
}

pub fn parse_size(value: &str) -> Result<usize, String> {
    let error = || format!("`{value}` is not a size such as 1048576, 512KiB or 2MiB");
    let digits_end = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(digits_end);
    let number: usize = number.parse().map_err(|_| error())?;
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "kb" | "k" => 1 << 10,
        "mib" | "mb" | "m" => 1 << 20,
        "gib" | "gb" | "g" => 1 << 30,
        _ => return Err(error()),
    };
    let bytes = number.checked_mul(multiplier).ok_or_else(error)?;
    if bytes == 0 {
        return Err("must be larger than zero".to_owned());
    }
    Ok(bytes)
}

pub fn parse_public_url(value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value).map_err(|e| format!("`{value}` is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("`{value}` must be an http:// or https:// URL"));
    }
    Ok(url)
}

/// An `http(s)` URL with a host; the message does not quote the value.
pub fn parse_http_url(value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        _ => Err("must be an http:// or https:// URL with a host".to_owned()),
    }
}

/// Replaces the password of a URL with `********`.
pub fn redact_url_password(value: &str) -> String {
    match url::Url::parse(value) {
        Ok(mut url) if url.password().is_some() => {
            // Only fails for URLs that cannot have a password, which this one has.
            let _ = url.set_password(Some(super::HIDDEN));
            url.to_string()
        }
        _ => value.to_owned(),
    }
}

/// A list as the comma-separated settings print it.
pub fn show_list<T: fmt::Display>(items: &[T], separator: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

/// A URL that the code knows to be valid (a literal), for the state of a section before its
/// fields are parsed; never reached with a value from outside.
pub(super) fn literal_url(value: &'static str) -> url::Url {
    #[allow(clippy::expect_used)]
    url::Url::parse(value).expect("literal URLs of the code parse")
}
