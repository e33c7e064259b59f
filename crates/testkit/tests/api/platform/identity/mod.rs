//! Identity: accounts, tokens and sessions, sign-in limits, recovery by email, external
//! providers, and the admin routes over accounts.

mod admin;
mod external;
mod limits;
mod recovery;
mod sessions;
