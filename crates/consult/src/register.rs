//! The public register of proposals (提案公开): the replied proposals whose proposers
//! consented, with their replies — a list page, one page per proposal, and an Atom 1.0
//! feed at `/consultation/proposals.atom`. Nothing else of a proposal is public.

use crate::error::{ConsultError, ConsultResult};
use crate::model::{self, Proposal, ReplyClass};
use askama::Template;
use axum::Router;
use axum::extract::State as AxState;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
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
    sqlx::query(&sql)
        .fetch_all(&state.db.pool)
        .await?
        .iter()
        .map(model::from_row)
        .collect()
}

async fn published_one(state: &AppState, id: i64) -> ConsultResult<Proposal> {
    let sql = format!(
        "SELECT {} FROM {} WHERE p.id = $1 AND {PUBLISHED}",
        model::COLUMNS,
        model::FROM
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    row.as_ref()
        .map(model::from_row)
        .transpose()?
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

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The register as an Atom 1.0 document (RFC 4287).
pub fn atom_document(items: &[Proposal]) -> String {
    let updated = items.iter().filter_map(|p| p.replied_at).max().unwrap_or(0);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
    );
    out.push_str("  <id>urn:gongzhi:consultation:proposals</id>\n");
    out.push_str("  <title>提案公开 Published proposals and replies</title>\n");
    out.push_str(&format!("  <updated>{}</updated>\n", rfc3339(updated)));
    out.push_str("  <link rel=\"self\" href=\"/consultation/proposals.atom\"/>\n");
    out.push_str(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"/consultation/register\"/>\n",
    );
    out.push_str("  <author><name>政协提案委员会 CPPCC proposals office</name></author>\n");
    for p in items {
        let at = p.replied_at.unwrap_or(p.created_at);
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <id>urn:gongzhi:proposal:{}</id>\n", p.id));
        out.push_str(&format!("    <title>{}</title>\n", xml(&p.title)));
        out.push_str(&format!("    <updated>{}</updated>\n", rfc3339(at)));
        out.push_str(&format!("    <published>{}</published>\n", rfc3339(at)));
        out.push_str(&format!(
            "    <author><name>{}</name></author>\n",
            xml(&p.proposer_name)
        ));
        out.push_str(&format!(
            "    <category term=\"{}\"/>\n",
            xml(&p.reply_class)
        ));
        out.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"/consultation/register/{}\"/>\n",
            p.id
        ));
        out.push_str(&format!(
            "    <summary>{}</summary>\n",
            xml(&p.body.chars().take(200).collect::<String>())
        ));
        out.push_str(&format!(
            "    <content type=\"text\">{}\n\n答复（{}，{}）：\n{}</content>\n",
            xml(&p.body),
            xml(&p.lead_name),
            xml(&p.reply_class),
            xml(&p.reply_text)
        ));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

async fn atom(AxState(state): AxState<AppState>) -> ConsultResult<Response> {
    let items = published(&state, 100).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        atom_document(&items),
    )
        .into_response())
}
