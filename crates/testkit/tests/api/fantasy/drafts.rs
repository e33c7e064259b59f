//! Drafts (written next).
