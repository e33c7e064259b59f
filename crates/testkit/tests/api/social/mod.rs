//! The social network: a file per resource, its shared helpers here.

mod feed;
mod graph;
mod posts;
mod reports;
mod search;
mod trending;
mod watchlist;
