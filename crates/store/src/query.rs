//! Small query helpers that every module's searches share.

use sea_orm::sea_query::LikeExpr;

/// A `LIKE` pattern matching values that contain `text`, with `%`, `_` and the escape character
/// escaped so that they match themselves.
pub fn like_contains(text: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    push_escaped(&mut pattern, text);
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}

/// A `LIKE` pattern matching values that start with `text`, escaped as [`like_contains`].
pub fn like_prefix(text: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(text.len() + 1);
    push_escaped(&mut pattern, text);
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}

fn push_escaped(pattern: &mut String, text: &str) {
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
}
