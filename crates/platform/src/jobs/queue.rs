//! The `jobs` table: enqueue, the claim / complete / fail steps that workers drive, and what
//! operators see and do (lists, counts, retry, purge).
//!
//! A worker **claims** the oldest due job with one conditional `UPDATE`: the row must still be
//! `queued` and due, or `running` with a lease that has run out (its worker died). The update
//! sets `running`, a new lease and one more attempt, so two workers never hold the same job:
//! on PostgreSQL the candidate is picked and locked by a subquery with `FOR UPDATE SKIP LOCKED`
//! (jobs other workers are claiming are passed over, not waited for); SQLite has one writer at
//! a time, which makes the update the single claimer (SeaQuery leaves the lock clause out).
//! Every later step names the claim it completes (id, `running`, attempt number), so a worker
//! whose lease ran out cannot overwrite the outcome of the worker that claimed the job after it.

use agora_core::pagination::{NumberedPage, PageNumber};
use agora_store::keyset::{Keyset, SortKey, numbered_page};
use agora_store::{DbError, DbResult};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Condition, Expr, ExprTrait, LockBehavior, LockType, OnConflict, Order, Query,
};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Enqueue, Enqueued, Job, JobContext, JobError, JobId, JobKind};
use crate::entities::jobs::{self, Column};

pub use crate::entities::jobs::JobStatus;

/// One row of the queue.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredJob {
    #[schema(value_type = String, format = Uuid)]
    pub id: JobId,
    pub kind: String,
    /// The job's input.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub status: JobStatus,
    pub unique_key: Option<String>,
    /// Attempts begun so far.
    pub attempts: u32,
    /// When it is (or was) due.
    pub run_at: DateTime<Utc>,
    /// While running: when the claim runs out.
    pub locked_until: Option<DateTime<Utc>>,
    /// The instance that claimed it last (`host:pid`).
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When the last attempt began.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<jobs::Model> for StoredJob {
    fn from(row: jobs::Model) -> Self {
        // Written by `insert` from a `serde_json::Value`; unreadable only if edited by hand,
        // and then handed to the handler as a string, which fails it visibly.
        let payload =
            serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::String(row.payload));
        StoredJob {
            id: JobId(row.id),
            kind: row.kind,
            payload,
            status: row.status,
            unique_key: row.unique_key,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            run_at: row.run_at,
            locked_until: row.locked_until,
            locked_by: row.locked_by,
            last_error: row.last_error,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
        }
    }
}

/// Writes a job of `kind`. With a unique key already held by a waiting or running job, writes
/// nothing and answers that job: the partial unique index decides, so two concurrent enqueues
/// cannot both get in.
pub async fn insert(
    conn: &impl ConnectionTrait,
    kind: &str,
    payload: &serde_json::Value,
    options: Enqueue,
    now: DateTime<Utc>,
) -> DbResult<Enqueued> {
    let id = JobId::new();
    let insert = Query::insert()
        .into_table(jobs::Entity)
        .columns([
            Column::Id,
            Column::Kind,
            Column::Payload,
            Column::Status,
            Column::UniqueKey,
            Column::Attempts,
            Column::RunAt,
            Column::CreatedAt,
        ])
        .values_panic([
            id.as_uuid().into(),
            kind.into(),
            payload.to_string().into(),
            JobStatus::Queued.into(),
            options.unique_key.clone().into(),
            0.into(),
            options.run_at.unwrap_or(now).into(),
            now.into(),
        ])
        // No target: the only unique index that can conflict is the partial one on the key
        // (ids are fresh), and both databases accept a target-less DO NOTHING for it.
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .to_owned();
    if conn.execute(&insert).await?.rows_affected() == 1 {
        return Ok(Enqueued::Created(id));
    }
    let key = options.unique_key.unwrap_or_default();
    let select = Query::select()
        .column(Column::Id)
        .from(jobs::Entity)
        .and_where(Expr::col(Column::UniqueKey).eq(key.as_str()))
        .and_where(Expr::col(Column::Status).is_in(pending()))
        .to_owned();
    let row = conn.query_one(&select).await?.ok_or_else(|| {
        DbError(sea_orm::DbErr::Custom(format!(
            "the {kind} job with key `{key}` was neither written nor found"
        )))
    })?;
    Ok(Enqueued::Existing(JobId(row.try_get("", "id")?)))
}

fn pending() -> [JobStatus; 2] {
    [JobStatus::Queued, JobStatus::Running]
}

/// Jobs of `kinds` a worker may take at `now`: due and queued, or abandoned mid-run.
fn claimable(kinds: &[&str], now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(Expr::col(Column::Kind).is_in(kinds.iter().copied()))
        .add(
            Condition::any()
                .add(
                    Expr::col(Column::Status)
                        .eq(JobStatus::Queued)
                        .and(Expr::col(Column::RunAt).lte(now)),
                )
                .add(
                    Expr::col(Column::Status)
                        .eq(JobStatus::Running)
                        .and(Expr::col(Column::LockedUntil).lt(now)),
                ),
        )
}

