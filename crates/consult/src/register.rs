//! The public register of proposals (提案公开): the replied proposals whose proposers
//! consented, with their replies — a list page, one page per proposal, and an Atom 1.0
//! feed at `/consultation/proposals.atom`. Nothing else of a proposal is public.

use crate::error::{ConsultError, ConsultResult};
use crate::model::{self, Proposal, ReplyClass};
use askama::Template;
use axum::Router;
use axum::extract::State as AxState;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use platform::web::feed;
use platform::web::{Id, render};
use platform::{Actor, AppState, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consultation/register", get(list))
        .route("/consultation/register/{id}", get(show))
        .route("/consultation/proposals.atom", get(atom))
}

/// Published: formally replied (first or second round, not a draft in between) and
/// consented to by the proposer.
const PUBLISHED: &str =
    "p.state IN ('replied', 'closed') AND p.consent = 1 AND p.replied_at IS NOT NULL";

pub async fn published(state: &AppState, limit: i64) -> sqlx::Result<Vec<Proposal>> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {PUBLISHED} ORDER BY p.replied_at DESC, p.id DESC LIMIT {limit}",
        model::COLUMNS,
        model::FROM
    );
    sqlx::query_as(&sql).fetch_all(&state.db.pool).await
}

pub(crate) async fn published_one(state: &AppState, id: i64) -> ConsultResult<Proposal> {
    let sql = format!(
        "SELECT {} FROM {} WHERE p.id = $1 AND {PUBLISHED}",
        model::COLUMNS,
        model::FROM
    );
    sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(ConsultError::NotFound)
}

pub struct Item {
    pub id: i64,
    pub title: String,
    pub proposer: String,
    pub sector: String,
    pub unit: String,
    pub class: String,
    pub replied: String,
}

fn class_label(raw: &str, page: &PageCtx) -> String {
    ReplyClass::parse(raw)
        .map(|c| c.label(page.lang).to_string())
        .unwrap_or_default()
}

fn item(p: &Proposal, page: &PageCtx) -> Item {
    Item {
        id: p.id,
        title: p.title.clone(),
        proposer: p.proposer_name.clone(),
        sector: p.sector.clone(),
        unit: p.lead_name.clone(),
        class: class_label(&p.reply_class, page),
        replied: p.replied_at.map(day).unwrap_or_default(),
    }
}

/// A `YYYY-MM-DD` day in the district's zone.
pub fn day(ms: i64) -> String {
    cases::calendar::local_date(ms)
        .format("%Y-%m-%d")
        .to_string()
}

#[derive(Template)]
#[template(path = "consult_register.html")]
struct ListPage {
    page: PageCtx,
    items: Vec<Item>,
}

async fn list(AxState(state): AxState<AppState>, actor: Actor) -> ConsultResult<Response> {
    let page = actor.page(actor.lang.pick("提案公开", "Published proposals"));
    let items = published(&state, 200)
        .await?
        .iter()
        .map(|p| item(p, &page))
        .collect();
    Ok(render(&ListPage { page, items })?)
}

#[derive(Template)]
#[template(path = "consult_register_item.html")]
struct ItemPage {
    page: PageCtx,
    it: Item,
    body: String,
    reply: String,
}

async fn item_page(state: &AppState, actor: &Actor, id: i64) -> ConsultResult<Response> {
    let p = published_one(state, id).await?;
    let page = actor.page(p.title.clone());
    let it = item(&p, &page);
    Ok(render(&ItemPage {
        page,
        it,
        body: p.body,
        reply: p.reply_text,
    })?)
}

async fn show(
    AxState(state): AxState<AppState>,
    actor: Actor,
    Id(id): Id,
) -> ConsultResult<Response> {
    item_page(&state, &actor, id).await
}

/// The register as an Atom 1.0 document (RFC 4287), written by the platform's feed writer.
pub fn atom_document(origin: &str, items: &[Proposal]) -> String {
    let host = origin.trim_start_matches("http://");
    let entries = items
        .iter()
        .map(|p| {
            let at = p.replied_at.unwrap_or(p.created_at);
            feed::Entry {
                id: format!("tag:{host},2026:proposal:{}", p.id),
                title: p.title.clone(),
                url: format!("{origin}/consultation/register/{}", p.id),
                summary: p.body.chars().take(200).collect(),
                content: format!(
                    "{}\n\n答复（{}，{}）：\n{}",
                    p.body, p.lead_name, p.reply_class, p.reply_text
                ),
                author: p.proposer_name.clone(),
                category: p.reply_class.clone(),
                published_ms: at,
                updated_ms: at,
            }
        })
        .collect();
    feed::atom(&feed::Feed {
        title: "提案公开 Published proposals and replies".into(),
        subtitle: "经提案者同意公开的提案及其办理答复".into(),
        self_url: format!("{origin}/consultation/proposals.atom"),
        page_url: format!("{origin}/consultation/register"),
        id: format!("tag:{host},2026:consultation:proposals"),
        author: "政协提案委员会 CPPCC proposals office".into(),
        entries,
    })
}

async fn atom(AxState(state): AxState<AppState>, headers: HeaderMap) -> ConsultResult<Response> {
    let items = published(&state, 100).await?;
    Ok(feed::respond(
        atom_document(&feed::origin(&headers), &items),
        feed::ATOM,
    ))
}
