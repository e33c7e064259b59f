//! What a poll may hold, and how its results are shared out in percentages.

use agora_core::{FieldCode, FieldError};

/// The fewest and most options of a poll.
pub const OPTIONS_MIN: usize = 2;
pub const OPTIONS_MAX: usize = 4;
/// The most characters of an option, after trimming.
pub const LABEL_MAX: usize = 80;
/// The shortest and longest polls, in days.
pub const DAYS_MIN: u32 = 1;
pub const DAYS_MAX: u32 = 7;

/// The options of a new poll (`field` is where they are in the request, `poll.options`):
/// 2 to 4, each 1–80 characters after trimming, no two the same ignoring case. Trimmed, in
/// their order. Every failure is reported, each at its option (`poll.options[2]`).
pub fn options(field: &str, values: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    if values.len() < OPTIONS_MIN || values.len() > OPTIONS_MAX {
        let code = if values.len() < OPTIONS_MIN {
            FieldCode::TooShort
        } else {
            FieldCode::TooLong
        };
        return Err(vec![FieldError::new(
            field,
            code,
            format!(
                "a poll has {OPTIONS_MIN} to {OPTIONS_MAX} options; this one has {}",
                values.len()
            ),
        )]);
    }
    let mut errors = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut labels = Vec::new();
    for (n, value) in values.iter().enumerate() {
        let at = format!("{field}[{n}]");
        let label = value.trim();
        let length = label.chars().count();
        if length == 0 {
            errors.push(FieldError::new(
                at,
                FieldCode::TooShort,
                "an option needs some text",
            ));
            continue;
        }
        if length > LABEL_MAX {
            errors.push(FieldError::new(
                at,
                FieldCode::TooLong,
                format!("an option holds at most {LABEL_MAX} characters; this one has {length}"),
            ));
            continue;
        }
        let folded = label.to_lowercase();
        if seen.contains(&folded) {
            errors.push(FieldError::new(
                at,
                FieldCode::Duplicate,
                "the same option twice (ignoring case)",
            ));
            continue;
        }
        seen.push(folded);
        labels.push(label.to_owned());
    }
    if errors.is_empty() {
        Ok(labels)
    } else {
        Err(errors)
    }
}

/// A poll's duration: 1 to 7 days.
pub fn duration_days(field: &str, days: u32) -> Result<chrono::Duration, FieldError> {
    if (DAYS_MIN..=DAYS_MAX).contains(&days) {
        Ok(chrono::Duration::days(i64::from(days)))
    } else {
        Err(FieldError::new(
            field,
            FieldCode::OutOfRange,
            format!("a poll lasts {DAYS_MIN} to {DAYS_MAX} days"),
        ))
    }
}

/// Each count's share of their total in tenths of a percent, adding up to exactly 1,000 when
/// there is any vote (all 0 otherwise): the largest remainder method. Each share is first
/// rounded down; the tenths left over go one each to the largest remainders, the earlier
/// option first on a tie.
pub fn shares_in_tenths(counts: &[u64]) -> Vec<u32> {
    const WHOLE: u128 = 1_000;
    let total: u128 = counts.iter().map(|&c| u128::from(c)).sum();
    if total == 0 {
        return vec![0; counts.len()];
    }
    let mut shares: Vec<u128> = Vec::with_capacity(counts.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(counts.len());
    for (n, &count) in counts.iter().enumerate() {
        let scaled = u128::from(count) * WHOLE;
        shares.push(scaled / total);
        remainders.push((scaled % total, n));
    }
    let left = WHOLE - shares.iter().sum::<u128>();
    // Largest remainder first; the earlier option first among equal ones.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, n) in remainders.iter().take(usize::try_from(left).unwrap_or(0)) {
        shares[n] += 1;
    }
    // Each share is at most 1,000.
    shares
        .into_iter()
        .map(|s| u32::try_from(s).unwrap_or(1_000))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    fn codes(result: Result<Vec<String>, Vec<FieldError>>) -> Vec<(String, FieldCode)> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn options_are_2_to_4_trimmed_labels_of_1_to_80_characters_without_duplicates() {
        assert_eq!(
            options("poll.options", &strings(&[" Yes ", "No"])),
            Ok(strings(&["Yes", "No"]))
        );
        assert_eq!(
            codes(options("poll.options", &strings(&["a"]))),
            [("poll.options".to_owned(), FieldCode::TooShort)]
        );
        assert_eq!(
            codes(options(
                "poll.options",
                &strings(&["a", "b", "c", "d", "e"])
            )),
            [("poll.options".to_owned(), FieldCode::TooLong)]
        );
        let long = "é".repeat(LABEL_MAX + 1);
        assert_eq!(
            codes(options("poll.options", &strings(&["a", " ", &long, " A "]))),
            [
                ("poll.options[1]".to_owned(), FieldCode::TooShort),
                ("poll.options[2]".to_owned(), FieldCode::TooLong),
                ("poll.options[3]".to_owned(), FieldCode::Duplicate),
            ]
        );
        let longest = "é".repeat(LABEL_MAX);
        assert!(options("poll.options", &[longest, "b".to_owned()]).is_ok());
    }

    #[test]
    fn a_poll_lasts_1_to_7_days() {
        assert!(duration_days("d", 0).is_err());
        assert_eq!(duration_days("d", 1), Ok(chrono::Duration::days(1)));
        assert_eq!(duration_days("d", 7), Ok(chrono::Duration::days(7)));
        assert!(duration_days("d", 8).is_err());
    }

    #[test]
    fn shares_go_to_the_largest_remainders() {
        assert_eq!(shares_in_tenths(&[0, 0, 0]), [0, 0, 0]);
        assert_eq!(shares_in_tenths(&[1, 1, 1]), [334, 333, 333]);
        assert_eq!(shares_in_tenths(&[2, 1]), [667, 333]);
        assert_eq!(shares_in_tenths(&[1, 0]), [1000, 0]);
        assert_eq!(shares_in_tenths(&[1, 1, 1, 4]), [143, 143, 143, 571]);
        assert_eq!(shares_in_tenths(&[]), Vec::<u32>::new());
    }

    proptest! {
        #[test]
        fn shares_add_up_to_a_hundred_percent(counts in proptest::collection::vec(0u64..1_000_000_000, 1..=4)) {
            let shares = shares_in_tenths(&counts);
            let total: u64 = counts.iter().sum();
            let sum: u32 = shares.iter().sum();
            prop_assert_eq!(sum, if total == 0 { 0 } else { 1_000 });
            for (share, count) in shares.iter().zip(&counts) {
                // Within a tenth of the exact share.
                let exact = (*count as f64) * 1000.0 / (total.max(1) as f64);
                prop_assert!((f64::from(*share) - exact).abs() < 1.0);
            }
        }
    }
}
