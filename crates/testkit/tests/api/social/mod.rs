//! The social network: a file per resource, its shared helpers here.

mod edits;
mod feed;
mod graph;
mod media;
mod polls;
mod posts;
mod watchlist;
