//! One case as the viewer may see it: its timeline, deadlines and extensions, and the
//! steps this viewer may take next (one form posting to /cases/{id}/act); the photos.

use super::upload::read_step;
use super::{Tab, UnitOpt, ValueOpt, card, state_class, tabs, time_left};
use crate::api::{self, visible_case};
use crate::authz::{Action, Target, authorize};
use crate::error::{CaseError, CaseResult};
use crate::model::{self, Case, CaseState, Satisfaction};
use crate::stats::unit_names;
use crate::workflow;
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gov_core::{GovActor, ScopeFilter, UnitPath};
use platform::AppState;
use platform::clock::format_ms;
use platform::web::Code;
use platform::web::{Id, PageCtx, SignedIn, redirect, render, sign_in_first};
use std::collections::{BTreeMap, HashMap};

pub struct Step {
    pub label: &'static str,
    pub done: bool,
    pub current: bool,
}

pub struct EventView {
    pub at: String,
    pub who: String,
    pub what: &'static str,
    pub note: String,
    pub kind: String,
    pub internal: bool,
}

pub struct ExtView {
    pub id: i64,
    pub days: i64,
    pub reason: String,
    pub state: &'static str,
    pub pending: bool,
}

#[derive(Template)]
#[template(path = "cases_detail.html")]
struct DetailPage {
    page: PageCtx,
    tabs: Vec<Tab>,
    c: Case,
    filed: bool,
    category: String,
    place: String,
    lead: String,
    co: Vec<String>,
    priority: String,
    source: String,
    state_label: String,
    state_class: &'static str,
    steps: Vec<Step>,
    off_path: bool,
    left: String,
    left_class: &'static str,
    card: String,
    card_class: &'static str,
    contact: bool,
    attributes: Vec<(String, String)>,
    events: Vec<EventView>,
    extensions: Vec<ExtView>,
    times: Vec<(String, String)>,
    satisfaction: String,
    can_triage: bool,
    can_handle: bool,
    can_assist: bool,
    can_return: bool,
    units: Vec<UnitOpt>,
    satisfactions: Vec<ValueOpt>,
    is_reported: bool,
    is_open_for_triage: bool,
    is_with_unit: bool,
    is_dispatched: bool,
    is_handled: bool,
    is_verified: bool,
    is_closed: bool,
    is_reopenable: bool,
    has_pending_ext: bool,
    /// The unit's result as this viewer may read it (a resident: once closed).
    result: String,
    result_photo: bool,
    /// Staff view (internal steps, deadlines, cards, the publication text).
    internal: bool,
    /// The centre may set the text published for this case (accepted, not rejected/merged).
    can_publish: bool,
    category_public: bool,
    /// Whether Open311 shows this case now (the rule in ADR 018).
    published: bool,
    min_result: usize,
    /// The centre may urge the lead unit or list the case for supervision (issue 16).
    can_supervise: bool,
    /// The listing for supervision, to staff: reason, the day it must be done by.
    listing: Option<crate::supervise::Listing>,
    /// The working days the case was urged on, latest first (staff only).
    urged: Vec<String>,
    /// Today as the deadline field's earliest value.
    today: String,
}

