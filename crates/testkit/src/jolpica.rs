//! `TestJolpica`: a local Jolpica API over the recorded F1 data of `fixtures/f1/`, for the
//! fantasy module's client and sync.
//!
//! It pages like Jolpica: `?limit=` (default 30, at most [`TestJolpica::max_limit`], 100 unless
//! a test lowers it) and `?offset=` over the rows of the table asked for (drivers,
//! constructors, races, or result rows, so that a race's results may be split across two
//! pages), answering `limit`, `offset` and `total` as strings. Every answer has an `ETag`
//! (a hash of its body) and a matching `If-None-Match` gets a 304. A test can queue failures
//! (a 429 with `Retry-After`, a 500), corrupt one field of the answers to some path, and read
//! the log of the requests it got.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// The folder of the recorded seasons.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/f1")
}

/// A failure to answer with instead of the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 Too Many Requests, with `Retry-After: <seconds>` when given.
    TooManyRequests { retry_after: Option<u64> },
    /// This status (a 500, a 503) with a small HTML body.
    Status(u16),
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// Path and query: `/2024/results/?limit=100&offset=0`.
    pub target: String,
    pub status: u16,
    /// Whether it carried `If-None-Match`.
    pub conditional: bool,
}

struct Corruption {
    path_contains: String,
    pointer: String,
    value: Value,
}

#[derive(Default)]
struct Inner {
    faults: VecDeque<Fault>,
    corruptions: Vec<Corruption>,
    log: Vec<Logged>,
    max_limit: usize,
    etags: bool,
}

/// The running server; stopped when dropped.
pub struct TestJolpica {
    pub address: SocketAddr,
    state: Arc<Shared>,
    task: JoinHandle<()>,
}

struct Shared {
    dir: PathBuf,
    inner: Mutex<Inner>,
}

impl Drop for TestJolpica {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestJolpica {
    /// Serves `fixtures/f1/` on a random local port.
    pub async fn start() -> TestJolpica {
        let state = Arc::new(Shared {
            dir: fixtures_dir(),
            inner: Mutex::new(Inner {
                max_limit: 100,
                etags: true,
                ..Inner::default()
            }),
        });
        let router = axum::Router::new()
            .fallback(answer)
            .with_state(state.clone());
        let (address, task) = crate::Server::start_router(router).await;
        TestJolpica {
            address,
            state,
            task,
        }
    }

    /// The base URL, as `fantasy.jolpica_url` takes it.
    pub fn url(&self) -> String {
        format!("http://{}/ergast/f1", self.address)
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.state
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The largest page it gives, whatever `limit` asks (Jolpica's is 100).
    pub fn max_limit(&self, limit: usize) {
        self.inner().max_limit = limit;
    }

    /// Whether answers carry an `ETag` (and 304s are possible).
    pub fn etags(&self, on: bool) {
        self.inner().etags = on;
    }

    /// The next requests, whatever they ask, get these failures, one each.
    pub fn fail_next(&self, faults: impl IntoIterator<Item = Fault>) {
        self.inner().faults.extend(faults);
    }

    /// In every answer to a request whose path and query contain `path_contains`
    /// (`/2024/results/?limit=100&offset=0`: the first page only), sets the value at the JSON
    /// `pointer` (`/MRData/RaceTable/Races/0/Results/3/grid`) to `value`, where there is one.
    pub fn corrupt(&self, path_contains: &str, pointer: &str, value: Value) {
        self.inner().corruptions.push(Corruption {
            path_contains: path_contains.to_owned(),
            pointer: pointer.to_owned(),
            value,
        });
    }

    /// Every request so far.
    pub fn log(&self) -> Vec<Logged> {
        self.inner().log.clone()
    }

    /// Forgets the requests so far.
    pub fn clear_log(&self) {
        self.inner().log.clear();
    }
}

async fn answer(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let target = request
        .uri()
        .path_and_query()
        .map_or(path.clone(), |pq| pq.as_str().to_owned());
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query = request.uri().query().unwrap_or("").to_owned();
    let response = respond(&shared, &target, &query, if_none_match.as_deref());
    let mut inner = shared
        .inner
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    inner.log.push(Logged {
        target,
        status: response.status().as_u16(),
        conditional: if_none_match.is_some(),
    });
    response
}

fn respond(shared: &Shared, target: &str, query: &str, if_none_match: Option<&str>) -> Response {
    let path = target.split('?').next().unwrap_or(target);
    let (fault, max_limit, etags) = {
        let mut inner = shared
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (inner.faults.pop_front(), inner.max_limit, inner.etags)
    };
    match fault {
        Some(Fault::TooManyRequests { retry_after }) => {
            let mut headers = HeaderMap::new();
            if let Some(seconds) = retry_after {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            return (StatusCode::TOO_MANY_REQUESTS, headers, "slow down").into_response();
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, "<html>error</html>").into_response();
        }
        None => {}
    }
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| value.parse::<usize>().ok())
    };
    let limit = param("limit").unwrap_or(30).min(max_limit);
    let offset = param("offset").unwrap_or(0);
    let Some(mut body) = page_of(&shared.dir, path, limit, offset) else {
        return (StatusCode::NOT_FOUND, "no such resource").into_response();
    };
    {
        let inner = shared
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for corruption in inner
            .corruptions
            .iter()
            .filter(|c| target.contains(&c.path_contains))
        {
            if let Some(slot) = body.pointer_mut(&corruption.pointer) {
                *slot = corruption.value.clone();
            }
        }
    }
    let text = body.to_string();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    let etag = format!("\"{:016x}\"", hasher.finish());
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if etags {
        if let Ok(value) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, value);
        }
        if if_none_match == Some(etag.as_str()) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
    }
    (StatusCode::OK, headers, text).into_response()
}

