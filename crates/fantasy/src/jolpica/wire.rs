//! The shapes of Jolpica's answers (Ergast's format), read strictly.
//!
//! Every value is a string in these documents, numbers included (`"round": "8"`): the fields
//! that are numbers are declared as numbers and read with [`num`] / [`opt_num`], which accept
//! only a string holding one, so `"P1"` or `8` (a bare number) fails with the field's path
//! (`MRData.RaceTable.Races[0].Results[3].grid`). Fields we do not use are ignored; fields we
//! use and that may be absent are `Option`s (`Time` of a lapped car, `FastestLap`, its `rank`
//! in the 2023–2024 sprints, the session times of seasons without them).

use std::fmt::Display;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// One answer: `{"MRData": {...}}`.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(rename = "MRData")]
    pub data: MrData,
}

#[derive(Debug, Deserialize)]
pub struct MrData {
    #[serde(deserialize_with = "num")]
    pub limit: u32,
    #[serde(deserialize_with = "num")]
    pub offset: u32,
    #[serde(deserialize_with = "num")]
    pub total: u32,
    #[serde(rename = "DriverTable")]
    pub driver_table: Option<DriverTable>,
    #[serde(rename = "ConstructorTable")]
    pub constructor_table: Option<ConstructorTable>,
    #[serde(rename = "RaceTable")]
    pub race_table: Option<RaceTable>,
}

impl MrData {
    /// How many items of the list this page holds: Jolpica pages the rows of the table it
    /// answers (results rather than races for a results query).
    pub fn rows(&self) -> usize {
        if let Some(table) = &self.driver_table {
            return table.drivers.len();
        }
        if let Some(table) = &self.constructor_table {
            return table.constructors.len();
        }
        match &self.race_table {
            Some(table) => table
                .races
                .iter()
                .map(|race| match (&race.results, &race.sprint_results) {
                    (Some(rows), _) | (None, Some(rows)) => rows.len(),
                    (None, None) => 1,
                })
                .sum(),
            None => 0,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct DriverTable {
    #[serde(rename = "Drivers")]
    pub drivers: Vec<Driver>,
}

#[derive(Debug, Deserialize)]
pub struct ConstructorTable {
    #[serde(rename = "Constructors")]
    pub constructors: Vec<Constructor>,
}

#[derive(Debug, Deserialize)]
pub struct RaceTable {
    #[serde(deserialize_with = "num")]
    pub season: i32,
    #[serde(rename = "Races")]
    pub races: Vec<Race>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub driver_id: String,
    #[serde(default, deserialize_with = "opt_num")]
    pub permanent_number: Option<i32>,
    pub code: Option<String>,
    pub given_name: String,
    pub family_name: String,
    #[serde(default, deserialize_with = "opt_date")]
    pub date_of_birth: Option<NaiveDate>,
    pub nationality: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Constructor {
    pub constructor_id: String,
    pub name: String,
    pub nationality: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Race {
    #[serde(deserialize_with = "num")]
    pub season: i32,
    #[serde(deserialize_with = "num")]
    pub round: i32,
    pub race_name: String,
    #[serde(rename = "Circuit")]
    pub circuit: Circuit,
    #[serde(deserialize_with = "date")]
    pub date: NaiveDate,
    #[serde(default, deserialize_with = "opt_time")]
    pub time: Option<NaiveTime>,
    #[serde(rename = "FirstPractice")]
    pub first_practice: Option<Session>,
    #[serde(rename = "SecondPractice")]
    pub second_practice: Option<Session>,
    #[serde(rename = "ThirdPractice")]
    pub third_practice: Option<Session>,
    #[serde(rename = "Qualifying")]
    pub qualifying: Option<Session>,
    /// `SprintQualifying` from 2024, `SprintShootout` in 2023.
    #[serde(rename = "SprintQualifying", alias = "SprintShootout")]
    pub sprint_qualifying: Option<Session>,
    #[serde(rename = "Sprint")]
    pub sprint: Option<Session>,
    #[serde(rename = "Results")]
    pub results: Option<Vec<ResultRow>>,
    #[serde(rename = "SprintResults")]
    pub sprint_results: Option<Vec<ResultRow>>,
}

impl Race {
    /// The race's start; midnight UTC of its day when Jolpica gives no time (old seasons).
    pub fn starts_at(&self) -> DateTime<Utc> {
        at(self.date, self.time)
    }
}

fn at(date: NaiveDate, time: Option<NaiveTime>) -> DateTime<Utc> {
    date.and_time(time.unwrap_or(NaiveTime::MIN)).and_utc()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Circuit {
    pub circuit_id: String,
    pub circuit_name: String,
    #[serde(rename = "Location")]
    pub location: Location,
}

#[derive(Debug, Deserialize)]
pub struct Location {
    pub locality: String,
    pub country: String,
}

/// A session's day and (when known) time.
#[derive(Debug, Deserialize)]
pub struct Session {
    #[serde(deserialize_with = "date")]
    pub date: NaiveDate,
    #[serde(default, deserialize_with = "opt_time")]
    pub time: Option<NaiveTime>,
}

impl Session {
    pub fn starts_at(&self) -> DateTime<Utc> {
        at(self.date, self.time)
    }
}

/// One car's result in a race or a sprint.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultRow {
    #[serde(deserialize_with = "num")]
    pub number: i32,
    #[serde(deserialize_with = "num")]
    pub position: i32,
    pub position_text: String,
    #[serde(deserialize_with = "points")]
    pub points: i32,
    #[serde(rename = "Driver")]
    pub driver: Driver,
    #[serde(rename = "Constructor")]
    pub constructor: Constructor,
    #[serde(deserialize_with = "num")]
    pub grid: i32,
    #[serde(deserialize_with = "num")]
    pub laps: i32,
    pub status: String,
    /// Absent for cars not on the leader's lap in Ergast's data; Jolpica now sends one with
    /// `"status": "Lapped"`.
    #[serde(rename = "Time")]
    pub time: Option<RaceTime>,
    #[serde(rename = "FastestLap")]
    pub fastest_lap: Option<FastestLap>,
}

impl ResultRow {
    /// Classified: `positionText` is the position (`R`, `D`, `W`, `N`, `E`, `F` are not).
    pub fn classified(&self) -> bool {
        self.position_text.parse::<i32>().is_ok()
    }
}

#[derive(Debug, Deserialize)]
pub struct RaceTime {
    #[serde(default, deserialize_with = "opt_num")]
    pub millis: Option<i64>,
    pub time: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct FastestLap {
    /// Absent in the 2023–2024 sprints of Ergast's data.
    #[serde(default, deserialize_with = "opt_num")]
    pub rank: Option<i32>,
    #[serde(default, deserialize_with = "opt_num")]
    pub lap: Option<i32>,
    #[serde(rename = "Time")]
    pub time: Option<LapTime>,
}

#[derive(Debug, Deserialize)]
pub struct LapTime {
    pub time: String,
}

/// A number written as a string: `"8"`.
pub fn num<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let text = String::deserialize(deserializer)?;
    text.parse::<T>()
        .map_err(|_| D::Error::custom(format!("`{text}` is not a whole number")))
}

pub fn opt_num<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) => text
            .parse::<T>()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("`{text}` is not a whole number"))),
    }
}

