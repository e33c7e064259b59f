//! What every request meets, whatever the module: the middleware stack, problem documents,
//! hostile input, rate limits, list cursors, the OpenAPI document, health, the accept loop, and
//! the module contract (how the server assembles a module).

mod connections;
mod conventions;
mod errors;
mod health;
mod hostile_input;
mod lists;
mod middleware;
mod module_contract;
mod openapi;
mod ratelimit;
mod shutdown;
