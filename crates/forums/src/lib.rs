//! The `forums` module: the organizations' community: organizations and invitations, forum topics with threaded replies and best answers, use cases with exports, private messages and dashboards (plan: p2p-sandbox.md).
//!
//! Not built yet: the module brings nothing (`Module::new`). Its issue fills in the
//! resources, one folder each (routes, types, queries and rules together; see ARCHITECTURE.md).

use agora_platform::Module;

/// What the server mounts when `forums` is in `AGORA_MODULES`.
pub const MODULE: Module = Module::new("forums");
