//! The platform's own routes: accounts, language, health, metrics, static assets,
//! and the middleware that renders errors and counts responses.

use super::{Actor, AppError, AppResult, AppState, Lang, PageCtx, cookies, render, safe_next};
use crate::auth::{self, CreateUserError, Role, SessionKind};
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_form))
        .route("/register", get(register_page).post(register_form))
        .route("/logout", post(logout_form))
        .route("/lang/{code}", get(switch_lang))
        .route("/api/v1/auth/login", post(api_login))
        .route("/api/v1/auth/logout", post(api_logout))
        .route("/api/v1/me", get(api_me))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(super::account::router())
        .route(
            "/static/app.css",
            get(|| static_file(include_str!("../../static/app.css"), "text/css")),
        )
        .route(
            "/static/app.js",
            get(|| static_file(include_str!("../../static/app.js"), "text/javascript")),
        )
}

async fn static_file(body: &'static str, mime: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: PageCtx,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    page: PageCtx,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: PageCtx,
    headline: String,
    message: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(actor: Actor, Query(q): Query<NextQuery>) -> AppResult<Response> {
    let page = actor.page(actor.lang.pick("登录", "Sign in"));
    render(&LoginPage {
        page,
        error: None,
        username: String::new(),
        next: safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
    next: Option<String>,
}

/// The one login path for forms and the API: throttled, then checked.
async fn check_login(
    state: &AppState,
    actor: &Actor,
    username: &str,
    password: &str,
) -> AppResult<auth::User> {
    let now = state.now();
    if !state.limiter.try_attempt(&actor.ip, username, now).await? {
        crate::metrics::LOGIN_FAILURES.inc();
        return Err(too_many_attempts(actor.lang));
    }
    match auth::authenticate(&state.db, username, password).await? {
        Some(user) => {
            state.limiter.succeeded(&actor.ip, username).await?;
            Ok(user)
        }
        None => {
            crate::metrics::LOGIN_FAILURES.inc();
            Err(AppError::Unauthorized)
        }
    }
}

pub(crate) fn too_many_attempts(lang: Lang) -> AppError {
    AppError::TooManyRequests(
        lang.pick(
            "密码错误次数过多，请稍后再试。",
            "Too many wrong passwords; wait a few minutes and try again.",
        )
        .into(),
    )
}

/// Starts a browser session for `user_id` and sends the browser on to `to`.
async fn signed_in_redirect(state: &AppState, user_id: i64, to: &str) -> AppResult<Response> {
    let days = state.config.auth.session_days;
    let token =
        auth::create_session(&state.db, state.now(), user_id, SessionKind::Web, days).await?;
    let mut resp = Redirect::to(to).into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, session_cookie(state, &token));
    Ok(resp)
}

fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let age = state.config.auth.session_days * 86_400;
    HeaderValue::from_str(&cookies::set(
        cookies::SESSION,
        token,
        Some(age),
        state.config.auth.secure_cookies,
    ))
    .expect("cookie is ASCII")
}

async fn login_form(
    State(state): State<AppState>,
    actor: Actor,
    Form(f): Form<Credentials>,
) -> AppResult<Response> {
    let next = safe_next(f.next.as_deref());
    match check_login(&state, &actor, &f.username, &f.password).await {
        Ok(user) => signed_in_redirect(&state, user.id, &next).await,
        Err(e @ (AppError::Unauthorized | AppError::TooManyRequests(_))) => {
            let status = e.status();
            let error = match e {
                AppError::Unauthorized => actor
                    .lang
                    .pick("用户名或密码不正确。", "Wrong username or password.")
                    .to_string(),
                other => actor.lang.msg(&other.to_string()).to_string(),
            };
            let page = actor.page(actor.lang.pick("登录", "Sign in"));
            let mut resp = render(&LoginPage {
                page,
                error: Some(error),
                username: f.username,
                next,
            })?;
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

fn registration_closed(state: &AppState, lang: Lang) -> AppResult<()> {
    if state.config.auth.allow_registration {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            lang.pick("本站已关闭注册。", "Registration is closed on this site.")
                .into(),
        ))
    }
}

async fn register_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    registration_closed(&state, actor.lang)?;
    render(&RegisterPage {
        page: actor.page(actor.lang.pick("注册", "Register")),
        error: None,
        username: String::new(),
        next: safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
struct Registration {
    username: String,
    password: String,
    next: Option<String>,
}

async fn register_form(
    State(state): State<AppState>,
    actor: Actor,
    Form(f): Form<Registration>,
) -> AppResult<Response> {
    registration_closed(&state, actor.lang)?;
    let now = state.now();
    let next = safe_next(f.next.as_deref());
    if !state.registrations.try_take(&actor.ip, now).await? {
        let message = actor.lang.pick(
            "此网络地址注册的账号过多，请稍后再试。",
            "Too many accounts were registered from this address; try again later.",
        );
        let status = StatusCode::TOO_MANY_REQUESTS;
        return register_again(&actor, status, message, f.username, next);
    }
    match auth::create_user(
        &state.db,
        state.now(),
        &f.username,
        &f.password,
        Role::Member,
    )
    .await
    {
        Ok(user) => signed_in_redirect(&state, user.id, &next).await,
        Err(e) => {
            // Only accounts created use up the address's allowance.
            state.registrations.give_back(&actor.ip).await?;
            registration_refused(&actor, e, f.username, next)
        }
    }
}

/// The registration form again, saying what was wrong.
fn registration_refused(
    actor: &Actor,
    e: CreateUserError,
    username: String,
    next: String,
) -> AppResult<Response> {
    let message = match e {
        CreateUserError::Db(e) => return Err(e.into()),
        CreateUserError::Taken => actor
            .lang
            .pick("用户名已被占用。", "This username is taken."),
        CreateUserError::Invalid(rule) => actor.lang.msg(rule.0),
    };
    register_again(actor, StatusCode::BAD_REQUEST, message, username, next)
}

fn register_again(
    actor: &Actor,
    status: StatusCode,
    message: &str,
    username: String,
    next: String,
) -> AppResult<Response> {
    let mut resp = render(&RegisterPage {
        page: actor.page(actor.lang.pick("注册", "Register")),
        error: Some(message.to_string()),
        username,
        next,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

async fn logout_form(State(state): State<AppState>, actor: Actor) -> AppResult<Response> {
    if let Some(t) = &actor.session_token {
        auth::end_session(&state.db, t).await?;
    }
    let mut resp = Redirect::to("/").into_response();
    let clear = cookies::set(
        cookies::SESSION,
        "",
        Some(0),
        state.config.auth.secure_cookies,
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&clear).expect("ascii"),
    );
    Ok(resp)
}

async fn switch_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    req_headers: axum::http::HeaderMap,
) -> Response {
    let lang = if code == "en" { "en" } else { "zh" };
    // Go back where the reader was, if that was on this site.
    let back = req_headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()));
    let mut resp = Redirect::to(&safe_next(back.as_deref())).into_response();
    let c = cookies::set(
        cookies::LANG,
        lang,
        Some(365 * 86_400),
        state.config.auth.secure_cookies,
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c).expect("ascii"),
    );
    resp
}

async fn api_login(
    State(state): State<AppState>,
    actor: Actor,
    super::ApiJson(c): super::ApiJson<Credentials>,
) -> AppResult<Response> {
    let user = check_login(&state, &actor, &c.username, &c.password).await?;
    let token = auth::create_session(
        &state.db,
        state.now(),
        user.id,
        SessionKind::Api,
        state.config.auth.session_days,
    )
    .await?;
    Ok(Json(serde_json::json!({ "token": token, "user": user })).into_response())
}

async fn api_logout(State(state): State<AppState>, actor: Actor) -> AppResult<StatusCode> {
    actor.require_user()?;
    if let Some(t) = &actor.session_token {
        auth::end_session(&state.db, t).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn api_me(actor: Actor) -> AppResult<Json<auth::User>> {
    Ok(Json(actor.require_user()?.clone()))
}

async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(&state.db.pool).await {
        Ok(_) => Json(serde_json::json!({ "status": "ok", "database": state.db.backend.name() }))
            .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "database unavailable" })),
        )
            .into_response(),
    }
}

