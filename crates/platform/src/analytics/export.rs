//! `GET /metrics/export`: the daily roll-ups of a range as CSV or JSON, streamed. Rows are read
//! a page of days at a time and written to the body as each page is read, so a year (or ten)
//! never sits in memory (JSON: `{"items": [...]}`). One row per day the roll-up has computed: `day`, `dau`, `wau`, `mau`,
//! `signups`, `users_total`, `requests`, then one column per engagement counter of the enabled
//! modules (0 where a day has none).

use std::collections::BTreeMap;

use agora_core::ApiResult;
use agora_core::extract::Query;
use agora_store::Db;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, TimeDelta};
use futures::StreamExt as _;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::queries;
use super::routes::{DayRange, RangeParams};
use crate::AppState;
use crate::entities::analytics_daily;
use crate::identity::AdminUser;

/// The most days one export covers (ten years).
pub const MAX_EXPORT_DAYS: i64 = 3660;
/// The JSON body opens with this (an object holding the list, as every list of the API).
const OPEN_JSON: &[u8] = b"{\"items\":[";
/// Days read per page.
const PAGE_DAYS: u64 = 100;

/// The fixed columns, before the counters'.
pub const FIXED_COLUMNS: [&str; 7] = [
    "day",
    "dau",
    "wau",
    "mau",
    "signups",
    "users_total",
    "requests",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// `text/csv`, a header line then a line per day.
    #[default]
    Csv,
    /// `application/json`, `{"items": [...]}` with one object per day.
    Json,
}

/// The JSON export: one object per day, oldest first, with the CSV's columns as keys.
#[derive(Debug, ToSchema)]
pub struct ExportItems {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<serde_json::Value>,
}

/// What to export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `json`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// The first day (UTC, `YYYY-MM-DD`); by default `days` days before `to`. Not with `days`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The last day, included; by default today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// How many days end on `to` (1–366, default 30), when `from` is left out.
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<i64>,
}

/// The daily metrics of a range (at most 3,660 days), streamed as CSV or JSON: one row per day
/// with DAU, WAU, MAU, signups, accounts, authenticated requests and each engagement counter.
#[utoipa::path(get, path = "/metrics/export", operation_id = "metrics_export", tag = "metrics", security(("bearer" = [])),
    params(ExportParams),
    responses(
        (status = 200, description = "The rows, oldest day first", content(
            (String = "text/csv"),
            (ExportItems = "application/json"),
        )),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "A bad range: reversed, over 3,660 days, or `from` with `days`"),
    ))]
pub async fn export(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(params): Query<ExportParams>,
) -> ApiResult<Response> {
    let range = RangeParams {
        from: params.from,
        to: params.to,
        days: params.days,
    }
    .resolve(agora_core::time::now().date_naive(), MAX_EXPORT_DAYS)?;
    let format = params.format.unwrap_or_default();
    let names: Vec<&'static str> = state
        .service::<super::Counters>()
        .map(super::Counters::names)
        .unwrap_or_default();
    let pages = Pages {
        db: state.db().clone(),
        range,
        next: Some(range.from),
        names,
        format,
        started: false,
    };
    // Fused: the compression layer polls its body once more after the end, which `unfold`
    // answers with a panic.
    let stream = futures::stream::unfold(pages, |mut pages| async move {
        let chunk = pages.next_chunk().await?;
        Some((chunk, pages))
    })
    .fuse();
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Json => ("application/json", "json"),
    };
    let disposition = format!(
        "attachment; filename=\"metrics-{}-{}.{extension}\"",
        range.from, range.to
    );
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The export's state between pages.
struct Pages {
    db: Db,
    range: DayRange,
    /// The first day of the next page; `None` once the last page is written.
    next: Option<NaiveDate>,
    names: Vec<&'static str>,
    format: ExportFormat,
    /// Whether the header (CSV) or the opening bracket (JSON) is written.
    started: bool,
}

type Chunk = Result<Bytes, std::io::Error>;

