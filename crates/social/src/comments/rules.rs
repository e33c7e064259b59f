//! How deep a thread goes.

/// The deepest a comment sits: 0 is a comment on the post, so threads have three levels.
pub const MAX_DEPTH: i16 = 2;

/// The depth of a reply to a comment at `parent_depth`; `None` past [`MAX_DEPTH`].
pub fn reply_depth(parent_depth: i16) -> Option<i16> {
    let depth = parent_depth.checked_add(1)?;
    (depth <= MAX_DEPTH).then_some(depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_go_three_levels_deep() {
        assert_eq!(reply_depth(0), Some(1));
        assert_eq!(reply_depth(1), Some(2));
        assert_eq!(reply_depth(2), None);
        assert_eq!(reply_depth(i16::MAX), None);
    }
}
