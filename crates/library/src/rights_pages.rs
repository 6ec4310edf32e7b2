//! Pages for rights and readers: the complaint form, the complaints and comments queues,
//! notifications, favourites with reading progress, the document page's comment, rating
//! and favourite forms, and the disclaimer and terms.

use crate::authz::Action;
use crate::error::{LibResult, LibraryError};
use crate::notifications::{self, Notification};
use crate::rights::{self, Complaint, Decision, Kind, NewComplaint};
use crate::{service, social};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use platform::web::{Id, PageCtx, SignedIn, redirect, render};
use platform::{Actor, AppState};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/documents/{id}/complain",
            get(complain_page).post(complain_form),
        )
        .route("/documents/{id}/comments", post(comment_form))
        .route("/documents/{id}/rate", post(rate_form))
        .route("/documents/{id}/favourite", post(favourite_form))
        .route("/moderation/complaints", get(complaints_page))
        .route("/moderation/complaints/{id}/decide", post(decide_form))
        .route("/moderation/rights-holders", post(rights_holder_form))
        .route("/moderation/comments", get(comments_page))
        .route(
            "/moderation/comments/{id}/{verb}",
            post(comment_moderate_form),
        )
        .route("/me/notifications", get(notifications_page))
        .route("/me/notifications/read", post(read_form))
        .route("/me/favourites", get(favourites_page))
        .route("/disclaimer", get(disclaimer))
        .route("/terms", get(terms))
}

fn when(ms: i64) -> String {
    platform::clock::format_ms(ms)
}

#[derive(Template)]
#[template(path = "complain.html")]
struct ComplainPage {
    page: PageCtx,
    id: i64,
    title: String,
    kind: String,
    reasons: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct KindQuery {
    kind: Option<String>,
}

async fn complain_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
    Id(id): Id,
    axum::extract::Query(q): axum::extract::Query<KindQuery>,
) -> LibResult<Response> {
    service::permitted(&state, &actor, Action::Complain)?;
    let doc = service::load(&state, &actor, id, Action::View).await?;
    Ok(render(&ComplainPage {
        page: actor.page(actor.lang.pick("投诉与举报", "Complain or report")),
        id,
        title: doc.title,
        kind: q.kind.unwrap_or_else(|| "copyright".into()),
        reasons: rights::REPORT_REASONS
            .iter()
            .map(|r| (r.0, actor.lang.pick(r.1, r.2)))
            .collect(),
        error: None,
    })?)
}

#[derive(Deserialize)]
struct ComplainForm {
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    contact: String,
}

