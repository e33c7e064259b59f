//! Where a season's data comes from: the Jolpica API, or a folder laid out like its answers
//! (`drivers.json`, `constructors.json`, `races.json`, `results/round-NN.json`,
//! `sprint/round-NN.json`, each one complete answer).
//!
//! Both give the same values, checked the same way: every document names the season asked
//! for, and a results query comes back as one race per round with all its rows (the API's
//! pages of result rows are joined again here).

use std::path::{Path, PathBuf};

use crate::jolpica::wire::{Constructor, Driver, MrData, Race};
use crate::jolpica::{Jolpica, SyncError, Tally, parse};
use crate::races::entity::result::SessionKind;

pub enum Source<'a> {
    Api(&'a Jolpica),
    Dir(PathBuf),
}

impl Source<'_> {
    /// The season's drivers.
    pub async fn drivers(&self, season: i32, tally: &mut Tally) -> Result<Vec<Driver>, SyncError> {
        let (source, pages) = self.read(season, "drivers/", "drivers.json", tally).await?;
        let mut drivers = Vec::new();
        for page in pages {
            let table = page
                .driver_table
                .ok_or_else(|| SyncError::malformed(&source, "MRData.DriverTable", "is missing"))?;
            drivers.extend(table.drivers);
        }
        Ok(drivers)
    }

    /// The season's teams (Jolpica's constructors).
    pub async fn constructors(
        &self,
        season: i32,
        tally: &mut Tally,
    ) -> Result<Vec<Constructor>, SyncError> {
        let (source, pages) = self
            .read(season, "constructors/", "constructors.json", tally)
            .await?;
        let mut constructors = Vec::new();
        for page in pages {
            let table = page.constructor_table.ok_or_else(|| {
                SyncError::malformed(&source, "MRData.ConstructorTable", "is missing")
            })?;
            constructors.extend(table.constructors);
        }
        Ok(constructors)
    }

    /// The season's calendar, with session times where Jolpica has them.
    pub async fn calendar(&self, season: i32, tally: &mut Tally) -> Result<Vec<Race>, SyncError> {
        let (source, pages) = self.read(season, "races/", "races.json", tally).await?;
        races_of(&source, season, pages)
    }

    /// The results of `session` of every round that has them, or of round `round` only: one
    /// race per round, with every row.
    pub async fn results(
        &self,
        season: i32,
        round: Option<i32>,
        session: SessionKind,
        tally: &mut Tally,
    ) -> Result<Vec<Race>, SyncError> {
        let folder = match session {
            SessionKind::Race => "results",
            SessionKind::Sprint => "sprint",
        };
        match self {
            Source::Api(api) => {
                let path = match round {
                    Some(round) => format!("{season}/{round}/{folder}/"),
                    None => format!("{season}/{folder}/"),
                };
                let source = api.url(&path);
                let pages = api.list(&path, tally).await?;
                let races = races_of(&source, season, pages)?;
                joined(&source, races, session)
            }
            Source::Dir(dir) => {
                let folder = dir.join(season.to_string()).join(folder);
                let files = match round {
                    Some(round) => vec![folder.join(format!("round-{round:02}.json"))],
                    None => round_files(&folder)?,
                };
                let mut all = Vec::new();
                for file in files.into_iter().filter(|file| file.exists()) {
                    let (source, page) = read_file(&file)?;
                    all.extend(races_of(&source, season, vec![page])?);
                }
                Ok(all)
            }
        }
    }

    /// Every page of one list: from the API at `path` of the season, or the folder's `file`.
    async fn read(
        &self,
        season: i32,
        path: &str,
        file: &str,
        tally: &mut Tally,
    ) -> Result<(String, Vec<MrData>), SyncError> {
        match self {
            Source::Api(api) => {
                let path = format!("{season}/{path}");
                Ok((api.url(&path), api.list(&path, tally).await?))
            }
            Source::Dir(dir) => {
                let (source, page) = read_file(&dir.join(season.to_string()).join(file))?;
                Ok((source, vec![page]))
            }
        }
    }
}

/// A file of an import folder: one complete answer, so its `total` is what it holds.
fn read_file(path: &Path) -> Result<(String, MrData), SyncError> {
    let source = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|err| SyncError::Unreadable {
        path: source.clone(),
        message: err.to_string(),
    })?;
    let page = parse(&source, &bytes)?;
    if usize::try_from(page.total).ok() != Some(page.rows()) {
        return Err(SyncError::malformed(
            &source,
            "MRData.total",
            format!(
                "is {} but the file holds {} rows: an import folder holds whole answers",
                page.total,
                page.rows()
            ),
        ));
    }
    Ok((source, page))
}

/// `round-01.json` … in a folder (none if it does not exist), in round order.
fn round_files(folder: &Path) -> Result<Vec<PathBuf>, SyncError> {
    if !folder.exists() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(folder).map_err(|err| SyncError::Unreadable {
        path: folder.display().to_string(),
        message: err.to_string(),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("round-") && name.ends_with(".json"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The races of `pages`, each checked to be of `season`.
fn races_of(source: &str, season: i32, pages: Vec<MrData>) -> Result<Vec<Race>, SyncError> {
    let mut races = Vec::new();
    for page in pages {
        let table = page
            .race_table
            .ok_or_else(|| SyncError::malformed(source, "MRData.RaceTable", "is missing"))?;
        if table.season != season {
            return Err(SyncError::malformed(
                source,
                "MRData.RaceTable.season",
                format!("is {} where {season} was asked for", table.season),
            ));
        }
        for (index, race) in table.races.into_iter().enumerate() {
            if race.season != season {
                return Err(SyncError::malformed(
                    source,
                    format!("MRData.RaceTable.Races[{index}].season"),
                    format!("is {} where {season} was asked for", race.season),
                ));
            }
            races.push(race);
        }
    }
    Ok(races)
}

/// Joins the parts of a race that the API split across pages (consecutive, same round).
fn joined(source: &str, races: Vec<Race>, session: SessionKind) -> Result<Vec<Race>, SyncError> {
    let mut out: Vec<Race> = Vec::new();
    for mut race in races {
        let rows = match session {
            SessionKind::Race => race.results.take(),
            SessionKind::Sprint => race.sprint_results.take(),
        }
        .ok_or_else(|| {
            SyncError::malformed(
                source,
                format!("round {} results", race.round),
                "a race of a results answer has no result rows",
            )
        })?;
        match out.last_mut() {
            Some(last) if last.round == race.round => {
                let into = match session {
                    SessionKind::Race => last.results.get_or_insert_with(Vec::new),
                    SessionKind::Sprint => last.sprint_results.get_or_insert_with(Vec::new),
                };
                into.extend(rows);
            }
            _ => {
                match session {
                    SessionKind::Race => race.results = Some(rows),
                    SessionKind::Sprint => race.sprint_results = Some(rows),
                }
                out.push(race);
            }
        }
    }
    Ok(out)
}
