//! The real-time room of a league, `league:{id}`: its drafts as they happen. Its creator and
//! the owners of its constructors may join it (a public league's drafts are read by anyone
//! over HTTP; the live events are for those who play).
//!
//! Events (after the commit of the change): `draft.order` when a draft is initialized, its
//! order set by hand, or a pick moves its turn on (the order, the picks made and whose turn is
//! next); `draft.pick` for each pick (the pick as `GET …/drafts/{race_id}` lists it).

use agora_core::{ApiError, UserId};
use agora_platform::AppState;
use agora_platform::identity::Viewer;
use agora_platform::realtime::{Event, Room, RoomKind};
use futures::future::BoxFuture;
use uuid::Uuid;

use crate::constructors::queries as constructors;
use crate::leagues::{LeagueId, queries as leagues};

/// `league:{id}`: the league's creator and members.
pub const LEAGUE_ROOMS: RoomKind = RoomKind {
    kind: "league",
    may_join,
};

fn may_join(
    state: AppState,
    viewer: Viewer,
    id: String,
) -> BoxFuture<'static, Result<bool, ApiError>> {
    Box::pin(async move {
        let Ok(id) = id.parse::<Uuid>() else {
            return Ok(false);
        };
        let db = state.db().reader();
        let Some(league) = leagues::find(db, LeagueId(id)).await? else {
            return Ok(false);
        };
        is_insider(&state, &league, viewer.user_id).await
    })
}

async fn is_insider(
    state: &AppState,
    league: &crate::leagues::entity::Model,
    user: UserId,
) -> Result<bool, ApiError> {
    if league.creator_id == user.0 {
        return Ok(true);
    }
    let db = state.db().reader();
    Ok(constructors::of_user_in(db, LeagueId(league.id), user)
        .await?
        .is_some())
}

/// An event of the room of `league`, to publish after the commit.
#[derive(Debug, Clone)]
pub struct LeagueEvent {
    pub league: Uuid,
    pub kind: &'static str,
    pub payload: serde_json::Value,
}

/// Publishes `events` (after the commit).
pub async fn publish(state: &AppState, events: Vec<LeagueEvent>) {
    for event in events {
        // A uuid after `league:` is always a valid room name.
        if let Ok(room) = Room::parse(&format!("league:{}", event.league)) {
            state
                .realtime()
                .publish(Event::new(room, event.kind, event.payload))
                .await;
        }
    }
}
