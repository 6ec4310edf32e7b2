//! Proposal handling, step by step: submission (alone or joint), filing or declining or
//! merging, assignment to a lead unit with co-handling units, signing or asking to hand
//! back, co-handling opinions, the reply's way from draft to formal, the extension, the
//! proposer's two ratings, the second handling and the B-class follow-up.
//!
//! Each step is one transaction: it checks the state, writes the proposal, its history
//! and the notifications, and commits. Deadlines are working days on the case centre's
//! calendar, counted from the injected clock. Who may take a step is `authz`'s business;
//! [`authorize_step`] says which action each step needs.

use crate::authz::Action;
use crate::error::{ConsultError, ConsultResult};
use crate::model::{self, DeclineReason, Full, Kind, Periods, Rating, ReplyClass, State};
use cases::calendar::Calendar;
use gov_core::{UnitId, UnitKind, find_unit};
use platform::AppState;
use platform::db::Tx;
use platform::web::Code;
use serde::Deserialize;
use sqlx::Row;

/// A new proposal as submitted.
#[derive(Debug, Deserialize)]
pub struct NewProposal {
    pub title: String,
    pub body: String,
    pub kind: String,
    #[serde(default)]
    pub cosigners: Vec<String>,
    /// Whether the proposer agrees to publish it with its reply once replied.
    #[serde(default)]
    pub consent: bool,
}

/// One step on a proposal, as `POST /api/v1/proposals/{id}/actions` takes it.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Step {
    Cosign,
    File,
    Decline {
        reason: String,
        #[serde(default)]
        note: String,
    },
    Merge {
        into: i64,
    },
    Assign {
        lead_unit_id: i64,
        #[serde(default)]
        co_unit_ids: Vec<i64>,
    },
    Sign,
    RequestReturn {
        reason: String,
    },
    Opinion {
        text: String,
    },
    Draft {
        reply: String,
        class: String,
    },
    Countersign,
    Check {
        #[serde(default)]
        class: Option<String>,
    },
    Reply,
    Extend {
        reason: String,
    },
    Rate {
        work: String,
        result: String,
    },
    FollowupDone {
        note: String,
    },
    Consent {
        publish: bool,
    },
}

impl Step {
    /// The authorisation action the step needs.
    pub fn action(&self) -> Action {
        match self {
            Step::Cosign => Action::Cosign,
            Step::File
            | Step::Decline { .. }
            | Step::Merge { .. }
            | Step::Assign { .. }
            | Step::Check { .. }
            | Step::Extend { .. }
            | Step::FollowupDone { .. } => Action::Review,
            Step::Sign | Step::RequestReturn { .. } | Step::Draft { .. } | Step::Reply => {
                Action::Handle
            }
            Step::Countersign => Action::Countersign,
            Step::Opinion { .. } => Action::Opinion,
            Step::Rate { .. } | Step::Consent { .. } => Action::Rate,
        }
    }
}

fn text(raw: &str, min: usize, max: usize, zh: &str, en: &str) -> ConsultResult<String> {
    let t = raw.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(ConsultError::field(platform::web::i18n::bilingual(
            &format!("{zh}须为 {min}–{max} 个字。"),
            &format!("{en} must be {min}–{max} characters"),
        )));
    }
    Ok(t.to_string())
}

