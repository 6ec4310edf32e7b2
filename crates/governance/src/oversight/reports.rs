//! Annual reports (年报): the yearly deadline, submission by an organisation's staff, review
//! by the registering unit, and the abnormal-activity list of those overdue.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::dates::Day;
use crate::dates::today;
use crate::error::{GovError, GovResult};
use crate::input;
use crate::listing::AnyQuery;
use crate::listing::Listing;
use crate::registry::model::Org;
use crate::registry::orgs;
use crate::registry::profiles::org_staff;
use crate::trail::record;
use gov_core::Bind;
use gov_core::GovActor;
use gov_core::ScopeFilter;
use gov_core::Sql;
use gov_core::UnitPath;
use platform::AppState;
use platform::db::Db;
use platform::web::Code;
use platform::web::Lang;
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, Row};
use std::marker::PhantomData;

// ---------------------------------------------------------------------------------------
// Annual reports

platform::vocabulary! {
    ReportStatus {
        Submitted = "submitted", "待审核", "Awaiting review";
        Accepted = "accepted", "已通过", "Accepted";
        Returned = "returned", "已退回", "Returned";
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AnnualReport {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub unit_name: String,
    #[serde(skip)]
    pub unit_path: UnitPath,
    pub year: i64,
    pub status: ReportStatus,
    pub activities: String,
    pub events: i64,
    pub beneficiaries: i64,
    pub income_yuan: i64,
    pub expenditure_yuan: i64,
    pub staff_count: i64,
    pub volunteers: i64,
    /// Submitted after the year's deadline.
    #[sqlx(try_from = "platform::db::Flag")]
    pub late: bool,
    /// How many times it was returned.
    pub returns: i64,
    pub submitted_at: i64,
    pub reviewed_at: i64,
    pub review_note: String,
}

const REPORT_COLUMNS: &str = "r.id, r.org_id, o.name AS org_name, u.name AS unit_name, u.path AS unit_path, r.year, r.status, r.activities, r.events, \
    r.beneficiaries, r.income_yuan, r.expenditure_yuan, r.staff_count, r.volunteers, r.late, r.returns, \
    r.submitted_at, r.reviewed_at, r.review_note";

const REPORT_FROM: &str = "governance_annual_reports r JOIN governance_orgs o ON o.id = r.org_id \
    JOIN governance_units u ON u.id = o.unit_id";

/// A report as a form or the API sends it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    pub year: Option<i64>,
    pub activities: Option<String>,
    pub events: Option<i64>,
    pub beneficiaries: Option<i64>,
    pub income_yuan: Option<i64>,
    pub expenditure_yuan: Option<i64>,
    pub staff_count: Option<i64>,
    pub volunteers: Option<i64>,
}

/// A checked report.
#[derive(Clone, Debug)]
pub struct ReportDraft {
    pub year: i64,
    pub activities: String,
    pub events: i64,
    pub beneficiaries: i64,
    pub income_yuan: i64,
    pub expenditure_yuan: i64,
    pub staff_count: i64,
    pub volunteers: i64,
}

impl ReportInput {
    pub fn validate(&self, today: Day) -> GovResult<ReportDraft> {
        let year = self.year.ok_or_else(|| {
            GovError::invalid(
                Code::MissingField,
                "year",
                "请填写年报所属年度。",
                "year is required",
            )
        })?;
        if !(2000..=today.year()).contains(&year) {
            return Err(GovError::invalid(
                Code::InvalidYear,
                "year",
                format!("年报年度须在 2000 到 {} 之间。", today.year()),
                format!("the report year must be from 2000 to {}", today.year()),
            ));
        }
        let activities = input::text(
            "activities",
            self.activities.as_deref().unwrap_or(""),
            10,
            4000,
            "年度活动情况",
            "the account of the year's activities",
        )?;
        let n = |v: Option<i64>, field: &'static str, zh: &str, en: &str| {
            input::count(field, v.unwrap_or(0), zh, en)
        };
        Ok(ReportDraft {
            year,
            activities,
            events: n(self.events, "events", "开展活动次数", "events")?,
            beneficiaries: n(
                self.beneficiaries,
                "beneficiaries",
                "服务人次",
                "beneficiaries",
            )?,
            income_yuan: n(self.income_yuan, "income_yuan", "年度收入", "income")?,
            expenditure_yuan: n(
                self.expenditure_yuan,
                "expenditure_yuan",
                "年度支出",
                "expenditure",
            )?,
            staff_count: n(self.staff_count, "staff_count", "专职人员", "staff")?,
            volunteers: n(self.volunteers, "volunteers", "志愿者", "volunteers")?,
        })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Deadline {
    pub year: i64,
    pub due_on: Day,
}

pub async fn deadlines(db: &Db) -> sqlx::Result<Vec<Deadline>> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT year, due_on FROM governance_report_deadlines ORDER BY year DESC")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(year, d)| {
            Some(Deadline {
                year,
                due_on: Day::parse(&d)?,
            })
        })
        .collect())
}

