//! The leader's overview (G8): one set of figures for an area — the viewer's whole scope or
//! one unit in it — gathered from each module through its public functions (ARCHITECTURE
//! rule 2: never another module's tables). An area is asked for by narrowing the viewer to
//! that unit, so every module applies its own scope rules to it unchanged.

use gov_core::{GovActor, Unit, UnitId, find_unit};
use platform::AppState;
use platform::web::{AppError, AppResult};
use serde::Serialize;

/// Cases are counted over this many days back from today.
pub const PERIOD_DAYS: i64 = 30;

#[derive(Clone, Debug, Serialize)]
pub struct AreaRow {
    pub unit_id: i64,
    pub name: String,
    pub residents: i64,
    pub orgs: i64,
    pub orgs_per_10k: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CaseFigures {
    /// Of the cases dispatched in the period, the share signed for on time (%, one decimal;
    /// `None` below the centre's minimum count for a rate).
    pub on_time_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub dispatched: i64,
    /// Open cases past their deadline now.
    pub overdue: i64,
    pub overdue_by_unit: Vec<(String, i64)>,
    pub trend: Vec<(String, i64, i64)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    pub unit: Option<UnitRef>,
    pub residents: i64,
    pub orgs: i64,
    pub orgs_per_10k: Option<f64>,
    /// The units one level down (streets of a district, communities of a street).
    pub areas: Vec<AreaRow>,
    pub cases: CaseFigures,
    pub needs: needs::figures::Figures,
    pub proposals: consult::figures::Figures,
    /// The latest public community ranking: its year and the places within the area.
    pub ranking: Option<(i64, Vec<assess::service::Ranked>)>,
}

/// The latest community ranking on public notice or final in the area's district, narrowed
/// to the units the viewer sees (ranks stay those of the whole district).
async fn ranking(
    state: &AppState,
    viewer: &GovActor,
) -> AppResult<Option<(i64, Vec<assess::service::Ranked>)>> {
    for year in assess::model::plan_years(&state.db).await? {
        for plan in assess::model::plans_of_year(&state.db, year, "community").await? {
            if !plan.state.is_public() {
                continue;
            }
            let ranked = assess::service::ranking(state, viewer, &plan).await?;
            let ids: Vec<UnitId> = ranked.iter().map(|r| UnitId(r.unit_id)).collect();
            let seen: std::collections::HashSet<i64> = gov_core::units_by_ids(&state.db, &ids)
                .await?
                .into_iter()
                .filter(|u| viewer.is_platform_admin() || viewer.role_on(&u.path).is_some())
                .map(|u| u.id.0)
                .collect();
            let in_scope: Vec<_> = ranked
                .into_iter()
                .filter(|r| seen.contains(&r.unit_id))
                .collect();
            if !in_scope.is_empty() {
                return Ok(Some((year, in_scope)));
            }
        }
    }
    Ok(None)
}

#[derive(Clone, Debug, Serialize)]
pub struct UnitRef {
    pub id: i64,
    pub name: String,
}

fn per_10k(orgs: i64, residents: i64) -> Option<f64> {
    (residents > 0).then(|| (orgs as f64 * 100_000.0 / residents as f64).round() / 10.0)
}

/// The unit an overview is about: the one asked for (which must lie in the viewer's scope),
/// or the viewer's outermost unit when they have one.
pub async fn area(
    state: &AppState,
    actor: &GovActor,
    asked: Option<i64>,
) -> AppResult<Option<Unit>> {
    let id = match asked {
        Some(id) => UnitId(id),
        None if actor.is_platform_admin() => return Ok(None),
        None => match actor.scope().0.unwrap_or_default().as_slice() {
            [only] => *only.ids().last().expect("a path names its unit"),
            _ => return Ok(None),
        },
    };
    let unit = find_unit(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if !actor.is_platform_admin() && actor.role_on(&unit.path).is_none() {
        return Err(AppError::NotFound);
    }
    Ok(Some(unit))
}

pub async fn compute(
    state: &AppState,
    actor: &GovActor,
    unit: Option<&Unit>,
) -> AppResult<Overview> {
    let viewer = match unit {
        Some(u) => actor.narrowed(u),
        None => actor.clone(),
    };
    let gov = governance::oversight::stats::compute(state, &viewer, unit).await?;
    let areas = gov
        .rows
        .iter()
        // Areas where people live (departments have no residents of their own).
        .filter(|r| r.residents > 0)
        .map(|r| AreaRow {
            unit_id: r.unit_id,
            name: r.name.clone(),
            residents: r.residents,
            orgs: r.orgs,
            orgs_per_10k: per_10k(r.orgs, r.residents),
        })
        .collect();
    let dash = cases::stats::dashboard(state, &viewer, PERIOD_DAYS).await?;
    let today = cases::calendar::local_date(state.now()).to_string();
    let needs = needs::figures::figures(state, &viewer, &today).await?;
    let proposals = consult::figures::figures(state, &viewer).await?;
    let ranking = ranking(state, &viewer).await?;
    Ok(Overview {
        unit: unit.map(|u| UnitRef {
            id: u.id.0,
            name: u.name.clone(),
        }),
        residents: gov.residents,
        orgs: gov.orgs,
        orgs_per_10k: per_10k(gov.orgs, gov.residents),
        areas,
        cases: CaseFigures {
            on_time_rate: dash.total.response_rate,
            resolution_rate: dash.total.resolution_rate,
            satisfaction_rate: dash.total.satisfaction_rate,
            dispatched: dash.total.dispatched,
            overdue: dash.overdue_total,
            overdue_by_unit: dash
                .overdue_by_unit
                .iter()
                .map(|o| (o.unit_name.clone(), o.overdue))
                .collect(),
            trend: dash
                .trend
                .iter()
                .map(|d| (d.day.clone(), d.reported, d.closed))
                .collect(),
        },
        needs,
        proposals,
        ranking,
    })
}

/// One figure for each area of an overview, each area narrowed exactly as the overview's
/// own figures for it would be (so the map shows what drilling down shows). Areas outside
/// the viewer's scope are left out. The case figures of all areas come from one grouped
/// read ([`cases::stats::by_area`]), not a dashboard per area.
pub async fn area_figures(
    state: &AppState,
    actor: &GovActor,
    areas: &[AreaRow],
    figure: crate::map::Figure,
) -> AppResult<Vec<(Unit, Option<f64>)>> {
    use crate::map::Figure;
    let ids: Vec<UnitId> = areas.iter().map(|a| UnitId(a.unit_id)).collect();
    let units = gov_core::units_by_ids(&state.db, &ids).await?;
    let by_id: std::collections::HashMap<i64, &AreaRow> =
        areas.iter().map(|a| (a.unit_id, a)).collect();
    let seen: Vec<(Unit, &AreaRow)> = units
        .into_iter()
        .filter(|u| actor.is_platform_admin() || actor.role_on(&u.path).is_some())
        .filter_map(|u| {
            let row = *by_id.get(&u.id.0)?;
            Some((u, row))
        })
        .collect();
    let values: Vec<Option<f64>> = match figure {
        Figure::OrgsPer10k => seen.iter().map(|(_, row)| row.orgs_per_10k).collect(),
        Figure::Overdue | Figure::OnTimeRate => {
            let paths: Vec<_> = seen.iter().map(|(u, _)| u.path.clone()).collect();
            cases::stats::by_area(state, &paths, PERIOD_DAYS)
                .await?
                .into_iter()
                .map(|c| match figure {
                    Figure::Overdue => Some(c.overdue as f64),
                    _ => c.response_rate,
                })
                .collect()
        }
        Figure::UnmetNeeds => {
            let today = cases::calendar::local_date(state.now()).to_string();
            let mut out = Vec::with_capacity(seen.len());
            for (unit, _) in &seen {
                let viewer = actor.narrowed(unit);
                let n = needs::figures::figures(state, &viewer, &today).await?.unmet;
                out.push(Some(n as f64));
            }
            out
        }
    };
    Ok(seen.into_iter().map(|(u, _)| u).zip(values).collect())
}
