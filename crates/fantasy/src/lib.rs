//! The `fantasy` module: the F1 fantasy league: Jolpica data sync, leagues, constructors, sequential and snake drafts, scoring and leaderboards (plan: fantasy-f1.md).
//!
//! Not built yet: the module brings nothing (`Module::new`). Its issue fills in the
//! resources, one folder each (routes, types, queries and rules together; see ARCHITECTURE.md).

use agora_platform::Module;

/// What the server mounts when `fantasy` is in `AGORA_MODULES`.
pub const MODULE: Module = Module::new("fantasy");
