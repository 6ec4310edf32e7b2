//! VIP benefits beyond downloads: reading without the operator's promotion block (2),
//! documents as plain text or PDF (3), and copyright registration certificates chained by
//! hash, verifiable at a public URL (8).

use crate::authz::{Action, authorize};
use crate::error::{LibResult, LibraryError};
use crate::service;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use platform::db::Db;
use platform::web::{ApiJson, Id, PageCtx, render};
use platform::{Actor, AppState, audit};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/promotion",
            get(get_promotion).put(put_promotion),
        )
        .route("/api/v1/documents/{id}/convert/{format}", get(convert))
        .route("/documents/{id}/convert/{format}", get(convert))
        .route("/api/v1/documents/{id}/certificate", post(register))
        .route("/documents/{id}/certificate", post(register_form))
        .route("/api/v1/certificates/{code}", get(certificate_json))
        .route("/certificates/{code}", get(certificate_page))
}

async fn is_member(state: &AppState, actor: &Actor) -> LibResult<bool> {
    Ok(match actor.id() {
        Some(u) => crate::money::vip::is_member(&state.db, u, state.now()).await?,
        None => false,
    })
}

// ---- (2) the promotion block ----

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Promotion {
    pub text_zh: String,
    pub text_en: String,
    /// A site path (`/vip`) or an https:// address.
    pub link: String,
    pub active: bool,
}

pub async fn promotion(db: &Db) -> sqlx::Result<Promotion> {
    let (text_zh, text_en, link, active): (String, String, String, i64) =
        sqlx::query_as("SELECT text_zh, text_en, link, active FROM library_promotion WHERE id = 1")
            .fetch_one(&db.pool)
            .await?;
    Ok(Promotion {
        text_zh,
        text_en,
        link,
        active: active != 0,
    })
}

/// The block a reader sees on reading pages: none for VIP members.
pub async fn promotion_for(state: &AppState, actor: &Actor) -> LibResult<Option<Promotion>> {
    let p = promotion(&state.db).await?;
    if !p.active || is_member(state, actor).await? {
        return Ok(None);
    }
    Ok(Some(p))
}

async fn get_promotion(State(state): State<AppState>, actor: Actor) -> LibResult<Json<Value>> {
    service::permitted(&state, &actor, Action::ManageMoney)?;
    Ok(Json(json!({ "promotion": promotion(&state.db).await? })))
}

async fn put_promotion(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(p): ApiJson<Promotion>,
) -> LibResult<Json<Value>> {
    service::permitted(&state, &actor, Action::ManageMoney)?;
    let safe_link = p.link.is_empty()
        || (p.link.starts_with('/') && !p.link.starts_with("//"))
        || p.link.starts_with("https://");
    if !safe_link
        || p.link.len() > 500
        || p.text_zh.chars().count() > 300
        || p.text_en.chars().count() > 300
    {
        return Err(bad_field!(
            "文字不超过 300 字；链接须为本站路径（如 /vip）或 https:// 地址。",
            "texts up to 300 characters; `link` a site path like /vip or an https:// address"
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE library_promotion SET text_zh = $1, text_en = $2, link = $3, active = $4 WHERE id = 1",
    )
    .bind(p.text_zh.trim())
    .bind(p.text_en.trim())
    .bind(&p.link)
    .bind(p.active as i64)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: actor.id(),
            action: "library.promotion.set",
            subject: "promotion",
            detail: serde_json::to_value(&p).unwrap_or_default(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "promotion": promotion(&state.db).await? })))
}

// ---- (3) format conversion ----

/// The document as plain text (`txt`) or as a PDF of its text (`pdf`; a PDF original is
/// served as it is). A member benefit; it counts as a download (a VIP document's first one
/// uses a download right), so it is open exactly to those who may download.
async fn convert(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, format)): Path<(String, String)>,
) -> LibResult<Response> {
    let id = crate::api::parse_id(&id)?;
    if format != "txt" && format != "pdf" {
        return Err(LibraryError::NotFound);
    }
    let member = is_member(&state, &actor).await?;
    // Entitlement first, so that nobody learns more than a download would tell them.
    let doc = service::load(&state, &actor, id, Action::Download).await?;
    let privileged = actor.id() == Some(doc.uploader_id) || actor.is_staff();
    authorize(
        &actor,
        Action::VipBenefit {
            member: member || privileged,
        },
        Some(&doc),
        service::free_pages(&state),
    )?;
    let (doc, original) = service::download(&state, &actor, id).await?;
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT n, text FROM library_pages WHERE document_id = $1 ORDER BY n")
            .bind(id)
            .fetch_all(&state.db.pool)
            .await?;
    let stem = doc
        .original_name
        .rsplit_once('.')
        .map(|(s, _)| s.to_string())
        .unwrap_or_else(|| doc.original_name.clone());
    let (mime, name, body): (&str, String, Vec<u8>) = if format == "txt" {
        let mut text = format!("{}\n\n", doc.title);
        for (n, t) in &rows {
            text.push_str(&format!("—— 第 {n} 页 ——\n{}\n\n", t.trim_end()));
        }
        (
            "text/plain; charset=utf-8",
            format!("{stem}.txt"),
            text.into_bytes(),
        )
    } else if doc.format == convert::Format::Pdf {
        let original = original
            .bytes()
            .await
            .map_err(|e| LibraryError::Internal(e.into()))?;
        ("application/pdf", format!("{stem}.pdf"), original.to_vec())
    } else {
        let pages: Vec<String> = rows.into_iter().map(|(_, t)| t).collect();
        (
            "application/pdf",
            format!("{stem}.pdf"),
            text_pdf(&doc.title, &pages),
        )
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                service::attachment_header(&name),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        body,
    )
        .into_response())
}

