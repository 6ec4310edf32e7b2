//! The registry's pages under /gov: the workbench home, the unit tree, a unit's page and
//! edit form, and the 1+5+X hub page.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::error::{GovError, GovResult, Invalid};
use crate::picker::top_units;
use crate::registry::hub::hub_structure;
use crate::registry::model;
use crate::registry::model::Org;
use crate::registry::model::OrgFilter;
use crate::registry::model::orgs_among_residents;
use crate::registry::model::per_10k;
use crate::registry::org_pages::OrgRow;
use crate::registry::org_pages::org_row;
use crate::registry::units;
use crate::view::fmt_int;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use gov_core::GovActor;
use gov_core::MemberRole;
use gov_core::Unit;
use gov_core::UnitId;
use gov_core::UnitKind;
use platform::AppState;
use platform::web::Opt;
use platform::web::{Lang, PageCtx, SignedIn, redirect, render};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gov", get(home))
        .route("/gov/units", get(units))
        .route("/gov/units/{id}", get(unit))
        .route(
            "/gov/units/{id}/edit",
            get(unit_edit_form).post(unit_edit_post),
        )
        .route("/gov/hub", get(hub))
        .route(
            "/static/governance.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css"),
                        (header::CACHE_CONTROL, "public, max-age=300"),
                    ],
                    include_str!("../../static/governance.css"),
                )
            }),
        )
}

// ---------------------------------------------------------------------------------------
// Home

pub struct GrantRow {
    pub unit_id: i64,
    pub unit_name: String,
    pub role: &'static str,
}

#[derive(Template)]
#[template(path = "gov_home.html")]
struct HomePage {
    page: PageCtx,
    admin: bool,
    grants: Vec<GrantRow>,
    units: usize,
    residents: String,
    households: String,
    orgs: String,
    per10k: String,
    hubs: usize,
    brands: String,
    can_edit: bool,
}

