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
use crate::model::{self, CASE_COLUMNS, Case, CaseState, Satisfaction, Supervision};
use crate::notices;
use gov_core::{GovActor, UnitId, UnitPath, find_unit};
use platform::db::Tx;
use platform::web::Code;
use platform::web::authz::Denied;
use platform::{AppState, audit, outbox};
use serde_json::{Value, json};

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

/// One step, parsed from a form or a JSON body (both arrive as this flat shape).
#[derive(Clone, Debug)]
pub enum Op {
    Accept {
        note: String,
        /// The text approved for publication; empty: not published (yet).
        public_description: String,
    },
    /// Sets or clears (empty) the text the centre approves for publication.
    Publish {
        text: String,
    },
    Reject {
        reason: String,
    },
    Merge {
        into: i64,
    },
    Dispatch {
        lead: Option<i64>,
        co: Vec<i64>,
        note: String,
    },
    Sign,
    Return {
        reason: String,
    },
    RequestExtension {
        days: i64,
        reason: String,
    },
    DecideExtension {
        id: i64,
        approve: bool,
        note: String,
    },
    Progress {
        note: String,
    },
    Handle {
        result: String,
        /// A photo of the work done, already stored: (storage key, content type).
        photo: Option<(String, String)>,
    },
    Verify {
        ok: bool,
        note: String,
    },
    Close {
        note: String,
    },
    Reopen {
        reason: String,
    },
    ReturnVisit {
        satisfaction: Satisfaction,
        note: String,
    },
}

/// The raw step as a form or JSON sends it: values may be strings, numbers or lists.
#[derive(Debug, Default, serde::Deserialize)]
pub struct OpInput {
    pub action: Option<Value>,
    pub note: Option<Value>,
    pub reason: Option<Value>,
    pub result: Option<Value>,
    pub into: Option<Value>,
    pub lead_unit_id: Option<Value>,
    pub co_unit_ids: Option<Value>,
    pub days: Option<Value>,
    pub extension_id: Option<Value>,
    pub approve: Option<Value>,
    pub ok: Option<Value>,
    pub satisfaction: Option<Value>,
    pub public_description: Option<Value>,
    /// Set by the page handler when a photo came with the form (never from JSON).
    #[serde(skip)]
    pub photo: Option<(String, String)>,
}

fn text(v: &Option<Value>) -> String {
    match v {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn int(v: &Option<Value>, field: &'static str) -> CaseResult<Option<i64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
            CaseError::invalid("bad_number", format!("{field} must be a whole number"))
        }),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| {
            CaseError::invalid("bad_number", format!("{field} must be a whole number"))
        }),
        _ => Err(CaseError::invalid(
            "bad_number",
            format!("{field} must be a whole number"),
        )),
    }
}

fn ints(v: &Option<Value>) -> CaseResult<Vec<i64>> {
    let items: Vec<Option<Value>> = match v {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.iter().cloned().map(Some).collect(),
        Some(Value::String(s)) => s
            .split([',', '，', ' '])
            .filter(|p| !p.trim().is_empty())
            .map(|p| Some(Value::String(p.to_string())))
            .collect(),
        Some(other) => vec![Some(other.clone())],
    };
    items
        .iter()
        .filter_map(|i| int(i, "co_unit_ids").transpose())
        .collect()
}