/// A minimal PDF of text pages in the standard Chinese font STSong-Light (no embedding;
/// every PDF reader with the Adobe CJK fallback shows it). Each source page starts a new
/// sheet; long pages continue on the next.
pub fn text_pdf(title: &str, pages: &[String]) -> Vec<u8> {
    const LINES: usize = 52;
    const WIDTH: usize = 84; // half-width columns per line
    let mut sheets: Vec<Vec<String>> = Vec::new();
    for (i, text) in pages.iter().enumerate() {
        let mut lines = vec![if i == 0 {
            title.to_string()
        } else {
            String::new()
        }];
        for raw in text.lines() {
            let mut line = String::new();
            let mut cols = 0;
            for c in raw.chars() {
                let w = if c.is_ascii() { 1 } else { 2 };
                if cols + w > WIDTH {
                    lines.push(std::mem::take(&mut line));
                    cols = 0;
                }
                line.push(c);
                cols += w;
            }
            lines.push(line);
        }
        for chunk in lines.chunks(LINES) {
            sheets.push(chunk.to_vec());
        }
    }
    if sheets.is_empty() {
        sheets.push(vec![title.to_string()]);
    }
    let hex = |s: &str| -> String {
        s.chars()
            .filter(|c| (*c as u32) < 0x10000 && !c.is_control())
            .map(|c| format!("{:04X}", c as u32))
            .collect()
    };
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        String::new(), // pages, filled below
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [4 0 R] >>".into(),
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 5 0 R /DW 1000 >>".into(),
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>".into(),
    ];
    let mut kids = Vec::new();
    for lines in &sheets {
        let mut content = String::from("BT /F1 10.5 Tf 14 TL 50 800 Td\n");
        for l in lines {
            content.push_str(&format!("<{}> Tj T*\n", hex(l)));
        }
        content.push_str("ET");
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ));
        let content_id = objects.len();
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>"
        ));
        kids.push(format!("{} 0 R", objects.len()));
    }
    objects[1] = format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        kids.len()
    );
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

// ---- (8) copyright registration ----

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Certificate {
    pub seq: i64,
    pub code: String,
    pub document_id: i64,
    pub document_title: String,
    pub registrant_id: i64,
    pub registrant_name: String,
    pub file_sha256: String,
    pub registered_at: i64,
    pub prev_hash: String,
    pub hash: String,
    pub verify_url: String,
}

const CERT_COLUMNS: &str = "seq, code, document_id, document_title, registrant_id, registrant_name, file_sha256, registered_at, prev_hash, hash";
/// Read beside the columns: the page that verifies a certificate.
const VERIFY_URL: &str = "'/certificates/' || code AS verify_url";

