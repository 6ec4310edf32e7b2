//! The proposal pages of 共商: the hub (one's proposals, or the office's and the units'
//! queue), the submission form, and a proposal with the steps the viewer may take.
//! Chinese first; tables stack into cards at phone width. Votes: `vote_pages`.

use crate::api::{awaiting_reply, card, take_step};
use crate::authz::{Action, ConsultActor, Target, authorize, list_filter};
use crate::error::{ConsultError, ConsultResult};
use crate::model::{self, DeclineReason, Full, Kind, Proposal, Rating, ReplyClass, State};
use crate::register::day;
use crate::workflow::{self, NewProposal, Step};
use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, State as AxState};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gov_core::{ScopeFilter, Sql, UnitKind, list_units};
use platform::web::extract::{Opt, SignedIn};
use platform::web::{Id, Lang, redirect, render, sign_in_first};
use platform::{AppState, PageCtx};
use serde_json::{Value, json};
use sqlx::FromRow;
use std::marker::PhantomData;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consultation", get(hub))
        .route("/consultation/proposals/new", get(new_form))
        .route("/consultation/proposals", post(submit))
        .route(
            "/consultation/proposals/{id}",
            get(Record::<ProposalRecord>::show),
        )
        .route("/consultation/proposals/{id}/act", post(act))
        .merge(crate::vote_pages::router())
}

/// The reader's half of an error a form shows next to itself; other errors propagate.
pub fn form_error(e: ConsultError, lang: Lang) -> ConsultResult<String> {
    match e {
        ConsultError::Coded { message, .. } | ConsultError::Denied(message) => {
            Ok(lang.msg(&message).to_string())
        }
        other => Err(other),
    }
}

/// A record's page (a proposal, an activity, a matter) that the forms of its steps post
/// from and come back to.
pub trait RecordPage: Sized {
    /// The page's address without the id (`/consultation/matters`).
    const BASE: &'static str;

    /// The record's page, with a refused step's message beside its forms.
    fn render(
        at: &Record<Self>,
        error: Option<String>,
    ) -> impl Future<Output = ConsultResult<Response>> + Send;
}

/// A request on the page of a record of kind `P`: the app, the signed-in actor and the
/// record's id, as the page and the handlers of its steps take them.
pub struct Record<P> {
    pub state: AppState,
    pub actor: ConsultActor,
    pub id: i64,
    page: PhantomData<P>,
}

/// Signed in (else the sign-in page, as `SignedIn` answers) and `{id}` (else 404).
impl<P: RecordPage> FromRequestParts<AppState> for Record<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let SignedIn(actor) = SignedIn::<ConsultActor>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Id(id) = Id::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Record::new(state.clone(), actor, id))
    }
}

impl<P: RecordPage> Record<P> {
    pub fn new(state: AppState, actor: ConsultActor, id: i64) -> Record<P> {
        Record {
            state,
            actor,
            id,
            page: PhantomData,
        }
    }

    /// `GET {BASE}/{id}`: the record's page.
    pub async fn show(self) -> ConsultResult<Response> {
        P::render(&self, None).await
    }

    /// A page step's answer, the same on every page: back to the record when it
    /// succeeded, else its page again with the refusal beside the form (other errors
    /// propagate).
    pub async fn done<T>(&self, r: ConsultResult<T>) -> ConsultResult<Response> {
        match r {
            Ok(_) => Ok(redirect(&format!("{}/{}", P::BASE, self.id))),
            Err(e) => P::render(self, Some(form_error(e, self.actor.lang)?)).await,
        }
    }
}

pub struct Row {
    pub id: i64,
    pub title: String,
    pub proposer: String,
    pub state: String,
    pub lead: String,
    pub due: String,
    pub card: &'static str,
}

#[derive(Template)]
#[template(path = "consult_hub.html")]
struct HubPage {
    page: PageCtx,
    rows: Vec<Row>,
    can_submit: bool,
    office: bool,
}

