//! The centre's settings: working-day calendar, Open311 keys, and the case categories
//! with their extra questions.

use super::{Tab, UnitOpt, ValueOpt, tabs};
use crate::api::{self};
use crate::authz::{Action, Target, authorize};
use crate::error::{CaseError, CaseResult};
use crate::model::{self, Category};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use gov_core::GovActor;
use platform::AppState;
use platform::clock::format_ms;
use platform::web::Code;
use platform::web::{Id, PageCtx, SignedIn, redirect, render};

pub struct DayRow {
    pub day: String,
    pub kind: &'static str,
    pub note: String,
}

pub struct CategoryRow {
    pub code: String,
    pub name: String,
    pub days: String,
    pub route: String,
    pub leaf: bool,
}

pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "cases_settings.html")]
struct SettingsPage {
    page: PageCtx,
    tabs: Vec<Tab>,
    days: Vec<DayRow>,
    categories: Vec<CategoryRow>,
    keys: Vec<KeyRow>,
    new_key: Option<String>,
    message: Option<String>,
}

async fn settings_page(
    state: &AppState,
    actor: &GovActor,
    new_key: Option<String>,
    message: Option<String>,
) -> CaseResult<Response> {
    authorize(actor, Action::Configure, &Target::Anywhere)?;
    let lang = actor.lang;
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT day, kind, note FROM cases_calendar ORDER BY day")
            .fetch_all(&state.db.pool)
            .await?;
    let all = model::categories(&state.db).await?;
    let leaves: Vec<i64> = model::leaves(&all).iter().map(|c| c.id).collect();
    let page = SettingsPage {
        page: actor.page(lang.pick("事件设置", "Case settings")),
        tabs: tabs(actor, "/cases/settings", lang),
        days: rows
            .into_iter()
            .map(|(day, kind, note)| DayRow {
                day,
                kind: if kind == "holiday" {
                    lang.pick("放假", "Holiday")
                } else {
                    lang.pick("调休上班", "Worked day")
                },
                note,
            })
            .collect(),
        categories: all
            .iter()
            .map(|c| CategoryRow {
                code: c.code.clone(),
                name: c.label(lang).to_string(),
                days: format!(
                    "{} / {} / {}",
                    c.days_normal, c.days_urgent, c.days_critical
                ),
                route: c.route_kind.label(lang).to_string(),
                leaf: leaves.contains(&c.id),
            })
            .collect(),
        keys: crate::open311::keys::list(state)
            .await?
            .into_iter()
            .map(|k| KeyRow {
                id: k.id,
                name: k.name,
                created: format_ms(k.created_at),
                revoked: k.revoked,
            })
            .collect(),
        new_key,
        message,
    };
    Ok(render(&page)?)
}

