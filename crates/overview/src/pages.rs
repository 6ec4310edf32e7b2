//! The overview as a page (cards, charts with their tables, drill-down links) and as JSON
//! (`GET /api/v1/overview`, the contract of issue 16), both for the viewer's scope.

use crate::figures::{self, Overview, PERIOD_DAYS};
use crate::map::{self, Figure};
use crate::weekly;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use gov_core::{GovActor, Period, UnitId};
use governance::registry::boundary::boundaries_of;
use platform::AppState;
use platform::web::authz::Denied;
use platform::web::{AppError, AppResult, Code, Lang, PageCtx, SignedIn, charts, render};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/overview", get(page))
        .route("/api/v1/overview", get(api))
        .route("/overview/weekly.pdf", get(weekly_pdf))
        .route("/overview/weekly.xlsx", get(weekly_xlsx))
}

/// The overview is for those who hold a role on a unit (any role, viewers included) and
/// for platform administrators.
pub fn authorize(actor: &GovActor) -> Result<(), Denied> {
    actor.staff_only(platform::bi!(
        "总览供区、街道和社区的工作人员查看。",
        "The overview is for staff of the district, its streets and communities."
    ))
}

#[derive(Deserialize)]
struct AreaQuery {
    unit: Option<String>,
    /// What the map is coloured by (`map::Figure`); the page only.
    figure: Option<String>,
    /// `month`, `quarter` or `year`: the needs and proposals figures over that period
    /// (needs raised, proposals replied in it); none is all time.
    period: Option<String>,
}

impl AreaQuery {
    fn period(&self) -> AppResult<Option<Period>> {
        Period::from_query(self.period.as_deref())
            .map_err(|_| AppError::coded(Code::InvalidFilter, Period::BAD))
    }
}

async fn load(state: &AppState, actor: &GovActor, q: &AreaQuery) -> AppResult<Overview> {
    authorize(actor)?;
    let period = q.period()?;
    let asked = match q.unit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(platform::web::parse_id(raw)?),
        None => None,
    };
    let unit = figures::area(state, actor, asked).await?;
    let mut o = figures::compute(state, actor, unit.as_ref()).await?;
    if let Some(p) = period {
        // The same modules' figures over the period, for the same narrowed viewer.
        let viewer = unit
            .as_ref()
            .map_or_else(|| actor.clone(), |u| actor.narrowed(u));
        let since = Some(p.since(state.now()));
        let today = cases::calendar::local_date(state.now()).to_string();
        o.needs = needs::figures::figures_in(state, &viewer, &today, since).await?;
        o.proposals = consult::figures::figures_in(state, &viewer, since).await?;
    }
    Ok(o)
}

fn to_json(o: &Overview, q: &AreaQuery) -> AppResult<Value> {
    Ok(json!({
        "unit": o.unit.as_ref().map(|u| json!({ "id": u.id, "name": u.name })),
        "residents": o.residents,
        "orgs": o.orgs,
        "orgs_per_10k": o.orgs_per_10k,
        "areas": o.areas,
        "cases": {
            "period_days": PERIOD_DAYS,
            "dispatched": o.cases.dispatched,
            "on_time_rate": o.cases.on_time_rate,
            "resolution_rate": o.cases.resolution_rate,
            "satisfaction_rate": o.cases.satisfaction_rate,
            "overdue": o.cases.overdue,
        },
        "needs": o.needs,
        "period": q.period()?.map(|p| p.as_str()),
        "projects": {
            "running": o.needs.projects_running,
            "milestones_slipping": o.needs.milestones_slipping,
        },
        "proposals": o.proposals,
        "assessment": o.ranking.as_ref().map(|(year, items)| json!({ "year": year, "items": items })),
    }))
}

async fn api(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<AreaQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(to_json(&load(&state, &actor, &q).await?, &q)?))
}

/// A figure shown on a card: a rate as "87.5%", none as "—".
fn rate(r: Option<f64>) -> String {
    r.map_or("—".into(), |r| format!("{r:.1}%"))
}

