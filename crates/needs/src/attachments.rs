//! 申报材料 — the files an organisation attaches to its application to a call (issue 14,
//! ADR 035): the plan, the budget sheet, qualifications. Stored with `platform::storage`
//! under a random key (never the client's name), at most [`MAX_BYTES`] each and
//! [`MAX_FILES`] per application, accepted only when their content is a PDF, Word or
//! Excel file (sniffed by `convert`, the extension is only a hint).
//!
//! Who reads them: the applicant's staff, the call's office (workers of its unit) and a
//! reviewer the application was given to who has no conflict recorded; never anyone else,
//! and never the open data. On a blind call, before the scores are final, a reviewer gets
//! each file under a neutral name ("实施方案-12.pdf"): the names are the applicant's words,
//! the content is not rewritten. The applicant adds and deletes files until the call's
//! closing day has passed (UTC+8); then they are locked.

use crate::authz::{Action, Target, authorize};
use crate::error::{NeedError, NeedResult};
use crate::projects::{self, Call};
use crate::projects_review;
use crate::review_plan;
use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;
use bytes::Bytes;
use gov_core::GovActor;
use platform::AppState;
use platform::web::Code;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

/// The largest file accepted.
pub const MAX_BYTES: usize = 10 << 20;
/// The most files one application carries.
pub const MAX_FILES: i64 = 20;
/// The request body limit of the upload routes: a file and its multipart framing.
pub const BODY_LIMIT: usize = MAX_BYTES + (256 << 10);

platform::vocabulary! {
    /// What an attached file is.
    Kind {
        Plan = "plan", "实施方案", "Plan";
        Budget = "budget", "预算表", "Budget sheet";
        Qualification = "qualification", "资质证明", "Qualifications";
        Other = "other", "其他材料", "Other";
    }
}

/// An attachment as a reader gets it (`name` neutral for a blind reviewer, see `shown`).
#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Attachment {
    pub id: i64,
    pub application_id: i64,
    pub kind: Kind,
    pub name: String,
    pub format: String,
    pub size: i64,
    pub uploaded_at: i64,
    #[sqlx(skip)]
    pub href: String,
}

/// An attachment as stored, with the key of its content (never shown).
#[derive(FromRow)]
struct Stored {
    #[sqlx(flatten)]
    file: Attachment,
    storage_key: String,
}

impl Attachment {
    /// The attachment as a reader gets it: its link and, for a blind reader, a neutral
    /// name made of its kind, id and format.
    fn shown(mut self, blind: bool) -> Attachment {
        if blind {
            let ext = convert::Format::parse(&self.format).map_or("bin", |f| f.extension());
            let kind = self.kind.label(platform::web::Lang::Zh);
            self.name = format!("{kind}-{}.{ext}", self.id);
        }
        self.href = format!("/api/v1/attachments/{}", self.id);
        self
    }

    /// The kind in the reader's language (for templates, which hold the language by reference).
    pub fn kind_label(&self, lang: &platform::web::Lang) -> &'static str {
        self.kind.label(*lang)
    }
}

/// A file read from the form, its content checked.
pub struct Upload {
    pub kind: Kind,
    pub name: String,
    pub format: convert::Format,
    pub data: Bytes,
}

/// The application an attachment belongs to, with its call and who reads it how.
pub struct Access {
    pub call: Call,
    pub org_id: i64,
    /// The applicant's staff: adds and deletes until the deadline.
    pub applicant: bool,
    /// Reads under neutral names (a reviewer of a blind call before the scores are final).
    pub blind: bool,
}

fn too_large() -> NeedError {
    NeedError::coded(
        Code::TooLarge,
        platform::web::i18n::bilingual(
            &format!("文件不能超过 {} MB。", MAX_BYTES >> 20),
            &format!("a file takes at most {} MB", MAX_BYTES >> 20),
        ),
    )
}

fn broken() -> NeedError {
    NeedError::coded(
        Code::BadForm,
        platform::bi!(
            "表单没有完整传到，请重试。",
            "the form arrived incomplete; try again"
        ),
    )
}

/// The content decides: PDF, Word or Excel, whatever the name says.
fn accepted(data: &[u8], name: &str) -> NeedResult<convert::Format> {
    use convert::Format as F;
    match convert::sniff(data, Some(name)) {
        Ok(f @ (F::Pdf | F::Doc | F::Docx | F::Xls | F::Xlsx)) => Ok(f),
        Err(convert::ConvertError::Empty) => Err(NeedError::of(Code::NoFile)),
        _ => Err(NeedError::coded(
            Code::Unsupported,
            platform::bi!(
                "申报材料须为 PDF、Word 或 Excel 文件（按文件内容判断）。",
                "an attachment must be a PDF, Word or Excel file (judged by its content)"
            ),
        )),
    }
}

