//! Receiving an upload: stream to a temporary file with a size cap and a running hash,
//! sniff the real format, point duplicates at the existing document, store the original,
//! and create the document with its conversion job in one transaction.

use crate::error::{LibResult, LibraryError};
use axum::extract::Multipart;
use platform::auth::User;
use platform::web::Code;
use platform::{AppState, audit, outbox};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Fields {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub preview_pages: Option<i64>,
    /// `free` (default), `paid` or `vip`, and the price in yuan ("3.00").
    pub price_kind: Option<String>,
    pub price: Option<String>,
}

pub struct Received {
    pub file: tempfile::NamedTempFile,
    pub original_name: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, serde::Serialize)]
pub struct Created {
    pub id: i64,
    pub status: String,
    pub duplicate: bool,
}

pub fn temp_dir(state: &AppState) -> std::io::Result<std::path::PathBuf> {
    let dir = state.config.data_dir.join("tmp");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Whether `c` is a bidirectional control (U+202A–U+202E, U+2066–U+2069), which can make
/// a name read differently from what it is ("report\u{202E}fdp.exe").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` without bidirectional controls.
pub fn strip_bidi(s: &str) -> String {
    s.chars().filter(|c| !is_bidi_control(*c)).collect()
}

/// What a document is called when neither the uploader nor the file name says.
pub const UNTITLED: &str = "未命名文档";

/// A title from a file name: its stem, or [`UNTITLED`] when that is blank (".txt").
pub fn title_from_name(name: &str) -> String {
    let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
    let title: String = strip_bidi(stem).trim().chars().take(200).collect();
    if title.is_empty() {
        UNTITLED.to_string()
    } else {
        title
    }
}

pub(crate) fn text_field(name: &str, value: String, max_chars: usize) -> LibResult<String> {
    let v = strip_bidi(&value).trim().to_string();
    if v.chars().count() > max_chars {
        return Err(LibraryError::BadField(format!(
            "`{name}` is longer than {max_chars} characters"
        )));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(LibraryError::BadField(format!(
            "`{name}` contains control characters"
        )));
    }
    Ok(v)
}

pub fn parse_tags(raw: &str) -> LibResult<Vec<String>> {
    let mut tags: Vec<String> = strip_bidi(raw)
        .split([',', '，', ';', '；'])
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    if tags.len() > 10 {
        return Err(bad_field!("标签最多 10 个。", "at most 10 tags"));
    }
    if let Some(t) = tags.iter().find(|t| t.chars().count() > 32) {
        return Err(LibraryError::BadField(format!(
            "tag `{t}` is longer than 32 characters"
        )));
    }
    Ok(tags)
}

/// Reads the multipart body: the `file` part is streamed to disk, never held in memory.
pub async fn receive(state: &AppState, mut mp: Multipart) -> LibResult<(Fields, Received)> {
    let max = state.config.upload.max_bytes;
    let mut fields = Fields::default();
    let mut received = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e, max)),
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                let original_name = field
                    .file_name()
                    .map(sanitize_name)
                    .unwrap_or_else(|| "upload".into());
                received = Some(stream_to_temp(state, field, original_name, max).await?);
            }
            "title" | "description" | "category" | "tags" | "preview_pages" | "price_kind"
            | "price" | "_csrf" => {
                let value = field.text().await.map_err(|e| multipart_error(e, max))?;
                match name.as_str() {
                    "title" => {
                        fields.title =
                            Some(text_field("title", value, 200)?).filter(|s| !s.is_empty())
                    }
                    "description" => {
                        fields.description = Some(text_field("description", value, 5000)?)
                    }
                    "category" => {
                        fields.category = Some(value.trim().to_string()).filter(|s| !s.is_empty())
                    }
                    "tags" => fields.tags = parse_tags(&value)?,
                    "price_kind" => fields.price_kind = Some(value),
                    "price" => fields.price = Some(value),
                    "preview_pages" if !value.trim().is_empty() => {
                        let n: i64 = value.trim().parse().map_err(|_| {
                            bad_field!(
                                "免费预览页数须为整数。",
                                "`preview_pages` must be a whole number"
                            )
                        })?;
                        if !(0..=10_000).contains(&n) {
                            return Err(bad_field!(
                                "免费预览页数须在 0 到 10000 之间。",
                                "`preview_pages` must be between 0 and 10000"
                            ));
                        }
                        fields.preview_pages = Some(n);
                    }
                    _ => {}
                }
            }
            other => {
                return Err(LibraryError::BadField(format!(
                    "unknown form field `{other}`"
                )));
            }
        }
    }
    let received = received.ok_or(LibraryError::NoFile)?;
    if received.size == 0 {
        return Err(LibraryError::EmptyFile);
    }
    Ok((fields, received))
}