pub async fn deadline_of(db: &Db, year: i64) -> sqlx::Result<Option<Day>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT due_on FROM governance_report_deadlines WHERE year = $1")
            .bind(year)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.and_then(|r| Day::parse(&r.0)))
}

/// The year whose report an organisation owes: the oldest year that is due (a deadline is
/// set for it, or it is last year) and was returned or never sent, counting only years the
/// organisation was registered in. Last year when nothing is outstanding.
pub async fn due_year(db: &Db, org: &Org, today: Day) -> sqlx::Result<i64> {
    let last = today.year() - 1;
    let mut years: Vec<i64> = deadlines(db)
        .await?
        .into_iter()
        .map(|d| d.year)
        .filter(|y| *y <= last)
        .collect();
    years.push(last);
    let reports = org_reports(db, org.id).await?;
    let outstanding = |y: &i64| {
        org.registered_on.as_str() <= Day::year_end(*y).to_string().as_str()
            && reports
                .iter()
                .find(|r| r.year == *y)
                .is_none_or(|r| r.status == ReportStatus::Returned)
    };
    Ok(years.into_iter().filter(outstanding).min().unwrap_or(last))
}

/// Sets (or moves) the deadline for reports on `year` (platform administrators).
pub async fn set_deadline(
    state: &AppState,
    actor: &GovActor,
    year: i64,
    due_on: &str,
) -> GovResult<Deadline> {
    authorize(actor, Action::SetRules, &Scope::Anywhere)?;
    if !(2000..=2100).contains(&year) {
        return Err(GovError::invalid(
            Code::InvalidYear,
            "year",
            "年度须在 2000 到 2100 之间。",
            "the year must be from 2000 to 2100",
        ));
    }
    let due = Day::parse(due_on)
        .filter(|d| d.year() > year)
        .ok_or_else(|| {
            GovError::invalid(
                Code::InvalidDate,
                "due_on",
                "截止日期须为 YYYY-MM-DD 格式的有效日期，且在年报所属年度之后。",
                "the deadline must be a real date as YYYY-MM-DD, after the report year",
            )
        })?;
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM governance_report_deadlines WHERE year = $1")
        .bind(year)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO governance_report_deadlines (year, due_on, set_by, set_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(year)
    .bind(due.to_string())
    .bind(actor.id())
    .bind(state.now())
    .execute(&mut *tx)
    .await?;
    record(
        state,
        &mut tx,
        actor,
        "governance.report.deadline",
        format!("governance_report_year:{year}"),
        serde_json::json!({ "due_on": due }),
    )
    .await?;
    tx.commit().await?;
    Ok(Deadline { year, due_on: due })
}

pub async fn find_report(db: &Db, id: i64) -> sqlx::Result<Option<AnnualReport>> {
    Listing {
        columns: REPORT_COLUMNS,
        from: REPORT_FROM,
        id: "r.id",
        record: PhantomData,
    }
    .by_id(db, id)
    .await
}

pub async fn org_reports(db: &Db, org_id: i64) -> sqlx::Result<Vec<AnnualReport>> {
    let text = format!(
        "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} WHERE r.org_id = $1 ORDER BY r.year DESC"
    );
    let rows = sqlx::query(&text).bind(org_id).fetch_all(&db.pool).await?;
    rows.iter().map(AnnualReport::from_row).collect()
}

/// Reports within the scope, optionally of one status and year, oldest submission first.
pub async fn list_reports(
    db: &Db,
    scope: &ScopeFilter,
    status: Option<ReportStatus>,
    year: Option<i64>,
) -> sqlx::Result<Vec<AnnualReport>> {
    let mut sql = Sql::default();
    scope.apply(&mut sql, "u.path");
    if let Some(s) = status {
        let p = sql.bind(Bind::Text(s.as_str().into()));
        sql.push(format!("r.status = {p}"));
    }
    if let Some(y) = year {
        let p = sql.bind(Bind::Int(y));
        sql.push(format!("r.year = {p}"));
    }
    let rows = sql
        .page(
            db,
            REPORT_COLUMNS,
            REPORT_FROM,
            "r.submitted_at, r.id",
            1000,
            0,
        )
        .await?;
    rows.iter().map(AnnualReport::from_row).collect()
}

/// Binds a submission's figures, lateness, submitter and time as $1–$10 (both the first
/// submission and a resubmission write them in this order).
fn bind_submission<'q>(
    q: AnyQuery<'q>,
    d: &'q ReportDraft,
    late: bool,
    by: Option<i64>,
    now: i64,
) -> AnyQuery<'q> {
    q.bind(&d.activities)
        .bind(d.events)
        .bind(d.beneficiaries)
        .bind(d.income_yuan)
        .bind(d.expenditure_yuan)
        .bind(d.staff_count)
        .bind(d.volunteers)
        .bind(late as i64)
        .bind(by)
        .bind(now)
}

