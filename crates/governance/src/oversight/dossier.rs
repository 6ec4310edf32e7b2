//! An organisation's page (档案): its record, services, reports, grades and staff, as the
//! reader may see them.

use crate::authz::Action;
use crate::authz::Scope;
use crate::error::{GovError, GovResult, Invalid};
use crate::forms::Flash;
use crate::forms::{Pairs, saved};
use crate::registry::model;
use crate::registry::model::HubRole;
use crate::registry::model::Org;
use crate::registry::model::OrgFilter;
use crate::registry::orgs;
use crate::registry::pages::Crumb;
use crate::registry::pages::crumbs;
use crate::registry::profiles::link_staff;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::Path;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use gov_core::GovActor;
use platform::AppState;
use platform::web::{Id, PageCtx, SignedIn, render};
use platform::web::{parse_id, redirect};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gov/orgs/{id}", get(org))
        .route("/gov/orgs/{id}/staff", post(staff_post))
        .route(
            "/gov/orgs/{id}/staff/{user_id}/remove",
            post(staff_remove_post),
        )
}

// ---------------------------------------------------------------------------------------
// Profile

pub struct AgeBar {
    pub label: &'static str,
    pub count: i64,
    pub pct: i64,
}

#[derive(Template)]
#[template(path = "gov_org.html")]
struct OrgPage {
    page: PageCtx,
    org: Org,
    type_label: &'static str,
    role_label: &'static str,
    fields: Vec<String>,
    crumbs: Vec<Crumb>,
    unit_link: bool,
    hub_link: bool,
    ages: Vec<AgeBar>,
    members: i64,
    can_edit: bool,
    saved: bool,
    services: Vec<crate::network::pages::ServiceRow>,
    ov: crate::oversight::pages::OrgOversight,
    /// The account-linking form as typed, with what was wrong with it.
    staff_username: String,
    staff_error: Option<String>,
}

async fn org(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
    Query(sq): Query<Flash>,
) -> GovResult<Response> {
    let org = orgs::load_org(&state, &actor, id, Action::View).await?;
    org_page(&state, &actor, org, sq.saved.is_some(), "", None).await
}

/// An organisation's profile; `staff_error` re-shows the account-linking form with its
/// problem (400) instead of leaving the page.
pub(crate) async fn org_page(
    state: &AppState,
    actor: &GovActor,
    org: Org,
    saved: bool,
    staff_username: &str,
    staff_error: Option<&Invalid>,
) -> GovResult<Response> {
    let lang = actor.lang;
    let unit = gov_core::find_unit(&state.db, org.unit_id)
        .await?
        .ok_or(GovError::NotFound)?;
    let mut crumbs = crumbs(state, actor, &unit).await?;
    let unit_link = actor.can(Action::View, &Scope::Unit(&unit.path));
    crumbs.push(Crumb {
        id: unit.id.0,
        name: unit.name.clone(),
        link: unit_link,
    });
    let hub_link = match org.hub_id {
        Some(h) => match model::find_org(&state.db, h).await? {
            Some(hub) => actor.can(Action::View, &Scope::Unit(&hub.unit_path)),
            None => false,
        },
        None => false,
    };
    let members = if org.hub_role == HubRole::Hub {
        model::count_orgs(
            &state.db,
            &actor.scope(),
            &OrgFilter {
                hub_id: Some(org.id),
                hub_role: Some(HubRole::Member),
                ..OrgFilter::default()
            },
        )
        .await?
    } else {
        0
    };
    let total = org.staff.count.max(1);
    let ages = vec![
        AgeBar {
            label: lang.pick("35 岁以下", "Under 35"),
            count: org.staff.under_35,
            pct: org.staff.under_35 * 100 / total,
        },
        AgeBar {
            label: lang.pick("35–54 岁", "35 to 54"),
            count: org.staff.from_35_to_54,
            pct: org.staff.from_35_to_54 * 100 / total,
        },
        AgeBar {
            label: lang.pick("55 岁及以上", "55 and over"),
            count: org.staff.from_55,
            pct: org.staff.from_55 * 100 / total,
        },
    ];
    let resp = render(&OrgPage {
        page: actor.page(org.name.clone()),
        type_label: org.org_type.label(lang),
        role_label: org.hub_role.label(lang),
        fields: org
            .service_fields
            .iter()
            .map(|f| model::field_label(f, lang))
            .collect(),
        crumbs,
        unit_link,
        hub_link,
        ages,
        members,
        can_edit: actor.can(Action::EditOrg, &Scope::Unit(&org.unit_path)),
        saved,
        services: crate::network::pages::org_services(&state.db, org.id, lang).await?,
        ov: crate::oversight::pages::org_section(state, actor, &org).await?,
        org,
        staff_username: staff_username.to_string(),
        staff_error: staff_error.map(|e| e.message(lang).to_string()),
    })?;
    Ok(crate::forms::with_error_status(resp, staff_error, false))
}

async fn staff_post(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    let org = orgs::load_org(&state, &actor, id, Action::ManageOrgStaff).await?;
    let v = Pairs(pairs);
    match saved(link_staff(&state, Some(&actor), org.id, v.get("username")).await)? {
        Ok(_) => Ok(redirect(&format!("/gov/orgs/{}?saved=1", org.id))),
        Err(inv) => org_page(&state, &actor, org, false, v.get("username"), Some(&inv)).await,
    }
}

async fn staff_remove_post(
    State(state): State<AppState>,
    actor: GovActor,
    Path((id, user_id)): Path<(String, String)>,
) -> GovResult<Response> {
    let org_id = parse_id(&id)?;
    crate::registry::profiles::unlink_staff(&state, &actor, org_id, parse_id(&user_id)?).await?;
    Ok(redirect(&format!("/gov/orgs/{org_id}?saved=1")))
}
