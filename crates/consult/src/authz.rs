//! The consultation context's one authorisation function. Every handler asks
//! [`authorize`] first; [`list_filter`] admits exactly the proposals `authorize` lets the
//! actor view.
//!
//! Who is who:
//! - the **office** (提案委/提案办) of a district: accounts in `consult_office`, and
//!   platform admins. They file, decline, merge, assign, check replies, grant extensions,
//!   follow up B-class promises and read the statistics;
//! - a **member** (委员, `consult_members`, with a sector) submits proposals; the proposer
//!   and the co-signers see their proposal, and the proposer rates the reply;
//! - the **lead unit**: staff whose grant (below the district) covers the lead unit sign,
//!   ask to hand back, draft and send the reply; a unit admin there countersigns it;
//! - a **co-handling unit**: its staff send their opinion to the lead unit;
//! - **residents** and **community staff** for votes (see `votes`).
//!
//! District-level grants do not open proposals: the office does that for the district.

use crate::model::{Proposal, State};
use crate::votes::Vote;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use gov_core::{Bind, GovActor, MemberRole, Sql, UnitPath};
use platform::web::authz::Denied;
use platform::{AppError, AppState};
use sqlx::Row;
use std::ops::Deref;

/// The governance actor plus their consultation roles.
#[derive(Clone, Debug)]
pub struct ConsultActor {
    pub gov: GovActor,
    /// Districts whose proposals office the actor works in.
    pub office: Vec<i64>,
    /// The member's district and sector, if the actor is a CPPCC member.
    pub member: Option<(i64, String)>,
}

impl Deref for ConsultActor {
    type Target = GovActor;
    fn deref(&self) -> &GovActor {
        &self.gov
    }
}

/// Pages take `SignedIn<ConsultActor>`: the platform's actor inside.
impl platform::web::extract::Acting for ConsultActor {
    fn actor(&self) -> &platform::Actor {
        &self.gov.base
    }
}

impl ConsultActor {
    pub async fn load(state: &AppState, gov: GovActor) -> sqlx::Result<ConsultActor> {
        let (mut office, mut member) = (Vec::new(), None);
        if let Some(id) = gov.id() {
            for r in sqlx::query("SELECT district_id FROM consult_office WHERE user_id = $1")
                .bind(id)
                .fetch_all(&state.db.pool)
                .await?
            {
                office.push(r.try_get("district_id")?);
            }
            if let Some(r) =
                sqlx::query("SELECT district_id, sector FROM consult_members WHERE user_id = $1")
                    .bind(id)
                    .fetch_optional(&state.db.pool)
                    .await?
            {
                member = Some((r.try_get("district_id")?, r.try_get("sector")?));
            }
        }
        Ok(ConsultActor {
            gov,
            office,
            member,
        })
    }

    /// The office of this district (or a platform admin).
    pub fn is_office(&self, district_id: i64) -> bool {
        self.is_platform_admin() || self.office.contains(&district_id)
    }

    pub fn is_any_office(&self) -> bool {
        self.is_platform_admin() || !self.office.is_empty()
    }

    /// Staff of a unit below the district whose grant covers `raw` with at least `role`.
    pub fn unit_staff(&self, raw: &str, role: MemberRole) -> bool {
        let Some(target) = UnitPath::parse(raw) else {
            return false;
        };
        self.gov
            .grants
            .iter()
            .any(|g| g.role >= role && g.path.depth() > 1 && g.path.contains(&target))
    }
}