async fn hub(
    AxState(state): AxState<AppState>,
    SignedIn(actor): SignedIn<ConsultActor>,
) -> ConsultResult<Response> {
    let lang = actor.lang;
    let mut sql = Sql::default();
    list_filter(&actor, &mut sql);
    let rows = sql
        .page(&state.db, model::COLUMNS, model::FROM, "p.id DESC", 100, 0)
        .await?;
    let cal = cases::calendar::Calendar::load(&state.db).await?;
    let now = state.now();
    let rows = rows
        .iter()
        .map(|r| {
            let p = Proposal::from_row(r)?;
            let open = awaiting_reply(p.state);
            Ok(Row {
                id: p.id,
                title: p.title,
                proposer: p.proposer_name,
                state: p.state.label(lang).to_string(),
                lead: p.lead_name,
                due: if open {
                    p.reply_due.map(day).unwrap_or_default()
                } else {
                    String::new()
                },
                card: card(&cal, p.reply_due, now, open),
            })
        })
        .collect::<sqlx::Result<_>>()?;
    let page = actor.page(lang.pick("共商 · 提案", "Consultation · proposals"));
    Ok(render(&HubPage {
        page,
        rows,
        can_submit: authorize(&actor, Action::Submit, &Target::Anywhere).is_ok(),
        office: actor.is_any_office(),
    })?)
}

#[derive(Template)]
#[template(path = "consult_new.html")]
struct NewPage {
    page: PageCtx,
    error: Option<String>,
    kinds: Vec<Opt>,
    title: String,
    body: String,
    cosigners: String,
    consent: bool,
}

fn new_page(
    actor: &ConsultActor,
    error: Option<String>,
    f: &[(String, String)],
) -> ConsultResult<Response> {
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let kind = get("kind");
    Ok(render(&NewPage {
        page: actor.page(actor.lang.pick("提交提案", "Submit a proposal")),
        error,
        kinds: Kind::ALL
            .iter()
            .map(|k| Opt::current(k.as_str(), k.label(actor.lang), &kind))
            .collect(),
        title: get("title"),
        body: get("body"),
        cosigners: get("cosigners"),
        consent: get("consent") == "1",
    })?)
}

async fn new_form(SignedIn(actor): SignedIn<ConsultActor>) -> ConsultResult<Response> {
    authorize(&actor, Action::Submit, &Target::Anywhere)?;
    new_page(&actor, None, &[])
}

