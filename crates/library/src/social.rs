//! Readers around a document: comments with moderation, ratings 1–5 (a reader signal in the
//! quality score that scales contributor rewards), favourites, and reading progress kept
//! on the server so that any device picks up where the reader stopped (VIP benefit 7).

use crate::authz::Action;
use crate::error::{LibResult, LibraryError};
use crate::notifications::notify;
use crate::service;
use platform::db::{Db, Sql};
use platform::{Actor, AppState, audit};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Comment {
    pub id: i64,
    pub document_id: i64,
    pub user_id: i64,
    pub author: String,
    pub body: String,
    /// `visible`, `pending` (waiting for a moderator) or `hidden`.
    pub state: String,
    pub created_at: i64,
    /// The author is a VIP member now (their badge shows next to the name).
    pub vip: bool,
}

type Row = (i64, i64, i64, String, String, String, i64, Option<i64>);

fn from_row(r: Row, now: i64) -> Comment {
    Comment {
        id: r.0,
        document_id: r.1,
        user_id: r.2,
        author: r.3,
        body: r.4,
        state: r.5,
        created_at: r.6,
        vip: r.7.is_some_and(|ends| ends > now),
    }
}

const COLUMNS: &str =
    "c.id, c.document_id, c.user_id, u.display_name, c.body, c.state, c.created_at, m.ends_at";
const FROM: &str = "library_comments c JOIN platform_users u ON u.id = c.user_id LEFT JOIN library_memberships m ON m.user_id = c.user_id";

/// The comments a viewer sees under a document: visible ones, plus their own pending ones.
pub async fn for_document(
    db: &Db,
    doc: i64,
    viewer: Option<i64>,
    now: i64,
) -> sqlx::Result<Vec<Comment>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE c.document_id = $1 AND (c.state = 'visible' OR (c.state = 'pending' AND c.user_id = $2)) ORDER BY c.id"
    );
    let rows: Vec<Row> = sqlx::query_as(&sql)
        .bind(doc)
        .bind(viewer.unwrap_or(0))
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|r| from_row(r, now)).collect())
}

/// The moderators' queue: pending comments first, then the newest visible ones.
pub async fn queue(db: &Db, now: i64) -> sqlx::Result<Vec<Comment>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE c.state IN ('pending', 'visible') \
         ORDER BY CASE WHEN c.state = 'pending' THEN 0 ELSE 1 END, c.id DESC LIMIT 200"
    );
    let rows: Vec<Row> = sqlx::query_as(&sql).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|r| from_row(r, now)).collect())
}