/// On the main address: administrators only.
async fn metrics(actor: Actor) -> AppResult<Response> {
    super::authz::authorize(&actor, super::authz::Action::ReadMetrics)?;
    Ok(metrics_text().await)
}

async fn metrics_text() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
        .into_response()
}

/// What the separate metrics address (`metrics.addr`) serves: `/metrics` and nothing else.
pub fn metrics_only() -> Router {
    Router::new().route("/metrics", get(metrics_text))
}

/// Counts responses and turns error responses into pages for browsers.
pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let wants_json = req.uri().path().starts_with("/api/")
        || req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.starts_with("application/json"));
    let lang = Lang::from_cookie(cookies::get(req.headers(), cookies::LANG));
    let csrf = req
        .extensions()
        .get::<super::csrf::CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    // Pages show the viewer's menu (also on an error page): find out who it is first.
    let path = req.uri().path();
    let is_page = !wants_json
        && !["/static/", "/hsds/", "/open311/"]
            .iter()
            .any(|p| path.starts_with(p));
    let (mut parts, body) = req.into_parts();
    let user = if is_page {
        let token = super::bearer_token(&parts)
            .or_else(|| cookies::get(&parts.headers, cookies::SESSION))
            .map(str::to_string);
        let found = match token {
            Some(t) if !t.is_empty() => auth::session_user(&state.db, state.now(), &t).await,
            _ => Ok(None),
        };
        // Handed on to the Actor extractor; a failed lookup is left for it to report.
        if let Ok(user) = &found {
            parts.extensions.insert(super::SessionUser(user.clone()));
        }
        found.ok().flatten()
    } else {
        None
    };
    let menu = if is_page {
        super::menu::items(&state, user.as_ref()).await
    } else {
        Vec::new()
    };
    let unread = match &user {
        Some(u) => crate::notify::unread(&state.db, u.id).await.unwrap_or(0),
        None => 0,
    };
    let req = Request::from_parts(parts, body);
    let resp = super::menu::scope(menu.clone(), unread, next.run(req)).await;
    let status = resp.status();
    crate::metrics::record_status(status.as_u16());
    let info = resp.extensions().get::<super::error::ErrorInfo>().cloned();
    let info = match info {
        Some(i) => i,
        // Axum's own rejections (bad path, bad form) are plain text: give them the same shape.
        None if status.is_client_error()
            && !wants_json
            && resp
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|c| c.as_bytes().starts_with(b"text/plain")) =>
        {
            super::error::ErrorInfo {
                code: super::Code::BadRequest.as_str(),
                message: String::new(),
            }
        }
        None => return resp,
    };
    if wants_json {
        return resp;
    }
    let headline = super::error::headline(status.as_u16(), lang);
    let message = super::error::page_message(status.as_u16(), lang, info.code, &info.message);
    let page = PageCtx {
        lang,
        user,
        csrf,
        title: headline.to_string(),
        menu,
        unread,
    };
    match render(&ErrorPage {
        page,
        headline: headline.to_string(),
        message,
    }) {
        Ok(mut html) => {
            *html.status_mut() = status;
            html
        }
        Err(_) => resp,
    }
}
