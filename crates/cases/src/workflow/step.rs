//! What each step does to the case: the state it moves to, the columns it sets, and
//! the timeline entry it writes (one arm per step, inside the caller's transaction).

use super::{Op, Prepared, RETURN_DAYS};
use crate::error::{CaseError, CaseResult};
use crate::model::{Case, CaseState, Supervision};
use platform::db::{Bind, Sql, Tx};
use platform::web::Code;
use serde_json::{Value, json};
use sqlx::Row;

/// What a step did: the timeline entry it writes and the detail for the audit log.
pub(super) struct Outcome {
    /// The event kind (`accepted`, `signed`, …), also the audit action `case.{kind}`.
    pub kind: &'static str,
    pub note: String,
    /// Whether the reporter sees the entry on the timeline.
    pub public: bool,
    pub detail: Value,
}

impl Outcome {
    fn new(kind: &'static str, note: impl Into<String>, public: bool, detail: Value) -> Outcome {
        Outcome {
            kind,
            note: note.into(),
            public,
            detail,
        }
    }
}

/// The columns a step sets, each value bound with its type.
#[derive(Default)]
struct Changes(Sql);

impl Changes {
    /// Starts with the state the case moves to.
    fn to(state: CaseState) -> Changes {
        Changes::default().value("state", state.as_str())
    }

    fn value(mut self, col: &str, v: impl Into<Bind>) -> Changes {
        self.0.eq(col, v);
        self
    }

    /// A column set to an expression of the value (`COALESCE(col, $n)`: `{}` marks it).
    fn expr(mut self, col: &str, template: &str, v: impl Into<Bind>) -> Changes {
        let p = self.0.bind(v);
        self.0
            .push(format!("{col} = {}", template.replace("{}", &p)));
        self
    }

    /// Columns set to literal SQL (`NULL`, `0`, `''`).
    fn raw(mut self, assignments: &str) -> Changes {
        self.0.push(assignments.to_string());
        self
    }

    /// A case whose deadlines start over: no card and no reminder yet.
    fn fresh_deadlines(self) -> Changes {
        self.value("supervision", Supervision::None.as_str())
            .raw("reminded = 0")
    }

    /// Writes the changes and `updated_at`.
    async fn write(self, tx: &mut Tx, id: i64, now: i64) -> sqlx::Result<()> {
        let mut sql = self.value("updated_at", now).0;
        let p = sql.bind(id);
        let text = format!("UPDATE cases_cases SET {} WHERE id = {p}", sql.set_list());
        sql.query(&text).execute(&mut **tx).await?;
        Ok(())
    }
}

/// Marks the case changed (for steps that only add to the timeline or extensions).
async fn touch(tx: &mut Tx, id: i64, now: i64) -> sqlx::Result<()> {
    Changes::default().write(tx, id, now).await
}

