//! The activities tab of 共商 (履职活动): the district's activities for members and the
//! office, the office's form to record one (re-shown with the error and what was typed),
//! and an activity's page with its participants, follow-ups and the participant's own
//! sign-in. The API (`activities`) keeps the rules; these pages only call it.

use crate::activities::{self, KINDS, NewActivity};
use crate::authz::{Action, ConsultActor};
use crate::error::{ConsultError, ConsultResult};
use crate::pages::form_error;
use askama::Template;
use axum::Router;
use axum::extract::{Form, State as AxState};
use axum::response::Response;
use axum::routing::{get, post};
use platform::web::extract::{Opt, SignedIn};
use platform::web::{Id, Lang, redirect, render};
use platform::{AppState, PageCtx};
use serde_json::Value;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consultation/activities", get(list_page).post(create_page))
        .route("/consultation/activities/{id}", get(show))
        .route("/consultation/activities/{id}/sign-in", post(sign_in))
}

pub fn kind_label(kind: &str, lang: Lang) -> &'static str {
    match kind {
        "sector_forum" => lang.pick("界别座谈会", "Sector forum"),
        "standing_committee" => lang.pick("常委会议", "Standing committee"),
        "inspection" => lang.pick("主席视察", "Chair inspection"),
        _ => lang.pick("专题调研", "Thematic research"),
    }
}

pub struct Item {
    pub id: i64,
    pub kind: &'static str,
    pub title: String,
    pub held_on: String,
    pub organiser: String,
    pub people: usize,
    pub open_followups: usize,
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

fn item(v: &Value, lang: Lang) -> Item {
    let list = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    Item {
        id: v["id"].as_i64().unwrap_or_default(),
        kind: kind_label(&s(v, "kind"), lang),
        title: s(v, "title"),
        held_on: s(v, "held_on"),
        organiser: s(v, "organiser"),
        people: list("participants").len(),
        open_followups: list("followups")
            .iter()
            .filter(|f| f["done"] != true)
            .count(),
    }
}

#[derive(Template)]
#[template(path = "consult_activities.html")]
struct ListPage {
    page: PageCtx,
    items: Vec<Item>,
    office: bool,
    error: Option<String>,
    kinds: Vec<Opt>,
    form: Vec<(String, String)>,
}

impl ListPage {
    fn get(&self, k: &str) -> String {
        field(&self.form, k)
    }
}

/// A posted form's field, trimmed (empty when absent).
fn field(form: &[(String, String)], k: &str) -> String {
    form.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

async fn page(
    state: &AppState,
    actor: &ConsultActor,
    error: Option<String>,
    form: Vec<(String, String)>,
) -> ConsultResult<Response> {
    let items = activities::of_district(state, actor)
        .await?
        .iter()
        .map(|v| item(v, actor.lang))
        .collect();
    let kind = field(&form, "kind");
    Ok(render(&ListPage {
        page: actor.page(actor.lang.pick("履职活动", "Activities")),
        items,
        office: !actor.office.is_empty(),
        error,
        kinds: KINDS
            .iter()
            .map(|k| Opt::current(*k, kind_label(k, actor.lang), &kind))
            .collect(),
        form,
    })?)
}

async fn list_page(
    AxState(state): AxState<AppState>,
    SignedIn(actor): SignedIn<ConsultActor>,
) -> ConsultResult<Response> {
    page(&state, &actor, None, Vec::new()).await
}

async fn create_page(
    AxState(state): AxState<AppState>,
    SignedIn(actor): SignedIn<ConsultActor>,
    Form(f): Form<Vec<(String, String)>>,
) -> ConsultResult<Response> {
    let get = |k: &str| field(&f, k);
    let district = crate::api::office_district(&actor, None)?;
    let new = NewActivity {
        district_id: Some(district),
        kind: get("kind"),
        title: get("title"),
        held_on: get("held_on"),
        organiser: get("organiser"),
        agenda: get("agenda"),
        places: get("places"),
        participants: get("participants")
            .split([',', '，', ' ', '、'])
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
    };
    match activities::record(&state, district, &new, actor.id()).await {
        Ok(id) => Ok(redirect(&format!("/consultation/activities/{id}"))),
        Err(e) => page(&state, &actor, Some(form_error(e, actor.lang)?), f).await,
    }
}

pub struct Person {
    pub name: String,
    pub sector: String,
    pub signed_in: bool,
}

pub struct Followup {
    pub unit: String,
    pub text: String,
    pub done: bool,
    pub note: String,
}

#[derive(Template)]
#[template(path = "consult_activity.html")]
struct ShowPage {
    page: PageCtx,
    it: Item,
    agenda: String,
    places: String,
    minutes: String,
    findings: String,
    people: Vec<Person>,
    followups: Vec<Followup>,
    /// The viewer takes part and has not signed in yet.
    may_sign_in: bool,
}

async fn show(
    AxState(state): AxState<AppState>,
    SignedIn(actor): SignedIn<ConsultActor>,
    Id(id): Id,
) -> ConsultResult<Response> {
    let a = activities::visible(&state, &actor, id, Action::ViewActivity).await?;
    let v = &a.row;
    let me = actor.id().ok_or(ConsultError::SignIn)?;
    let rows = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    let may_sign_in = rows("participants")
        .iter()
        .any(|p| p["user_id"] == me && p["signed_in"] != true);
    Ok(render(&ShowPage {
        page: actor.page(s(v, "title")),
        it: item(v, actor.lang),
        agenda: s(v, "agenda"),
        places: s(v, "places"),
        minutes: s(v, "minutes"),
        findings: s(v, "findings"),
        people: rows("participants")
            .iter()
            .map(|p| Person {
                name: s(p, "name"),
                sector: s(p, "sector"),
                signed_in: p["signed_in"] == true,
            })
            .collect(),
        followups: rows("followups")
            .iter()
            .map(|f| Followup {
                unit: s(f, "unit"),
                text: s(f, "text"),
                done: f["done"] == true,
                note: s(f, "done_note"),
            })
            .collect(),
        may_sign_in,
    })?)
}

async fn sign_in(
    AxState(state): AxState<AppState>,
    SignedIn(actor): SignedIn<ConsultActor>,
    Id(id): Id,
) -> ConsultResult<Response> {
    activities::visible(&state, &actor, id, Action::SignIn).await?;
    let me = actor.id().ok_or(ConsultError::SignIn)?;
    activities::mark_signed_in(&state, id, me, me).await?;
    Ok(redirect(&format!("/consultation/activities/{id}")))
}