async fn complain_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<ComplainForm>,
) -> LibResult<Response> {
    let kind = f.kind.clone();
    let result = match Kind::from_field(&f.kind) {
        Ok(k) => {
            rights::file(
                &state,
                &actor,
                id,
                NewComplaint {
                    kind: k,
                    reason: f.reason,
                    evidence: f.evidence,
                    contact: f.contact,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(redirect("/me/notifications")),
        Err(LibraryError::BadField(m)) | Err(LibraryError::WrongState(_, m)) => {
            let doc = service::load(&state, &actor, id, Action::View).await?;
            Ok(render(&ComplainPage {
                page: actor.page(actor.lang.pick("投诉与举报", "Complain or report")),
                id,
                title: doc.title,
                kind,
                reasons: rights::REPORT_REASONS
                    .iter()
                    .map(|r| (r.0, actor.lang.pick(r.1, r.2)))
                    .collect(),
                error: Some(actor.lang.msg(&m).to_string()),
            })?)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct CommentForm {
    body: String,
}

async fn comment_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<CommentForm>,
) -> LibResult<Response> {
    if actor.id().is_none() {
        return Ok(redirect(&format!("/login?next=/documents/{id}")));
    }
    let c = social::add_comment(&state, &actor, id, &f.body).await?;
    Ok(redirect(&format!("/documents/{id}#comment-{}", c.id)))
}

#[derive(Deserialize)]
struct RateForm {
    stars: i64,
}

async fn rate_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<RateForm>,
) -> LibResult<Response> {
    social::rate(&state, &actor, id, f.stars).await?;
    Ok(redirect(&format!("/documents/{id}#rating")))
}

#[derive(Deserialize)]
struct FavouriteForm {
    on: String,
}

async fn favourite_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<FavouriteForm>,
) -> LibResult<Response> {
    social::set_favourite(&state, &actor, id, f.on == "1").await?;
    Ok(redirect(&format!("/documents/{id}")))
}

pub struct ComplaintRow {
    pub c: Complaint,
    pub kind_label: &'static str,
    pub reason_label: String,
    pub at: String,
    /// The review deadline, and whether it has passed.
    pub due: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintsPage {
    page: PageCtx,
    open: Vec<ComplaintRow>,
    decided: Vec<ComplaintRow>,
    settings: rights::Settings,
    /// Verified rights holders, for operators (who manage them) only.
    holders: Option<Vec<(rights::RightsHolder, String)>>,
}

fn rows(actor: &Actor, items: Vec<Complaint>, now: i64) -> Vec<ComplaintRow> {
    items
        .into_iter()
        .map(|c| ComplaintRow {
            kind_label: c.kind.label(actor.lang),
            reason_label: rights::reason_label(&c.reason, actor.lang),
            at: when(c.created_at),
            due: when(c.review_by),
            overdue: c.state == "open" && now > c.review_by,
            c,
        })
        .collect()
}

async fn complaints_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    service::permitted(&state, &actor, Action::ReviewComplaints)?;
    let now = state.now();
    let open = rows(
        &actor,
        rights::list(&state.db, Some("open"), None).await?,
        now,
    );
    let mut decided = rows(
        &actor,
        rights::list(&state.db, Some("decided"), None).await?,
        now,
    );
    decided.truncate(30);
    let operator = service::permitted(&state, &actor, Action::VerifyRightsHolders).is_ok();
    let holders = match operator {
        true => Some(
            rights::rights_holders(&state.db)
                .await?
                .into_iter()
                .map(|h| {
                    let at = when(h.verified_at);
                    (h, at)
                })
                .collect(),
        ),
        false => None,
    };
    Ok(render(&ComplaintsPage {
        page: actor.page(actor.lang.pick("投诉队列", "Complaints queue")),
        open,
        decided,
        settings: rights::settings(&state.db).await?,
        holders,
    })?)
}

#[derive(Deserialize)]
struct RightsHolderForm {
    username: String,
    #[serde(default)]
    note: String,
    /// "1" verifies, anything else revokes.
    verified: String,
}

async fn rights_holder_form(
    State(state): State<AppState>,
    actor: Actor,
    Form(f): Form<RightsHolderForm>,
) -> LibResult<Response> {
    rights::set_rights_holder(&state, &actor, &f.username, &f.note, f.verified == "1").await?;
    Ok(redirect("/moderation/complaints#rights-holders"))
}

#[derive(Deserialize)]
struct DecideForm {
    decision: String,
    #[serde(default)]
    note: String,
}

async fn decide_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<DecideForm>,
) -> LibResult<Response> {
    rights::decide(&state, &actor, id, Decision::parse(&f.decision)?, &f.note).await?;
    Ok(redirect("/moderation/complaints"))
}

pub struct CommentRow {
    pub c: social::Comment,
    pub at: String,
}

#[derive(Template)]
#[template(path = "comment_queue.html")]
struct CommentsPage {
    page: PageCtx,
    items: Vec<CommentRow>,
}

async fn comments_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    service::permitted(&state, &actor, Action::ReviewComplaints)?;
    let items = social::queue(&state.db, state.now())
        .await?
        .into_iter()
        .map(|c| CommentRow {
            at: when(c.created_at),
            c,
        })
        .collect();
    Ok(render(&CommentsPage {
        page: actor.page(actor.lang.pick("评论管理", "Comments")),
        items,
    })?)
}

async fn comment_moderate_form(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, verb)): Path<(i64, String)>,
) -> LibResult<Response> {
    let show = match verb.as_str() {
        "show" => true,
        "hide" => false,
        _ => return Err(LibraryError::NotFound),
    };
    social::moderate_comment(&state, &actor, id, show).await?;
    Ok(redirect("/moderation/comments"))
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    page: PageCtx,
    items: Vec<(Notification, String)>,
    unread: i64,
}

async fn notifications_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    let user = actor.require_user()?.id;
    let items = notifications::list(&state.db, user, 100)
        .await?
        .into_iter()
        .map(|n| {
            let at = when(n.created_at);
            (n, at)
        })
        .collect();
    Ok(render(&NotificationsPage {
        page: actor.page(actor.lang.pick("通知", "Notifications")),
        items,
        unread: notifications::unread(&state.db, user).await?,
    })?)
}

async fn read_form(State(state): State<AppState>, actor: Actor) -> LibResult<Response> {
    let user = actor.id().ok_or(LibraryError::SignIn)?;
    notifications::mark_read(&state.db, user, None, state.now()).await?;
    Ok(redirect("/me/notifications"))
}

#[derive(Template)]
#[template(path = "favourites.html")]
struct FavouritesPage {
    page: PageCtx,
    items: Vec<social::Favourite>,
    progress: Option<Vec<social::Progress>>,
}

async fn favourites_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    let user = actor.require_user()?.id;
    let progress = social::progress(&state, &actor).await.ok();
    Ok(render(&FavouritesPage {
        page: actor.page(actor.lang.pick("我的收藏", "My favourites")),
        items: social::favourites(&state.db, user).await?,
        progress,
    })?)
}

#[derive(Template)]
#[template(path = "legal.html")]
struct LegalPage {
    page: PageCtx,
    terms: bool,
    /// The complaint rule in force, stated on the terms page.
    settings: rights::Settings,
}

async fn disclaimer(State(state): State<AppState>, actor: Actor) -> LibResult<Response> {
    Ok(render(&LegalPage {
        page: actor.page(actor.lang.pick("免责声明", "Disclaimer")),
        terms: false,
        settings: rights::settings(&state.db).await?,
    })?)
}

async fn terms(State(state): State<AppState>, actor: Actor) -> LibResult<Response> {
    Ok(render(&LegalPage {
        page: actor.page(actor.lang.pick("用户协议", "Terms of use")),
        terms: true,
        settings: rights::settings(&state.db).await?,
    })?)
}
