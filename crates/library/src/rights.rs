//! Rights and trust (SPEC L6): copyright complaints (版权申诉), ownership claims (认领) and
//! reports (举报). A rights complaint takes the document down pending review (an operator
//! setting) only when it is trusted: from a rights holder whose identity an operator has
//! verified, or the K-th distinct complainant with evidence (K a setting); otherwise it
//! waits in the queue with a review deadline. K reports from K people hide it (another setting). A reviewer restores it,
//! removes it, or transfers it — with its future earnings — to the claimant. Both sides are
//! notified; every step is audited.

use crate::authz::Action;
use crate::error::{LibResult, LibraryError};
use crate::notifications::notify;
use crate::service;
use platform::db::{Db, Tx};
use platform::web::Code;
use platform::{Actor, AppState, audit, outbox};
use serde::Serialize;

platform::vocabulary! {
    /// What a complaint asks for.
    Kind {
        /// 版权申诉: "this infringes my copyright".
        Copyright = "copyright", "版权申诉", "Copyright complaint";
        /// 认领: "this is my work; let me own it".
        Claim = "claim", "作品认领", "Ownership claim";
        /// 举报: trade secrets, personal rights, illegal content, spam.
        Report = "report", "举报", "Report";
    }
}

impl Kind {
    /// The kind a caller sent, or the field error that names the three words.
    pub fn from_field(s: &str) -> LibResult<Kind> {
        Kind::parse(s).ok_or_else(|| {
            bad_field!(
                "类型（kind）须为 copyright、claim 或 report。",
                "`kind` must be copyright, claim or report"
            )
        })
    }
}

/// Why a document is reported.
pub const REPORT_REASONS: &[(&str, &str, &str)] = &[
    ("trade_secret", "涉及商业秘密", "Trade secrets"),
    (
        "personal_rights",
        "侵犯个人权益（隐私、名誉、肖像）",
        "Personal rights (privacy, reputation, likeness)",
    ),
    ("illegal", "违法违规内容", "Illegal content"),
    ("spam", "垃圾广告", "Spam"),
];

pub fn reason_label(reason: &str, lang: platform::web::Lang) -> String {
    REPORT_REASONS
        .iter()
        .find(|r| r.0 == reason)
        .map(|r| lang.pick(r.1, r.2).to_string())
        .unwrap_or_default()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The complaint does not hold: the document is public again.
    Restore,
    /// The complaint holds: the document is removed for good.
    Remove,
    /// The claimant is the rightful owner: the document (and its future earnings) is theirs.
    Transfer,
}

impl Decision {
    pub fn parse(s: &str) -> LibResult<Decision> {
        match s {
            "restore" => Ok(Decision::Restore),
            "remove" => Ok(Decision::Remove),
            "transfer" => Ok(Decision::Transfer),
            _ => Err(bad_field!(
                "处理决定（decision）须为 restore、remove 或 transfer。",
                "`decision` must be restore, remove or transfer"
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Restore => "restore",
            Decision::Remove => "remove",
            Decision::Transfer => "transfer",
        }
    }
}

/// Operator settings of the library, kept in `library_settings`.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Settings {
    /// A trusted copyright complaint or claim takes the document down until a reviewer
    /// decides (see [`Settings::complaint_quorum`]).
    pub takedown_on_complaint: bool,
    /// This many reports from different people hide the document until a reviewer decides.
    pub report_hide_threshold: i64,
    /// New comments wait for a moderator before they show.
    pub comments_premoderated: bool,
    /// A rights complaint from an account that is not a verified rights holder takes the
    /// document down only once this many different people have filed one with evidence.
    #[serde(default = "default_quorum")]
    pub complaint_quorum: i64,
    /// Reviewers are asked to decide a complaint within this many hours of its filing.
    #[serde(default = "default_review_hours")]
    pub complaint_review_hours: i64,
}

fn default_quorum() -> i64 {
    3
}

fn default_review_hours() -> i64 {
    72
}

pub async fn settings(db: &Db) -> sqlx::Result<Settings> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT name, value FROM library_settings")
        .fetch_all(&db.pool)
        .await?;
    let get = |n: &str, d: i64| rows.iter().find(|r| r.0 == n).map(|r| r.1).unwrap_or(d);
    Ok(Settings {
        takedown_on_complaint: get("takedown_on_complaint", 1) != 0,
        report_hide_threshold: get("report_hide_threshold", 3),
        comments_premoderated: get("comments_premoderated", 0) != 0,
        complaint_quorum: get("complaint_quorum", default_quorum()),
        complaint_review_hours: get("complaint_review_hours", default_review_hours()),
    })
}

