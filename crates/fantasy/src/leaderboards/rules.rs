//! The order of a leaderboard and its ranks, as plain functions.

use std::cmp::Reverse;

/// One line of a leaderboard before it is ranked.
pub trait Standing {
    fn points(&self) -> i64;
    /// Orders the lines of equal points, for a stable listing (the rank stays shared).
    fn tie_key(&self) -> &str;
}

/// Sorts `lines` by points, most first (ties by `tie_key`, case-insensitively), and ranks them
/// in the "standard competition" way: equal points share a rank, and the next rank skips the
/// shared places (25, 18, 18, 15 rank 1, 2, 2, 4).
pub fn rank<T: Standing>(mut lines: Vec<T>) -> Vec<(u32, T)> {
    lines.sort_by_cached_key(|line| (Reverse(line.points()), line.tie_key().to_lowercase()));
    let mut ranked: Vec<(u32, T)> = Vec::with_capacity(lines.len());
    for (place, line) in lines.into_iter().enumerate() {
        let rank = match ranked.last() {
            Some((rank, previous)) if previous.points() == line.points() => *rank,
            _ => place as u32 + 1,
        };
        ranked.push((rank, line));
    }
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Standing for (&'static str, i64) {
        fn points(&self) -> i64 {
            self.1
        }
        fn tie_key(&self) -> &str {
            self.0
        }
    }

    fn ranks(lines: Vec<(&'static str, i64)>) -> Vec<(u32, &'static str)> {
        rank(lines)
            .into_iter()
            .map(|(rank, (name, _))| (rank, name))
            .collect()
    }

    #[test]
    fn equal_points_share_a_rank_and_the_next_rank_skips() {
        assert_eq!(
            ranks(vec![("d", 15), ("b", 18), ("a", 25), ("c", 18)]),
            [(1, "a"), (2, "b"), (2, "c"), (4, "d")]
        );
    }

    #[test]
    fn everyone_tied_is_first() {
        assert_eq!(
            ranks(vec![("Zeta", 0), ("alpha", 0), ("Beta", 0)]),
            [(1, "alpha"), (1, "Beta"), (1, "Zeta")]
        );
    }

    #[test]
    fn a_tie_at_the_bottom_and_an_empty_board() {
        assert_eq!(
            ranks(vec![("a", 3), ("b", 2), ("c", 1), ("d", 1)]),
            [(1, "a"), (2, "b"), (3, "c"), (3, "d")]
        );
        assert_eq!(ranks(vec![]), []);
    }
}