async fn submit(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Form(f): Form<Vec<(String, String)>>,
) -> ConsultResult<Response> {
    if let Some(r) = sign_in_first(&actor, "/consultation/proposals/new") {
        return Ok(r);
    }
    authorize(&actor, Action::Submit, &Target::Anywhere)?;
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let new = NewProposal {
        title: get("title"),
        body: get("body"),
        kind: get("kind"),
        cosigners: get("cosigners")
            .split([',', '，', ' ', '、'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        consent: get("consent") == "1",
    };
    let (district, sector) = match &actor.member {
        Some((d, s)) => (*d, s.clone()),
        None => (
            actor.office.first().copied().unwrap_or_default(),
            String::new(),
        ),
    };
    let by = actor.id().ok_or(ConsultError::SignIn)?;
    match workflow::submit(&state, by, district, &sector, new).await {
        Ok(id) => Ok(redirect(&format!("/consultation/proposals/{id}"))),
        Err(e) => new_page(&actor, Some(form_error(e, actor.lang)?), &f),
    }
}

/// A field of a step's form.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// text, textarea, select, multi
    pub kind: &'static str,
    pub options: Vec<Opt>,
}

/// A step the viewer may take, as a small form.
pub struct StepForm {
    pub action: &'static str,
    pub button: &'static str,
    pub fields: Vec<Field>,
}

fn step(action: &'static str, button: &'static str, fields: Vec<Field>) -> StepForm {
    StepForm {
        action,
        button,
        fields,
    }
}

/// A vocabulary's words as options, none selected.
fn words<T: Copy>(
    all: &[T],
    word: fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<Opt> {
    all.iter()
        .map(|w| Opt::new(word(*w), label(*w), false))
        .collect()
}

fn field(name: &'static str, label: &'static str, kind: &'static str) -> Field {
    Field {
        name,
        label,
        kind,
        options: Vec::new(),
    }
}

fn select(name: &'static str, label: &'static str, options: Vec<Opt>) -> Field {
    Field {
        name,
        label,
        kind: "select",
        options,
    }
}

/// The steps of the proposal's state that `actor` is allowed to take.
async fn step_forms(
    state: &AppState,
    actor: &ConsultActor,
    f: &Full,
) -> ConsultResult<Vec<StepForm>> {
    let lang = actor.lang;
    let (co, cs) = (f.co_paths(), f.cosigner_ids());
    let may = |a: Action| authorize(actor, a, &Target::Proposal(&f.p, &co, &cs)).is_ok();
    let t = |zh: &'static str, en: &'static str| lang.pick(zh, en);
    let classes = || words(ReplyClass::ALL, ReplyClass::as_str, |c| c.label(lang));
    let ratings = || words(Rating::ALL, Rating::as_str, |r| r.label(lang));
    let mut out = Vec::new();
    let s = f.p.state;
    let me = actor.id().unwrap_or_default();
    if may(Action::Cosign) && f.cosigners.iter().any(|c| c.user_id == me && !c.confirmed) {
        out.push(step(
            "cosign",
            t("确认联名", "Confirm co-signature"),
            vec![],
        ));
    }
    if may(Action::Review) {
        if s == State::Submitted {
            out.push(step("file", t("立案", "File"), vec![]));
            let reasons = words(DeclineReason::ALL, DeclineReason::as_str, |r| r.label(lang));
            out.push(step(
                "decline",
                t("不予立案", "Decline"),
                vec![
                    select("reason", t("理由", "Reason"), reasons),
                    field("note", t("说明", "Note"), "text"),
                ],
            ));
            out.push(step(
                "merge",
                t("并案", "Merge"),
                vec![field(
                    "into",
                    t("并入提案编号", "Into proposal no."),
                    "text",
                )],
            ));
        }
        if matches!(s, State::Filed | State::ReturnRequested) {
            let units: Vec<Opt> = list_units(&state.db, &ScopeFilter(None))
                .await?
                .into_iter()
                .filter(|u| {
                    matches!(u.kind, UnitKind::Department | UnitKind::Street)
                        && u.path.ids().first().map(|i| i.0) == Some(f.p.district_id)
                })
                .map(|u| Opt::new(u.id.0.to_string(), u.name, false))
                .collect();
            out.push(step(
                "assign",
                t("交办", "Assign"),
                vec![
                    select("lead_unit_id", t("主办单位", "Lead unit"), units.clone()),
                    Field {
                        name: "co_unit_ids",
                        label: t("会办单位", "Co-handling units"),
                        kind: "multi",
                        options: units,
                    },
                ],
            ));
        }
        if s == State::Countersigned {
            let mut c = vec![Opt::new("", t("维持原类别", "Keep the class"), true)];
            c.extend(classes());
            out.push(step(
                "check",
                t("审核通过", "Approve"),
                vec![select("class", t("答复类别", "Class"), c)],
            ));
        }
        if awaiting_reply(s) && s != State::SecondHandling && !f.p.extended {
            out.push(step(
                "extend",
                t("延期（仅一次）", "Extend (once)"),
                vec![field("reason", t("延期理由", "Reason"), "text")],
            ));
        }
        if f.p.followup == "pending" {
            out.push(step(
                "followup_done",
                t("B类事项已落实", "B-class promise delivered"),
                vec![field("note", t("落实情况", "What was done"), "text")],
            ));
        }
    }
    if may(Action::Handle) {
        if s == State::Assigned {
            out.push(step("sign", t("签收", "Sign for it"), vec![]));
            out.push(step(
                "request_return",
                t("申请退回", "Ask to hand it back"),
                vec![field("reason", t("理由", "Reason"), "text")],
            ));
        }
        if matches!(
            s,
            State::Handling
                | State::SecondHandling
                | State::Drafted
                | State::Countersigned
                | State::Checked
        ) {
            out.push(step(
                "draft",
                t("保存答复稿", "Save the draft reply"),
                vec![
                    field("reply", t("答复内容", "Reply"), "textarea"),
                    select("class", t("答复类别", "Class"), classes()),
                ],
            ));
        }
        if s == State::Checked {
            out.push(step(
                "reply",
                t("正式答复", "Send the formal reply"),
                vec![],
            ));
        }
    }
    if may(Action::Countersign) && s == State::Drafted {
        out.push(step("countersign", t("会签", "Countersign"), vec![]));
    }
    if may(Action::Opinion)
        && matches!(s, State::Assigned | State::Handling | State::SecondHandling)
    {
        out.push(step(
            "opinion",
            t("提交会办意见", "Send the opinion"),
            vec![field("text", t("会办意见", "Opinion"), "textarea")],
        ));
    }
    if may(Action::Rate) {
        if s == State::Replied {
            out.push(step(
                "rate",
                t("提交评价", "Rate"),
                vec![
                    select("work", t("对办理工作", "The handling work"), ratings()),
                    select("result", t("对办理结果", "The result"), ratings()),
                ],
            ));
        }
        let (label, v) = if f.p.consent {
            (t("撤回公开同意", "Withdraw consent to publish"), "0")
        } else {
            (
                t("同意公开提案及答复", "Agree to publish it with its reply"),
                "1",
            )
        };
        out.push(step(
            "consent",
            label,
            vec![Field {
                name: "publish",
                label: "",
                kind: v,
                options: vec![],
            }],
        ));
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "consult_detail.html")]
struct DetailPage {
    page: PageCtx,
    f: Full,
    kind: String,
    state: String,
    internal: bool,
    formal: bool,
    class: String,
    dues: Vec<(String, String)>,
    card: &'static str,
    events: Vec<model::Event>,
    forms: Vec<StepForm>,
    error: Option<String>,
}

async fn detail_page(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    error: Option<String>,
) -> ConsultResult<Response> {
    let f = model::load(&state.db, id)
        .await?
        .ok_or(ConsultError::NotFound)?;
    let (co, cs) = (f.co_paths(), f.cosigner_ids());
    authorize(actor, Action::View, &Target::Proposal(&f.p, &co, &cs))?;
    let internal = authorize(
        actor,
        Action::SeeInternal,
        &Target::Proposal(&f.p, &co, &cs),
    )
    .is_ok();
    let lang = actor.lang;
    let cal = cases::calendar::Calendar::load(&state.db).await?;
    let p = &f.p;
    let mut dues = Vec::new();
    for (label, v) in [
        (
            lang.pick("签收/申退期限", "Sign or hand back by"),
            p.sign_due,
        ),
        (
            lang.pick("会办意见期限", "Co-handling opinions by"),
            p.co_due,
        ),
        (lang.pick("答复期限", "Reply by"), p.reply_due),
    ] {
        if let Some(v) = v {
            dues.push((label.to_string(), day(v)));
        }
    }
    let forms = step_forms(state, actor, &f).await?;
    let page = actor.page(p.title.clone());
    Ok(render(&DetailPage {
        page,
        kind: p.kind.label(lang).into(),
        state: p.state.label(lang).into(),
        formal: matches!(
            p.state,
            State::Replied | State::Closed | State::SecondHandling
        ),
        class: ReplyClass::parse(&p.reply_class)
            .map(|c| c.label(lang).to_string())
            .unwrap_or_default(),
        card: card(&cal, p.reply_due, state.now(), awaiting_reply(p.state)),
        events: if internal {
            model::events(&state.db, id).await?
        } else {
            Vec::new()
        },
        internal,
        dues,
        forms,
        error,
        f,
    })?)
}

struct ProposalRecord;

impl RecordPage for ProposalRecord {
    const BASE: &'static str = "/consultation/proposals";

    fn render(
        at: &Record<Self>,
        error: Option<String>,
    ) -> impl Future<Output = ConsultResult<Response>> + Send {
        detail_page(&at.state, &at.actor, at.id, error)
    }
}

/// The step a form posted, in the API's JSON shape.
fn step_from_form(f: &[(String, String)]) -> Result<Step, String> {
    let mut v = serde_json::Map::new();
    let mut co = Vec::new();
    for (k, val) in f {
        match k.as_str() {
            "_csrf" => {}
            "co_unit_ids" => co.extend(val.parse::<i64>().ok()),
            "into" | "lead_unit_id" => {
                v.insert(k.clone(), json!(val.trim().parse::<i64>().unwrap_or(0)));
            }
            "publish" => {
                v.insert(k.clone(), json!(val == "1"));
            }
            _ => {
                v.insert(k.clone(), json!(val));
            }
        }
    }
    v.insert("co_unit_ids".into(), json!(co));
    serde_json::from_value(Value::Object(v)).map_err(|e| e.to_string())
}

async fn act(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    Form(f): Form<Vec<(String, String)>>,
) -> ConsultResult<Response> {
    let here = format!("/consultation/proposals/{id}");
    if let Some(r) = sign_in_first(&actor, &here) {
        return Ok(r);
    }
    let step = match step_from_form(&f) {
        Ok(s) => s,
        Err(_) => {
            let msg = actor
                .lang
                .pick("表单内容不完整。", "The form is incomplete.");
            return detail_page(&state, &actor, id, Some(msg.into())).await;
        }
    };
    let r = take_step(&state, &actor, id, step).await;
    Record::<ProposalRecord>::new(state, actor, id)
        .done(r)
        .await
}
