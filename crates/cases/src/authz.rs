//! The cases context's one authorisation function. Every handler asks [`authorize`]
//! before it reads or changes a case; lists are filtered with [`list_filter`], which
//! admits exactly the cases `authorize` lets the actor view.
//!
//! Who is who (ADR 010):
//! - the **centre** (综治信息中心) of a district: staff holding a worker or higher role on
//!   the district unit itself, and platform admins. They triage, dispatch, verify, close,
//!   reopen, approve extensions and make return visits;
//! - the **handling unit**: staff whose role covers the case's lead unit below the district
//!   (they sign for it, return it, ask for more time, report it handled — the centre and
//!   platform admins cannot do these for them); co-handling units add progress;
//! - the **place**: staff whose scope covers the unit where it happened see the case, but
//!   not the reporter's contact details;
//! - the **reporter**: a signed-in resident sees their own cases and public steps.

use crate::model::Case;
use gov_core::{Bind, GovActor, MemberRole, Sql, UnitPath};
use platform::web::authz::Denied;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// File a case as a resident (any signed-in account).
    Report,
    /// File a case for someone else: a grid worker or a hotline operator.
    ReportOnBehalf,
    /// Read a case and its public timeline.
    View,
    /// Read the reporter's name, phone and e-mail, and internal notes.
    SeeContact,
    /// Read the whole timeline as staff do (notes, reasons, who did what). Without it — a
    /// resident reading their own case — only public milestones and the final result.
    SeeInternal,
    /// Centre decisions: accept, reject, merge, dispatch, verify, close, reopen, approve
    /// extensions, return visits.
    Triage,
    /// Lead-unit work: sign for, return, request an extension, report handled.
    Handle,
    /// The centre pressing the handling unit: urge (催办) and list for supervision
    /// (挂牌督办). Never the handling unit itself, even when it is also the centre.
    Supervise,
    /// Add a progress note (lead or co-handling unit, or the centre).
    Assist,
    /// Watch the queues and the dashboard (filtered to scope).
    Monitor,
    /// Categories, the calendar and Open311 keys.
    Configure,
}

/// What a request is about.
pub enum Target<'a> {
    /// The cases context as a whole (list pages, forms).
    Anywhere,
    /// One case, with its co-handling units' paths.
    Case(&'a Case, &'a [String]),
}

fn path(raw: &str) -> Option<UnitPath> {
    UnitPath::parse(raw)
}

fn role_on(actor: &GovActor, raw: &str) -> Option<MemberRole> {
    path(raw).and_then(|p| actor.role_on(&p))
}

/// Whether the actor is the centre for a district (worker or more on the district unit).
pub fn is_centre(actor: &GovActor, district_path: &str) -> bool {
    actor.is_platform_admin()
        || actor
            .grants
            .iter()
            .any(|g| g.path.as_str() == district_path && g.role >= MemberRole::Worker)
}

/// Whether the actor is the centre of any district.
pub fn is_any_centre(actor: &GovActor) -> bool {
    actor.is_platform_admin()
        || actor
            .grants
            .iter()
            .any(|g| g.path.depth() == 1 && g.role >= MemberRole::Worker)
}

fn handles(actor: &GovActor, case: &Case, at_least: MemberRole) -> bool {
    !case.lead_path.is_empty() && role_on(actor, &case.lead_path).is_some_and(|r| r >= at_least)
}

/// Staff of the lead unit itself (a grant on it or on a unit between it and the district).
/// The district's grants cover every unit too, but signing for and handling a case is the
/// unit's own act: the centre cannot do it on the unit's behalf (issue 12).
pub fn lead_staff(actor: &GovActor, case: &Case, at_least: MemberRole) -> bool {
    let Some(lead) = path(&case.lead_path) else {
        return false;
    };
    actor.grants.iter().any(|g| {
        g.role >= at_least && g.path.contains(&lead) && (g.path.depth() > 1 || lead.depth() == 1)
    })
}