pub async fn set_settings(state: &AppState, actor: &Actor, s: &Settings) -> LibResult<Settings> {
    service::permitted(state, actor, Action::ManageMoney)?;
    if !(1..=1000).contains(&s.report_hide_threshold) {
        return Err(bad_field!(
            "report_hide_threshold 须在 1 到 1000 之间。",
            "`report_hide_threshold` must be from 1 to 1000"
        ));
    }
    if !(1..=1000).contains(&s.complaint_quorum) {
        return Err(bad_field!(
            "complaint_quorum 须在 1 到 1000 之间。",
            "`complaint_quorum` must be from 1 to 1000"
        ));
    }
    if !(1..=720).contains(&s.complaint_review_hours) {
        return Err(bad_field!(
            "complaint_review_hours 须在 1 到 720 之间。",
            "`complaint_review_hours` must be from 1 to 720"
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    for (name, value) in [
        ("takedown_on_complaint", s.takedown_on_complaint as i64),
        ("report_hide_threshold", s.report_hide_threshold),
        ("comments_premoderated", s.comments_premoderated as i64),
        ("complaint_quorum", s.complaint_quorum),
        ("complaint_review_hours", s.complaint_review_hours),
    ] {
        sqlx::query(
            "INSERT INTO library_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2",
        )
        .bind(name)
        .bind(value)
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: actor.id(),
            action: "library.settings.set",
            subject: "library_settings",
            detail: serde_json::to_value(s).unwrap_or_default(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(settings(&state.db).await?)
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Complaint {
    pub id: i64,
    pub document_id: i64,
    pub document_title: String,
    pub kind: Kind,
    pub reason: String,
    pub complainant_id: i64,
    pub complainant: String,
    pub uploader_id: i64,
    pub evidence: String,
    pub contact: String,
    pub state: String,
    pub decision: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    /// The complainant is a rights holder whose identity an operator has verified.
    #[sqlx(try_from = "platform::db::Flag")]
    pub verified_complainant: bool,
    /// When a reviewer should have decided it (filing + the review hours setting).
    #[sqlx(skip)]
    pub review_by: i64,
}

const COLUMNS: &str = "c.id, c.document_id, c.document_title, c.kind, c.reason, c.complainant_id, \
    u.display_name AS complainant, c.uploader_id, c.evidence, c.contact, c.state, c.decision, c.note, \
    c.created_at, c.decided_at, CASE WHEN h.user_id IS NULL THEN 0 ELSE 1 END AS verified_complainant";
const FROM: &str = "library_complaints c JOIN platform_users u ON u.id = c.complainant_id \
    LEFT JOIN library_rights_holders h ON h.user_id = c.complainant_id";
/// Sets when a reviewer should have decided it, from the review hours setting.
fn due(mut c: Complaint, review_hours: i64) -> Complaint {
    c.review_by = c.created_at + review_hours * 3_600_000;
    c
}

/// Complaints by state ("open", "decided") or all, newest first; or one complainant's.
pub async fn list(
    db: &Db,
    state_filter: Option<&str>,
    complainant: Option<i64>,
) -> sqlx::Result<Vec<Complaint>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} \
         WHERE ($1 = '' OR c.state = $1) AND ($2 = 0 OR c.complainant_id = $2) ORDER BY c.id DESC LIMIT 500"
    );
    let rows: Vec<Complaint> = sqlx::query_as(&sql)
        .bind(state_filter.unwrap_or(""))
        .bind(complainant.unwrap_or(0))
        .fetch_all(&db.pool)
        .await?;
    let hours = settings(db).await?.complaint_review_hours;
    Ok(rows.into_iter().map(|c| due(c, hours)).collect())
}

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Complaint>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1");
    let row: Option<Complaint> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    let hours = settings(db).await?.complaint_review_hours;
    Ok(row.map(|c| due(c, hours)))
}

fn text(name: &str, v: &str, min: usize, max: usize) -> LibResult<String> {
    let v = v.trim();
    let n = v.chars().count();
    if n < min || n > max {
        return Err(LibraryError::BadField(format!(
            "`{name}` needs {min} to {max} characters"
        )));
    }
    Ok(v.to_string())
}

pub struct NewComplaint {
    pub kind: Kind,
    pub reason: String,
    pub evidence: String,
    pub contact: String,
}

/// Hides a public document pending review, with its event (search drops it) and audit entry.
async fn hide(
    tx: &mut Tx,
    doc: i64,
    reason: &str,
    actor: Option<i64>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE library_documents SET status = 'taken_down', takedown_reason = $1, updated_at = $2 WHERE id = $3 AND status = 'ready'",
    )
    .bind(reason)
    .bind(now)
    .bind(doc)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    outbox::emit(
        tx,
        now,
        "library.document.taken_down",
        doc,
        serde_json::json!({ "pending_review": true }),
    )
    .await?;
    let subject = format!("document:{doc}");
    audit::append(
        tx,
        audit::Entry {
            at: now,
            actor_id: actor,
            action: "library.document.take_down",
            subject: &subject,
            detail: serde_json::json!({ "reason": reason, "pending_review": true }),
        },
    )
    .await?;
    Ok(true)
}

/// Whether the open rights complaints about `doc` are enough to take it down pending
/// review: `complainant` is a verified rights holder, or `quorum` different people have
/// filed one with evidence (filing a rights complaint requires evidence).
async fn trusted(tx: &mut Tx, doc: i64, complainant: i64, quorum: i64) -> sqlx::Result<bool> {
    let (verified,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM library_rights_holders WHERE user_id = $1",
    )
    .bind(complainant)
    .fetch_one(&mut **tx)
    .await?;
    if verified > 0 {
        return Ok(true);
    }
    let (people,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(DISTINCT complainant_id) AS BIGINT) FROM library_complaints \
         WHERE document_id = $1 AND kind IN ('copyright', 'claim') AND state = 'open' AND evidence <> ''",
    )
    .bind(doc)
    .fetch_one(&mut **tx)
    .await?;
    Ok(people >= quorum)
}