impl FromRequestParts<AppState> for ConsultActor {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ConsultActor, AppError> {
        let gov = GovActor::from_request_parts(parts, state).await?;
        Ok(ConsultActor::load(state, gov).await?)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Submit a proposal (members).
    Submit,
    /// Read a proposal.
    View,
    /// Read the internal side: drafts, deadlines, history with names.
    SeeInternal,
    /// Confirm one's co-signature.
    Cosign,
    /// The office's decisions: file, decline, merge, assign, check, extend, follow up.
    Review,
    /// The lead unit's own work: sign, ask to hand back, draft, send the formal reply.
    Handle,
    /// Countersign the draft reply (a unit admin of the lead unit).
    Countersign,
    /// Send the co-handling unit's opinion.
    Opinion,
    /// Rate the reply, consent to publication (the proposer).
    Rate,
    /// Statistics and settings of the office's district; members and office accounts.
    Administer,
    /// Read a vote: its residents and community staff while open, anyone once closed.
    ViewVote,
    /// Cast a ballot (a verified resident of the vote's community).
    CastBallot,
    /// Open, change and close votes, verify residents (community staff, worker or more).
    ManageVotes,
    /// Read an activity: the office and members of its district, its follow-up units.
    ViewActivity,
    /// Record activities, participants, minutes and follow-up actions (the office).
    ManageActivities,
    /// Sign oneself in to an activity (a participant).
    SignIn,
    /// Report a follow-up action done (staff of the unit it was assigned to).
    CompleteFollowup,
    /// Read the proposals the overview's figures count, by lead unit in one's scope
    /// (staff of any unit, the office); titles only of those one may view (ADR 038).
    Figures,
}

/// What a request is about.
pub enum Target<'a> {
    /// The consultation context as a whole (forms, lists).
    Anywhere,
    /// A district (statistics, settings, members).
    District(i64),
    /// One proposal, with its co-handling units' paths and co-signers' ids.
    Proposal(&'a Proposal, &'a [String], &'a [i64]),
    /// A unit (a community) by its path: where votes are opened and residents verified.
    Unit(&'a str),
    /// One vote, and whether the actor is a verified resident of its community.
    Vote(&'a Vote, bool),
    /// An activity: its district, participants' ids and follow-up units' paths.
    Activity(i64, &'a [i64], &'a [String]),
}

const OFFICE_ONLY: &str = platform::bi!(
    "只有提案办可以办理此步骤。",
    "only the proposals office takes this step"
);

/// Community staff (worker or more, at any level) whose grant covers the unit at `raw`.
fn manages(actor: &ConsultActor, raw: &str) -> bool {
    actor.is_platform_admin()
        || UnitPath::parse(raw)
            .and_then(|p| actor.role_on(&p))
            .is_some_and(|r| r >= MemberRole::Worker)
}

/// Allowed when `ok`, else refused with `why` shown.
fn allow_if(ok: bool, why: &'static str) -> Result<(), Denied> {
    if ok {
        Ok(())
    } else {
        Err(Denied::Forbidden(why))
    }
}

pub fn authorize(actor: &ConsultActor, action: Action, target: &Target) -> Result<(), Denied> {
    // A closed vote's result and ballot log are public.
    if let (Action::ViewVote, Target::Vote(v, _)) = (action, target)
        && !v.open
    {
        return Ok(());
    }
    let Some(user) = &actor.user else {
        return Err(Denied::SignIn);
    };
    match (action, target) {
        (Action::Submit, _) => allow_if(
            actor.member.is_some() || actor.is_any_office(),
            platform::bi!(
                "只有政协委员可以提交提案。",
                "only CPPCC members submit proposals"
            ),
        ),
        (Action::Administer, Target::District(d)) => allow_if(actor.is_office(*d), OFFICE_ONLY),
        (Action::Figures, _) => allow_if(
            actor.is_any_office() || !actor.grants.is_empty(),
            platform::bi!(
                "提案统计供各级单位工作人员和提案办查看。",
                "the proposal figures are for staff of the units and the proposals office"
            ),
        ),
        (Action::Administer | Action::Review, Target::Anywhere) => {
            allow_if(actor.is_any_office(), OFFICE_ONLY)
        }
        (Action::ManageVotes, Target::Unit(path)) => allow_if(
            manages(actor, path),
            platform::bi!(
                "只有本社区的工作人员可以组织表决、核实居民。",
                "only the community's staff run votes and verify residents"
            ),
        ),
        (_, Target::Unit(_)) => Err(Denied::Forbidden(platform::bi!(
            "您不能办理此步骤。",
            "you cannot take this step"
        ))),
        (action, Target::Vote(v, resident)) => {
            let staff = manages(actor, &v.unit_path);
            match action {
                Action::ViewVote if *resident || staff => Ok(()),
                Action::CastBallot if *resident => Ok(()),
                Action::CastBallot => Err(Denied::Forbidden(platform::bi!(
                    "只有本社区经核实的居民可以参加表决。",
                    "only verified residents of this community may vote"
                ))),
                Action::ManageVotes if staff => Ok(()),
                _ if *resident || staff => Err(Denied::Forbidden(platform::bi!(
                    "只有本社区的工作人员可以组织表决。",
                    "only the community's staff run votes"
                ))),
                _ => Err(Denied::Hidden),
            }
        }
        (action, Target::Activity(district, participants, units)) => {
            let office = actor.is_office(*district);
            let member = actor.member.as_ref().is_some_and(|(d, _)| d == district);
            let unit = units
                .iter()
                .any(|u| actor.unit_staff(u, MemberRole::Worker));
            let participant = participants.contains(&user.id);
            if !(office || member || unit || participant) {
                return Err(Denied::Hidden);
            }
            let allowed = match action {
                Action::ViewActivity => true,
                Action::ManageActivities => office,
                Action::SignIn => participant,
                Action::CompleteFollowup => unit,
                _ => false,
            };
            let why = match action {
                Action::SignIn => platform::bi!(
                    "您不在本次活动的参加人员名单中。",
                    "you are not a participant of this activity"
                ),
                Action::CompleteFollowup => platform::bi!(
                    "只有承办单位可以报告落实情况。",
                    "only the unit assigned reports it done"
                ),
                _ => OFFICE_ONLY,
            };
            allow_if(allowed, why)
        }
        (_, Target::Anywhere | Target::District(_)) => Ok(()),
        (action, Target::Proposal(p, co, cosigners)) => {
            let office = actor.is_office(p.district_id);
            let lead = |role| !p.lead_path.is_empty() && actor.unit_staff(&p.lead_path, role);
            let co_staff = co.iter().any(|c| actor.unit_staff(c, MemberRole::Worker));
            let assigned = !matches!(
                p.state,
                State::Submitted | State::Filed | State::Declined | State::Merged
            );
            let units = assigned
                && (lead(MemberRole::Viewer)
                    || co.iter().any(|c| actor.unit_staff(c, MemberRole::Viewer)));
            let own = p.proposer_id == user.id || cosigners.contains(&user.id);
            if !(office || units || own) {
                return Err(Denied::Hidden);
            }
            let allowed = match action {
                Action::View => true,
                Action::SeeInternal => office || units,
                Action::Cosign => cosigners.contains(&user.id),
                Action::Review | Action::Administer => office,
                Action::Handle => assigned && lead(MemberRole::Worker),
                Action::Countersign => assigned && lead(MemberRole::UnitAdmin),
                Action::Opinion => assigned && co_staff,
                Action::Rate => p.proposer_id == user.id,
                _ => false,
            };
            let why = match action {
                Action::Review | Action::Administer => OFFICE_ONLY,
                Action::Handle | Action::Countersign => platform::bi!(
                    "只有主办单位可以办理此步骤（会签须单位管理员）。",
                    "only the lead unit takes this step (a unit admin countersigns)"
                ),
                Action::Opinion => platform::bi!(
                    "只有会办单位可以提出会办意见。",
                    "only a co-handling unit sends an opinion"
                ),
                Action::Rate => platform::bi!(
                    "只有提案人可以评价答复。",
                    "only the proposer rates the reply"
                ),
                _ => platform::bi!("您不能办理此步骤。", "you cannot take this step"),
            };
            allow_if(allowed, why)
        }
    }
}

/// Adds "the actor may view this proposal" (alias `p`) to `sql`, matching [`authorize`].
pub fn list_filter(actor: &ConsultActor, sql: &mut Sql) {
    let Some(user) = &actor.user else {
        sql.push("1 = 0".into());
        return;
    };
    if actor.is_platform_admin() {
        return;
    }
    let me = sql.bind(Bind::Int(user.id));
    let mut parts = vec![
        format!("p.proposer_id = {me}"),
        format!("p.id IN (SELECT proposal_id FROM consult_cosigners WHERE user_id = {me})"),
    ];
    for d in &actor.office {
        let d = sql.bind(Bind::Int(*d));
        parts.push(format!("p.district_id = {d}"));
    }
    for g in actor.gov.grants.iter().filter(|g| g.path.depth() > 1) {
        let path = sql.bind(Bind::Text(g.path.as_str().into()));
        parts.push(format!(
            "(p.state NOT IN ('submitted', 'filed', 'declined', 'merged') AND \
             (p.lead_path LIKE {path} || '%' OR p.id IN \
             (SELECT proposal_id FROM consult_co_units WHERE unit_path LIKE {path} || '%')))"
        ));
    }
    sql.push(format!("({})", parts.join(" OR ")));
}
