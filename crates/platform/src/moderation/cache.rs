//! The compiled rule set, held in this process and rebuilt when the rules change.
//!
//! Which rule set is current is told by its stamp (`queries::stamp`: the number of rules and
//! their latest change), kept in the cache (`state.cache()`) for [`STAMP_TTL`]. A change of the
//! rules invalidates that entry after its commit; with the shared Redis every instance reads
//! the same entry, so the next text any instance screens finds the new stamp and rebuilds its
//! rules: a change made through one instance is seen by all at once, without a restart. The
//! TTL bounds how long a lost invalidation (or a race with a concurrent reload) can last.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use agora_store::{Db, DbResult};

use super::matching::RuleSet;
use super::queries;
use crate::AppState;

const STAMP_KEY: &str = "moderation:rules:stamp";
/// How long a stamp is trusted without looking at the table.
pub const STAMP_TTL: Duration = Duration::from_secs(30);

/// The service: the compiled rules of the stamp they were built from.
#[derive(Default)]
pub struct RuleCache {
    current: RwLock<Option<(String, Arc<RuleSet>)>>,
}

impl RuleCache {
    /// The rule set in force: the one held, unless the stamp moved on.
    pub async fn rules(&self, state: &AppState) -> DbResult<Arc<RuleSet>> {
        let db = state.db();
        let stamp: String = state
            .cache()
            .get_or_load(STAMP_KEY, STAMP_TTL, || queries::stamp(db.reader()))
            .await?;
        if let Some((held, rules)) = self.held()
            && held == stamp
        {
            return Ok(rules);
        }
        self.reload(db, stamp).await
    }

    fn held(&self) -> Option<(String, Arc<RuleSet>)> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    async fn reload(&self, db: &Db, stamp: String) -> DbResult<Arc<RuleSet>> {
        let specs = queries::all_rules(db.reader()).await?;
        let rules = Arc::new(RuleSet::compile(specs));
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Some((stamp, rules.clone()));
        Ok(rules)
    }
}

/// After committing a change to the rules: every instance rebuilds on its next screening.
pub async fn rules_changed(state: &AppState) {
    state.cache().invalidate(STAMP_KEY).await;
}