/// Points as given, `"25"` or `"0.5"`, in hundredths.
fn points<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i32, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_hundredths(&text)
        .ok_or_else(|| D::Error::custom(format!("`{text}` is not a number of points")))
}

/// `"12.5"` → 1250; at most two decimals, no sign, no exponent.
pub fn parse_hundredths(text: &str) -> Option<i32> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 6
        || fraction.len() > 2
        || !digits(whole)
        || !digits(fraction)
    {
        return None;
    }
    if text.ends_with('.') {
        return None;
    }
    let whole: i32 = whole.parse().ok()?;
    let fraction: i32 = format!("{fraction:0<2}").parse().ok()?;
    Some(whole * 100 + fraction)
}

fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let text = String::deserialize(deserializer)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| D::Error::custom(format!("`{text}` is not a date (YYYY-MM-DD)")))
}

fn opt_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| D::Error::custom(format!("`{text}` is not a date (YYYY-MM-DD)"))),
    }
}

/// `"15:00:00Z"`: a UTC time of day.
fn opt_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveTime>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) => text
            .strip_suffix('Z')
            .and_then(|bare| NaiveTime::parse_from_str(bare, "%H:%M:%S").ok())
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("`{text}` is not a UTC time (HH:MM:SSZ)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Envelope, String> {
        let mut de = serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(&mut de).map_err(|err| err.to_string())
    }

    #[test]
    fn points_are_read_in_hundredths() {
        assert_eq!(parse_hundredths("25"), Some(2500));
        assert_eq!(parse_hundredths("0.5"), Some(50));
        assert_eq!(parse_hundredths("12.25"), Some(1225));
        for bad in ["", ".5", "5.", "-1", "1e3", "1.234", "x", "1.2.3"] {
            assert_eq!(parse_hundredths(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_number_that_is_not_a_string_of_digits_names_its_field() {
        let page = r#"{"MRData": {"limit": "30", "offset": "0", "total": "x"}}"#;
        let err = read(page).expect_err("a bad total");
        assert!(err.contains("MRData.total"), "{err}");
        assert!(err.contains("`x` is not a whole number"), "{err}");
        let bare = r#"{"MRData": {"limit": 30, "offset": "0", "total": "1"}}"#;
        assert!(
            read(bare)
                .expect_err("a bare number")
                .contains("MRData.limit")
        );
    }

    #[test]
    fn times_need_their_utc_suffix() {
        let race = |time: &str| {
            format!(
                r#"{{"MRData": {{"limit": "30", "offset": "0", "total": "1", "RaceTable": {{"season": "2024", "Races": [
                {{"season": "2024", "round": "1", "raceName": "X", "date": "2024-03-02", "time": "{time}",
                  "Circuit": {{"circuitId": "c", "circuitName": "C", "Location": {{"locality": "L", "country": "K"}}}}}}]}}}}}}"#
            )
        };
        let ok = read(&race("15:00:00Z")).expect("a good time");
        let races = ok.data.race_table.expect("a table").races;
        assert_eq!(
            races[0].starts_at().to_rfc3339(),
            "2024-03-02T15:00:00+00:00"
        );
        let err = read(&race("15:00")).expect_err("a bad time");
        assert!(err.contains("MRData.RaceTable.Races[0].time"), "{err}");
    }

    #[test]
    fn todays_jolpica_shapes_are_read_too() {
        // A lapped car with a `Time` and `Lapped`, a fastest lap with its rank and speed, a
        // retirement named `Retired`, a session named `SprintShootout`, extra fields.
        let page = r#"{"MRData": {"xmlns": "", "series": "f1", "limit": "100", "offset": "0", "total": "2",
          "RaceTable": {"season": "2024", "round": "1", "Races": [{
            "season": "2024", "round": "1", "url": "https://en.wikipedia.org/wiki/2024_Bahrain_Grand_Prix",
            "raceName": "Bahrain Grand Prix", "date": "2024-03-02", "time": "15:00:00Z",
            "SprintShootout": {"date": "2024-03-01", "time": "12:00:00Z"},
            "Circuit": {"circuitId": "bahrain", "url": "https://x", "circuitName": "Bahrain International Circuit",
              "Location": {"lat": "26.0325", "long": "50.5106", "locality": "Sakhir", "country": "Bahrain"}},
            "Results": [
              {"number": "24", "position": "11", "positionText": "11", "points": "0",
               "Driver": {"driverId": "zhou", "permanentNumber": "24", "code": "ZHO", "url": "https://x",
                 "givenName": "Guanyu", "familyName": "Zhou", "dateOfBirth": "1999-05-30", "nationality": "Chinese"},
               "Constructor": {"constructorId": "sauber", "url": "https://x", "name": "Sauber", "nationality": "Swiss"},
               "grid": "20", "laps": "56", "status": "Lapped", "Time": {"millis": "5600000", "time": "+1 Lap"},
               "FastestLap": {"rank": "1", "lap": "39", "Time": {"time": "1:32.608"},
                 "AverageSpeed": {"units": "kph", "speed": "210.383"}}},
              {"number": "2", "position": "20", "positionText": "R", "points": "0",
               "Driver": {"driverId": "sargeant", "givenName": "Logan", "familyName": "Sargeant", "nationality": "American"},
               "Constructor": {"constructorId": "williams", "name": "Williams", "nationality": "British"},
               "grid": "0", "laps": "3", "status": "Retired"}
            ]}]}}}"#;
        let data = read(page).expect("today's shapes").data;
        let race = &data.race_table.expect("a table").races[0];
        assert!(race.sprint_qualifying.is_some());
        let rows = race.results.as_ref().expect("results");
        assert_eq!(rows[0].status, "Lapped");
        assert_eq!(
            rows[0].time.as_ref().and_then(|t| t.millis),
            Some(5_600_000)
        );
        assert_eq!(rows[0].fastest_lap.as_ref().and_then(|l| l.rank), Some(1));
        assert!(!rows[1].classified());
        assert_eq!(rows[1].driver.code, None);
        assert_eq!(rows[1].driver.permanent_number, None);
        assert_eq!(data.total, 2);
    }
}