/// Submits (or, after a return, resubmits) an organisation's report for a year.
pub async fn submit_report(
    state: &AppState,
    actor: &GovActor,
    org_id: i64,
    input: &ReportInput,
) -> GovResult<AnnualReport> {
    let org = orgs::load_org(state, actor, org_id, Action::SubmitReport).await?;
    let today = today(state);
    let draft = input.validate(today)?;
    if org.registered_on.as_str() > Day::year_end(draft.year).to_string().as_str() {
        return Err(GovError::invalid(
            Code::NotRegisteredThatYear,
            "year",
            format!("该组织 {} 年尚未登记，无需报送该年度年报。", draft.year),
            format!(
                "the organisation was not registered in {}; no report is due for it",
                draft.year
            ),
        ));
    }
    let late = deadline_of(&state.db, draft.year)
        .await?
        .is_some_and(|due| today > due);
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let existing: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, status FROM governance_annual_reports WHERE org_id = $1 AND year = $2",
    )
    .bind(org.id)
    .bind(draft.year)
    .fetch_optional(&mut *tx)
    .await?;
    let id = match existing {
        Some((_, s)) if s == ReportStatus::Accepted.as_str() => {
            return Err(GovError::conflict(
                Code::ReportAccepted,
                "year",
                format!("{} 年度年报已审核通过，不能再次报送。", draft.year),
                format!("the {} report was accepted already", draft.year),
            ));
        }
        Some((_, s)) if s == ReportStatus::Submitted.as_str() => {
            return Err(GovError::conflict(
                Code::ReportPending,
                "year",
                format!("{} 年度年报正在审核中，请等待审核结果。", draft.year),
                format!("the {} report is awaiting review", draft.year),
            ));
        }
        Some((id, _)) => {
            let update = sqlx::query(
                "UPDATE governance_annual_reports SET status = 'submitted', activities = $1, events = $2, \
                 beneficiaries = $3, income_yuan = $4, expenditure_yuan = $5, staff_count = $6, volunteers = $7, \
                 late = $8, submitted_by = $9, submitted_at = $10 WHERE id = $11",
            );
            bind_submission(update, &draft, late, actor.id(), now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            id
        }
        None => {
            let insert = sqlx::query(
                "INSERT INTO governance_annual_reports (activities, events, beneficiaries, income_yuan, \
                 expenditure_yuan, staff_count, volunteers, late, submitted_by, submitted_at, org_id, year, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'submitted') RETURNING id",
            );
            bind_submission(insert, &draft, late, actor.id(), now)
                .bind(org.id)
                .bind(draft.year)
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?
        }
    };
    record(
        state,
        &mut tx,
        actor,
        "governance.report.submit",
        format!("governance_annual_report:{id}"),
        serde_json::json!({ "org_id": org.id, "year": draft.year, "late": late }),
    )
    .await?;
    tx.commit().await?;
    find_report(&state.db, id).await?.ok_or(GovError::NotFound)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Return,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s.trim() {
            "accept" => Some(Decision::Accept),
            "return" => Some(Decision::Return),
            _ => None,
        }
    }
}

/// Loads a report the actor may act on as `action` for its organisation (404 out of scope).
pub async fn load_report(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    action: Action,
) -> GovResult<AnnualReport> {
    let report = find_report(&state.db, id)
        .await?
        .ok_or(GovError::NotFound)?;
    orgs::load_org(state, actor, report.org_id, action).await?;
    Ok(report)
}

