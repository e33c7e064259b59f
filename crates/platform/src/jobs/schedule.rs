//! The scheduler: periodic jobs by cron expression, enqueued once per tick however many
//! instances run it.
//!
//! Each schedule has a row in `job_schedules` with its next run time. Every instance looks at
//! the rows each second; for a schedule that is due, it moves `next_run_at` on to the following
//! tick with a conditional update (`WHERE next_run_at = <the due time it read>`) and, in the
//! same transaction, enqueues the job. Only one instance's update can match, so only one
//! enqueues; the job then runs on whichever worker claims it. A tick missed while no instance
//! ran is run once when one comes back, not once per missed tick. The job carries the unique
//! key `schedule:<kind>`, so a run that is still waiting or going makes the next tick skip
//! rather than pile up.
//!
//! Cron expressions have five fields (minute, hour, day of month, month, day of week) or six
//! with seconds first, in UTC. The defaults come from the code (each module's
//! [`crate::Module::schedules`] of the platform's areas and the products); the `schedules` setting
//! replaces an expression or turns a schedule `off`.

use std::collections::BTreeMap;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use agora_store::{Db, DbResult};
use chrono::{DateTime, Utc};
use croner::Cron;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::{Enqueue, JobKinds, queue};
use crate::entities::job_schedules::{self, Column};

/// A periodic job: the kind to enqueue (with an empty input) and when, by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub kind: &'static str,
    pub cron: &'static str,
}

#[derive(Debug, FromQueryResult)]
struct Row {
    name: String,
    cron: String,
    next_run_at: DateTime<Utc>,
}

/// One schedule in force.
#[derive(Debug, Clone)]
struct Planned {
    kind: &'static str,
    expression: String,
    cron: Cron,
}

impl Planned {
    /// The first tick strictly after `now`; `None` if the expression never fires again.
    fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&now, false).ok()
    }
}

/// A periodic job as the scheduler last left it.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema, FromQueryResult)]
pub struct ScheduleState {
    /// The kind of job it enqueues.
    pub name: String,
    pub cron: String,
    pub next_run_at: DateTime<Utc>,
    pub last_run_at: Option<DateTime<Utc>>,
}

/// Every schedule as the scheduler last left it, by name (for operators).
pub async fn states(conn: &impl ConnectionTrait) -> DbResult<Vec<ScheduleState>> {
    let select = Query::select()
        .columns([
            Column::Name,
            Column::Cron,
            Column::NextRunAt,
            Column::LastRunAt,
        ])
        .from(job_schedules::Entity)
        .order_by(Column::Name, sea_orm::sea_query::Order::Asc)
        .to_owned();
    Ok(conn
        .query_all(&select)
        .await?
        .iter()
        .map(|row| ScheduleState::from_query_result(row, ""))
        .collect::<Result<_, _>>()?)
}

/// Enqueues the scheduled jobs when they are due.
pub struct Scheduler {
    db: Db,
    planned: Vec<Planned>,
}

/// What the `schedules` setting turns a schedule into to stop it.
pub const OFF: &str = "off";

/// Checks the `schedules` setting alone, before anything is started: every name is a schedule
/// of `defaults` and every expression is `off` or a cron expression that fires.
pub fn check_overrides(
    defaults: &[Schedule],
    overrides: &BTreeMap<String, String>,
) -> Result<(), String> {
    for (name, expression) in overrides {
        if !defaults.iter().any(|s| s.kind == name.as_str()) {
            let known: Vec<_> = defaults.iter().map(|s| s.kind).collect();
            return Err(format!(
                "`schedules` names `{name}`, which is not a schedule (known: {})",
                known.join(", ")
            ));
        }
        let expression = expression.trim();
        if expression.eq_ignore_ascii_case(OFF) {
            continue;
        }
        let cron = Cron::from_str(expression).map_err(|err| {
            format!(
                "the schedule `{name}` has the cron expression `{expression}`, which is not valid: {err}"
            )
        })?;
        if cron
            .find_next_occurrence(&agora_core::time::now(), false)
            .is_err()
        {
            return Err(format!(
                "the schedule `{name}` (`{expression}`) never fires"
            ));
        }
    }
    Ok(())
}

impl Scheduler {
    /// The schedules of `defaults` as `overrides` (the `schedules` setting) change them. Fails
    /// on an override naming no schedule, an expression that does not parse or never fires,
    /// and a schedule whose kind no worker runs.
    pub fn new(
        db: Db,
        defaults: &[Schedule],
        overrides: &BTreeMap<String, String>,
        kinds: &JobKinds,
    ) -> Result<Self, String> {
        check_overrides(defaults, overrides)?;
        let mut planned = Vec::new();
        for schedule in defaults {
            let expression = overrides
                .get(schedule.kind)
                .map_or(schedule.cron, String::as_str)
                .trim();
            if expression.eq_ignore_ascii_case(OFF) {
                continue;
            }
            if kinds.get(schedule.kind).is_none() {
                return Err(format!(
                    "the schedule `{}` enqueues jobs no worker runs",
                    schedule.kind
                ));
            }
            let cron = Cron::from_str(expression).map_err(|err| {
                format!(
                    "the schedule `{}` has the cron expression `{expression}`, which is not valid: {err}",
                    schedule.kind
                )
            })?;
            let plan = Planned {
                kind: schedule.kind,
                expression: expression.to_owned(),
                cron,
            };
            if plan.next_after(agora_core::time::now()).is_none() {
                return Err(format!(
                    "the schedule `{}` (`{expression}`) never fires",
                    schedule.kind
                ));
            }
            planned.push(plan);
        }
        Ok(Self { db, planned })
    }

