//! What a product crate hands to the server.

use agora_store::MigrationSource;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::realtime::RoomKind;

/// A product module: its routes (with their OpenAPI description) and its migrations.
///
/// Each product crate exposes one `pub const MODULE: Module`; the server mounts the routers of
/// the modules enabled by `AGORA_MODULES` and runs every module's migrations.
#[derive(Clone, Copy)]
pub struct Module {
    /// The name used in `AGORA_MODULES`.
    pub name: &'static str,
    /// Routes relative to `/api/v1`.
    pub router: fn() -> OpenApiRouter<AppState>,
    pub migrations: MigrationSource,
    /// The kinds of real-time rooms the module owns (`topic`, `conversation`), each with the
    /// rule that decides who may join one.
    pub rooms: &'static [RoomKind],
}
