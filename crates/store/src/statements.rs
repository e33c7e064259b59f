//! Counting the statements a piece of work runs: how a test holds a list to "a fixed number of
//! queries whatever the page size" (no N+1). The count is task-local, so the job worker and
//! other requests running beside it do not disturb it.

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static STATEMENTS: Cell<u64>;
}

/// Runs `work` and answers its output with the number of statements it ran through a
/// [`Db`](crate::Db) (on this task: work spawned onto other tasks is not counted).
pub async fn counted<F: Future>(work: F) -> (F::Output, u64) {
    STATEMENTS
        .scope(Cell::new(0), async {
            let output = work.await;
            (output, STATEMENTS.with(Cell::get))
        })
        .await
}

/// Called by the database handle for every statement.
pub(crate) fn record() {
    // Outside `counted` there is nothing to count.
    let _ = STATEMENTS.try_with(|count| count.set(count.get() + 1));
}