pub struct Card {
    pub value: String,
    pub label: &'static str,
    pub href: String,
    pub bad: bool,
    /// How many records the list behind a rate holds ("of 40 cases"), when known.
    pub of: Option<String>,
}

/// The map card: the figure it is coloured by, the other figures to choose, the SVG (empty
/// when no area has a boundary) and a note on where the shapes come from.
pub struct MapCard {
    pub figure: &'static str,
    pub choices: Vec<(String, &'static str, bool)>,
    pub svg: String,
    pub note: String,
}

async fn area_map(
    state: &AppState,
    actor: &GovActor,
    o: &Overview,
    figure: Figure,
    period_q: &str,
) -> AppResult<MapCard> {
    let lang = actor.lang;
    let unit_q = o
        .unit
        .as_ref()
        .map(|u| format!("unit={}&", u.id))
        .unwrap_or_default();
    let choices = Figure::ALL
        .iter()
        .map(|f| {
            (
                format!("/overview?{unit_q}figure={}{period_q}#map", f.as_str()),
                f.label(lang),
                *f == figure,
            )
        })
        .collect();
    let ids: Vec<UnitId> = o.areas.iter().map(|a| UnitId(a.unit_id)).collect();
    let shapes = boundaries_of(&state.db, &ids).await?;
    // Only areas that have a shape are worth a figure.
    let drawn: Vec<_> = o
        .areas
        .iter()
        .filter(|a| shapes.contains_key(&UnitId(a.unit_id)))
        .cloned()
        .collect();
    let valued = figures::area_figures(state, actor, &drawn, figure).await?;
    let areas: Vec<map::Area> = valued
        .iter()
        .filter_map(|(unit, value)| {
            Some(map::Area {
                name: unit.name.clone(),
                href: format!(
                    "/overview?unit={}&figure={}{period_q}",
                    unit.id,
                    figure.as_str()
                ),
                value: *value,
                boundary: &shapes.get(&unit.id)?.boundary,
            })
        })
        .collect();
    let note = valued
        .iter()
        .filter_map(|(u, _)| shapes.get(&u.id))
        .map(|s| note(&s.note, lang))
        .find(|n| !n.is_empty())
        .unwrap_or_default();
    Ok(MapCard {
        figure: figure.label(lang),
        choices,
        svg: map::svg(&areas, figure, lang),
        note,
    })
}

/// A boundary's note as the reader sees it: the demo's own note in the reader's language,
/// any other as its author wrote it.
fn note(text: &str, lang: Lang) -> String {
    use governance::registry::boundary_import::{SCHEMATIC, SCHEMATIC_EN};
    if text == SCHEMATIC {
        lang.pick(SCHEMATIC, SCHEMATIC_EN)
    } else {
        lang.msg(text)
    }
    .to_string()
}

pub struct AreaLink {
    pub unit_id: i64,
    pub href: String,
    pub name: String,
    pub per_10k: String,
    pub orgs: i64,
    pub residents: i64,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    page: PageCtx,
    /// `?unit=…` of this area, for the report links.
    here: String,
    /// The period control: (link, label, current), and what the period covers.
    periods: Vec<(String, &'static str, bool)>,
    heading: String,
    cards: Vec<Card>,
    map: MapCard,
    areas: Vec<AreaLink>,
    orgs_svg: String,
    trend_svg: String,
    /// The latest public ranking within the area: year and (rank, unit, score, link).
    ranking_year: i64,
    ranking: Vec<(u32, String, String, String)>,
    trend: Vec<(String, i64, i64)>,
}

async fn page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<AreaQuery>,
) -> AppResult<Response> {
    let o = load(&state, &actor, &q).await?;
    let lang = actor.lang;
    let here = o
        .unit
        .as_ref()
        .map(|u| format!("?unit={}", u.id))
        .unwrap_or_default();
    let name = o.unit.as_ref().map_or(
        lang.pick("全部范围", "Everything you see").to_string(),
        |u| u.name.clone(),
    );
    // Each card opens the list behind its number, narrowed to this area and period: the
    // list counts exactly what the card counts (ADR 038).
    let period = q.period()?;
    let unit_q = o
        .unit
        .as_ref()
        .map(|u| format!("&unit={}", u.id))
        .unwrap_or_default();
    let period_q = period
        .map(|p| format!("&period={}", p.as_str()))
        .unwrap_or_default();
    let days = PERIOD_DAYS;
    let of = |n: i64, zh: &str, en: &str| {
        Some(format!(
            "{} {n} {}",
            lang.pick("共", "of"),
            lang.pick(zh, en)
        ))
    };
    let cards = vec![
        Card {
            value: o.orgs_per_10k.map_or("—".into(), |v| format!("{v:.1}")),
            label: lang.pick("每万人社会组织数", "Organisations per 10,000 residents"),
            href: format!("/gov/stats{here}"),
            bad: false,
            of: None,
        },
        Card {
            value: rate(o.cases.on_time_rate),
            label: lang.pick("事件按时签收率", "Cases signed for on time"),
            href: format!("/cases/supervision?dispatched={days}{unit_q}"),
            bad: false,
            of: of(o.cases.dispatched, "件派单", "dispatched"),
        },
        Card {
            value: o.cases.overdue.to_string(),
            label: lang.pick("超期事件", "Overdue cases"),
            href: format!("/cases/supervision?overdue=1{unit_q}"),
            bad: o.cases.overdue > 0,
            of: None,
        },
        Card {
            value: rate(o.cases.satisfaction_rate),
            label: lang.pick("群众满意率", "Residents satisfied"),
            href: format!("/cases/supervision?dispatched={days}&rated=1{unit_q}"),
            bad: false,
            of: None,
        },
        Card {
            value: o.needs.matched.to_string(),
            label: lang.pick("已对接的需求", "Needs met"),
            href: format!("/needs?state=met{unit_q}{period_q}"),
            bad: false,
            of: None,
        },
        Card {
            value: o.needs.unmet.to_string(),
            label: lang.pick("未满足的需求", "Needs unmet"),
            href: format!("/needs?state=unmet{unit_q}{period_q}"),
            bad: o.needs.unmet > 0,
            of: None,
        },
        Card {
            value: o.needs.projects_running.to_string(),
            label: lang.pick("在建购买服务项目", "Purchased-service projects running"),
            href: format!("/needs/projects/running{here}"),
            bad: false,
            of: None,
        },
        Card {
            value: o.needs.milestones_slipping.to_string(),
            label: lang.pick("逾期里程碑", "Milestones slipping"),
            href: format!("/needs/projects/slipping{here}"),
            bad: o.needs.milestones_slipping > 0,
            of: None,
        },
        Card {
            value: rate(o.proposals.answered_on_time_rate),
            label: lang.pick("提案按时办复率", "Proposals answered on time"),
            href: format!("/consultation/figures?which=replied{unit_q}{period_q}"),
            bad: false,
            of: of(o.proposals.replied, "件已答复", "replied"),
        },
        Card {
            value: rate(o.proposals.satisfaction_rate),
            label: lang.pick("提案者满意率", "Proposers satisfied"),
            href: format!("/consultation/figures?which=rated{unit_q}{period_q}"),
            bad: false,
            of: of(o.proposals.rated, "件已评价", "rated"),
        },
    ];
    let unit_amp = o
        .unit
        .as_ref()
        .map(|u| format!("unit={}&", u.id))
        .unwrap_or_default();
    let periods = std::iter::once(None)
        .chain(Period::ALL.iter().copied().map(Some))
        .map(|p| {
            let href = match p {
                Some(p) => format!("/overview?{unit_amp}period={}", p.as_str()),
                None => format!("/overview{here}"),
            };
            (href, Period::name(p, lang), p == period)
        })
        .collect();
    let orgs_svg = charts::bars(
        lang.pick("每万人社会组织数", "Organisations per 10,000 residents"),
        &o.areas
            .iter()
            .map(|a| {
                let v = a.orgs_per_10k.unwrap_or(0.0);
                (a.name.clone(), (v * 10.0).round() as i64, format!("{v:.1}"))
            })
            .collect::<Vec<_>>(),
    );
    let labels: Vec<String> = o.cases.trend.iter().map(|t| t.0.clone()).collect();
    let trend_svg = charts::lines(
        lang.pick(
            "近 30 天事件上报与结案",
            "Cases reported and closed, last 30 days",
        ),
        &labels,
        &[
            (
                lang.pick("上报", "Reported").into(),
                "#b4232a",
                o.cases.trend.iter().map(|t| t.1).collect(),
            ),
            (
                lang.pick("结案", "Closed").into(),
                "#1a7f37",
                o.cases.trend.iter().map(|t| t.2).collect(),
            ),
        ],
    );
    let figure = match q.figure.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => Figure::OrgsPer10k,
        Some(f) => Figure::parse(f).ok_or_else(|| {
            AppError::coded(
                Code::InvalidFilter,
                platform::bi!(
                    "地图指标须为 orgs_per_10k、overdue、on_time_rate 或 unmet_needs。",
                    "figure must be orgs_per_10k, overdue, on_time_rate or unmet_needs."
                ),
            )
        })?,
    };
    let map = area_map(&state, &actor, &o, figure, &period_q).await?;
    render(&OverviewPage {
        map,
        page: actor.page(lang.pick("总览", "Overview")),
        here: here.clone(),
        periods,
        heading: format!("{} · {name}", lang.pick("总览", "Overview")),
        cards,
        areas: o
            .areas
            .iter()
            .map(|a| AreaLink {
                unit_id: a.unit_id,
                href: format!("/overview?unit={}{period_q}", a.unit_id),
                name: a.name.clone(),
                per_10k: a.orgs_per_10k.map_or("—".into(), |v| format!("{v:.1}")),
                orgs: a.orgs,
                residents: a.residents,
            })
            .collect(),
        orgs_svg,
        trend_svg,
        ranking_year: o.ranking.as_ref().map_or(0, |r| r.0),
        ranking: o
            .ranking
            .iter()
            .flat_map(|(year, items)| {
                items.iter().take(10).map(move |r| {
                    (
                        r.rank,
                        r.unit_name.clone(),
                        format!("{:.2}", r.score),
                        format!("/assessments/{year}/units/{}", r.unit_id),
                    )
                })
            })
            .collect(),
        trend: o.cases.trend.clone(),
    })
}

