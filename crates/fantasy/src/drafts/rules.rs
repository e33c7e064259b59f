//! The draft's rules as plain functions, without I/O:
//!
//! - who makes each pick: a [`DraftStrategy`] maps a pick number to a place in the order,
//!   [`Sequential`] (A B C, A B C) or [`Snake`] (A B C, C B A), over two rounds: each
//!   constructor picks [`PICKS_PER_CONSTRUCTOR`] drivers per race;
//! - the first race's order: [`random_order`], a shuffle that depends only on a recorded seed
//!   and the constructors, so anyone can replay it (an audit of a draft's fairness);
//! - a later race's order: [`rotated`], the previous one with its first constructor last;
//! - a manual order: [`check_order`], a permutation of the league's constructors.
//!
//! The shuffle is ours on purpose (SplitMix64 and Fisher–Yates, a dozen lines): `rand`'s
//! generators and its `shuffle` may change their output between versions, which would make a
//! recorded seed replay another order after an upgrade. These two algorithms are fixed, public
//! and short enough to re-implement in any language to check an order.

use std::collections::HashSet;
use std::hash::Hash;

use agora_core::{FieldCode, Invalid};

use crate::leagues::entity::DraftMethod;

/// How many drivers each constructor picks in a race's draft.
pub const PICKS_PER_CONSTRUCTOR: u32 = 2;

/// Who makes each pick of a draft, from its order.
pub trait DraftStrategy {
    /// The place in the order (from 0) of the constructor who makes pick `pick` (from 1) in a
    /// draft of `teams` constructors; `None` for pick 0 and after the last pick.
    fn position(&self, teams: usize, pick: u32) -> Option<usize>;

    /// The constructor of `order` who makes pick `pick`.
    fn picker<'a, T>(&self, order: &'a [T], pick: u32) -> Option<&'a T>
    where
        Self: Sized,
    {
        order.get(self.position(order.len(), pick)?)
    }
}

/// Every round in the order: A B C, A B C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sequential;

/// Every other round reversed: A B C, C B A (the last of a round picks twice in a row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snake;

impl DraftStrategy for Sequential {
    fn position(&self, teams: usize, pick: u32) -> Option<usize> {
        round_and_place(teams, pick).map(|(_, place)| place)
    }
}

impl DraftStrategy for Snake {
    fn position(&self, teams: usize, pick: u32) -> Option<usize> {
        let (round, place) = round_and_place(teams, pick)?;
        Some(if round % 2 == 1 {
            teams - 1 - place
        } else {
            place
        })
    }
}

/// The strategy of a method.
pub fn strategy(method: DraftMethod) -> &'static dyn DraftStrategy {
    match method {
        DraftMethod::Sequential => &Sequential,
        DraftMethod::Snake => &Snake,
    }
}

/// The constructor of `order` who makes pick `pick` by `method`.
pub fn picker<T>(method: DraftMethod, order: &[T], pick: u32) -> Option<&T> {
    order.get(strategy(method).position(order.len(), pick)?)
}

/// The round (from 0) of pick `pick` and its place (from 0) in that round.
fn round_and_place(teams: usize, pick: u32) -> Option<(usize, usize)> {
    if teams == 0 || pick == 0 || pick > total_picks(teams) {
        return None;
    }
    let index = usize::try_from(pick - 1).ok()?;
    Some((index / teams, index % teams))
}

/// The round (from 1) of pick `pick` in a draft of `teams`.
pub fn round_of(teams: usize, pick: u32) -> Option<u32> {
    let (round, _) = round_and_place(teams, pick)?;
    u32::try_from(round + 1).ok()
}

/// How many picks a draft of `teams` constructors has, at most: two each.
pub fn total_picks(teams: usize) -> u32 {
    u32::try_from(teams)
        .unwrap_or(u32::MAX)
        .saturating_mul(PICKS_PER_CONSTRUCTOR)
}

/// How many picks complete a draft of `teams` constructors in a season of `drivers`: two each,
/// or every driver when there are fewer (a driver goes once per draft, so a league of more
/// than half the field's size ends its draft when the field is taken; the last constructors
/// of the last round then have one driver).
pub fn picks_for(teams: usize, drivers: usize) -> u32 {
    total_picks(teams).min(u32::try_from(drivers).unwrap_or(u32::MAX))
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a 64-bit state, one addition and a mix per value.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value below `bound` (> 0), without modulo bias: values below `2^64 mod bound` are
    /// drawn again.
    fn below(&mut self, bound: u64) -> u64 {
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let value = self.next();
            if value >= threshold {
                return value % bound;
            }
        }
    }
}

