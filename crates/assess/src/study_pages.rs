//! The study records' pages under /study: my hours and my units' sessions, the form to
//! record a session, a session with its materials (linked to the library) and attendance,
//! and a unit's hours table with the reading it assigned. They call the same functions as
//! the API; a refused form is shown again with the message next to it.

use crate::authz::{Action, Target, authorize};
use crate::forms::{Fields, field};
use crate::study::{self, Assignment, NewAssignment, NewSession, Session};
use crate::study_api::{YearQuery, staff_only, year_of};
use crate::study_hours::{self, PersonHours};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use gov_core::{GovActor, MemberRole, list_units};
use platform::AppState;
use platform::web::{AppError, AppResult, Id, PageCtx, SignedIn, parse_id, redirect, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/study", get(home))
        .route("/study/sessions/new", get(new_session))
        .route("/study/sessions", post(create))
        .route("/study/sessions/{id}", get(session))
        .route("/study/sessions/{id}/attendance", post(attend))
        .route("/study/units/{unit_id}", get(unit))
        .route("/study/units/{unit_id}/assignments", post(assign))
}

/// Every value of a repeated field parsed as ids (checkboxes), ignoring blanks.
fn ids(f: &Fields, k: &str) -> Vec<i64> {
    f.iter()
        .filter(|(n, _)| n == k)
        .flat_map(|(_, v)| v.split([',', '，', ' ']))
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

/// The message of a refused form (the coded errors); anything else goes up.
fn refusal(actor: &GovActor, e: AppError) -> AppResult<String> {
    match e {
        AppError::Coded { message, .. } => Ok(actor.lang.msg(&message).to_string()),
        e => Err(e),
    }
}

fn may(actor: &GovActor, action: Action, unit: &gov_core::UnitPath) -> bool {
    let t = Target {
        unit,
        public: false,
    };
    authorize(actor, action, &t).is_ok()
}

pub struct UnitLink {
    pub id: i64,
    pub name: String,
}

#[derive(Template)]
#[template(path = "study_home.html")]
struct Home {
    page: PageCtx,
    year: i64,
    me: PersonHours,
    mine: Vec<Session>,
    reading: Vec<Assignment>,
    sessions: Vec<Session>,
    units: Vec<UnitLink>,
    may_record: bool,
}

async fn home(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    staff_only(&actor)?;
    let year = year_of(&state, q.year.as_deref())?;
    let user = actor.id().ok_or(AppError::Unauthorized)?;
    let (me, mine, reading) = study_hours::my_hours(&state, user, year).await?;
    let sessions = study::sessions(&state, &actor, year, None).await?;
    let units = actor
        .grants
        .iter()
        .map(|g| UnitLink {
            id: g.unit_id.0,
            name: g.unit_name.clone(),
        })
        .collect();
    let lang = actor.lang;
    render(&Home {
        page: actor.page(lang.pick("学习", "Study")),
        year,
        me,
        mine,
        reading,
        sessions,
        units,
        may_record: actor.is_platform_admin()
            || actor.grants.iter().any(|g| g.role >= MemberRole::Worker),
    })
}

pub struct Choice {
    pub value: i64,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "study_form.html")]
struct SessionForm {
    page: PageCtx,
    error: String,
    units: Vec<Choice>,
    held_on: String,
    title: String,
    minutes: String,
    host: String,
    materials: String,
    notes: String,
}

async fn form_page(
    state: &AppState,
    actor: &GovActor,
    f: &Fields,
    error: String,
) -> AppResult<Response> {
    let chosen = field(f, "unit_id").parse::<i64>().unwrap_or(0);
    let units = list_units(&state.db, &actor.scope_with(MemberRole::Worker))
        .await?
        .into_iter()
        .map(|u| Choice {
            value: u.id.0,
            label: u.name,
            selected: u.id.0 == chosen,
        })
        .collect();
    let held_on = match field(f, "held_on") {
        d if d.is_empty() => cases::calendar::local_date(state.now()).to_string(),
        d => d,
    };
    render(&SessionForm {
        page: actor.page(actor.lang.pick("记录学习", "Record a study session")),
        error,
        units,
        held_on,
        title: field(f, "title"),
        minutes: field(f, "minutes"),
        host: field(f, "host"),
        materials: field(f, "materials"),
        notes: field(f, "notes"),
    })
}

async fn new_session(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(f): Query<Fields>,
) -> AppResult<Response> {
    staff_only(&actor)?;
    form_page(&state, &actor, &f, String::new()).await
}