async fn event(
    tx: &mut Tx,
    id: i64,
    at: i64,
    by: i64,
    action: &str,
    note: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO consult_events (proposal_id, at, actor_id, action, note) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(at)
    .bind(by)
    .bind(action)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn notify(
    tx: &mut Tx,
    users: &[i64],
    id: i64,
    zh: &str,
    en: &str,
    now: i64,
) -> sqlx::Result<()> {
    platform::notify::notify_all(
        tx,
        users,
        "consult.proposal",
        &format!("提案 #{id}：{zh}"),
        &format!("Proposal #{id}: {en}"),
        &format!("/consultation/proposals/{id}"),
        now,
    )
    .await
}

/// Submits a proposal for `by` (a member, or the office for a committee); its id.
pub async fn submit(
    state: &AppState,
    by: i64,
    district_id: i64,
    sector: &str,
    new: NewProposal,
) -> ConsultResult<i64> {
    let title = text(&new.title, 4, 120, "标题", "title")?;
    let body = text(&new.body, 20, 20_000, "正文", "body")?;
    let kind = Kind::parse(&new.kind).ok_or_else(|| {
        ConsultError::field(platform::bi!(
            "提案类别须为 member、party_group、sector 或 committee。",
            "kind must be member, party_group, sector or committee"
        ))
    })?;
    let mut cosigners = Vec::new();
    for name in &new.cosigners {
        let row = sqlx::query(
            "SELECT m.user_id FROM consult_members m JOIN platform_users u ON u.id = m.user_id \
             WHERE u.username = $1 AND m.district_id = $2",
        )
        .bind(name.trim())
        .bind(district_id)
        .fetch_optional(&state.db.pool)
        .await?;
        let Some(row) = row else {
            return Err(ConsultError::field(platform::web::i18n::bilingual(
                &format!("联名人 {name} 不是本区政协委员。"),
                &format!("co-signer {name} is not a member in this district"),
            )));
        };
        let uid: i64 = row.try_get("user_id")?;
        if uid != by && !cosigners.contains(&uid) {
            cosigners.push(uid);
        }
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO consult_proposals (district_id, title, body, kind, proposer_id, sector, state, consent, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $8, $8) RETURNING id",
    )
    .bind(district_id)
    .bind(&title)
    .bind(&body)
    .bind(kind.as_str())
    .bind(by)
    .bind(sector)
    .bind(new.consent as i64)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    for uid in &cosigners {
        sqlx::query("INSERT INTO consult_cosigners (proposal_id, user_id) VALUES ($1, $2)")
            .bind(id)
            .bind(uid)
            .execute(&mut *tx)
            .await?;
    }
    event(&mut tx, id, now, by, "submit", "").await?;
    notify(
        &mut tx,
        &cosigners,
        id,
        "请确认联名",
        "please confirm your co-signature",
        now,
    )
    .await?;
    let office = office_of(&mut tx, district_id).await?;
    notify(
        &mut tx,
        &office,
        id,
        "新提案待审查立案",
        "a new proposal awaits filing",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn office_of(tx: &mut Tx, district_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query("SELECT user_id FROM consult_office WHERE district_id = $1 ORDER BY user_id")
        .bind(district_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get("user_id"))
        .collect()
}

/// Staff of a unit (its own grants, worker or more), who hear of work sent to it.
async fn staff_of(state: &AppState, unit: i64) -> sqlx::Result<Vec<i64>> {
    gov_core::unit_staff(&state.db, UnitId(unit), gov_core::MemberRole::Worker).await
}

fn wrong_state(f: &Full) -> ConsultError {
    ConsultError::state(platform::web::i18n::bilingual(
        &format!(
            "提案当前状态为「{}」，不能办理此步骤。",
            f.p.state.label(platform::web::Lang::Zh)
        ),
        &format!(
            "the proposal is {}; this step does not apply",
            f.p.state.as_str()
        ),
    ))
}

/// A department or street of the proposal's district that can handle proposals.
async fn handling_unit(
    state: &AppState,
    district_id: i64,
    id: i64,
) -> ConsultResult<gov_core::Unit> {
    let unit = find_unit(&state.db, UnitId(id)).await?.filter(|u| {
        matches!(u.kind, UnitKind::Department | UnitKind::Street)
            && u.path.ids().first() == Some(&UnitId(district_id))
    });
    unit.ok_or_else(|| {
        ConsultError::field(platform::bi!(
            "承办单位须为本区的职能部门或街道。",
            "a handling unit must be a department or street of the district"
        ))
    })
}

/// Applies `step` by the account `by` (already authorised) and commits it. `co_units` are
/// the proposal's co-handling units `by` works for (what an opinion is recorded against).
pub async fn apply(
    state: &AppState,
    f: &Full,
    step: Step,
    by: i64,
    co_units: &[i64],
) -> ConsultResult<()> {
    let now = state.now();
    let p = &f.p;
    let id = p.id;
    let periods = Periods::load(&state.db, p.district_id).await?;
    let cal = Calendar::load(&state.db).await?;
    let need = |ok: bool| if ok { Ok(()) } else { Err(wrong_state(f)) };
    let mut tx = state.db.begin().await?;
    // The state read above is checked again under the row's lock (a no-op UPDATE), so two
    // clicks or two officers cannot both take a step from the same state.
    let locked = sqlx::query(
        "UPDATE consult_proposals SET updated_at = updated_at WHERE id = $1 AND state = $2 AND round = $3",
    )
    .bind(id)
    .bind(p.state.as_str())
    .bind(p.round)
    .execute(&mut *tx)
    .await?;
    if locked.rows_affected() == 0 {
        return Err(ConsultError::state(platform::bi!(
            "提案刚被他人办理过，请刷新后重试。",
            "the proposal changed meanwhile; reload and try again"
        )));
    }
    let set_state = |to: State| {
        format!(
            "UPDATE consult_proposals SET state = '{}', updated_at = $1 WHERE id = $2 AND state = '{}'",
            to.as_str(),
            p.state.as_str()
        )
    };
    let proposer = vec![p.proposer_id];
    // Steps that may publish or unpublish the proposal bring its library copy in line.
    let republish = matches!(step, Step::Reply | Step::Rate { .. } | Step::Consent { .. });
    match step {
        Step::Cosign => {
            sqlx::query("UPDATE consult_cosigners SET confirmed_at = $1 WHERE proposal_id = $2 AND user_id = $3 AND confirmed_at IS NULL")
                .bind(now).bind(id).bind(by).execute(&mut *tx).await?;
            event(&mut tx, id, now, by, "cosign", "").await?;
        }
        Step::File => {
            need(p.state == State::Submitted)?;
            if f.cosigners.iter().any(|c| !c.confirmed) {
                return Err(ConsultError::of(Code::CosignersPending));
            }
            sqlx::query("UPDATE consult_proposals SET state = 'filed', filed_at = $1, updated_at = $1 WHERE id = $2 AND state = 'submitted'")
                .bind(now).bind(id).execute(&mut *tx).await?;
            event(&mut tx, id, now, by, "file", "").await?;
            notify(&mut tx, &proposer, id, "已立案", "filed", now).await?;
        }
        Step::Decline { reason, note } => {
            need(p.state == State::Submitted)?;
            let reason = DeclineReason::parse(&reason).ok_or_else(|| {
                ConsultError::field(platform::bi!(
                    "不立案理由须为 returned（退回）或 forwarded（转社情民意）。",
                    "reason must be returned or forwarded"
                ))
            })?;
            sqlx::query("UPDATE consult_proposals SET state = 'declined', decline_reason = $1, updated_at = $2 WHERE id = $3 AND state = 'submitted'")
                .bind(reason.as_str()).bind(now).bind(id).execute(&mut *tx).await?;
            event(
                &mut tx,
                id,
                now,
                by,
                "decline",
                &format!("{} {}", reason.as_str(), note.trim()),
            )
            .await?;
            notify(
                &mut tx,
                &proposer,
                id,
                reason.label(platform::web::Lang::Zh),
                reason.label(platform::web::Lang::En),
                now,
            )
            .await?;
        }
        Step::Merge { into } => {
            need(p.state == State::Submitted)?;
            let target = model::find(&state.db, into).await?.filter(|t| {
                t.id != id
                    && t.district_id == p.district_id
                    && !matches!(t.state, State::Declined | State::Merged)
            });
            if target.is_none() {
                return Err(ConsultError::field(platform::bi!(
                    "并入的提案须为本区另一件未并案、未退回的提案。",
                    "merge into another open proposal of the same district"
                )));
            }
            sqlx::query("UPDATE consult_proposals SET state = 'merged', merged_into = $1, updated_at = $2 WHERE id = $3 AND state = 'submitted'")
                .bind(into).bind(now).bind(id).execute(&mut *tx).await?;
            event(&mut tx, id, now, by, "merge", &format!("#{into}")).await?;
            notify(
                &mut tx,
                &proposer,
                id,
                &format!("已并入提案 #{into}"),
                &format!("merged into #{into}"),
                now,
            )
            .await?;
        }
        Step::Assign {
            lead_unit_id,
            co_unit_ids,
        } => {
            need(matches!(p.state, State::Filed | State::ReturnRequested))?;
            let lead = handling_unit(state, p.district_id, lead_unit_id).await?;
            let mut co = Vec::new();
            for c in co_unit_ids.iter().filter(|c| **c != lead_unit_id) {
                let u = handling_unit(state, p.district_id, *c).await?;
                if !co.iter().any(|x: &gov_core::Unit| x.id == u.id) {
                    co.push(u);
                }
            }
            sqlx::query(
                "UPDATE consult_proposals SET state = 'assigned', lead_unit_id = $1, lead_path = $2, assigned_at = $3, \
                 sign_due = $4, co_due = $5, reply_due = $6, updated_at = $3 WHERE id = $7 AND state = $8",
            )
            .bind(lead.id.0)
            .bind(lead.path.as_str())
            .bind(now)
            .bind(cal.deadline(now, periods.sign_days))
            .bind(cal.deadline(now, periods.co_days))
            .bind(cal.deadline(now, periods.reply_days))
            .bind(id)
            .bind(p.state.as_str())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM consult_co_units WHERE proposal_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for u in &co {
                sqlx::query("INSERT INTO consult_co_units (proposal_id, unit_id, unit_path) VALUES ($1, $2, $3)")
                    .bind(id).bind(u.id.0).bind(u.path.as_str()).execute(&mut *tx).await?;
            }
            let names: Vec<&str> = co.iter().map(|u| u.name.as_str()).collect();
            event(
                &mut tx,
                id,
                now,
                by,
                "assign",
                &format!("{}；{}", lead.name, names.join("、")),
            )
            .await?;
            let mut units = staff_of(state, lead.id.0).await?;
            for u in &co {
                units.extend(staff_of(state, u.id.0).await?);
            }
            notify(
                &mut tx,
                &units,
                id,
                "交办：请签收办理",
                "assigned to your unit",
                now,
            )
            .await?;
        }
        Step::Sign => {
            need(p.state == State::Assigned)?;
            sqlx::query(&set_state(State::Handling))
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            event(&mut tx, id, now, by, "sign", "").await?;
        }
        Step::RequestReturn { reason } => {
            need(p.state == State::Assigned)?;
            let reason = text(&reason, 4, 2000, "申退理由", "reason")?;
            if p.sign_due.is_some_and(|due| now > due) {
                return Err(ConsultError::of(Code::ReturnWindowClosed));
            }
            sqlx::query(&set_state(State::ReturnRequested))
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            event(&mut tx, id, now, by, "request_return", &reason).await?;
            let office = office_of(&mut tx, p.district_id).await?;
            notify(
                &mut tx,
                &office,
                id,
                "承办单位申请退回，请重新交办",
                "the lead unit asks to hand it back",
                now,
            )
            .await?;
        }
        Step::Opinion { text: t } => {
            need(matches!(
                p.state,
                State::Assigned | State::Handling | State::SecondHandling
            ))?;
            let t = text(&t, 4, 20_000, "会办意见", "opinion")?;
            if co_units.is_empty() {
                return Err(ConsultError::Denied(
                    platform::bi!(
                        "只有会办单位可以提出会办意见。",
                        "only a co-handling unit sends an opinion"
                    )
                    .into(),
                ));
            }
            for u in co_units {
                sqlx::query("UPDATE consult_co_units SET opinion = $1, opinion_at = $2 WHERE proposal_id = $3 AND unit_id = $4")
                    .bind(&t).bind(now).bind(id).bind(u).execute(&mut *tx).await?;
            }
            event(&mut tx, id, now, by, "opinion", &t).await?;
            let lead = staff_of(state, p.lead_unit_id.unwrap_or_default()).await?;
            notify(
                &mut tx,
                &lead,
                id,
                "会办单位已提出意见",
                "a co-handling unit sent its opinion",
                now,
            )
            .await?;
        }
        Step::Draft { reply, class } => {
            need(matches!(
                p.state,
                State::Handling
                    | State::SecondHandling
                    | State::Checked
                    | State::Countersigned
                    | State::Drafted
            ))?;
            let reply = text(&reply, 10, 50_000, "答复", "reply")?;
            let class = parse_class(&class)?;
            sqlx::query("UPDATE consult_proposals SET state = 'drafted', reply_text = $1, reply_class = $2, updated_at = $3 WHERE id = $4 AND state = $5")
                .bind(&reply).bind(class.as_str()).bind(now).bind(id).bind(p.state.as_str()).execute(&mut *tx).await?;
            event(&mut tx, id, now, by, "draft", class.as_str()).await?;
        }
        Step::Countersign => {
            need(p.state == State::Drafted)?;
            sqlx::query(&set_state(State::Countersigned))
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            event(&mut tx, id, now, by, "countersign", "").await?;
            let office = office_of(&mut tx, p.district_id).await?;
            notify(
                &mut tx,
                &office,
                id,
                "答复已会签，请审核",
                "the reply is countersigned; please check it",
                now,
            )
            .await?;
        }
        Step::Check { class } => {
            need(p.state == State::Countersigned)?;
            let class = match class.as_deref().filter(|c| !c.trim().is_empty()) {
                Some(c) => parse_class(c)?.as_str().to_string(),
                None => p.reply_class.clone(),
            };
            sqlx::query("UPDATE consult_proposals SET state = 'checked', reply_class = $1, updated_at = $2 WHERE id = $3 AND state = 'countersigned'")
                .bind(&class).bind(now).bind(id).execute(&mut *tx).await?;
            let note = if class != p.reply_class {
                format!("{} → {class}", p.reply_class)
            } else {
                class.clone()
            };
            event(&mut tx, id, now, by, "check", &note).await?;
        }
        Step::Reply => {
            need(p.state == State::Checked)?;
            let followup = if p.reply_class == "B" { "pending" } else { "" };
            sqlx::query("UPDATE consult_proposals SET state = 'replied', replied_at = $1, followup = $2, updated_at = $1 WHERE id = $3 AND state = 'checked'")
                .bind(now).bind(followup).bind(id).execute(&mut *tx).await?;
            event(&mut tx, id, now, by, "reply", &p.reply_class).await?;
            notify(
                &mut tx,
                &proposer,
                id,
                "已正式答复，请评价",
                "replied; please rate the reply",
                now,
            )
            .await?;
        }
        Step::Extend { reason } => {
            need(matches!(
                p.state,
                State::Assigned
                    | State::Handling
                    | State::Drafted
                    | State::Countersigned
                    | State::Checked
            ))?;
            let reason = text(&reason, 4, 2000, "延期理由", "reason")?;
            if p.extended {
                return Err(ConsultError::of(Code::AlreadyExtended));
            }
            let from = p.assigned_at.unwrap_or(now);
            sqlx::query("UPDATE consult_proposals SET extended = 1, extension_reason = $1, reply_due = $2, updated_at = $3 WHERE id = $4 AND extended = 0")
                .bind(&reason).bind(cal.deadline(from, periods.max_reply_days)).bind(now).bind(id).execute(&mut *tx).await?;
            event(&mut tx, id, now, by, "extend", &reason).await?;
        }
        Step::Rate { work, result } => {
            need(p.state == State::Replied)?;
            let bad = || {
                ConsultError::field(platform::bi!(
                    "评价须为 satisfied（满意）、basic（基本满意）或 unsatisfied（不满意）。",
                    "ratings are satisfied, basic or unsatisfied"
                ))
            };
            let work = Rating::parse(&work).ok_or_else(bad)?;
            let result = Rating::parse(&result).ok_or_else(bad)?;
            let unhappy = work == Rating::Unsatisfied || result == Rating::Unsatisfied;
            if unhappy && p.round == 1 {
                // 不满意: a second handling with its own deadline; the first reply stays in
                // the history, the ratings are kept for the statistics.
                sqlx::query(
                    "UPDATE consult_proposals SET state = 'second_handling', round = 2, rating_work = $1, rating_result = $2, \
                     reply_due = $3, updated_at = $4 WHERE id = $5 AND state = 'replied'",
                )
                .bind(work.as_str()).bind(result.as_str()).bind(cal.deadline(now, periods.second_days)).bind(now).bind(id)
                .execute(&mut *tx).await?;
                let lead = staff_of(state, p.lead_unit_id.unwrap_or_default()).await?;
                notify(
                    &mut tx,
                    &lead,
                    id,
                    "提案人不满意，请二次办理",
                    "the proposer is unsatisfied: handle it again",
                    now,
                )
                .await?;
            } else {
                sqlx::query("UPDATE consult_proposals SET state = 'closed', rating_work = $1, rating_result = $2, updated_at = $3 WHERE id = $4 AND state = 'replied'")
                    .bind(work.as_str()).bind(result.as_str()).bind(now).bind(id).execute(&mut *tx).await?;
            }
            event(
                &mut tx,
                id,
                now,
                by,
                "rate",
                &format!("{} / {}", work.as_str(), result.as_str()),
            )
            .await?;
        }
        Step::FollowupDone { note } => {
            if p.followup != "pending" {
                return Err(wrong_state(f));
            }
            let note = text(&note, 4, 2000, "落实情况", "note")?;
            sqlx::query("UPDATE consult_proposals SET followup = 'delivered', updated_at = $1 WHERE id = $2 AND followup = 'pending'")
                .bind(now).bind(id).execute(&mut *tx).await?;
            event(&mut tx, id, now, by, "followup_done", &note).await?;
            notify(
                &mut tx,
                &proposer,
                id,
                "列入计划的事项已落实",
                "the planned measure is delivered",
                now,
            )
            .await?;
        }
        Step::Consent { publish } => {
            sqlx::query("UPDATE consult_proposals SET consent = $1, updated_at = $2 WHERE id = $3")
                .bind(publish as i64)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            event(
                &mut tx,
                id,
                now,
                by,
                if publish {
                    "consent"
                } else {
                    "withdraw_consent"
                },
                "",
            )
            .await?;
        }
    }
    if republish {
        crate::library_copy::enqueue(state, &mut tx, id).await?;
    }
    tx.commit().await?;
    if republish {
        state.jobs.wake();
    }
    Ok(())
}

fn parse_class(raw: &str) -> ConsultResult<ReplyClass> {
    ReplyClass::parse(&raw.trim().to_uppercase()).ok_or_else(|| {
        ConsultError::field(platform::bi!(
            "答复类别须为 A、B 或 C。",
            "class must be A, B or C"
        ))
    })
}