async fn home(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> GovResult<Response> {
    // Organisation staff without a unit role have one page: their organisation.
    if actor.grants.is_empty() && !actor.org_links.is_empty() && !actor.is_platform_admin() {
        return Ok(redirect("/gov/my"));
    }
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let scope = actor.scope();
    let units = gov_core::list_units(&state.db, &scope).await?;
    let tops = top_units(&units);
    let residents: i64 = tops.iter().map(|u| u.residents).sum();
    let households: i64 = tops.iter().map(|u| u.households).sum();
    let orgs = model::count_orgs(&state.db, &scope, &OrgFilter::default()).await?;
    let among_residents =
        orgs_among_residents(&units, &model::org_counts_by_unit(&state.db, &scope).await?);
    let brands = model::count_orgs(
        &state.db,
        &scope,
        &OrgFilter {
            brand: true,
            ..OrgFilter::default()
        },
    )
    .await?;
    let hubs = hub_structure(&state, &actor).await?.hubs.len();
    let lang = actor.lang;
    Ok(render(&HomePage {
        page: actor.page(lang.pick("社会治理", "Governance")),
        admin: actor.is_platform_admin(),
        grants: actor
            .grants
            .iter()
            .map(|g| GrantRow {
                unit_id: g.unit_id.0,
                unit_name: g.unit_name.clone(),
                role: g.role.label(lang),
            })
            .collect(),
        units: units.len(),
        residents: fmt_int(residents),
        households: fmt_int(households),
        orgs: fmt_int(orgs),
        per10k: per_10k(among_residents, residents),
        hubs,
        brands: fmt_int(brands),
        can_edit: actor.can(Action::EditOrg, &Scope::Anywhere),
    })?)
}

// ---------------------------------------------------------------------------------------
// Unit tree

pub struct TreeNode {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub residents: String,
    pub households: String,
    pub party_org: String,
    pub party_secretary: String,
    pub party_members: i64,
    pub orgs: i64,
    pub has_children: bool,
    pub open: bool,
    /// How many open lists end after this node.
    pub close_after: usize,
}

fn subtree_counts(units: &[Unit], direct: &[(UnitId, i64)]) -> HashMap<UnitId, i64> {
    let mut out: HashMap<UnitId, i64> = HashMap::new();
    for (unit_id, n) in direct {
        if let Some(u) = units.iter().find(|u| u.id == *unit_id) {
            for id in u.path.ids() {
                *out.entry(id).or_default() += n;
            }
        }
    }
    out
}

fn flatten(
    units: &[Unit],
    counts: &HashMap<UnitId, i64>,
    lang: Lang,
    node: &Unit,
    depth: usize,
    out: &mut Vec<TreeNode>,
) {
    let kids: Vec<&Unit> = units
        .iter()
        .filter(|u| u.parent_id == Some(node.id))
        .collect();
    out.push(TreeNode {
        id: node.id.0,
        name: node.name.clone(),
        code: node.code.clone(),
        kind: node.kind.as_str(),
        kind_label: node.kind.label(lang),
        residents: fmt_int(node.residents),
        households: fmt_int(node.households),
        party_org: node.party_org_name.clone(),
        party_secretary: node.party_secretary.clone(),
        party_members: node.party_members,
        orgs: counts.get(&node.id).copied().unwrap_or(0),
        has_children: !kids.is_empty(),
        open: depth < 1,
        close_after: 0,
    });
    if kids.is_empty() {
        return;
    }
    for k in kids {
        flatten(units, counts, lang, k, depth + 1, out);
    }
    if let Some(last) = out.last_mut() {
        last.close_after += 1;
    }
}

#[derive(Template)]
#[template(path = "gov_units.html")]
struct UnitsPage {
    page: PageCtx,
    nodes: Vec<TreeNode>,
}

async fn units(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> GovResult<Response> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let scope = actor.scope();
    let all = gov_core::list_units(&state.db, &scope).await?;
    let direct = model::org_counts_by_unit(&state.db, &scope).await?;
    let counts = subtree_counts(&all, &direct);
    let mut nodes = Vec::new();
    for top in top_units(&all) {
        flatten(&all, &counts, actor.lang, top, 0, &mut nodes);
    }
    Ok(render(&UnitsPage {
        page: actor.page(actor.lang.pick("单位架构", "Unit tree")),
        nodes,
    })?)
}

pub struct Crumb {
    pub id: i64,
    pub name: String,
    pub link: bool,
}

pub(crate) async fn crumbs(
    state: &AppState,
    actor: &GovActor,
    unit: &Unit,
) -> GovResult<Vec<Crumb>> {
    Ok(units::ancestors(state, actor, unit)
        .await?
        .into_iter()
        .map(|u| Crumb {
            id: u.id.0,
            link: actor.can(Action::View, &Scope::Unit(&u.path)),
            name: u.name,
        })
        .collect())
}

pub struct ChildRow {
    pub id: i64,
    pub name: String,
    pub kind_label: &'static str,
    pub residents: String,
    pub households: String,
    pub party_org: String,
    pub orgs: i64,
    pub per10k: String,
}

#[derive(Template)]
#[template(path = "gov_unit.html")]
struct UnitPage {
    page: PageCtx,
    unit: Unit,
    kind_label: &'static str,
    crumbs: Vec<Crumb>,
    residents: String,
    households: String,
    children: Vec<ChildRow>,
    child_kind: &'static str,
    rows: Vec<OrgRow>,
    orgs_total: i64,
    per10k: String,
    can_edit: bool,
    can_manage: bool,
    /// Whether the actor manages the staff of this unit (the staff page, filtered to it).
    can_staff: bool,
}

async fn unit(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Path(id): Path<String>,
) -> GovResult<Response> {
    let id = UnitId::parse(&id).ok_or(GovError::NotFound)?;
    let unit = units::load_unit(&state, &actor, id, Action::View).await?;
    let kids = gov_core::children(&state.db, unit.id).await?;
    let subtree_units = {
        let mut v = vec![unit.clone()];
        v.extend(
            gov_core::list_units(
                &state.db,
                &gov_core::ScopeFilter(Some(vec![unit.path.clone()])),
            )
            .await?
            .into_iter()
            .filter(|u| u.id != unit.id),
        );
        v
    };
    let direct = model::org_counts_by_unit(
        &state.db,
        &gov_core::ScopeFilter(Some(vec![unit.path.clone()])),
    )
    .await?;
    let counts = subtree_counts(&subtree_units, &direct);
    let lang = actor.lang;
    let children = kids
        .iter()
        .map(|c| {
            let orgs = counts.get(&c.id).copied().unwrap_or(0);
            ChildRow {
                id: c.id.0,
                name: c.name.clone(),
                kind_label: c.kind.label(lang),
                residents: fmt_int(c.residents),
                households: fmt_int(c.households),
                party_org: c.party_org_name.clone(),
                orgs,
                per10k: per_10k(orgs, c.residents),
            }
        })
        .collect();
    let here = OrgFilter::default();
    let mut orgs_here: Vec<Org> = model::list_orgs(
        &state.db,
        &gov_core::ScopeFilter(Some(vec![unit.path.clone()])),
        &here,
        500,
        0,
    )
    .await?;
    orgs_here.retain(|o| o.unit_id == unit.id);
    let orgs_total = counts.get(&unit.id).copied().unwrap_or(0);
    let child_kind = match unit.kind {
        UnitKind::District => lang.pick("街道与职能部门", "Streets and departments"),
        UnitKind::Street => lang.pick("社区", "Communities"),
        UnitKind::Community => lang.pick("网格", "Grids"),
        _ => lang.pick("下级单位", "Units below"),
    };
    Ok(render(&UnitPage {
        page: actor.page(unit.name.clone()),
        kind_label: unit.kind.label(lang),
        crumbs: crumbs(&state, &actor, &unit).await?,
        residents: fmt_int(unit.residents),
        households: fmt_int(unit.households),
        children,
        child_kind,
        rows: orgs_here.iter().map(|o| org_row(o, lang)).collect(),
        orgs_total,
        per10k: per_10k(
            orgs_among_residents(&subtree_units, &direct),
            unit.residents,
        ),
        can_edit: actor.can(Action::EditOrg, &Scope::Unit(&unit.path)),
        can_manage: actor.can(Action::EditUnit, &Scope::Unit(&unit.path)),
        can_staff: actor.can(Action::Grant(MemberRole::Viewer), &Scope::Unit(&unit.path)),
        unit,
    })?)
}

// ---------------------------------------------------------------------------------------
// Editing and moving a unit

#[derive(Template)]
#[template(path = "gov_unit_form.html")]
struct UnitFormPage {
    page: PageCtx,
    unit: Unit,
    v: crate::forms::Pairs,
    parents: Vec<Opt>,
    error: Option<String>,
    error_field: String,
}

async fn unit_form_page(
    state: &AppState,
    actor: &GovActor,
    unit: Unit,
    v: crate::forms::Pairs,
    error: Option<&Invalid>,
) -> GovResult<Response> {
    let lang = actor.lang;
    // Where it may hang: units of the parent tier in its district that the actor manages.
    let parents = match unit.kind.parent_kind() {
        None => Vec::new(),
        Some(kind) => gov_core::list_units(&state.db, &actor.scope_with(MemberRole::UnitAdmin))
            .await?
            .into_iter()
            .filter(|p| {
                (p.kind == kind && p.path.root_path() == unit.path.root_path())
                    || Some(p.id) == unit.parent_id
            })
            .map(|p| Opt::current(p.id.0.to_string(), p.name, v.get("parent_id")))
            .collect(),
    };
    // The current parent is always a choice (so saving without a change never moves).
    let mut parents = parents;
    if let Some(pid) = unit.parent_id
        && !parents.iter().any(|o| o.value == pid.0.to_string())
        && let Some(p) = gov_core::find_unit(&state.db, pid).await?
    {
        parents.insert(
            0,
            Opt::current(pid.0.to_string(), p.name, v.get("parent_id")),
        );
    }
    let resp = render(&UnitFormPage {
        page: actor.page(format!("{}{}", lang.pick("编辑：", "Edit: "), unit.name)),
        parents,
        error: error.map(|e| e.message(lang).to_string()),
        error_field: error.map(|e| e.field.to_string()).unwrap_or_default(),
        v,
        unit,
    })?;
    Ok(crate::forms::with_error_status(
        resp,
        error,
        error.is_some_and(crate::forms::is_conflict),
    ))
}

async fn unit_edit_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Path(id): Path<String>,
) -> GovResult<Response> {
    let id = UnitId::parse(&id).ok_or(GovError::NotFound)?;
    let unit = units::load_unit(&state, &actor, id, Action::EditUnit).await?;
    let mut v = crate::forms::Pairs::default();
    v.set("name", unit.name.clone());
    v.set("code", unit.code.clone());
    v.set("residents", unit.residents.to_string());
    v.set("households", unit.households.to_string());
    v.set("party_org_name", unit.party_org_name.clone());
    v.set("party_secretary", unit.party_secretary.clone());
    v.set("party_members", unit.party_members.to_string());
    v.set(
        "parent_id",
        unit.parent_id.map(|p| p.0.to_string()).unwrap_or_default(),
    );
    unit_form_page(&state, &actor, unit, v, None).await
}

