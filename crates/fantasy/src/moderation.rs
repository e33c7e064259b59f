//! The module's content on the moderation queue: a league's name and description, a
//! constructor's team name. Both are screened when written (`Screened<…>`); a rule that
//! flags puts them on the queue, a rule that would hide them refuses them (they have no hidden
//! state: a league or a team is listed whole or not at all). From the queue, a moderator's
//! restore leaves the text as it is, a removal replaces it with a neutral one.

use agora_platform::moderation::ModeratedKind;
use agora_store::{DbResult, Transaction};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use uuid::Uuid;

use crate::constructors::queries as constructors;
use crate::leagues::queries as leagues;

/// The queue's kind of a league (its name and description).
pub const LEAGUE_TARGET: &str = "fantasy_league";
/// The queue's kind of a constructor (its team name).
pub const CONSTRUCTOR_TARGET: &str = "fantasy_constructor";

pub const KINDS: &[ModeratedKind] = &[
    ModeratedKind {
        kind: LEAGUE_TARGET,
        restore: keep,
        remove: remove_league_text,
    },
    ModeratedKind {
        kind: CONSTRUCTOR_TARGET,
        restore: keep,
        remove: remove_team_name,
    },
];

/// Nothing was hidden: restoring leaves the text as it is.
fn keep(_: &Transaction, _: Uuid, _: DateTime<Utc>) -> BoxFuture<'_, DbResult<bool>> {
    Box::pin(async { Ok(true) })
}

fn remove_league_text(
    txn: &Transaction,
    id: Uuid,
    now: DateTime<Utc>,
) -> BoxFuture<'_, DbResult<bool>> {
    Box::pin(async move { leagues::clear_text(txn, id, now).await })
}

fn remove_team_name(
    txn: &Transaction,
    id: Uuid,
    _: DateTime<Utc>,
) -> BoxFuture<'_, DbResult<bool>> {
    Box::pin(async move { constructors::clear_team_name(txn, id).await })
}
