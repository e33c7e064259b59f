//! The social network: a file per resource (the watchlist so far), its shared helpers here.

mod watchlist;
