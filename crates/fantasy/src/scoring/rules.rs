//! How many fantasy points a result earns.
//!
//! A race pays 25-18-15-12-10-8-6-4-2-1 to the first ten, plus one point for the fastest lap
//! when its driver finished in the top ten. The bonus is worked out here from the position and
//! the fastest-lap rank: Jolpica's own `points` already hold its fastest-lap point in the
//! seasons that had one, and never say which part of them it is, so they are kept as given
//! and not used. A sprint pays the configured table (default 8-7-6-5-4-3-2-1) and no bonus.
//! Only classified finishers score: a car that retired keeps the `position` Jolpica lists it
//! at (its order in the results) but earns nothing.

use std::fmt;

/// The points of the first places, best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsTable(Vec<i32>);

/// The Grand Prix's table since 2010.
pub const RACE_POINTS: [i32; 10] = [25, 18, 15, 12, 10, 8, 6, 4, 2, 1];
/// The sprint's table since 2022.
pub const SPRINT_POINTS: [i32; 8] = [8, 7, 6, 5, 4, 3, 2, 1];
/// The fastest lap's bonus, for a driver classified in the top ten.
pub const FASTEST_LAP_BONUS: i32 = 1;

impl PointsTable {
    pub fn race() -> PointsTable {
        PointsTable(RACE_POINTS.to_vec())
    }

    pub fn default_sprint() -> PointsTable {
        PointsTable(SPRINT_POINTS.to_vec())
    }

    /// `8,7,6,5,4,3,2,1`: 1 to 20 places, each 0 to 100 points.
    pub fn parse(text: &str) -> Result<PointsTable, String> {
        let error = || {
            format!(
                "`{text}` is not a list of points such as 8,7,6,5,4,3,2,1 (1 to 20 places of 0 to 100)"
            )
        };
        let points = text
            .split(',')
            .map(|part| match part.trim().parse::<i32>() {
                Ok(n @ 0..=100) => Ok(n),
                _ => Err(error()),
            })
            .collect::<Result<Vec<i32>, String>>()?;
        if points.is_empty() || points.len() > 20 {
            return Err(error());
        }
        Ok(PointsTable(points))
    }

    /// The points of finishing `position` (from 1); none outside the table.
    pub fn for_position(&self, position: u32) -> i32 {
        usize::try_from(position)
            .ok()
            .and_then(|p| p.checked_sub(1))
            .and_then(|index| self.0.get(index))
            .copied()
            .unwrap_or(0)
    }
}

impl fmt::Display for PointsTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(i32::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// What the rule needs of one result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finish {
    /// Jolpica's `position` (every car has one, retirements included).
    pub position: u32,
    /// Whether the car was classified (`positionText` is a number).
    pub classified: bool,
    /// The rank of its fastest lap among the field's (1 = the fastest), when known.
    pub fastest_lap_rank: Option<u32>,
}

/// Points of a Grand Prix result.
pub fn race_points(finish: Finish) -> i32 {
    if !finish.classified {
        return 0;
    }
    let bonus = if finish.fastest_lap_rank == Some(1) && finish.position <= 10 {
        FASTEST_LAP_BONUS
    } else {
        0
    };
    PointsTable::race().for_position(finish.position) + bonus
}

/// Points of a sprint result with the configured `table`.
pub fn sprint_points(finish: Finish, table: &PointsTable) -> i32 {
    if finish.classified {
        table.for_position(finish.position)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finish(position: u32, rank: Option<u32>) -> Finish {
        Finish {
            position,
            classified: true,
            fastest_lap_rank: rank,
        }
    }

    #[test]
    fn the_first_ten_score_the_grand_prix_table() {
        let points: Vec<i32> = (1..=12).map(|p| race_points(finish(p, Some(5)))).collect();
        assert_eq!(points, [25, 18, 15, 12, 10, 8, 6, 4, 2, 1, 0, 0]);
    }

    #[test]
    fn the_fastest_lap_adds_a_point_only_in_the_top_ten() {
        assert_eq!(race_points(finish(1, Some(1))), 26);
        assert_eq!(race_points(finish(10, Some(1))), 2);
        assert_eq!(race_points(finish(11, Some(1))), 0);
        assert_eq!(race_points(finish(3, Some(2))), 15);
        assert_eq!(race_points(finish(3, None)), 15);
    }

    #[test]
    fn a_car_that_was_not_classified_scores_nothing() {
        let retired = Finish {
            position: 4,
            classified: false,
            fastest_lap_rank: Some(1),
        };
        assert_eq!(race_points(retired), 0);
        assert_eq!(sprint_points(retired, &PointsTable::default_sprint()), 0);
    }

    #[test]
    fn a_sprint_scores_its_table_and_no_fastest_lap() {
        let table = PointsTable::default_sprint();
        let points: Vec<i32> = (1..=9)
            .map(|p| sprint_points(finish(p, Some(1)), &table))
            .collect();
        assert_eq!(points, [8, 7, 6, 5, 4, 3, 2, 1, 0]);
        let short = PointsTable::parse("3, 2,1").expect("a table");
        assert_eq!(sprint_points(finish(2, None), &short), 2);
        assert_eq!(sprint_points(finish(4, None), &short), 0);
    }

    #[test]
    fn a_points_table_is_parsed_strictly() {
        assert_eq!(
            PointsTable::parse("8,7,6,5,4,3,2,1"),
            Ok(PointsTable::default_sprint())
        );
        assert_eq!(PointsTable::default_sprint().to_string(), "8,7,6,5,4,3,2,1");
        for bad in ["", "8,,7", "8;7", "-1", "101", "a", &"1,".repeat(21)] {
            assert!(PointsTable::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn positions_outside_the_table_score_nothing() {
        let table = PointsTable::race();
        assert_eq!(table.for_position(0), 0);
        assert_eq!(table.for_position(u32::MAX), 0);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn a_better_finish_never_scores_less(
                a in 1u32..40,
                b in 1u32..40,
                rank in proptest::option::of(1u32..25),
            ) {
                let (better, worse) = (a.min(b), a.max(b));
                // The same fastest lap for both, so only the position differs.
                prop_assert!(race_points(finish(better, rank)) >= race_points(finish(worse, rank)));
                let table = PointsTable::default_sprint();
                prop_assert!(
                    sprint_points(finish(better, rank), &table)
                        >= sprint_points(finish(worse, rank), &table)
                );
            }

            #[test]
            fn the_bonus_is_one_point_exactly_for_the_fastest_lap_in_the_top_ten(
                position in 1u32..40,
                rank in proptest::option::of(1u32..25),
            ) {
                let with = race_points(finish(position, rank));
                let without = race_points(finish(position, None));
                let expected = i32::from(rank == Some(1) && position <= 10);
                prop_assert_eq!(with - without, expected);
                prop_assert!((0..=26).contains(&with));
            }
        }
    }
}
