//! Documents as stored, and the queries that read them.

use platform::db::{Db, Sql};
use serde::Serialize;
use sqlx::FromRow;

platform::vocabulary! {
    Status {
        Processing = "processing", "转换中", "Converting";
        PendingReview = "pending_review", "待审核", "Awaiting review";
        Ready = "ready", "已发布", "Published";
        Rejected = "rejected", "未通过", "Rejected";
        Failed = "failed", "转换失败", "Conversion failed";
        TakenDown = "taken_down", "已下架", "Taken down";
    }
}

impl Status {
    /// CSS state colour.
    pub fn tone(self) -> &'static str {
        match self {
            Status::Processing => "info",
            Status::PendingReview => "warn",
            Status::Ready => "ok",
            Status::Rejected | Status::Failed | Status::TakenDown => "bad",
        }
    }
}

platform::vocabulary! {
    /// How a document is offered: free to read, bought once, or read by VIP members (who
    /// may also buy it, when it carries a price).
    PriceKind {
        Free = "free", "免费", "Free";
        Paid = "paid", "付费", "Paid";
        Vip = "vip", "VIP 文档", "VIP document";
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Document {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub category_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub format: convert::Format,
    pub original_name: String,
    pub size_bytes: i64,
    pub status: Status,
    pub error: Option<String>,
    pub pages: i64,
    pub preview_pages: Option<i64>,
    pub preview_kind: String,
    pub preview_note: Option<String>,
    #[serde(skip)]
    pub thumb_key: Option<String>,
    #[serde(skip)]
    pub thumb_mime: Option<String>,
    pub progress_done: i64,
    pub progress_total: i64,
    pub uploader_id: i64,
    pub uploader_name: String,
    pub reject_reason: Option<String>,
    pub takedown_reason: Option<String>,
    pub price_kind: PriceKind,
    /// In 分 (paid documents).
    pub price: i64,
    /// Moderator's rating 1–5; scales contributor rewards.
    pub quality: i64,
    /// Declared as the uploader's own work (rewards more than shared material).
    #[sqlx(try_from = "platform::db::Flag")]
    pub original: bool,
    /// Readers' ratings (1–5 stars each): their sum and count.
    pub rating_sum: i64,
    pub rating_count: i64,
    /// Whether the actor this document was loaded for has bought it (see service::load).
    #[serde(skip)]
    #[sqlx(skip)]
    pub bought: bool,
    /// Whether that actor is a VIP member now (VIP documents only).
    #[serde(skip)]
    #[sqlx(skip)]
    pub vip_member: bool,
    pub views: i64,
    pub downloads: i64,
    pub created_at: i64,
    pub published_at: Option<i64>,
    #[serde(skip)]
    pub sha256: String,
    #[serde(skip)]
    #[sqlx(try_from = "platform::db::Flag")]
    pub auto_publish: bool,
}

pub const DOC_COLUMNS: &str = "d.id, d.title, d.description, d.category_id, d.format, d.original_name, d.size_bytes, \
    d.status, d.error, d.pages, d.preview_pages, d.preview_kind, d.preview_note, d.thumb_key, d.thumb_mime, \
    d.progress_done, d.progress_total, d.uploader_id, u.display_name AS uploader_name, d.reject_reason, d.views, d.downloads, \
    d.created_at, d.published_at, d.sha256, d.auto_publish, d.takedown_reason, d.price_kind, d.price, d.quality, d.original, d.rating_sum, d.rating_count";

pub const DOC_FROM: &str = "library_documents d JOIN platform_users u ON u.id = d.uploader_id";

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Document>> {
    let sql = format!("SELECT {DOC_COLUMNS} FROM {DOC_FROM} WHERE d.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(Document::from_row).transpose()
}

/// The documents that `sql` selects (clauses over `d`), in `order`, one page.
pub async fn list(
    db: &Db,
    sql: &Sql,
    order: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Document>> {
    sql.page(db, DOC_COLUMNS, DOC_FROM, order, limit, offset)
        .await?
        .iter()
        .map(Document::from_row)
        .collect()
}

/// Documents in this status.
pub fn with_status(status: Status) -> Sql {
    let mut sql = Sql::default();
    sql.eq("d.status", status.as_str());
    sql
}

/// Published documents in a category or one of its subcategories.
pub fn published_in(category: i64) -> Sql {
    let mut sql = with_status(Status::Ready);
    let p = sql.bind(category);
    sql.push(format!(
        "(d.category_id = {p} OR d.category_id IN (SELECT id FROM library_categories WHERE parent_id = {p}))"
    ));
    sql
}

/// One uploader's documents, whatever their status.
pub fn uploaded_by(user: i64) -> Sql {
    let mut sql = Sql::default();
    sql.eq("d.uploader_id", user);
    sql
}

/// The newest first (by publication, then id).
pub const NEWEST: &str = "d.published_at DESC, d.id DESC";
/// An uploader's documents, the latest upload first.
pub const LATEST_UPLOAD: &str = "d.created_at DESC, d.id DESC";

pub async fn tags(db: &Db, id: i64) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT tag FROM library_document_tags WHERE document_id = $1 ORDER BY tag")
            .bind(id)
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[derive(Clone, Debug, Serialize)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub parent_id: Option<i64>,
    pub name_zh: String,
    pub name_en: String,
}

impl Category {
    pub fn name(&self, lang: platform::web::Lang) -> &str {
        lang.pick(&self.name_zh, &self.name_en)
    }
}

pub async fn categories(db: &Db) -> sqlx::Result<Vec<Category>> {
    let rows: Vec<(i64, String, Option<i64>, String, String)> = sqlx::query_as(
        "SELECT id, slug, parent_id, name_zh, name_en FROM library_categories ORDER BY sort, id",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, parent_id, name_zh, name_en)| Category {
            id,
            slug,
            parent_id,
            name_zh,
            name_en,
        })
        .collect())
}

/// Creates the category if its slug is new; returns its id either way.
pub async fn ensure_category(
    db: &Db,
    slug: &str,
    parent: Option<i64>,
    name_zh: &str,
    name_en: &str,
    sort: i64,
) -> sqlx::Result<i64> {
    if let Some((id,)) =
        sqlx::query_as::<_, (i64,)>("SELECT id FROM library_categories WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&db.pool)
            .await?
    {
        return Ok(id);
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO library_categories (slug, parent_id, name_zh, name_en, sort) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(slug)
    .bind(parent)
    .bind(name_zh)
    .bind(name_en)
    .bind(sort)
    .fetch_one(&db.pool)
    .await?;
    Ok(id)
}

#[derive(Clone, Debug)]
pub struct PageRow {
    pub image_key: String,
    pub mime: String,
}

pub async fn page(db: &Db, id: i64, n: i64) -> sqlx::Result<Option<PageRow>> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT image_key, mime FROM library_pages WHERE document_id = $1 AND n = $2",
    )
    .bind(id)
    .bind(n)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(image_key, mime)| PageRow { image_key, mime }))
}