fn flag(v: &Option<Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "yes" | "on"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

fn required(s: String, field: &'static str, what_zh: &str) -> CaseResult<String> {
    if s.is_empty() {
        return Err(CaseError::invalid(
            "missing_field",
            format!("请填写{what_zh} ({field} is required)"),
        ));
    }
    bounded(s, field)
}

fn bounded(s: String, field: &'static str) -> CaseResult<String> {
    if s.chars().count() > MAX_NOTE {
        return Err(CaseError::invalid(
            "too_long",
            format!("{field} is longer than {MAX_NOTE} characters"),
        ));
    }
    Ok(s)
}

/// A handling result says what was done: at least [`MIN_RESULT`] characters, or a photo.
fn result_text(s: String, with_photo: bool) -> CaseResult<String> {
    let s = bounded(s, "result")?;
    if !with_photo && s.chars().filter(|c| !c.is_whitespace()).count() < MIN_RESULT {
        return Err(CaseError::invalid(
            "result_too_short",
            format!(
                "请用至少 {MIN_RESULT} 个字说明办理结果（做了什么、现在怎样），或附一张现场照片 (describe the result in at least {MIN_RESULT} characters, or attach a photo)"
            ),
        ));
    }
    Ok(s)
}

impl OpInput {
    /// From an HTML form body; repeated fields (a multi-select) are joined with commas.
    pub fn from_form(body: &[u8]) -> CaseResult<OpInput> {
        let mut map = serde_json::Map::new();
        for (k, v) in form_urlencoded::parse(body) {
            match map.get_mut(k.as_ref()) {
                Some(Value::String(prev)) => {
                    prev.push(',');
                    prev.push_str(&v);
                }
                _ => {
                    map.insert(k.into_owned(), Value::String(v.into_owned()));
                }
            }
        }
        serde_json::from_value(Value::Object(map))
            .map_err(|e| CaseError::invalid("bad_form", format!("the form is malformed: {e}")))
    }

    pub fn parse(self) -> CaseResult<Op> {
        let note = bounded(text(&self.note), "note")?;
        let op = match text(&self.action).as_str() {
            "accept" => Op::Accept {
                note,
                public_description: bounded(text(&self.public_description), "public_description")?,
            },
            "publish" => Op::Publish {
                text: bounded(text(&self.public_description), "public_description")?,
            },
            "reject" => Op::Reject {
                reason: required(text(&self.reason), "reason", "不予受理的理由")?,
            },
            "merge" => Op::Merge {
                into: int(&self.into, "into")?.ok_or_else(|| {
                    CaseError::invalid("missing_field", "请填写重复事件的编号 (into is required)")
                })?,
            },
            "dispatch" => Op::Dispatch {
                lead: int(&self.lead_unit_id, "lead_unit_id")?,
                co: ints(&self.co_unit_ids)?,
                note,
            },
            "sign" => Op::Sign,
            "return" => Op::Return {
                reason: required(text(&self.reason), "reason", "退回理由")?,
            },
            "request_extension" => {
                let days = int(&self.days, "days")?.unwrap_or(0);
                if !(1..=MAX_EXTENSION_DAYS).contains(&days) {
                    return Err(CaseError::invalid(
                        "bad_days",
                        format!("延期天数须在 1–{MAX_EXTENSION_DAYS} 个工作日之间 (days must be 1–{MAX_EXTENSION_DAYS})"),
                    ));
                }
                Op::RequestExtension {
                    days,
                    reason: required(text(&self.reason), "reason", "延期理由")?,
                }
            }
            "decide_extension" => Op::DecideExtension {
                id: int(&self.extension_id, "extension_id")?.ok_or_else(|| {
                    CaseError::invalid("missing_field", "extension_id is required")
                })?,
                approve: flag(&self.approve),
                note,
            },
            "progress" => Op::Progress {
                note: required(note, "note", "办理进展")?,
            },
            "handle" => Op::Handle {
                result: result_text(text(&self.result), self.photo.is_some())?,
                photo: self.photo.clone(),
            },
            "verify" => Op::Verify {
                ok: flag(&self.ok),
                note,
            },
            "close" => Op::Close { note },
            "reopen" => Op::Reopen {
                reason: required(text(&self.reason), "reason", "重新打开的理由")?,
            },
            "return_visit" => Op::ReturnVisit {
                satisfaction: Satisfaction::parse(&text(&self.satisfaction)).ok_or_else(|| {
                    CaseError::invalid(
                        "bad_satisfaction",
                        "请选择满意、基本满意或不满意 (satisfaction: satisfied, basic or dissatisfied)",
                    )
                })?,
                note,
            },
            other => {
                return Err(CaseError::invalid(
                    "unknown_action",
                    format!("unknown action {other:?}"),
                ));
            }
        };
        Ok(op)
    }
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Accept { .. } => "accept",
            Op::Publish { .. } => "publish",
            Op::Reject { .. } => "reject",
            Op::Merge { .. } => "merge",
            Op::Dispatch { .. } => "dispatch",
            Op::Sign => "sign",
            Op::Return { .. } => "return",
            Op::RequestExtension { .. } => "request_extension",
            Op::DecideExtension { .. } => "decide_extension",
            Op::Progress { .. } => "progress",
            Op::Handle { .. } => "handle",
            Op::Verify { .. } => "verify",
            Op::Close { .. } => "close",
            Op::Reopen { .. } => "reopen",
            Op::ReturnVisit { .. } => "return_visit",
        }
    }

    fn action(&self) -> Action {
        match self {
            Op::Sign | Op::Return { .. } | Op::RequestExtension { .. } | Op::Handle { .. } => {
                Action::Handle
            }
            Op::Progress { .. } => Action::Assist,
            _ => Action::Triage,
        }
    }

    /// The states this step starts from.
    fn from(&self) -> &'static [CaseState] {
        use CaseState::*;
        match self {
            Op::Accept { .. } => &[Reported],
            Op::Publish { .. } => &[Accepted, Dispatched, InProgress, Handled, Verified, Closed],
            Op::Reject { .. } | Op::Merge { .. } => &[Reported, Accepted],
            Op::Dispatch { .. } => &[Reported, Accepted, Dispatched, InProgress],
            Op::Sign => &[Dispatched],
            Op::Return { .. } => &[Dispatched, InProgress],
            Op::RequestExtension { .. } | Op::DecideExtension { .. } => &[Dispatched, InProgress],
            Op::Progress { .. } => &[Dispatched, InProgress, Handled],
            Op::Handle { .. } => &[InProgress],
            Op::Verify { .. } => &[Handled],
            Op::Close { .. } => &[Verified],
            Op::Reopen { .. } => &[Closed, Rejected],
            Op::ReturnVisit { .. } => &[Closed],
        }
    }
}

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
    Ok(model::case_from_row(&row)?)
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