/// Claims the job that has been due longest among those of `kinds` claimable at `now`, until
/// `locked_until`: it becomes `running` for `instance`, with one more attempt counted.
pub async fn claim_next(
    conn: &impl ConnectionTrait,
    kinds: &[&str],
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
    instance: &str,
) -> DbResult<Option<StoredJob>> {
    let candidate = Query::select()
        .column(Column::Id)
        .from(jobs::Entity)
        .cond_where(claimable(kinds, now))
        .order_by(Column::RunAt, Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let claim = Query::update()
        .table(jobs::Entity)
        .value(Column::Status, JobStatus::Running)
        .value(Column::LockedUntil, locked_until)
        .value(Column::LockedBy, instance)
        .value(Column::StartedAt, now)
        .value(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .cond_where(
            Condition::all()
                // `=` and not `IN`: PostgreSQL then runs the subquery once, before the update,
                // and the row it locks is the row updated. With `IN` it may plan a join that
                // finds a row another worker claimed meanwhile and returns nothing, although
                // other rows were free.
                .add(Expr::col(Column::Id).eq(candidate))
                .add(claimable(kinds, now)),
        )
        .returning_all()
        .to_owned();
    match conn.query_one(&claim).await? {
        Some(row) => Ok(Some(jobs::Model::from_query_result(&row, "")?.into())),
        None => Ok(None),
    }
}

/// The job is still `running` under the claim that `job` came from: if the lease ran out and
/// another worker claimed it again, the attempt count has moved on.
fn current_claim(job: &StoredJob) -> Condition {
    Condition::all()
        .add(Expr::col(Column::Id).eq(job.id.as_uuid()))
        .add(Expr::col(Column::Status).eq(JobStatus::Running))
        .add(Expr::col(Column::Attempts).eq(i64::from(job.attempts)))
}

/// What follows a claimed run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    RetryAt { at: DateTime<Utc>, error: String },
    Dead { error: String },
}

/// Records the outcome of the claim `job` came from; false when that claim is no longer
/// current (the lease ran out and another worker has the job).
pub async fn record(
    conn: &impl ConnectionTrait,
    job: &StoredJob,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let mut update = Query::update();
    update
        .table(jobs::Entity)
        .value(Column::LockedUntil, Option::<DateTime<Utc>>::None)
        .cond_where(current_claim(job));
    match outcome {
        Outcome::Succeeded => update
            .value(Column::Status, JobStatus::Succeeded)
            .value(Column::FinishedAt, now),
        Outcome::RetryAt { at, error } => update
            .value(Column::Status, JobStatus::Queued)
            .value(Column::RunAt, *at)
            .value(Column::LastError, error.as_str()),
        Outcome::Dead { error } => update
            .value(Column::Status, JobStatus::Dead)
            .value(Column::FinishedAt, now)
            .value(Column::LastError, error.as_str()),
    };
    Ok(conn.execute(&update).await?.rows_affected() == 1)
}

/// One job by id.
pub async fn find(conn: &impl ConnectionTrait, id: JobId) -> DbResult<Option<StoredJob>> {
    Ok(jobs::Entity::find_by_id(id.as_uuid())
        .one(conn)
        .await?
        .map(StoredJob::from))
}

/// Which jobs a list shows.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub kind: Option<String>,
}

impl JobFilter {
    fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(status) = self.status {
            condition = condition.add(Expr::col(Column::Status).eq(status));
        }
        if let Some(kind) = &self.kind {
            condition = condition.add(Expr::col(Column::Kind).eq(kind.as_str()));
        }
        condition
    }
}

/// One numbered page of the jobs matching `filter`, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &JobFilter,
    page: PageNumber,
) -> DbResult<NumberedPage<StoredJob>> {
    let newest_first = Keyset::new(
        [SortKey::desc(Column::CreatedAt)],
        SortKey::desc(Column::Id),
    );
    let select = jobs::Entity::find().filter(filter.condition()).into_query();
    numbered_page(conn, select, &newest_first, page, |row| {
        Ok(jobs::Model::from_query_result(row, "")?.into())
    })
    .await
}

/// The queue of one kind at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KindStats {
    pub kind: String,
    /// Waiting, due or not: the queue's depth.
    pub queued: u64,
    /// Waiting and due now: work the workers have not caught up with.
    pub due: u64,
    /// Waiting for a retry after a failed attempt.
    pub retrying: u64,
    pub running: u64,
    pub succeeded: u64,
    pub dead: u64,
    /// The due time of the job that has waited longest, if any is due: how far behind the
    /// workers are.
    pub oldest_due_at: Option<DateTime<Utc>>,
}

#[derive(FromQueryResult)]
struct StatsRow {
    kind: String,
    status: JobStatus,
    attempts_made: bool,
    is_due: bool,
    jobs: i64,
    oldest_run_at: Option<DateTime<Utc>>,
}

