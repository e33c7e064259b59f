//! Small query helpers that every module's searches share.

use sea_orm::sea_query::LikeExpr;

/// A `LIKE` pattern matching values that contain `text`, with `%`, `_` and the escape character
/// escaped so that they match themselves.
pub fn like_contains(text: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}
