//! Case records and the small vocabularies around them (states, priorities, sources,
//! satisfaction, supervision), each parsed once at the edge.

use platform::db::Db;
use platform::vocabulary;
use platform::web::Lang;
use serde::Serialize;
use sqlx::{FromRow, Row};

vocabulary! {
    /// Where a case is in its workflow.
    CaseState {
        Reported = "reported", "待受理", "Reported";
        Accepted = "accepted", "待派单", "Accepted";
        Rejected = "rejected", "不予受理", "Rejected";
        Merged = "merged", "已合并", "Merged";
        Dispatched = "dispatched", "待签收", "Dispatched";
        InProgress = "in_progress", "办理中", "In progress";
        Handled = "handled", "待核查", "Handled";
        Verified = "verified", "待结案", "Verified";
        Closed = "closed", "已结案", "Closed";
    }
}

impl CaseState {
    /// Open311 knows only open and closed.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            CaseState::Closed | CaseState::Rejected | CaseState::Merged
        )
    }

    /// States in which the handling unit's clock runs.
    pub const WITH_UNIT: [CaseState; 2] = [CaseState::Dispatched, CaseState::InProgress];

    /// States that end a case (Open311's "closed").
    pub const ENDED: [CaseState; 3] = [CaseState::Closed, CaseState::Rejected, CaseState::Merged];

    /// States before the case is closed, rejected or merged.
    pub const OPEN: [CaseState; 6] = [
        CaseState::Reported,
        CaseState::Accepted,
        CaseState::Dispatched,
        CaseState::InProgress,
        CaseState::Handled,
        CaseState::Verified,
    ];

    /// `col IN ('…', …)` over these states. The values are our own words from
    /// [`CaseState::as_str`], written into the SQL so the planner sees them (SQLite picks
    /// the (state, due_at) index by them).
    pub fn sql_in(col: &str, states: &[CaseState]) -> String {
        let words: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
        format!("{col} IN ({})", words.join(", "))
    }

    /// `col NOT IN ('…', …)` over these states.
    pub fn sql_not_in(col: &str, states: &[CaseState]) -> String {
        Self::sql_in(col, states).replacen(" IN (", " NOT IN (", 1)
    }

    /// `col = '…'` for this state.
    pub fn sql_is(self, col: &str) -> String {
        format!("{col} = '{}'", self.as_str())
    }

    /// The stepper on the case page.
    pub const STEPS: [CaseState; 7] = [
        CaseState::Reported,
        CaseState::Accepted,
        CaseState::Dispatched,
        CaseState::InProgress,
        CaseState::Handled,
        CaseState::Verified,
        CaseState::Closed,
    ];
}

vocabulary! {
    Priority {
        Normal = "normal", "一般", "Normal";
        Urgent = "urgent", "紧急", "Urgent";
        Critical = "critical", "特急", "Critical";
    }
}

vocabulary! {
    Source {
        Web = "web", "居民网上报", "Resident web form";
        Grid = "grid", "网格员上报", "Grid worker";
        Hotline = "hotline", "热线电话", "Hotline";
        Open311 = "open311", "Open311 客户端", "Open311 client";
    }
}

vocabulary! {
    Satisfaction {
        Satisfied = "satisfied", "满意", "Satisfied";
        Basic = "basic", "基本满意", "Basically satisfied";
        Dissatisfied = "dissatisfied", "不满意", "Dissatisfied";
    }
}

vocabulary! {
    /// 督办: a yellow card when the deadline passes, a red card when it stays passed.
    Supervision {
        None = "none", "正常", "None";
        Yellow = "yellow", "黄牌督办", "Yellow card";
        Red = "red", "红牌督办", "Red card";
    }
}

