//! The two writes of a draft that a request and a job share, on the caller's transaction:
//! [`open`] a league's draft of a race (the creator's initialization, the rotation job) and
//! [`pick`] a driver (the constructor's owner, the pick clock's job).

use agora_core::{ApiError, ApiResult, UserId};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::entity::draft::{self, DraftOrigin};
use super::entity::pick;
use super::queries::{self, DRIVER_KEY, NewDraft, NewPick, PICK_NUMBER_KEY};
use super::rules;
use crate::constructors::queries as constructors;
use crate::drivers::queries as drivers;
use crate::leagues::LeagueId;
use crate::leagues::entity::Model as League;
use crate::races::entity::race;

/// The fewest constructors a draft is made for.
pub const MIN_CONSTRUCTORS: usize = 2;

/// Why a draft was not opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotOpened {
    /// The league has a draft of this race already.
    Exists,
    /// The league has fewer than [`MIN_CONSTRUCTORS`] constructors.
    TooFewConstructors(usize),
}

/// Opens `league`'s draft of `race`: the order is the league's previous draft's rotated
/// ([`rules::rotated`]) or, for its first, a shuffle of its constructors by a new seed
/// ([`rules::random_order`], the constructors in the order they joined).
pub async fn open(
    conn: &impl ConnectionTrait,
    league: &League,
    race: &race::Model,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> ApiResult<Result<draft::Model, NotOpened>> {
    let league_id = LeagueId(league.id);
    let members: Vec<Uuid> = constructors::of_league(conn, league_id)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    if members.len() < MIN_CONSTRUCTORS {
        return Ok(Err(NotOpened::TooFewConstructors(members.len())));
    }
    let (origin, seed, order) = match queries::previous(conn, league_id, race.starts_at).await? {
        Some(previous) => {
            let previous = previous.order().map_err(ApiError::internal)?;
            (
                DraftOrigin::Rotated,
                None,
                rules::rotated(&previous, &members),
            )
        }
        None => {
            let seed = new_seed();
            (
                DraftOrigin::Random,
                Some(seed),
                rules::random_order(seed, &members),
            )
        }
    };
    let field = drivers::all_of_season(conn, race.season_id).await?.len();
    let new = NewDraft {
        league: league_id,
        race: race.id,
        method: league.draft_method,
        origin,
        seed,
        total_picks: rules::picks_for(order.len(), field),
        order,
        by,
    };
    Ok(queries::insert(conn, &new, now)
        .await?
        .ok_or(NotOpened::Exists))
}

/// A seed for a first race's shuffle: 63 random bits, so that it is stored as it is in a
/// BIGINT (and read the same on both databases).
fn new_seed() -> u64 {
    rand::random::<u64>() >> 1
}

/// Who picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picker {
    /// The owner of this constructor, by hand: it must be its turn.
    Owner(Uuid),
    /// The pick clock, for the turn of pick `pick_number` that began at `turn_started_at`:
    /// nothing if that turn has passed.
    Clock {
        pick_number: i32,
        turn_started_at: DateTime<Utc>,
    },
}

/// Why a pick was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The race has started.
    Closed,
    /// Every constructor has its drivers.
    Complete,
    /// It is another constructor's turn (or, for the clock, the turn it was for has passed).
    NotYourTurn,
    /// The league has picked this driver for this race.
    DriverTaken,
}

/// A pick made, and the draft as it left it.
#[derive(Debug, Clone)]
pub struct Made {
    pub pick: pick::Model,
    pub draft: draft::Model,
}

/// Picks `driver` in `draft` (of `race`) for whoever's turn it is, if `picker` may.
///
/// The turn is taken by one conditional update of the draft's `picks_made` (from the number
/// read to the next): of two picks of one turn, the second finds the number moved on, reads
/// the draft again and is refused unless the next turn is its constructor's too. The pick's
/// row then meets the unique keys: a driver picked already is [`Refused::DriverTaken`] (the
/// whole transaction is dropped by the caller, the turn with it).
pub async fn pick(
    conn: &impl ConnectionTrait,
    mut draft: draft::Model,
    race: &race::Model,
    picker: Picker,
    driver: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<Result<Made, Refused>> {
    let order = draft.order().map_err(ApiError::internal)?;
    let total = draft.total_picks;
    // Each pass either takes the turn or sees another pick made: at most one per pick.
    for _ in 0..=total {
        if race.starts_at <= now {
            return Ok(Err(Refused::Closed));
        }
        if draft.picks_made >= total {
            return Ok(Err(Refused::Complete));
        }
        let number = draft.picks_made + 1;
        let turn = u32::try_from(number)
            .ok()
            .and_then(|n| rules::picker(draft.method, &order, n))
            .copied();
        let may = match picker {
            Picker::Owner(constructor) => turn == Some(constructor),
            Picker::Clock {
                pick_number,
                turn_started_at,
            } => pick_number == number && turn_started_at == draft.turn_started_at,
        };
        let Some(constructor) = turn.filter(|_| may) else {
            return Ok(Err(Refused::NotYourTurn));
        };
        if queries::advance(conn, draft.id, draft.picks_made, now).await? {
            let new = NewPick {
                league: draft.league_id,
                race: draft.race_id,
                constructor,
                driver,
                pick_number: number,
                auto: matches!(picker, Picker::Clock { .. }),
            };
            let pick = match queries::insert_pick(conn, new, now).await {
                Ok(pick) => pick,
                Err(err) if DRIVER_KEY.broken_by(&err) => return Ok(Err(Refused::DriverTaken)),
                Err(err) if PICK_NUMBER_KEY.broken_by(&err) => {
                    return Ok(Err(Refused::NotYourTurn));
                }
                Err(err) => return Err(err.into()),
            };
            let draft = queries::find(conn, LeagueId(draft.league_id), draft.race_id)
                .await?
                .ok_or_else(|| ApiError::internal("a draft vanished during a pick"))?;
            return Ok(Ok(Made { pick, draft }));
        }
        draft = queries::find(conn, LeagueId(draft.league_id), draft.race_id)
            .await?
            .ok_or_else(|| ApiError::internal("a draft vanished during a pick"))?;
    }
    Ok(Err(Refused::NotYourTurn))
}
