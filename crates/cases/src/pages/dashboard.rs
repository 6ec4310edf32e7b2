//! The dashboard for staff: rates, counts by day and category, and SVG charts, within
//! the viewer's scope.

use super::{Tab, tabs};
use crate::api::{self};
use crate::authz::{self, Action, Target, authorize};
use crate::error::CaseResult;
use crate::model::CaseState;
use crate::stats;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gov_core::GovActor;
use platform::AppState;
use platform::web::{Lang, PageCtx, SignedIn, charts, render};

pub struct RateRow {
    pub unit: String,
    pub dispatched: i64,
    pub response: String,
    pub resolution: String,
    pub satisfaction: String,
}

fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())
}

#[derive(Template)]
#[template(path = "cases_dashboard.html")]
struct DashPage {
    page: PageCtx,
    tabs: Vec<Tab>,
    d: stats::Dashboard,
    open_total: i64,
    open_states: Vec<(String, i64)>,
    /// Numbers link to the console only for those who may open it.
    console: bool,
    total: RateRow,
    rates: Vec<RateRow>,
    trend_svg: String,
    overdue_svg: String,
    /// The period control: (link, "30 天", current).
    periods: Vec<(String, String, bool)>,
    /// Whose figures these are: the centre, or the community (street, unit) of the viewer.
    title: String,
}

/// The dashboard's title names the viewer's own area: a community worker sees their
/// community's figures, so the page says so rather than naming the district's centre.
fn dashboard_title(actor: &GovActor, lang: Lang) -> String {
    let centre = lang.pick("综治信息中心", "Governance centre");
    if actor.is_platform_admin() {
        return centre.to_string();
    }
    let roots = actor.scope().0.unwrap_or_default();
    let names: Vec<&str> = actor
        .grants
        .iter()
        .filter(|g| roots.contains(&g.path))
        .map(|g| g.unit_name.as_str())
        .collect();
    match names.as_slice() {
        [] => centre.to_string(),
        _ if roots.iter().all(|r| r.depth() == 1) => {
            format!("{}{}{centre}", names.join("、"), lang.pick("", " · "))
        }
        _ => format!(
            "{}{}",
            names.join("、"),
            lang.pick(" · 事件概况", " · cases")
        ),
    }
}

fn rate_row(r: &stats::Rates) -> RateRow {
    RateRow {
        unit: r.unit_name.clone(),
        dispatched: r.dispatched,
        response: pct(r.response_rate),
        resolution: pct(r.resolution_rate),
        satisfaction: pct(r.satisfaction_rate),
    }
}

/// A unit's name short enough for a chart label: "桂园社区" → "桂园", "区城市管理局" → "城市管理".
fn short_name(name: &str) -> String {
    let n = name.strip_prefix('区').unwrap_or(name);
    let n = ["社区", "街道", "局", "办公室"]
        .iter()
        .find_map(|s| n.strip_suffix(s))
        .unwrap_or(n);
    n.chars().take(4).collect()
}

pub(super) async fn dashboard(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<api::DashQuery>,
) -> CaseResult<Response> {
    authorize(&actor, Action::Monitor, &Target::Anywhere)?;
    let lang = actor.lang;
    let days = q.days.unwrap_or(30).clamp(7, 366);
    let d = stats::dashboard(&state, &actor, days).await?;
    let labels: Vec<String> = d.trend.iter().map(|t| t.day.clone()).collect();
    let trend_svg = charts::lines(
        &format!(
            "{} {days} {}",
            lang.pick("近", "Reported and closed, last"),
            lang.pick("天上报与结案", "days")
        ),
        &labels,
        &[
            (
                lang.pick("上报", "Reported").into(),
                "#b4232a",
                d.trend.iter().map(|t| t.reported).collect(),
            ),
            (
                lang.pick("结案", "Closed").into(),
                "#1a7f37",
                d.trend.iter().map(|t| t.closed).collect(),
            ),
        ],
    );
    let overdue_svg = charts::bars(
        lang.pick("各单位超期事件", "Overdue cases by unit"),
        &d.overdue_by_unit
            .iter()
            .take(10)
            .map(|o| (short_name(&o.unit_name), o.overdue, o.overdue.to_string()))
            .collect::<Vec<_>>(),
    );
    let open_states: Vec<(String, i64)> = CaseState::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| {
            let n = d
                .open_by_state
                .iter()
                .find(|(k, _)| k == s.as_str())
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (s.label(lang).to_string(), n)
        })
        .collect();
    let page = DashPage {
        page: actor.page(dashboard_title(&actor, lang)),
        tabs: tabs(&actor, "/cases/dashboard", lang),
        open_total: open_states.iter().map(|s| s.1).sum(),
        open_states,
        console: authz::is_any_centre(&actor),
        total: rate_row(&d.total),
        rates: d.rates.iter().map(rate_row).collect(),
        trend_svg,
        overdue_svg,
        periods: [7, 30, 90, 365]
            .iter()
            .map(|p| {
                (
                    format!("/cases/dashboard?days={p}"),
                    format!("{p} {}", lang.pick("天", "days")),
                    *p == days,
                )
            })
            .collect(),
        title: dashboard_title(&actor, lang),
        d,
    };
    Ok(render(&page)?)
}
