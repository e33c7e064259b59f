//! Real time: WebSockets, rooms, the backlog and presence.

mod rooms;