/// Accepts a submitted report, or returns it with the reasons (the organisation resubmits).
pub async fn review_report(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    decision: Decision,
    note: &str,
) -> GovResult<AnnualReport> {
    let report = load_report(state, actor, id, Action::ReviewReport).await?;
    let note = input::text("note", note, 0, 1000, "审核意见", "the review note")?;
    if decision == Decision::Return && note.chars().count() < 4 {
        return Err(GovError::invalid(
            Code::ReasonsRequired,
            "note",
            "退回年报时请写明退回原因（至少 4 个字），以便组织修改后重新报送。",
            "give the reasons for returning the report (at least 4 characters) so the organisation can fix it",
        ));
    }
    if report.status != ReportStatus::Submitted {
        return Err(GovError::conflict(
            Code::ReportNotPending,
            "status",
            format!(
                "该年报当前状态为“{}”，只有待审核的年报可以审核。",
                report.status.label(Lang::Zh)
            ),
            format!(
                "the report is {}; only reports awaiting review can be reviewed",
                report.status.as_str()
            ),
        ));
    }
    let (status, action) = match decision {
        Decision::Accept => (ReportStatus::Accepted, "governance.report.accept"),
        Decision::Return => (ReportStatus::Returned, "governance.report.return"),
    };
    let staff: Vec<i64> = org_staff(&state.db, report.org_id)
        .await?
        .into_iter()
        .map(|s| s.user_id)
        .collect();
    let mut tx = state.db.begin().await?;
    // Only a still-pending row changes: two reviewers cannot both decide.
    let done = sqlx::query(
        "UPDATE governance_annual_reports SET status = $1, reviewed_by = $2, reviewed_at = $3, review_note = $4, \
         returns = returns + $5 WHERE id = $6 AND status = 'submitted'",
    )
    .bind(status.as_str())
    .bind(actor.id())
    .bind(state.now())
    .bind(&note)
    .bind(i64::from(decision == Decision::Return))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(GovError::conflict(
            Code::ReportNotPending,
            "status",
            "该年报刚刚已被审核。",
            "the report was just reviewed by someone else",
        ));
    }
    record(
        state,
        &mut tx,
        actor,
        action,
        format!("governance_annual_report:{id}"),
        serde_json::json!({ "org_id": report.org_id, "year": report.year, "note": note }),
    )
    .await?;
    notify_review(&mut tx, &report, decision, &staff, state.now()).await?;
    tx.commit().await?;
    find_report(&state.db, id).await?.ok_or(GovError::NotFound)
}

/// Tells the organisation's staff accounts (in the bell) that its report was accepted or
/// returned, inside the review's transaction.
async fn notify_review(
    tx: &mut platform::db::Tx,
    report: &AnnualReport,
    decision: Decision,
    staff: &[i64],
    now: i64,
) -> sqlx::Result<()> {
    let (kind, zh, en, link) = match decision {
        Decision::Accept => (
            "report.accepted",
            "已审核通过",
            "was accepted",
            "/gov/my".to_string(),
        ),
        Decision::Return => (
            "report.returned",
            "被退回，请按审核意见修改后重新报送",
            "was returned; fix it as the review says and submit again",
            format!("/gov/orgs/{}/report", report.org_id),
        ),
    };
    platform::notify::notify_all(
        tx,
        staff,
        kind,
        &format!("{}的 {} 年度报告{zh}。", report.org_name, report.year),
        &format!(
            "The {} annual report of {} {en}.",
            report.year, report.org_name
        ),
        &link,
        now,
    )
    .await
}

/// An organisation on the abnormal-activity list for one report year.
#[derive(Clone, Debug, Serialize)]
pub struct AbnormalEntry {
    pub org_id: i64,
    pub org_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    #[serde(skip)]
    pub unit_path: UnitPath,
    pub year: i64,
    pub due_on: String,
    /// `None`: nothing submitted; `Some("returned")`: returned and not resubmitted.
    pub report_status: Option<String>,
}

/// Organisations within the scope whose report for a year is overdue on `today`: the
/// deadline has passed and no report is awaiting review or accepted (ADR 010). An
/// organisation registered after the year owes no report for it.
pub async fn abnormal(
    db: &Db,
    scope: &ScopeFilter,
    today: Day,
) -> sqlx::Result<Vec<AbnormalEntry>> {
    let mut sql = Sql::default();
    let p = sql.bind(Bind::Text(today.to_string()));
    sql.push(format!("d.due_on < {p}"));
    sql.push("o.registered_on <= (CAST(d.year AS TEXT) || '-12-31')".into());
    sql.push("(r.status IS NULL OR r.status = 'returned')".into());
    scope.apply(&mut sql, "u.path");
    let text = format!(
        "SELECT o.id AS org_id, o.name AS org_name, u.id AS unit_id, u.name AS unit_name, \
         u.path AS unit_path, d.year, d.due_on, r.status \
         FROM governance_orgs o JOIN governance_units u ON u.id = o.unit_id \
         CROSS JOIN governance_report_deadlines d \
         LEFT JOIN governance_annual_reports r ON r.org_id = o.id AND r.year = d.year \
         WHERE {} ORDER BY d.year DESC, u.path, o.name, o.id",
        sql.where_clause()
    );
    let rows = sql.query(&text).fetch_all(&db.pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let path: String = row.try_get("unit_path")?;
        let Some(unit_path) = UnitPath::parse(&path) else {
            continue;
        };
        out.push(AbnormalEntry {
            org_id: row.try_get("org_id")?,
            org_name: row.try_get("org_name")?,
            unit_id: row.try_get("unit_id")?,
            unit_name: row.try_get("unit_name")?,
            unit_path,
            year: row.try_get("year")?,
            due_on: row.try_get("due_on")?,
            report_status: row.try_get("status")?,
        });
    }
    Ok(out)
}
