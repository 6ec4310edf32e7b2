//! The resident's report form (and the operator filing on someone's behalf): categories with
//! their extra questions, the place, an optional photo checked by its magic bytes.

use super::upload::read_photo;
use super::{Tab, UnitOpt, ValueOpt, tabs};
use crate::api::{self, Filing};
use crate::authz::{Action, Target, authorize};
use crate::error::{CaseError, CaseResult};
use crate::intake;
use crate::model::{self, Category, Priority, Source};
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use gov_core::{GovActor, ScopeFilter, Unit, UnitKind, list_units};
use platform::AppState;
use platform::web::{PageCtx, SignedIn, redirect, render, sign_in_first};
use std::collections::{BTreeMap, HashMap};

pub struct CategoryOpt {
    pub code: String,
    pub label: String,
    pub group: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "cases_new.html")]
struct NewPage {
    page: PageCtx,
    tabs: Vec<Tab>,
    error: Option<String>,
    categories: Vec<CategoryOpt>,
    places: Vec<UnitOpt>,
    priorities: Vec<ValueOpt>,
    sources: Vec<ValueOpt>,
    on_behalf: bool,
    questions: Vec<QuestionSet>,
    f: Filing,
}

/// A category's extra questions (Open311 attributes), asked in its own fieldset that
/// shows only while the category is chosen.
pub struct QuestionSet {
    pub category_code: String,
    pub category: String,
    pub shown: bool,
    pub questions: Vec<Question>,
}

pub struct Question {
    pub code: String,
    pub description: String,
    pub required: bool,
    pub values: Vec<(String, String, bool)>,
}

fn question_list(c: &Category, f: &Filing) -> Vec<Question> {
    c.attributes
        .iter()
        .map(|a| Question {
            code: a.code.clone(),
            description: a.description.clone(),
            required: a.required,
            values: a
                .values
                .iter()
                .map(|v| {
                    let chosen = f.attributes.get(&a.code) == Some(&v.key);
                    (v.key.clone(), v.name.clone(), chosen)
                })
                .collect(),
        })
        .collect()
}

async fn place_units(state: &AppState) -> CaseResult<Vec<Unit>> {
    let mut units = list_units(&state.db, &ScopeFilter(None)).await?;
    units.retain(|u| {
        matches!(
            u.kind,
            UnitKind::Community | UnitKind::Grid | UnitKind::Street
        )
    });
    Ok(units)
}

async fn new_page(
    state: &AppState,
    actor: &GovActor,
    f: Filing,
    error: Option<String>,
) -> CaseResult<Response> {
    let lang = actor.lang;
    let all = model::categories(&state.db).await?;
    let names: HashMap<i64, String> = all
        .iter()
        .map(|c| (c.id, c.label(lang).to_string()))
        .collect();
    let categories = model::leaves(&all)
        .into_iter()
        .map(|c| CategoryOpt {
            code: c.code.clone(),
            label: c.label(lang).to_string(),
            group: c
                .parent_id
                .and_then(|p| names.get(&p).cloned())
                .unwrap_or_default(),
            selected: c.code == f.category,
        })
        .collect();
    let place_id = f.place_unit_id.unwrap_or(0);
    let places = place_units(state)
        .await?
        .into_iter()
        .filter(|u| u.kind == UnitKind::Community)
        .map(|u| UnitOpt {
            id: u.id.0,
            label: u.name,
            selected: u.id.0 == place_id,
        })
        .collect();
    let questions = model::leaves(&all)
        .into_iter()
        .filter(|c| !c.attributes.is_empty())
        .map(|c| QuestionSet {
            category_code: c.code.clone(),
            category: c.label(lang).to_string(),
            shown: c.code == f.category,
            questions: question_list(c, &f),
        })
        .collect();
    let on_behalf = authorize(actor, Action::ReportOnBehalf, &Target::Anywhere).is_ok();
    let page = NewPage {
        page: actor.page(lang.pick("上报事件", "Report a case")),
        tabs: tabs(actor, "/cases/new", lang),
        error,
        categories,
        places,
        priorities: Priority::ALL
            .iter()
            .map(|p| ValueOpt {
                value: p.as_str(),
                label: p.label(lang),
                selected: p.as_str() == f.priority,
            })
            .collect(),
        sources: [Source::Web, Source::Grid, Source::Hotline]
            .iter()
            .map(|s| ValueOpt {
                value: s.as_str(),
                label: s.label(lang),
                selected: s.as_str() == f.source,
            })
            .collect(),
        on_behalf,
        questions,
        f,
    };
    Ok(render(&page)?)
}