/// The hash that chains a certificate to the one before it: changing or backdating any
/// certificate changes its hash and breaks every later link.
pub fn cert_hash(c: &Certificate) -> String {
    let mut h = Sha256::new();
    for part in [
        c.prev_hash.as_str(),
        &c.seq.to_string(),
        &c.code,
        &c.document_id.to_string(),
        &c.document_title,
        &c.registrant_id.to_string(),
        &c.registrant_name,
        &c.file_sha256,
        &c.registered_at.to_string(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// Registers the actor's own document (a member benefit); registering the same file again
/// returns the existing certificate.
pub async fn register_certificate(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> LibResult<(Certificate, bool)> {
    let member = is_member(state, actor).await?;
    service::permitted(state, actor, Action::VipBenefit { member })?;
    let user = actor
        .require_user()
        .map_err(|_| LibraryError::SignIn)?
        .clone();
    let doc = service::load(state, actor, id, Action::Edit).await?;
    if doc.uploader_id != user.id {
        return Err(LibraryError::Denied(
            platform::bi!(
                "只有文档的上传者可以登记版权。",
                "only the uploader of a document registers its copyright"
            )
            .into(),
        ));
    }
    let existing: Option<Certificate> = sqlx::query_as(&format!(
        "SELECT {CERT_COLUMNS}, {VERIFY_URL} FROM library_certificates WHERE document_id = $1 AND registrant_id = $2 AND file_sha256 = $3"
    ))
    .bind(doc.id)
    .bind(user.id)
    .bind(&doc.sha256)
    .fetch_optional(&state.db.pool)
    .await?;
    if let Some(r) = existing {
        return Ok((r, false));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    // The counter row serialises registrations, so the chain has no forks.
    let (seq,): (i64,) = sqlx::query_as(
        "UPDATE library_settings SET value = value + 1 WHERE name = 'certificate_seq' RETURNING value",
    )
    .fetch_one(&mut *tx)
    .await?;
    let prev: Option<(String,)> =
        sqlx::query_as("SELECT hash FROM library_certificates WHERE seq = $1")
            .bind(seq - 1)
            .fetch_optional(&mut *tx)
            .await?;
    let mut c = Certificate {
        seq,
        code: platform::auth::new_token()[..24].to_string(),
        document_id: doc.id,
        document_title: doc.title.clone(),
        registrant_id: user.id,
        registrant_name: user.display_name.clone(),
        file_sha256: doc.sha256.clone(),
        registered_at: now,
        prev_hash: prev.map(|p| p.0).unwrap_or_else(|| "0".repeat(64)),
        hash: String::new(),
        verify_url: String::new(),
    };
    c.hash = cert_hash(&c);
    c.verify_url = format!("/certificates/{}", c.code);
    sqlx::query(&format!(
        "INSERT INTO library_certificates ({CERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(c.seq)
    .bind(&c.code)
    .bind(c.document_id)
    .bind(&c.document_title)
    .bind(c.registrant_id)
    .bind(&c.registrant_name)
    .bind(&c.file_sha256)
    .bind(c.registered_at)
    .bind(&c.prev_hash)
    .bind(&c.hash)
    .execute(&mut *tx)
    .await?;
    let subject = format!("document:{}", doc.id);
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: Some(user.id),
            action: "library.certificate.register",
            subject: &subject,
            detail: json!({ "seq": c.seq, "hash": c.hash, "sha256": c.file_sha256 }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((c, true))
}

/// The certificate and whether the chain up to it verifies (None) or breaks at a seq.
pub async fn verify(db: &Db, code: &str) -> sqlx::Result<Option<(Certificate, Option<i64>)>> {
    let row: Option<Certificate> = sqlx::query_as(&format!(
        "SELECT {CERT_COLUMNS}, {VERIFY_URL} FROM library_certificates WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(&db.pool)
    .await?;
    let Some(cert) = row else {
        return Ok(None);
    };
    let rows: Vec<Certificate> = sqlx::query_as(&format!(
        "SELECT {CERT_COLUMNS}, {VERIFY_URL} FROM library_certificates WHERE seq <= $1 ORDER BY seq"
    ))
    .bind(cert.seq)
    .fetch_all(&db.pool)
    .await?;
    let mut prev = "0".repeat(64);
    let mut broken = None;
    let mut prev_time = i64::MIN;
    for (i, r) in rows.into_iter().enumerate() {
        if r.seq != i as i64 + 1
            || r.prev_hash != prev
            || cert_hash(&r) != r.hash
            || r.registered_at < prev_time
        {
            broken = Some(r.seq.min(i as i64 + 1));
            break;
        }
        prev_time = r.registered_at;
        prev = r.hash;
    }
    Ok(Some((cert, broken)))
}

async fn register(State(state): State<AppState>, actor: Actor, Id(id): Id) -> LibResult<Response> {
    let (c, created) = register_certificate(&state, &actor, id).await?;
    Ok(platform::web::created_or_replayed(
        created,
        json!({ "certificate": c }),
    ))
}

async fn register_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Response> {
    let (c, _) = register_certificate(&state, &actor, id).await?;
    Ok(platform::web::redirect(&c.verify_url))
}

async fn certificate_json(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> LibResult<Json<Value>> {
    service::permitted(&state, &actor, Action::VerifyCertificate)?;
    let (c, broken) = verify(&state.db, &code)
        .await?
        .ok_or(LibraryError::NotFound)?;
    Ok(Json(
        json!({ "certificate": c, "chain_intact": broken.is_none(), "broken_at": broken }),
    ))
}

#[derive(Template)]
#[template(path = "certificate.html")]
struct CertificatePage {
    page: PageCtx,
    c: Certificate,
    intact: bool,
    at: String,
}

async fn certificate_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> LibResult<Response> {
    service::permitted(&state, &actor, Action::VerifyCertificate)?;
    let (c, broken) = verify(&state.db, &code)
        .await?
        .ok_or(LibraryError::NotFound)?;
    Ok(render(&CertificatePage {
        page: actor.page(
            actor
                .lang
                .pick("版权登记证书", "Copyright registration certificate"),
        ),
        at: platform::clock::format_ms(c.registered_at),
        intact: broken.is_none(),
        c,
    })?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_pdf_is_well_formed() {
        let pdf = super::text_pdf("标题", &["第一页内容 line one".into(), "x".repeat(10_000)]);
        let s = String::from_utf8_lossy(&pdf);
        assert!(s.starts_with("%PDF-1.4"));
        assert!(s.trim_end().ends_with("%%EOF"));
        assert!(s.contains("/STSong-Light"));
        // 10,000 characters at 84 per line and 52 lines per sheet need 3 sheets.
        assert!(s.contains("/Count 4"), "{}", &s[..400]);
    }
}
