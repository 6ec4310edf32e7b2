//! Governance's one authorisation function. Every handler asks [`authorize`] before it
//! reads or changes anything; lists are filtered by [`GovActor::scope`], the same subtrees
//! `authorize` accepts. Nothing else decides who may do what.
//!
//! A membership gives a role on a unit and so on its whole subtree: a community worker acts
//! in their community and its grids, a street worker in all of the street's communities,
//! the district's staff everywhere in the district. Platform admins see everything.
//! (The actor, their grants and the refusal type are shared G code, in `gov_core`.)

use gov_core::MemberRole;
use gov_core::UnitPath;
use gov_core::{Denied, GovActor, Policy, load_grants, load_org_links};
use platform::AppState;
use platform::auth::Role;
use platform::web::menu::{Menu, MenuItem};

/// Governance's places in the menu for this user: the governance pages for holders of a
/// unit role, the staff page for unit administrators, and for an organisation's own staff
/// only their organisation — nothing that would answer 403.
pub fn menu<'a>(state: &'a AppState, user: &'a platform::auth::User) -> Menu<'a> {
    Box::pin(async move {
        let admin = user.role == Role::Admin;
        let grants = load_grants(&state.db, user.id).await.unwrap_or_default();
        let item = MenuItem::new;
        let mut out = Vec::new();
        if admin || !grants.is_empty() {
            out.push(item("/gov", "社会治理", "Governance", true));
        } else if !load_org_links(&state.db, user.id)
            .await
            .unwrap_or_default()
            .is_empty()
        {
            out.push(item("/gov/my", "我的组织", "My organisation", true));
        }
        if admin || grants.iter().any(|g| g.role == MemberRole::UnitAdmin) {
            out.push(item("/gov/staff", "单位人员", "Staff of units", false));
        }
        out
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Read units, organisations and statistics (lists, detail pages, the hub view).
    View,
    /// See the name of a unit or hub above one's own (breadcrumbs, the hub an organisation
    /// belongs to, the hubs one may attach to) — names only, never records.
    Reference,
    /// Download a list as a file.
    Export,
    /// Create or change organisation records.
    EditOrg,
    /// Create or change service points and services (SPEC G3).
    EditService,
    /// Make an organisation the federation or a hub, or take that role away.
    DesignateHub,
    /// Add units below a unit.
    ManageUnits,
    /// Create a new root unit (a district).
    CreateDistrict,
    /// Give someone this role on a unit.
    Grant(MemberRole),
    /// Change an organisation's profile (contact, staff, fields): its own staff may.
    EditProfile,
    /// Submit an organisation's annual report: its own staff, or unit workers for it.
    SubmitReport,
    /// Accept or return an annual report (unit staff over the organisation's home unit).
    ReviewReport,
    /// Record a grade assessment, mark brand organisations and leading figures: staff of
    /// the district (the caller passes the district's path as the scope).
    AssessGrade,
    /// Link an account to an organisation as its staff.
    ManageOrgStaff,
    /// Change a unit's data or move it (unit administrators above or at it).
    EditUnit,
    /// Set district-wide rules: report deadlines, grade cut-offs (platform administrators).
    SetRules,
}

impl Action {
    fn needs(self) -> MemberRole {
        match self {
            Action::View | Action::Reference => MemberRole::Viewer,
            Action::Export | Action::EditOrg => MemberRole::Worker,
            Action::EditService
            | Action::EditProfile
            | Action::SubmitReport
            | Action::ReviewReport
            | Action::AssessGrade => MemberRole::Worker,
            Action::ManageOrgStaff | Action::EditUnit | Action::SetRules => MemberRole::UnitAdmin,
            Action::DesignateHub
            | Action::ManageUnits
            | Action::CreateDistrict
            | Action::Grant(_) => MemberRole::UnitAdmin,
        }
    }

    /// Why the action was refused (both languages, see `platform::bi!`).
    pub fn why(self) -> &'static str {
        use platform::bi;
        match self {
            Action::View | Action::Reference => {
                bi!(
                    "您的角色无权查看此内容。",
                    "your role does not include viewing this"
                )
            }
            Action::Export => bi!(
                "只有工作人员和单位管理员可以导出名单；查看员请在页面上查阅。",
                "only workers and unit administrators export lists; viewers read them on screen"
            ),
            Action::EditOrg => bi!(
                "只有工作人员和单位管理员可以修改社会组织信息；您在此处只能查看。",
                "only workers and unit administrators change organisation records; your role here is read-only"
            ),
            Action::EditService => bi!(
                "只有工作人员和单位管理员可以修改服务项目和服务阵地；您在此处只能查看。",
                "only workers and unit administrators change services and service points; your role here is read-only"
            ),
            Action::DesignateHub => bi!(
                "联合会和枢纽组织只能由区级管理员认定。",
                "only administrators of the district choose its federation and hub organisations"
            ),
            Action::ManageUnits => bi!(
                "只有单位管理员可以添加单位。",
                "only unit administrators add units"
            ),
            Action::CreateDistrict => bi!(
                "只有平台管理员可以新建区。",
                "only platform administrators create a district"
            ),
            Action::Grant(_) => bi!(
                "只有单位管理员可以授予角色，且管理员角色只能授予本单位以下的单位。",
                "only unit administrators give roles, and an administrator role only below their own unit"
            ),
            Action::EditProfile => bi!(
                "只有本组织的工作人员和单位工作人员可以修改组织信息。",
                "only the organisation's own staff and unit workers change its profile"
            ),
            Action::SubmitReport => bi!(
                "只有本组织的工作人员和单位工作人员可以报送年报。",
                "only the organisation's own staff and unit workers submit its annual report"
            ),
            Action::ReviewReport => bi!(
                "只有组织所属单位的工作人员和管理员可以审核年报。",
                "only workers and unit administrators over the organisation's home unit review annual reports"
            ),
            Action::AssessGrade => bi!(
                "等级评估、品牌社会组织和领军人物只能由区级工作人员认定。",
                "only staff of the district record grade assessments, brand marks and leading figures"
            ),
            Action::ManageOrgStaff => bi!(
                "只有单位管理员可以为组织关联工作人员账号。",
                "only unit administrators link accounts to an organisation"
            ),
            Action::EditUnit => bi!(
                "只有单位管理员可以修改或迁移单位。",
                "only unit administrators change or move units"
            ),
            Action::SetRules => bi!(
                "只有平台管理员可以设置年报截止日期和等级分数线。",
                "only platform administrators set report deadlines and grade cut-offs"
            ),
        }
    }
}

/// What a request is about: the unit a resource belongs to, or governance as a whole.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// Governance as a whole: the home page, list pages (which are then filtered by the
    /// actor's scope), "new" forms. Asks whether the actor may do this anywhere at all.
    Anywhere,
    /// A resource belonging to this unit: the unit itself, an organisation homed there.
    Unit(&'a UnitPath),
    /// One organisation (its id and home unit's path): its own staff hold rights here too.
    Org(i64, &'a UnitPath),
}

/// What an organisation's own staff may do for it.
fn org_staff_may(action: Action) -> bool {
    matches!(
        action,
        Action::View | Action::Reference | Action::EditProfile | Action::SubmitReport
    )
}

pub fn authorize(actor: &GovActor, action: Action, target: &Scope) -> Result<(), Denied> {
    if actor.user.is_none() {
        return Err(Denied::SignIn);
    }
    if actor.is_platform_admin() {
        return Ok(());
    }
    if let Scope::Org(id, path) = target {
        if actor.works_for(*id) {
            if org_staff_may(action) {
                return Ok(());
            }
            if actor.role_on(path).is_none() {
                return Err(Denied::Forbidden(platform::bi!(
                    "组织工作人员只能查看本组织、更新组织信息和报送年报。",
                    "organisation staff may read their organisation, edit its profile and submit its annual report; nothing else"
                )));
            }
        }
        return authorize(actor, action, &Scope::Unit(path));
    }
    if actor.grants.is_empty() {
        // Organisation staff may submit and edit (for their own organisations only).
        if !actor.org_links.is_empty()
            && matches!(target, Scope::Anywhere)
            && matches!(action, Action::EditProfile | Action::SubmitReport)
        {
            return Ok(());
        }
        if !actor.org_links.is_empty() && matches!(target, Scope::Unit(_)) {
            return Err(Denied::Hidden);
        }
        return Err(Denied::Forbidden(platform::bi!(
            "您在社会治理中还没有任何单位的角色，请联系所在单位的管理员开通。",
            "you hold no role in any governance unit; ask your unit's administrator for one"
        )));
    }
    let needs = action.needs();
    match (action, target) {
        (Action::CreateDistrict | Action::SetRules, _) => Err(Denied::Forbidden(action.why())),
        (_, Scope::Anywhere) => {
            let best = actor.grants.iter().map(|g| g.role).max();
            if best.is_some_and(|r| r >= needs) {
                Ok(())
            } else {
                Err(Denied::Forbidden(action.why()))
            }
        }
        (Action::Reference, Scope::Unit(path)) => {
            // In a subtree, or an ancestor of one of the actor's units.
            if actor
                .grants
                .iter()
                .any(|g| g.path.contains(path) || path.contains(&g.path))
            {
                Ok(())
            } else {
                Err(Denied::Hidden)
            }
        }
        // (An organisation scope was turned into its unit's above.)
        (_, Scope::Unit(path) | Scope::Org(_, path)) => {
            let Some(role) = actor.role_on(path) else {
                return Err(Denied::Hidden);
            };
            // An administrator role is given only strictly below the giver's own unit, so
            // nobody makes peers of themselves.
            let role = if action == Action::Grant(MemberRole::UnitAdmin) {
                actor
                    .grants
                    .iter()
                    .filter(|g| path.strictly_below(&g.path))
                    .map(|g| g.role)
                    .max()
            } else {
                Some(role)
            };
            if role.is_some_and(|r| r >= needs) {
                Ok(())
            } else {
                Err(Denied::Forbidden(action.why()))
            }
        }
    }
}

/// So that `actor.can(Action::…, &Scope::…)` asks [`authorize`].
impl Policy<Scope<'_>> for Action {
    fn check(self, actor: &GovActor, target: &Scope<'_>) -> Result<(), Denied> {
        authorize(actor, self, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gov_core::OrgLink;

    fn path(s: &str) -> UnitPath {
        UnitPath::parse(s).unwrap()
    }

    fn actor(role: Option<Role>, grants: &[(&str, MemberRole)]) -> GovActor {
        GovActor::for_test(5, role, grants)
    }

    // District 1 → streets 2 and 3 → communities 4 (in 2) and 5 (in 3); grid 6 in 4.
    const DISTRICT: &str = "/1/";
    const STREET_A: &str = "/1/2/";
    const COMM_A: &str = "/1/2/4/";
    const GRID_A: &str = "/1/2/4/6/";
    const COMM_B: &str = "/1/3/5/";

    #[test]
    fn anonymous_and_unscoped_members_get_nothing() {
        let anon = actor(None, &[]);
        assert_eq!(
            authorize(&anon, Action::View, &Scope::Anywhere),
            Err(Denied::SignIn)
        );
        assert_eq!(
            authorize(&anon, Action::View, &Scope::Unit(&path(COMM_A))),
            Err(Denied::SignIn)
        );
        let member = actor(Some(Role::Member), &[]);
        assert!(matches!(
            authorize(&member, Action::View, &Scope::Anywhere),
            Err(Denied::Forbidden(_))
        ));
        // Library moderators hold no governance rights by that role.
        let moderator = actor(Some(Role::Moderator), &[]);
        assert!(matches!(
            authorize(&moderator, Action::View, &Scope::Unit(&path(COMM_A))),
            Err(Denied::Forbidden(_))
        ));
    }

    #[test]
    fn a_community_worker_acts_in_their_community_only() {
        let w = actor(Some(Role::Member), &[(COMM_A, MemberRole::Worker)]);
        for p in [COMM_A, GRID_A] {
            assert_eq!(authorize(&w, Action::View, &Scope::Unit(&path(p))), Ok(()));
            assert_eq!(
                authorize(&w, Action::EditOrg, &Scope::Unit(&path(p))),
                Ok(())
            );
            assert_eq!(
                authorize(&w, Action::Export, &Scope::Unit(&path(p))),
                Ok(())
            );
        }
        for p in [COMM_B, STREET_A, DISTRICT] {
            for a in [Action::View, Action::EditOrg, Action::Export] {
                assert_eq!(
                    authorize(&w, a, &Scope::Unit(&path(p))),
                    Err(Denied::Hidden),
                    "{a:?} on {p}"
                );
            }
        }
        // Names of the units above (breadcrumbs, the district's hubs) are visible; B's are not.
        assert_eq!(
            authorize(&w, Action::Reference, &Scope::Unit(&path(DISTRICT))),
            Ok(())
        );
        assert_eq!(
            authorize(&w, Action::Reference, &Scope::Unit(&path(STREET_A))),
            Ok(())
        );
        assert_eq!(
            authorize(&w, Action::Reference, &Scope::Unit(&path(COMM_B))),
            Err(Denied::Hidden)
        );
        assert!(matches!(
            authorize(&w, Action::DesignateHub, &Scope::Unit(&path(COMM_A))),
            Err(Denied::Forbidden(_))
        ));
    }

    #[test]
    fn a_street_sees_its_communities_and_the_district_sees_all() {
        let street = actor(Some(Role::Member), &[(STREET_A, MemberRole::Viewer)]);
        assert_eq!(
            authorize(&street, Action::View, &Scope::Unit(&path(COMM_A))),
            Ok(())
        );
        assert_eq!(
            authorize(&street, Action::View, &Scope::Unit(&path(COMM_B))),
            Err(Denied::Hidden)
        );
        assert!(matches!(
            authorize(&street, Action::EditOrg, &Scope::Unit(&path(COMM_A))),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            authorize(&street, Action::Export, &Scope::Anywhere),
            Err(Denied::Forbidden(_))
        ));
        let district = actor(Some(Role::Member), &[(DISTRICT, MemberRole::UnitAdmin)]);
        for p in [DISTRICT, STREET_A, COMM_A, GRID_A, COMM_B] {
            assert_eq!(
                authorize(&district, Action::EditOrg, &Scope::Unit(&path(p))),
                Ok(())
            );
        }
        assert_eq!(
            authorize(
                &district,
                Action::DesignateHub,
                &Scope::Unit(&path(DISTRICT))
            ),
            Ok(())
        );
        assert!(matches!(
            authorize(&district, Action::CreateDistrict, &Scope::Anywhere),
            Err(Denied::Forbidden(_))
        ));
        let admin = actor(Some(Role::Admin), &[]);
        assert_eq!(
            authorize(&admin, Action::CreateDistrict, &Scope::Anywhere),
            Ok(())
        );
        assert_eq!(
            authorize(&admin, Action::EditOrg, &Scope::Unit(&path(COMM_B))),
            Ok(())
        );
    }

    #[test]
    fn the_strongest_covering_grant_counts() {
        let a = actor(
            Some(Role::Member),
            &[(STREET_A, MemberRole::Viewer), (COMM_A, MemberRole::Worker)],
        );
        assert_eq!(a.role_on(&path(GRID_A)), Some(MemberRole::Worker));
        assert_eq!(a.role_on(&path(STREET_A)), Some(MemberRole::Viewer));
        assert_eq!(a.role_on(&path(COMM_B)), None);
        assert_eq!(
            a.scope().0.unwrap(),
            vec![path(STREET_A)],
            "nested grants collapse to the outer subtree"
        );
        assert_eq!(
            authorize(&a, Action::EditOrg, &Scope::Anywhere),
            Ok(()),
            "a worker somewhere may open the new-organisation form"
        );
    }

    #[test]
    fn organisation_staff_act_for_their_organisation_only() {
        let mut s = actor(Some(Role::Member), &[]);
        s.org_links.push(OrgLink {
            org_id: 9,
            org_name: String::new(),
            unit_path: path(COMM_A),
        });
        let own = Scope::Org(9, &s.org_links[0].unit_path.clone());
        let comm_a = path(COMM_A);
        let other = Scope::Org(10, &comm_a);
        for a in [Action::View, Action::EditProfile, Action::SubmitReport] {
            assert_eq!(authorize(&s, a, &own), Ok(()), "{a:?}");
            assert_eq!(authorize(&s, a, &other), Err(Denied::Hidden), "{a:?}");
        }
        for a in [Action::EditOrg, Action::ReviewReport, Action::AssessGrade] {
            assert!(
                matches!(authorize(&s, a, &own), Err(Denied::Forbidden(_))),
                "{a:?}"
            );
        }
        assert!(matches!(
            authorize(&s, Action::View, &Scope::Anywhere),
            Err(Denied::Forbidden(_))
        ));
        assert_eq!(
            authorize(&s, Action::View, &Scope::Unit(&comm_a)),
            Err(Denied::Hidden)
        );
        // A worker of the community reviews; the org's staff do not.
        let w = actor(Some(Role::Member), &[(COMM_A, MemberRole::Worker)]);
        assert_eq!(authorize(&w, Action::ReviewReport, &other), Ok(()));
        assert!(matches!(
            authorize(&w, Action::SetRules, &Scope::Anywhere),
            Err(Denied::Forbidden(_))
        ));
    }

    #[test]
    fn administrator_roles_are_given_only_below_ones_own_unit() {
        let street_admin = actor(Some(Role::Member), &[(STREET_A, MemberRole::UnitAdmin)]);
        let at_comm = Scope::Unit(&path(COMM_A));
        let at_street = Scope::Unit(&path(STREET_A));
        assert_eq!(
            authorize(
                &street_admin,
                Action::Grant(MemberRole::UnitAdmin),
                &at_comm
            ),
            Ok(())
        );
        assert_eq!(
            authorize(&street_admin, Action::Grant(MemberRole::Worker), &at_street),
            Ok(())
        );
        assert!(matches!(
            authorize(
                &street_admin,
                Action::Grant(MemberRole::UnitAdmin),
                &at_street
            ),
            Err(Denied::Forbidden(_))
        ));
        assert_eq!(
            authorize(
                &street_admin,
                Action::Grant(MemberRole::Viewer),
                &Scope::Unit(&path(COMM_B))
            ),
            Err(Denied::Hidden)
        );
        let worker = actor(Some(Role::Member), &[(STREET_A, MemberRole::Worker)]);
        assert!(matches!(
            authorize(&worker, Action::Grant(MemberRole::Viewer), &at_comm),
            Err(Denied::Forbidden(_))
        ));
    }
}