fn multipart_error(e: axum::extract::multipart::MultipartError, max: u64) -> LibraryError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        LibraryError::TooLarge(max / (1024 * 1024))
    } else {
        LibraryError::BadField(format!("the upload could not be read: {}", e.body_text()))
    }
}

/// Keeps only the last path component and printable characters of a client file name.
pub fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .take(200)
        .collect();
    if clean.trim().is_empty() {
        "upload".into()
    } else {
        clean
    }
}

async fn stream_to_temp(
    state: &AppState,
    mut field: axum::extract::multipart::Field<'_>,
    original_name: String,
    max: u64,
) -> LibResult<Received> {
    let dir = temp_dir(state).map_err(|e| LibraryError::Internal(e.into()))?;
    let mut file =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| LibraryError::Internal(e.into()))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e, max)),
        };
        size += chunk.len() as u64;
        if size > max {
            return Err(LibraryError::TooLarge(max / (1024 * 1024)));
        }
        hasher.update(&chunk);
        file.write_all(&chunk)
            .map_err(|e| LibraryError::Internal(e.into()))?;
    }
    file.flush().map_err(|e| LibraryError::Internal(e.into()))?;
    Ok(Received {
        file,
        original_name,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Hashes a local file (for imports and demo data).
pub fn receive_local(state: &AppState, path: &Path) -> LibResult<Received> {
    let bytes = std::fs::read(path).map_err(|e| LibraryError::Internal(e.into()))?;
    let dir = temp_dir(state).map_err(|e| LibraryError::Internal(e.into()))?;
    let mut file =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| LibraryError::Internal(e.into()))?;
    file.write_all(&bytes)
        .map_err(|e| LibraryError::Internal(e.into()))?;
    let original_name = path
        .file_name()
        .map(|n| sanitize_name(&n.to_string_lossy()))
        .unwrap_or_default();
    Ok(Received {
        file,
        original_name,
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
    })
}

/// Creates the document (or finds its twin) and queues its conversion.
pub async fn create(
    state: &AppState,
    uploader: &User,
    fields: Fields,
    rec: Received,
) -> LibResult<Created> {
    if rec.size == 0 {
        return Err(LibraryError::EmptyFile);
    }
    if rec.size > state.config.upload.max_bytes {
        return Err(LibraryError::TooLarge(
            state.config.upload.max_bytes / (1024 * 1024),
        ));
    }
    if let Some(existing) = find_by_hash(state, uploader, &rec.sha256).await? {
        return Ok(existing);
    }
    let path = rec.file.path().to_path_buf();
    let name = rec.original_name.clone();
    let format = tokio::task::spawn_blocking(move || convert::sniff_file(&path, Some(&name)))
        .await
        .map_err(|e| LibraryError::Internal(e.into()))?
        .map_err(|e| LibraryError::Unsupported(e.to_string()))?;
    let category_id = match &fields.category {
        None => None,
        Some(slug) => Some(category_id(state, slug).await?),
    };
    let title = fields
        .title
        .as_deref()
        .map(strip_bidi)
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| title_from_name(&rec.original_name));
    let (price_kind, price) = crate::service::parse_price(
        fields.price_kind.as_deref(),
        fields.price.as_deref(),
        (crate::model::PriceKind::Free, 0),
    )?;
    let key = format!("originals/{}", rec.sha256);
    state.storage.put_file(&key, rec.file.path()).await?;

    let now = state.now();
    let mut tx = state.db.begin().await?;
    let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO library_documents (sha256, title, description, category_id, format, original_name, size_bytes, \
         status, auto_publish, preview_pages, uploader_id, created_at, updated_at, price_kind, price) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'processing', $8, $9, $10, $11, $11, $12, $13) RETURNING id",
    )
    .bind(&rec.sha256)
    .bind(&title)
    .bind(fields.description.as_deref().unwrap_or(""))
    .bind(category_id)
    .bind(format.as_str())
    .bind(&rec.original_name)
    .bind(rec.size as i64)
    .bind(uploader.role.is_staff() as i64)
    .bind(fields.preview_pages)
    .bind(uploader.id)
    .bind(now)
    .bind(price_kind.as_str())
    .bind(price)
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Ok((id,)) => id,
        // Someone uploaded the same bytes a moment ago.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            drop(tx);
            return find_by_hash(state, uploader, &rec.sha256)
                .await?
                .ok_or(LibraryError::NotFound);
        }
        Err(e) => return Err(e.into()),
    };
    for tag in &fields.tags {
        sqlx::query("INSERT INTO library_document_tags (document_id, tag) VALUES ($1, $2)")
            .bind(id)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
    }
    state
        .jobs
        .enqueue(
            &mut tx,
            crate::convert_job::KIND,
            serde_json::json!({ "document_id": id }),
        )
        .await?;
    outbox::emit(
        &mut tx,
        now,
        "library.document.uploaded",
        id,
        serde_json::json!({ "format": format.as_str() }),
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: Some(uploader.id),
            action: "library.document.upload",
            subject: &format!("document:{id}"),
            detail: serde_json::json!({ "sha256": rec.sha256, "size": rec.size, "format": format.as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    state.jobs.wake();
    platform::metrics::UPLOADS.inc();
    Ok(Created {
        id,
        status: "processing".into(),
        duplicate: false,
    })
}

/// The id of the category with this slug, or a 400 naming the unknown slug.
pub(crate) async fn category_id(state: &AppState, slug: &str) -> LibResult<i64> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM library_categories WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&state.db.pool)
        .await?;
    row.map(|r| r.0)
        .ok_or_else(|| LibraryError::BadField(format!("unknown category `{slug}`")))
}