async fn create(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    staff_only(&actor)?;
    let s = NewSession {
        unit_id: field(&f, "unit_id").parse().unwrap_or(0),
        held_on: field(&f, "held_on"),
        title: field(&f, "title"),
        minutes: field(&f, "minutes").parse().unwrap_or(0),
        host: field(&f, "host"),
        notes: field(&f, "notes"),
        materials: ids(&f, "materials"),
        attendees: Vec::new(),
    };
    match study::record(&state, &actor, &s).await {
        Ok(id) => Ok(redirect(&format!("/study/sessions/{id}"))),
        Err(e) => {
            let msg = refusal(&actor, e)?;
            form_page(&state, &actor, &f, msg).await
        }
    }
}

#[derive(Template)]
#[template(path = "study_session.html")]
struct SessionPage {
    page: PageCtx,
    s: Session,
    /// The session's year, for the link to its unit's hours.
    year: String,
    error: String,
    /// Staff not signed in yet, whom the organiser may sign in (empty if not theirs).
    absent: Vec<(i64, String)>,
    /// The viewer may sign themselves in now.
    may_self: bool,
}

async fn session_page(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    error: String,
) -> AppResult<Response> {
    let s = study::session(state, actor, id).await?;
    let me = actor.id().unwrap_or_default();
    let signed = |u: i64| s.attendance.iter().any(|a| a.user_id == u);
    let absent = if may(actor, Action::StudyManage, &s.unit_path) {
        let unit = study::unit_for(state, actor, s.unit_id, Action::StudyManage).await?;
        study::staff(state, &unit)
            .await?
            .into_iter()
            .filter(|(u, _)| !signed(*u))
            .collect()
    } else {
        Vec::new()
    };
    let may_self = !signed(me) && may(actor, Action::StudySignIn, &s.unit_path);
    render(&SessionPage {
        page: actor.page(s.title.clone()),
        year: s.held_on.chars().take(4).collect(),
        s,
        error,
        absent,
        may_self,
    })
}

async fn session(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> AppResult<Response> {
    session_page(&state, &actor, id, String::new()).await
}

async fn attend(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let s = study::session(&state, &actor, id).await?;
    let users = if field(&f, "me") == "1" {
        Vec::new()
    } else {
        ids(&f, "user")
    };
    if users.is_empty() && field(&f, "me") != "1" {
        let msg = actor
            .lang
            .pick("请勾选要签到的人员。", "Tick whom to sign in.");
        return session_page(&state, &actor, id, msg.into()).await;
    }
    match study::sign_in(&state, &actor, &s, &users).await {
        Ok(_) => Ok(redirect(&format!("/study/sessions/{id}"))),
        Err(e) => {
            let msg = refusal(&actor, e)?;
            session_page(&state, &actor, id, msg).await
        }
    }
}

#[derive(Template)]
#[template(path = "study_unit.html")]
struct UnitPage {
    page: PageCtx,
    h: study_hours::UnitHours,
    error: String,
    may_manage: bool,
    staff: Vec<(i64, String)>,
    due_on: String,
}

async fn unit_page(
    state: &AppState,
    actor: &GovActor,
    unit_id: &str,
    year: Option<&str>,
    error: String,
) -> AppResult<Response> {
    let unit = study::unit_for(state, actor, parse_id(unit_id)?, Action::StudyRead).await?;
    let year = year_of(state, year)?;
    let h = study_hours::unit_hours(state, &unit, year).await?;
    let may_manage = may(actor, Action::StudyManage, &unit.path);
    let staff = if may_manage {
        study::staff(state, &unit).await?
    } else {
        Vec::new()
    };
    let lang = actor.lang;
    render(&UnitPage {
        page: actor.page(format!(
            "{} · {year} {}",
            unit.name,
            lang.pick("学时", "study hours")
        )),
        h,
        error,
        may_manage,
        staff,
        due_on: format!("{year}-12-31"),
    })
}

async fn unit(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Path(unit_id): Path<String>,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    unit_page(&state, &actor, &unit_id, q.year.as_deref(), String::new()).await
}

async fn assign(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Path(unit_id): Path<String>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let a = NewAssignment {
        document_id: field(&f, "document_id").parse().unwrap_or(0),
        user_ids: ids(&f, "user"),
        hours: field(&f, "hours").parse().unwrap_or(0.0),
        due_on: field(&f, "due_on"),
    };
    let id = parse_id(&unit_id)?;
    match study::assign(&state, &actor, id, &a).await {
        Ok(_) => {
            let year = a.due_on.get(..4).unwrap_or_default();
            Ok(redirect(&format!("/study/units/{id}?year={year}")))
        }
        Err(e) => {
            let msg = refusal(&actor, e)?;
            unit_page(&state, &actor, &unit_id, None, msg).await
        }
    }
}
