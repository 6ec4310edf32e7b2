//! Announcements as stored, and the queries the API, pages and feeds share. Rows are read
//! by column name.

use gov_core::{Bind, ScopeFilter, Sql, UnitId, UnitPath, units_by_ids};
use platform::db::{Db, Tx};
use platform::web::{AppError, Code};
use sqlx::{FromRow, Row};
use std::collections::HashMap;

/// Longest title, summary and body accepted (characters).
pub const MAX_TITLE: usize = 120;
pub const MAX_SUMMARY: usize = 300;
pub const MAX_BODY: usize = 20_000;

platform::vocabulary! {
    PostKind {
        /// 通知公告: what residents must know (a closure, a deadline, a meeting).
        Notice = "notice", "通知公告", "Notice";
        /// 工作动态: what a unit has done.
        News = "news", "工作动态", "News";
    }
}

platform::vocabulary! {
    PostState {
        Draft = "draft", "草稿", "Draft";
        Published = "published", "已发布", "Published";
        Withdrawn = "withdrawn", "已撤回", "Withdrawn";
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Post {
    pub id: i64,
    pub unit_id: i64,
    pub unit_path: UnitPath,
    /// Filled from the unit tree (gov-core) by [`named`]: governance owns the names.
    #[sqlx(skip)]
    pub unit_name: String,
    pub kind: PostKind,
    pub title: String,
    pub summary: String,
    pub body: String,
    /// Empty when the announcement has no picture.
    pub picture_type: String,
    pub state: PostState,
    pub author_id: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub published_ms: Option<i64>,
}

const COLUMNS: &str = "p.id, p.unit_id, p.unit_path, p.kind, p.title, p.summary, p.body, \
     p.picture_type, p.state, p.author_id, p.created_ms, p.updated_ms, p.published_ms";
const FROM: &str = "publicity_posts p";

/// Sets each post's unit name.
async fn named(db: &Db, mut posts: Vec<Post>) -> sqlx::Result<Vec<Post>> {
    let mut ids: Vec<UnitId> = posts.iter().map(|p| UnitId(p.unit_id)).collect();
    ids.sort_by_key(|u| u.0);
    ids.dedup();
    let names: HashMap<i64, String> = units_by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.name))
        .collect();
    for p in &mut posts {
        p.unit_name = names.get(&p.unit_id).cloned().unwrap_or_default();
    }
    Ok(posts)
}

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Post>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE p.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?;
    let Some(post) = row.map(|r| Post::from_row(&r)).transpose()? else {
        return Ok(None);
    };
    Ok(named(db, vec![post]).await?.pop())
}

/// The picture's storage key.
pub fn picture_key(id: i64) -> String {
    format!("publicity/{id}/picture")
}

/// Which announcements a list shows.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only those of this unit's subtree.
    pub within: Option<UnitPath>,
    pub kind: Option<PostKind>,
    pub state: Option<PostState>,
    /// Drafts and withdrawn ones: only within these subtrees (`None` = all).
    pub scope: Option<ScopeFilter>,
}

