//! `agora jobs`: the job queue from the command line, for operators without the admin API
//! (the same operations as `/api/v1/admin/jobs`, without the audit log's actor).

use agora_core::config::Config;
use agora_core::pagination::{NumberedPage, PageNumber};
use agora_platform::jobs::JobId;
use agora_platform::jobs::parse_age;
use agora_platform::jobs::queue::{self, JobFilter, JobStatus};
use agora_store::Db;
use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};

use crate::app;

#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// List jobs, newest first.
    List {
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Only this kind (`email.send`).
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
    /// Queue depth, due, retrying, running and dead jobs per kind.
    Stats,
    /// Queue dead jobs again (the ones named, or with --dead all of them).
    Retry {
        ids: Vec<JobId>,
        /// Every dead job (of --kind, if given).
        #[arg(long, conflicts_with = "ids")]
        dead: bool,
        #[arg(long, requires = "dead")]
        kind: Option<String>,
    },
    /// Delete finished jobs.
    Purge {
        #[arg(long, value_enum)]
        status: FinishedArg,
        /// Only those finished longer ago than this (`7d`, `12h`).
        #[arg(long)]
        older_than: Option<String>,
    },
    /// The periodic jobs of this configuration, with their cron expressions.
    Schedules,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Queued,
    Running,
    Succeeded,
    Dead,
}

impl From<StatusArg> for JobStatus {
    fn from(status: StatusArg) -> Self {
        match status {
            StatusArg::Queued => JobStatus::Queued,
            StatusArg::Running => JobStatus::Running,
            StatusArg::Succeeded => JobStatus::Succeeded,
            StatusArg::Dead => JobStatus::Dead,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FinishedArg {
    Succeeded,
    Dead,
}

pub async fn run(config: Config, action: JobsAction) -> anyhow::Result<()> {
    if let JobsAction::Schedules = action {
        for schedule in app::Assembly::default().schedules(&config) {
            let cron = config
                .jobs
                .schedules
                .get(schedule.kind)
                .map_or(schedule.cron, String::as_str);
            println!("{:24} {cron}", schedule.kind);
        }
        return Ok(());
    }
    let db = app::connect(&config).await?;
    // On a fresh data directory the tables are missing: say so, and what to run.
    let result = match app::Assembly::default()
        .refuse_pending_migrations(&db)
        .await
    {
        Ok(()) => act(&db, action).await,
        Err(err) => Err(err),
    };
    db.close().await;
    result
}

async fn act(db: &Db, action: JobsAction) -> anyhow::Result<()> {
    let conn = db.writer();
    let now = agora_core::time::now();
    match action {
        JobsAction::List {
            status,
            kind,
            limit,
        } => {
            if !(1..=1000).contains(&limit) {
                bail!("--limit must be from 1 to 1000");
            }
            let filter = JobFilter {
                status: status.map(JobStatus::from),
                kind,
            };
            let NumberedPage {
                items: jobs, total, ..
            } = queue::list(conn, &filter, PageNumber::first(limit)).await?;
            for job in &jobs {
                println!(
                    "{}  {:9}  {:24}  attempts {:2}  due {}  {}",
                    job.id,
                    job.status.as_str(),
                    job.kind,
                    job.attempts,
                    job.run_at.format("%Y-%m-%d %H:%M:%S"),
                    job.last_error.as_deref().unwrap_or(""),
                );
            }
            println!("{} of {total} job(s)", jobs.len());
        }
        JobsAction::Stats => {
            println!(
                "{:24} {:>7} {:>7} {:>8} {:>7} {:>9} {:>7}",
                "kind", "queued", "due", "retrying", "running", "succeeded", "dead"
            );
            for kind in queue::stats(conn, now).await? {
                println!(
                    "{:24} {:>7} {:>7} {:>8} {:>7} {:>9} {:>7}",
                    kind.kind,
                    kind.queued,
                    kind.due,
                    kind.retrying,
                    kind.running,
                    kind.succeeded,
                    kind.dead
                );
            }
        }
        JobsAction::Retry { ids, dead, kind } => {
            if dead {
                let count = queue::retry_dead(conn, kind.as_deref(), now).await?;
                println!("queued {count} dead job(s) again");
            } else if ids.is_empty() {
                bail!("name the jobs to retry, or pass --dead for every dead job");
            } else {
                for id in ids {
                    match queue::retry(conn, id, now).await? {
                        Some(true) => println!("{id}: queued again"),
                        Some(false) => println!("{id}: not dead; left alone"),
                        None => println!("{id}: no such job"),
                    }
                }
            }
        }
        JobsAction::Purge { status, older_than } => {
            let before = match older_than.as_deref() {
                Some(age) => {
                    now - parse_age(age)
                        .map_err(anyhow::Error::msg)
                        .context("--older-than")?
                }
                None => now,
            };
            let status = match status {
                FinishedArg::Succeeded => JobStatus::Succeeded,
                FinishedArg::Dead => JobStatus::Dead,
            };
            let count = queue::purge(conn, status, before).await?;
            println!("deleted {count} {} job(s)", status.as_str());
        }
        JobsAction::Schedules => {}
    }
    Ok(())
}