pub(super) async fn settings(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> CaseResult<Response> {
    settings_page(&state, &actor, None, None).await
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct DayForm {
    day: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn calendar_save(
    State(state): State<AppState>,
    actor: GovActor,
    Form(f): Form<DayForm>,
) -> CaseResult<Response> {
    match api::save_day(&state, &actor, &f.day, &f.kind, &f.note).await {
        Ok(()) => Ok(redirect("/cases/settings")),
        Err(CaseError::Invalid { message, .. }) => {
            settings_page(&state, &actor, None, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn calendar_delete(
    State(state): State<AppState>,
    actor: GovActor,
    Form(f): Form<DayForm>,
) -> CaseResult<Response> {
    api::remove_day(&state, &actor, &f.day).await?;
    Ok(redirect("/cases/settings"))
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct KeyForm {
    name: String,
}

pub(super) async fn key_issue(
    State(state): State<AppState>,
    actor: GovActor,
    Form(f): Form<KeyForm>,
) -> CaseResult<Response> {
    authorize(&actor, Action::Configure, &Target::Anywhere)?;
    let district = crate::open311::keys::district_for(&state, &actor, None).await?;
    match crate::open311::keys::issue(&state, actor.id(), &f.name, district).await {
        Ok(key) => settings_page(&state, &actor, Some(key), None).await,
        Err(CaseError::Invalid { message, .. }) => {
            settings_page(&state, &actor, None, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn key_revoke(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> CaseResult<Response> {
    crate::open311::keys::revoke(&state, &actor, id).await?;
    Ok(redirect("/cases/settings"))
}

// ---------------------------------------------------------------------------------------
// Case categories (the centre's administrators)

/// One category in the list.
pub struct CategoryItem {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub parent: String,
    pub days: String,
    pub route: String,
    pub public: bool,
    pub active: bool,
    pub questions: usize,
}

/// The add / edit form, holding what was typed (so a refused form keeps it).
#[derive(Debug, Default, serde::Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parent: String,
    #[serde(default)]
    pub days_normal: String,
    #[serde(default)]
    pub days_urgent: String,
    #[serde(default)]
    pub days_critical: String,
    #[serde(default)]
    pub route_kind: String,
    #[serde(default)]
    pub route_unit_id: String,
    #[serde(default)]
    pub public: Option<String>,
    #[serde(default)]
    pub active: Option<String>,
}

impl CategoryForm {
    fn of(c: &Category, all: &[Category]) -> CategoryForm {
        CategoryForm {
            code: c.code.clone(),
            name: c.name.clone(),
            name_en: c.name_en.clone(),
            description: c.description.clone(),
            parent: c
                .parent_id
                .and_then(|p| all.iter().find(|k| k.id == p))
                .map(|p| p.code.clone())
                .unwrap_or_default(),
            days_normal: c.days_normal.to_string(),
            days_urgent: c.days_urgent.to_string(),
            days_critical: c.days_critical.to_string(),
            route_kind: c.route_kind.as_str().into(),
            route_unit_id: c.route_unit_id.map(|u| u.to_string()).unwrap_or_default(),
            public: c.public.then(|| "1".into()),
            active: c.active.then(|| "1".into()),
        }
    }

    fn blank() -> CategoryForm {
        CategoryForm {
            days_normal: "5".into(),
            days_urgent: "2".into(),
            days_critical: "1".into(),
            route_kind: "community".into(),
            active: Some("1".into()),
            ..CategoryForm::default()
        }
    }

    /// The API's input; a number field that is not a whole number is refused by name.
    fn input(&self) -> CaseResult<api::CategoryInput> {
        let number = |raw: &str, zh: &str| -> CaseResult<Option<i64>> {
            let raw = raw.trim();
            if raw.is_empty() {
                return Ok(None);
            }
            raw.parse().map(Some).map_err(|_| {
                CaseError::invalid(
                    Code::BadNumber,
                    format!("{zh}须为整数 ({zh}: a whole number)"),
                )
            })
        };
        Ok(api::CategoryInput {
            code: self.code.clone(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            description: self.description.clone(),
            parent: self.parent.clone(),
            days_normal: number(&self.days_normal, "一般时限")?,
            days_urgent: number(&self.days_urgent, "紧急时限")?,
            days_critical: number(&self.days_critical, "特急时限")?,
            route_kind: self.route_kind.clone(),
            route_unit_id: number(&self.route_unit_id, "指定单位")?,
            attributes: None,
            public: self.public.is_some(),
            active: Some(self.active.is_some()),
        })
    }
}

#[derive(Template)]
#[template(path = "cases_categories.html")]
struct CategoriesPage {
    page: PageCtx,
    tabs: Vec<Tab>,
    items: Vec<CategoryItem>,
    /// The category being edited (None: the add form).
    editing: Option<i64>,
    form: CategoryForm,
    parents: Vec<(String, String)>,
    routes: Vec<ValueOpt>,
    units: Vec<UnitOpt>,
    message: Option<String>,
}

async fn categories_page(
    state: &AppState,
    actor: &GovActor,
    editing: Option<i64>,
    form: Option<CategoryForm>,
    message: Option<String>,
) -> CaseResult<Response> {
    authorize(actor, Action::Configure, &Target::Anywhere)?;
    let lang = actor.lang;
    let all = model::categories(&state.db).await?;
    let form = match (form, editing) {
        (Some(f), _) => f,
        (None, Some(id)) => {
            let c = all.iter().find(|c| c.id == id).ok_or(CaseError::NotFound)?;
            CategoryForm::of(c, &all)
        }
        (None, None) => CategoryForm::blank(),
    };
    let route_unit: Option<i64> = form.route_unit_id.trim().parse().ok();
    let scope = actor.scope_with(gov_core::MemberRole::UnitAdmin);
    let units = UnitOpt::below_district(&state.db, &scope, route_unit, lang).await?;
    let page = CategoriesPage {
        page: actor.page(lang.pick("事件类别", "Case categories")),
        tabs: tabs(actor, "/cases/categories", lang),
        items: all
            .iter()
            .map(|c| CategoryItem {
                id: c.id,
                code: c.code.clone(),
                name: c.label(lang).to_string(),
                parent: c
                    .parent_id
                    .and_then(|p| all.iter().find(|k| k.id == p))
                    .map(|p| p.label(lang).to_string())
                    .unwrap_or_default(),
                days: format!(
                    "{} / {} / {}",
                    c.days_normal, c.days_urgent, c.days_critical
                ),
                route: c.route_kind.label(lang).to_string(),
                public: c.public,
                active: c.active,
                questions: c.attributes.len(),
            })
            .collect(),
        parents: all
            .iter()
            .filter(|c| c.parent_id.is_none() && Some(c.id) != editing)
            .map(|c| (c.code.clone(), c.label(lang).to_string()))
            .collect(),
        routes: model::RouteKind::ALL
            .iter()
            .map(|r| ValueOpt {
                value: r.as_str(),
                label: r.label(lang),
                selected: r.as_str() == form.route_kind,
            })
            .collect(),
        units,
        editing,
        form,
        message,
    };
    Ok(render(&page)?)
}

pub(super) async fn categories_list(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> CaseResult<Response> {
    categories_page(&state, &actor, None, None, None).await
}

pub(super) async fn category_edit(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> CaseResult<Response> {
    categories_page(&state, &actor, Some(id), None, None).await
}

/// A refused form comes back with what was typed and the reason next to it.
async fn category_saved(
    state: &AppState,
    actor: &GovActor,
    editing: Option<i64>,
    form: CategoryForm,
    saved: CaseResult<Category>,
) -> CaseResult<Response> {
    match saved {
        Ok(_) => Ok(redirect("/cases/categories")),
        Err(CaseError::Invalid { message, .. }) | Err(CaseError::Refused { message, .. }) => {
            categories_page(state, actor, editing, Some(form), Some(message)).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn category_add(
    State(state): State<AppState>,
    actor: GovActor,
    Form(f): Form<CategoryForm>,
) -> CaseResult<Response> {
    let saved = match f.input() {
        Ok(input) => api::add_category(&state, &actor, input).await,
        Err(e) => Err(e),
    };
    category_saved(&state, &actor, None, f, saved).await
}

pub(super) async fn category_update(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(f): Form<CategoryForm>,
) -> CaseResult<Response> {
    let saved = match f.input() {
        Ok(input) => api::edit_category(&state, &actor, id, input).await,
        Err(e) => Err(e),
    };
    category_saved(&state, &actor, Some(id), f, saved).await
}