vocabulary! {
    /// Which unit above the place handles a category's cases.
    RouteKind {
        Grid = "grid", "网格", "Grid";
        Community = "community", "社区", "Community";
        Street = "street", "街道", "Street";
        Fixed = "fixed", "指定部门", "A fixed unit";
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub description: String,
    pub keywords: String,
    pub days_normal: i64,
    pub days_urgent: i64,
    pub days_critical: i64,
    pub route_kind: RouteKind,
    pub route_unit_id: Option<i64>,
    pub attributes: Vec<Attribute>,
    pub active: bool,
    /// Whether accepted cases of this category may be published (Open311, public lists);
    /// the operator's choice, off by default.
    pub public: bool,
}

impl Category {
    pub fn days(&self, p: Priority) -> i64 {
        match p {
            Priority::Normal => self.days_normal,
            Priority::Urgent => self.days_urgent,
            Priority::Critical => self.days_critical,
        }
    }
    pub fn label(&self, lang: Lang) -> &str {
        if lang.is_en() && !self.name_en.is_empty() {
            &self.name_en
        } else {
            &self.name
        }
    }
}

/// An Open311 service attribute: a question a category asks when a case is filed.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Attribute {
    pub code: String,
    /// string, number, datetime, text, singlevaluelist or multivaluelist.
    pub datatype: String,
    pub required: bool,
    pub description: String,
    #[serde(default)]
    pub values: Vec<AttributeValue>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

const CATEGORY_COLUMNS: &str = "id, parent_id, code, name, name_en, description, keywords, \
    days_normal, days_urgent, days_critical, route_kind, route_unit_id, attributes, active, public";

fn category_from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<Category> {
    let route: String = r.try_get("route_kind")?;
    let attrs: String = r.try_get("attributes")?;
    Ok(Category {
        id: r.try_get("id")?,
        parent_id: r.try_get("parent_id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        description: r.try_get("description")?,
        keywords: r.try_get("keywords")?,
        days_normal: r.try_get("days_normal")?,
        days_urgent: r.try_get("days_urgent")?,
        days_critical: r.try_get("days_critical")?,
        route_kind: RouteKind::parse(&route).unwrap_or(RouteKind::Community),
        route_unit_id: r.try_get("route_unit_id")?,
        attributes: serde_json::from_str(&attrs).unwrap_or_default(),
        active: r.try_get::<i64, _>("active")? != 0,
        public: r.try_get::<i64, _>("public")? != 0,
    })
}

pub async fn categories(db: &Db) -> sqlx::Result<Vec<Category>> {
    let sql = format!("SELECT {CATEGORY_COLUMNS} FROM cases_categories ORDER BY sort, id");
    let rows = sqlx::query(&sql).fetch_all(&db.pool).await?;
    rows.iter().map(category_from_row).collect()
}

pub async fn category_by_code(db: &Db, code: &str) -> sqlx::Result<Option<Category>> {
    let sql = format!("SELECT {CATEGORY_COLUMNS} FROM cases_categories WHERE code = $1");
    let row = sqlx::query(&sql)
        .bind(code)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(category_from_row).transpose()
}

pub async fn category(db: &Db, id: i64) -> sqlx::Result<Option<Category>> {
    let sql = format!("SELECT {CATEGORY_COLUMNS} FROM cases_categories WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(category_from_row).transpose()
}

/// Categories a case can be filed under: active ones without children.
pub fn leaves(all: &[Category]) -> Vec<&Category> {
    all.iter()
        .filter(|c| c.active && !all.iter().any(|o| o.parent_id == Some(c.id)))
        .collect()
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Case {
    pub id: i64,
    pub token: String,
    pub category_id: i64,
    pub source: Source,
    pub priority: Priority,
    pub state: CaseState,
    pub place_unit_id: i64,
    pub place_path: String,
    pub district_path: String,
    pub address: String,
    pub lat_e6: Option<i64>,
    pub lon_e6: Option<i64>,
    pub description: String,
    pub attributes: String,
    pub media_url: String,
    pub photo_key: String,
    pub photo_type: String,
    pub reporter_id: Option<i64>,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub reporter_email: String,
    pub lead_unit_id: Option<i64>,
    pub lead_path: String,
    pub merged_into: Option<i64>,
    pub result: String,
    pub supervision: Supervision,
    #[sqlx(try_from = "platform::db::Flag")]
    pub reminded: bool,
    #[sqlx(try_from = "platform::db::Blank<Satisfaction>")]
    pub satisfaction: Option<Satisfaction>,
    pub reported_at: i64,
    pub accepted_at: Option<i64>,
    pub dispatched_at: Option<i64>,
    pub responded_at: Option<i64>,
    pub respond_by: Option<i64>,
    pub return_by: Option<i64>,
    pub due_at: Option<i64>,
    pub handled_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub updated_at: i64,
    /// The text the centre approved for publication ('' = not published).
    pub public_description: String,
    /// A photo of the work done, reported with the result ('' = none).
    pub result_photo_key: String,
    pub result_photo_type: String,
}

pub const CASE_COLUMNS: &str = "id, token, category_id, source, priority, state, place_unit_id, \
    place_path, district_path, address, lat_e6, lon_e6, description, attributes, media_url, \
    photo_key, photo_type, reporter_id, reporter_name, reporter_phone, reporter_email, \
    lead_unit_id, lead_path, merged_into, result, supervision, reminded, satisfaction, \
    reported_at, accepted_at, dispatched_at, responded_at, respond_by, return_by, due_at, \
    handled_at, closed_at, updated_at, public_description, result_photo_key, result_photo_type";

/// The case columns qualified by a table alias (`c.id, c.token, …`), as `Case` reads them by name.
pub fn columns(alias: &str) -> String {
    CASE_COLUMNS
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The units with these ids (each looked up once), by id.
pub async fn units(
    db: &Db,
    ids: impl IntoIterator<Item = i64>,
) -> sqlx::Result<std::collections::HashMap<i64, gov_core::Unit>> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let ids: Vec<gov_core::UnitId> = ids.into_iter().map(gov_core::UnitId).collect();
    Ok(gov_core::units_by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id.0, u))
        .collect())
}

/// The publication rule (ADR 018), as SQL over `cases_cases c`: the centre has accepted
/// the case (and not rejected or merged it since), its category is marked public, and the
/// centre approved a text for publication. A case without an approved text is not
/// published at all, so a resident's own words never go out.
pub fn published_sql() -> String {
    let unpublished = [CaseState::Reported, CaseState::Rejected, CaseState::Merged];
    format!(
        "({} AND c.public_description <> '' \
         AND c.category_id IN (SELECT id FROM cases_categories WHERE public = 1))",
        CaseState::sql_not_in("c.state", &unpublished)
    )
}

/// The same rule for one case already read.
pub fn is_published(c: &Case, category: Option<&Category>) -> bool {
    !matches!(
        c.state,
        CaseState::Reported | CaseState::Rejected | CaseState::Merged
    ) && !c.public_description.is_empty()
        && category.is_some_and(|k| k.public)
}

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Case>> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases_cases WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(Case::from_row).transpose()
}

pub async fn co_units(db: &Db, case_id: i64) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as("SELECT unit_id, unit_path FROM cases_co_units WHERE case_id = $1")
        .bind(case_id)
        .fetch_all(&db.pool)
        .await
}

