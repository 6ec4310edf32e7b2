//! The case workflow: every step a centre operator or a handling unit takes, as one
//! function that checks the state, asks `authorize`, changes the case, appends to its
//! timeline and (for decisions) to the audit log, all in one transaction.
//!
//! reported → accepted (or rejected / merged) → dispatched → in progress → handled →
//! verified → closed; a unit returns a case it is not responsible for within 3 working
//! days; extensions are requested and decided; a closed case can be reopened and gets a
//! return visit. Deadlines come from the working-day calendar and the injected clock.

use crate::authz::{self, Action, Target};
use crate::calendar::Calendar;
use crate::error::{CaseError, CaseResult};
use crate::model::{self, CASE_COLUMNS, Case, CaseState};
use crate::notices;
use gov_core::{GovActor, UnitId, UnitPath, find_unit};
use platform::db::Tx;
use platform::web::Code;
use platform::web::authz::Denied;
use platform::{AppState, audit, outbox};
use serde_json::Value;

/// A unit has this many working days after dispatch to send back a case it is not
/// responsible for.
pub const RETURN_DAYS: i64 = 3;
/// …and this many to sign for it (the on-time response rate counts these).
pub const RESPOND_DAYS: i64 = 1;
/// Working days past the deadline before a yellow card turns red.
pub const RED_AFTER_DAYS: i64 = 2;
/// The longest extension one request may ask for.
pub const MAX_EXTENSION_DAYS: i64 = 30;
pub const MAX_NOTE: usize = 2000;
/// The shortest handling result a unit may report: at least a sentence.
pub const MIN_RESULT: usize = 10;

mod op;
mod step;

pub use op::{Op, OpInput};
use sqlx::FromRow;
use step::step;

/// Who did it, as the timeline shows them.
pub fn actor_label(actor: &GovActor) -> String {
    actor
        .user
        .as_ref()
        .map(|u| u.username.clone())
        .unwrap_or_default()
}

pub async fn lock(tx: &mut Tx, id: i64, postgres: bool) -> CaseResult<Case> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases_cases WHERE id = $1{}",
        if postgres { " FOR UPDATE" } else { "" }
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(CaseError::NotFound)?;
    Ok(model::Case::from_row(&row)?)
}

