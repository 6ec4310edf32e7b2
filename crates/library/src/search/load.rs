//! Reading what the index needs of published documents: one document when an event says
//! it changed, or all of them for a rebuild — then in four queries, not four per document.

use super::IndexedDoc;
use futures_util::TryStreamExt;
use platform::db::Db;
use std::collections::HashMap;

const PUBLISHED: &str = "SELECT d.id, d.title, d.description, d.category_id, u.username, d.format, \
     d.published_at, d.price_kind FROM library_documents d \
     JOIN platform_users u ON u.id = d.uploader_id WHERE d.status = 'ready'";

type Row = (
    i64,
    String,
    String,
    Option<i64>,
    String,
    String,
    Option<i64>,
    String,
);

/// Category id → (slug, parent id): the whole (small) table.
async fn category_tree(db: &Db) -> sqlx::Result<HashMap<i64, (String, Option<i64>)>> {
    let rows: Vec<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT id, slug, parent_id FROM library_categories")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(|(id, s, p)| (id, (s, p))).collect())
}

/// The slugs of a category and its ancestors (at most 8 levels).
fn chain(tree: &HashMap<i64, (String, Option<i64>)>, mut next: Option<i64>) -> Vec<String> {
    let mut out = Vec::new();
    while let Some((slug, parent)) = next.and_then(|id| tree.get(&id)) {
        out.push(slug.clone());
        next = parent.filter(|_| out.len() < 8);
    }
    out
}

fn doc(row: Row, categories: Vec<String>, tags: Vec<String>, pages: Vec<String>) -> IndexedDoc {
    let (id, title, description, _, uploader, format, published_at, price) = row;
    IndexedDoc {
        id,
        title,
        description,
        tags,
        categories,
        uploader,
        format,
        price,
        published_at: published_at.unwrap_or(0),
        pages,
    }
}

/// Loads what the index needs of a document, if it is published.
pub async fn load(db: &Db, id: i64) -> sqlx::Result<Option<IndexedDoc>> {
    let row: Option<Row> = sqlx::query_as(&format!("{PUBLISHED} AND d.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let categories = chain(&category_tree(db).await?, row.3);
    let tags = crate::model::tags(db, id).await?;
    let pages: Vec<(String,)> =
        sqlx::query_as("SELECT text FROM library_pages WHERE document_id = $1 ORDER BY n")
            .bind(id)
            .fetch_all(&db.pool)
            .await?;
    Ok(Some(doc(
        row,
        categories,
        tags,
        pages.into_iter().map(|p| p.0).collect(),
    )))
}

/// Hands every published document, in id order, to `each` with the number there are;
/// pages are streamed, so memory holds one document's pages at a time. Returns that number.
pub async fn load_all(
    db: &Db,
    each: &mut dyn FnMut(IndexedDoc, usize) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let mut rows: Vec<Row> = sqlx::query_as(PUBLISHED).fetch_all(&db.pool).await?;
    rows.sort_by_key(|r| r.0);
    let tree = category_tree(db).await?;
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    let tag_rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT t.document_id, t.tag FROM library_document_tags t \
         JOIN library_documents d ON d.id = t.document_id WHERE d.status = 'ready' \
         ORDER BY t.document_id, t.tag",
    )
    .fetch_all(&db.pool)
    .await?;
    for (id, tag) in tag_rows {
        tags.entry(id).or_default().push(tag);
    }
    let total = rows.len();
    let mut docs = rows.into_iter().peekable();
    let mut emit = |row: Row, pages: Vec<String>| {
        let categories = chain(&tree, row.3);
        let t = tags.remove(&row.0).unwrap_or_default();
        each(doc(row, categories, t, pages), total)
    };
    let mut pages = sqlx::query_as::<_, (i64, String)>(
        "SELECT p.document_id, p.text FROM library_pages p \
         JOIN library_documents d ON d.id = p.document_id WHERE d.status = 'ready' \
         ORDER BY p.document_id, p.n",
    )
    .fetch(&db.pool);
    let mut current: Option<(Row, Vec<String>)> = None;
    while let Some((id, text)) = pages.try_next().await? {
        if current.as_ref().is_none_or(|c| c.0.0 != id) {
            if let Some((row, texts)) = current.take() {
                emit(row, texts)?;
            }
            // Documents without pages come out in their turn.
            while docs.peek().is_some_and(|r| r.0 < id) {
                emit(docs.next().expect("peeked"), Vec::new())?;
            }
            match docs.next_if(|r| r.0 == id) {
                Some(row) => current = Some((row, Vec::new())),
                None => continue, // published while we read; its event will index it
            }
        }
        if let Some((_, texts)) = current.as_mut() {
            texts.push(text);
        }
    }
    if let Some((row, texts)) = current.take() {
        emit(row, texts)?;
    }
    for row in docs {
        emit(row, Vec::new())?;
    }
    Ok(total)
}