async fn report(state: &AppState, actor: &GovActor, q: &AreaQuery) -> AppResult<weekly::Report> {
    let o = load(state, actor, q).await?;
    let zh = !actor.lang.is_en();
    let today = cases::calendar::local_date(state.now()).to_string();
    let generated = platform::clock::format_ms(state.now());
    let generated = if zh {
        format!("生成于 {generated}")
    } else {
        format!("made {generated}")
    };
    Ok(weekly::Report::of(
        &o,
        zh,
        weekly::period(&today, zh),
        generated,
    ))
}

fn download(bytes: Vec<u8>, media: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, media.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

async fn weekly_pdf(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<AreaQuery>,
) -> AppResult<Response> {
    let r = report(&state, &actor, &q).await?;
    let bytes = weekly::pdf(&r)
        .ok_or_else(|| {
            AppError::Unavailable(platform::bi!(
                "服务器未安装中文字体（fonts-noto-cjk），暂时无法生成 PDF 周报；可先下载 Excel 版。",
                "No Chinese font (fonts-noto-cjk) is installed on the server, so the PDF report cannot be made; the Excel version works."
            ).into())
        })?
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(download(bytes, "application/pdf", "weekly.pdf"))
}

async fn weekly_xlsx(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<AreaQuery>,
) -> AppResult<Response> {
    let r = report(&state, &actor, &q).await?;
    let bytes = weekly::xlsx(&r).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "weekly.xlsx",
    ))
}