/// Reads the multipart form: `kind` (plan|budget|qualification|other) and `file`.
/// Oversized, empty, malformed or unaccepted content: a 4xx, and nothing is kept.
pub async fn receive(mp: Result<Multipart, MultipartRejection>) -> NeedResult<Upload> {
    let mut mp = mp.map_err(|_| broken())?;
    let mut kind = Kind::Other;
    let mut file: Option<(String, Vec<u8>)> = None;
    let read_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            broken()
        }
    };
    while let Some(mut field) = mp.next_field().await.map_err(read_error)? {
        let part = field.name().unwrap_or("").to_string();
        match part.as_str() {
            "kind" => {
                let word = field.text().await.map_err(read_error)?;
                kind = Kind::parse(&word).ok_or_else(|| {
                    NeedError::field(platform::bi!(
                        "材料类别须为 plan、budget、qualification 或 other。",
                        "kind takes plan, budget, qualification or other"
                    ))
                })?;
            }
            "file" => {
                let name = library::upload::sanitize_name(field.file_name().unwrap_or(""));
                let mut data = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(read_error)? {
                    if data.len() + chunk.len() > MAX_BYTES {
                        return Err(too_large());
                    }
                    data.extend_from_slice(&chunk);
                }
                file = Some((name, data));
            }
            _ => {}
        }
    }
    let (name, data) = file.ok_or_else(|| NeedError::of(Code::NoFile))?;
    let format = accepted(&data, &name)?;
    Ok(Upload {
        kind,
        name,
        format,
        data: Bytes::from(data),
    })
}

/// Whether the call still takes changes: until the end of its closing day, in UTC+8.
pub fn open_for_changes(call: &Call, now_ms: i64) -> bool {
    !call.closed_at(now_ms)
}

fn locked() -> NeedError {
    NeedError::coded(
        Code::Conflict,
        platform::bi!(
            "申报已截止，材料不能再增删。",
            "the call has closed: attachments can no longer be added or deleted"
        ),
    )
}

/// Who reads application `id`'s files, and how; 404 for everyone else.
pub async fn access(state: &AppState, actor: &GovActor, id: i64) -> NeedResult<Access> {
    let me = actor.id().ok_or(NeedError::SignIn)?;
    let applicant = projects_review::applicant(state, id).await?;
    let org_id = applicant.org_id;
    let call = projects::call(state, applicant.call_id).await?;
    let reviewer = review_plan::given_to(state, &call, id, me).await?
        && !review_plan::conflicted(state, id, me).await?;
    let target = Target::Application {
        unit_path: &call.unit_path,
        org: org_id,
        reviewer,
    };
    authorize(actor, Action::View, &target)?;
    let office = authorize(actor, Action::Verify, &Target::Unit(&call.unit_path)).is_ok();
    let applicant = actor.works_for(org_id);
    Ok(Access {
        blind: call.blind && !call.reviews_final && !office && !applicant,
        applicant,
        org_id,
        call,
    })
}

const SELECT: &str = "SELECT id, application_id, kind, name, format, size, uploaded_at, storage_key FROM needs_attachments";

/// The files of the applications `ids` (one query), by application.
pub async fn of_applications(
    state: &AppState,
    ids: &[i64],
    blind: impl Fn(i64) -> bool,
) -> sqlx::Result<std::collections::BTreeMap<i64, Vec<Attachment>>> {
    let mut out: std::collections::BTreeMap<i64, Vec<Attachment>> = Default::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut sql = gov_core::Sql::default();
    let marks: Vec<String> = ids.iter().map(|i| sql.bind(*i)).collect();
    let text = format!(
        "{SELECT} WHERE application_id IN ({}) ORDER BY application_id, id",
        marks.join(", ")
    );
    for r in sql.query(&text).fetch_all(&state.db.pool).await? {
        let file = Attachment::from_row(&r)?;
        let app = file.application_id;
        out.entry(app).or_default().push(file.shown(blind(app)));
    }
    Ok(out)
}

