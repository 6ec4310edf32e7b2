//! The needs context's one authorisation function. Every handler asks [`authorize`] first.
//!
//! Who is who:
//! - the **raiser**: whoever raised a need (a resident for themself, a grid worker for a
//!   neighbour); they see it, its matches and referrals, and give feedback;
//! - **unit staff** whose roles cover the need's unit: viewers see it, workers also see who
//!   it is for (personal data stays within scope, like case reporters), refer it and act
//!   as the referrer;
//! - the **provider**: staff of the organisation offering the service (or, for a service a
//!   unit offers itself, that unit's workers). They see the needs referred to them — the
//!   resident consented to that — and who it is for once they accepted; they take the
//!   provider's steps, which neither the referrer nor a platform administrator can take;
//! - everyone else: the need does not exist for them (404).

use crate::model::{Need, Referral};
use gov_core::{GovActor, MemberRole, UnitPath};
use platform::web::authz::Denied;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Raise a need (any signed-in account).
    Raise,
    /// Read a need, its matches and its referrals.
    View,
    /// Read who the need is for (name, phone).
    SeeContact,
    /// Send a referral for the need.
    Refer,
    /// The lists and the gap report (filtered to scope).
    Monitor,
    /// The stall time.
    Configure,
    /// The provider's steps on a referral.
    Provide,
    /// The referrer's steps on a referral (cancel).
    Direct,
    /// The resident's feedback on a referral's outcome.
    Feedback,
    /// Open a call, award a contract, pay an instalment (administrators of the call's unit).
    Fund,
    /// Record a milestone's status with its evidence, evaluate a contract (workers of the
    /// call's unit).
    Verify,
    /// Read an organisation's project record (final evaluations).
    Record,
    /// Add or delete an application's attachments (the applicant's staff).
    Attach,
}

/// What a request is about.
pub enum Target<'a> {
    Anywhere,
    /// A need, with the organisations (and service units) it has been referred to.
    Need(&'a Need, &'a [Referral]),
    /// A referral and its need.
    Referral(&'a Referral, &'a Need),
    /// A unit's projects, by the unit's path.
    Unit(&'a str),
    /// An organisation, by id.
    Org(i64),
    /// An application to a call: the call's unit, the applicant, and whether the reader
    /// was given it to review (and declared no conflict).
    Application {
        unit_path: &'a str,
        org: i64,
        reviewer: bool,
    },
}

fn covers(actor: &GovActor, raw_path: &str, at_least: MemberRole) -> bool {
    UnitPath::parse(raw_path)
        .and_then(|p| actor.role_on(&p))
        .is_some_and(|r| r >= at_least)
}

/// Whether the actor is on the providing side of a referral.
pub fn provides(actor: &GovActor, r: &Referral) -> bool {
    match r.organization_id {
        Some(org) => actor.works_for(org),
        None => covers(actor, &r.service_unit_path, MemberRole::Worker),
    }
}

fn is_raiser(actor: &GovActor, need: &Need) -> bool {
    actor.id() == Some(need.raised_by)
}

/// Referrer side: the one who referred, workers covering the need's unit, administrators.
fn directs(actor: &GovActor, r: &Referral, need: &Need) -> bool {
    actor.is_platform_admin()
        || actor.id() == Some(r.referrer_id)
        || covers(actor, &need.unit_path, MemberRole::Worker)
}

fn sees(actor: &GovActor, need: &Need) -> bool {
    actor.is_platform_admin()
        || is_raiser(actor, need)
        || covers(actor, &need.unit_path, MemberRole::Viewer)
}

