//! Fantasy points: the rule that turns a classified result into points (`rules.rs`). A plain
//! function, applied when results are imported; the later league scoring reads its output.

pub mod rules;
