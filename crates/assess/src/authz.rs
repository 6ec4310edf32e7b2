//! The assessment's one authorisation function. Scores are seen by staff whose scope covers
//! the unit, and by everyone once the plan is on public notice (公示) or final; a unit's own
//! staff enter its values, submit its sheet and appeal; the level above reviews it; the
//! district's administrators approve, lock, publish, decide appeals and edit plans.

use gov_core::{GovActor, MemberRole, UnitPath};
use platform::web::authz::Denied;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See a unit's score sheet or its place in a ranking.
    Read,
    /// Enter values, submit the sheet, appeal (the unit's own staff).
    SelfAssess,
    /// Review a submitted sheet (staff of a unit above).
    Review,
    /// Approve, lock, publish the notice, decide appeals, set plans (district administrators).
    Govern,
    /// See a unit's study sessions, assigned reading and hours (anyone holding a role on
    /// the unit or above it).
    StudyRead,
    /// Record study sessions, sign staff in, assign reading (workers of the unit or above).
    StudyManage,
    /// Sign oneself in at a session (the unit's own staff).
    StudySignIn,
}

/// What a request is about.
pub struct Target<'a> {
    /// The assessed unit (for `Govern`: the district).
    pub unit: &'a UnitPath,
    /// Whether the plan is on public notice or final (its ranking is public).
    pub public: bool,
}

pub fn authorize(actor: &GovActor, action: Action, target: &Target) -> Result<(), Denied> {
    if action == Action::Read && target.public {
        return Ok(());
    }
    if actor.user.is_none() {
        return Err(Denied::SignIn);
    }
    if actor.is_platform_admin() {
        return Ok(());
    }
    let role = actor.role_on(target.unit);
    // Staff below the district know of its plan: they are refused, not told it is absent.
    let below =
        action == Action::Govern && actor.grants.iter().any(|g| target.unit.contains(&g.path));
    if role.is_none() && !below {
        // Outside the actor's scope the sheet does not exist for them.
        return Err(Denied::Hidden);
    }
    let ok = match action {
        Action::Read => true,
        Action::SelfAssess => actor
            .grants
            .iter()
            .any(|g| &g.path == target.unit && g.role >= MemberRole::Worker),
        Action::Review => actor
            .grants
            .iter()
            .any(|g| target.unit.strictly_below(&g.path) && g.role >= MemberRole::Worker),
        Action::Govern => role >= Some(MemberRole::UnitAdmin) && target.unit.depth() == 1,
        Action::StudyRead => true,
        Action::StudyManage => role >= Some(MemberRole::Worker),
        Action::StudySignIn => actor.grants.iter().any(|g| &g.path == target.unit),
    };
    if ok {
        return Ok(());
    }
    Err(match action {
        Action::SelfAssess => Denied::Forbidden(platform::bi!(
            "只有本单位的工作人员可以填报自评、提交和申诉。",
            "Only the unit's own staff enter its values, submit its sheet and appeal."
        )),
        Action::Review => Denied::Forbidden(platform::bi!(
            "考核表由上级单位的工作人员审核。",
            "A sheet is reviewed by staff of the unit above."
        )),
        Action::StudyManage => Denied::Forbidden(platform::bi!(
            "只有本单位及上级单位的工作人员可以记录学习、签到和布置阅读。",
            "Only workers of the unit or of a unit above it record study, sign people in and assign reading."
        )),
        Action::StudySignIn => Denied::Forbidden(platform::bi!(
            "只有本单位的工作人员可以在本单位的学习中签到。",
            "Only the unit's own staff sign in at its study sessions."
        )),
        _ => Denied::Forbidden(platform::bi!(
            "只有区级管理员可以审批、锁定、公示考核和处理申诉。",
            "Only the district's administrators approve, lock, publish assessments and decide appeals."
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::auth::Role;

    fn path(s: &str) -> UnitPath {
        UnitPath::parse(s).unwrap()
    }

    fn actor(grants: &[(&str, MemberRole)]) -> GovActor {
        GovActor::for_test(7, Some(Role::Member), grants)
    }

    #[test]
    fn each_step_belongs_to_its_level() {
        let community = path("/1/2/3/");
        let sheet = |public| Target {
            unit: &community,
            public,
        };
        let own = actor(&[("/1/2/3/", MemberRole::Worker)]);
        let street = actor(&[("/1/2/", MemberRole::Worker)]);
        let neighbour = actor(&[("/1/2/4/", MemberRole::UnitAdmin)]);
        let district = actor(&[("/1/", MemberRole::UnitAdmin)]);
        assert_eq!(authorize(&own, Action::SelfAssess, &sheet(false)), Ok(()));
        assert!(authorize(&own, Action::Review, &sheet(false)).is_err());
        assert!(authorize(&street, Action::SelfAssess, &sheet(false)).is_err());
        assert_eq!(authorize(&street, Action::Review, &sheet(false)), Ok(()));
        assert_eq!(
            authorize(&neighbour, Action::Read, &sheet(false)),
            Err(Denied::Hidden)
        );
        assert_eq!(authorize(&neighbour, Action::Read, &sheet(true)), Ok(()));
        let d = path("/1/");
        let gov = Target {
            unit: &d,
            public: false,
        };
        assert_eq!(authorize(&district, Action::Govern, &gov), Ok(()));
        assert!(authorize(&street, Action::Govern, &gov).is_err());
    }

    #[test]
    fn study_is_for_the_unit_and_those_above_it() {
        let community = path("/1/2/3/");
        let t = Target {
            unit: &community,
            public: true,
        };
        let own = actor(&[("/1/2/3/", MemberRole::Viewer)]);
        let street = actor(&[("/1/2/", MemberRole::Worker)]);
        let neighbour = actor(&[("/1/2/4/", MemberRole::UnitAdmin)]);
        let nobody = actor(&[]);
        assert_eq!(authorize(&own, Action::StudyRead, &t), Ok(()));
        assert_eq!(authorize(&own, Action::StudySignIn, &t), Ok(()));
        assert!(authorize(&own, Action::StudyManage, &t).is_err());
        assert_eq!(authorize(&street, Action::StudyManage, &t), Ok(()));
        assert!(authorize(&street, Action::StudySignIn, &t).is_err());
        for a in [Action::StudyRead, Action::StudyManage, Action::StudySignIn] {
            assert_eq!(authorize(&neighbour, a, &t), Err(Denied::Hidden));
            assert_eq!(authorize(&nobody, a, &t), Err(Denied::Hidden));
        }
    }
}