pub(super) async fn detail(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
    Query(q): Query<HashMap<String, String>>,
) -> CaseResult<Response> {
    let (c, contact) = visible_case(&state, &actor, id).await?;
    let lang = actor.lang;
    let co_rows = model::co_units(&state.db, id).await?;
    let co_paths: Vec<String> = co_rows.iter().map(|r| r.1.clone()).collect();
    let target = Target::Case(&c, &co_paths);
    let can_triage = authorize(&actor, Action::Triage, &target).is_ok();
    let can_handle = authorize(&actor, Action::Handle, &target).is_ok();
    let can_assist = authorize(&actor, Action::Assist, &target).is_ok();
    let can_supervise = authorize(&actor, Action::Supervise, &target).is_ok()
        && CaseState::WITH_UNIT.contains(&c.state);
    let ids = [c.place_unit_id]
        .into_iter()
        .chain(c.lead_unit_id)
        .chain(co_rows.iter().map(|r| r.0))
        .collect::<Vec<i64>>();
    let names = unit_names(&state, ids).await?;
    let cat = model::category(&state.db, c.category_id).await?;
    let attributes = match (
        &cat,
        serde_json::from_str::<BTreeMap<String, String>>(&c.attributes),
    ) {
        (Some(cat), Ok(answers)) => cat
            .attributes
            .iter()
            .filter_map(|a| {
                let v = answers.get(&a.code)?;
                let shown = a
                    .values
                    .iter()
                    .find(|x| &x.key == v)
                    .map(|x| x.name.clone())
                    .unwrap_or_else(|| v.clone());
                Some((a.description.clone(), shown))
            })
            .collect(),
        _ => vec![],
    };
    let internal = api::sees_internal(&actor, &c, &co_paths);
    let events = api::shown_timeline(&state, &c, contact, internal, lang)
        .await?
        .into_iter()
        .map(|e| EventView {
            at: format_ms(e.at),
            who: e.actor_label,
            what: model::event_label(&e.kind, lang),
            note: e.note,
            kind: e.kind,
            internal: !e.public,
        })
        .collect();
    let exts = if internal {
        model::extensions(&state.db, id).await?
    } else {
        vec![]
    };
    let has_pending_ext = exts.iter().any(|e| e.state == "pending");
    let extensions = exts
        .into_iter()
        .map(|e| ExtView {
            id: e.id,
            days: e.days,
            reason: e.reason,
            pending: e.state == "pending",
            state: match e.state.as_str() {
                "approved" => lang.pick("已批准", "approved"),
                "denied" => lang.pick("已驳回", "denied"),
                _ => lang.pick("待批复", "waiting"),
            },
        })
        .collect();
    let current = CaseState::STEPS.iter().position(|s| *s == c.state);
    let steps = CaseState::STEPS
        .iter()
        .enumerate()
        .map(|(i, s)| Step {
            label: s.label(lang),
            done: current.is_some_and(|k| i < k),
            current: current == Some(i),
        })
        .collect();
    let units = if can_triage {
        let district = UnitPath::parse(&c.district_path);
        let scope = ScopeFilter(district.map(|d| vec![d]));
        UnitOpt::below_district(&state.db, &scope, c.lead_unit_id, lang).await?
    } else {
        vec![]
    };
    let now = state.now();
    let (left, left_class) = time_left(&c, now, lang);
    let (card, card_class) = if internal {
        card(&c, lang)
    } else {
        (String::new(), "")
    };
    let mut times = vec![(
        lang.pick("上报时间", "Reported").to_string(),
        format_ms(c.reported_at),
    )];
    let staff_only = |t: Option<i64>| t.filter(|_| internal);
    for (label, t) in [
        (
            lang.pick("签收期限", "Sign for by"),
            staff_only(c.respond_by),
        ),
        (lang.pick("退回期限", "Return by"), staff_only(c.return_by)),
        (lang.pick("办理期限", "Due"), c.due_at),
        (lang.pick("办结时间", "Handled"), c.handled_at),
        (lang.pick("结案时间", "Closed"), c.closed_at),
    ] {
        if let Some(t) = t {
            times.push((label.to_string(), format_ms(t)));
        }
    }
    let (listing, urged) = if internal {
        (
            crate::supervise::listing(&state.db, id).await?,
            crate::supervise::urged_days(&state.db, id).await?,
        )
    } else {
        (None, vec![])
    };
    let page = DetailPage {
        can_supervise,
        listing,
        urged,
        today: crate::calendar::local_date(now).to_string(),
        page: actor.page(format!("{} #{}", lang.pick("事件", "Case"), c.id)),
        tabs: tabs(&actor, "", lang),
        filed: q.contains_key("filed"),
        category: cat
            .as_ref()
            .map(|k| k.label(lang).to_string())
            .unwrap_or_default(),
        place: names.get(&c.place_unit_id).cloned().unwrap_or_default(),
        lead: c
            .lead_unit_id
            .and_then(|u| names.get(&u).cloned())
            .unwrap_or_default(),
        co: co_rows
            .iter()
            .filter_map(|r| names.get(&r.0).cloned())
            .collect(),
        priority: c.priority.label(lang).into(),
        source: c.source.label(lang).into(),
        state_label: c.state.label(lang).into(),
        state_class: state_class(c.state),
        steps,
        off_path: current.is_none(),
        left,
        left_class,
        card,
        card_class,
        contact,
        attributes,
        events,
        extensions,
        times,
        satisfaction: c
            .satisfaction
            .map(|s| s.label(lang).to_string())
            .unwrap_or_default(),
        can_triage,
        can_handle,
        can_assist,
        can_return: c.return_by.is_some_and(|by| now <= by),
        units,
        satisfactions: Satisfaction::ALL
            .iter()
            .map(|s| ValueOpt {
                value: s.as_str(),
                label: s.label(lang),
                selected: false,
            })
            .collect(),
        is_reported: c.state == CaseState::Reported,
        is_open_for_triage: matches!(c.state, CaseState::Reported | CaseState::Accepted),
        is_with_unit: CaseState::WITH_UNIT.contains(&c.state),
        is_dispatched: c.state == CaseState::Dispatched,
        is_handled: c.state == CaseState::Handled,
        is_verified: c.state == CaseState::Verified,
        is_closed: c.state == CaseState::Closed,
        is_reopenable: matches!(c.state, CaseState::Closed | CaseState::Rejected),
        has_pending_ext,
        result: if internal || c.state == CaseState::Closed {
            c.result.clone()
        } else {
            String::new()
        },
        result_photo: !c.result_photo_key.is_empty() && (internal || c.state == CaseState::Closed),
        internal,
        can_publish: can_triage
            && !matches!(
                c.state,
                CaseState::Reported | CaseState::Rejected | CaseState::Merged
            ),
        category_public: cat.as_ref().is_some_and(|k| k.public),
        published: model::is_published(&c, cat.as_ref()),
        min_result: workflow::MIN_RESULT,
        c,
    };
    Ok(render(&page)?)
}

