//! Pages for annual reports, the abnormal-activity list, grade assessment, organisation
//! profiles kept by their own staff, and the org-staff landing page.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::dates::today;
use crate::error::{GovError, GovResult, Invalid};
use crate::forms::Flash;
use crate::forms::{Pairs, is_conflict, saved, with_error_status};
use crate::oversight::api::ReportQuery;
use crate::oversight::assess::AssessmentInput;
use crate::oversight::assess::assess;
use crate::oversight::assess::set_cutoffs;
use crate::oversight::reports::AbnormalEntry;
use crate::oversight::reports::Decision;
use crate::oversight::reports::ReportInput;
use crate::oversight::reports::ReportStatus;
use crate::oversight::reports::abnormal;
use crate::oversight::reports::deadlines;
use crate::oversight::reports::list_reports;
use crate::oversight::reports::load_report;
use crate::oversight::reports::org_reports;
use crate::oversight::reports::review_report;
use crate::oversight::reports::set_deadline;
use crate::oversight::reports::submit_report;
use crate::registry::grades::Assessment;
use crate::registry::grades::SECTIONS;
use crate::registry::grades::cutoffs;
use crate::registry::grades::grade_label;
use crate::registry::grades::latest_assessments;
use crate::registry::grades::org_assessments;
use crate::registry::model;
use crate::registry::model::Org;
use crate::registry::model::SERVICE_FIELDS;
use crate::registry::orgs;
use crate::registry::profiles::ProfileInput;
use crate::registry::profiles::org_staff;
use crate::registry::profiles::update_profile;
use gov_core::GovActor;
use platform::web::Code;
use platform::web::Opt;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use platform::AppState;
use platform::web::{Id, Lang, PageCtx, SignedIn, redirect, render};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gov/my", get(my))
        .route("/gov/reports", get(reports))
        .route("/gov/reports/deadline", post(deadline_form))
        .route("/gov/reports/{id}", get(report))
        .route("/gov/reports/{id}/review", post(review_form))
        .route("/gov/abnormal", get(abnormal_page))
        .route("/gov/grades", get(grades))
        .route("/gov/grades/cutoffs", post(cutoffs_form))
        .route(
            "/gov/orgs/{id}/report",
            get(report_form).post(post_org_form::<ReportForm>),
        )
        .route(
            "/gov/orgs/{id}/assess",
            get(assess_form).post(post_org_form::<AssessForm>),
        )
        .route(
            "/gov/orgs/{id}/profile",
            get(profile_form).post(post_org_form::<ProfileForm>),
        )
}

pub fn status_label(s: ReportStatus, lang: Lang) -> &'static str {
    s.label(lang)
}

// ---------------------------------------------------------------------------------------
// What the organisation profile shows about reports, grades and staff

pub struct ReportRow {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub unit_name: String,
    pub year: i64,
    pub status: &'static str,
    pub status_label: &'static str,
    pub late: bool,
    pub returns: i64,
    pub submitted: String,
    pub note: String,
}

fn report_row(r: &crate::oversight::reports::AnnualReport, lang: Lang) -> ReportRow {
    ReportRow {
        id: r.id,
        org_id: r.org_id,
        org_name: r.org_name.clone(),
        unit_name: r.unit_name.clone(),
        year: r.year,
        status: r.status.as_str(),
        status_label: r.status.label(lang),
        late: r.late,
        returns: r.returns,
        submitted: platform::clock::format_ms(r.submitted_at),
        note: r.review_note.clone(),
    }
}

pub struct GradeView {
    pub label: String,
    pub expired: bool,
    pub assessed_on: String,
    pub valid_until: String,
    pub total: i64,
}

fn grade_view(a: &Assessment, today: crate::dates::Day, lang: Lang) -> GradeView {
    GradeView {
        label: grade_label(a.grade, lang),
        expired: a.expired(today),
        assessed_on: a.assessed_on.clone(),
        valid_until: a.valid_until.clone(),
        total: a.total,
    }
}

