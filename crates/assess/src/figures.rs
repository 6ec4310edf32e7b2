//! The built-in formulas of the indicator library over live data, per unit and year. Each
//! asks the owning module's public functions (ARCHITECTURE rule 2) with the viewer narrowed
//! to the unit, and returns the records it counted as URLs where the module exposes them,
//! so a score can be traced back to them. Needs and proposals are counted as they stand
//! (their modules' figures have no period); cases and announcements within the year.

use cases::calendar::{day_start, parse_day};
use gov_core::{GovActor, Unit};
use platform::AppState;
use platform::web::AppResult;
use publicity::model::{Filter, PostState};

/// A formula's value and the records it counted.
#[derive(Clone, Debug, Default)]
pub struct Figure {
    pub value: Option<f64>,
    pub sources: Vec<String>,
}

fn pct(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

impl Figure {
    /// The share of `of` records that `ids` are, the ids as pages under `base` (`/cases`).
    fn share(ids: &[i64], of: i64, base: &str) -> Figure {
        Figure {
            value: pct(ids.len() as i64, of),
            sources: ids.iter().map(|id| format!("{base}/{id}")).collect(),
        }
    }
}

/// The first millisecond of a year (in the district's zone) and of the next.
pub fn year_bounds(year: i64) -> (i64, i64) {
    let start = |y: i64| {
        parse_day(&format!("{y:04}-01-01"))
            .map(day_start)
            .unwrap_or_default()
    };
    (start(year), start(year + 1))
}

/// The value of the formula indicator `code` for `unit` over `year`; `None` for a code
/// with no built-in formula.
pub async fn formula(
    state: &AppState,
    actor: &GovActor,
    code: &str,
    unit: &Unit,
    year: i64,
) -> AppResult<Option<Figure>> {
    let viewer = actor.narrowed(unit);
    let (from, to) = year_bounds(year);
    let fig = match code {
        "case_on_time" => {
            let c = cases::counted::signed_on_time(state, &viewer, from, to).await?;
            Figure::share(&c.on_time_ids, c.dispatched, "/cases")
        }
        "needs_met" => {
            let n = needs::counted::settled(state, &viewer).await?;
            let met = n.met_ids.len() as i64;
            Figure::share(&n.met_ids, met + n.unmet, "/needs")
        }
        "proposals_on_time" => {
            let p = consult::counted::replied(state, &viewer).await?;
            Figure::share(&p.on_time_ids, p.replied, "/consultation/proposals")
        }
        "orgs_per_10k" => {
            // The organisations governance's statistics count for the unit's subtree.
            let scope = gov_core::ScopeFilter(Some(vec![unit.path.clone()]));
            let f = governance::registry::model::OrgFilter::default();
            let orgs =
                governance::registry::model::list_orgs(&state.db, &scope, &f, 1_000_000, 0).await?;
            Figure {
                value: (unit.residents > 0).then(|| {
                    (orgs.len() as f64 * 100_000.0 / unit.residents as f64).round() / 10.0
                }),
                sources: orgs.iter().map(|o| format!("/gov/orgs/{}", o.id)).collect(),
            }
        }
        "announcements" => {
            let f = Filter {
                within: Some(unit.path.clone()),
                state: Some(PostState::Published),
                ..Filter::default()
            };
            let (posts, _) = publicity::model::list(&state.db, &f, 1000, 0).await?;
            let ids: Vec<i64> = posts
                .iter()
                .filter(|p| p.published_ms.is_some_and(|t| t >= from && t < to))
                .map(|p| p.id)
                .collect();
            Figure {
                value: Some(ids.len() as f64),
                sources: ids.iter().map(|id| format!("/news/{id}")).collect(),
            }
        }
        "study_hours_recorded" => {
            // The unit's own study records (module-internal: study is part of assess).
            let h = crate::study_hours::unit_hours(state, unit, year).await?;
            Figure {
                value: h.per_person,
                sources: h.sources(),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(fig))
}
