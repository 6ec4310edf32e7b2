//! The workbench (工作台): for staff, the one page that says what waits for them — cases
//! to sign for or verify, drafts to publish, and whatever later modules add through their
//! `todos` hook — with counts and the nearest deadline, and their latest notifications.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use gov_core::GovActor;
use platform::AppState;
use platform::clock::format_ms;
use platform::module::{Todo, todos};
use platform::web::menu::{Menu, MenuItem};
use platform::web::{AppResult, PageCtx, SignedIn, render};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workbench", get(page))
        .route("/api/v1/workbench", get(api))
}

/// The workbench is for those who work somewhere: unit staff, organisation staff and
/// platform administrators.
fn is_staff(actor: &GovActor) -> bool {
    actor.is_staff() || !actor.org_links.is_empty()
}

pub fn menu<'a>(state: &'a AppState, user: &'a platform::auth::User) -> Menu<'a> {
    Box::pin(async move {
        let Ok(a) = GovActor::of_user(&state.db, user).await else {
            return Vec::new();
        };
        let item = |href, zh, en| MenuItem::new(href, zh, en, true);
        let mut out = Vec::new();
        if is_staff(&a) {
            out.push(item("/workbench", "工作台", "Workbench"));
        }
        if crate::pages::authorize(&a).is_ok() {
            out.push(item("/overview", "总览", "Overview"));
        }
        out
    })
}

/// The user's to-dos, most urgent first: those with a deadline by deadline, then the rest
/// by how many wait.
async fn sorted(state: &AppState, user: &platform::auth::User) -> Vec<Todo> {
    let mut all = todos(state, user).await;
    all.sort_by_key(|t| (t.due_ms.is_none(), t.due_ms, std::cmp::Reverse(t.count)));
    all
}

async fn api(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> AppResult<Json<Value>> {
    let user = actor.user.clone().expect("signed in");
    let items: Vec<Value> = sorted(&state, &user)
        .await
        .iter()
        .map(|t| {
            json!({ "href": t.href, "label": actor.lang.pick(&t.zh, &t.en), "count": t.count,
                    "due_at": t.due_ms.map(platform::web::feed::rfc3339) })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

pub struct Item {
    pub href: String,
    pub label: String,
    pub count: u64,
    pub due: String,
    pub overdue: bool,
}

pub struct Notice {
    pub text: String,
    pub link: String,
    pub at: String,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct Page {
    page: PageCtx,
    items: Vec<Item>,
    total: u64,
    notices: Vec<Notice>,
    staff: bool,
}

async fn page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> AppResult<Response> {
    let user = actor.user.clone().expect("signed in");
    let now = state.clock.now_ms();
    let lang = actor.lang;
    let items: Vec<Item> = sorted(&state, &user)
        .await
        .into_iter()
        .map(|t| Item {
            label: lang.pick(&t.zh, &t.en).to_string(),
            due: t.due_ms.map(format_ms).unwrap_or_default(),
            overdue: t.due_ms.is_some_and(|d| d < now),
            href: t.href,
            count: t.count,
        })
        .collect();
    let notices = platform::notify::list(&state.db, user.id, 8)
        .await?
        .into_iter()
        .map(|n| Notice {
            text: lang.pick(&n.text_zh, &n.text_en).to_string(),
            link: n.link,
            at: format_ms(n.created_at),
            read: n.read,
        })
        .collect();
    render(&Page {
        page: actor.page(lang.pick("工作台", "Workbench")),
        total: items.iter().map(|i| i.count).sum(),
        items,
        notices,
        staff: is_staff(&actor),
    })
}
