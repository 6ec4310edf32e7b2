//! Statistics by unit (SPEC G2), within the actor's scope: organisations per 10,000
//! residents, staff age profile, service fields covered and uncovered, the distribution of
//! current grades, and overdue annual reports. One computation feeds the page (SVG charts,
//! each with a table) and the JSON endpoint.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::dates::today;
use crate::error::{GovError, GovResult};
use crate::oversight::reports;
use crate::picker::UnitPicker;
use crate::picker::top_units;
use crate::registry::grades;
use crate::registry::model;
use crate::registry::model::OrgFilter;
use crate::registry::model::SERVICE_FIELDS;
use crate::registry::model::per_10k;
use crate::registry::units;
use crate::view::fmt_int;
use gov_core::GovActor;
use gov_core::ScopeFilter;
use gov_core::Unit;
use gov_core::UnitId;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use platform::AppState;
use platform::web::{PageCtx, SignedIn, charts, render};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gov/stats", get(page))
        .route("/api/v1/gov/stats", get(api))
}

#[derive(Clone, Debug, Serialize)]
pub struct UnitRow {
    pub unit_id: i64,
    pub name: String,
    pub kind: &'static str,
    pub residents: i64,
    pub orgs: i64,
    pub orgs_per_10k: String,
    pub overdue_reports: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FieldRow {
    pub field: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub orgs: i64,
}

#[derive(Clone, Debug, Serialize, Default)]
pub struct StaffAges {
    pub total: i64,
    pub under_35: i64,
    pub from_35_to_54: i64,
    pub from_55: i64,
}

#[derive(Clone, Debug, Serialize, Default)]
pub struct GradeCounts {
    /// Current (unexpired) grades, index 0 = 1A … 4 = 5A.
    pub valid: [i64; 5],
    /// Assessed below 1A (unexpired).
    pub below: i64,
    /// Latest grade has lapsed.
    pub expired: i64,
    /// Never assessed.
    pub none: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    pub today: String,
    /// The unit the figures are about (None: several units, all within scope).
    pub unit_id: Option<i64>,
    pub unit_name: String,
    pub residents: i64,
    pub orgs: i64,
    pub orgs_per_10k: String,
    pub rows: Vec<UnitRow>,
    pub staff: StaffAges,
    pub fields: Vec<FieldRow>,
    pub fields_covered: usize,
    pub fields_uncovered: Vec<&'static str>,
    pub grades: GradeCounts,
    pub brand_orgs: i64,
    pub leading_figures: i64,
    pub overdue_reports: i64,
}

/// Computes the statistics of `unit` (already authorised) or of the actor's whole scope.
pub async fn compute(state: &AppState, actor: &GovActor, unit: Option<&Unit>) -> GovResult<Stats> {
    let scope = match unit {
        Some(u) => ScopeFilter(Some(vec![u.path.clone()])),
        None => actor.scope(),
    };
    let units = gov_core::list_units(&state.db, &scope).await?;
    let tops: Vec<Unit> = top_units(&units).into_iter().cloned().collect();
    // The area: the chosen unit, or the one outermost unit the actor sees.
    let area: Option<Unit> = match unit {
        Some(u) => Some(u.clone()),
        None if tops.len() == 1 => Some(tops[0].clone()),
        None => None,
    };
    let row_units: Vec<Unit> = match &area {
        Some(a) => units
            .iter()
            .filter(|u| u.parent_id == Some(a.id))
            .cloned()
            .collect(),
        None => tops.clone(),
    };
    let residents = match &area {
        Some(a) => a.residents,
        None => tops.iter().map(|u| u.residents).sum(),
    };
    let orgs = model::list_orgs(&state.db, &scope, &OrgFilter::default(), 1_000_000, 0).await?;
    let today = today(state);
    let overdue = reports::abnormal(&state.db, &scope, today).await?;
    let rows = row_units
        .iter()
        .map(|u| {
            let n = orgs
                .iter()
                .filter(|o| u.path.contains(&o.unit_path))
                .count() as i64;
            UnitRow {
                unit_id: u.id.0,
                name: u.name.clone(),
                kind: u.kind.as_str(),
                residents: u.residents,
                orgs: n,
                orgs_per_10k: per_10k(n, u.residents),
                overdue_reports: overdue
                    .iter()
                    .filter(|e| u.path.contains(&e.unit_path))
                    .count() as i64,
            }
        })
        .collect();
    let mut staff = StaffAges::default();
    for o in &orgs {
        staff.total += o.staff.count;
        staff.under_35 += o.staff.under_35;
        staff.from_35_to_54 += o.staff.from_35_to_54;
        staff.from_55 += o.staff.from_55;
    }
    let fields: Vec<FieldRow> = SERVICE_FIELDS
        .iter()
        .map(|(code, zh, en)| FieldRow {
            field: code,
            name_zh: zh,
            name_en: en,
            orgs: orgs
                .iter()
                .filter(|o| o.service_fields.iter().any(|f| f == code))
                .count() as i64,
        })
        .collect();
    let latest = grades::latest_assessments(&state.db, &scope).await?;
    let mut grades = GradeCounts::default();
    for o in &orgs {
        match latest.get(&o.id) {
            None => grades.none += 1,
            Some(a) if a.expired(today) => grades.expired += 1,
            Some(a) if (1..=5).contains(&a.grade) => grades.valid[(a.grade - 1) as usize] += 1,
            Some(_) => grades.below += 1,
        }
    }
    Ok(Stats {
        today: today.to_string(),
        unit_id: area.as_ref().map(|a| a.id.0),
        unit_name: area.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
        residents,
        orgs: orgs.len() as i64,
        // Units without population (departments) are left out: their organisations
        // would raise the figure without any residents behind them.
        orgs_per_10k: per_10k(
            orgs.iter()
                .filter(|o| {
                    !row_units
                        .iter()
                        .any(|u| u.residents <= 0 && u.path.contains(&o.unit_path))
                })
                .count() as i64,
            residents,
        ),
        rows,
        staff,
        fields_covered: fields.iter().filter(|f| f.orgs > 0).count(),
        fields_uncovered: fields
            .iter()
            .filter(|f| f.orgs == 0)
            .map(|f| f.field)
            .collect(),
        fields,
        grades,
        brand_orgs: orgs.iter().filter(|o| o.brand).count() as i64,
        leading_figures: orgs.iter().filter(|o| !o.leading_figure.is_empty()).count() as i64,
        overdue_reports: overdue.len() as i64,
    })
}

#[derive(Deserialize, Default)]
pub struct StatsQuery {
    pub unit: Option<String>,
}

async fn chosen_unit(
    state: &AppState,
    actor: &GovActor,
    q: &StatsQuery,
) -> GovResult<Option<Unit>> {
    match q.unit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => {
            let id = UnitId::parse(raw).ok_or(GovError::NotFound)?;
            Ok(Some(
                units::load_unit(state, actor, id, Action::View).await?,
            ))
        }
    }
}

