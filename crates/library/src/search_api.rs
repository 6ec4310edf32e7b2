//! Search and discovery routes: the search page, the JSON search API, title suggestions,
//! related documents, recent downloads and this week's popular documents.

use crate::authz::visible_pages;
use crate::error::{LibResult, LibraryError};
use crate::model::Document;
use crate::model::PriceKind;
use crate::search::snippet::Needles;
use crate::search::{Hit, Request, SearchIndex, Sort, query};
use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use platform::db::Sql;
use platform::web::{Id, PageCtx, render, url_encode};
use platform::{Actor, AppState};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(search_page))
        .route("/api/v1/search", get(search_json))
        .route("/api/v1/search/suggest", get(suggest))
        .route("/api/v1/documents/{id}/related", get(related_json))
        .route("/api/v1/downloads/recent", get(recent_downloads))
        .route("/api/v1/documents/popular", get(popular_json))
}

fn index(state: &AppState) -> LibResult<Arc<SearchIndex>> {
    state
        .ext::<SearchIndex>()
        .ok_or_else(|| LibraryError::Internal(anyhow::anyhow!("search index not attached")))
}

/// Runs `f` on the index off the async threads (tantivy work is synchronous).
async fn with_index<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&SearchIndex) -> anyhow::Result<T> + Send + 'static,
) -> LibResult<T> {
    let index = index(state)?;
    blocking(move || f(&index)).await
}

/// Runs `f` on a blocking thread. A panic there (a bug in the search engine) is logged
/// and answered as a 503: the server and the index stay up, the reader can retry.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> LibResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(LibraryError::Internal),
        Err(e) if e.is_panic() => {
            let panic = e.into_panic();
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("?");
            tracing::error!(panic = why, "the search thread panicked");
            Err(LibraryError::Unavailable(
                "搜索暂时不可用，请稍后再试 (search is unavailable for a moment; please try again)"
                    .into(),
            ))
        }
        Err(e) => Err(LibraryError::Internal(e.into())),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub category: Option<String>,
    pub format: Option<String>,
    pub price: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// `YYYY-MM-DD` (China time) → Unix ms at that day's start.
fn day_ms(s: &str, name: &str) -> LibResult<i64> {
    let d = chrono_date(s).ok_or_else(|| {
        LibraryError::BadField(format!("`{name}` must be a date like 2024-03-01"))
    })?;
    Ok(d)
}

fn chrono_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (it.next()??, it.next()??, it.next()??);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), then shift to UTC+8 midnight.
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400_000 - 8 * 3_600_000)
}

fn number(v: &Option<String>, name: &str, default: usize, max: usize) -> LibResult<usize> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                LibraryError::BadField(format!("`{name}` must be a whole number from 1 to {max}"))
            }),
    }
}

pub fn to_request(p: &SearchParams) -> LibResult<Request> {
    let clauses = query::parse(&p.q).map_err(|e| LibraryError::BadField(e.0))?;
    let sort = match p.sort.as_deref().unwrap_or("relevance") {
        "" | "relevance" => Sort::Relevance,
        "newest" => Sort::Newest,
        "downloads" => Sort::Downloads,
        other => {
            return Err(LibraryError::BadField(format!(
                "`sort` must be relevance, newest or downloads, not {other:?}"
            )));
        }
    };
    let price = match p.price.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(v @ ("free" | "paid" | "vip")) => Some(v.to_string()),
        Some(other) => {
            return Err(LibraryError::BadField(format!(
                "`price` must be free, paid or vip, not {other:?}"
            )));
        }
    };
    let format = match p.format.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(f) => Some(
            convert::Format::parse(f)
                .ok_or_else(|| LibraryError::BadField(format!("unknown format {f:?}")))?
                .as_str()
                .to_string(),
        ),
    };
    let per_page = number(&p.per_page, "per_page", 10, 50)?;
    let page = number(&p.page, "page", 1, 1000)?;
    let from_ms = p
        .from
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| day_ms(s, "from"))
        .transpose()?;
    let to_ms =
        p.to.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| day_ms(s, "to").map(|d| d + 86_400_000))
            .transpose()?;
    Ok(Request {
        clauses,
        category: p.category.clone().filter(|s| !s.is_empty()),
        format,
        price,
        from_ms,
        to_ms,
        sort,
        offset: (page - 1) * per_page,
        limit: per_page,
    })
}

