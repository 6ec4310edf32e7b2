//! Password pages: one's own password change, and an administrator's reset of another
//! account's password (set one, or generate one shown once). Both are audited and sign
//! the account out of its other sessions.

use super::authz::{Action, authorize};
use super::{Actor, AppError, AppResult, AppState, Code, Id, Lang, PageCtx, render, sign_in_first};
use crate::audit;
use crate::auth::{self, Role};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/password", get(own_page).post(own_form))
        .route("/admin/users", get(users_page))
        .route(
            "/admin/users/{id}/password",
            get(reset_page).post(reset_form),
        )
}

#[derive(Template)]
#[template(path = "password.html")]
struct OwnPage {
    page: PageCtx,
    error: Option<String>,
    done: bool,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn own_page(actor: Actor, Query(q): Query<DoneQuery>) -> AppResult<Response> {
    if let Some(r) = sign_in_first(&actor, "/me/password") {
        return Ok(r);
    }
    authorize(&actor, Action::ChangeOwnPassword)?;
    render(&OwnPage {
        page: actor.page(actor.lang.pick("修改密码", "Change password")),
        error: None,
        done: q.done.is_some(),
    })
}

#[derive(Deserialize)]
struct OwnForm {
    current: String,
    new: String,
    confirm: String,
}

async fn own_form(
    State(state): State<AppState>,
    actor: Actor,
    Form(f): Form<OwnForm>,
) -> AppResult<Response> {
    authorize(&actor, Action::ChangeOwnPassword)?;
    let user = actor.require_user()?;
    let refuse = |status: StatusCode, message: String| -> AppResult<Response> {
        let mut resp = render(&OwnPage {
            page: actor.page(actor.lang.pick("修改密码", "Change password")),
            error: Some(message),
            done: false,
        })?;
        *resp.status_mut() = status;
        Ok(resp)
    };
    // A stolen session must not become a way to guess the password: the sign-in limits apply.
    let now = state.now();
    if !state
        .limiter
        .try_attempt(&actor.ip, &user.username, now)
        .await?
    {
        let e = super::pages::too_many_attempts(actor.lang);
        return refuse(e.status(), e.to_string());
    }
    if !auth::check_password(&state.db, user.id, &f.current).await? {
        let msg = actor
            .lang
            .pick("当前密码不正确。", "The current password is wrong.");
        return refuse(StatusCode::BAD_REQUEST, msg.into());
    }
    state.limiter.succeeded(&actor.ip, &user.username).await?;
    if let Err(msg) = new_password(actor.lang, &f.new, &f.confirm) {
        return refuse(StatusCode::BAD_REQUEST, msg);
    }
    let hash = auth::hash_password(f.new).await;
    let mut tx = state.db.begin().await?;
    let keep = actor.session_token.as_deref();
    let ended = auth::replace_password(&mut tx, user.id, &hash, keep).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: Some(user.id),
            action: "account.password.change",
            subject: &format!("platform_user:{}", user.id),
            detail: serde_json::json!({ "sessions_ended": ended }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(super::redirect("/me/password?done=1"))
}

/// A new password typed twice: the same both times and strong enough.
fn new_password(lang: Lang, new: &str, confirm: &str) -> Result<(), String> {
    if new != confirm {
        return Err(lang
            .pick("两次输入的新密码不一致。", "The two new passwords differ.")
            .into());
    }
    auth::check_password_strength(new).map_err(|rule| lang.msg(rule.0).into())
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    page: PageCtx,
    q: String,
    users: Vec<(i64, String, Role)>,
    /// More accounts match than are shown.
    more: bool,
}

#[derive(Deserialize)]
struct UsersQuery {
    q: Option<String>,
}

const USERS_SHOWN: usize = 100;

async fn users_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(uq): Query<UsersQuery>,
) -> AppResult<Response> {
    if let Some(r) = sign_in_first(&actor, "/admin/users") {
        return Ok(r);
    }
    authorize(&actor, Action::ManageAccounts)?;
    let q = uq.q.unwrap_or_default().trim().to_string();
    // Escape LIKE's wildcards so a search for "a_b" means that name.
    let pattern = format!(
        "%{}%",
        q.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, username, role FROM platform_users \
         WHERE LOWER(username) LIKE LOWER($1) ESCAPE '\\' ORDER BY username LIMIT $2",
    )
    .bind(&pattern)
    .bind(USERS_SHOWN as i64 + 1)
    .fetch_all(&state.db.pool)
    .await?;
    let more = rows.len() > USERS_SHOWN;
    let users = rows
        .into_iter()
        .take(USERS_SHOWN)
        .map(|(id, name, role)| (id, name, Role::parse(&role).unwrap_or(Role::Member)))
        .collect();
    render(&UsersPage {
        page: actor.page(actor.lang.pick("账号管理", "Accounts")),
        q,
        users,
        more,
    })
}

#[derive(Template)]
#[template(path = "admin_password.html")]
struct ResetPage {
    page: PageCtx,
    target: auth::User,
    error: Option<String>,
    /// A generated password, shown on this one response only.
    generated: Option<String>,
    done: bool,
}

async fn target_user(state: &AppState, id: i64) -> AppResult<auth::User> {
    auth::find_user(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn reset_page(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Query(q): Query<DoneQuery>,
) -> AppResult<Response> {
    if let Some(r) = sign_in_first(&actor, &format!("/admin/users/{id}/password")) {
        return Ok(r);
    }
    authorize(&actor, Action::ManageAccounts)?;
    let target = target_user(&state, id).await?;
    render(&ResetPage {
        page: actor.page(actor.lang.pick("重置密码", "Reset password")),
        target,
        error: None,
        generated: None,
        done: q.done.is_some(),
    })
}

#[derive(Deserialize)]
struct ResetForm {
    /// `set` (the administrator types one) or `generate`.
    mode: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

async fn reset_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<ResetForm>,
) -> AppResult<Response> {
    authorize(&actor, Action::ManageAccounts)?;
    let admin = actor.require_user()?;
    let target = target_user(&state, id).await?;
    let page = |error: Option<String>, generated: Option<String>| ResetPage {
        page: actor.page(actor.lang.pick("重置密码", "Reset password")),
        target: target.clone(),
        error,
        generated,
        done: false,
    };
    let (password, generated) = match f.mode.as_str() {
        "generate" => {
            let p = auth::generate_password();
            (p.clone(), Some(p))
        }
        "set" => match new_password(actor.lang, &f.new, &f.confirm) {
            Ok(()) => (f.new, None),
            Err(msg) => {
                let mut resp = render(&page(Some(msg), None))?;
                *resp.status_mut() = StatusCode::BAD_REQUEST;
                return Ok(resp);
            }
        },
        _ => {
            let msg = actor.lang.pick(
                "请选择设置新密码或生成密码。",
                "Choose to set or to generate a password.",
            );
            return Err(AppError::coded(Code::BadMode, msg));
        }
    };
    let hash = auth::hash_password(password).await;
    let mut tx = state.db.begin().await?;
    // The account may be in someone else's hands: every one of its sessions ends.
    let ended = auth::replace_password(&mut tx, target.id, &hash, None).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: state.now(),
            actor_id: Some(admin.id),
            action: "account.password.reset",
            subject: &format!("platform_user:{}", target.id),
            detail: serde_json::json!({
                "mode": f.mode,
                "username": target.username,
                "sessions_ended": ended,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    match generated {
        // Shown once: not cached, not put in a URL.
        Some(p) => {
            let mut resp = render(&page(None, Some(p)))?;
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("private, no-store"),
            );
            Ok(resp.into_response())
        }
        None => Ok(super::redirect(&format!(
            "/admin/users/{id}/password?done=1"
        ))),
    }
}