/// The first race's order: `constructors` (in the order they joined) shuffled by
/// Fisher–Yates (from the last place down, each swapped with a place at or before it) with
/// SplitMix64 seeded by `seed`. The same seed and constructors give the same order, always.
pub fn random_order<T: Clone>(seed: u64, constructors: &[T]) -> Vec<T> {
    let mut order = constructors.to_vec();
    let mut rng = SplitMix64(seed);
    for last in (1..order.len()).rev() {
        let bound = u64::try_from(last + 1).unwrap_or(u64::MAX);
        let other = usize::try_from(rng.below(bound)).unwrap_or(0);
        order.swap(last, other);
    }
    order
}

/// A later race's order: `previous` with its first constructor moved last. Constructors no
/// longer in `members` are left out, and members the previous order did not have (they joined
/// since) come after, in the order of `members`.
pub fn rotated<T: Clone + PartialEq>(previous: &[T], members: &[T]) -> Vec<T> {
    let mut order: Vec<T> = previous
        .iter()
        .skip(1)
        .chain(previous.first())
        .filter(|id| members.contains(id))
        .cloned()
        .collect();
    for member in members {
        if !order.contains(member) {
            order.push(member.clone());
        }
    }
    order
}

/// A manual order must name each of `members` once and nothing else.
pub fn check_order<T: Eq + Hash>(order: &[T], members: &[T]) -> Result<(), Invalid> {
    let mut seen = HashSet::new();
    if !order.iter().all(|id| seen.insert(id)) {
        return Err(Invalid::new(
            FieldCode::Duplicate,
            "names a constructor twice",
        ));
    }
    let members: HashSet<&T> = members.iter().collect();
    if seen != members {
        return Err(Invalid::new(
            FieldCode::Invalid,
            format!(
                "must name each of the league's {} constructors once, and no one else",
                members.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turns(strategy: &impl DraftStrategy, order: &[char]) -> String {
        (1..=total_picks(order.len()) + 1)
            .filter_map(|pick| strategy.picker(order, pick))
            .collect()
    }

    #[test]
    fn a_draft_has_two_picks_a_constructor_unless_the_field_is_smaller() {
        assert_eq!(picks_for(4, 20), 8);
        assert_eq!(picks_for(10, 20), 20);
        assert_eq!(picks_for(12, 21), 21);
        assert_eq!(picks_for(20, 24), 24);
        assert_eq!(picks_for(3, 0), 0);
    }

    #[test]
    fn sequential_repeats_the_order_and_snake_reverses_every_other_round() {
        let order = ['A', 'B', 'C'];
        assert_eq!(turns(&Sequential, &order), "ABCABC");
        assert_eq!(turns(&Snake, &order), "ABCCBA");
        assert_eq!(turns(&Sequential, &['A']), "AA");
        assert_eq!(turns(&Snake, &['A', 'B']), "ABBA");
        assert_eq!(picker(DraftMethod::Snake, &order, 4), Some(&'C'));
        assert_eq!(picker(DraftMethod::Sequential, &order, 4), Some(&'A'));
    }

    #[test]
    fn there_is_no_pick_zero_nor_one_past_the_last() {
        let order = ['A', 'B', 'C'];
        for strategy in [
            strategy(DraftMethod::Sequential),
            strategy(DraftMethod::Snake),
        ] {
            assert_eq!(strategy.position(3, 0), None);
            assert_eq!(strategy.position(3, 7), None);
            assert_eq!(strategy.position(0, 1), None);
        }
        assert_eq!(Snake.picker(&order, 7), None);
        assert_eq!(round_of(3, 3), Some(1));
        assert_eq!(round_of(3, 4), Some(2));
        assert_eq!(round_of(3, 7), None);
    }

    #[test]
    fn the_generator_is_the_reference_splitmix64() {
        // The published reference outputs (Vigna's splitmix64.c) for seeds 0 and 1234567.
        assert_eq!(SplitMix64(0).next(), 0xE220_A839_7B1D_CDAF);
        let mut rng = SplitMix64(1_234_567);
        let outputs: Vec<u64> = (0..3).map(|_| rng.next()).collect();
        assert_eq!(
            outputs,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }

    #[test]
    fn a_seed_always_gives_the_same_order() {
        let constructors: Vec<u32> = (1..=10).collect();
        let order = random_order(42, &constructors);
        assert_eq!(order, random_order(42, &constructors));
        // The algorithm is fixed: this order (checked against an independent implementation
        // of SplitMix64 and Fisher–Yates) is the one any later version must replay.
        assert_eq!(order, [1, 10, 6, 9, 7, 5, 8, 3, 2, 4]);
        assert_ne!(random_order(43, &constructors), order);
        assert_eq!(random_order(7, &[1]), [1]);
        assert!(random_order::<u32>(7, &[]).is_empty());
    }

    #[test]
    fn the_shuffle_puts_each_constructor_first_about_as_often() {
        let constructors = [0usize, 1, 2, 3];
        let mut firsts = [0u32; 4];
        for seed in 0..4000u64 {
            firsts[random_order(seed, &constructors)[0]] += 1;
        }
        for count in firsts {
            assert!((850..=1150).contains(&count), "{firsts:?}");
        }
    }

    #[test]
    fn rotation_moves_the_first_last_and_adds_newcomers_after() {
        assert_eq!(rotated(&['A', 'B', 'C'], &['A', 'B', 'C']), ['B', 'C', 'A']);
        assert_eq!(
            rotated(&['C', 'A', 'B'], &['A', 'B', 'C', 'D']),
            ['A', 'B', 'C', 'D']
        );
        assert_eq!(rotated(&['A', 'B', 'C'], &['A', 'C']), ['C', 'A']);
        assert_eq!(rotated::<char>(&[], &['A', 'B']), ['A', 'B']);
    }

    #[test]
    fn a_manual_order_is_a_permutation_of_the_members() {
        let members = ['A', 'B', 'C'];
        assert!(check_order(&['C', 'A', 'B'], &members).is_ok());
        assert_eq!(
            check_order(&['A', 'A', 'B'], &members).map_err(|e| e.code),
            Err(FieldCode::Duplicate)
        );
        for bad in [
            &['A', 'B'][..],
            &['A', 'B', 'C', 'D'],
            &['A', 'B', 'D'],
            &[],
        ] {
            assert_eq!(
                check_order(bad, &members).map_err(|e| e.code),
                Err(FieldCode::Invalid),
                "{bad:?}"
            );
        }
    }

    mod properties {
        use std::collections::HashMap;

        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn each_constructor_picks_exactly_twice(teams in 1usize..=20, snake in any::<bool>()) {
                let method = if snake { DraftMethod::Snake } else { DraftMethod::Sequential };
                let order: Vec<usize> = (0..teams).collect();
                let mut picks: HashMap<usize, u32> = HashMap::new();
                for pick in 1..=total_picks(teams) {
                    let who = picker(method, &order, pick);
                    prop_assert!(who.is_some());
                    *picks.entry(*who.unwrap_or(&usize::MAX)).or_default() += 1;
                }
                prop_assert_eq!(picks.len(), teams);
                prop_assert!(picks.values().all(|&n| n == PICKS_PER_CONSTRUCTOR));
                prop_assert_eq!(picker(method, &order, total_picks(teams) + 1), None);
            }

            #[test]
            fn snakes_second_round_is_the_first_reversed(teams in 1usize..=20) {
                let order: Vec<usize> = (0..teams).collect();
                let first: Vec<usize> = (1..=teams as u32).filter_map(|p| Snake.picker(&order, p).copied()).collect();
                let mut second: Vec<usize> = (teams as u32 + 1..=2 * teams as u32)
                    .filter_map(|p| Snake.picker(&order, p).copied())
                    .collect();
                second.reverse();
                prop_assert_eq!(&first, &order);
                prop_assert_eq!(second, first);
            }

            #[test]
            fn a_random_order_is_a_permutation_and_replays(seed in any::<u64>(), teams in 0usize..=20) {
                let constructors: Vec<usize> = (0..teams).collect();
                let order = random_order(seed, &constructors);
                prop_assert_eq!(&order, &random_order(seed, &constructors));
                prop_assert!(check_order(&order, &constructors).is_ok() || teams == 0);
                let mut sorted = order.clone();
                sorted.sort_unstable();
                prop_assert_eq!(sorted, constructors);
            }

            #[test]
            fn rotating_as_many_times_as_there_are_constructors_gives_the_order_back(teams in 1usize..=20) {
                let order: Vec<usize> = (0..teams).collect();
                let mut current = order.clone();
                for step in 1..=teams {
                    current = rotated(&current, &order);
                    prop_assert_eq!(current[teams - 1], order[step - 1]);
                }
                prop_assert_eq!(current, order);
            }
        }
    }
}