async fn unit_edit_post(
    State(state): State<AppState>,
    actor: GovActor,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    let id = UnitId::parse(&id).ok_or(GovError::NotFound)?;
    let unit = units::load_unit(&state, &actor, id, Action::EditUnit).await?;
    let v = crate::forms::Pairs(pairs);
    let result = async {
        let edit = units::UnitEdit {
            parent_id: v.int("parent_id")?,
            name: v.text("name"),
            code: v.text("code"),
            households: v.int("households")?,
            residents: v.int("residents")?,
            party_org_name: v.text("party_org_name"),
            party_secretary: v.text("party_secretary"),
            party_members: v.int("party_members")?,
            sort: None,
        };
        units::update_unit(&state, &actor, unit.id, &edit).await
    }
    .await;
    match crate::forms::saved(result)? {
        Ok(u) => Ok(redirect(&format!("/gov/units/{}", u.id))),
        Err(inv) => unit_form_page(&state, &actor, unit, v, Some(&inv)).await,
    }
}

// ---------------------------------------------------------------------------------------
// Hub structure

pub struct HubRow {
    pub id: i64,
    pub name: String,
    pub members: i64,
    pub viewable: bool,
}

#[derive(Template)]
#[template(path = "gov_hub.html")]
struct HubPage {
    page: PageCtx,
    svg: String,
    federation: Option<(i64, String)>,
    federation_link: bool,
    rows: Vec<HubRow>,
    total_members: i64,
}

