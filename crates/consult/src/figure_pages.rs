//! The proposals behind the overview's two proposal figures (issue 16, ADR 038): replied
//! (what "answered on time" divides by) or rated (what "satisfied" divides by), led by
//! units in the viewer's scope or in one unit (`?unit=ID`, narrowed as the overview
//! narrows), replied in the overview's period (`?period=`). Read with the figures' own
//! clause. Every counted proposal is a row; its title and link only for those who may
//! open the proposal (district staff count proposals they do not open: ADR 027).

use crate::authz::{Action, ConsultActor, Target, authorize, list_filter};
use crate::error::{ConsultError, ConsultResult};
use crate::figures::{self, FROM, RATED, REPLIED};
use crate::model::Rating;
use crate::register::day;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use gov_core::{Asked, Period, Sql};
use platform::AppState;
use platform::web::{Code, PageCtx, SignedIn, render};
use serde::Deserialize;
use sqlx::{FromRow, Row};
use std::collections::HashSet;

pub fn router() -> Router<AppState> {
    Router::new().route("/consultation/figures", get(page))
}

#[derive(Deserialize)]
struct FigureQuery {
    /// `replied` (the default) or `rated`.
    which: Option<String>,
    unit: Option<String>,
    period: Option<String>,
}

pub struct Line {
    pub id: i64,
    /// Empty when the viewer may not open the proposal.
    pub title: String,
    pub lead: String,
    pub due: String,
    pub replied: String,
    pub on_time: bool,
    pub rating: &'static str,
}

/// A counted proposal as stored.
#[derive(FromRow)]
struct Counted {
    id: i64,
    title: String,
    lead: String,
    reply_due: Option<i64>,
    replied_at: Option<i64>,
    #[sqlx(try_from = "platform::db::Blank<Rating>")]
    rating: Option<Rating>,
}

#[derive(Template)]
#[template(path = "consult_figures.html")]
struct FigurePage {
    page: PageCtx,
    heading: String,
    narrowed: Vec<String>,
    rated: bool,
    lines: Vec<Line>,
}

async fn page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<ConsultActor>,
    Query(q): Query<FigureQuery>,
) -> ConsultResult<Response> {
    authorize(&actor, Action::Figures, &Target::Anywhere)?;
    let lang = actor.lang;
    let bad = |m: &'static str| ConsultError::coded(Code::InvalidFilter, m);
    let rated = match q.which.as_deref().map(str::trim).unwrap_or("") {
        "" | "replied" => false,
        "rated" => true,
        _ => {
            return Err(bad(platform::bi!(
                "which 须为 replied 或 rated。",
                "which must be replied or rated."
            )));
        }
    };
    let period = Period::from_query(q.period.as_deref()).map_err(|_| bad(Period::BAD))?;
    let since = period.map(|p| p.since(state.now()));
    let mut narrowed = vec![Period::name(period, lang).to_string()];
    let viewer = match Asked::parse(&state.db, &actor, q.unit.as_deref()).await? {
        Asked::NotYours => {
            return Err(bad(platform::bi!(
                "所选单位不在您的范围内。",
                "That unit is not in your scope."
            )));
        }
        asked => {
            if let Asked::Unit(u) = &asked {
                narrowed.push(u.name.clone());
            }
            asked.viewer(&actor)
        }
    };
    let mut sql = Sql::default();
    figures::counted(&viewer, since, &mut sql);
    sql.push(if rated { RATED } else { REPLIED }.into());
    // Which of them the viewer may open: the same clause and the proposals' own filter.
    let mut open = sql.clone();
    list_filter(&actor, &mut open);
    let ids = format!(
        "SELECT p.id AS id FROM {FROM} WHERE {}",
        open.where_clause()
    );
    let visible: HashSet<i64> = open
        .query(&ids)
        .fetch_all(&state.db.pool)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<sqlx::Result<_>>()?;
    let text = format!(
        "SELECT p.id AS id, p.title AS title, l.name AS lead, p.reply_due AS reply_due, \
         p.replied_at AS replied_at, p.rating_result AS rating FROM {FROM} WHERE {} \
         ORDER BY p.replied_at DESC, p.id DESC",
        sql.where_clause()
    );
    let mut lines = Vec::new();
    for r in sql.query(&text).fetch_all(&state.db.pool).await? {
        let c = Counted::from_row(&r)?;
        lines.push(Line {
            id: c.id,
            title: if visible.contains(&c.id) {
                c.title
            } else {
                String::new()
            },
            lead: c.lead,
            due: c.reply_due.map(day).unwrap_or_default(),
            replied: c.replied_at.map(day).unwrap_or_default(),
            on_time: matches!((c.replied_at, c.reply_due), (Some(a), Some(b)) if a <= b),
            rating: c.rating.map_or("", |r| r.label(lang)),
        });
    }
    let heading = if rated {
        lang.pick("已评价的提案", "Proposals rated")
    } else {
        lang.pick("已答复的提案", "Proposals replied")
    };
    Ok(render(&FigurePage {
        page: actor.page(heading),
        heading: heading.into(),
        narrowed,
        rated,
        lines,
    })?)
}