pub fn authorize(actor: &GovActor, action: Action, target: &Target) -> Result<(), Denied> {
    if actor.user.is_none() {
        return Err(Denied::SignIn);
    }
    match (action, target) {
        (Action::Raise, _) => Ok(()),
        (Action::Monitor, _) => Ok(()),
        (Action::Configure, _) => {
            if actor.is_district_admin() {
                Ok(())
            } else {
                Err(Denied::Forbidden(platform::bi!(
                    "只有区级管理员可以设置转介提醒时间。",
                    "only a district's administrators set the referral reminder time"
                )))
            }
        }
        (Action::Fund | Action::Verify, Target::Unit(path)) => {
            let role = if action == Action::Fund {
                MemberRole::UnitAdmin
            } else {
                MemberRole::Worker
            };
            if actor.is_platform_admin() || covers(actor, path, role) {
                Ok(())
            } else {
                Err(Denied::Forbidden(platform::bi!(
                    "购买服务项目由单位管理员立项、授予和付款，工作人员记录里程碑。",
                    "a unit's administrators open calls, award and pay; its workers record milestones"
                )))
            }
        }
        (Action::Record, Target::Org(org)) => {
            // Government staff (the graders among them) and the organisation itself.
            if is_staff(actor) || actor.works_for(*org) {
                Ok(())
            } else {
                Err(Denied::Forbidden(platform::bi!(
                    "项目评估记录仅对政府工作人员和该组织本身可见。",
                    "an organisation's project record is for government staff and the organisation itself"
                )))
            }
        }
        // An application and its files: the applicant's staff, the call's office (workers
        // of its unit), a reviewer it was given to; nobody else knows it exists.
        (
            Action::View,
            Target::Application {
                unit_path,
                org,
                reviewer,
            },
        ) => {
            if *reviewer
                || actor.works_for(*org)
                || actor.is_platform_admin()
                || covers(actor, unit_path, MemberRole::Worker)
            {
                Ok(())
            } else {
                Err(Denied::Hidden)
            }
        }
        (Action::Attach, Target::Application { org, .. }) => {
            if actor.works_for(*org) {
                Ok(())
            } else {
                Err(Denied::Forbidden(platform::bi!(
                    "只有申报组织的工作人员可以增删申报材料。",
                    "only the applicant's staff add or delete its attachments"
                )))
            }
        }
        (Action::View, Target::Need(need, referrals)) => {
            if sees(actor, need) || referrals.iter().any(|r| provides(actor, r)) {
                Ok(())
            } else {
                Err(Denied::Hidden)
            }
        }
        (Action::SeeContact, Target::Need(need, referrals)) => {
            let taken =
                |r: &&Referral| !matches!(r.state.as_str(), "requested" | "rejected" | "cancelled");
            if actor.is_platform_admin()
                || is_raiser(actor, need)
                || covers(actor, &need.unit_path, MemberRole::Worker)
                || referrals.iter().filter(taken).any(|r| provides(actor, r))
            {
                Ok(())
            } else {
                Err(Denied::Forbidden(platform::bi!(
                    "服务对象的联系方式仅对本单位工作人员和已接收转介的服务方可见。",
                    "who the need is for is shown to the unit's workers and to a provider who accepted it"
                )))
            }
        }
        (Action::Refer, Target::Need(need, referrals)) => {
            if actor.is_platform_admin() || covers(actor, &need.unit_path, MemberRole::Worker) {
                Ok(())
            } else if sees(actor, need) || referrals.iter().any(|r| provides(actor, r)) {
                Err(Denied::Forbidden(platform::bi!(
                    "只有需求所在单位的工作人员可以转介。",
                    "only staff of the need's unit refer it"
                )))
            } else {
                Err(Denied::Hidden)
            }
        }
        (_, Target::Referral(r, need)) => {
            let provider = provides(actor, r);
            let referrer = directs(actor, r, need);
            if !provider && !referrer && !sees(actor, need) {
                return Err(Denied::Hidden);
            }
            let ok = match action {
                Action::View | Action::SeeContact => true,
                Action::Provide => provider,
                Action::Direct => referrer,
                Action::Feedback => referrer || is_raiser(actor, need),
                _ => false,
            };
            if ok {
                Ok(())
            } else if action == Action::Provide {
                Err(Denied::Forbidden(platform::bi!(
                    "只有服务提供方可以进行此操作。",
                    "only the provider takes this step"
                )))
            } else {
                Err(Denied::Forbidden(platform::bi!(
                    "只有转介方可以进行此操作。",
                    "only the referring side takes this step"
                )))
            }
        }
        _ => Err(Denied::Hidden),
    }
}

/// Signed in: what the calls, their budgets and a reviewer's queue ask of a reader.
pub fn signed_in(actor: &GovActor) -> crate::error::NeedResult<()> {
    actor
        .id()
        .map(|_| ())
        .ok_or(crate::error::NeedError::SignIn)
}

/// Whether the actor may see lists of needs in units (staff) rather than only their own.
pub fn is_staff(actor: &GovActor) -> bool {
    actor.is_staff()
}
