//! The form to open a call for projects (issue 14): staff with the funding role pick the
//! unit, the service category, the budget in yuan, the dates, the eligibility rules and the
//! scoring sheet. The gap report links here with its category and unit filled in, so a call
//! starts from the needs nothing met. A refused field re-renders the form as typed.

use crate::error::{NeedError, NeedResult};
use crate::matching;
use crate::projects::{self, NewCall};
use crate::projects_review::Criterion;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use gov_core::{GovActor, list_units};
use platform::AppState;
use platform::web::{Code, Opt, PageCtx, SignedIn, redirect, render, sign_in_first};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/needs/projects/new", get(new_form).post(open))
}

/// The form as typed (kept on a validation error); also the gap report's query.
#[derive(Clone, Default, Deserialize)]
pub struct CallForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub budget_yuan: String,
    #[serde(default)]
    pub opens_on: String,
    #[serde(default)]
    pub closes_on: String,
    #[serde(default)]
    pub min_grade: String,
    #[serde(default)]
    pub min_years: String,
    #[serde(default)]
    pub report_required: Option<String>,
    /// One criterion a line: "name weight"; a line starting with "~" is kept out of the total.
    #[serde(default)]
    pub criteria: String,
    #[serde(default)]
    pub blind: Option<String>,
}

#[derive(Template)]
#[template(path = "needs_call_new.html")]
struct NewCallPage {
    page: PageCtx,
    error: Option<String>,
    categories: Vec<Opt>,
    units: Vec<Opt>,
    f: CallForm,
}

/// "1200" or "1200.5" yuan as fen; None when not a positive amount with at most 2 decimals.
pub fn fen_of_yuan(raw: &str) -> Option<i64> {
    let raw = raw.trim().replace([',', '，'], "");
    let (whole, frac) = raw.split_once('.').unwrap_or((&raw, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !(whole.chars().chain(frac.chars())).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let cents = format!("{frac:0<2}").parse::<i64>().ok()?;
    let fen = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)?;
    (fen > 0).then_some(fen)
}

/// The scoring sheet typed as lines; a bad line becomes an empty name so that
/// `check_criteria` refuses it with its own message.
pub fn criteria_of_lines(raw: &str) -> Vec<Criterion> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (in_total, l) = match l.strip_prefix('~') {
                Some(rest) => (false, rest.trim()),
                None => (true, l),
            };
            match l.rsplit_once(char::is_whitespace) {
                Some((name, w)) => Criterion {
                    name: name.trim().to_string(),
                    weight: w.parse().unwrap_or(0),
                    in_total,
                },
                None => Criterion {
                    name: String::new(),
                    weight: 0,
                    in_total,
                },
            }
        })
        .collect()
}

fn number(raw: &str) -> Option<i64> {
    let t = raw.trim();
    if t.is_empty() {
        Some(0)
    } else {
        t.parse().ok()
    }
}

async fn form_page(
    state: &AppState,
    actor: &GovActor,
    f: CallForm,
    error: Option<String>,
) -> NeedResult<Response> {
    let lang = actor.lang;
    let mut categories = vec![Opt::current(
        "",
        lang.pick("不限类别", "Any category"),
        &f.category,
    )];
    for c in matching::taxonomy(&state.db).await? {
        categories.push(Opt::current(c.code, c.name, &f.category));
    }
    let units = list_units(&state.db, &actor.scope())
        .await?
        .into_iter()
        .map(|u| Opt::current(u.id.0.to_string(), u.name, &f.unit_id))
        .collect();
    render(&NewCallPage {
        page: actor.page(lang.pick("设立购买服务项目", "Open a call for projects")),
        error: error.map(|m| lang.msg(&m).to_string()),
        categories,
        units,
        f,
    })
    .map_err(NeedError::from_app)
}

async fn new_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(f): Query<CallForm>,
) -> NeedResult<Response> {
    if !crate::authz::is_staff(&actor) {
        return Err(NeedError::Denied(
            platform::bi!(
                "设立项目需要单位的资助权限。",
                "opening a call is for unit staff"
            )
            .into(),
        ));
    }
    form_page(&state, &actor, f, None).await
}

async fn open(
    State(state): State<AppState>,
    actor: GovActor,
    Form(f): Form<CallForm>,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, "/needs/projects/new") {
        return Ok(r);
    }
    let Some(budget) = fen_of_yuan(&f.budget_yuan) else {
        let m = platform::bi!(
            "预算请填写正数金额（元，最多两位小数）。",
            "the budget takes a positive amount in yuan"
        );
        return form_page(&state, &actor, f, Some(m.into())).await;
    };
    let (Some(min_grade), Some(min_years)) = (number(&f.min_grade), number(&f.min_years)) else {
        let m = platform::bi!(
            "最低等级和成立年限须为整数。",
            "the minimum grade and years take whole numbers"
        );
        return form_page(&state, &actor, f, Some(m.into())).await;
    };
    let c = NewCall {
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        categories: Some(
            vec![f.category.clone()]
                .into_iter()
                .filter(|c| !c.is_empty())
                .collect(),
        ),
        unit_id: Some(f.unit_id.trim().parse().unwrap_or(0)),
        budget_fen: Some(budget),
        opens_on: Some(f.opens_on.clone()),
        closes_on: Some(f.closes_on.clone()),
        min_grade: Some(min_grade),
        min_years: Some(min_years),
        report_required: Some(f.report_required.is_some()),
        criteria: Some(criteria_of_lines(&f.criteria)),
        blind: Some(f.blind.is_some()),
    };
    match projects::open_call(&state, &actor, &c).await {
        Ok(id) => Ok(redirect(&format!("/needs/projects/{id}"))),
        Err(NeedError::Coded {
            code: Code::InvalidField,
            message,
        }) => form_page(&state, &actor, f, Some(message)).await,
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_become_fen() {
        assert_eq!(fen_of_yuan("1200"), Some(120_000));
        assert_eq!(fen_of_yuan("1,200.5"), Some(120_050));
        assert_eq!(fen_of_yuan("0.01"), Some(1));
        for bad in ["", "0", "-5", "1.234", "abc", "1e3", "."] {
            assert_eq!(fen_of_yuan(bad), None, "{bad}");
        }
    }

    #[test]
    fn criteria_lines_parse() {
        let c = criteria_of_lines("方案可行性 40\n\n~ 创新 10\n团队");
        assert_eq!(c.len(), 3);
        assert_eq!(
            (c[0].name.as_str(), c[0].weight, c[0].in_total),
            ("方案可行性", 40, true)
        );
        assert_eq!(
            (c[1].name.as_str(), c[1].weight, c[1].in_total),
            ("创新", 10, false)
        );
        assert!(
            c[2].name.is_empty(),
            "a line without a weight is refused later"
        );
    }
}
