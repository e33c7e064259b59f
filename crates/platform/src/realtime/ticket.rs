//! WebSocket tickets (`POST /api/v1/ws/ticket`): a browser cannot set `Authorization` on a
//! WebSocket, so it trades its access token for a ticket and connects with `?ticket=`.
//!
//! A ticket is 256 random bits, valid 30 seconds, usable once, stored only as its SHA-256 in
//! `ws_tickets`, so any instance can redeem what another issued. Redeeming is one conditional
//! `DELETE … WHERE ticket_hash = ? AND expires_at > now`: of two concurrent uses, exactly one
//! deletes the row.

use agora_core::extract::Json;
use agora_core::{ApiResult, SessionId, UserId};
use agora_store::{DbError, DbResult};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::entities::ws_tickets;
use crate::identity::Viewer;
use crate::identity::secrets::{new_token, token_hash};

/// How long a ticket may wait before it is used.
pub const TICKET_TTL: Duration = Duration::seconds(30);

/// A single-use credential for `GET /api/v1/ws?ticket=…`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WsTicket {
    pub ticket: String,
    /// Seconds until the ticket expires.
    pub expires_in: i64,
}

/// Get a WebSocket ticket: for clients (browsers) that cannot send `Authorization` when they
/// open a WebSocket. Valid 30 seconds, once, on any instance.
#[utoipa::path(post, path = "/ws/ticket", tag = "realtime", security(("bearer" = [])),
    responses(
        (status = 201, description = "Connect with `GET /api/v1/ws?ticket=…` within `expires_in` seconds", body = WsTicket),
        (status = 401),
    ))]
pub async fn issue_ticket(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<(StatusCode, Json<WsTicket>)> {
    let ticket = issue(state.db().writer(), &viewer, agora_core::time::now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(WsTicket {
            ticket,
            expires_in: TICKET_TTL.num_seconds(),
        }),
    ))
}

/// Stores a new ticket for `viewer` (and clears expired ones, so the table stays small).
pub async fn issue(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> DbResult<String> {
    ws_tickets::Entity::delete_many()
        .filter(ws_tickets::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?;
    let ticket = new_token();
    ws_tickets::ActiveModel {
        ticket_hash: Set(token_hash(&ticket)),
        user_id: Set(viewer.user_id.0),
        session_id: Set(viewer.session_id.map(|s| s.0)),
        role: Set(viewer.role),
        created_at: Set(now),
        expires_at: Set(now + TICKET_TTL),
        token_expires_at: Set(Some(viewer.expires_at)),
    }
    .insert(conn)
    .await?;
    Ok(ticket)
}

/// Uses up `presented`: the viewer it was issued to, or `None` when it is unknown, expired or
/// already used (the three are not told apart).
pub async fn redeem(
    conn: &impl ConnectionTrait,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Option<Viewer>, DbError> {
    let hash = token_hash(presented);
    let Some(ticket) = ws_tickets::Entity::find_by_id(hash.clone())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let deleted = ws_tickets::Entity::delete_many()
        .filter(ws_tickets::Column::TicketHash.eq(hash))
        .filter(ws_tickets::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?
        .rows_affected;
    if deleted != 1 {
        return Ok(None);
    }
    Ok(Some(Viewer {
        user_id: UserId(ticket.user_id),
        session_id: ticket.session_id.map(SessionId),
        role: ticket.role,
        // The socket lives as long as the token the ticket was traded for.
        expires_at: ticket.token_expires_at.unwrap_or(ticket.expires_at),
    }))
}