/// A rights holder whose identity an operator has checked (e.g. an ID card and a
/// publishing contract): their complaints with evidence take a document down at once.
#[derive(Debug, Serialize)]
pub struct RightsHolder {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub note: String,
    pub verified_at: i64,
}

pub async fn rights_holders(db: &Db) -> sqlx::Result<Vec<RightsHolder>> {
    let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT h.user_id, u.username, u.display_name, h.note, h.verified_at FROM library_rights_holders h \
         JOIN platform_users u ON u.id = h.user_id ORDER BY h.verified_at DESC, h.user_id",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(user_id, username, display_name, note, verified_at)| RightsHolder {
                user_id,
                username,
                display_name,
                note,
                verified_at,
            },
        )
        .collect())
}

/// Marks the account `username` as a verified rights holder (`verified`), or no longer.
pub async fn set_rights_holder(
    state: &AppState,
    actor: &Actor,
    username: &str,
    note: &str,
    verified: bool,
) -> LibResult<()> {
    let operator = service::allowed(state, actor, Action::VerifyRightsHolders)?;
    let note = text("note", note, if verified { 2 } else { 0 }, 500)?;
    let user: Option<(i64,)> = sqlx::query_as("SELECT id FROM platform_users WHERE username = $1")
        .bind(username.trim())
        .fetch_optional(&state.db.pool)
        .await?;
    let (user,) =
        user.ok_or_else(|| LibraryError::BadField(format!("no account named {username:?}")))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM library_rights_holders WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    if verified {
        sqlx::query(
            "INSERT INTO library_rights_holders (user_id, note, verified_by, verified_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user)
        .bind(&note)
        .bind(operator)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let subject = format!("user:{user}");
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: Some(operator),
            action: if verified {
                "library.rights_holder.verify"
            } else {
                "library.rights_holder.revoke"
            },
            subject: &subject,
            detail: serde_json::json!({ "note": note }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Files a complaint, claim or report about a document the actor can see.
pub async fn file(
    state: &AppState,
    actor: &Actor,
    document: i64,
    c: NewComplaint,
) -> LibResult<Complaint> {
    service::permitted(state, actor, Action::Complain)?;
    let user = actor.id().ok_or(LibraryError::SignIn)?;
    let doc = service::load(state, actor, document, Action::View).await?;
    if doc.uploader_id == user {
        return Err(LibraryError::WrongState(
            Code::OwnDocument,
            platform::bi!(
                "这是您自己的文档，请直接编辑或删除。",
                "this is your own document; edit or delete it instead"
            )
            .into(),
        ));
    }
    let reason = match c.kind {
        Kind::Report => {
            if !REPORT_REASONS.iter().any(|r| r.0 == c.reason) {
                return Err(bad_field!(
                    "举报理由（reason）须为 trade_secret、personal_rights、illegal 或 spam。",
                    "`reason` must be trade_secret, personal_rights, illegal or spam"
                ));
            }
            c.reason.clone()
        }
        k => k.as_str().to_string(),
    };
    let min = if c.kind == Kind::Report { 0 } else { 10 };
    let evidence = text("evidence", &c.evidence, min, 5000)?;
    let contact = text("contact", &c.contact, 0, 200)?;
    let settings = settings(&state.db).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let inserted: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO library_complaints (document_id, document_title, kind, reason, complainant_id, uploader_id, evidence, contact, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(doc.id)
    .bind(&doc.title)
    .bind(c.kind.as_str())
    .bind(&reason)
    .bind(user)
    .bind(doc.uploader_id)
    .bind(&evidence)
    .bind(&contact)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id,)) = inserted else {
        return Err(LibraryError::WrongState(
            Code::ComplaintOpen,
            platform::bi!(
                "您已就此文档提交过同类投诉，审核员会尽快处理。",
                "you already have an open complaint of this kind about this document; a reviewer will answer it"
            )
            .into(),
        ));
    };
    let subject = format!("complaint:{id}");
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: Some(user),
            action: "library.complaint.file",
            subject: &subject,
            detail: serde_json::json!({ "document": doc.id, "kind": c.kind.as_str(), "reason": reason }),
        },
    )
    .await?;
    let hidden = match c.kind {
        Kind::Copyright | Kind::Claim
            if settings.takedown_on_complaint
                && trusted(&mut tx, doc.id, user, settings.complaint_quorum).await? =>
        {
            hide(
                &mut tx,
                doc.id,
                "收到权利投诉，审核期间暂停公开 (a rights complaint is under review)",
                None,
                now,
            )
            .await?
        }
        Kind::Report => {
            let (reporters,): (i64,) = sqlx::query_as(
                "SELECT CAST(COUNT(DISTINCT complainant_id) AS BIGINT) FROM library_complaints WHERE document_id = $1 AND kind = 'report' AND state = 'open'",
            )
            .bind(doc.id)
            .fetch_one(&mut *tx)
            .await?;
            if reporters >= settings.report_hide_threshold {
                hide(
                    &mut tx,
                    doc.id,
                    "多位读者举报，审核期间暂停公开 (reported by several readers; under review)",
                    None,
                    now,
                )
                .await?
            } else {
                false
            }
        }
        _ => false,
    };
    let link = format!("/documents/{}", doc.id);
    let title = &doc.title;
    let (zh, en) = if hidden {
        (
            format!(
                "你上传的《{title}》收到{}，审核期间已暂停公开。审核结果会另行通知。",
                c.kind.label(platform::web::Lang::Zh)
            ),
            format!(
                "Your document “{title}” received a {} and is hidden while it is reviewed. You will hear the outcome.",
                c.kind.label(platform::web::Lang::En).to_lowercase()
            ),
        )
    } else {
        (
            format!(
                "你上传的《{title}》收到{}，审核员将进行审核。",
                c.kind.label(platform::web::Lang::Zh)
            ),
            format!(
                "Your document “{title}” received a {}; a reviewer will look at it.",
                c.kind.label(platform::web::Lang::En).to_lowercase()
            ),
        )
    };
    // Reporters stay anonymous to the uploader; rights holders are named in the review.
    notify(
        &mut tx,
        doc.uploader_id,
        "complaint_received",
        &zh,
        &en,
        &link,
        now,
    )
    .await?;
    notify(
        &mut tx,
        user,
        "complaint_filed",
        &format!(
            "我们已收到你对《{title}》的{}（编号 {id}），审核后会通知你结果。",
            c.kind.label(platform::web::Lang::Zh)
        ),
        &format!(
            "We received your {} about “{title}” (no. {id}) and will tell you the outcome.",
            c.kind.label(platform::web::Lang::En).to_lowercase()
        ),
        "/me/complaints",
        now,
    )
    .await?;
    tx.commit().await?;
    find(&state.db, id).await?.ok_or(LibraryError::NotFound)
}

/// A reviewer's decision on a complaint; it settles every open complaint about the same
/// document, since they all ask about that document's fate.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: i64,
    decision: Decision,
    note: &str,
) -> LibResult<Complaint> {
    let reviewer = service::allowed(state, actor, Action::ReviewComplaints)?;
    let note = text("note", note, 0, 2000)?;
    let c = find(&state.db, id).await?.ok_or(LibraryError::NotFound)?;
    if c.state != "open" {
        return Err(LibraryError::WrongState(
            Code::AlreadyDecided,
            platform::bi!(
                "此投诉已处理完毕。",
                "this complaint has been decided already"
            )
            .into(),
        ));
    }
    if decision == Decision::Transfer && c.kind == Kind::Report {
        return Err(bad_field!(
            "举报不能转移文档归属，请使用认领或版权投诉。",
            "a report cannot transfer ownership; use a claim or copyright complaint"
        ));
    }
    let doc = crate::model::find(&state.db, c.document_id)
        .await?
        .ok_or(LibraryError::NotFound)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let closed: Vec<(i64, i64, String)> = sqlx::query_as(
        "UPDATE library_complaints SET state = 'decided', decision = $1, note = $2, reviewer_id = $3, decided_at = $4 \
         WHERE document_id = $5 AND state = 'open' RETURNING id, complainant_id, kind",
    )
    .bind(decision.as_str())
    .bind(&note)
    .bind(reviewer)
    .bind(now)
    .bind(c.document_id)
    .fetch_all(&mut *tx)
    .await?;
    if !closed.iter().any(|r| r.0 == id) {
        return Err(LibraryError::WrongState(
            Code::AlreadyDecided,
            platform::bi!(
                "此投诉已处理完毕。",
                "this complaint has been decided already"
            )
            .into(),
        ));
    }
    let doc_id = doc.id;
    match decision {
        Decision::Restore => {
            let done = sqlx::query(
                "UPDATE library_documents SET status = 'ready', takedown_reason = NULL, updated_at = $1 WHERE id = $2 AND status = 'taken_down'",
            )
            .bind(now)
            .bind(doc_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                outbox::emit(
                    &mut tx,
                    now,
                    "library.document.published",
                    doc_id,
                    serde_json::json!({ "reviewer": reviewer }),
                )
                .await?;
            }
        }
        Decision::Transfer => {
            sqlx::query(
                "UPDATE library_documents SET uploader_id = $1, status = CASE WHEN status = 'taken_down' THEN 'ready' ELSE status END, \
                 takedown_reason = NULL, updated_at = $2 WHERE id = $3",
            )
            .bind(c.complainant_id)
            .bind(now)
            .bind(doc_id)
            .execute(&mut *tx)
            .await?;
            outbox::emit(
                &mut tx,
                now,
                "library.document.published",
                doc_id,
                serde_json::json!({ "owner": c.complainant_id }),
            )
            .await?;
        }
        Decision::Remove => {
            hide(
                &mut tx,
                doc_id,
                "经审核确认侵权或违规，已移除 (removed after review)",
                Some(reviewer),
                now,
            )
            .await?;
        }
    }
    let subject = format!("document:{doc_id}");
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: Some(reviewer),
            action: "library.complaint.decide",
            subject: &subject,
            detail: serde_json::json!({
                "complaints": closed.iter().map(|r| r.0).collect::<Vec<_>>(),
                "decision": decision.as_str(),
                "note": note,
                "from_owner": doc.uploader_id,
                "to_owner": if decision == Decision::Transfer { Some(c.complainant_id) } else { None },
            }),
        },
    )
    .await?;
    let title = &doc.title;
    let link = format!("/documents/{doc_id}");
    let (zh, en) = match decision {
        Decision::Restore => (
            format!("关于《{title}》的投诉经审核不成立，文档已恢复公开。{note}"),
            format!(
                "The complaint about “{title}” did not hold; the document is public again. {note}"
            ),
        ),
        Decision::Remove => (
            format!("关于《{title}》的投诉经审核成立，文档已移除。{note}"),
            format!("The complaint about “{title}” held; the document has been removed. {note}"),
        ),
        Decision::Transfer => (
            format!("经审核，《{title}》已转归认领人所有，今后的收益归新所有者。{note}"),
            format!(
                "After review, “{title}” now belongs to its claimant, with its future earnings. {note}"
            ),
        ),
    };
    notify(
        &mut tx,
        doc.uploader_id,
        "complaint_decided",
        &zh,
        &en,
        &link,
        now,
    )
    .await?;
    let mut told = vec![doc.uploader_id];
    for (_, complainant, _) in &closed {
        if !told.contains(complainant) {
            notify(
                &mut tx,
                *complainant,
                "complaint_decided",
                &zh,
                &en,
                &link,
                now,
            )
            .await?;
            told.push(*complainant);
        }
    }
    tx.commit().await?;
    if decision == Decision::Remove {
        // Rows and files go for good now that the decision is on record.
        service::delete(state, actor, doc_id).await?;
    }
    find(&state.db, id).await?.ok_or(LibraryError::NotFound)
}