pub(super) async fn new_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> CaseResult<Response> {
    new_page(&state, &actor, Filing::default(), None).await
}

async fn read_report(
    mut mp: Multipart,
) -> Result<(Filing, Option<(bytes::Bytes, &'static str)>), String> {
    let mut f = Filing::default();
    let mut photo = None;
    let mut scoped = Vec::new();
    let broken =
        |_| "表单没有完整传到，请重试 (the form arrived incomplete; try again)".to_string();
    while let Some(field) = mp.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            if let Some(p) = read_photo(field).await? {
                photo = Some(p);
            }
            continue;
        }
        let value = field.text().await.map_err(broken)?;
        match name.as_str() {
            "category" => f.category = value,
            "priority" => f.priority = value,
            "source" => f.source = value,
            "place_unit_id" => f.place_unit_id = value.trim().parse().ok(),
            "address" => f.address = value,
            "lat" => f.lat = value,
            "long" => f.long = value,
            "description" => f.description = value,
            "reporter_name" => f.reporter_name = value,
            "reporter_phone" => f.reporter_phone = value,
            other if other.starts_with("attribute[") => {
                if let Some(code) = other
                    .strip_prefix("attribute[")
                    .and_then(|s| s.strip_suffix(']'))
                {
                    f.attributes.insert(code.to_string(), value);
                }
            }
            other => {
                if let Some((cat, code)) = question_field(other) {
                    scoped.push((cat.to_string(), code.to_string(), value));
                }
            }
        }
    }
    // Only the chosen category's answers count: the others' questions may sit on the page
    // (without JS every category's fieldset shows) but are neither kept nor checked.
    for (cat, code, value) in scoped {
        if cat == f.category.trim() {
            f.attributes.insert(code, value);
        }
    }
    Ok((f, photo))
}

/// `q[CATEGORY][CODE]`, the form name of one category's question.
fn question_field(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("q[")?.strip_suffix(']')?;
    rest.split_once("][")
}

pub(super) async fn report(
    State(state): State<AppState>,
    actor: GovActor,
    mp: Multipart,
) -> CaseResult<Response> {
    if let Some(r) = sign_in_first(&actor, "/cases/new") {
        return Ok(r);
    }
    let (f, photo) = match read_report(mp).await {
        Ok(x) => x,
        Err(msg) => return new_page(&state, &actor, Filing::default(), Some(msg)).await,
    };
    // Check everything before the photo is stored, so a refused form leaves nothing behind.
    let stored = photo.as_ref().map(|(_, kind)| {
        (
            format!("cases/photos/{}", platform::auth::new_token()),
            kind.to_string(),
        )
    });
    let keep = Filing {
        attributes: f.attributes.clone(),
        ..Filing {
            category: f.category.clone(),
            priority: f.priority.clone(),
            source: f.source.clone(),
            place_unit_id: f.place_unit_id,
            address: f.address.clone(),
            lat: f.lat.clone(),
            long: f.long.clone(),
            description: f.description.clone(),
            reporter_name: f.reporter_name.clone(),
            reporter_phone: f.reporter_phone.clone(),
            attributes: BTreeMap::new(),
        }
    };
    let new = match api::check_filing(&state, &actor, f, stored.clone()).await {
        Ok(n) => n,
        Err(CaseError::Invalid { message, .. }) => {
            return new_page(&state, &actor, keep, Some(message)).await;
        }
        Err(e) => return Err(e),
    };
    if let (Some((data, _)), Some((key, _))) = (photo, &stored) {
        state
            .storage
            .put(key, data)
            .await
            .map_err(|e| CaseError::Internal(anyhow::anyhow!("storing a case photo: {e}")))?;
    }
    let case = intake::file(&state, new).await?;
    Ok(redirect(&format!("/cases/{}?filed=1", case.id)))
}