pub async fn add_comment(
    state: &AppState,
    actor: &Actor,
    doc_id: i64,
    body: &str,
) -> LibResult<Comment> {
    let doc = service::load(state, actor, doc_id, Action::Comment).await?;
    let user = actor.id().ok_or(LibraryError::SignIn)?;
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 2000 {
        return Err(bad_field!(
            "评论须为 1 到 2000 个字。",
            "a comment needs 1 to 2000 characters"
        ));
    }
    let pre = crate::rights::settings(&state.db)
        .await?
        .comments_premoderated
        && !actor.is_staff();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO library_comments (document_id, user_id, body, state, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(doc.id)
    .bind(user)
    .bind(body)
    .bind(if pre { "pending" } else { "visible" })
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    if doc.uploader_id != user && !pre {
        notify(
            &mut tx,
            doc.uploader_id,
            "comment",
            &format!("《{}》有了新评论。", doc.title),
            &format!("“{}” has a new comment.", doc.title),
            &format!("/documents/{}#comment-{id}", doc.id),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1");
    let row: Row = sqlx::query_as(&sql)
        .bind(id)
        .fetch_one(&state.db.pool)
        .await?;
    Ok(from_row(row, now))
}

/// A moderator shows (approves) or hides a comment; the author is told when it is hidden.
pub async fn moderate_comment(
    state: &AppState,
    actor: &Actor,
    id: i64,
    show: bool,
) -> LibResult<()> {
    let reviewer = service::allowed(state, actor, Action::ReviewComplaints)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE library_comments SET state = $1, moderated_by = $2, moderated_at = $3 WHERE id = $4 RETURNING user_id, document_id",
    )
    .bind(if show { "visible" } else { "hidden" })
    .bind(reviewer)
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((author, doc)) = row else {
        return Err(LibraryError::NotFound);
    };
    let subject = format!("comment:{id}");
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: Some(reviewer),
            action: if show {
                "library.comment.show"
            } else {
                "library.comment.hide"
            },
            subject: &subject,
            detail: serde_json::json!({ "document": doc }),
        },
    )
    .await?;
    if !show {
        notify(
            &mut tx,
            author,
            "comment_hidden",
            "你的一条评论因违反社区规则已被隐藏。",
            "One of your comments was hidden for breaking the community rules.",
            &format!("/documents/{doc}"),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct Rating {
    pub average: Option<f64>,
    pub count: i64,
    pub mine: Option<i64>,
}

/// Rates a document (again, replacing one's earlier rating); the document's sum and count
/// change in the same transaction, so the quality score always matches the ratings.
pub async fn rate(state: &AppState, actor: &Actor, doc_id: i64, stars: i64) -> LibResult<Rating> {
    let doc = service::load(state, actor, doc_id, Action::Rate).await?;
    let user = actor.id().ok_or(LibraryError::SignIn)?;
    if !(1..=5).contains(&stars) {
        return Err(bad_field!(
            "评分（stars）须在 1 到 5 之间。",
            "`stars` must be from 1 to 5"
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    // Lock the document row first, so concurrent ratings add up.
    sqlx::query("UPDATE library_documents SET rating_sum = rating_sum WHERE id = $1")
        .bind(doc.id)
        .execute(&mut *tx)
        .await?;
    let before: Option<(i64,)> =
        sqlx::query_as("SELECT stars FROM library_ratings WHERE document_id = $1 AND user_id = $2")
            .bind(doc.id)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
    match before {
        Some((old,)) => {
            sqlx::query("UPDATE library_ratings SET stars = $1, at = $2 WHERE document_id = $3 AND user_id = $4")
                .bind(stars)
                .bind(now)
                .bind(doc.id)
                .bind(user)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE library_documents SET rating_sum = rating_sum + $1 WHERE id = $2")
                .bind(stars - old)
                .bind(doc.id)
                .execute(&mut *tx)
                .await?;
        }
        None => {
            sqlx::query("INSERT INTO library_ratings (document_id, user_id, stars, at) VALUES ($1, $2, $3, $4)")
                .bind(doc.id)
                .bind(user)
                .bind(stars)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE library_documents SET rating_sum = rating_sum + $1, rating_count = rating_count + 1 WHERE id = $2",
            )
            .bind(stars)
            .bind(doc.id)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    rating(&state.db, doc.id, Some(user))
        .await
        .map_err(Into::into)
}

pub async fn rating(db: &Db, doc: i64, viewer: Option<i64>) -> sqlx::Result<Rating> {
    let (sum, count): (i64, i64) =
        sqlx::query_as("SELECT rating_sum, rating_count FROM library_documents WHERE id = $1")
            .bind(doc)
            .fetch_optional(&db.pool)
            .await?
            .unwrap_or((0, 0));
    let mine: Option<(i64,)> =
        sqlx::query_as("SELECT stars FROM library_ratings WHERE document_id = $1 AND user_id = $2")
            .bind(doc)
            .bind(viewer.unwrap_or(0))
            .fetch_optional(&db.pool)
            .await?;
    Ok(Rating {
        average: (count > 0).then(|| (sum * 10 / count) as f64 / 10.0),
        count,
        mine: mine.map(|m| m.0),
    })
}

pub async fn set_favourite(
    state: &AppState,
    actor: &Actor,
    doc_id: i64,
    on: bool,
) -> LibResult<bool> {
    let user = actor.id().ok_or(LibraryError::SignIn)?;
    if on {
        let doc = service::load(state, actor, doc_id, Action::Favourite).await?;
        sqlx::query(
            "INSERT INTO library_favourites (user_id, document_id, at) VALUES ($1, $2, $3) ON CONFLICT (user_id, document_id) DO NOTHING",
        )
        .bind(user)
        .bind(doc.id)
        .bind(state.now())
        .execute(&state.db.pool)
        .await?;
    } else {
        // Removing needs no access to the document: it may be gone or hidden by now.
        service::permitted(state, actor, Action::UseWallet)?;
        sqlx::query("DELETE FROM library_favourites WHERE user_id = $1 AND document_id = $2")
            .bind(user)
            .bind(doc_id)
            .execute(&state.db.pool)
            .await?;
    }
    Ok(on)
}

pub async fn is_favourite(db: &Db, user: i64, doc: i64) -> sqlx::Result<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT at FROM library_favourites WHERE user_id = $1 AND document_id = $2")
            .bind(user)
            .bind(doc)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.is_some())
}

#[derive(Debug, Serialize)]
pub struct Favourite {
    pub document_id: i64,
    pub title: String,
    pub at: i64,
    /// The reader's last page, when progress is synced.
    pub last_page: Option<i64>,
}

/// Favourites of published documents, newest first, with the reader's last page.
pub async fn favourites(db: &Db, user: i64) -> sqlx::Result<Vec<Favourite>> {
    let rows: Vec<(i64, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT f.document_id, d.title, f.at, p.page FROM library_favourites f \
         JOIN library_documents d ON d.id = f.document_id AND d.status = 'ready' \
         LEFT JOIN library_reading_progress p ON p.user_id = f.user_id AND p.document_id = f.document_id \
         WHERE f.user_id = $1 ORDER BY f.at DESC, f.document_id DESC",
    )
    .bind(user)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(document_id, title, at, last_page)| Favourite {
            document_id,
            title,
            at,
            last_page,
        })
        .collect())
}

#[derive(Debug, Serialize)]
pub struct Progress {
    pub document_id: i64,
    pub title: String,
    pub page: i64,
    pub pages: i64,
    pub device: String,
    pub updated_at: i64,
}

/// The reader, if they may keep reading progress: VIP members and library staff for every
/// document; anyone else only for a `document` assigned to them (`assign_reading`).
async fn member(state: &AppState, actor: &Actor, document: Option<i64>) -> LibResult<i64> {
    let user = actor.id().ok_or(LibraryError::SignIn)?;
    let member = crate::money::vip::is_member(&state.db, user, state.now()).await?;
    let assigned = match document {
        Some(doc) if !member => is_assigned(&state.db, user, doc).await?,
        _ => false,
    };
    service::permitted(state, actor, Action::SyncReading { member, assigned })?;
    Ok(user)
}

/// Saves the reader's page in a document they may read that far. A later save from any
/// device wins; an older one (by its `at`) does not overwrite a newer position.
pub async fn save_progress(
    state: &AppState,
    actor: &Actor,
    doc_id: i64,
    page: i64,
    device: &str,
) -> LibResult<Progress> {
    let user = member(state, actor, Some(doc_id)).await?;
    let doc = service::load(state, actor, doc_id, Action::ViewPage(page)).await?;
    let device: String = device.trim().chars().take(60).collect();
    let now = state.now();
    sqlx::query(
        "INSERT INTO library_reading_progress (user_id, document_id, page, device, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id, document_id) DO UPDATE SET page = $3, device = $4, updated_at = $5",
    )
    .bind(user)
    .bind(doc.id)
    .bind(page)
    .bind(&device)
    .bind(now)
    .execute(&state.db.pool)
    .await?;
    Ok(Progress {
        document_id: doc.id,
        title: doc.title,
        page,
        pages: doc.pages,
        device,
        updated_at: now,
    })
}

pub async fn progress(state: &AppState, actor: &Actor) -> LibResult<Vec<Progress>> {
    let user = member(state, actor, None).await?;
    let rows: Vec<(i64, String, i64, i64, String, i64)> = sqlx::query_as(
        "SELECT p.document_id, d.title, p.page, d.pages, p.device, p.updated_at FROM library_reading_progress p \
         JOIN library_documents d ON d.id = p.document_id WHERE p.user_id = $1 ORDER BY p.updated_at DESC",
    )
    .bind(user)
    .fetch_all(&state.db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(document_id, title, page, pages, device, updated_at)| Progress {
                document_id,
                title,
                page,
                pages,
                device,
                updated_at,
            },
        )
        .collect())
}

/// How far a reader got in a document, as another module may ask it (the assessment's
/// assigned reading): the last page they saved and the document's page count.
#[derive(Clone, Debug, Serialize)]
pub struct ReadingState {
    pub user_id: i64,
    pub document_id: i64,
    pub page: i64,
    pub pages: i64,
}

impl ReadingState {
    /// The reader reached the last page.
    pub fn finished(&self) -> bool {
        self.pages > 0 && self.page >= self.pages
    }
}

/// The saved reading progress of each `(user, document)` pair asked that has any; pairs
/// without progress are left out. Read-only; the caller decides who may see it. One query
/// for any number of pairs: the rows of the users and documents named, kept when their
/// pair was asked.
pub async fn reading_states(db: &Db, pairs: &[(i64, i64)]) -> sqlx::Result<Vec<ReadingState>> {
    use sqlx::Row;
    let asked: std::collections::BTreeSet<(i64, i64)> = pairs.iter().copied().collect();
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    let users: std::collections::BTreeSet<i64> = asked.iter().map(|p| p.0).collect();
    let docs: std::collections::BTreeSet<i64> = asked.iter().map(|p| p.1).collect();
    let mut sql = Sql::default();
    sql.any_of("p.user_id", users);
    sql.any_of("p.document_id", docs);
    let text = format!(
        "SELECT p.user_id, p.document_id, p.page, d.pages FROM library_reading_progress p \
         JOIN library_documents d ON d.id = p.document_id WHERE {} \
         ORDER BY p.user_id, p.document_id",
        sql.where_clause()
    );
    let mut out = Vec::with_capacity(asked.len());
    for r in sql.query(&text).fetch_all(&db.pool).await? {
        let state = ReadingState {
            user_id: r.try_get("user_id")?,
            document_id: r.try_get("document_id")?,
            page: r.try_get("page")?,
            pages: r.try_get("pages")?,
        };
        if asked.contains(&(state.user_id, state.document_id)) {
            out.push(state);
        }
    }
    Ok(out)
}

/// Lets `user` keep their reading position in `document` without VIP membership: reading
/// another module assigned them (the assessment's study records, ADR 037). Written in the
/// caller's transaction, so the assignment and the permission commit together; assigning
/// again changes nothing. It grants nothing else: other documents, the list of one's
/// progress and every other VIP benefit stay with membership.
pub async fn assign_reading(
    conn: &mut sqlx::AnyConnection,
    user: i64,
    document: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO library_assigned_reading (user_id, document_id, assigned_at) \
         VALUES ($1, $2, $3) ON CONFLICT (user_id, document_id) DO NOTHING",
    )
    .bind(user)
    .bind(document)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

async fn is_assigned(db: &Db, user: i64, document: i64) -> sqlx::Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT user_id FROM library_assigned_reading WHERE user_id = $1 AND document_id = $2",
    )
    .bind(user)
    .bind(document)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.is_some())
}
