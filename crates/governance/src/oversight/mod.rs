//! Oversight of social organisations (SPEC G2): annual reports (年报) with review and the
//! abnormal-activity list (活动异常名录), grade assessments (等级评估, 1A–5A) with brand
//! marks, and the accounts that act for an organisation (its own staff). Every decision
//! is checked by `authorize` and written to the audit log. "Today" is the injected clock's
//! date in UTC+8; see ADR 010 and 011.

pub mod api;
pub mod demo;
pub mod pages;

use crate::authz::{Action, GovActor, Scope, authorize};
use crate::dates::Day;
use crate::error::{GovError, GovResult};
use crate::model::{Bind, Org, ScopeFilter, Sql, UnitPath};
use crate::service::{self, OrgInput};
use platform::db::Db;
use platform::web::Lang;
use platform::{AppState, audit, outbox};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;

/// Today in the district (by the injected clock).
pub fn today(state: &AppState) -> Day {
    Day::at(state.now())
}

async fn record(
    state: &AppState,
    tx: &mut platform::db::Tx,
    actor: &GovActor,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> GovResult<()> {
    audit::append(
        tx,
        audit::Entry {
            at: state.now(),
            actor_id: actor.id(),
            action,
            subject: &subject,
            detail,
        },
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Annual reports

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Submitted,
    Accepted,
    Returned,
}

impl ReportStatus {
    pub fn parse(s: &str) -> Option<ReportStatus> {
        match s.trim() {
            "submitted" => Some(ReportStatus::Submitted),
            "accepted" => Some(ReportStatus::Accepted),
            "returned" => Some(ReportStatus::Returned),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Submitted => "submitted",
            ReportStatus::Accepted => "accepted",
            ReportStatus::Returned => "returned",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ReportStatus::Submitted => lang.pick("待审核", "Awaiting review"),
            ReportStatus::Accepted => lang.pick("已通过", "Accepted"),
            ReportStatus::Returned => lang.pick("已退回", "Returned"),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
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
    pub late: bool,
    /// How many times it was returned.
    pub returns: i64,
    pub submitted_at: i64,
    pub reviewed_at: i64,
    pub review_note: String,
}

const REPORT_COLUMNS: &str = "r.id, r.org_id, o.name, u.name, u.path, r.year, r.status, r.activities, r.events, \
    r.beneficiaries, r.income_yuan, r.expenditure_yuan, r.staff_count, r.volunteers, r.late, r.returns, \
    r.submitted_at, r.reviewed_at, r.review_note";
const REPORT_FROM: &str = "governance_annual_reports r JOIN governance_orgs o ON o.id = r.org_id \
    JOIN governance_units u ON u.id = o.unit_id";

fn report_from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<AnnualReport> {
    let bad =
        |what: &str| sqlx::Error::Decode(format!("governance_annual_reports: bad {what}").into());
    let path: String = row.try_get(4)?;
    let status: String = row.try_get(6)?;
    Ok(AnnualReport {
        id: row.try_get(0)?,
        org_id: row.try_get(1)?,
        org_name: row.try_get(2)?,
        unit_name: row.try_get(3)?,
        unit_path: UnitPath::parse(&path).ok_or_else(|| bad("path"))?,
        year: row.try_get(5)?,
        status: ReportStatus::parse(&status).ok_or_else(|| bad("status"))?,
        activities: row.try_get(7)?,
        events: row.try_get(8)?,
        beneficiaries: row.try_get(9)?,
        income_yuan: row.try_get(10)?,
        expenditure_yuan: row.try_get(11)?,
        staff_count: row.try_get(12)?,
        volunteers: row.try_get(13)?,
        late: row.try_get::<i64, _>(14)? != 0,
        returns: row.try_get(15)?,
        submitted_at: row.try_get(16)?,
        reviewed_at: row.try_get(17)?,
        review_note: row.try_get(18)?,
    })
}

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
                "missing_field",
                "year",
                "请填写年报所属年度。",
                "year is required",
            )
        })?;
        if !(2000..=today.year()).contains(&year) {
            return Err(GovError::invalid(
                "invalid_year",
                "year",
                format!("年报年度须在 2000 到 {} 之间。", today.year()),
                format!("the report year must be from 2000 to {}", today.year()),
            ));
        }
        let activities = service::text(
            "activities",
            self.activities.as_deref().unwrap_or(""),
            10,
            4000,
            "年度活动情况",
            "the account of the year's activities",
        )?;
        let n = |v: Option<i64>, field: &'static str, zh: &str, en: &str| {
            service::count(field, v.unwrap_or(0), zh, en)
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
            "invalid_year",
            "year",
            "年度须在 2000 到 2100 之间。",
            "the year must be from 2000 to 2100",
        ));
    }
    let due = Day::parse(due_on)
        .filter(|d| d.year() > year)
        .ok_or_else(|| {
            GovError::invalid(
                "invalid_date",
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
    let text = format!("SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} WHERE r.id = $1");
    let row = sqlx::query(&text).bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(report_from_row).transpose()
}

pub async fn org_reports(db: &Db, org_id: i64) -> sqlx::Result<Vec<AnnualReport>> {
    let text = format!(
        "SELECT {REPORT_COLUMNS} FROM {REPORT_FROM} WHERE r.org_id = $1 ORDER BY r.year DESC"
    );
    let rows = sqlx::query(&text).bind(org_id).fetch_all(&db.pool).await?;
    rows.iter().map(report_from_row).collect()
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
    rows.iter().map(report_from_row).collect()
}

/// Submits (or, after a return, resubmits) an organisation's report for a year.
pub async fn submit_report(
    state: &AppState,
    actor: &GovActor,
    org_id: i64,
    input: &ReportInput,
) -> GovResult<AnnualReport> {
    let org = service::load_org(state, actor, org_id, Action::SubmitReport).await?;
    let today = today(state);
    let draft = input.validate(today)?;
    if org.registered_on.as_str() > Day::year_end(draft.year).to_string().as_str() {
        return Err(GovError::invalid(
            "not_registered_that_year",
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
                "report_accepted",
                "year",
                format!("{} 年度年报已审核通过，不能再次报送。", draft.year),
                format!("the {} report was accepted already", draft.year),
            ));
        }
        Some((_, s)) if s == ReportStatus::Submitted.as_str() => {
            return Err(GovError::conflict(
                "report_pending",
                "year",
                format!("{} 年度年报正在审核中，请等待审核结果。", draft.year),
                format!("the {} report is awaiting review", draft.year),
            ));
        }
        Some((id, _)) => {
            sqlx::query(
                "UPDATE governance_annual_reports SET status = 'submitted', activities = $1, events = $2, \
                 beneficiaries = $3, income_yuan = $4, expenditure_yuan = $5, staff_count = $6, volunteers = $7, \
                 late = $8, submitted_by = $9, submitted_at = $10 WHERE id = $11",
            )
            .bind(&draft.activities)
            .bind(draft.events)
            .bind(draft.beneficiaries)
            .bind(draft.income_yuan)
            .bind(draft.expenditure_yuan)
            .bind(draft.staff_count)
            .bind(draft.volunteers)
            .bind(late as i64)
            .bind(actor.id())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            id
        }
        None => {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO governance_annual_reports (org_id, year, status, activities, events, beneficiaries, \
                 income_yuan, expenditure_yuan, staff_count, volunteers, late, submitted_by, submitted_at) \
                 VALUES ($1, $2, 'submitted', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(org.id)
            .bind(draft.year)
            .bind(&draft.activities)
            .bind(draft.events)
            .bind(draft.beneficiaries)
            .bind(draft.income_yuan)
            .bind(draft.expenditure_yuan)
            .bind(draft.staff_count)
            .bind(draft.volunteers)
            .bind(late as i64)
            .bind(actor.id())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            id
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
    service::load_org(state, actor, report.org_id, action).await?;
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
    let note = service::text("note", note, 0, 1000, "审核意见", "the review note")?;
    if decision == Decision::Return && note.chars().count() < 4 {
        return Err(GovError::invalid(
            "reasons_required",
            "note",
            "退回年报时请写明退回原因（至少 4 个字），以便组织修改后重新报送。",
            "give the reasons for returning the report (at least 4 characters) so the organisation can fix it",
        ));
    }
    if report.status != ReportStatus::Submitted {
        return Err(GovError::conflict(
            "report_not_pending",
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
            "report_not_pending",
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
        "SELECT o.id, o.name, u.id, u.name, u.path, d.year, d.due_on, r.status \
         FROM governance_orgs o JOIN governance_units u ON u.id = o.unit_id \
         CROSS JOIN governance_report_deadlines d \
         LEFT JOIN governance_annual_reports r ON r.org_id = o.id AND r.year = d.year \
         WHERE {} ORDER BY d.year DESC, u.path, o.name, o.id",
        sql.where_clause()
    );
    let rows = sql.query(&text).fetch_all(&db.pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let path: String = row.try_get(4)?;
        let Some(unit_path) = UnitPath::parse(&path) else {
            continue;
        };
        out.push(AbnormalEntry {
            org_id: row.try_get(0)?,
            org_name: row.try_get(1)?,
            unit_id: row.try_get(2)?,
            unit_name: row.try_get(3)?,
            unit_path,
            year: row.try_get(5)?,
            due_on: row.try_get(6)?,
            report_status: row.try_get(7)?,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Grade assessment

/// The sections of the 1,000-point score sheet: (code, 中文, English, maximum).
pub const SECTIONS: [(&str, &str, &str, i64); 4] = [
    ("basic", "基础条件", "Basic conditions", 100),
    ("governance", "内部治理", "Internal governance", 300),
    ("performance", "工作绩效", "Performance", 450),
    ("reputation", "社会评价", "Social evaluation", 150),
];

/// How long a grade stands (ADR 011).
pub const GRADE_VALID_YEARS: i64 = 5;

pub fn grade_label(grade: i64, lang: Lang) -> String {
    if (1..=5).contains(&grade) {
        format!("{grade}A")
    } else {
        lang.pick("未达等级", "Below 1A").to_string()
    }
}

/// Minimum totals for 1A … 5A (index 0 is 1A), strictly rising.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Cutoffs(pub [i64; 5]);

impl Cutoffs {
    pub fn parse(v: [i64; 5]) -> GovResult<Cutoffs> {
        let ok = v.iter().all(|n| (1..=1000).contains(n)) && v.windows(2).all(|w| w[0] < w[1]);
        if !ok {
            return Err(GovError::invalid(
                "invalid_cutoffs",
                "cutoffs",
                "各等级最低分须在 1 到 1000 之间，且 1A < 2A < 3A < 4A < 5A。",
                "each grade's minimum must be 1 to 1000, rising from 1A to 5A",
            ));
        }
        Ok(Cutoffs(v))
    }

    /// The grade a total earns (0: below 1A).
    pub fn grade(&self, total: i64) -> i64 {
        (1..=5)
            .rev()
            .find(|g| total >= self.0[(*g - 1) as usize])
            .unwrap_or(0)
    }
}

pub async fn cutoffs(db: &Db) -> sqlx::Result<Cutoffs> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT grade, min_score FROM governance_grade_cutoffs ORDER BY grade")
            .fetch_all(&db.pool)
            .await?;
    let mut v = [500, 600, 700, 800, 900];
    for (g, min) in rows {
        if (1..=5).contains(&g) {
            v[(g - 1) as usize] = min;
        }
    }
    Ok(Cutoffs(v))
}

pub async fn set_cutoffs(state: &AppState, actor: &GovActor, v: [i64; 5]) -> GovResult<Cutoffs> {
    authorize(actor, Action::SetRules, &Scope::Anywhere)?;
    let c = Cutoffs::parse(v)?;
    let mut tx = state.db.begin().await?;
    for (i, min) in c.0.iter().enumerate() {
        sqlx::query(
            "UPDATE governance_grade_cutoffs SET min_score = $1, updated_by = $2, updated_at = $3 WHERE grade = $4",
        )
        .bind(*min)
        .bind(actor.id())
        .bind(state.now())
        .bind(i as i64 + 1)
        .execute(&mut *tx)
        .await?;
    }
    record(
        state,
        &mut tx,
        actor,
        "governance.grade.cutoffs",
        "governance_grade_cutoffs".into(),
        serde_json::json!({ "cutoffs": c.0 }),
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

#[derive(Clone, Debug, Serialize)]
pub struct Assessment {
    pub id: i64,
    pub org_id: i64,
    pub assessed_on: String,
    /// Scores per section, in the order of [`SECTIONS`].
    pub scores: [i64; 4],
    pub total: i64,
    /// 1–5 (1A–5A), 0 below 1A.
    pub grade: i64,
    pub valid_until: String,
    pub note: String,
}

impl Assessment {
    /// Whether the grade has lapsed on `today` (it is valid up to the day before `valid_until`).
    pub fn expired(&self, today: Day) -> bool {
        today.to_string() >= self.valid_until
    }
}

const ASSESSMENT_COLUMNS: &str = "a.id, a.org_id, a.assessed_on, a.score_basic, a.score_governance, \
    a.score_performance, a.score_reputation, a.total, a.grade, a.valid_until, a.note";

fn assessment_from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<Assessment> {
    Ok(Assessment {
        id: row.try_get(0)?,
        org_id: row.try_get(1)?,
        assessed_on: row.try_get(2)?,
        scores: [
            row.try_get(3)?,
            row.try_get(4)?,
            row.try_get(5)?,
            row.try_get(6)?,
        ],
        total: row.try_get(7)?,
        grade: row.try_get(8)?,
        valid_until: row.try_get(9)?,
        note: row.try_get(10)?,
    })
}

pub async fn org_assessments(db: &Db, org_id: i64) -> sqlx::Result<Vec<Assessment>> {
    let text = format!(
        "SELECT {ASSESSMENT_COLUMNS} FROM governance_assessments a WHERE a.org_id = $1 \
         ORDER BY a.assessed_on DESC, a.id DESC"
    );
    let rows = sqlx::query(&text).bind(org_id).fetch_all(&db.pool).await?;
    rows.iter().map(assessment_from_row).collect()
}

/// The latest assessment of every organisation within the scope.
pub async fn latest_assessments(
    db: &Db,
    scope: &ScopeFilter,
) -> sqlx::Result<HashMap<i64, Assessment>> {
    let mut sql = Sql::default();
    scope.apply(&mut sql, "u.path");
    let text = format!(
        "SELECT {ASSESSMENT_COLUMNS} FROM governance_assessments a \
         JOIN governance_orgs o ON o.id = a.org_id JOIN governance_units u ON u.id = o.unit_id \
         WHERE {} ORDER BY a.assessed_on, a.id",
        sql.where_clause()
    );
    let rows = sql.query(&text).fetch_all(&db.pool).await?;
    let mut out = HashMap::new();
    for row in &rows {
        let a = assessment_from_row(row)?;
        out.insert(a.org_id, a);
    }
    Ok(out)
}

/// An assessment as a form or the API sends it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    pub assessed_on: Option<String>,
    pub score_basic: Option<i64>,
    pub score_governance: Option<i64>,
    pub score_performance: Option<i64>,
    pub score_reputation: Option<i64>,
    #[serde(default)]
    pub note: String,
    /// Mark (or unmark) the organisation as a brand organisation; unchanged when absent.
    pub brand: Option<bool>,
    /// Name its leading figure (empty: none); unchanged when absent.
    pub leading_figure: Option<String>,
}

/// Records an assessment: the grade follows from the total and the current cut-offs and
/// stands for five years from the assessment date.
pub async fn assess(
    state: &AppState,
    actor: &GovActor,
    org_id: i64,
    input: &AssessmentInput,
) -> GovResult<Assessment> {
    let org = service::load_org(state, actor, org_id, Action::View).await?;
    may_assess(actor, &org)?;
    let today = today(state);
    let assessed_on = input
        .assessed_on
        .as_deref()
        .and_then(Day::parse)
        .filter(|d| *d <= today)
        .ok_or_else(|| {
            GovError::invalid(
                "invalid_date",
                "assessed_on",
                "评估日期须为 YYYY-MM-DD 格式的有效日期，且不晚于今天。",
                "the assessment date must be a real date as YYYY-MM-DD, not in the future",
            )
        })?;
    let raw = [
        input.score_basic,
        input.score_governance,
        input.score_performance,
        input.score_reputation,
    ];
    let mut scores = [0i64; 4];
    for (i, (code, zh, en, max)) in SECTIONS.iter().enumerate() {
        match raw[i] {
            Some(v) if (0..=*max).contains(&v) => scores[i] = v,
            _ => {
                return Err(GovError::invalid(
                    "invalid_score",
                    code,
                    format!("“{zh}”得分须为 0 到 {max} 之间的整数。"),
                    format!("the {en} score must be a whole number from 0 to {max}"),
                ));
            }
        }
    }
    let note = service::text("note", &input.note, 0, 1000, "评估意见", "the note")?;
    let leading = match &input.leading_figure {
        Some(v) => Some(service::text(
            "leading_figure",
            v,
            0,
            50,
            "领军人物",
            "the leading figure",
        )?),
        None => None,
    };
    let total: i64 = scores.iter().sum();
    let grade = cutoffs(&state.db).await?.grade(total);
    let valid_until = assessed_on.plus_years(GRADE_VALID_YEARS);
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO governance_assessments (org_id, assessed_on, score_basic, score_governance, score_performance, \
         score_reputation, total, grade, valid_until, note, assessed_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(org.id)
    .bind(assessed_on.to_string())
    .bind(scores[0])
    .bind(scores[1])
    .bind(scores[2])
    .bind(scores[3])
    .bind(total)
    .bind(grade)
    .bind(valid_until.to_string())
    .bind(&note)
    .bind(actor.id())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let brand = input.brand.unwrap_or(org.brand);
    let leading = leading.unwrap_or_else(|| org.leading_figure.clone());
    if brand != org.brand || leading != org.leading_figure {
        sqlx::query(
            "UPDATE governance_orgs SET brand = $1, leading_figure = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(brand as i64)
        .bind(&leading)
        .bind(now)
        .bind(org.id)
        .execute(&mut *tx)
        .await?;
        outbox::emit(
            &mut tx,
            now,
            "governance.org.updated",
            org.id,
            serde_json::json!({ "unit_id": org.unit_id }),
        )
        .await?;
    }
    record(
        state,
        &mut tx,
        actor,
        "governance.grade.assess",
        format!("governance_org:{}", org.id),
        serde_json::json!({ "assessment_id": id, "assessed_on": assessed_on, "scores": scores,
                            "total": total, "grade": grade, "brand": brand, "leading_figure": leading }),
    )
    .await?;
    tx.commit().await?;
    Ok(Assessment {
        id,
        org_id: org.id,
        assessed_on: assessed_on.to_string(),
        scores,
        total,
        grade,
        valid_until: valid_until.to_string(),
        note,
    })
}

/// Assessments are the district's: staff of the organisation's district record them.
pub fn may_assess(actor: &GovActor, org: &Org) -> GovResult<()> {
    service::district_right(actor, Action::AssessGrade, &org.unit_path.root_path())
}

// ---------------------------------------------------------------------------------------
// Organisation staff and profile

#[derive(Clone, Debug, Serialize)]
pub struct StaffAccount {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

pub async fn org_staff(db: &Db, org_id: i64) -> sqlx::Result<Vec<StaffAccount>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT p.id, p.username, p.display_name FROM governance_org_staff s \
         JOIN platform_users p ON p.id = s.user_id WHERE s.org_id = $1 ORDER BY p.username",
    )
    .bind(org_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, username, display_name)| StaffAccount {
            user_id,
            username,
            display_name,
        })
        .collect())
}

/// Links an account to an organisation as its staff (unit administrators over the
/// organisation's home unit; `actor` None: an operator on the CLI or the demo seed).
pub async fn link_staff(
    state: &AppState,
    actor: Option<&GovActor>,
    org_id: i64,
    username: &str,
) -> GovResult<i64> {
    if let Some(a) = actor {
        service::load_org(state, a, org_id, Action::ManageOrgStaff).await?;
    }
    let user = service::user_id_by_name(&state.db, username)
        .await?
        .ok_or_else(|| {
            GovError::invalid(
                "unknown_user",
                "username",
                format!("没有名为 {} 的账号。", username.trim()),
                format!("there is no account named {}", username.trim()),
            )
        })?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM governance_org_staff WHERE user_id = $1 AND org_id = $2")
        .bind(user)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO governance_org_staff (user_id, org_id, granted_by, granted_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user)
    .bind(org_id)
    .bind(actor.and_then(|a| a.id()))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: actor.and_then(|a| a.id()),
            action: "governance.org_staff.link",
            subject: &format!("platform_user:{user}"),
            detail: serde_json::json!({ "org_id": org_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Removes an account's link to an organisation (unit administrators over it); audited.
pub async fn unlink_staff(
    state: &AppState,
    actor: &GovActor,
    org_id: i64,
    user_id: i64,
) -> GovResult<()> {
    service::load_org(state, actor, org_id, Action::ManageOrgStaff).await?;

    let mut tx = state.db.begin().await?;
    let gone = sqlx::query("DELETE FROM governance_org_staff WHERE user_id = $1 AND org_id = $2")
        .bind(user_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(GovError::NotFound);
    }
    record(
        state,
        &mut tx,
        actor,
        "governance.org_staff.unlink",
        format!("platform_user:{user_id}"),
        serde_json::json!({ "org_id": org_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The part of an organisation's record its own staff keep up to date.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    pub address: Option<String>,
    pub contact_phone: Option<String>,
    pub service_fields: Option<Vec<String>>,
    pub staff_count: Option<i64>,
    pub staff_under_35: Option<i64>,
    pub staff_35_to_54: Option<i64>,
    pub staff_55_plus: Option<i64>,
    pub volunteers: Option<i64>,
}

/// Changes the profile fields (and only those); absent fields keep their value.
pub async fn update_profile(
    state: &AppState,
    actor: &GovActor,
    org_id: i64,
    p: &ProfileInput,
) -> GovResult<Org> {
    let org = service::load_org(state, actor, org_id, Action::EditProfile).await?;
    let mut input = OrgInput::from_org(&org);
    macro_rules! take {
        ($($f:ident),*) => { $( if p.$f.is_some() { input.$f = p.$f.clone(); } )* };
    }
    take!(
        address,
        contact_phone,
        service_fields,
        staff_count,
        staff_under_35,
        staff_35_to_54,
        staff_55_plus,
        volunteers
    );
    let draft = service::validate(&input, state.now())?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE governance_orgs SET address = $1, contact_phone = $2, staff_count = $3, staff_under_35 = $4, \
         staff_35_to_54 = $5, staff_55_plus = $6, volunteers = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(&draft.address)
    .bind(&draft.contact_phone)
    .bind(draft.staff.count)
    .bind(draft.staff.under_35)
    .bind(draft.staff.from_35_to_54)
    .bind(draft.staff.from_55)
    .bind(draft.volunteers)
    .bind(now)
    .bind(org.id)
    .execute(&mut *tx)
    .await?;
    service::write_fields(&mut tx, org.id, &draft.service_fields).await?;
    outbox::emit(
        &mut tx,
        now,
        "governance.org.updated",
        org.id,
        serde_json::json!({ "unit_id": org.unit_id }),
    )
    .await?;
    record(
        state,
        &mut tx,
        actor,
        "governance.org.profile",
        format!("governance_org:{}", org.id),
        serde_json::json!({
            "changes": service::changes(&OrgInput::from_org(&org), &OrgInput::from_draft(&draft)),
        }),
    )
    .await?;
    tx.commit().await?;
    crate::model::find_org(&state.db, org.id)
        .await?
        .ok_or(GovError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sheet_has_1000_points() {
        assert_eq!(SECTIONS.iter().map(|s| s.3).sum::<i64>(), 1000);
    }

    #[test]
    fn cutoffs_rise_and_grade() {
        let c = Cutoffs::parse([500, 600, 700, 800, 900]).unwrap();
        assert_eq!(c.grade(1000), 5);
        assert_eq!(c.grade(900), 5);
        assert_eq!(c.grade(899), 4);
        assert_eq!(c.grade(500), 1);
        assert_eq!(c.grade(499), 0);
        assert!(Cutoffs::parse([500, 600, 600, 800, 900]).is_err());
        assert!(Cutoffs::parse([0, 600, 700, 800, 900]).is_err());
        assert!(Cutoffs::parse([500, 600, 700, 800, 1001]).is_err());
    }

    #[test]
    fn grades_lapse_on_the_fifth_anniversary() {
        let a = Assessment {
            id: 1,
            org_id: 1,
            assessed_on: "2021-06-15".into(),
            scores: [0; 4],
            total: 0,
            grade: 3,
            valid_until: "2026-06-15".into(),
            note: String::new(),
        };
        assert!(!a.expired(Day::parse("2026-06-14").unwrap()));
        assert!(a.expired(Day::parse("2026-06-15").unwrap()));
    }
}