async fn api(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<StatsQuery>,
) -> GovResult<Json<Stats>> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let unit = chosen_unit(&state, &actor, &q).await?;
    Ok(Json(compute(&state, &actor, unit.as_ref()).await?))
}

pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub svg: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub note: String,
}

#[derive(Template)]
#[template(path = "gov_stats.html")]
struct StatsPage {
    page: PageCtx,
    s: Stats,
    units: UnitPicker,
    charts: Vec<Chart>,
    residents: String,
    uncovered: Vec<String>,
    empty: bool,
}

async fn page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<StatsQuery>,
) -> GovResult<Response> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let unit = chosen_unit(&state, &actor, &q).await?;
    let s = compute(&state, &actor, unit.as_ref()).await?;
    let lang = actor.lang;
    let t = |zh: &'static str, en: &'static str| lang.pick(zh, en).to_string();
    let all_units = gov_core::list_units(&state.db, &actor.scope()).await?;
    let current = s.unit_id.map(|i| i.to_string()).unwrap_or_default();
    let units = UnitPicker::new(
        "unit",
        t("权限范围内全部", "Everything in my scope"),
        &all_units,
        &current,
        true,
    );
    let mut charts = Vec::new();
    // Units with people or organisations (departments have no residents of their own).
    let shown_rows: Vec<&UnitRow> = s
        .rows
        .iter()
        .filter(|r| r.residents > 0 || r.orgs > 0 || r.overdue_reports > 0)
        .collect();
    let many = shown_rows.len() > 8;
    let bar_chart = |title: &str, data: &[(String, i64, String)]| {
        if many {
            charts::hbars(title, data)
        } else {
            charts::bars(title, data)
        }
    };
    // Density per unit (tenths, so bars compare one-decimal figures).
    let density: Vec<(String, i64, String)> = shown_rows
        .iter()
        .map(|r| {
            let v = if r.residents > 0 {
                r.orgs * 100_000 / r.residents
            } else {
                0
            };
            (r.name.clone(), v, r.orgs_per_10k.clone())
        })
        .collect();
    charts.push(Chart {
        id: "density",
        title: t(
            "每万人社会组织数（按单位）",
            "Organisations per 10,000 residents, by unit",
        ),
        svg: bar_chart(
            &t("每万人社会组织数", "Organisations per 10,000 residents"),
            &density,
        ),
        head: vec![
            t("单位", "Unit"),
            t("常住人口", "Residents"),
            t("社会组织", "Organisations"),
            t("每万人", "Per 10,000"),
        ],
        rows: s
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    fmt_int(r.residents),
                    r.orgs.to_string(),
                    r.orgs_per_10k.clone(),
                ]
            })
            .collect(),
        note: t(
            "按各单位及其下级单位登记的社会组织计算。",
            "Counts the organisations homed in each unit and the units below it.",
        ),
    });
    let ages = vec![
        (t("35 岁以下", "Under 35"), s.staff.under_35),
        (t("35–54 岁", "35 to 54"), s.staff.from_35_to_54),
        (t("55 岁及以上", "55 and over"), s.staff.from_55),
    ];
    charts.push(Chart {
        id: "ages",
        title: t("专职人员年龄结构", "Staff by age"),
        svg: charts::donut(&t("专职人员年龄结构", "Staff by age"), &ages),
        head: vec![t("年龄段", "Age group"), t("人数", "People")],
        rows: ages
            .iter()
            .map(|(l, n)| vec![l.clone(), n.to_string()])
            .collect(),
        note: format!(
            "{}{}",
            t("专职人员合计：", "Staff in total: "),
            s.staff.total
        ),
    });
    let field_bars: Vec<(String, i64, String)> = s
        .fields
        .iter()
        .map(|f| {
            (
                lang.pick(f.name_zh, f.name_en).to_string(),
                f.orgs,
                f.orgs.to_string(),
            )
        })
        .collect();
    charts.push(Chart {
        id: "fields",
        title: t("服务领域覆盖", "Service fields covered"),
        svg: charts::hbars(
            &t("各服务领域的社会组织数", "Organisations per service field"),
            &field_bars,
        ),
        head: vec![
            t("服务领域", "Service field"),
            t("社会组织", "Organisations"),
        ],
        rows: field_bars
            .iter()
            .map(|(l, n, _)| vec![l.clone(), n.to_string()])
            .collect(),
        note: format!(
            "{} {} / {}",
            t("已覆盖领域：", "Fields covered:"),
            s.fields_covered,
            s.fields.len()
        ),
    });
    let mut grade_bars: Vec<(String, i64, String)> = (1..=5)
        .rev()
        .map(|g| {
            (
                format!("{g}A"),
                s.grades.valid[g - 1],
                s.grades.valid[g - 1].to_string(),
            )
        })
        .collect();
    grade_bars.push((
        t("未达等级", "Below 1A"),
        s.grades.below,
        s.grades.below.to_string(),
    ));
    grade_bars.push((
        t("已过期", "Expired"),
        s.grades.expired,
        s.grades.expired.to_string(),
    ));
    grade_bars.push((
        t("未评估", "Not assessed"),
        s.grades.none,
        s.grades.none.to_string(),
    ));
    charts.push(Chart {
        id: "grades",
        title: t("评估等级分布", "Grades"),
        svg: charts::bars(&t("评估等级分布", "Grades"), &grade_bars),
        head: vec![t("等级", "Grade"), t("社会组织", "Organisations")],
        rows: grade_bars
            .iter()
            .map(|(l, n, _)| vec![l.clone(), n.to_string()])
            .collect(),
        note: t(
            "等级自评估之日起五年有效，过期的等级单列。",
            "A grade stands five years from its assessment; lapsed grades are counted apart.",
        ),
    });
    let overdue: Vec<(String, i64, String)> = shown_rows
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                r.overdue_reports,
                r.overdue_reports.to_string(),
            )
        })
        .collect();
    charts.push(Chart {
        id: "overdue",
        title: t("逾期未报年报（按单位）", "Overdue annual reports, by unit"),
        svg: bar_chart(&t("逾期未报年报", "Overdue annual reports"), &overdue),
        head: vec![t("单位", "Unit"), t("逾期年报", "Overdue reports")],
        rows: overdue
            .iter()
            .map(|(l, n, _)| vec![l.clone(), n.to_string()])
            .collect(),
        note: format!(
            "{}{}",
            t(
                "列入活动异常名录的组织-年度合计：",
                "Organisation-years on the abnormal-activity list: "
            ),
            s.overdue_reports
        ),
    });
    Ok(render(&StatsPage {
        page: actor.page(t("统计分析", "Statistics")),
        units,
        charts,
        residents: fmt_int(s.residents),
        uncovered: s
            .fields_uncovered
            .iter()
            .map(|c| model::field_label(c, lang))
            .collect(),
        empty: s.orgs == 0,
        s,
    })?)
}