fn co_handles(actor: &GovActor, co: &[String], at_least: MemberRole) -> bool {
    co.iter()
        .any(|p| role_on(actor, p).is_some_and(|r| r >= at_least))
}

pub fn authorize(actor: &GovActor, action: Action, target: &Target) -> Result<(), Denied> {
    let Some(user) = &actor.user else {
        return Err(Denied::SignIn);
    };
    let staff = actor.is_staff();
    match (action, target) {
        (Action::Report, _) => Ok(()),
        (Action::ReportOnBehalf, _) => {
            if actor.is_platform_admin()
                || actor.grants.iter().any(|g| g.role >= MemberRole::Worker)
            {
                Ok(())
            } else {
                Err(Denied::Forbidden(platform::bi!(
                    "只有网格员和中心工作人员可以代他人上报事件。",
                    "only grid workers and centre operators file cases for others"
                )))
            }
        }
        (Action::Monitor, _) | (Action::View, Target::Anywhere) => {
            if staff {
                Ok(())
            } else {
                Err(Denied::Forbidden(platform::bi!(
                    "事件队列供中心和承办单位工作人员使用；您上报的事件在“我的事件”中。",
                    "case queues are for centre and unit staff; your own reports are under My cases"
                )))
            }
        }
        (Action::Configure, Target::Anywhere) => {
            if actor.is_district_admin() {
                Ok(())
            } else {
                Err(Denied::Forbidden(platform::bi!(
                    "只有区综治中心的管理员可以修改事件类别、工作日历和接入密钥。",
                    "only the administrators of a district's centre change categories, the calendar and client keys"
                )))
            }
        }
        (Action::Triage | Action::Supervise, Target::Anywhere) => {
            if is_any_centre(actor) {
                Ok(())
            } else {
                Err(Denied::Forbidden(platform::bi!(
                    "只有综治中心可以受理、派遣和结案。",
                    "only the governance centre accepts, dispatches and closes cases"
                )))
            }
        }
        (_, Target::Anywhere) => {
            if staff {
                Ok(())
            } else {
                Err(Denied::Forbidden(platform::bi!(
                    "这是单位工作人员的工作。",
                    "this is work for unit staff"
                )))
            }
        }
        // Platform admins may do anything to a case except the lead unit's own steps.
        (action, Target::Case(..)) if actor.is_platform_admin() && action != Action::Handle => {
            Ok(())
        }
        (action, Target::Case(case, co)) => {
            let centre = is_centre(actor, &case.district_path);
            let reporter = case.reporter_id == Some(user.id);
            let sees = centre
                || actor.is_platform_admin()
                || reporter
                || role_on(actor, &case.place_path).is_some()
                || handles(actor, case, MemberRole::Viewer)
                || co_handles(actor, co, MemberRole::Viewer);
            if !sees {
                return Err(Denied::Hidden);
            }
            let ok = match action {
                Action::View => true,
                Action::SeeContact => {
                    centre
                        || handles(actor, case, MemberRole::Viewer)
                        || co_handles(actor, co, MemberRole::Viewer)
                }
                Action::SeeInternal => {
                    centre
                        || role_on(actor, &case.place_path).is_some()
                        || handles(actor, case, MemberRole::Viewer)
                        || co_handles(actor, co, MemberRole::Viewer)
                }
                Action::Triage => centre,
                Action::Supervise => centre && !lead_staff(actor, case, MemberRole::Viewer),
                Action::Handle => lead_staff(actor, case, MemberRole::Worker),
                Action::Assist => {
                    centre
                        || handles(actor, case, MemberRole::Worker)
                        || co_handles(actor, co, MemberRole::Worker)
                }
                Action::Configure => actor.is_platform_admin(),
                Action::Report | Action::ReportOnBehalf | Action::Monitor => true,
            };
            if ok {
                Ok(())
            } else {
                Err(Denied::Forbidden(match action {
                    Action::Triage => platform::bi!(
                        "只有综治中心可以对事件作出这一决定。",
                        "only the governance centre makes this decision about a case"
                    ),
                    Action::Supervise => platform::bi!(
                        "只有综治中心可以催办和挂牌督办，承办单位不能督办自己。",
                        "only the governance centre urges a case or lists it for supervision, never the handling unit itself"
                    ),
                    Action::Handle => platform::bi!(
                        "只有主办单位的工作人员可以签收、退回和办理这件事件。",
                        "only the lead unit's workers sign for, return and handle this case"
                    ),
                    Action::Assist => platform::bi!(
                        "只有承办和协办单位可以添加办理进展。",
                        "only the handling units add progress to this case"
                    ),
                    _ => platform::bi!(
                        "您的角色无权进行此操作。",
                        "your role does not include this"
                    ),
                }))
            }
        }
    }
}

