//! Governance's server-rendered pages under /gov.

use crate::api::{DirQuery, hub_structure};
use crate::authz::{Action, GovActor, Scope, authorize};
use crate::error::{GovError, GovResult, Invalid};
use crate::model::{
    self, HubRole, MemberRole, Org, OrgFilter, OrgType, SERVICE_FIELDS, Unit, UnitId, UnitKind,
    per_10k,
};
use crate::picker::UnitPicker;
use crate::service::{self, OrgInput};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use platform::AppState;
pub use platform::web::Opt;
use platform::web::{Id, Lang, PageCtx, SignedIn, redirect, render, url_encode};
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
        .route("/gov/orgs", get(orgs).post(create_form))
        .route("/gov/orgs.csv", get(export))
        .route("/gov/orgs/new", get(new_form))
        .route("/gov/orgs/{id}", get(org))
        .route("/gov/orgs/{id}/edit", get(edit_form).post(update_form))
        .route("/gov/hub", get(hub))
        .route(
            "/static/governance.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css"),
                        (header::CACHE_CONTROL, "public, max-age=300"),
                    ],
                    include_str!("../static/governance.css"),
                )
            }),
        )
}

pub(crate) fn fmt_int(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
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

/// Residents of the outermost visible units (a district's figure already sums its streets).
pub(crate) fn top_units(units: &[Unit]) -> Vec<&Unit> {
    units
        .iter()
        .filter(|u| !u.parent_id.is_some_and(|p| units.iter().any(|x| x.id == p)))
        .collect()
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
    let units = model::list_units(&state.db, &scope).await?;
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

/// Orgs per unit including everything below it.
/// Organisations of units that have residents behind them: those registered under a
/// department (a unit without population) are left out of per-10,000 figures, where they
/// would raise the density of an area they do not live in.
pub(crate) fn orgs_among_residents(units: &[Unit], direct: &[(UnitId, i64)]) -> i64 {
    let department = |id: UnitId| {
        units
            .iter()
            .any(|u| u.id == id && u.kind == UnitKind::Department)
    };
    direct
        .iter()
        .filter(|(unit_id, _)| {
            units
                .iter()
                .find(|u| u.id == *unit_id)
                .is_some_and(|u| !u.path.ids().into_iter().any(department))
        })
        .map(|(_, n)| n)
        .sum()
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
    let all = model::list_units(&state.db, &scope).await?;
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

async fn crumbs(state: &AppState, actor: &GovActor, unit: &Unit) -> GovResult<Vec<Crumb>> {
    Ok(service::ancestors(state, actor, unit)
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

pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub type_label: &'static str,
    pub unit_id: i64,
    pub unit_name: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub hub_name: String,
    pub fields: Vec<String>,
    pub brand: bool,
    pub staff: i64,
    pub volunteers: i64,
    /// The latest grade ("" when never assessed) and whether it has lapsed.
    pub grade: String,
    pub grade_expired: bool,
}

fn role_short(r: HubRole, lang: Lang) -> &'static str {
    match r {
        HubRole::Federation => lang.pick("联合会", "Federation"),
        HubRole::Hub => lang.pick("枢纽", "Hub"),
        HubRole::Member => lang.pick("会员", "Member"),
    }
}

fn org_row(o: &Org, lang: Lang) -> OrgRow {
    OrgRow {
        id: o.id,
        name: o.name.clone(),
        credit_code: o.credit_code.clone(),
        type_label: match o.org_type {
            OrgType::SocialGroup => lang.pick("社会团体", "Social group"),
            OrgType::SocialServiceAgency => lang.pick("社会服务机构", "Service agency"),
            OrgType::Foundation => lang.pick("基金会", "Foundation"),
        },
        unit_id: o.unit_id.0,
        unit_name: o.unit_name.clone(),
        role: o.hub_role.as_str(),
        role_label: role_short(o.hub_role, lang),
        hub_name: o.hub_name.clone().unwrap_or_default(),
        fields: o
            .service_fields
            .iter()
            .map(|f| model::field_label(f, lang))
            .collect(),
        brand: o.brand,
        staff: o.staff.count,
        volunteers: o.volunteers,
        grade: String::new(),
        grade_expired: false,
    }
}

/// Puts each organisation's latest grade on its row.
async fn with_grades(state: &AppState, actor: &GovActor, rows: &mut [OrgRow]) -> GovResult<()> {
    let latest = crate::oversight::latest_assessments(&state.db, &actor.scope()).await?;
    let today = crate::oversight::today(state);
    for r in rows {
        if let Some(a) = latest.get(&r.id) {
            r.grade = crate::oversight::grade_label(a.grade, actor.lang);
            r.grade_expired = a.expired(today);
        }
    }
    Ok(())
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
    let unit = service::load_unit(&state, &actor, id, Action::View).await?;
    let kids = model::children(&state.db, unit.id).await?;
    let subtree_units = {
        let mut v = vec![unit.clone()];
        v.extend(
            model::list_units(
                &state.db,
                &model::ScopeFilter(Some(vec![unit.path.clone()])),
            )
            .await?
            .into_iter()
            .filter(|u| u.id != unit.id),
        );
        v
    };
    let direct = model::org_counts_by_unit(
        &state.db,
        &model::ScopeFilter(Some(vec![unit.path.clone()])),
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
        &model::ScopeFilter(Some(vec![unit.path.clone()])),
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
        Some(kind) => model::list_units(&state.db, &actor.scope_with(MemberRole::UnitAdmin))
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
        && let Some(p) = model::find_unit(&state.db, pid).await?
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
    let unit = service::load_unit(&state, &actor, id, Action::EditUnit).await?;
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
    let unit = service::load_unit(&state, &actor, id, Action::EditUnit).await?;
    let v = crate::forms::Pairs(pairs);
    let result = async {
        let edit = service::UnitEdit {
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
        service::update_unit(&state, &actor, unit.id, &edit).await
    }
    .await;
    match crate::forms::saved(result)? {
        Ok(u) => Ok(redirect(&format!("/gov/units/{}", u.id))),
        Err(inv) => unit_form_page(&state, &actor, unit, v, Some(&inv)).await,
    }
}

// ---------------------------------------------------------------------------------------
// Directory and export

#[derive(Template)]
#[template(path = "gov_orgs.html")]
struct OrgsPage {
    page: PageCtx,
    rows: Vec<OrgRow>,
    total: i64,
    page_no: i64,
    pages: i64,
    query: String,
    q: String,
    types: Vec<Opt>,
    roles: Vec<Opt>,
    hubs: Vec<Opt>,
    fields: Vec<Opt>,
    units: UnitPicker,
    grades: Vec<Opt>,
    brand: bool,
    filtered: bool,
    can_export: bool,
    can_create: bool,
}

const PER_PAGE: i64 = 50;

fn query_string(q: &DirQuery) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("type", &q.org_type),
        ("role", &q.role),
        ("hub", &q.hub),
        ("field", &q.field),
        ("unit", &q.unit),
        ("q", &q.q),
        ("brand", &q.brand),
        ("grade", &q.grade),
    ] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", url_encode(v)));
        }
    }
    parts.join("&")
}

async fn orgs(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<DirQuery>,
) -> GovResult<Response> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let filter = q.filter(&state, &actor).await?;
    let scope = actor.scope();
    let total = model::count_orgs(&state.db, &scope, &filter).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page_no = q.paging().bounded(PER_PAGE, PER_PAGE).page.min(pages);
    let list = model::list_orgs(
        &state.db,
        &scope,
        &filter,
        PER_PAGE,
        (page_no - 1) * PER_PAGE,
    )
    .await?;
    let lang = actor.lang;
    let cur = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut types = vec![Opt::current(
        "",
        lang.pick("全部类型", "All types"),
        &cur(&q.org_type),
    )];
    types.extend(
        OrgType::ALL
            .iter()
            .map(|t| Opt::current(t.as_str(), t.label(lang), &cur(&q.org_type))),
    );
    let mut roles = vec![Opt::current(
        "",
        lang.pick("全部角色", "All roles"),
        &cur(&q.role),
    )];
    roles.extend(
        HubRole::ALL
            .iter()
            .map(|r| Opt::current(r.as_str(), r.label(lang), &cur(&q.role))),
    );
    let mut hubs = vec![Opt::current(
        "",
        lang.pick("全部枢纽", "All hubs"),
        &cur(&q.hub),
    )];
    hubs.extend(
        model::hub_refs(&state.db, &scope)
            .await?
            .into_iter()
            .filter(|h| h.hub_role == HubRole::Hub)
            .map(|h| Opt::current(h.id.to_string(), h.name, &cur(&q.hub))),
    );
    let mut fields = vec![Opt::current(
        "",
        lang.pick("全部领域", "All fields"),
        &cur(&q.field),
    )];
    fields.extend(
        SERVICE_FIELDS
            .iter()
            .map(|(c, zh, en)| Opt::current(*c, lang.pick(zh, en), &cur(&q.field))),
    );
    let all_units = model::list_units(&state.db, &scope).await?;
    let units = UnitPicker::new(
        "unit",
        lang.pick("全部单位", "All units"),
        &all_units,
        &cur(&q.unit),
        true,
    );
    let mut grades = vec![Opt::current(
        "",
        lang.pick("全部等级", "Any grade"),
        &cur(&q.grade),
    )];
    grades.extend(
        (1..=5)
            .rev()
            .map(|g| Opt::current(format!("{g}A"), format!("{g}A"), &cur(&q.grade))),
    );
    let query = query_string(&q);
    let mut rows: Vec<OrgRow> = list.iter().map(|o| org_row(o, lang)).collect();
    with_grades(&state, &actor, &mut rows).await?;
    Ok(render(&OrgsPage {
        grades,
        page: actor.page(lang.pick("社会组织名录", "Organisation directory")),
        rows,
        total,
        page_no,
        pages,
        filtered: !query.is_empty(),
        query,
        q: cur(&q.q),
        types,
        roles,
        hubs,
        fields,
        units,
        brand: filter.brand,
        can_export: actor.can(Action::Export, &Scope::Anywhere),
        can_create: actor.can(Action::EditOrg, &Scope::Anywhere),
    })?)
}