/// The oversight part of an organisation's profile page.
pub struct OrgOversight {
    pub grade: Option<GradeView>,
    pub reports: Vec<ReportRow>,
    pub staff: Vec<(i64, String)>,
    pub can_report: bool,
    pub can_profile: bool,
    pub can_assess: bool,
    pub can_link: bool,
    pub can_see_staff: bool,
}

pub async fn org_section(state: &AppState, actor: &GovActor, org: &Org) -> GovResult<OrgOversight> {
    let lang = actor.lang;
    let today = today(state);
    let scope = Scope::Org(org.id, &org.unit_path);
    let grade = org_assessments(&state.db, org.id)
        .await?
        .first()
        .map(|a| grade_view(a, today, lang));
    let can_see_staff = actor.can(Action::ReviewReport, &scope);
    Ok(OrgOversight {
        grade,
        reports: org_reports(&state.db, org.id)
            .await?
            .iter()
            .map(|r| report_row(r, lang))
            .collect(),
        staff: if can_see_staff {
            org_staff(&state.db, org.id)
                .await?
                .into_iter()
                .map(|s| (s.user_id, s.username))
                .collect()
        } else {
            Vec::new()
        },
        can_report: actor.can(Action::SubmitReport, &scope),
        can_profile: actor.can(Action::EditProfile, &scope),
        can_assess: crate::oversight::assess::may_assess(actor, org).is_ok(),
        can_link: actor.can(Action::ManageOrgStaff, &scope),
        can_see_staff,
    })
}

// ---------------------------------------------------------------------------------------
// Org staff's landing page

pub struct MyOrg {
    pub id: i64,
    pub name: String,
    pub reports: Vec<ReportRow>,
    pub overdue: Vec<i64>,
}

#[derive(Template)]
#[template(path = "gov_my.html")]
struct MyPage {
    page: PageCtx,
    orgs: Vec<MyOrg>,
}

async fn my(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> GovResult<Response> {
    let lang = actor.lang;
    let today = today(&state);
    let mut orgs = Vec::new();
    for link in &actor.org_links {
        let Some(org) = model::find_org(&state.db, link.org_id).await? else {
            continue;
        };
        let own = gov_core::ScopeFilter(Some(vec![org.unit_path.clone()]));
        let overdue = abnormal(&state.db, &own, today)
            .await?
            .into_iter()
            .filter(|e| e.org_id == org.id)
            .map(|e| e.year)
            .collect();
        orgs.push(MyOrg {
            id: org.id,
            reports: org_reports(&state.db, org.id)
                .await?
                .iter()
                .map(|r| report_row(r, lang))
                .collect(),
            overdue,
            name: org.name,
        });
    }
    Ok(render(&MyPage {
        page: actor.page(lang.pick("我的组织", "My organisation")),
        orgs,
    })?)
}

// ---------------------------------------------------------------------------------------
// Review queue and deadlines

pub struct DeadlineRow {
    pub year: i64,
    pub due_on: String,
    pub passed: bool,
}

#[derive(Template)]
#[template(path = "gov_reports.html")]
struct ReportsPage {
    page: PageCtx,
    rows: Vec<ReportRow>,
    statuses: Vec<Opt>,
    year: String,
    deadlines: Vec<DeadlineRow>,
    today: String,
    can_set: bool,
    v: Pairs,
    error: Option<String>,
}

async fn reports_page(
    state: &AppState,
    actor: &GovActor,
    q: &ReportQuery,
    v: Pairs,
    error: Option<&Invalid>,
) -> GovResult<Response> {
    let lang = actor.lang;
    let (status, year) = q.parse()?;
    // The work queue: what awaits review, unless another status (or all) is asked for.
    let status = if q.status.as_deref().is_none_or(|s| s.trim().is_empty()) {
        Some(ReportStatus::Submitted)
    } else {
        status
    };
    let rows = list_reports(&state.db, &actor.scope(), status, year).await?;
    let cur = status.map(|s| s.as_str()).unwrap_or("all");
    let mut statuses = vec![Opt::current(
        "all",
        lang.pick("全部状态", "Any status"),
        cur,
    )];
    for s in [
        ReportStatus::Submitted,
        ReportStatus::Returned,
        ReportStatus::Accepted,
    ] {
        statuses.push(Opt::current(s.as_str(), s.label(lang), cur));
    }
    let today = today(state);
    let resp = render(&ReportsPage {
        page: actor.page(lang.pick("年报审核", "Annual reports")),
        rows: rows.iter().map(|r| report_row(r, lang)).collect(),
        statuses,
        year: year.map(|y| y.to_string()).unwrap_or_default(),
        deadlines: deadlines(&state.db)
            .await?
            .into_iter()
            .map(|d| DeadlineRow {
                year: d.year,
                due_on: d.due_on.to_string(),
                passed: today > d.due_on,
            })
            .collect(),
        today: today.to_string(),
        can_set: actor.can(Action::SetRules, &Scope::Anywhere),
        v,
        error: error.map(|e| e.message(lang).to_string()),
    })?;
    Ok(with_error_status(resp, error, false))
}

async fn reports(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<ReportQuery>,
) -> GovResult<Response> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    reports_page(&state, &actor, &q, Pairs::default(), None).await
}