/// The SQL condition (over `cases_cases c`) admitting the cases an actor may view.
pub fn list_filter(actor: &GovActor, sql: &mut Sql) {
    filter(actor, sql, true)
}

/// The same, for figures: only the actor's scope as staff, not the cases they reported
/// themselves (and so the dashboard's indexes cover the filter).
pub fn stats_filter(actor: &GovActor, sql: &mut Sql) {
    filter(actor, sql, false)
}

fn filter(actor: &GovActor, sql: &mut Sql, own_reports: bool) {
    if actor.is_platform_admin() {
        return;
    }
    let mut parts = Vec::new();
    if let Some(id) = actor.id().filter(|_| own_reports) {
        let p = sql.bind(Bind::Int(id));
        parts.push(format!("c.reporter_id = {p}"));
    }
    for root in actor.scope().0.unwrap_or_default() {
        parts.push(within(&root, sql));
    }
    if parts.is_empty() {
        sql.push("1 = 0".into());
    } else {
        sql.push(format!("({})", parts.join(" OR ")));
    }
}

/// The SQL condition (over `cases_cases c`) admitting the cases that concern the unit at
/// `root` or below it: filed there, led from there, or co-handled there.
///
/// Written so that no index on the paths is wanted: the figures' covering indexes carry
/// `district_path`, `place_path` and `lead_path`, so a street's figures scan the same index
/// entries as the district's, testing a prefix on each (`substr` compares bytes under any
/// collation), and the co-handled cases are one uncorrelated subquery SQLite and PostgreSQL
/// both evaluate once — where a `LIKE … OR EXISTS (…)` per row read every case's row.
pub fn within(root: &UnitPath, sql: &mut Sql) -> String {
    let p = sql.bind(Bind::Text(root.as_str().to_string()));
    if root.depth() == 1 {
        // A whole district: every case filed there carries it.
        return format!("c.district_path = {p}");
    }
    let len = root.as_str().len();
    format!(
        "(substr(c.place_path, 1, {len}) = {p} OR substr(c.lead_path, 1, {len}) = {p} OR c.id IN \
         (SELECT k.case_id FROM cases_co_units k WHERE substr(k.unit_path, 1, {len}) = {p}))"
    )
}

/// The SQL condition admitting only cases whose lead unit the actor covers (the inbox).
pub fn inbox_filter(actor: &GovActor, sql: &mut Sql) {
    if actor.is_platform_admin() {
        sql.push("c.lead_unit_id IS NOT NULL".into());
        return;
    }
    let mut parts = Vec::new();
    for g in actor.grants.iter().filter(|g| g.role >= MemberRole::Worker) {
        let p = sql.bind(Bind::Text(g.path.as_str().to_string()));
        let len = g.path.as_str().len();
        parts.push(format!(
            "substr(c.lead_path, 1, {len}) = {p} OR c.id IN (SELECT k.case_id FROM cases_co_units k \
             WHERE substr(k.unit_path, 1, {len}) = {p})"
        ));
    }
    if parts.is_empty() {
        sql.push("1 = 0".into());
    } else {
        sql.push(format!("({})", parts.join(" OR ")));
    }
}