async fn hub(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> GovResult<Response> {
    let s = hub_structure(&state, &actor).await?;
    let svg = crate::registry::svg::hub_tree(&s, actor.lang);
    let federation_link = s.federation_viewable;
    Ok(render(&HubPage {
        page: actor.page(
            actor
                .lang
                .pick("“1+5+X”枢纽结构", "The 1+5+X hub structure"),
        ),
        svg,
        federation_link,
        total_members: s.hubs.iter().map(|h| h.members).sum(),
        rows: s
            .hubs
            .iter()
            .map(|h| HubRow {
                id: h.id,
                name: h.name.clone(),
                members: h.members,
                viewable: h.viewable,
            })
            .collect(),
        federation: s.federation,
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(id: i64, parent: Option<i64>, path: &str) -> Unit {
        Unit::bare(id, parent, path, UnitKind::Community, &format!("u{id}"))
    }

    #[test]
    fn tree_flattening_closes_every_list_it_opens() {
        let units = vec![
            u(1, None, "/1/"),
            u(2, Some(1), "/1/2/"),
            u(3, Some(2), "/1/2/3/"),
            u(4, Some(1), "/1/4/"),
        ];
        let counts = subtree_counts(&units, &[(UnitId(3), 2), (UnitId(4), 1)]);
        assert_eq!(counts[&UnitId(1)], 3);
        assert_eq!(counts[&UnitId(2)], 2);
        let mut out = Vec::new();
        flatten(&units, &counts, Lang::Zh, &units[0], 0, &mut out);
        let opened = out.iter().filter(|n| n.has_children).count();
        let closed: usize = out.iter().map(|n| n.close_after).sum();
        assert_eq!(opened, closed);
        assert_eq!(
            out.iter().map(|n| n.id).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        assert_eq!(out[2].close_after, 1);
        assert_eq!(out[3].close_after, 1);
    }
}