/// One CSV cell: quoted, and never read by a spreadsheet as a formula.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

async fn export(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<DirQuery>,
) -> GovResult<Response> {
    authorize(&actor, Action::Export, &Scope::Anywhere)?;
    let filter = q.filter(&state, &actor).await?;
    if let Some(unit) = &filter.unit {
        authorize(&actor, Action::Export, &Scope::Unit(unit))?;
    }
    // Only the subtrees in which the actor may export (a viewer grant elsewhere adds nothing).
    let scope = actor.scope_with(MemberRole::Worker);
    let list = model::list_orgs(&state.db, &scope, &filter, 100_000, 0).await?;
    let lang = actor.lang;
    let mut csv = String::from("\u{feff}");
    let header: Vec<&str> = vec![
        lang.pick("名称", "Name"),
        lang.pick("统一社会信用代码", "Credit code"),
        lang.pick("类型", "Type"),
        lang.pick("登记日期", "Registered"),
        lang.pick("法定代表人", "Legal representative"),
        lang.pick("地址", "Address"),
        lang.pick("所属单位", "Home unit"),
        lang.pick("服务领域", "Service fields"),
        lang.pick("专职人员", "Staff"),
        lang.pick("35岁以下", "Under 35"),
        lang.pick("35-54岁", "35 to 54"),
        lang.pick("55岁及以上", "55 and over"),
        lang.pick("志愿者", "Volunteers"),
        lang.pick("联系电话", "Phone"),
        lang.pick("枢纽角色", "Hub role"),
        lang.pick("挂靠枢纽", "Hub"),
        lang.pick("品牌社会组织", "Brand"),
        lang.pick("领军人物", "Leading figure"),
    ];
    csv.push_str(&header.iter().map(|h| cell(h)).collect::<Vec<_>>().join(","));
    csv.push_str("\r\n");
    for o in &list {
        let fields: Vec<String> = o
            .service_fields
            .iter()
            .map(|f| model::field_label(f, lang))
            .collect();
        let row = [
            o.name.clone(),
            o.credit_code.clone(),
            o.org_type.label(lang).to_string(),
            o.registered_on.clone(),
            o.legal_rep.clone(),
            o.address.clone(),
            o.unit_name.clone(),
            fields.join("、"),
            o.staff.count.to_string(),
            o.staff.under_35.to_string(),
            o.staff.from_35_to_54.to_string(),
            o.staff.from_55.to_string(),
            o.volunteers.to_string(),
            o.contact_phone.clone(),
            role_short(o.hub_role, lang).to_string(),
            o.hub_name.clone().unwrap_or_default(),
            if o.brand { "1".into() } else { String::new() },
            o.leading_figure.clone(),
        ];
        csv.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        csv.push_str("\r\n");
    }
    service::audit_export(&state, &actor, "governance_orgs", list.len()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"social-organisations.csv\"",
            ),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        csv,
    )
        .into_response())
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
    services: Vec<crate::services::pages::ServiceRow>,
    ov: crate::oversight::pages::OrgOversight,
    /// The account-linking form as typed, with what was wrong with it.
    staff_username: String,
    staff_error: Option<String>,
}