impl Pages {
    /// The next piece of the body, or `None` at its end. A database error ends the body early
    /// (the client sees a cut-off transfer) and is logged.
    async fn next_chunk(&mut self) -> Option<Chunk> {
        let from = self.next?;
        let rows = match queries::days(self.db.reader(), from, self.range.to, Some(PAGE_DAYS)).await
        {
            Ok(rows) => rows,
            Err(err) => {
                tracing::error!(error = %err, "the metrics export failed");
                self.next = None;
                return Some(Err(std::io::Error::other(err.to_string())));
            }
        };
        let last = rows.last().map(|row| row.day);
        let counters = match last {
            Some(last) => match queries::day_counters(self.db.reader(), from, last).await {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::error!(error = %err, "the metrics export failed");
                    self.next = None;
                    return Some(Err(std::io::Error::other(err.to_string())));
                }
            },
            None => Vec::new(),
        };
        self.next = match last {
            Some(last) if (rows.len() as u64) == PAGE_DAYS && last < self.range.to => {
                Some(last + TimeDelta::days(1))
            }
            _ => None,
        };
        let mut values: BTreeMap<NaiveDate, BTreeMap<String, i64>> = BTreeMap::new();
        for row in counters {
            values
                .entry(row.day)
                .or_default()
                .insert(row.name, row.value);
        }
        let chunk = match self.format {
            ExportFormat::Csv => self.csv(&rows, &values),
            ExportFormat::Json => self.json(&rows, &values),
        };
        Some(chunk.map(Bytes::from))
    }

    fn counts(
        &self,
        values: &BTreeMap<NaiveDate, BTreeMap<String, i64>>,
        day: NaiveDate,
    ) -> Vec<i64> {
        let stored = values.get(&day);
        self.names
            .iter()
            .map(|name| stored.and_then(|s| s.get(*name)).copied().unwrap_or(0))
            .collect()
    }

    fn csv(
        &mut self,
        rows: &[analytics_daily::Model],
        values: &BTreeMap<NaiveDate, BTreeMap<String, i64>>,
    ) -> Result<Vec<u8>, std::io::Error> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        if !self.started {
            self.started = true;
            writer
                .write_record(FIXED_COLUMNS.iter().chain(self.names.iter()))
                .map_err(std::io::Error::other)?;
        }
        for row in rows {
            let mut record = vec![
                row.day.to_string(),
                row.dau.to_string(),
                row.wau.to_string(),
                row.mau.to_string(),
                row.signups.to_string(),
                row.users_total.to_string(),
                row.requests.to_string(),
            ];
            record.extend(self.counts(values, row.day).iter().map(i64::to_string));
            writer
                .write_record(&record)
                .map_err(std::io::Error::other)?;
        }
        writer
            .into_inner()
            .map_err(|err| std::io::Error::other(err.to_string()))
    }

    fn json(
        &mut self,
        rows: &[analytics_daily::Model],
        values: &BTreeMap<NaiveDate, BTreeMap<String, i64>>,
    ) -> Result<Vec<u8>, std::io::Error> {
        let mut out = Vec::new();
        for row in rows {
            if self.started {
                out.push(b',');
            } else {
                out.extend_from_slice(OPEN_JSON);
            }
            self.started = true;
            let mut object = serde_json::Map::new();
            object.insert("day".into(), row.day.to_string().into());
            object.insert("dau".into(), row.dau.into());
            object.insert("wau".into(), row.wau.into());
            object.insert("mau".into(), row.mau.into());
            object.insert("signups".into(), row.signups.into());
            object.insert("users_total".into(), row.users_total.into());
            object.insert("requests".into(), row.requests.into());
            for (name, value) in self.names.iter().zip(self.counts(values, row.day)) {
                object.insert((*name).to_owned(), value.into());
            }
            serde_json::to_writer(&mut out, &object).map_err(std::io::Error::other)?;
        }
        if self.next.is_none() {
            if !self.started {
                out.extend_from_slice(OPEN_JSON);
            }
            out.extend_from_slice(b"]}");
        }
        Ok(out)
    }
}