pub(super) async fn act(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    req: axum::extract::Request,
) -> CaseResult<Response> {
    use axum::extract::FromRequest;
    if let Some(r) = sign_in_first(&actor, &format!("/cases/{id}")) {
        return Ok(r);
    }
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    let (mut input, photo) = if multipart {
        let mp = Multipart::from_request(req, &state)
            .await
            .map_err(|e| CaseError::invalid(Code::BadForm, e.body_text()))?;
        read_step(mp).await?
    } else {
        let body = axum::body::to_bytes(req.into_body(), 256 * 1024)
            .await
            .map_err(|_| CaseError::invalid(Code::BadForm, "表单太大 (the form is too large)"))?;
        (workflow::OpInput::from_form(&body)?, None)
    };
    // The photo is stored under a fresh key before the step, and removed if the step fails.
    let stored = photo.as_ref().map(|(_, kind)| {
        (
            format!("cases/results/{}", platform::auth::new_token()),
            kind.to_string(),
        )
    });
    input.photo = stored.clone();
    let op = input.parse()?;
    if let (Some((data, _)), Some((key, _))) = (photo, &stored) {
        state
            .storage
            .put(key, data)
            .await
            .map_err(|e| CaseError::Internal(anyhow::anyhow!("storing a result photo: {e}")))?;
    }
    let applied = workflow::apply(&state, &actor, id, op).await;
    if let (Err(_), Some((key, _))) = (&applied, &stored) {
        let _ = state.storage.delete(key).await;
    }
    applied?;
    Ok(redirect(&format!("/cases/{id}")))
}

/// The photo a unit reported with its result: staff of the case, and the reporter once
/// the case is closed.
pub(super) async fn result_photo(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> CaseResult<Response> {
    let (case, _) = visible_case(&state, &actor, id).await?;
    let co = api::co_paths(&state, id).await?;
    let shown = api::sees_internal(&actor, &case, &co) || case.state == CaseState::Closed;
    if case.result_photo_key.is_empty() || !shown {
        return Err(CaseError::NotFound);
    }
    image_response(&state, &case.result_photo_key, &case.result_photo_type).await
}

async fn image_response(state: &AppState, key: &str, kind: &str) -> CaseResult<Response> {
    let data = state
        .storage
        .get(key)
        .await
        .map_err(|_| CaseError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        data,
    )
        .into_response())
}

pub(super) async fn photo(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> CaseResult<Response> {
    let (case, _) = visible_case(&state, &actor, id).await?;
    if case.photo_key.is_empty() {
        return Err(CaseError::NotFound);
    }
    image_response(&state, &case.photo_key, &case.photo_type).await
}
