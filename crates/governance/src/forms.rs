//! Form plumbing shared by the governance pages: the posted fields as typed (shown again
//! beside an error), numbers read from them, and the save-or-show-errors split.

use crate::error::{GovError, GovResult, Invalid};
use axum::http::StatusCode;
use axum::response::Response;
use platform::web::Code;

/// The `?saved=1` a saved form redirects with, so the page it lands on says so.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Flash {
    pub saved: Option<String>,
}

/// Posted form fields in order (a field may repeat, e.g. checkboxes).
#[derive(Clone, Debug, Default)]
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    /// The first value of `k`, or "" (templates show it back as typed).
    pub fn get(&self, k: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of a repeated field.
    pub fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether a repeated field holds `v` (a ticked checkbox).
    pub fn has(&self, k: &str, v: &str) -> bool {
        self.0.iter().any(|(key, val)| key == k && val == v)
    }

    pub fn set(&mut self, k: &str, v: impl Into<String>) {
        self.0.retain(|(key, _)| key != k);
        self.0.push((k.to_string(), v.into()));
    }

    /// A whole number, `None` when empty; anything else is an input error on that field.
    pub fn int(&self, field: &'static str) -> GovResult<Option<i64>> {
        whole(field, self.get(field)).map_err(GovError::Invalid)
    }

    pub fn text(&self, field: &str) -> Option<String> {
        Some(self.get(field).to_string())
    }
}

/// A typed whole number, `None` when empty; anything else is an input error on `field`.
pub fn whole(field: &'static str, raw: &str) -> Result<Option<i64>, Invalid> {
    typed(
        field,
        raw,
        "不是整数，请填写数字。",
        "is not a whole number",
    )
}

/// A typed decimal number (a coordinate), `None` when empty.
pub fn decimal(field: &'static str, raw: &str) -> Result<Option<f64>, Invalid> {
    typed(field, raw, "不是数字。", "is not a number")
}

fn typed<T: std::str::FromStr>(
    field: &'static str,
    raw: &str,
    not_zh: &str,
    not_en: &str,
) -> Result<Option<T>, Invalid> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<T>().map(Some).map_err(|_| {
        Invalid::new(
            Code::InvalidNumber,
            field,
            format!("“{v}”{not_zh}"),
            format!("“{v}” {not_en}"),
        )
    })
}

/// Splits a save's outcome: saved, the user's input to show again with its errors
/// (`Err` inside), or a failure that is not the user's to fix (the outer error).
pub fn saved<T>(result: GovResult<T>) -> GovResult<Result<T, Invalid>> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(e) => match e.as_input().cloned() {
            Some(inv) => Ok(Err(inv)),
            None => Err(e),
        },
    }
}

/// A re-shown form answers 409 for a conflict (taken, already decided) and 400 otherwise.
pub fn with_error_status(mut resp: Response, error: Option<&Invalid>, conflict: bool) -> Response {
    if error.is_some() {
        *resp.status_mut() = if conflict {
            StatusCode::CONFLICT
        } else {
            StatusCode::BAD_REQUEST
        };
    }
    resp
}

/// Whether an error is a conflict (so a form answers 409): its code says so in the table.
pub fn is_conflict(e: &Invalid) -> bool {
    e.code.status() == StatusCode::CONFLICT
}