async fn deadline_form(
    State(state): State<AppState>,
    actor: GovActor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    authorize(&actor, Action::SetRules, &Scope::Anywhere)?;
    let v = Pairs(pairs);
    let result = async {
        let year = v.int("year")?.unwrap_or(0);
        set_deadline(&state, &actor, year, v.get("due_on")).await
    }
    .await;
    match saved(result)? {
        Ok(_) => Ok(redirect("/gov/reports?saved=1")),
        Err(inv) => reports_page(&state, &actor, &ReportQuery::default(), v, Some(&inv)).await,
    }
}

#[derive(Template)]
#[template(path = "gov_report.html")]
struct ReportPage {
    page: PageCtx,
    r: crate::oversight::reports::AnnualReport,
    status_label: &'static str,
    submitted: String,
    reviewed: String,
    can_review: bool,
    can_resubmit: bool,
    saved: bool,
    note: String,
    error: Option<String>,
}

async fn report_page(
    state: &AppState,
    actor: &GovActor,
    r: crate::oversight::reports::AnnualReport,
    saved: bool,
    note: String,
    error: Option<&Invalid>,
) -> GovResult<Response> {
    let lang = actor.lang;
    let scope = Scope::Org(r.org_id, &r.unit_path);
    let can_review = r.status == ReportStatus::Submitted && actor.can(Action::ReviewReport, &scope);
    let can_resubmit =
        r.status == ReportStatus::Returned && actor.can(Action::SubmitReport, &scope);
    let _ = state;
    let resp = render(&ReportPage {
        page: actor.page(format!(
            "{} · {} {}",
            r.org_name,
            r.year,
            lang.pick("年度年报", "annual report")
        )),
        status_label: r.status.label(lang),
        submitted: platform::clock::format_ms(r.submitted_at),
        reviewed: if r.reviewed_at > 0 {
            platform::clock::format_ms(r.reviewed_at)
        } else {
            String::new()
        },
        can_review,
        can_resubmit,
        saved,
        note,
        error: error.map(|e| e.message(lang).to_string()),
        r,
    })?;
    Ok(with_error_status(
        resp,
        error,
        error.is_some_and(is_conflict),
    ))
}

async fn report(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
    Query(f): Query<Flash>,
) -> GovResult<Response> {
    let r = load_report(&state, &actor, id, Action::View).await?;
    report_page(&state, &actor, r, f.saved.is_some(), String::new(), None).await
}

async fn review_form(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    let r = load_report(&state, &actor, id, Action::ReviewReport).await?;
    let v = Pairs(pairs);
    let result = async {
        let d = Decision::parse(v.get("decision")).ok_or_else(|| {
            GovError::invalid(
                Code::InvalidDecision,
                "decision",
                "请选择“通过”或“退回”。",
                "choose accept or return",
            )
        })?;
        review_report(&state, &actor, r.id, d, v.get("note")).await
    }
    .await;
    match saved(result)? {
        Ok(done) => Ok(redirect(&format!("/gov/reports/{}?saved=1", done.id))),
        Err(inv) => report_page(&state, &actor, r, false, v.get("note").into(), Some(&inv)).await,
    }
}