#[derive(serde::Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn org(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
    Query(sq): Query<SavedQuery>,
) -> GovResult<Response> {
    let org = service::load_org(&state, &actor, id, Action::View).await?;
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
    let unit = model::find_unit(&state.db, org.unit_id)
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
        services: crate::services::pages::org_services(&state.db, org.id, lang).await?,
        ov: crate::oversight::pages::org_section(state, actor, &org).await?,
        org,
        staff_username: staff_username.to_string(),
        staff_error: staff_error.map(|e| e.message(lang).to_string()),
    })?;
    Ok(crate::forms::with_error_status(resp, staff_error, false))
}

// ---------------------------------------------------------------------------------------
// Create and edit forms

/// What the form fields hold, as typed.
#[derive(Default)]
pub struct FormValues {
    pub name: String,
    pub credit_code: String,
    pub registered_on: String,
    pub legal_rep: String,
    pub address: String,
    pub staff_count: String,
    pub staff_under_35: String,
    pub staff_35_to_54: String,
    pub staff_55_plus: String,
    pub volunteers: String,
    pub contact_phone: String,
    pub brand: bool,
    pub leading_figure: String,
    pub org_type: String,
    pub unit_id: String,
    pub hub_role: String,
    pub hub_id: String,
    pub fields: Vec<String>,
}

