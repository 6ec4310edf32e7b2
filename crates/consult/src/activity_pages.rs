//! The activities tab of 共商 (履职活动): the district's activities for members and the
//! office, the office's form to record one (re-shown with the error and what was typed),
//! and an activity's page with its participants, follow-ups and the participant's own
//! sign-in. The API (`activities`) keeps the rules; these pages only call it.

use crate::activities::{self, KINDS, NewActivity};
use crate::activity_steps::{self, Attachment};
use crate::authz::{Action, ConsultActor, Target, authorize};
use crate::error::{ConsultError, ConsultResult};
use crate::pages::{Record, RecordPage, form_error};
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
        .route("/consultation/activities/{id}", get(OnActivity::show))
        .route("/consultation/activities/{id}/sign-in", post(sign_in))
        .route("/consultation/activities/{id}/minutes", post(minutes))
        .route("/consultation/activities/{id}/followups", post(followup))
        .route("/consultation/activities/{id}/documents", post(attach))
        .route("/consultation/followups/{id}/done", post(followup_done))
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
    pub user_id: i64,
    pub name: String,
    pub sector: String,
    pub signed_in: bool,
}

pub struct Followup {
    pub id: i64,
    pub unit: String,
    pub text: String,
    pub done: bool,
    pub note: String,
    /// The viewer works in the unit it was assigned to and may report it done.
    pub mine: bool,
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
    documents: Vec<Attachment>,
    /// The viewer takes part and has not signed in yet.
    may_sign_in: bool,
    /// The viewer is the office: the forms for minutes, sign-in, follow-ups, attachments.
    office: bool,
    /// Departments and streets of the district, for a follow-up.
    units: Vec<Opt>,
    error: Option<String>,
}

async fn show_page(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    error: Option<String>,
) -> ConsultResult<Response> {
    let a = activities::visible(state, actor, id, Action::ViewActivity).await?;
    let v = &a.row;
    let me = actor.id().ok_or(ConsultError::SignIn)?;
    let rows = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    let may_sign_in = rows("participants")
        .iter()
        .any(|p| p["user_id"] == me && p["signed_in"] != true);
    let office = authorize(
        actor,
        Action::ManageActivities,
        &Target::Activity(a.district_id, &a.participants, &a.unit_paths),
    )
    .is_ok();
    let mut followups = Vec::new();
    for (f, path) in rows("followups").iter().zip(&a.unit_paths) {
        let mine = [path.clone()];
        followups.push(Followup {
            id: f["id"].as_i64().unwrap_or_default(),
            unit: s(f, "unit"),
            text: s(f, "text"),
            done: f["done"] == true,
            note: s(f, "done_note"),
            mine: authorize(
                actor,
                Action::CompleteFollowup,
                &Target::Activity(a.district_id, &[], &mine),
            )
            .is_ok(),
        });
    }
    let units = if office {
        follow_up_units(state, a.district_id, actor.lang).await?
    } else {
        Vec::new()
    };
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
                user_id: p["user_id"].as_i64().unwrap_or_default(),
                name: s(p, "name"),
                sector: s(p, "sector"),
                signed_in: p["signed_in"] == true,
            })
            .collect(),
        followups,
        documents: activity_steps::attachments(state, actor, id).await?,
        may_sign_in,
        office,
        units,
        error,
    })?)
}

/// The district's departments and streets, where follow-up actions go.
async fn follow_up_units(state: &AppState, district: i64, lang: Lang) -> ConsultResult<Vec<Opt>> {
    let mut out = Vec::new();
    for u in gov_core::children(&state.db, gov_core::UnitId(district)).await? {
        if matches!(
            u.kind,
            gov_core::UnitKind::Department | gov_core::UnitKind::Street
        ) {
            let kind = u.kind.label(lang);
            out.push(Opt::new(
                u.id.0.to_string(),
                format!("{}（{kind}）", u.name),
                false,
            ));
        }
    }
    Ok(out)
}

struct ActivityRecord;

impl RecordPage for ActivityRecord {
    const BASE: &'static str = "/consultation/activities";

    fn render(
        at: &Record<Self>,
        error: Option<String>,
    ) -> impl Future<Output = ConsultResult<Response>> + Send {
        show_page(&at.state, &at.actor, at.id, error)
    }
}

type OnActivity = Record<ActivityRecord>;

type Fields = Vec<(String, String)>;

async fn sign_in(at: OnActivity, Form(f): Form<Fields>) -> ConsultResult<Response> {
    // `user_id` when the office signs in someone from the paper list.
    let who = field(&f, "user_id").parse::<i64>().ok();
    at.done(activity_steps::sign_in(&at.state, &at.actor, at.id, who).await)
        .await
}

async fn minutes(at: OnActivity, Form(f): Form<Fields>) -> ConsultResult<Response> {
    let (minutes, findings) = (field(&f, "minutes"), field(&f, "findings"));
    let r = activity_steps::set_minutes(&at.state, &at.actor, at.id, &minutes, &findings).await;
    at.done(r).await
}

async fn followup(at: OnActivity, Form(f): Form<Fields>) -> ConsultResult<Response> {
    let (state, actor, id) = (&at.state, &at.actor, at.id);
    let r = async {
        let a = activities::visible(state, actor, id, Action::ManageActivities).await?;
        let unit = field(&f, "unit_id").parse::<i64>().unwrap_or(0);
        activities::assign_followup(state, id, a.district_id, unit, &field(&f, "text")).await?;
        Ok(())
    }
    .await;
    at.done(r).await
}

/// The unit reports a follow-up done; back to its activity.
async fn followup_done(
    AxState(state): AxState<AppState>,
    SignedIn(actor): SignedIn<ConsultActor>,
    Id(fid): Id,
    Form(f): Form<Fields>,
) -> ConsultResult<Response> {
    let r = activity_steps::complete_followup(&state, &actor, fid, &field(&f, "note")).await;
    let activity = field(&f, "activity_id").parse::<i64>().unwrap_or(0);
    OnActivity::new(state, actor, activity).done(r).await
}

async fn attach(at: OnActivity, Form(f): Form<Fields>) -> ConsultResult<Response> {
    // The document's number, or its address (`/documents/123`) pasted whole.
    let raw = field(&f, "document");
    let doc = raw
        .rsplit('/')
        .find(|p| !p.is_empty())
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(0);
    at.done(activity_steps::attach(&at.state, &at.actor, at.id, doc).await)
        .await
}
