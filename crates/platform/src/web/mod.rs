//! The web kit shared by every module: state, the acting user, page context, CSRF,
//! error rendering and small helpers.

mod account;
pub mod authz;
pub mod charts;
pub mod client_ip;
pub mod code;
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod feed;
pub mod i18n;
pub mod menu;
pub mod module_error;
pub mod pages;
pub mod serve;

use crate::auth::{self, LoginLimiter, RateLimit, Role, User};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::Db;
use crate::jobs::JobQueue;
use crate::storage::Storage;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
pub use code::Code;
pub use error::{AppError, AppResult};
pub use extract::{ApiJson, Id, Opt, Page, Paging, SignedIn, parse_id, url_encode};
pub use i18n::Lang;
pub use module_error::ModuleError;
use std::net::SocketAddr;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

pub struct Inner {
    /// This node among several over one database (ADR 041).
    pub cluster: crate::cluster::Cluster,
    pub config: Config,
    pub db: Db,
    pub storage: Storage,
    pub clock: SharedClock,
    pub jobs: JobQueue,
    pub limiter: LoginLimiter,
    /// New accounts per address.
    pub registrations: RateLimit,
    /// Whose `X-Forwarded-For` names the client (`auth.trusted_proxies`).
    pub proxies: client_ip::TrustedProxies,
    /// The binary re-executed to convert files in a bounded child process.
    pub converter_exe: PathBuf,
    /// Services that modules attach at start-up (a search index, …), by type.
    pub ext: std::sync::RwLock<
        std::collections::HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>,
    >,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// A service a module attached with [`AppState::attach`].
    pub fn ext<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let map = self.ext.read().expect("ext lock");
        map.get(&std::any::TypeId::of::<T>())
            .cloned()
            .and_then(|v| v.downcast::<T>().ok())
    }

    pub fn attach<T: std::any::Any + Send + Sync>(&self, value: Arc<T>) {
        self.ext
            .write()
            .expect("ext lock")
            .insert(std::any::TypeId::of::<T>(), value);
    }
}

/// Who is making the request, however they authenticated.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: Option<User>,
    pub lang: Lang,
    pub csrf: String,
    pub ip: String,
    pub session_token: Option<String>,
}

impl Actor {
    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|u| u.role)
    }
    pub fn id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }
    pub fn require_user(&self) -> AppResult<&User> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }
    pub fn is_staff(&self) -> bool {
        self.role().is_some_and(Role::is_staff)
    }
    /// The context every page template receives.
    pub fn page(&self, title: impl Into<String>) -> PageCtx {
        PageCtx {
            lang: self.lang,
            user: self.user.clone(),
            csrf: self.csrf.clone(),
            title: title.into(),
            menu: menu::current(),
            unread: menu::unread(),
        }
    }
}

pub fn bearer_token(parts: &Parts) -> Option<&str> {
    bearer_token_in(&parts.headers)
}

pub fn bearer_token_in(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The user a request's session or bearer token resolved to, when the page middleware has
/// looked it up already (so the `Actor` extractor does not ask the database again).
#[derive(Clone)]
pub(crate) struct SessionUser(pub Option<User>);

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Actor, AppError> {
        let token = bearer_token(parts)
            .or_else(|| cookies::get(&parts.headers, cookies::SESSION))
            .map(str::to_string);
        // A page request's user was looked up once already, for its menu (render_errors).
        let user = match (parts.extensions.get::<SessionUser>(), &token) {
            (Some(SessionUser(known)), _) => known.clone(),
            (None, Some(t)) if !t.is_empty() => {
                auth::session_user(&state.db, state.now(), t).await?
            }
            _ => None,
        };
        // A bearer token that does not resolve is an error, not an anonymous request.
        if user.is_none() && bearer_token(parts).is_some() {
            return Err(AppError::Unauthorized);
        }
        let lang = Lang::from_cookie(cookies::get(&parts.headers, cookies::LANG));
        let csrf = parts
            .extensions
            .get::<csrf::CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| {
                state
                    .proxies
                    .client_ip(c.0.ip(), &parts.headers)
                    .to_string()
            })
            .unwrap_or_else(|| "unknown".into());
        Ok(Actor {
            user,
            lang,
            csrf,
            ip,
            session_token: token,
        })
    }
}

/// What the base layout needs on every page.
#[derive(Clone, Debug)]
pub struct PageCtx {
    pub lang: Lang,
    pub user: Option<User>,
    pub csrf: String,
    pub title: String,
    /// The modules' main-menu entries this viewer may open.
    pub menu: Vec<menu::MenuItem>,
    /// Unread notifications, shown on the bell.
    pub unread: i64,
}