/// Appends one step to a case's timeline.
pub async fn event(
    tx: &mut Tx,
    case_id: i64,
    at: i64,
    actor: Option<(i64, &str)>,
    kind: &str,
    note: &str,
    public: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO cases_events (case_id, at, actor_id, actor_label, kind, note, public) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(case_id)
    .bind(at)
    .bind(actor.map(|a| a.0))
    .bind(actor.map(|a| a.1).unwrap_or("系统"))
    .bind(kind)
    .bind(note)
    .bind(public as i64)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a decision in the audit log and the outbox.
pub async fn decided(
    tx: &mut Tx,
    at: i64,
    actor_id: Option<i64>,
    kind: &str,
    case_id: i64,
    detail: Value,
) -> sqlx::Result<()> {
    audit::record(
        tx,
        at,
        actor_id,
        &format!("case.{kind}"),
        &format!("case:{case_id}"),
        detail.clone(),
    )
    .await?;
    outbox::emit(tx, at, "case.changed", case_id, detail).await
}

/// A unit a case may be sent to: inside the case's district.
async fn unit_in_district(
    state: &AppState,
    id: i64,
    district: &str,
) -> CaseResult<(i64, String, String)> {
    let unit = find_unit(&state.db, UnitId(id))
        .await?
        .filter(|u| u.path.as_str().starts_with(district))
        .ok_or_else(|| {
            CaseError::invalid(
                Code::BadUnit,
                format!("单位 {id} 不在本区内 (unit {id} is not in this district)"),
            )
        })?;
    Ok((unit.id.0, unit.path.as_str().to_string(), unit.name))
}

struct Deadlines {
    respond_by: i64,
    return_by: i64,
    due_at: i64,
}

async fn deadlines(state: &AppState, case: &Case, now: i64) -> CaseResult<Deadlines> {
    let cal = Calendar::load(&state.db).await?;
    let cat = model::category(&state.db, case.category_id)
        .await?
        .ok_or(CaseError::NotFound)?;
    let due_at = cal.deadline(now, cat.days(case.priority).max(0));
    // A unit cannot be allowed to send a case back after it should have been handled.
    Ok(Deadlines {
        respond_by: cal.deadline(now, RESPOND_DAYS).min(due_at),
        return_by: cal.deadline(now, RETURN_DAYS).min(due_at),
        due_at,
    })
}

/// Applies one step. Returns the case as it is afterwards.
pub async fn apply(state: &AppState, actor: &GovActor, id: i64, op: Op) -> CaseResult<Case> {
    let postgres = state.db.backend == platform::db::Backend::Postgres;
    let now = state.now();
    // Look before locking, so that hidden cases answer 404 and refusals 403 without a
    // write lock, and so unit lookups and the calendar are read outside the transaction.
    let before = model::find(&state.db, id)
        .await?
        .ok_or(CaseError::NotFound)?;
    let co: Vec<String> = model::co_units(&state.db, id)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    authz::authorize(actor, Action::View, &Target::Case(&before, &co))?;
    authz::authorize(actor, op.action(), &Target::Case(&before, &co)).map_err(|d| {
        match (op.action(), d) {
            (Action::Handle, Denied::Forbidden(why)) => CaseError::refused(Code::LeadUnitOnly, why),
            (_, d) => d.into(),
        }
    })?;
    let prepared = prepare(state, &before, &op, now).await?;
    let notices = plan_notices(state, &before, &op, &prepared).await?;

    let mut tx = state.db.begin().await?;
    let case = lock(&mut tx, id, postgres).await?;
    if matches!(op, Op::Handle { .. }) && case.state == CaseState::Dispatched {
        return Err(CaseError::refused(
            Code::NotSigned,
            "请先签收，再反馈办理结果 (sign for the case before reporting it handled)",
        ));
    }
    if !op.from().contains(&case.state) {
        return Err(CaseError::refused(
            Code::WrongState,
            format!(
                "这一步不适用于“{}”状态的事件 (cannot {} a case that is {})",
                case.state.label(platform::web::Lang::Zh),
                op.name(),
                case.state.as_str()
            ),
        ));
    }
    let uid = actor.id();
    let who = actor_label(actor);
    let me = uid.map(|u| (u, who.as_str()));
    let step::Outcome {
        kind,
        note,
        public,
        detail,
    } = step(&mut tx, &case, &op, prepared, now, uid).await?;
    event(&mut tx, id, now, me, kind, &note, public).await?;
    for n in notices {
        n.write(&mut tx, now).await?;
    }
    if matches!(op.action(), Action::Triage | Action::Supervise)
        || matches!(op, Op::Return { .. } | Op::Handle { .. })
    {
        decided(&mut tx, now, uid, kind, id, detail).await?;
    } else {
        outbox::emit(&mut tx, now, "case.changed", id, detail).await?;
    }
    tx.commit().await?;
    model::find(&state.db, id).await?.ok_or(CaseError::NotFound)
}

/// Who hears of this step in the bell (read now, written with the step).
async fn plan_notices(
    state: &AppState,
    case: &Case,
    op: &Op,
    prepared: &Prepared,
) -> CaseResult<Vec<notices::Notice>> {
    let mut out = Vec::new();
    match (op, prepared) {
        (Op::Dispatch { .. }, Prepared::Dispatch { lead, co, times }) => {
            let co: Vec<i64> = co.iter().map(|c| c.0).collect();
            out.push(notices::dispatched(state, case, lead.0, &co, times.due_at).await?);
            // Dispatching a case straight from the queue accepts it too.
            if case.state == CaseState::Reported {
                out.extend(notices::to_reporter(case, "case.accepted"));
            }
        }
        (Op::Reopen { .. }, Prepared::Times(times)) if case.state == CaseState::Closed => {
            if let Some(lead) = case.lead_unit_id {
                out.push(notices::dispatched(state, case, lead, &[], times.due_at).await?);
            }
        }
        (Op::Accept { .. }, _) => out.extend(notices::to_reporter(case, "case.accepted")),
        (Op::Reject { .. }, _) => out.extend(notices::to_reporter(case, "case.rejected")),
        (Op::Merge { .. }, _) => out.extend(notices::to_reporter(case, "case.merged")),
        (Op::Close { .. }, _) => out.extend(notices::to_reporter(case, "case.closed")),
        (Op::Return { .. }, _) => out.push(notices::returned(state, case).await?),
        (Op::Urge { .. }, _) => out.extend(notices::pressed(state, case, None).await?),
        (Op::List { due_on, .. }, _) => {
            out.extend(notices::pressed(state, case, Some(*due_on)).await?)
        }
        _ => {}
    }
    Ok(out)
}

/// What a step needs from outside the transaction.
enum Prepared {
    None,
    Dispatch {
        lead: (i64, String, String),
        co: Vec<(i64, String, String)>,
        times: Deadlines,
    },
    /// The id of the case it merges into (checked: in the district, not merged itself).
    Merge(i64),
    Times(Deadlines),
    Calendar(Calendar),
}

async fn prepare(state: &AppState, case: &Case, op: &Op, now: i64) -> CaseResult<Prepared> {
    Ok(match op {
        Op::Dispatch { lead, co, .. } => {
            let lead = match lead {
                Some(l) => unit_in_district(state, *l, &case.district_path).await?,
                None => crate::intake::route(state, case).await?.ok_or_else(|| {
                    CaseError::invalid(
                        Code::NoRoute,
                        "无法按类别和地点自动派单，请选择承办单位 (no unit found by routing: choose the lead unit)",
                    )
                })?,
            };
            let mut units = Vec::new();
            for c in co.iter().filter(|c| **c != lead.0) {
                if !units
                    .iter()
                    .any(|(id, _, _): &(i64, String, String)| id == c)
                {
                    units.push(unit_in_district(state, *c, &case.district_path).await?);
                }
            }
            Prepared::Dispatch {
                lead,
                co: units,
                times: deadlines(state, case, now).await?,
            }
        }
        Op::Merge { into } => {
            let target = model::find(&state.db, *into)
                .await?
                .filter(|t| t.district_path == case.district_path && t.id != case.id)
                .ok_or_else(|| {
                    CaseError::invalid(
                        Code::BadMerge,
                        "找不到可合并的目标事件 (the case to merge into does not exist in this district)",
                    )
                })?;
            if target.state == CaseState::Merged {
                return Err(CaseError::invalid(
                    Code::BadMerge,
                    "目标事件本身已被合并 (the target was itself merged; merge into the case it points to)",
                ));
            }
            Prepared::Merge(target.id)
        }
        Op::Reopen { .. } => Prepared::Times(deadlines(state, case, now).await?),
        Op::DecideExtension { .. } | Op::Urge { .. } => {
            Prepared::Calendar(Calendar::load(&state.db).await?)
        }
        Op::List { due_on, .. } => {
            crate::supervise::check_due_on(*due_on, now)?;
            Prepared::None
        }
        _ => Prepared::None,
    })
}

/// The unit path of a case's district, from any path inside it.
pub fn district_of(path: &UnitPath) -> String {
    path.root_path().as_str().to_string()
}
