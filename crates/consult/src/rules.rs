//! The thresholds of the Urban Residents' Committee Organisation Law (城市居民委员会组织法)
//! as configurable rules: when a residents' meeting must be called, when it is valid and
//! when a decision passes. Pure functions over counts, so the rules are tested exactly.

use serde::{Deserialize, Serialize};

/// A fraction `num/den`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub num: i64,
    pub den: i64,
}

impl Share {
    /// `part` is at least this share of `whole` (integer arithmetic: no rounding).
    pub fn reached(self, part: i64, whole: i64) -> bool {
        whole > 0 && part * self.den >= whole * self.num
    }

    /// `part` is more than this share of `whole`.
    pub fn exceeded(self, part: i64, whole: i64) -> bool {
        whole > 0 && part * self.den > whole * self.num
    }
}

/// The rules of a community (defaults: the law's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Adult residents asking for a meeting (1/5).
    pub call_by_adults: Share,
    /// Households asking (1/5).
    pub call_by_households: Share,
    /// Resident groups asking (1/3).
    pub call_by_groups: Share,
    /// Present for the meeting to be valid (more than 1/2).
    pub quorum: Share,
    /// Votes in favour among those present for a decision (more than 1/2).
    pub majority: Share,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            call_by_adults: Share { num: 1, den: 5 },
            call_by_households: Share { num: 1, den: 5 },
            call_by_groups: Share { num: 1, den: 3 },
            quorum: Share { num: 1, den: 2 },
            majority: Share { num: 1, den: 2 },
        }
    }
}

/// Who counts in a community, and who asks for a meeting.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub adults: i64,
    pub households: i64,
    pub groups: i64,
}

impl Rules {
    /// Every share lies in 0..=1 with a positive denominator.
    pub fn sane(&self) -> bool {
        [
            self.call_by_adults,
            self.call_by_households,
            self.call_by_groups,
            self.quorum,
            self.majority,
        ]
        .iter()
        .all(|s| s.den > 0 && (0..=s.den).contains(&s.num))
    }

    /// A meeting must be called when any of the three shares asks for it.
    pub fn must_call(&self, of: Counts, asking: Counts) -> bool {
        self.call_by_adults.reached(asking.adults, of.adults)
            || self
                .call_by_households
                .reached(asking.households, of.households)
            || self.call_by_groups.reached(asking.groups, of.groups)
    }

    /// Valid with more than the quorum share of those entitled present.
    pub fn valid(&self, present: i64, entitled: i64) -> bool {
        self.quorum.exceeded(present, entitled)
    }

    /// Passes with more than the majority share of those present in favour, at a valid
    /// meeting.
    pub fn passes(&self, yes: i64, present: i64, entitled: i64) -> bool {
        self.valid(present, entitled) && self.majority.exceeded(yes, present)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_laws_thresholds() {
        let r = Rules::default();
        let of = Counts {
            adults: 1000,
            households: 400,
            groups: 12,
        };
        let ask = |adults, households, groups| Counts {
            adults,
            households,
            groups,
        };
        assert!(!r.must_call(of, ask(199, 79, 3)));
        assert!(r.must_call(of, ask(200, 0, 0)), "1/5 of adults");
        assert!(r.must_call(of, ask(0, 80, 0)), "1/5 of households");
        assert!(r.must_call(of, ask(0, 0, 4)), "1/3 of groups");
        assert!(!r.valid(500, 1000), "exactly half is not more than half");
        assert!(r.valid(501, 1000));
        assert!(r.passes(251, 501, 1000));
        assert!(!r.passes(250, 500, 1000), "no quorum");
        assert!(
            !r.passes(250, 501, 1000),
            "not more than half of those present"
        );
        assert!(
            !r.must_call(Counts::default(), ask(1, 1, 1)),
            "nobody to count"
        );
    }

    #[test]
    fn rules_are_configurable() {
        let r = Rules {
            quorum: Share { num: 2, den: 3 },
            ..Rules::default()
        };
        assert!(!r.valid(600, 1000));
        assert!(r.valid(667, 1000));
    }
}