    /// The kinds scheduled, with their expressions.
    pub fn schedules(&self) -> Vec<(&'static str, &str)> {
        self.planned
            .iter()
            .map(|p| (p.kind, p.expression.as_str()))
            .collect()
    }

    /// Enqueues the jobs due at `now` that no other instance has enqueued for this tick, and
    /// registers schedules seen for the first time (or with a new expression), due at their
    /// next tick. Returns the kinds it enqueued.
    pub async fn tick(&self, now: DateTime<Utc>) -> DbResult<Vec<&'static str>> {
        let select = Query::select()
            .columns([Column::Name, Column::Cron, Column::NextRunAt])
            .from(job_schedules::Entity)
            .to_owned();
        let rows: BTreeMap<String, Row> = self
            .db
            .writer()
            .query_all(&select)
            .await?
            .iter()
            .map(|row| Row::from_query_result(row, "").map(|row| (row.name.clone(), row)))
            .collect::<Result<_, _>>()?;
        let mut enqueued = Vec::new();
        for plan in &self.planned {
            match rows.get(plan.kind) {
                None => self.register(plan, now).await?,
                Some(row) if row.cron != plan.expression => self.replan(plan, row, now).await?,
                Some(row) if row.next_run_at <= now => {
                    if self.fire(plan, row.next_run_at, now).await? {
                        enqueued.push(plan.kind);
                    }
                }
                Some(_) => {}
            }
        }
        Ok(enqueued)
    }

    async fn register(&self, plan: &Planned, now: DateTime<Utc>) -> DbResult<()> {
        let Some(next) = plan.next_after(now) else {
            return Ok(());
        };
        let insert = Query::insert()
            .into_table(job_schedules::Entity)
            .columns([Column::Name, Column::Cron, Column::NextRunAt])
            .values_panic([
                plan.kind.into(),
                plan.expression.as_str().into(),
                next.into(),
            ])
            .on_conflict(OnConflict::column(Column::Name).do_nothing().to_owned())
            .to_owned();
        self.db.writer().execute(&insert).await?;
        Ok(())
    }

    /// The expression changed: the next run follows the new one.
    async fn replan(&self, plan: &Planned, row: &Row, now: DateTime<Utc>) -> DbResult<()> {
        let Some(next) = plan.next_after(now) else {
            return Ok(());
        };
        let update = Query::update()
            .table(job_schedules::Entity)
            .value(Column::Cron, plan.expression.as_str())
            .value(Column::NextRunAt, next)
            .and_where(Expr::col(Column::Name).eq(plan.kind))
            .and_where(Expr::col(Column::Cron).eq(row.cron.as_str()))
            .to_owned();
        self.db.writer().execute(&update).await?;
        tracing::info!(schedule = plan.kind, cron = %plan.expression, next = %next, "schedule changed");
        Ok(())
    }

    /// Takes the tick `due` of `plan` and enqueues its job, unless another instance took it
    /// first; true when this one did.
    async fn fire(&self, plan: &Planned, due: DateTime<Utc>, now: DateTime<Utc>) -> DbResult<bool> {
        let next = plan.next_after(now).unwrap_or(DateTime::<Utc>::MAX_UTC);
        let txn = self.db.begin().await?;
        let take = Query::update()
            .table(job_schedules::Entity)
            .value(Column::NextRunAt, next)
            .value(Column::LastRunAt, due)
            .and_where(Expr::col(Column::Name).eq(plan.kind))
            .and_where(Expr::col(Column::NextRunAt).eq(due))
            .to_owned();
        if txn.execute(&take).await?.rows_affected() != 1 {
            return Ok(false);
        }
        let enqueued = queue::insert(
            &txn,
            plan.kind,
            &serde_json::json!({}),
            Enqueue {
                run_at: None,
                unique_key: Some(format!("schedule:{}", plan.kind)),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        match enqueued {
            super::Enqueued::Created(job) => {
                tracing::info!(schedule = plan.kind, tick = %due, %job, "scheduled job enqueued")
            }
            super::Enqueued::Existing(job) => {
                tracing::warn!(schedule = plan.kind, tick = %due, %job, "the previous run has not finished; this tick is skipped")
            }
        }
        Ok(true)
    }

    /// Ticks every second until `shutdown` completes, ringing `wake` after enqueueing.
    pub async fn run(self, wake: impl Fn(), shutdown: impl Future<Output = ()>) {
        if self.planned.is_empty() {
            return;
        }
        tracing::info!(schedules = ?self.schedules(), "scheduler started");
        tokio::pin!(shutdown);
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                _ = interval.tick() => {}
            }
            match self.tick(agora_core::time::now()).await {
                Ok(enqueued) if !enqueued.is_empty() => wake(),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "the scheduler cannot reach the database"),
            }
        }
        tracing::info!("scheduler stopped");
    }
}