/// Runs the search off the async threads and drops anything the database no longer
/// shows as published (the index may lag the database by a moment). Snippets come only
/// from pages `actor` may see (`authz::visible_pages`, as for page images); a match
/// further on gives its page number and the document's description.
pub async fn run(state: &AppState, actor: &Actor, req: Request) -> LibResult<(usize, Vec<Hit>)> {
    let needles = Needles::new(&req.clauses);
    let t0 = std::time::Instant::now();
    let (total, hits) = with_index(state, move |i| i.search(&req)).await?;
    tracing::debug!(us = t0.elapsed().as_micros() as u64, "search: index");
    let docs = published(state, actor, hits.iter().map(|h| h.id)).await?;
    let mut readable = Vec::with_capacity(hits.len());
    let mut hits: Vec<Hit> = hits
        .into_iter()
        .filter_map(|mut h| {
            let d = docs.iter().find(|d| d.id == h.id)?;
            let free = state.config.preview.free_pages;
            readable.push(visible_pages(actor, d, free).max(0) as u64);
            h.price_kind = d.price_kind;
            Some(h)
        })
        .collect();
    tracing::debug!(us = t0.elapsed().as_micros() as u64, "search: published");
    crate::search::pages::locate(&state.db, &needles, &mut hits, &readable).await?;
    tracing::debug!(us = t0.elapsed().as_micros() as u64, "search: pages");
    Ok((total, hits))
}

/// Which of `ids` are published, with what `actor` is entitled to of each.
async fn published(
    state: &AppState,
    actor: &Actor,
    ids: impl Iterator<Item = i64>,
) -> LibResult<Vec<Document>> {
    let ids: Vec<String> = ids.map(|i| i.to_string()).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // The ids are integers we produced, so inlining them is safe. `status || ''` keeps
    // SQLite from reading every published document through the status index (without
    // statistics it prefers that index to ten primary-key lookups).
    let mut sql = Sql::default();
    sql.push(format!("d.id IN ({})", ids.join(",")));
    let p = sql.bind(crate::model::Status::Ready.as_str());
    sql.push(format!("d.status || '' = {p}"));
    let mut docs = crate::model::list(&state.db, &sql, "d.id", ids.len() as i64, 0).await?;
    crate::service::entitle(state, actor, &mut docs).await?;
    Ok(docs)
}

/// The ids of `items` that are published.
async fn keep_published(
    state: &AppState,
    actor: &Actor,
    items: Vec<(i64, String)>,
) -> LibResult<Vec<(i64, String)>> {
    let docs = published(state, actor, items.iter().map(|i| i.0)).await?;
    Ok(items
        .into_iter()
        .filter(|(id, _)| docs.iter().any(|d| d.id == *id))
        .collect())
}

/// Field clauses and date ranges are VIP benefit 4: checked through `authorize`.
async fn check_advanced(state: &AppState, actor: &Actor, req: &Request) -> LibResult<()> {
    let advanced = req.from_ms.is_some()
        || req.to_ms.is_some()
        || req.clauses.iter().any(|c| c.target != query::Target::Any);
    if !advanced {
        return Ok(());
    }
    let member = match actor.id() {
        Some(id) => crate::money::vip::is_member(&state.db, id, state.now()).await?,
        None => false,
    };
    crate::authz::authorize(
        actor,
        crate::authz::Action::AdvancedSearch { member },
        None,
        state.config.preview.free_pages,
    )?;
    Ok(())
}

async fn search_json(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<SearchParams>,
) -> LibResult<Json<Value>> {
    let req = to_request(&p)?;
    check_advanced(&state, &actor, &req).await?;
    let (page, per_page) = (req.offset / req.limit + 1, req.limit);
    let (total, hits) = run(&state, &actor, req).await?;
    Ok(Json(
        json!({ "total": total, "page": page, "per_page": per_page, "hits": hits }),
    ))
}

#[derive(Deserialize)]
struct SuggestParams {
    #[serde(default)]
    q: String,
}

