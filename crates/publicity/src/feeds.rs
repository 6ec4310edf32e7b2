//! The published announcements as RSS 2.0 and Atom 1.0 feeds, site-wide and per unit
//! (`?unit=ID`: that unit and the units below it). Only published ones, ever.

use crate::api::{ListQuery, filter};
use crate::model::{self, Post};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use gov_core::GovActor;
use platform::AppState;
use platform::web::feed::{self, Entry, Feed};
use platform::web::{AppResult, url_encode};

/// How many announcements a feed carries.
const FEED_SIZE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feeds/announcements.atom", get(atom))
        .route("/feeds/announcements.rss", get(rss))
}

#[derive(serde::Deserialize)]
struct FeedQuery {
    unit: Option<String>,
}

async fn build(
    state: &AppState,
    actor: &GovActor,
    headers: &HeaderMap,
    unit: Option<String>,
    ext: &str,
) -> AppResult<Feed> {
    // The feed of published ones only, whoever asks: never a state from the query.
    let q = ListQuery {
        unit: unit.clone(),
        ..ListQuery::default()
    };
    let f = filter(state, actor, &q).await?;
    let (posts, _) = model::list(&state.db, &f, FEED_SIZE, 0).await?;
    let origin = feed::origin(headers);
    let host = origin.trim_start_matches("http://").to_string();
    let query = unit
        .as_deref()
        .filter(|u| !u.is_empty())
        .map(|u| format!("?unit={}", url_encode(u)))
        .unwrap_or_default();
    let unit_name = f.unit_name(&state.db).await?;
    let title = if unit_name.is_empty() {
        "通知公告".to_string()
    } else {
        format!("{unit_name} · 通知公告")
    };
    Ok(Feed {
        title,
        subtitle: "社区、街道和区各单位发布的通知公告与工作动态".into(),
        self_url: format!("{origin}/feeds/announcements.{ext}{query}"),
        page_url: format!("{origin}/news{query}"),
        id: format!("tag:{host},2026:announcements{query}"),
        author: "共治".into(),
        entries: posts.iter().map(|p| entry(&origin, &host, p)).collect(),
    })
}

fn entry(origin: &str, host: &str, p: &Post) -> Entry {
    Entry {
        id: format!("tag:{host},2026:announcement:{}", p.id),
        title: p.title.clone(),
        url: format!("{origin}/news/{}", p.id),
        summary: p.summary.clone(),
        content: p.body.clone(),
        author: p.unit_name.clone(),
        category: p.kind.label(platform::web::Lang::Zh).into(),
        published_ms: p.published_ms.unwrap_or(p.created_ms),
        updated_ms: p.updated_ms,
    }
}

async fn atom(
    State(state): State<AppState>,
    actor: GovActor,
    headers: HeaderMap,
    Query(q): Query<FeedQuery>,
) -> AppResult<Response> {
    let f = build(&state, &actor, &headers, q.unit, "atom").await?;
    Ok(feed::respond(feed::atom(&f), feed::ATOM))
}

async fn rss(
    State(state): State<AppState>,
    actor: GovActor,
    headers: HeaderMap,
    Query(q): Query<FeedQuery>,
) -> AppResult<Response> {
    let f = build(&state, &actor, &headers, q.unit, "rss").await?;
    Ok(feed::respond(feed::rss(&f), feed::RSS))
}