#[derive(Clone, Debug, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: i64,
    pub actor_label: String,
    pub kind: String,
    pub note: String,
    pub public: bool,
}

pub async fn timeline(db: &Db, case_id: i64) -> sqlx::Result<Vec<Event>> {
    let rows: Vec<(i64, i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, at, actor_label, kind, note, public FROM cases_events \
         WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, at, actor_label, kind, note, public)| Event {
            id,
            at,
            actor_label,
            kind,
            note,
            public: public != 0,
        })
        .collect())
}

#[derive(Clone, Debug, Serialize)]
pub struct Extension {
    pub id: i64,
    pub days: i64,
    pub reason: String,
    pub state: String,
    pub requested_at: i64,
}

pub async fn extensions(db: &Db, case_id: i64) -> sqlx::Result<Vec<Extension>> {
    let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, days, reason, state, requested_at FROM cases_extensions \
         WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, days, reason, state, requested_at)| Extension {
            id,
            days,
            reason,
            state,
            requested_at,
        })
        .collect())
}

/// How a resident reading their own case sees one step: public milestones only, by role
/// rather than staff account, and a note only where it is written for them (why a case
/// was not accepted). Returns, progress notes, checking results, extensions, reminders and
/// cards stay inside. `None`: not shown.
pub fn resident_event(e: &Event, lang: Lang) -> Option<Event> {
    let (who, note) = match e.kind.as_str() {
        _ if !e.public => return None,
        "reported" => (lang.pick("反映人", "Reporter"), true),
        "rejected" => (lang.pick("综治信息中心", "Governance centre"), true),
        "accepted" | "merged" | "dispatched" | "redispatched" | "verified" | "closed"
        | "reopened" | "return_visit" => (lang.pick("综治信息中心", "Governance centre"), false),
        "signed" | "handled" => (lang.pick("承办单位", "Handling unit"), false),
        _ => return None,
    };
    Some(Event {
        id: e.id,
        at: e.at,
        actor_label: who.to_string(),
        kind: e.kind.clone(),
        note: if note { e.note.clone() } else { String::new() },
        public: true,
    })
}

/// Timeline step names, for the page.
pub fn event_label(kind: &str, lang: Lang) -> &'static str {
    let (zh, en) = match kind {
        "reported" => ("上报", "Reported"),
        "accepted" => ("受理", "Accepted"),
        "published" => ("核定公开内容", "Publication text set"),
        "rejected" => ("不予受理", "Rejected"),
        "merged" => ("合并为重复事件", "Merged as a duplicate"),
        "dispatched" => ("派单", "Dispatched"),
        "redispatched" => ("改派", "Re-dispatched"),
        "signed" => ("签收", "Signed for"),
        "returned" => ("退回", "Returned"),
        "progress" => ("办理进展", "Progress"),
        "handled" => ("办结反馈", "Handled"),
        "verified" => ("核查通过", "Verified"),
        "verify_failed" => ("核查未通过", "Sent back after checking"),
        "closed" => ("结案", "Closed"),
        "reopened" => ("重新打开", "Reopened"),
        "extension_requested" => ("申请延期", "Extension requested"),
        "extension_approved" => ("批准延期", "Extension approved"),
        "extension_denied" => ("驳回延期", "Extension denied"),
        "reminder" => ("到期提醒", "Reminder"),
        "yellow_card" => ("黄牌督办", "Yellow card"),
        "red_card" => ("红牌督办", "Red card"),
        "return_visit" => ("回访", "Return visit"),
        "urged" => ("催办", "Urged"),
        "listed" => ("挂牌督办", "Listed for supervision"),
        _ => ("记录", "Note"),
    };
    lang.pick(zh, en)
}
