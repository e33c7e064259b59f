//! Drivers: a season's field, with the fantasy points of their results (plan: fantasy-f1.md,
//! 3.1). Read-only over HTTP; the import writes them (`crate::sync`).
//!
//! - `routes.rs`: `GET /fantasy/drivers`, `GET /fantasy/drivers/{id}`;
//! - `model.rs`: the list's parameters and the driver's view;
//! - `queries.rs`: upserts of the import, the standing it keeps, the list's keyset pages;
//! - `entity.rs`: the typed row.

pub mod entity;
pub mod model;
pub mod queries;
pub mod routes;

agora_core::id_type!(
    /// Identifies a driver in one season.
    DriverId
);