impl FormValues {
    fn from_pairs(pairs: &[(String, String)]) -> FormValues {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        FormValues {
            name: get("name"),
            credit_code: get("credit_code"),
            registered_on: get("registered_on"),
            legal_rep: get("legal_rep"),
            address: get("address"),
            staff_count: get("staff_count"),
            staff_under_35: get("staff_under_35"),
            staff_35_to_54: get("staff_35_to_54"),
            staff_55_plus: get("staff_55_plus"),
            volunteers: get("volunteers"),
            contact_phone: get("contact_phone"),
            brand: !get("brand").is_empty(),
            leading_figure: get("leading_figure"),
            org_type: get("org_type"),
            unit_id: get("unit_id"),
            hub_role: get("hub_role"),
            hub_id: get("hub_id"),
            fields: pairs
                .iter()
                .filter(|(k, _)| k == "service_fields")
                .map(|(_, v)| v.clone())
                .collect(),
        }
    }

    fn from_input(i: &OrgInput) -> FormValues {
        let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        FormValues {
            name: i.name.clone().unwrap_or_default(),
            credit_code: i.credit_code.clone().unwrap_or_default(),
            registered_on: i.registered_on.clone().unwrap_or_default(),
            legal_rep: i.legal_rep.clone().unwrap_or_default(),
            address: i.address.clone().unwrap_or_default(),
            staff_count: n(i.staff_count),
            staff_under_35: n(i.staff_under_35),
            staff_35_to_54: n(i.staff_35_to_54),
            staff_55_plus: n(i.staff_55_plus),
            volunteers: n(i.volunteers),
            contact_phone: i.contact_phone.clone().unwrap_or_default(),
            brand: i.brand.unwrap_or(false),
            leading_figure: i.leading_figure.clone().unwrap_or_default(),
            org_type: i.org_type.clone().unwrap_or_default(),
            unit_id: n(i.unit_id),
            hub_role: i.hub_role.clone().unwrap_or_default(),
            hub_id: n(i.hub_id),
            fields: i.service_fields.clone().unwrap_or_default(),
        }
    }

