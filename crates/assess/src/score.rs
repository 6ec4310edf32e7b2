//! Scoring and ranking, as pure functions so the rules are tested on known numbers:
//! an indicator earns weight × attainment, attainment being value ÷ target (target ÷ value
//! when lower is better) capped at 1; a sheet's score is the sum less its deductions;
//! units with equal scores share a rank and the next rank skips (1, 1, 3).

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
}

impl Direction {
    pub fn parse(raw: &str) -> Option<Direction> {
        match raw {
            "higher" => Some(Direction::Higher),
            "lower" => Some(Direction::Lower),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        }
    }
}

platform::stored_as_text!(Direction, Direction::parse, |d: &Direction| d.as_str());

/// The share of the target reached, in [0, 1]; no value earns nothing.
pub fn attainment(value: Option<f64>, target: f64, direction: Direction) -> f64 {
    let Some(v) = value.filter(|v| v.is_finite()) else {
        return 0.0;
    };
    let a = match direction {
        _ if target <= 0.0 => match direction {
            // "At most 0" (e.g. no upheld complaints): met only at 0.
            Direction::Lower => f64::from(u8::from(v <= 0.0)),
            Direction::Higher => 1.0,
        },
        Direction::Higher => v / target,
        Direction::Lower if v <= 0.0 => 1.0,
        Direction::Lower => target / v,
    };
    a.clamp(0.0, 1.0)
}

/// Points earned on one indicator, to two decimals.
pub fn points(value: Option<f64>, weight: f64, target: f64, direction: Direction) -> f64 {
    round2(weight * attainment(value, target, direction))
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A sheet's score: its indicators' points less its deductions, never below zero.
pub fn total(points: impl IntoIterator<Item = f64>, deduction: f64) -> f64 {
    round2((points.into_iter().sum::<f64>() - deduction).max(0.0))
}

/// Ranks for scores in any order: equal scores (to two decimals) share a rank and the
/// next rank skips as many places ("1, 1, 3"). Returns the ranks in the input's order.
pub fn ranks(scores: &[f64]) -> Vec<u32> {
    let key = |s: f64| (s * 100.0).round() as i64;
    scores
        .iter()
        .map(|&s| 1 + scores.iter().filter(|&&o| key(o) > key(s)).count() as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attainment_is_capped_and_inverted_for_lower_is_better() {
        assert_eq!(attainment(Some(45.0), 90.0, Direction::Higher), 0.5);
        assert_eq!(attainment(Some(120.0), 90.0, Direction::Higher), 1.0);
        assert_eq!(attainment(None, 90.0, Direction::Higher), 0.0);
        assert_eq!(attainment(Some(4.0), 2.0, Direction::Lower), 0.5);
        assert_eq!(attainment(Some(1.0), 2.0, Direction::Lower), 1.0);
        assert_eq!(attainment(Some(0.0), 0.0, Direction::Lower), 1.0);
        assert_eq!(attainment(Some(1.0), 0.0, Direction::Lower), 0.0);
        assert_eq!(points(Some(30.0), 20.0, 40.0, Direction::Higher), 15.0);
    }

    #[test]
    fn total_subtracts_deductions_but_not_below_zero() {
        assert_eq!(total([10.0, 5.5], 2.0), 13.5);
        assert_eq!(total([1.0], 5.0), 0.0);
    }

    #[test]
    fn ties_share_a_rank_and_the_next_skips() {
        assert_eq!(ranks(&[80.0, 95.0, 80.0, 70.0]), vec![2, 1, 2, 4]);
        assert_eq!(ranks(&[90.0, 90.0, 85.0]), vec![1, 1, 3]);
        assert_eq!(ranks(&[]), Vec::<u32>::new());
    }
}
