//! `agora fantasy import --season 2024 [--from DIR] [--what all]`: a season's data, from the
//! configured Jolpica API or from a folder laid out like its answers, with a line per step.

use std::path::PathBuf;

use agora_platform::AppState;
use agora_platform::module::ModuleCommand;
use anyhow::Context;
use clap::{Arg, ArgMatches, Command, value_parser};
use futures::FutureExt;
use futures::future::BoxFuture;

use crate::jolpica::Jolpica;
use crate::params::{FIRST_SEASON, LAST_SEASON};
use crate::sync::{self, Request, Source, What};

pub const COMMAND: ModuleCommand = ModuleCommand { cli, run };

fn cli() -> Command {
    Command::new("fantasy")
        .about("The F1 fantasy league")
        .subcommand_required(true)
        .subcommand(
            Command::new("import")
                .about("Import a season's drivers, teams, calendar and results (one transaction)")
                .arg(
                    Arg::new("season")
                        .long("season")
                        .required(true)
                        .value_name("YEAR")
                        .value_parser(value_parser!(i32).range(i64::from(FIRST_SEASON)..=i64::from(LAST_SEASON)))
                        .help("The season, e.g. 2024"),
                )
                .arg(
                    Arg::new("from")
                        .long("from")
                        .value_name("DIR")
                        .value_parser(value_parser!(PathBuf))
                        .help("A folder holding <season>/drivers.json, constructors.json, races.json, results/round-NN.json, sprint/round-NN.json (default: the Jolpica API of `fantasy.jolpica_url`)"),
                )
                .arg(
                    Arg::new("what")
                        .long("what")
                        .value_name("WHAT")
                        .value_parser(["drivers", "calendar", "results", "all"])
                        .default_value("all")
                        .help("What to bring up to date"),
                ),
        )
}

fn run(state: AppState, matches: ArgMatches) -> BoxFuture<'static, anyhow::Result<()>> {
    async move {
        match matches.subcommand() {
            Some(("import", args)) => import(&state, args).await,
            _ => anyhow::bail!("unknown `agora fantasy` command"),
        }
    }
    .boxed()
}

async fn import(state: &AppState, args: &ArgMatches) -> anyhow::Result<()> {
    let season = *args
        .get_one::<i32>("season")
        .context("--season is required")?;
    let what = match args.get_one::<String>("what").map(String::as_str) {
        Some("drivers") => What::Drivers,
        Some("calendar") => What::Calendar,
        Some("results") => What::Results,
        _ => What::All,
    };
    let source = match args.get_one::<PathBuf>("from") {
        Some(dir) => Source::Dir(dir.clone()),
        None => Source::Api(
            state
                .service::<Jolpica>()
                .map_err(|err| anyhow::anyhow!("{err}"))?,
        ),
    };
    let mut print = |line: &str| println!("{line}");
    let request = Request {
        season,
        what,
        round: None,
    };
    let summary = sync::run(state, &source, request, &mut print).await?;
    println!(
        "season {season}: {} drivers, {} teams, {} races, results of {} races and {} sprints, {} league scores written",
        summary.drivers,
        summary.teams,
        summary.races,
        summary.race_results.len(),
        summary.sprint_results.len(),
        summary.scores
    );
    Ok(())
}