    /// The typed values as an input; numbers that are not numbers are reported here.
    fn to_input(&self) -> Result<OrgInput, Invalid> {
        fn num(field: &'static str, v: &str) -> Result<Option<i64>, Invalid> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<i64>().map(Some).map_err(|_| {
                Invalid::new(
                    "invalid_number",
                    field,
                    format!("“{v}”不是整数，请填写数字。"),
                    format!("“{v}” is not a whole number"),
                )
            })
        }
        let hub_role = self.hub_role.trim().to_string();
        let is_member = hub_role.is_empty() || hub_role == HubRole::Member.as_str();
        Ok(OrgInput {
            name: Some(self.name.clone()),
            credit_code: Some(self.credit_code.clone()),
            org_type: Some(self.org_type.clone()),
            registered_on: Some(self.registered_on.clone()),
            legal_rep: Some(self.legal_rep.clone()),
            address: Some(self.address.clone()),
            unit_id: num("unit_id", &self.unit_id)?,
            service_fields: Some(self.fields.clone()),
            staff_count: num("staff_count", &self.staff_count)?,
            staff_under_35: num("staff_under_35", &self.staff_under_35)?,
            staff_35_to_54: num("staff_35_to_54", &self.staff_35_to_54)?,
            staff_55_plus: num("staff_55_plus", &self.staff_55_plus)?,
            volunteers: num("volunteers", &self.volunteers)?,
            contact_phone: Some(self.contact_phone.clone()),
            hub_role: Some(hub_role),
            // The hub list is only meaningful for member organisations.
            hub_id: if is_member {
                num("hub_id", &self.hub_id)?
            } else {
                None
            },
            brand: Some(self.brand),
            leading_figure: Some(self.leading_figure.clone()),
        })
    }
}

#[derive(Template)]
#[template(path = "gov_org_form.html")]
struct FormPage {
    page: PageCtx,
    heading: String,
    action: String,
    cancel: String,
    v: FormValues,
    error: Option<String>,
    error_field: String,
    types: Vec<Opt>,
    roles: Vec<Opt>,
    hubs: Vec<Opt>,
    units: UnitPicker,
    fields: Vec<Opt>,
    roles_locked: bool,
    /// Brand marks and leading figures are the district's to award (ADR 011).
    can_award: bool,
}

/// Whether the actor may use a district-reserved right for `editing` (or, for a new
/// organisation, in some district of theirs).
fn district_may(actor: &GovActor, action: Action, editing: Option<&Org>) -> bool {
    match editing {
        Some(o) => service::district_right(actor, action, &o.unit_path.root_path()).is_ok(),
        None => {
            actor.is_platform_admin()
                || actor
                    .grants
                    .iter()
                    .any(|g| actor.can(action, &Scope::Unit(&g.path.root_path())))
        }
    }
}

/// Those who may not award keep what the record holds (the form shows it read-only).
fn keep_marks(actor: &GovActor, editing: Option<&Org>, v: &mut FormValues) {
    if !district_may(actor, Action::AssessGrade, editing) {
        v.brand = editing.is_some_and(|o| o.brand);
        v.leading_figure = editing
            .map(|o| o.leading_figure.clone())
            .unwrap_or_default();
    }
}

async fn form_page(
    state: &AppState,
    actor: &GovActor,
    editing: Option<&Org>,
    v: FormValues,
    error: Option<&Invalid>,
) -> GovResult<Response> {
    let lang = actor.lang;
    let scope = actor.scope();
    let types = OrgType::ALL
        .iter()
        .map(|t| Opt::current(t.as_str(), t.label(lang), &v.org_type))
        .collect();
    let role_now = if v.hub_role.is_empty() {
        HubRole::Member.as_str().to_string()
    } else {
        v.hub_role.clone()
    };
    // Naming the federation or a hub is the district's call: others see the role fixed.
    let can_designate = district_may(actor, Action::DesignateHub, editing);
    let roles_locked = !can_designate;
    let roles = HubRole::ALL
        .iter()
        .filter(|r| can_designate || r.as_str() == role_now)
        .map(|r| Opt::current(r.as_str(), r.label(lang), &role_now))
        .collect();
    let mut hubs = vec![Opt::current(
        "",
        lang.pick("请选择枢纽组织", "Choose a hub"),
        &v.hub_id,
    )];
    hubs.extend(
        model::hub_refs(&state.db, &scope)
            .await?
            .into_iter()
            .filter(|h| h.hub_role == HubRole::Hub && Some(h.id) != editing.map(|o| o.id))
            .map(|h| Opt::current(h.id.to_string(), h.name, &v.hub_id)),
    );
    let editable_units =
        model::list_units(&state.db, &actor.scope_with(MemberRole::Worker)).await?;
    let units = UnitPicker::new(
        "unit_id",
        lang.pick("请选择所属单位", "Choose the home unit"),
        &editable_units,
        &v.unit_id,
        false,
    );
    let fields = SERVICE_FIELDS
        .iter()
        .map(|(c, zh, en)| Opt {
            value: c.to_string(),
            label: lang.pick(zh, en).to_string(),
            selected: v.fields.iter().any(|f| f == c),
        })
        .collect();
    let (heading, action, cancel) = match editing {
        Some(o) => (
            format!("{}{}", lang.pick("编辑：", "Edit: "), o.name),
            format!("/gov/orgs/{}/edit", o.id),
            format!("/gov/orgs/{}", o.id),
        ),
        None => (
            lang.pick("登记社会组织", "Register an organisation")
                .to_string(),
            "/gov/orgs".to_string(),
            "/gov/orgs".to_string(),
        ),
    };
    let resp = render(&FormPage {
        page: actor.page(heading.clone()),
        heading,
        action,
        cancel,
        error: error.map(|e| e.message(lang).to_string()),
        error_field: error.map(|e| e.field.to_string()).unwrap_or_default(),
        v,
        types,
        roles,
        hubs,
        units,
        fields,
        roles_locked,
        can_award: district_may(actor, Action::AssessGrade, editing),
    })?;
    Ok(crate::forms::with_error_status(
        resp,
        error,
        error.is_some_and(crate::forms::is_conflict),
    ))
}

