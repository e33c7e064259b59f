//! The social network: a file per resource, its shared helpers here.

mod graph;
mod posts;
mod watchlist;