pub(super) async fn step(
    tx: &mut Tx,
    case: &Case,
    op: &Op,
    prepared: Prepared,
    now: i64,
    uid: Option<i64>,
) -> CaseResult<Outcome> {
    let id = case.id;
    let out = match (op, prepared) {
        (
            Op::Accept {
                note,
                public_description,
            },
            _,
        ) => {
            Changes::to(CaseState::Accepted)
                .value("accepted_at", now)
                .value("public_description", public_description.as_str())
                .write(tx, id, now)
                .await?;
            let published = !public_description.is_empty();
            Outcome::new("accepted", note, true, json!({ "published": published }))
        }
        (Op::Publish { text }, _) => {
            Changes::default()
                .value("public_description", text.as_str())
                .write(tx, id, now)
                .await?;
            // Internal: the resident sees the case, not the centre's editing of it.
            let detail = json!({ "public_description": text });
            Outcome::new("published", text, false, detail)
        }
        (Op::Reject { reason }, _) => {
            Changes::to(CaseState::Rejected)
                .value("closed_at", now)
                .write(tx, id, now)
                .await?;
            Outcome::new("rejected", reason, true, json!({ "reason": reason }))
        }
        (Op::Merge { into }, Prepared::Merge(target)) => {
            Changes::to(CaseState::Merged)
                .value("merged_into", target)
                .value("closed_at", now)
                .write(tx, id, now)
                .await?;
            let detail = json!({ "into": target });
            Outcome::new("merged", format!("#{into}"), true, detail)
        }
        (Op::Dispatch { note, .. }, Prepared::Dispatch { lead, co, times }) => {
            let again = matches!(case.state, CaseState::Dispatched | CaseState::InProgress);
            Changes::to(CaseState::Dispatched)
                .value("lead_unit_id", lead.0)
                .value("lead_path", lead.1.as_str())
                .expr("accepted_at", "COALESCE(accepted_at, {})", now)
                .value("dispatched_at", now)
                .raw("responded_at = NULL")
                .value("respond_by", times.respond_by)
                .value("return_by", times.return_by)
                .value("due_at", times.due_at)
                .fresh_deadlines()
                .write(tx, id, now)
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
            Outcome::new(
                if again { "redispatched" } else { "dispatched" },
                text,
                true,
                json!({ "lead_unit_id": lead.0, "co_unit_ids": co.iter().map(|c| c.0).collect::<Vec<_>>(), "due_at": times.due_at }),
            )
        }
        (Op::Sign, _) => {
            Changes::to(CaseState::InProgress)
                .value("responded_at", now)
                .write(tx, id, now)
                .await?;
            Outcome::new("signed", "", true, json!({}))
        }
        (Op::Return { reason }, _) => {
            if case.return_by.is_some_and(|by| now > by) {
                return Err(CaseError::refused(
                    Code::ReturnClosed,
                    format!(
                        "退回期限（派单后 {RETURN_DAYS} 个工作日）已过，请联系中心改派 (the {RETURN_DAYS}-working-day window to return this case closed on {}; ask the centre to re-dispatch it)",
                        platform::clock::format_ms(case.return_by.unwrap_or_default())
                    ),
                ));
            }
            Changes::to(CaseState::Accepted)
                .raw("lead_unit_id = NULL, lead_path = '', respond_by = NULL, return_by = NULL, due_at = NULL")
                .fresh_deadlines()
                .write(tx, id, now)
                .await?;
            sqlx::query("DELETE FROM cases_co_units WHERE case_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            let detail = json!({ "unit_id": case.lead_unit_id, "reason": reason });
            Outcome::new("returned", reason, true, detail)
        }
        (Op::RequestExtension { days, reason }, _) => {
            let pending: i64 = sqlx::query(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM cases_extensions WHERE case_id = $1 AND state = 'pending'",
            )
            .bind(id)
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?;
            if pending > 0 {
                return Err(CaseError::refused(
                    Code::ExtensionPending,
                    "已有一项延期申请待批复 (an extension request is already waiting for the centre)",
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
            let text = format!("{days} 个工作日：{reason}");
            Outcome::new("extension_requested", text, true, json!({ "days": days }))
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
                return Err(CaseError::refused(
                    Code::AlreadyDecided,
                    "这项延期申请已批复 (this request was already decided)",
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
                Changes::default()
                    .value("due_at", due)
                    .value("supervision", sup.as_str())
                    .raw("reminded = 0")
                    .write(tx, id, now)
                    .await?;
                let detail = json!({ "extension_id": ext, "due_at": due });
                Outcome::new("extension_approved", note, true, detail)
            } else {
                touch(tx, id, now).await?;
                let detail = json!({ "extension_id": ext });
                Outcome::new("extension_denied", note, true, detail)
            }
        }
        (Op::Progress { note }, _) => {
            touch(tx, id, now).await?;
            Outcome::new("progress", note, true, json!({}))
        }
        (Op::Handle { result, photo }, _) => {
            let mut changes = Changes::to(CaseState::Handled)
                .value("handled_at", now)
                .value("result", result.as_str())
                .expr("responded_at", "COALESCE(responded_at, {})", now);
            if let Some((key, kind)) = photo {
                changes = changes
                    .value("result_photo_key", key.as_str())
                    .value("result_photo_type", kind.as_str());
            }
            changes.write(tx, id, now).await?;
            let detail = json!({ "photo": photo.is_some() });
            Outcome::new("handled", result, true, detail)
        }
        (Op::Verify { ok: true, note }, _) => {
            Changes::to(CaseState::Verified).write(tx, id, now).await?;
            Outcome::new("verified", note, true, json!({ "ok": true }))
        }
        (Op::Verify { ok: false, note }, _) => {
            Changes::to(CaseState::InProgress)
                .raw("handled_at = NULL")
                .write(tx, id, now)
                .await?;
            Outcome::new("verify_failed", note, true, json!({ "ok": false }))
        }
        (Op::Close { note }, _) => {
            Changes::to(CaseState::Closed)
                .value("closed_at", now)
                .write(tx, id, now)
                .await?;
            Outcome::new("closed", note, true, json!({}))
        }
        (Op::Reopen { reason }, Prepared::Times(times)) => {
            let changes = if case.lead_unit_id.is_some() && case.state == CaseState::Closed {
                Changes::to(CaseState::Dispatched)
                    .value("dispatched_at", now)
                    .raw("responded_at = NULL, handled_at = NULL, closed_at = NULL")
                    .value("respond_by", times.respond_by)
                    .value("return_by", times.return_by)
                    .value("due_at", times.due_at)
                    .fresh_deadlines()
            } else {
                Changes::to(CaseState::Accepted).raw("closed_at = NULL")
            };
            changes.raw("satisfaction = ''").write(tx, id, now).await?;
            Outcome::new("reopened", reason, true, json!({ "reason": reason }))
        }
        (Op::ReturnVisit { satisfaction, note }, _) => {
            if case.satisfaction.is_some() {
                return Err(CaseError::refused(
                    Code::AlreadyVisited,
                    "这件事件已经回访过 (this case already has its return visit)",
                ));
            }
            Changes::default()
                .value("satisfaction", satisfaction.as_str())
                .write(tx, id, now)
                .await?;
            let text = format!(
                "{}{}{}",
                satisfaction.label(platform::web::Lang::Zh),
                if note.is_empty() { "" } else { "：" },
                note
            );
            let detail = json!({ "satisfaction": satisfaction.as_str() });
            Outcome::new("return_visit", text, true, detail)
        }
        (Op::Urge { note }, Prepared::Calendar(cal)) => {
            let day = crate::supervise::urge(tx, case, &cal, note, now, uid).await?;
            touch(tx, id, now).await?;
            let detail = json!({ "work_day": day.to_string() });
            Outcome::new("urged", note.clone(), false, detail)
        }
        (Op::List { reason, due_on }, _) => {
            crate::supervise::list(tx, id, reason, *due_on, now, uid).await?;
            touch(tx, id, now).await?;
            let text = format!("{reason}（督办期限 {due_on}）");
            let detail = json!({ "reason": reason, "due_on": due_on.to_string() });
            Outcome::new("listed", text, false, detail)
        }
        _ => {
            return Err(CaseError::Internal(anyhow::anyhow!(
                "step without its preparation"
            )));
        }
    };
    Ok(out)
}