// ---------------------------------------------------------------------------------------
// Abnormal-activity list

#[derive(Template)]
#[template(path = "gov_abnormal.html")]
struct AbnormalPage {
    page: PageCtx,
    rows: Vec<AbnormalEntry>,
    today: String,
    any_deadline: bool,
}

async fn abnormal_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> GovResult<Response> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let today = today(&state);
    Ok(render(&AbnormalPage {
        page: actor.page(actor.lang.pick("活动异常名录", "Abnormal-activity list")),
        rows: abnormal(&state.db, &actor.scope(), today).await?,
        today: today.to_string(),
        any_deadline: !deadlines(&state.db).await?.is_empty(),
    })?)
}

// ---------------------------------------------------------------------------------------
// Grades: cut-offs and the current grades in scope

pub struct CutoffRow {
    pub grade: i64,
    pub min: i64,
}

pub struct GradeRow {
    pub org_id: i64,
    pub org_name: String,
    pub unit_name: String,
    pub g: GradeView,
    pub brand: bool,
    pub leading_figure: String,
}

#[derive(Template)]
#[template(path = "gov_grades.html")]
struct GradesPage {
    page: PageCtx,
    sections: Vec<(String, i64)>,
    cutoffs: Vec<CutoffRow>,
    rows: Vec<GradeRow>,
    can_set: bool,
    today: String,
    error: Option<String>,
    saved: bool,
}

async fn grades_page(
    state: &AppState,
    actor: &GovActor,
    error: Option<&Invalid>,
    saved: bool,
) -> GovResult<Response> {
    let lang = actor.lang;
    let today = today(state);
    let scope = actor.scope();
    let latest = latest_assessments(&state.db, &scope).await?;
    let orgs = model::list_orgs(
        &state.db,
        &scope,
        &model::OrgFilter::default(),
        1_000_000,
        0,
    )
    .await?;
    let mut rows: Vec<GradeRow> = orgs
        .iter()
        .filter_map(|o| {
            latest.get(&o.id).map(|a| GradeRow {
                org_id: o.id,
                org_name: o.name.clone(),
                unit_name: o.unit_name.clone(),
                g: grade_view(a, today, lang),
                brand: o.brand,
                leading_figure: o.leading_figure.clone(),
            })
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.g.total));
    let c = cutoffs(&state.db).await?;
    let resp = render(&GradesPage {
        page: actor.page(lang.pick("等级评估", "Grade assessment")),
        sections: SECTIONS
            .iter()
            .map(|(_, zh, en, max)| (lang.pick(zh, en).to_string(), *max))
            .collect(),
        cutoffs: (1..=5)
            .rev()
            .map(|g| CutoffRow {
                grade: g,
                min: c.0[(g - 1) as usize],
            })
            .collect(),
        rows,
        can_set: actor.can(Action::SetRules, &Scope::Anywhere),
        today: today.to_string(),
        error: error.map(|e| e.message(lang).to_string()),
        saved,
    })?;
    Ok(with_error_status(resp, error, false))
}

async fn grades(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(f): Query<Flash>,
) -> GovResult<Response> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    grades_page(&state, &actor, None, f.saved.is_some()).await
}

async fn cutoffs_form(
    State(state): State<AppState>,
    actor: GovActor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    authorize(&actor, Action::SetRules, &Scope::Anywhere)?;
    let v = Pairs(pairs);
    let result = async {
        let mut mins = [0i64; 5];
        for (i, field) in ["min_1", "min_2", "min_3", "min_4", "min_5"]
            .into_iter()
            .enumerate()
        {
            mins[i] = v.int(field)?.unwrap_or(0);
        }
        set_cutoffs(&state, &actor, mins).await
    }
    .await;
    match saved(result)? {
        Ok(_) => Ok(redirect("/gov/grades?saved=1")),
        Err(inv) => grades_page(&state, &actor, Some(&inv), false).await,
    }
}