async fn new_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> GovResult<Response> {
    authorize(&actor, Action::EditOrg, &Scope::Anywhere)?;
    let v = FormValues {
        hub_role: HubRole::Member.as_str().into(),
        org_type: OrgType::SocialGroup.as_str().into(),
        ..FormValues::default()
    };
    form_page(&state, &actor, None, v, None).await
}

async fn create_form(
    State(state): State<AppState>,
    actor: GovActor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    authorize(&actor, Action::EditOrg, &Scope::Anywhere)?;
    let mut v = FormValues::from_pairs(&pairs);
    keep_marks(&actor, None, &mut v);
    let result = async {
        let input = v.to_input().map_err(GovError::Invalid)?;
        let draft = service::validate(&input, state.now())?;
        service::create_org(&state, &actor, &draft).await
    }
    .await;
    match crate::forms::saved(result)? {
        Ok(id) => Ok(redirect(&format!("/gov/orgs/{id}?saved=1"))),
        Err(inv) => form_page(&state, &actor, None, v, Some(&inv)).await,
    }
}

async fn edit_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> GovResult<Response> {
    let org = service::load_org(&state, &actor, id, Action::EditOrg).await?;
    let v = FormValues::from_input(&OrgInput::from_org(&org));
    form_page(&state, &actor, Some(&org), v, None).await
}

async fn update_form(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    let org = service::load_org(&state, &actor, id, Action::EditOrg).await?;
    let mut v = FormValues::from_pairs(&pairs);
    keep_marks(&actor, Some(&org), &mut v);
    let result = async {
        let input = v.to_input().map_err(GovError::Invalid)?;
        let draft = service::validate(&input, state.now())?;
        service::update_org(&state, &actor, org.id, &draft).await
    }
    .await;
    match crate::forms::saved(result)? {
        Ok(()) => Ok(redirect(&format!("/gov/orgs/{}?saved=1", org.id))),
        Err(inv) => form_page(&state, &actor, Some(&org), v, Some(&inv)).await,
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
    let svg = crate::svg::hub_tree(&s, actor.lang);
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
    use crate::model::UnitPath;

    fn u(id: i64, parent: Option<i64>, path: &str) -> Unit {
        Unit {
            id: UnitId(id),
            parent_id: parent.map(UnitId),
            path: UnitPath::parse(path).unwrap(),
            kind: UnitKind::Community,
            name: format!("u{id}"),
            code: format!("c{id}"),
            households: 0,
            residents: 0,
            party_org_name: String::new(),
            party_secretary: String::new(),
            party_members: 0,
        }
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

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(cell("=1+1"), "\"'=1+1\"");
        assert_eq!(url_encode("桂 a&b"), "%E6%A1%82%20a%26b");
        assert_eq!(fmt_int(1234567), "1,234,567");
        assert_eq!(fmt_int(12), "12");
    }
}
