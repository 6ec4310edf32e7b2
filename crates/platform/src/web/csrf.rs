//! CSRF protection for every cookie-authenticated write (ADR 003).
//!
//! Each browser gets a random `gz_csrf` cookie; every form carries the same value in a
//! `_csrf` field (or the `X-CSRF-Token` header, or `?_csrf=` for multipart forms, whose
//! bodies we do not buffer here). Requests authenticated by a valid bearer token, and JSON
//! requests (which another site cannot send without a CORS preflight we never grant),
//! need no token. Any other `Authorization` header earns nothing: a browser may add one
//! by itself (HTTP Basic to a proxy), and a junk token must not unlock a cookie session.
//! A mismatching `Origin` is refused outright.

use super::code::Code;
use super::cookies;
use super::error::AppError;
use crate::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// How the CSRF layer is set up: secure cookies, and the path prefixes of routes that
/// authenticate by a key in the request itself and never act on a session cookie (so a
/// forged cross-site request gains nothing there), e.g. Open311.
#[derive(Clone, Debug)]
pub struct CsrfConfig {
    pub secure: bool,
    pub key_authenticated: std::sync::Arc<[&'static str]>,
}

pub async fn protect(
    State((cfg, state)): State<(CsrfConfig, AppState)>,
    req: Request,
    next: Next,
) -> Response {
    let secure = cfg.secure;
    let existing = cookies::get(req.headers(), cookies::CSRF)
        .filter(|t| t.len() == 64)
        .map(str::to_string);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (crate::auth::new_token(), true),
    };
    let exempt = cfg
        .key_authenticated
        .iter()
        .any(|p| req.uri().path().starts_with(p));
    let checked = if exempt {
        Ok(req)
    } else {
        check(&state, req, &token, fresh).await
    };
    let req = match checked {
        Ok(req) => req,
        Err(e) => return e.into_response(),
    };
    let mut req = req;
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    if fresh {
        let cookie = cookies::set(cookies::CSRF, &token, None, secure);
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

fn expired() -> AppError {
    AppError::Forbidden(
        crate::bi!(
            "表单已过期或来自其他网站，请刷新页面后重试。",
            "This form has expired or came from another site. Reload the page and try again."
        )
        .into(),
    )
}

async fn check(
    state: &AppState,
    req: Request,
    token: &str,
    fresh: bool,
) -> Result<Request, AppError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(req);
    }
    let headers = req.headers();
    if let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        let origin = origin.to_str().unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        if origin != "null" && origin_host != host.to_str().unwrap_or("") {
            return Err(expired());
        }
    }
    if bearer_exempts(state, headers).await? {
        return Ok(req);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if content_type.starts_with("application/json") {
        return Ok(req);
    }
    if fresh {
        return Err(expired());
    }
    let from_header = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let from_query = req
        .uri()
        .query()
        .and_then(|q| form_field(q.as_bytes(), "_csrf"));
    if let Some(given) = from_header.or(from_query) {
        return if eq(&given, token) {
            Ok(req)
        } else {
            Err(expired())
        };
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let (parts, body) = req.into_parts();
        let bytes = to_bytes(body, MAX_FORM_BYTES).await.map_err(unread_form)?;
        let given = form_field(&bytes, "_csrf").unwrap_or_default();
        if !eq(&given, token) {
            return Err(expired());
        }
        return Ok(Request::from_parts(parts, Body::from(bytes)));
    }
    Err(expired())
}

/// Why a form body could not be read: it stalled, it was too large, or the client left.
fn unread_form(e: axum::Error) -> AppError {
    if super::serve::is_body_timeout(&e) {
        AppError::of(Code::BodyTimeout)
    } else if e.to_string().contains("length limit") {
        AppError::TooLarge("The form is too large. (表单过大)".into())
    } else {
        AppError::of(Code::BadBody)
    }
}

/// A bearer token that names a live session authenticates the request by itself (the
/// actor is its user, not the cookie's). A bearer that does not resolve, sent without a
/// session cookie, carries no ambient authority either: the request is refused as
/// unauthorised further on. With a session cookie it exempts nothing.
async fn bearer_exempts(state: &AppState, headers: &HeaderMap) -> Result<bool, AppError> {
    let Some(bearer) = super::bearer_token_in(headers) else {
        return Ok(false);
    };
    if cookies::get(headers, cookies::SESSION).is_none() {
        return Ok(true);
    }
    Ok(!bearer.is_empty()
        && crate::auth::session_user(&state.db, state.now(), bearer)
            .await?
            .is_some())
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let s = std::str::from_utf8(pair).ok()?;
        let (k, v) = s.split_once('=')?;
        (k == name).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// Comparison whose time does not depend on where the strings differ.
fn eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_form_fields() {
        assert_eq!(
            form_field(b"a=1&_csrf=abc%20d&b=2", "_csrf").as_deref(),
            Some("abc d")
        );
        assert_eq!(form_field(b"a=1", "_csrf"), None);
    }

    #[test]
    fn constant_time_eq() {
        assert!(eq("abc", "abc"));
        assert!(!eq("abc", "abd"));
        assert!(!eq("abc", "ab"));
    }
}