impl Filter {
    /// The name of the unit a list is narrowed to (empty when it is not).
    pub async fn unit_name(&self, db: &Db) -> sqlx::Result<String> {
        let Some(id) = self.within.as_ref().and_then(|p| p.ids().last().copied()) else {
            return Ok(String::new());
        };
        Ok(gov_core::find_unit(db, id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default())
    }

    fn sql(&self) -> Sql {
        let mut sql = Sql::default();
        if let Some(unit) = &self.within {
            sql.within("p.unit_path", unit);
        }
        if let Some(kind) = self.kind {
            let p = sql.bind(Bind::Text(kind.as_str().into()));
            sql.push(format!("p.kind = {p}"));
        }
        if let Some(state) = self.state {
            let p = sql.bind(Bind::Text(state.as_str().into()));
            sql.push(format!("p.state = {p}"));
        }
        if let Some(scope) = &self.scope {
            scope.apply(&mut sql, "p.unit_path");
        }
        sql
    }
}

/// One page of a list, newest first (published ones by when they were published), and the total.
pub async fn list(db: &Db, f: &Filter, limit: i64, offset: i64) -> sqlx::Result<(Vec<Post>, i64)> {
    let sql = f.sql();
    let total = sql.count(db, FROM).await?;
    let rows = sql
        .page(
            db,
            COLUMNS,
            FROM,
            "COALESCE(p.published_ms, p.updated_ms) DESC, p.id DESC",
            limit,
            offset,
        )
        .await?;
    let posts = rows
        .iter()
        .map(Post::from_row)
        .collect::<sqlx::Result<_>>()?;
    Ok((named(db, posts).await?, total))
}

/// What a writer sends: checked by [`Draft::check`] before anything is stored.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// A draft that passed its checks.
pub struct Checked {
    pub kind: PostKind,
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// Bidi and other invisible format characters are dropped from one-line text (a title
/// must read as it shows).
fn one_line(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect::<String>()
        .trim()
        .to_string()
}

impl Draft {
    /// The first problem, by field, as an error of the table with a bilingual message.
    pub fn check(&self) -> Result<Checked, (&'static str, AppError)> {
        let kind = PostKind::parse(&self.kind).ok_or((
            "kind",
            AppError::coded(
                Code::InvalidField,
                platform::bi!(
                    "类别须为 notice（通知公告）或 news（工作动态）。",
                    "kind must be notice or news."
                ),
            ),
        ))?;
        let title = one_line(&self.title);
        if title.is_empty() {
            return Err((
                "title",
                AppError::coded(
                    Code::MissingField,
                    platform::bi!("请填写标题。", "Give the announcement a title."),
                ),
            ));
        }
        let body = self.body.trim().replace("\r\n", "\n");
        if body.is_empty() {
            return Err((
                "body",
                AppError::coded(
                    Code::MissingField,
                    platform::bi!("请填写正文。", "Write the text of the announcement."),
                ),
            ));
        }
        let summary = one_line(&self.summary);
        let too_long = |field, zh: &str, en: &str, max: usize| {
            Err((
                field,
                AppError::coded(
                    Code::InvalidField,
                    platform::web::i18n::bilingual(
                        &format!("{zh}不能超过 {max} 个字。"),
                        &format!("{en} is longer than {max} characters."),
                    ),
                ),
            ))
        };
        if title.chars().count() > MAX_TITLE {
            return too_long("title", "标题", "The title", MAX_TITLE);
        }
        if summary.chars().count() > MAX_SUMMARY {
            return too_long("summary", "摘要", "The summary", MAX_SUMMARY);
        }
        if body.chars().count() > MAX_BODY {
            return too_long("body", "正文", "The text", MAX_BODY);
        }
        Ok(Checked {
            kind,
            title,
            summary,
            body,
        })
    }
}

impl Checked {
    /// The summary a list shows: the writer's, or the start of the text.
    fn summary_or_lead(&self) -> String {
        if !self.summary.is_empty() {
            return self.summary.clone();
        }
        let flat: String = self.body.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut lead: String = flat.chars().take(80).collect();
        if flat.chars().count() > 80 {
            lead.push('…');
        }
        lead
    }
}

pub async fn insert(
    tx: &mut Tx,
    unit_id: i64,
    unit_path: &UnitPath,
    c: &Checked,
    author: i64,
    now: i64,
) -> sqlx::Result<i64> {
    let sql = "INSERT INTO publicity_posts (unit_id, unit_path, kind, title, summary, body, state, \
         author_id, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $8) RETURNING id";
    sqlx::query(sql)
        .bind(unit_id)
        .bind(unit_path.as_str())
        .bind(c.kind.as_str())
        .bind(&c.title)
        .bind(c.summary_or_lead())
        .bind(&c.body)
        .bind(author)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")
}

/// Changes a draft's text; false when it is no longer a draft (someone published it).
pub async fn update_draft(tx: &mut Tx, id: i64, c: &Checked, now: i64) -> sqlx::Result<bool> {
    let sql = "UPDATE publicity_posts SET kind = $1, title = $2, summary = $3, body = $4, updated_ms = $5 \
         WHERE id = $6 AND state = 'draft'";
    let done = sqlx::query(sql)
        .bind(c.kind.as_str())
        .bind(&c.title)
        .bind(c.summary_or_lead())
        .bind(&c.body)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_picture(tx: &mut Tx, id: i64, media_type: &str, now: i64) -> sqlx::Result<()> {
    let sql = "UPDATE publicity_posts SET picture_key = $1, picture_type = $2, updated_ms = $3 WHERE id = $4";
    sqlx::query(sql)
        .bind(picture_key(id))
        .bind(media_type)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves an announcement from one state to another; false when it was not in `from` (a
/// concurrent step won), so each step happens once. Publishing records who and when.
pub async fn transition(
    tx: &mut Tx,
    id: i64,
    from: PostState,
    to: PostState,
    by: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let q = if to == PostState::Published {
        sqlx::query(
            "UPDATE publicity_posts SET state = $1, updated_ms = $2, published_ms = $2, \
             publisher_id = $3 WHERE id = $4 AND state = $5",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(by)
    } else {
        sqlx::query(
            "UPDATE publicity_posts SET state = $1, updated_ms = $2 WHERE id = $3 AND state = $4",
        )
        .bind(to.as_str())
        .bind(now)
    };
    let done = q.bind(id).bind(from.as_str()).execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}