fn read(file: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(file).ok()?;
    serde_json::from_str(&text).ok()
}

/// The page of the answer to `path` (`/ergast/f1/2024/results/`), or `None` for a path
/// Jolpica would not know.
fn page_of(dir: &Path, path: &str, limit: usize, offset: usize) -> Option<Value> {
    let rest = path.strip_prefix("/ergast/f1/")?.trim_end_matches('/');
    let parts: Vec<&str> = rest.split('/').collect();
    let season: u32 = parts.first()?.parse().ok()?;
    let season_dir = dir.join(season.to_string());
    let url = format!("https://api.jolpi.ca/ergast/f1/{rest}/");
    match parts.as_slice() {
        [_, list @ ("drivers" | "constructors" | "races")] => {
            let (file, table, key) = match *list {
                "drivers" => ("drivers.json", "DriverTable", "Drivers"),
                "constructors" => ("constructors.json", "ConstructorTable", "Constructors"),
                _ => ("races.json", "RaceTable", "Races"),
            };
            let items = read(&season_dir.join(file))
                .and_then(|doc| doc["MRData"][table][key].as_array().cloned())
                .unwrap_or_default();
            let total = items.len();
            let slice: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
            Some(wrap(
                &url,
                limit,
                offset,
                total,
                table,
                json!({ "season": season.to_string(), key: slice }),
            ))
        }
        [_, session @ ("results" | "sprint")] => {
            let files = round_files(&season_dir.join(session));
            Some(results_page(
                &url, season, None, session, &files, limit, offset,
            ))
        }
        [_, round, session @ ("results" | "sprint")] => {
            let round: u32 = round.parse().ok()?;
            let file = season_dir
                .join(session)
                .join(format!("round-{round:02}.json"));
            let files: Vec<PathBuf> = [file].into_iter().filter(|f| f.exists()).collect();
            Some(results_page(
                &url,
                season,
                Some(round),
                session,
                &files,
                limit,
                offset,
            ))
        }
        _ => None,
    }
}

fn round_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The result rows of `files` (one race each), paged by row and grouped back by race.
fn results_page(
    url: &str,
    season: u32,
    round: Option<u32>,
    session: &str,
    files: &[PathBuf],
    limit: usize,
    offset: usize,
) -> Value {
    let key = if session == "sprint" {
        "SprintResults"
    } else {
        "Results"
    };
    let mut rows: Vec<(Value, Value)> = Vec::new();
    for file in files {
        let Some(doc) = read(file) else { continue };
        let Some(race) = doc["MRData"]["RaceTable"]["Races"][0].as_object().cloned() else {
            continue;
        };
        let results = race
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut bare = race;
        bare.remove(key);
        for result in results {
            rows.push((Value::Object(bare.clone()), result));
        }
    }
    let total = rows.len();
    let mut races: Vec<Value> = Vec::new();
    for (race, result) in rows.into_iter().skip(offset).take(limit) {
        let same = races
            .last()
            .is_some_and(|last: &Value| last["round"] == race["round"]);
        if !same {
            let mut race = race;
            race[key] = json!([]);
            races.push(race);
        }
        if let Some(list) = races.last_mut().and_then(|last| last[key].as_array_mut()) {
            list.push(result);
        }
    }
    let mut table = json!({ "season": season.to_string(), "Races": races });
    if let Some(round) = round {
        table["round"] = json!(round.to_string());
    }
    wrap(url, limit, offset, total, "RaceTable", table)
}

fn wrap(url: &str, limit: usize, offset: usize, total: usize, name: &str, table: Value) -> Value {
    json!({
        "MRData": {
            "xmlns": "",
            "series": "f1",
            "url": url,
            "limit": limit.to_string(),
            "offset": offset.to_string(),
            "total": total.to_string(),
            name: table,
        }
    })
}