async fn suggest(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<SuggestParams>,
) -> LibResult<Json<Value>> {
    if p.q.chars().count() > query::MAX_QUERY_CHARS {
        return Err(bad_field!("搜索词太长。", "the query is too long"));
    }
    let items = with_index(&state, move |i| i.suggest(&p.q, 8)).await?;
    let items: Vec<Value> = keep_published(&state, &actor, items)
        .await?
        .into_iter()
        .map(|(id, title)| json!({ "id": id, "title": title }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// Related documents of `doc`, by the similarity of their text to the first pages of
/// `doc` that `actor` may read (never pages beyond their entitlement).
pub async fn related(
    state: &AppState,
    actor: &Actor,
    doc: &Document,
) -> LibResult<Vec<(i64, String)>> {
    let readable = visible_pages(actor, doc, state.config.preview.free_pages).min(5);
    let text: Vec<(String,)> = sqlx::query_as(
        "SELECT text FROM library_pages WHERE document_id = $1 AND n <= $2 ORDER BY n",
    )
    .bind(doc.id)
    .bind(readable)
    .fetch_all(&state.db.pool)
    .await?;
    let text: String = text.into_iter().map(|t| t.0).collect::<Vec<_>>().join("\n");
    let (id, title) = (doc.id, doc.title.clone());
    let items = with_index(state, move |i| i.related(id, &title, &text, 8)).await?;
    keep_published(state, actor, items).await
}

async fn related_json(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Json<Value>> {
    let doc = crate::service::load(&state, &actor, id, crate::authz::Action::View).await?;
    let items: Vec<Value> = related(&state, &actor, &doc)
        .await?
        .into_iter()
        .map(|(id, title)| json!({ "id": id, "title": title }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(serde::Serialize)]
pub struct RecentDownload {
    pub id: i64,
    pub title: String,
    pub format: String,
    pub at: i64,
}

/// The public "最近下载" feed: published documents only, no reader identities.
pub async fn recent(state: &AppState, limit: i64) -> LibResult<Vec<RecentDownload>> {
    let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT d.id, d.title, d.format, x.at FROM library_downloads x JOIN library_documents d ON d.id = x.document_id \
         WHERE d.status = 'ready' ORDER BY x.at DESC, x.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&state.db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, format, at)| RecentDownload {
            id,
            title,
            format,
            at,
        })
        .collect())
}

async fn recent_downloads(State(state): State<AppState>) -> LibResult<Json<Value>> {
    Ok(Json(json!({ "items": recent(&state, 20).await? })))
}

/// Most downloaded in the last seven days.
pub async fn popular_week(state: &AppState, limit: i64) -> LibResult<Vec<(i64, String, i64)>> {
    let since = state.now() - 7 * 86_400_000;
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT d.id, d.title, CAST(COUNT(*) AS BIGINT) AS n FROM library_downloads x JOIN library_documents d ON d.id = x.document_id \
         WHERE d.status = 'ready' AND x.at >= $1 GROUP BY d.id, d.title ORDER BY n DESC, d.id LIMIT $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(&state.db.pool)
    .await?;
    Ok(rows)
}

async fn popular_json(State(state): State<AppState>) -> LibResult<Json<Value>> {
    let items: Vec<Value> = popular_week(&state, 20)
        .await?
        .into_iter()
        .map(|(id, title, n)| json!({ "id": id, "title": title, "downloads": n }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

pub struct HitView {
    pub id: i64,
    pub title: String,
    pub snippet: String,
    pub page: u64,
    pub show: u64,
    /// For a match on a page the reader may not read: what would open it.
    pub locked: Option<&'static str>,
}

/// What opens a page beyond the reader's entitlement, said after "on page N".
fn unlock_hint(actor: &Actor, price_kind: PriceKind) -> &'static str {
    let lang = actor.lang;
    match price_kind {
        PriceKind::Paid => lang.pick("购买后可读", "available after purchase"),
        PriceKind::Vip => lang.pick(
            "开通 VIP 或购买后可读",
            "available to VIP members or after purchase",
        ),
        _ if actor.user.is_none() => lang.pick(
            "登录并下载原文件后可读",
            "sign in and download the original to read it",
        ),
        _ => lang.pick("下载原文件后可读", "download the original to read it"),
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    page: PageCtx,
    p: SearchParams,
    total: usize,
    hits: Vec<HitView>,
    error: Option<String>,
    prev: Option<String>,
    next: Option<String>,
    searched: bool,
    formats: Vec<(&'static str, bool)>,
    sort: String,
}

fn page_link(p: &SearchParams, page: usize) -> String {
    let enc = url_encode;
    let mut q = format!("/search?q={}&page={page}", enc(&p.q));
    for (k, v) in [
        ("category", &p.category),
        ("format", &p.format),
        ("price", &p.price),
        ("sort", &p.sort),
        ("from", &p.from),
        ("to", &p.to),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            q.push_str(&format!("&{k}={}", enc(v)));
        }
    }
    q
}

async fn search_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<SearchParams>,
) -> LibResult<Response> {
    let searched = !p.q.trim().is_empty() || p.category.as_deref().is_some_and(|c| !c.is_empty());
    let (mut total, mut hits, mut error, mut prev, mut next) = (0, Vec::new(), None, None, None);
    if searched {
        let checked = match to_request(&p) {
            Ok(req) => check_advanced(&state, &actor, &req).await.map(|_| req),
            Err(e) => Err(e),
        };
        match checked {
            Ok(req) => {
                let (page, per_page) = (req.offset / req.limit + 1, req.limit);
                let free = state.config.preview.free_pages as u64;
                let (t, h) = run(&state, &actor, req).await?;
                total = t;
                hits = h
                    .into_iter()
                    .map(|h| HitView {
                        locked: h.locked.then(|| unlock_hint(&actor, h.price_kind)),
                        show: h.page.max(free),
                        id: h.id,
                        title: h.title,
                        snippet: h.snippet,
                        page: h.page,
                    })
                    .collect();
                if page > 1 {
                    prev = Some(page_link(&p, page - 1));
                }
                if page * per_page < total {
                    next = Some(page_link(&p, page + 1));
                }
            }
            Err(e) => error = Some(actor.lang.msg(&e.to_string()).to_string()),
        }
    }
    let title = if p.q.is_empty() {
        actor.lang.pick("搜索", "Search").to_string()
    } else {
        format!("{} · {}", p.q, actor.lang.pick("搜索", "Search"))
    };
    let chosen = p.format.as_deref().and_then(convert::Format::parse);
    let formats = convert::Format::ALL
        .iter()
        .map(|f| (f.as_str(), Some(*f) == chosen))
        .collect();
    let sort = p.sort.clone().unwrap_or_default();
    Ok(render(&SearchPage {
        page: actor.page(title),
        p,
        total,
        hits,
        error,
        prev,
        next,
        searched,
        formats,
        sort,
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_on_the_search_thread_is_a_503_not_a_crash() {
        let r: LibResult<()> = blocking(|| -> anyhow::Result<()> { panic!("25 >= 26") }).await;
        let e = platform::AppError::from(r.expect_err("a panic is an error"));
        assert_eq!(e.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.code(), "unavailable");
        assert_eq!(blocking(|| Ok(7)).await.unwrap(), 7);
    }

    #[test]
    fn dates_are_china_midnights() {
        // 2024-03-01 00:00 UTC+8 = 2024-02-29 16:00 UTC
        assert_eq!(chrono_date("2024-03-01"), Some(1_709_222_400_000));
        assert_eq!(chrono_date("2024-13-01"), None);
        assert_eq!(chrono_date("yesterday"), None);
    }

    #[test]
    fn bad_parameters_are_explained() {
        let p = SearchParams {
            q: "社区".into(),
            sort: Some("popular".into()),
            ..Default::default()
        };
        assert!(to_request(&p).is_err());
        let p = SearchParams {
            q: "社区".into(),
            per_page: Some("0".into()),
            ..Default::default()
        };
        assert!(to_request(&p).is_err());
        let p = SearchParams {
            q: "社区".into(),
            format: Some("exe".into()),
            ..Default::default()
        };
        assert!(to_request(&p).is_err());
        let p = SearchParams {
            q: "社区".into(),
            page: Some("2".into()),
            per_page: Some("5".into()),
            ..Default::default()
        };
        assert_eq!(to_request(&p).unwrap().offset, 5);
    }
}