impl PageCtx {
    pub fn is_staff(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.is_staff())
    }
    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Admin)
    }
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }
    /// Whether the viewer has modules' main-menu entries (staff of units, organisations):
    /// the layout then folds the library's links into one menu.
    pub fn has_work_menu(&self) -> bool {
        self.menu.iter().any(|m| m.main)
    }
    /// Whether a module said this viewer may open `href` (see [`menu`]).
    pub fn may_open(&self, href: &str) -> bool {
        self.menu.iter().any(|m| m.href == href)
    }
}

/// Renders an askama template into a response.
pub fn render<T: askama::Template>(t: &T) -> AppResult<Response> {
    let html = t
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(Html(html).into_response())
}

/// A redirect target from user input: only a path on this site, else `/`.
///
/// Browsers drop tabs and newlines inside URLs (`/\t/host` becomes `//host`, another site)
/// and read `\` as `/`, so any control character, backslash or a `//` start is refused.
/// Characters a `Location` header cannot carry (spaces, non-ASCII) are percent-encoded.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => encode_path(n),
        _ => "/".to_string(),
    }
}

fn is_local_path(n: &str) -> bool {
    n.starts_with('/')
        && !n.starts_with("//")
        && !n
            .chars()
            .any(|c| c == '\\' || c.is_control() || is_invisible_format(c))
}

/// Unicode format characters that render as nothing or reorder text (bidi controls,
/// zero-width characters, the byte-order mark): they hide what a link really says.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Percent-encodes what is not visible ASCII; `%` itself stays (the path may be encoded already).
fn encode_path(n: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'<')
        .add(b'>')
        .add(b'`');
    percent_encoding::utf8_percent_encode(n, SET).to_string()
}

/// Pages send anonymous readers to the sign-in page, and back to `here` afterwards.
pub fn sign_in_first(actor: &Actor, here: &str) -> Option<Response> {
    actor.user.is_none().then(|| {
        // `&`, `#`, `+` and `%` would change the query's meaning; `/` reads better as is.
        const VALUE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
            .add(b' ')
            .add(b'#')
            .add(b'%')
            .add(b'&')
            .add(b'+');
        let target = safe_next(Some(here));
        let next = percent_encoding::utf8_percent_encode(&target, VALUE);
        redirect(&format!("/login?next={next}"))
    })
}

/// A 303 to `to`; a target no header can carry goes to `/` instead of panicking.
pub fn redirect(to: &str) -> Response {
    if axum::http::HeaderValue::from_str(to).is_ok() {
        Redirect::to(to).into_response()
    } else {
        Redirect::to("/").into_response()
    }
}

/// An idempotent create's answer: 201 when this call made the record, 200 when it replayed
/// one an earlier call with the same key made.
pub fn created_or_replayed(created: bool, body: impl serde::Serialize) -> Response {
    let status = if created {
        axum::http::StatusCode::CREATED
    } else {
        axum::http::StatusCode::OK
    };
    (status, axum::Json(body)).into_response()
}

pub fn format_bytes(n: i64) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{:.1} MB", n / 1024.0 / 1024.0)
    } else if n >= 1024.0 {
        format!("{:.0} KB", n / 1024.0)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/documents/1")), "/documents/1");
        assert_eq!(
            safe_next(Some("/search?q=a%20b&page=2")),
            "/search?q=a%20b&page=2"
        );
        assert_eq!(safe_next(None), "/");
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "evil.example",
            "",
            "/\\evil",
            "\\\\evil",
            "/\t/evil.example/x",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\u{0B}/evil.example",
            "/\u{0C}/evil.example",
            "/\0/evil.example",
            "/\u{7F}/evil.example",
            "/\u{85}/evil.example",
            "/\u{202E}/evil.example",
            "/\u{2066}x",
            "/\u{200B}/evil.example",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
    }

    #[test]
    fn next_is_a_valid_header_value() {
        assert_eq!(safe_next(Some("/文档 1")), "/%E6%96%87%E6%A1%A3%201");
        assert!(axum::http::HeaderValue::from_str(&safe_next(Some("/a\"b<c>`d"))).is_ok());
    }

    #[test]
    fn sign_in_first_keeps_the_query_of_here() {
        let actor = Actor {
            user: None,
            lang: Lang::Zh,
            csrf: String::new(),
            ip: String::new(),
            session_token: None,
        };
        let r = sign_in_first(&actor, "/cases?page=2&q=a%20b").expect("anonymous");
        assert_eq!(
            r.headers()["location"],
            "/login?next=/cases?page=2%26q=a%2520b"
        );
    }

    #[test]
    fn redirect_never_panics() {
        assert_eq!(redirect("/ok").headers()["location"], "/ok");
        assert_eq!(redirect("/bad\nheader").headers()["location"], "/");
    }
}