// ---------------------------------------------------------------------------------------
// Submitting a report

#[derive(Template)]
#[template(path = "gov_report_form.html")]
struct ReportFormPage {
    page: PageCtx,
    org: Org,
    v: Pairs,
    error: Option<String>,
    error_field: String,
    history: Vec<ReportRow>,
    due: String,
}

async fn report_form_page(f: Shown<'_>) -> GovResult<Response> {
    let Shown {
        state,
        actor,
        org,
        v,
        error,
    } = f;
    let lang = actor.lang;
    let year = v.get("year").trim().parse::<i64>().unwrap_or(0);
    let due = crate::oversight::reports::deadline_of(&state.db, year)
        .await?
        .map(|d| d.to_string())
        .unwrap_or_default();
    let resp = render(&ReportFormPage {
        page: actor.page(format!(
            "{} · {}",
            org.name,
            lang.pick("报送年报", "Submit the annual report")
        )),
        history: org_reports(&state.db, org.id)
            .await?
            .iter()
            .map(|r| report_row(r, lang))
            .collect(),
        v,
        error: error.map(|e| e.message(lang).to_string()),
        error_field: error.map(|e| e.field.to_string()).unwrap_or_default(),
        due,
        org,
    })?;
    Ok(with_error_status(
        resp,
        error,
        error.is_some_and(is_conflict),
    ))
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<String>,
}

async fn report_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
    Query(q): Query<YearQuery>,
) -> GovResult<Response> {
    let org = orgs::load_org(&state, &actor, id, Action::SubmitReport).await?;
    // The year asked for (a "revise" link), else the one that is due; a returned report of
    // that year comes back with everything it said, else the profile's staff figures.
    let year = match q.year.as_deref().and_then(|y| y.trim().parse::<i64>().ok()) {
        Some(y) => y,
        None => crate::oversight::reports::due_year(&state.db, &org, today(&state)).await?,
    };
    let mut v = Pairs::default();
    v.set("year", year.to_string());
    v.set("staff_count", org.staff.count.to_string());
    v.set("volunteers", org.volunteers.to_string());
    if let Some(r) = org_reports(&state.db, org.id)
        .await?
        .into_iter()
        .find(|r| r.year == year && r.status == ReportStatus::Returned)
    {
        v.set("activities", r.activities);
        v.set("events", r.events.to_string());
        v.set("beneficiaries", r.beneficiaries.to_string());
        v.set("income_yuan", r.income_yuan.to_string());
        v.set("expenditure_yuan", r.expenditure_yuan.to_string());
        v.set("staff_count", r.staff_count.to_string());
        v.set("volunteers", r.volunteers.to_string());
        v.set("review_note", r.review_note);
    }
    report_form_page(Shown::new(&state, &actor, org, v)).await
}

/// The annual report an organisation submits.
struct ReportForm;

impl OrgForm for ReportForm {
    const ACTION: Action = Action::SubmitReport;

    async fn save(state: &AppState, actor: &GovActor, org_id: i64, v: &Pairs) -> GovResult<String> {
        let input = ReportInput {
            year: v.int("year")?,
            activities: v.text("activities"),
            events: v.int("events")?,
            beneficiaries: v.int("beneficiaries")?,
            income_yuan: v.int("income_yuan")?,
            expenditure_yuan: v.int("expenditure_yuan")?,
            staff_count: v.int("staff_count")?,
            volunteers: v.int("volunteers")?,
        };
        let r = submit_report(state, actor, org_id, &input).await?;
        Ok(format!("/gov/reports/{}?saved=1", r.id))
    }

    async fn show(f: Shown<'_>) -> GovResult<Response> {
        report_form_page(f).await
    }
}

// ---------------------------------------------------------------------------------------
// Recording an assessment

