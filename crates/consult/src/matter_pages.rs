//! Community matter pages (自治在社区): the matters of the viewer's communities with a form
//! to raise one, and a matter with its stage line, notices, support, the meeting's sign-in
//! (one's own, or the staff's paper list), its vote and the staff's next step. Every step
//! goes through the same functions as the API (`matters`), so the rules hold the same.

use crate::authz::ConsultActor;
use crate::error::ConsultResult;
use crate::matters::{self, Advance, Matter, NewMatter, next_stage, stage_label};
use crate::meeting::{self, Attendee};
use crate::pages::{Record, RecordPage, form_error};
use crate::people;
use crate::register::day;
use askama::Template;
use axum::Router;
use axum::extract::{Form, State as AxState};
use axum::response::Response;
use axum::routing::{get, post};
use gov_core::{UnitId, find_unit};
use platform::web::extract::{Opt, SignedIn};
use platform::web::{redirect, render};
use platform::{AppState, PageCtx};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consultation/matters", get(list).post(raise))
        .route("/consultation/matters/{id}", get(OnMatter::show))
        .route("/consultation/matters/{id}/support", post(support))
        .route("/consultation/matters/{id}/attendance", post(sign_in))
        .route("/consultation/matters/{id}/advance", post(advance))
}

type Fields = HashMap<String, String>;

fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(String::as_str).unwrap_or_default()
}

pub struct Row {
    pub id: i64,
    pub title: String,
    pub unit: String,
    pub stage: &'static str,
    pub supporters: i64,
}

#[derive(Template)]
#[template(path = "consult_matters.html")]
struct ListPage {
    page: PageCtx,
    rows: Vec<Row>,
    /// The communities the viewer may raise a matter in.
    communities: Vec<Opt>,
    error: Option<String>,
    title: String,
    body: String,
}

async fn list_page(
    state: &AppState,
    actor: &ConsultActor,
    error: Option<String>,
    f: &Fields,
) -> ConsultResult<Response> {
    let rows = matters::visible(state, actor)
        .await?
        .into_iter()
        .map(|m| Row {
            stage: stage_label(&m.stage, actor.lang),
            id: m.id,
            title: m.title,
            unit: m.unit_name,
            supporters: m.supporters,
        })
        .collect();
    let mut communities = Vec::new();
    for r in people::residencies(&state.db, actor.id().unwrap_or_default()).await? {
        // A resident of a grid raises the matter in the grid's community.
        let mut unit = find_unit(&state.db, UnitId(r.unit_id)).await?;
        while let Some(u) = unit
            .as_ref()
            .filter(|u| u.kind != gov_core::UnitKind::Community)
        {
            unit = match u.parent_id {
                Some(p) => find_unit(&state.db, p).await?,
                None => None,
            };
        }
        if let Some(u) = unit {
            communities.push(Opt::current(
                u.id.0.to_string(),
                u.name,
                field(f, "unit_id"),
            ));
        }
    }
    let page = actor.page(actor.lang.pick("社区议事", "Community matters"));
    Ok(render(&ListPage {
        page,
        rows,
        communities,
        error,
        title: field(f, "title").into(),
        body: field(f, "body").into(),
    })?)
}

async fn list(
    AxState(state): AxState<AppState>,
    SignedIn(actor): SignedIn<ConsultActor>,
) -> ConsultResult<Response> {
    list_page(&state, &actor, None, &Fields::new()).await
}

async fn raise(
    AxState(state): AxState<AppState>,
    SignedIn(actor): SignedIn<ConsultActor>,
    Form(f): Form<Fields>,
) -> ConsultResult<Response> {
    let b = NewMatter {
        unit_id: field(&f, "unit_id").trim().parse().unwrap_or(0),
        title: field(&f, "title").into(),
        body: field(&f, "body").into(),
    };
    match matters::create(&state, &actor, &b).await {
        Ok(id) => Ok(redirect(&format!("/consultation/matters/{id}"))),
        Err(e) => {
            let msg = form_error(e, actor.lang)?;
            list_page(&state, &actor, Some(msg), &f).await
        }
    }
}

/// A notice on the page: its stage's name, date and text.
pub struct NoticeLine {
    pub stage: &'static str,
    pub day: String,
    pub text: String,
}

/// One step of the stage line: its name, and whether it is done or current.
pub struct Step {
    pub label: &'static str,
    pub done: bool,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "consult_matter.html")]
struct MatterPage {
    page: PageCtx,
    m: Matter,
    stage: &'static str,
    steps: Vec<Step>,
    notices: Vec<NoticeLine>,
    /// The next stage's code and name, for the staff's form.
    next: Option<(&'static str, &'static str)>,
    attendees: Vec<Attendee>,
    error: Option<String>,
}

async fn matter_page(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    error: Option<String>,
) -> ConsultResult<Response> {
    let m = matters::load(state, actor, id).await?;
    let lang = actor.lang;
    let reached = matters::STAGES
        .iter()
        .position(|s| *s == m.stage)
        .unwrap_or(matters::STAGES.len() - 2);
    let steps = matters::STAGES
        .iter()
        .enumerate()
        .map(|(i, s)| Step {
            label: stage_label(s, lang),
            done: i < reached || (i == reached && m.stage == "implemented"),
            current: i == reached && m.stage != "implemented",
        })
        .collect();
    let notices = m
        .notices
        .iter()
        .map(|n| NoticeLine {
            stage: stage_label(&n.stage, lang),
            day: day(n.at),
            text: n.text.clone(),
        })
        .collect();
    // Names on the sign-in list are the staff's to see.
    let attendees = if m.staff {
        meeting::list(&state.db, id).await?
    } else {
        Vec::new()
    };
    let page = actor.page(m.title.clone());
    Ok(render(&MatterPage {
        page,
        stage: stage_label(&m.stage, lang),
        next: next_stage(&m.stage)
            .filter(|_| m.staff)
            .map(|n| (n, stage_label(n, lang))),
        steps,
        notices,
        attendees,
        error,
        m,
    })?)
}

struct MatterRecord;

impl RecordPage for MatterRecord {
    const BASE: &'static str = "/consultation/matters";

    fn render(
        at: &Record<Self>,
        error: Option<String>,
    ) -> impl Future<Output = ConsultResult<Response>> + Send {
        matter_page(&at.state, &at.actor, at.id, error)
    }
}

type OnMatter = Record<MatterRecord>;

async fn support(at: OnMatter) -> ConsultResult<Response> {
    at.done(matters::support(&at.state, &at.actor, at.id).await)
        .await
}

async fn sign_in(at: OnMatter, Form(f): Form<Fields>) -> ConsultResult<Response> {
    let who = meeting::SignIn {
        user_id: None,
        name: field(&f, "name").into(),
        household: field(&f, "household").into(),
    };
    at.done(matters::sign_in(&at.state, &at.actor, at.id, &who).await)
        .await
}

async fn advance(at: OnMatter, Form(f): Form<Fields>) -> ConsultResult<Response> {
    let count = |k: &str| field(&f, k).trim().parse::<i64>().unwrap_or(0);
    let b = Advance {
        stage: field(&f, "stage").into(),
        text: field(&f, "text").into(),
        ballot: field(&f, "ballot") == "1",
        rule: Some(field(&f, "rule").into()),
        present: count("present"),
        in_favour: count("in_favour"),
        minutes: field(&f, "minutes").into(),
    };
    at.done(matters::advance(&at.state, &at.actor, at.id, &b).await)
        .await
}