/// The document already holding these bytes, as the uploader may learn of it: its id
/// and status when they may see it (theirs, published, or they are staff); otherwise a
/// neutral refusal that names no document, so hidden uploads stay hidden.
async fn find_by_hash(
    state: &AppState,
    uploader: &User,
    sha256: &str,
) -> LibResult<Option<Created>> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM library_documents WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(doc) = (match row {
        Some((id,)) => crate::model::find(&state.db, id).await?,
        None => None,
    }) else {
        return Ok(None);
    };
    if crate::authz::hidden_from(Some(uploader), &doc) {
        return Err(LibraryError::WrongState(
            Code::DuplicateFile,
            platform::bi!(
                "这份文件已在文库中，不能重复上传。",
                "the same file is already in the library, so it cannot be uploaded again"
            )
            .into(),
        ));
    }
    Ok(Some(Created {
        id: doc.id,
        status: doc.status.as_str().to_string(),
        duplicate: true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_split_trimmed_and_deduplicated() {
        assert_eq!(
            parse_tags("社区, 养老，社区 ; \u{202E}").unwrap(),
            vec!["养老", "社区"]
        );
        assert!(
            parse_tags(
                &"x,"
                    .repeat(11)
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if c == 'x' {
                        char::from(b'a' + (i % 26) as u8)
                    } else {
                        c
                    })
                    .collect::<String>()
            )
            .is_err()
        );
    }

    #[test]
    fn file_names_lose_their_paths() {
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("C:\\Users\\a\\报告.docx"), "报告.docx");
        assert_eq!(sanitize_name(""), "upload");
        assert_eq!(sanitize_name("报告\u{202E}fdp.exe"), "报告fdp.exe");
    }

    #[test]
    fn titles_from_names_are_never_blank_and_lose_bidi_controls() {
        assert_eq!(title_from_name(".txt"), UNTITLED);
        assert_eq!(title_from_name("\u{2066} \u{2069}.pdf"), UNTITLED);
        assert_eq!(title_from_name("年报\u{202E}txt.exe.pdf"), "年报txt.exe");
        assert_eq!(title_from_name("README"), "README");
        assert_eq!(text_field("title", "a\u{202B}b".into(), 10).unwrap(), "ab");
    }
}