#[derive(Template)]
#[template(path = "gov_assess_form.html")]
struct AssessPage {
    page: PageCtx,
    org: Org,
    sections: Vec<(&'static str, String, i64)>,
    v: Pairs,
    error: Option<String>,
    error_field: String,
    history: Vec<(Assessment, GradeView)>,
    cutoffs: String,
    /// What other modules' records say of the organisation (its purchased projects'
    /// outcomes): the assessor weighs them in the performance score.
    record: Vec<(String, Option<String>)>,
}

async fn assess_page(f: Shown<'_>) -> GovResult<Response> {
    let Shown {
        state,
        actor,
        org,
        v,
        error,
    } = f;
    let lang = actor.lang;
    let today = today(state);
    let c = cutoffs(&state.db).await?;
    let resp = render(&AssessPage {
        page: actor.page(format!(
            "{} · {}",
            org.name,
            lang.pick("等级评估", "Grade assessment")
        )),
        sections: SECTIONS
            .iter()
            .map(|(code, zh, en, max)| (*code, lang.pick(zh, en).to_string(), *max))
            .collect(),
        history: org_assessments(&state.db, org.id)
            .await?
            .into_iter()
            .map(|a| {
                let g = grade_view(&a, today, lang);
                (a, g)
            })
            .collect(),
        cutoffs: (1..=5)
            .rev()
            .map(|g| format!("{g}A ≥ {}", c.0[g - 1]))
            .collect::<Vec<_>>()
            .join(" · "),
        record: platform::module::org_record(state, org.id)
            .await
            .into_iter()
            .map(|l| (lang.pick(&l.zh, &l.en).to_string(), l.href))
            .collect(),
        v,
        error: error.map(|e| e.message(lang).to_string()),
        error_field: error.map(|e| e.field.to_string()).unwrap_or_default(),
        org,
    })?;
    Ok(with_error_status(resp, error, false))
}

async fn assess_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> GovResult<Response> {
    let org = orgs::load_org(&state, &actor, id, Action::View).await?;
    crate::oversight::assess::may_assess(&actor, &org)?;
    let mut v = Pairs::default();
    v.set("assessed_on", today(&state).to_string());
    if org.brand {
        v.set("brand", "1");
    }
    v.set("leading_figure", org.leading_figure.clone());
    assess_page(Shown::new(&state, &actor, org, v)).await
}

/// A grade assessment recorded by the district.
struct AssessForm;

impl OrgForm for AssessForm {
    const ACTION: Action = Action::View;

    fn may(actor: &GovActor, org: &Org) -> GovResult<()> {
        crate::oversight::assess::may_assess(actor, org)
    }

    async fn save(state: &AppState, actor: &GovActor, org_id: i64, v: &Pairs) -> GovResult<String> {
        let input = AssessmentInput {
            assessed_on: v.text("assessed_on"),
            score_basic: v.int("score_basic")?,
            score_governance: v.int("score_governance")?,
            score_performance: v.int("score_performance")?,
            score_reputation: v.int("score_reputation")?,
            note: v.get("note").to_string(),
            brand: Some(v.has("brand", "1")),
            leading_figure: v.text("leading_figure"),
        };
        assess(state, actor, org_id, &input).await?;
        Ok(format!("/gov/orgs/{org_id}?saved=1"))
    }