/// Application `id`'s files as `actor` may read them.
pub async fn list(state: &AppState, actor: &GovActor, id: i64) -> NeedResult<Vec<Attachment>> {
    let a = access(state, actor, id).await?;
    Ok(of_applications(state, &[id], |_| a.blind)
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// The applicant's staff attach a file before the deadline. Who may attach is decided
/// before the body is read; a refused upload keeps nothing.
pub async fn add(
    state: &AppState,
    actor: &GovActor,
    application: i64,
    form: Result<Multipart, MultipartRejection>,
) -> NeedResult<Attachment> {
    may_change(state, actor, application).await?;
    let up = receive(form).await?;
    let now = state.now();
    let key = format!("needs/attachments/{}", platform::auth::new_token());
    state
        .storage
        .put(&key, up.data.clone())
        .await
        .map_err(|e| NeedError::Internal(anyhow::anyhow!("storing an attachment: {e}")))?;
    let saved = insert(state, actor, application, &up, &key, now).await;
    if saved.is_err() {
        let _ = state.storage.delete(&key).await;
    }
    Ok(find(state, saved?).await?.file.shown(false))
}

/// The applicant's staff, before the call's deadline (409 after it).
async fn may_change(state: &AppState, actor: &GovActor, application: i64) -> NeedResult<Access> {
    let a = access(state, actor, application).await?;
    authorize(
        actor,
        Action::Attach,
        &Target::Application {
            unit_path: &a.call.unit_path,
            org: a.org_id,
            reviewer: false,
        },
    )?;
    if !open_for_changes(&a.call, state.now()) {
        return Err(locked());
    }
    Ok(a)
}

async fn insert(
    state: &AppState,
    actor: &GovActor,
    application: i64,
    up: &Upload,
    key: &str,
    now: i64,
) -> NeedResult<i64> {
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM needs_attachments WHERE application_id = $1")
            .bind(application)
            .fetch_one(&mut *change.tx)
            .await?;
    if count >= MAX_FILES {
        return Err(NeedError::coded(
            Code::Conflict,
            platform::web::i18n::bilingual(
                &format!("每份申报最多 {MAX_FILES} 个材料。"),
                &format!("an application takes at most {MAX_FILES} files"),
            ),
        ));
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO needs_attachments (application_id, kind, name, format, size, storage_key, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(application)
    .bind(up.kind.as_str())
    .bind(&up.name)
    .bind(up.format.as_str())
    .bind(up.data.len() as i64)
    .bind(key)
    .bind(actor.id())
    .bind(now)
    .fetch_one(&mut *change.tx)
    .await?;
    change
        .done(
            "needs.attachment.add",
            format!("needs_application:{application}"),
            json!({ "attachment_id": id, "kind": up.kind.as_str(), "size": up.data.len() }),
        )
        .await?;
    Ok(id)
}

async fn find(state: &AppState, id: i64) -> NeedResult<Stored> {
    let stored = sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    stored.ok_or(NeedError::NotFound)
}

/// The application an attachment belongs to (404 if there is no such attachment).
pub async fn application_of(state: &AppState, id: i64) -> NeedResult<i64> {
    Ok(find(state, id).await?.file.application_id)
}

/// The file for a reader: (name as they may see it, content type, bytes).
pub async fn download(
    state: &AppState,
    actor: &GovActor,
    id: i64,
) -> NeedResult<(String, &'static str, Bytes)> {
    let stored = find(state, id).await?;
    let a = access(state, actor, stored.file.application_id).await?;
    let shown = stored.file.shown(a.blind);
    let data = state
        .storage
        .get(&stored.storage_key)
        .await
        .map_err(|e| NeedError::Internal(anyhow::anyhow!("reading attachment {id}: {e}")))?;
    let mime =
        convert::Format::parse(&shown.format).map_or("application/octet-stream", |f| f.mime());
    Ok((shown.name, mime, data))
}

/// The applicant's staff delete a file before the deadline; returns its application.
pub async fn delete(state: &AppState, actor: &GovActor, id: i64) -> NeedResult<i64> {
    let stored = find(state, id).await?;
    let (app, key) = (stored.file.application_id, stored.storage_key);
    may_change(state, actor, app).await?;
    let now = state.now();
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    let gone = sqlx::query("DELETE FROM needs_attachments WHERE id = $1")
        .bind(id)
        .execute(&mut *change.tx)
        .await?;
    if gone.rows_affected() == 0 {
        return Err(NeedError::NotFound);
    }
    change
        .done(
            "needs.attachment.delete",
            format!("needs_application:{app}"),
            json!({ "attachment_id": id }),
        )
        .await?;
    // The row is gone first: a file left by a failed delete is unreachable, never a dangling row.
    if let Err(e) = state.storage.delete(&key).await {
        tracing::warn!(attachment = id, error = %e, "deleting a stored attachment");
    }
    Ok(app)
}