/// Counts per kind at `now`, sorted by kind.
pub async fn stats(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> DbResult<Vec<KindStats>> {
    let attempts_made = Expr::col(Column::Attempts).gt(0);
    let is_due = Expr::col(Column::RunAt).lte(now);
    let select = Query::select()
        .column(Column::Kind)
        .column(Column::Status)
        .expr_as(attempts_made, "attempts_made")
        .expr_as(is_due, "is_due")
        .expr_as(Expr::col(Column::Id).count(), "jobs")
        .expr_as(Expr::col(Column::RunAt).min(), "oldest_run_at")
        .from(jobs::Entity)
        // By position: repeating the expressions would bind `now` twice, and PostgreSQL would
        // not see that the two `run_at <= $n` are the same.
        .add_group_by([1, 2, 3, 4].map(|position| Expr::cust(position.to_string())))
        .to_owned();
    let mut by_kind: std::collections::BTreeMap<String, KindStats> = Default::default();
    for row in conn.query_all(&select).await? {
        let row = StatsRow::from_query_result(&row, "")?;
        let jobs = u64::try_from(row.jobs).unwrap_or(0);
        let stats = by_kind
            .entry(row.kind.clone())
            .or_insert_with(|| KindStats {
                kind: row.kind.clone(),
                ..KindStats::default()
            });
        match row.status {
            JobStatus::Queued => {
                stats.queued += jobs;
                if row.attempts_made {
                    stats.retrying += jobs;
                }
                if row.is_due {
                    stats.due += jobs;
                    stats.oldest_due_at = match (stats.oldest_due_at, row.oldest_run_at) {
                        (Some(a), Some(b)) => Some(Ord::min(a, b)),
                        (a, b) => a.or(b),
                    };
                }
            }
            JobStatus::Running => stats.running += jobs,
            JobStatus::Succeeded => stats.succeeded += jobs,
            JobStatus::Dead => stats.dead += jobs,
        }
    }
    Ok(by_kind.into_values().collect())
}

/// Queues a dead job again, due at `now`, with its attempts counted afresh. `None` when the job
/// does not exist; false when it is not dead (a job that waits or runs needs no retry, and a
/// succeeded one must not run twice).
pub async fn retry(
    conn: &impl ConnectionTrait,
    id: JobId,
    now: DateTime<Utc>,
) -> DbResult<Option<bool>> {
    let retried = requeue_dead(conn, Expr::col(Column::Id).eq(id.as_uuid()).into(), now).await?;
    if retried == 1 {
        return Ok(Some(true));
    }
    Ok(find(conn, id).await?.map(|_| false))
}

/// Queues every dead job (of `kind`, when given) again; returns how many.
pub async fn retry_dead(
    conn: &impl ConnectionTrait,
    kind: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<u64> {
    let mut condition = Condition::all();
    if let Some(kind) = kind {
        condition = condition.add(Expr::col(Column::Kind).eq(kind));
    }
    requeue_dead(conn, condition, now).await
}

async fn requeue_dead(
    conn: &impl ConnectionTrait,
    which: Condition,
    now: DateTime<Utc>,
) -> DbResult<u64> {
    let update = Query::update()
        .table(jobs::Entity)
        .value(Column::Status, JobStatus::Queued)
        .value(Column::Attempts, 0)
        .value(Column::RunAt, now)
        .value(Column::FinishedAt, Option::<DateTime<Utc>>::None)
        .cond_where(which.add(Expr::col(Column::Status).eq(JobStatus::Dead)))
        .to_owned();
    Ok(conn.execute(&update).await?.rows_affected())
}

/// Deletes the finished jobs (`succeeded` or `dead`) of `status` that finished before `before`;
/// returns how many. Waiting and running jobs are never purged.
pub async fn purge(
    conn: &impl ConnectionTrait,
    status: JobStatus,
    before: DateTime<Utc>,
) -> DbResult<u64> {
    if !matches!(status, JobStatus::Succeeded | JobStatus::Dead) {
        return Ok(0);
    }
    let delete = Query::delete()
        .from_table(jobs::Entity)
        .and_where(Expr::col(Column::Status).eq(status))
        .and_where(Expr::col(Column::FinishedAt).lt(before))
        .to_owned();
    Ok(conn.execute(&delete).await?.rows_affected())
}

/// How long finished jobs are kept by the scheduled purge.
pub const KEEP_SUCCEEDED: chrono::Duration = chrono::Duration::days(7);
pub const KEEP_DEAD: chrono::Duration = chrono::Duration::days(30);

/// The scheduled clean-up of finished jobs (`jobs.purge`).
#[derive(Debug, Serialize, Deserialize)]
pub struct PurgeFinishedJobs {}

impl Job for PurgeFinishedJobs {
    const KIND: &'static str = "jobs.purge";
}

pub(crate) fn purge_job() -> JobKind {
    JobKind::new(|ctx: JobContext, _: PurgeFinishedJobs| async move {
        let db = ctx.state.db().writer();
        let now = agora_core::time::now();
        let succeeded = purge(db, JobStatus::Succeeded, now - KEEP_SUCCEEDED).await?;
        let dead = purge(db, JobStatus::Dead, now - KEEP_DEAD).await?;
        tracing::info!(succeeded, dead, "purged finished jobs");
        Ok::<_, JobError>(())
    })
}