/// Appends to the audit log inside the caller's transaction.
pub async fn audited(
    tx: &mut Tx,
    at: i64,
    actor_id: Option<i64>,
    action: &str,
    subject: &str,
    detail: Value,
) -> sqlx::Result<()> {
    audit::append(
        tx,
        audit::Entry {
            at,
            actor_id,
            action,
            subject,
            detail,
        },
    )
    .await
    .map(|_| ())
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
    audited(
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
                "bad_unit",
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
        return Err(CaseError::Conflict(format!(
            "这一步不适用于“{}”状态的事件 (cannot {} a case that is {})",
            case.state.label(platform::web::Lang::Zh),
            op.name(),
            case.state.as_str()
        )));
    }
    let uid = actor.id();
    let who = actor_label(actor);
    let me = uid.map(|u| (u, who.as_str()));
    let (kind, note, public, detail) = step(&mut tx, &case, &op, prepared, now, uid).await?;
    event(&mut tx, id, now, me, kind, &note, public).await?;
    for n in notices {
        n.write(&mut tx, now).await?;
    }
    if op.action() == Action::Triage || matches!(op, Op::Return { .. } | Op::Handle { .. }) {
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
    Merge(Case),
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
                        "no_route",
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
                        "bad_merge",
                        "找不到可合并的目标事件 (the case to merge into does not exist in this district)",
                    )
                })?;
            if target.state == CaseState::Merged {
                return Err(CaseError::invalid(
                    "bad_merge",
                    "目标事件本身已被合并 (the target was itself merged; merge into the case it points to)",
                ));
            }
            Prepared::Merge(target)
        }
        Op::Reopen { .. } => Prepared::Times(deadlines(state, case, now).await?),
        Op::DecideExtension { .. } => Prepared::Calendar(Calendar::load(&state.db).await?),
        _ => Prepared::None,
    })
}