    async fn show(f: Shown<'_>) -> GovResult<Response> {
        assess_page(f).await
    }
}

// ---------------------------------------------------------------------------------------
// Profile kept by the organisation's own staff

#[derive(Template)]
#[template(path = "gov_profile_form.html")]
struct ProfilePage {
    page: PageCtx,
    org: Org,
    v: Pairs,
    fields: Vec<Opt>,
    error: Option<String>,
    error_field: String,
}

fn profile_page(f: Shown<'_>) -> GovResult<Response> {
    let Shown {
        actor,
        org,
        v,
        error,
        ..
    } = f;
    let lang = actor.lang;
    let fields = SERVICE_FIELDS
        .iter()
        .map(|(c, zh, en)| Opt {
            value: c.to_string(),
            label: lang.pick(zh, en).to_string(),
            selected: v.has("service_fields", c),
        })
        .collect();
    let resp = render(&ProfilePage {
        page: actor.page(format!(
            "{} · {}",
            org.name,
            lang.pick("更新组织信息", "Update the profile")
        )),
        fields,
        error: error.map(|e| e.message(lang).to_string()),
        error_field: error.map(|e| e.field.to_string()).unwrap_or_default(),
        v,
        org,
    })?;
    Ok(with_error_status(resp, error, false))
}

async fn profile_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> GovResult<Response> {
    let org = orgs::load_org(&state, &actor, id, Action::EditProfile).await?;
    let mut v = Pairs::default();
    v.set("address", org.address.clone());
    v.set("contact_phone", org.contact_phone.clone());
    v.set("staff_count", org.staff.count.to_string());
    v.set("staff_under_35", org.staff.under_35.to_string());
    v.set("staff_35_to_54", org.staff.from_35_to_54.to_string());
    v.set("staff_55_plus", org.staff.from_55.to_string());
    v.set("volunteers", org.volunteers.to_string());
    for f in &org.service_fields {
        v.0.push(("service_fields".into(), f.clone()));
    }
    profile_page(Shown::new(&state, &actor, org, v))
}

/// The profile an organisation's own staff keep.
struct ProfileForm;

impl OrgForm for ProfileForm {
    const ACTION: Action = Action::EditProfile;

    async fn save(state: &AppState, actor: &GovActor, org_id: i64, v: &Pairs) -> GovResult<String> {
        let p = ProfileInput {
            address: v.text("address"),
            contact_phone: v.text("contact_phone"),
            service_fields: Some(v.all("service_fields")),
            staff_count: v.int("staff_count")?,
            staff_under_35: v.int("staff_under_35")?,
            staff_35_to_54: v.int("staff_35_to_54")?,
            staff_55_plus: v.int("staff_55_plus")?,
            volunteers: v.int("volunteers")?,
        };
        let o = update_profile(state, actor, org_id, &p).await?;
        Ok(format!("/gov/orgs/{}?saved=1", o.id))
    }

    async fn show(f: Shown<'_>) -> GovResult<Response> {
        profile_page(f)
    }
}

/// A form an organisation's page leads to (its annual report, an assessment, its profile):
/// each is posted, saved and, when the input is wrong, shown again as typed the same way.
trait OrgForm {
    /// What the actor must be allowed to do with the organisation.
    const ACTION: Action;

    /// Further checks on the actor beyond `ACTION`.
    fn may(_actor: &GovActor, _org: &Org) -> GovResult<()> {
        Ok(())
    }

    /// Saves the posted values; the page to go to then.
    fn save(
        state: &AppState,
        actor: &GovActor,
        org_id: i64,
        v: &Pairs,
    ) -> impl Future<Output = GovResult<String>> + Send;

    /// The form again, as typed, with what was wrong.
    fn show(f: Shown<'_>) -> impl Future<Output = GovResult<Response>> + Send;
}

/// An organisation's form as it is shown: new, or again as typed with what was wrong.
struct Shown<'a> {
    state: &'a AppState,
    actor: &'a GovActor,
    org: Org,
    v: Pairs,
    error: Option<&'a Invalid>,
}

impl<'a> Shown<'a> {
    fn new(state: &'a AppState, actor: &'a GovActor, org: Org, v: Pairs) -> Self {
        Shown {
            state,
            actor,
            org,
            v,
            error: None,
        }
    }
}

async fn post_org_form<F: OrgForm>(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    let org = orgs::load_org(&state, &actor, id, F::ACTION).await?;
    F::may(&actor, &org)?;
    let v = Pairs(pairs);
    match saved(F::save(&state, &actor, org.id, &v).await)? {
        Ok(to) => Ok(redirect(&to)),
        Err(inv) => {
            let error = Some(&inv);
            F::show(Shown {
                state: &state,
                actor: &actor,
                org,
                v,
                error,
            })
            .await
        }
    }
}
