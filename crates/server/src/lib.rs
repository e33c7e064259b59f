//! `agora`: the server binary's library. It wires the crates together: command line
//! ([`cli`]), configuration of secrets ([`secrets`]), logging, assembly of the modules into one
//! router ([`app`]), the reference of error codes ([`errors_reference`]), the middleware stack ([`middleware`]), the OpenAPI document ([`openapi`]),
//! serving with graceful shutdown ([`serve`]) and the `agora jobs` command ([`jobs_command`]).

pub mod app;
pub mod cli;
pub mod errors_reference;
pub mod jobs_command;
pub mod logging;
pub mod middleware;
pub mod openapi;
pub mod secrets;
pub mod serve;

pub use app::{App, Assembly, build};
