//! Pages for social organisations: the directory with its filters and CSV export, and the
//! registration and edit forms.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::error::{GovError, GovResult, Invalid};
use crate::forms::whole;
use crate::picker::UnitPicker;
use crate::registry::api::DirQuery;
use crate::registry::model;
use crate::registry::model::HubRole;
use crate::registry::model::Org;
use crate::registry::model::OrgType;
use crate::registry::model::SERVICE_FIELDS;
use crate::registry::orgs;
use crate::registry::orgs::OrgInput;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use gov_core::GovActor;
use gov_core::MemberRole;
use platform::AppState;
use platform::web::Opt;
use platform::web::{Id, Lang, Page, PageCtx, SignedIn, redirect, render, url_encode};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gov/orgs", get(orgs).post(create_form))
        .route("/gov/orgs.csv", get(export))
        .route("/gov/orgs/new", get(new_form))
        .route("/gov/orgs/{id}/edit", get(edit_form).post(update_form))
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

pub(crate) fn org_row(o: &Org, lang: Lang) -> OrgRow {
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
    let latest = crate::registry::grades::latest_assessments(&state.db, &actor.scope()).await?;
    let today = crate::dates::today(state);
    for r in rows {
        if let Some(a) = latest.get(&r.id) {
            r.grade = crate::registry::grades::grade_label(a.grade, actor.lang);
            r.grade_expired = a.expired(today);
        }
    }
    Ok(())
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
    let (at, pages) = Page::of_total(q.paging(), PER_PAGE, total);
    let list = model::list_orgs(&state.db, &scope, &filter, PER_PAGE, at.offset()).await?;
    let lang = actor.lang;
    let cur = |v: &Option<String>| v.clone().unwrap_or_default();
    let types = Opt::filter(
        lang.pick("全部类型", "All types"),
        &cur(&q.org_type),
        OrgType::ALL.iter().map(|t| (t.as_str(), t.label(lang))),
    );
    let roles = Opt::filter(
        lang.pick("全部角色", "All roles"),
        &cur(&q.role),
        HubRole::ALL.iter().map(|r| (r.as_str(), r.label(lang))),
    );
    let hubs = Opt::filter(
        lang.pick("全部枢纽", "All hubs"),
        &cur(&q.hub),
        model::hub_refs(&state.db, &scope)
            .await?
            .into_iter()
            .filter(|h| h.hub_role == HubRole::Hub)
            .map(|h| (h.id.to_string(), h.name)),
    );
    let fields = Opt::filter(
        lang.pick("全部领域", "All fields"),
        &cur(&q.field),
        SERVICE_FIELDS
            .iter()
            .map(|(c, zh, en)| (*c, lang.pick(zh, en))),
    );
    let all_units = gov_core::list_units(&state.db, &scope).await?;
    let units = UnitPicker::filter(&all_units, &cur(&q.unit), lang);
    let grades = Opt::filter(
        lang.pick("全部等级", "Any grade"),
        &cur(&q.grade),
        (1..=5).rev().map(|g| (format!("{g}A"), format!("{g}A"))),
    );
    let query = query_string(&q);
    let mut rows: Vec<OrgRow> = list.iter().map(|o| org_row(o, lang)).collect();
    with_grades(&state, &actor, &mut rows).await?;
    Ok(render(&OrgsPage {
        grades,
        page: actor.page(lang.pick("社会组织名录", "Organisation directory")),
        rows,
        total,
        page_no: at.page,
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
    orgs::audit_export(&state, &actor, "governance_orgs", list.len()).await?;
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
        let hub_role = self.hub_role.trim().to_string();
        let is_member = hub_role.is_empty() || hub_role == HubRole::Member.as_str();
        Ok(OrgInput {
            name: Some(self.name.clone()),
            credit_code: Some(self.credit_code.clone()),
            org_type: Some(self.org_type.clone()),
            registered_on: Some(self.registered_on.clone()),
            legal_rep: Some(self.legal_rep.clone()),
            address: Some(self.address.clone()),
            unit_id: whole("unit_id", &self.unit_id)?,
            service_fields: Some(self.fields.clone()),
            staff_count: whole("staff_count", &self.staff_count)?,
            staff_under_35: whole("staff_under_35", &self.staff_under_35)?,
            staff_35_to_54: whole("staff_35_to_54", &self.staff_35_to_54)?,
            staff_55_plus: whole("staff_55_plus", &self.staff_55_plus)?,
            volunteers: whole("volunteers", &self.volunteers)?,
            contact_phone: Some(self.contact_phone.clone()),
            hub_role: Some(hub_role),
            // The hub list is only meaningful for member organisations.
            hub_id: if is_member {
                whole("hub_id", &self.hub_id)?
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
        Some(o) => orgs::district_right(actor, action, &o.unit_path.root_path()).is_ok(),
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
        gov_core::list_units(&state.db, &actor.scope_with(MemberRole::Worker)).await?;
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
        let draft = orgs::validate(&input, state.now())?;
        orgs::create_org(&state, &actor, &draft).await
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
    let org = orgs::load_org(&state, &actor, id, Action::EditOrg).await?;
    let v = FormValues::from_input(&OrgInput::from_org(&org));
    form_page(&state, &actor, Some(&org), v, None).await
}

async fn update_form(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    let org = orgs::load_org(&state, &actor, id, Action::EditOrg).await?;
    let mut v = FormValues::from_pairs(&pairs);
    keep_marks(&actor, Some(&org), &mut v);
    let result = async {
        let input = v.to_input().map_err(GovError::Invalid)?;
        let draft = orgs::validate(&input, state.now())?;
        orgs::update_org(&state, &actor, org.id, &draft).await
    }
    .await;
    match crate::forms::saved(result)? {
        Ok(()) => Ok(redirect(&format!("/gov/orgs/{}?saved=1", org.id))),
        Err(inv) => form_page(&state, &actor, Some(&org), v, Some(&inv)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::fmt_int;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(cell("=1+1"), "\"'=1+1\"");
        assert_eq!(url_encode("桂 a&b"), "%E6%A1%82%20a%26b");
        assert_eq!(fmt_int(1234567), "1,234,567");
        assert_eq!(fmt_int(12), "12");
    }
}
