//! Reading multipart forms: a photo (checked by its first bytes and its size) and a
//! workflow step that may carry one.

use super::MAX_PHOTO;
use crate::error::CaseError;
use crate::workflow;
use axum::extract::Multipart;
use platform::web::Code;

/// JPEG, PNG or WebP by their first bytes (never by the name the browser sent).
fn image_type(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.len() > 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

pub(super) type Photo = (bytes::Bytes, &'static str);

/// A photo field of a form: none when left empty; refused past the size limit or when it
/// is not a JPEG, PNG or WebP image.
pub(super) async fn read_photo(
    field: axum::extract::multipart::Field<'_>,
) -> Result<Option<Photo>, String> {
    let too_big = || {
        format!(
            "照片不能超过 {} MB (the photo is larger than {} MB)",
            MAX_PHOTO >> 20,
            MAX_PHOTO >> 20
        )
    };
    let data = field.bytes().await.map_err(|_| too_big())?;
    if data.is_empty() {
        return Ok(None);
    }
    if data.len() > MAX_PHOTO {
        return Err(too_big());
    }
    let kind = image_type(&data).ok_or_else(|| {
        "照片须为 JPEG、PNG 或 WebP 图片 (the photo must be a JPEG, PNG or WebP image)".to_string()
    })?;
    Ok(Some((data, kind)))
}

/// A workflow step sent as multipart (the handling form, which may carry a photo).
pub(super) async fn read_step(
    mut mp: Multipart,
) -> Result<(workflow::OpInput, Option<Photo>), CaseError> {
    let broken = |_| {
        CaseError::invalid(
            Code::BadForm,
            "表单没有完整传到，请重试 (the form arrived incomplete; try again)",
        )
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut photo = None;
    while let Some(field) = mp.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            photo = read_photo(field)
                .await
                .map_err(|m| CaseError::invalid(Code::BadPhoto, m))?;
        } else {
            let value = field.text().await.map_err(broken)?;
            fields.push((name, value));
        }
    }
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    Ok((workflow::OpInput::from_form(body.as_bytes())?, photo))
}