type Outcome = (&'static str, String, bool, Value);

async fn set(tx: &mut Tx, id: i64, sql: &str, binds: Vec<Value>, now: i64) -> sqlx::Result<()> {
    let full = format!(
        "UPDATE cases_cases SET {sql}, updated_at = ${} WHERE id = ${}",
        binds.len() + 1,
        binds.len() + 2
    );
    let mut q = sqlx::query(&full);
    for b in binds {
        q = match b {
            Value::Number(n) => q.bind(n.as_i64()),
            Value::String(s) => q.bind(s),
            _ => q.bind(None::<i64>),
        };
    }
    q.bind(now).bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Marks the case changed (for steps that only add to the timeline or extensions).
async fn touch(tx: &mut Tx, id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE cases_cases SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn step(
    tx: &mut Tx,
    case: &Case,
    op: &Op,
    prepared: Prepared,
    now: i64,
    uid: Option<i64>,
) -> CaseResult<Outcome> {
    let id = case.id;
    let out: Outcome = match (op, prepared) {
        (
            Op::Accept {
                note,
                public_description,
            },
            _,
        ) => {
            set(
                tx,
                id,
                "state = 'accepted', accepted_at = $1, public_description = $2",
                vec![json!(now), json!(public_description)],
                now,
            )
            .await?;
            (
                "accepted",
                note.clone(),
                true,
                json!({ "published": !public_description.is_empty() }),
            )
        }
        (Op::Publish { text }, _) => {
            set(tx, id, "public_description = $1", vec![json!(text)], now).await?;
            // Internal: the resident sees the case, not the centre's editing of it.
            (
                "published",
                text.clone(),
                false,
                json!({ "public_description": text }),
            )
        }
        (Op::Reject { reason }, _) => {
            set(
                tx,
                id,
                "state = 'rejected', closed_at = $1",
                vec![json!(now)],
                now,
            )
            .await?;
            (
                "rejected",
                reason.clone(),
                true,
                json!({ "reason": reason }),
            )
        }
        (Op::Merge { into }, Prepared::Merge(target)) => {
            set(
                tx,
                id,
                "state = 'merged', merged_into = $1, closed_at = $2",
                vec![json!(target.id), json!(now)],
                now,
            )
            .await?;
            (
                "merged",
                format!("#{into}"),
                true,
                json!({ "into": target.id }),
            )
        }
        (Op::Dispatch { note, .. }, Prepared::Dispatch { lead, co, times }) => {
            let again = matches!(case.state, CaseState::Dispatched | CaseState::InProgress);
            set(
                tx,
                id,
                "state = 'dispatched', lead_unit_id = $1, lead_path = $2, \
                 accepted_at = COALESCE(accepted_at, $3), dispatched_at = $3, responded_at = NULL, \
                 respond_by = $4, return_by = $5, due_at = $6, supervision = 'none', reminded = 0",
                vec![
                    json!(lead.0),
                    json!(lead.1),
                    json!(now),
                    json!(times.respond_by),
                    json!(times.return_by),
                    json!(times.due_at),
                ],
                now,
            )
            .await?;
            sqlx::query("DELETE FROM cases_co_units WHERE case_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            for (uid, path, _) in &co {
                sqlx::query(
                    "INSERT INTO cases_co_units (case_id, unit_id, unit_path) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(uid)
                .bind(path)
                .execute(&mut **tx)
                .await?;
            }
            let names: Vec<&str> = co.iter().map(|c| c.2.as_str()).collect();
            let mut text = format!("主办：{}", lead.2);
            if !names.is_empty() {
                text.push_str(&format!("；协办：{}", names.join("、")));
            }
            if !note.is_empty() {
                text.push_str(&format!("。{note}"));
            }
            (
                if again { "redispatched" } else { "dispatched" },
                text,
                true,
                json!({ "lead_unit_id": lead.0, "co_unit_ids": co.iter().map(|c| c.0).collect::<Vec<_>>(), "due_at": times.due_at }),
            )
        }
        (Op::Sign, _) => {
            set(
                tx,
                id,
                "state = 'in_progress', responded_at = $1",
                vec![json!(now)],
                now,
            )
            .await?;
            ("signed", String::new(), true, json!({}))
        }
        (Op::Return { reason }, _) => {
            if case.return_by.is_some_and(|by| now > by) {
                return Err(CaseError::Conflict(format!(
                    "退回期限（派单后 {RETURN_DAYS} 个工作日）已过，请联系中心改派 (the {RETURN_DAYS}-working-day window to return this case closed on {}; ask the centre to re-dispatch it)",
                    platform::clock::format_ms(case.return_by.unwrap_or_default())
                )));
            }
            set(
                tx,
                id,
                "state = 'accepted', lead_unit_id = NULL, lead_path = '', respond_by = NULL, \
                 return_by = NULL, due_at = NULL, supervision = 'none', reminded = 0",
                vec![],
                now,
            )
            .await?;
            sqlx::query("DELETE FROM cases_co_units WHERE case_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            (
                "returned",
                reason.clone(),
                true,
                json!({ "unit_id": case.lead_unit_id, "reason": reason }),
            )
        }
        (Op::RequestExtension { days, reason }, _) => {
            let (pending,): (i64,) = sqlx::query_as(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM cases_extensions WHERE case_id = $1 AND state = 'pending'",
            )
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
            if pending > 0 {
                return Err(CaseError::Conflict(
                    "已有一项延期申请待批复 (an extension request is already waiting for the centre)"
                        .into(),
                ));
            }
            sqlx::query(
                "INSERT INTO cases_extensions (case_id, days, reason, requested_by, requested_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(days)
            .bind(reason)
            .bind(uid)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            touch(tx, id, now).await?;
            (
                "extension_requested",
                format!("{days} 个工作日：{reason}"),
                true,
                json!({ "days": days }),
            )
        }
        (
            Op::DecideExtension {
                id: ext,
                approve,
                note,
            },
            Prepared::Calendar(cal),
        ) => {
            let row: Option<(i64, String)> = sqlx::query_as(
                "SELECT days, state FROM cases_extensions WHERE id = $1 AND case_id = $2",
            )
            .bind(ext)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
            let Some((days, st)) = row else {
                return Err(CaseError::NotFound);
            };
            if st != "pending" {
                return Err(CaseError::Conflict(
                    "这项延期申请已批复 (this request was already decided)".into(),
                ));
            }
            sqlx::query(
                "UPDATE cases_extensions SET state = $1, decided_by = $2, decided_at = $3 WHERE id = $4",
            )
            .bind(if *approve { "approved" } else { "denied" })
            .bind(uid)
            .bind(now)
            .bind(ext)
            .execute(&mut **tx)
            .await?;
            if *approve {
                let due = cal.deadline(case.due_at.unwrap_or(now), days);
                // A new deadline in the future lifts the card; the timeline keeps it.
                let sup = if due > now {
                    Supervision::None
                } else {
                    case.supervision
                };
                set(
                    tx,
                    id,
                    "due_at = $1, supervision = $2, reminded = 0",
                    vec![json!(due), json!(sup.as_str())],
                    now,
                )
                .await?;
                (
                    "extension_approved",
                    note.clone(),
                    true,
                    json!({ "extension_id": ext, "due_at": due }),
                )
            } else {
                touch(tx, id, now).await?;
                (
                    "extension_denied",
                    note.clone(),
                    true,
                    json!({ "extension_id": ext }),
                )
            }
        }
        (Op::Progress { note }, _) => {
            touch(tx, id, now).await?;
            ("progress", note.clone(), true, json!({}))
        }
        (Op::Handle { result, photo }, _) => {
            let (sql, mut binds) = (
                "state = 'handled', handled_at = $1, result = $2, responded_at = COALESCE(responded_at, $1)",
                vec![json!(now), json!(result)],
            );
            let sql = match photo {
                Some((key, kind)) => {
                    binds.extend([json!(key), json!(kind)]);
                    format!("{sql}, result_photo_key = $3, result_photo_type = $4")
                }
                None => sql.to_string(),
            };
            set(tx, id, &sql, binds, now).await?;
            (
                "handled",
                result.clone(),
                true,
                json!({ "photo": photo.is_some() }),
            )
        }
        (Op::Verify { ok: true, note }, _) => {
            set(tx, id, "state = 'verified'", vec![], now).await?;
            ("verified", note.clone(), true, json!({ "ok": true }))
        }
        (Op::Verify { ok: false, note }, _) => {
            set(
                tx,
                id,
                "state = 'in_progress', handled_at = NULL",
                vec![],
                now,
            )
            .await?;
            ("verify_failed", note.clone(), true, json!({ "ok": false }))
        }
        (Op::Close { note }, _) => {
            set(
                tx,
                id,
                "state = 'closed', closed_at = $1",
                vec![json!(now)],
                now,
            )
            .await?;
            ("closed", note.clone(), true, json!({}))
        }
        (Op::Reopen { reason }, Prepared::Times(times)) => {
            if case.lead_unit_id.is_some() && case.state == CaseState::Closed {
                set(
                    tx,
                    id,
                    "state = 'dispatched', dispatched_at = $1, responded_at = NULL, handled_at = NULL, \
                     closed_at = NULL, respond_by = $2, return_by = $3, due_at = $4, \
                     supervision = 'none', reminded = 0, satisfaction = ''",
                    vec![
                        json!(now),
                        json!(times.respond_by),
                        json!(times.return_by),
                        json!(times.due_at),
                    ],
                    now,
                )
                .await?;
            } else {
                set(
                    tx,
                    id,
                    "state = 'accepted', closed_at = NULL, satisfaction = ''",
                    vec![],
                    now,
                )
                .await?;
            }
            (
                "reopened",
                reason.clone(),
                true,
                json!({ "reason": reason }),
            )
        }
        (Op::ReturnVisit { satisfaction, note }, _) => {
            if case.satisfaction.is_some() {
                return Err(CaseError::Conflict(
                    "这件事件已经回访过 (this case already has its return visit)".into(),
                ));
            }
            set(
                tx,
                id,
                "satisfaction = $1",
                vec![json!(satisfaction.as_str())],
                now,
            )
            .await?;
            (
                "return_visit",
                format!(
                    "{}{}{}",
                    satisfaction.label(platform::web::Lang::Zh),
                    if note.is_empty() { "" } else { "：" },
                    note
                ),
                true,
                json!({ "satisfaction": satisfaction.as_str() }),
            )
        }
        _ => {
            return Err(CaseError::Internal(anyhow::anyhow!(
                "step without its preparation"
            )));
        }
    };
    Ok(out)
}

/// The unit path of a case's district, from any path inside it.
pub fn district_of(path: &UnitPath) -> String {
    path.root_path().as_str().to_string()
}
