//! The library's server-rendered pages.

use crate::authz::{Action, authorize, visible_pages};
use crate::error::{LibResult, LibraryError};
use crate::model::PriceKind;
use crate::model::{self, Category, Document, Status};
use crate::{service, upload};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use platform::web::i18n::Lang;
use platform::web::{Id, PageCtx, SignedIn, format_bytes, redirect, render};
use platform::{Actor, AppState};
use serde::Deserialize;

pub fn router(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/categories/{slug}", get(category))
        .route("/documents/{id}", get(document))
        .route("/documents/{id}/download", get(crate::api::download))
        .route("/documents/{id}/approve", post(approve_form))
        .route("/documents/{id}/reject", post(reject_form))
        .route("/documents/{id}/take-down", post(take_down_form))
        .route("/documents/{id}/restore", post(restore_form))
        .route("/documents/{id}/delete", post(delete_form))
        .route("/documents/{id}/edit", get(edit_page).post(edit_form))
        .route(
            "/upload",
            get(upload_page)
                .post(upload_form)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/me/uploads", get(my_uploads))
        .route("/moderation", get(moderation))
        .route(
            "/static/library.js",
            get(|| async {
                (
                    [
                        (axum::http::header::CONTENT_TYPE, "text/javascript"),
                        (axum::http::header::CACHE_CONTROL, "public, max-age=300"),
                    ],
                    include_str!("../static/library.js"),
                )
            }),
        )
}

/// A document as a card in a list.
pub struct Card {
    pub id: i64,
    pub title: String,
    pub format: String,
    pub pages: i64,
    pub uploader: String,
    pub views: i64,
    pub downloads: i64,
    pub date: String,
    pub has_thumb: bool,
    pub status: Status,
    pub status_label: &'static str,
    pub error: Option<String>,
    pub reject_reason: Option<String>,
    pub progress: String,
    pub price_kind: PriceKind,
    /// Yuan, e.g. "3.00".
    pub price: String,
}

fn card(actor: &Actor, d: &Document) -> Card {
    Card {
        id: d.id,
        title: d.title.clone(),
        format: d.format.as_str().to_uppercase(),
        pages: d.pages,
        uploader: d.uploader_name.clone(),
        views: d.views,
        downloads: d.downloads,
        date: platform::clock::format_ms(d.published_at.unwrap_or(d.created_at)),
        has_thumb: d.thumb_key.is_some(),
        status: d.status,
        status_label: d.status.label(actor.lang),
        error: d.error.clone(),
        reject_reason: d.reject_reason.clone(),
        price_kind: d.price_kind,
        price: crate::money::ledger::Fen(d.price).yuan(),
        progress: if d.progress_total > 0 {
            format!("{}/{}", d.progress_done, d.progress_total)
        } else {
            String::new()
        },
    }
}

fn cards(actor: &Actor, docs: &[Document]) -> Vec<Card> {
    docs.iter().map(|d| card(actor, d)).collect()
}

pub struct CatLink {
    pub slug: String,
    pub name: String,
    pub child: bool,
}

fn cat_links(actor: &Actor, cats: &[Category]) -> Vec<CatLink> {
    let mut out = Vec::new();
    for top in cats.iter().filter(|c| c.parent_id.is_none()) {
        out.push(CatLink {
            slug: top.slug.clone(),
            name: top.name(actor.lang).to_string(),
            child: false,
        });
        for c in cats.iter().filter(|c| c.parent_id == Some(top.id)) {
            out.push(CatLink {
                slug: c.slug.clone(),
                name: c.name(actor.lang).to_string(),
                child: true,
            });
        }
    }
    out
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: PageCtx,
    newest: Vec<Card>,
    popular: Vec<Card>,
    categories: Vec<CatLink>,
    recent: Vec<crate::search_api::RecentDownload>,
    week: Vec<(i64, String, i64)>,
}

async fn home(State(state): State<AppState>, actor: Actor) -> LibResult<Response> {
    let published = model::with_status(Status::Ready);
    let newest = model::list(&state.db, &published, model::NEWEST, 12, 0).await?;
    let popular = model::list(
        &state.db,
        &published,
        "d.downloads * 5 + d.views DESC, d.id DESC",
        8,
        0,
    )
    .await?;
    let cats = model::categories(&state.db).await?;
    let recent = crate::search_api::recent(&state, 8).await?;
    let week = crate::search_api::popular_week(&state, 8).await?;
    let page = actor.page(actor.lang.pick("文库首页", "Library"));
    Ok(render(&HomePage {
        newest: cards(&actor, &newest),
        popular: cards(&actor, &popular),
        categories: cat_links(&actor, &cats),
        recent,
        week,
        page,
    })?)
}

#[derive(Template)]
#[template(path = "category.html")]
struct CategoryPage {
    page: PageCtx,
    name: String,
    docs: Vec<Card>,
    categories: Vec<CatLink>,
    current: String,
}

async fn category(
    State(state): State<AppState>,
    actor: Actor,
    Path(slug): Path<String>,
) -> LibResult<Response> {
    let cats = model::categories(&state.db).await?;
    let cat = cats
        .iter()
        .find(|c| c.slug == slug)
        .ok_or(LibraryError::NotFound)?;
    let in_category = model::published_in(cat.id);
    let docs = model::list(&state.db, &in_category, model::NEWEST, 100, 0).await?;
    let name = cat.name(actor.lang).to_string();
    Ok(render(&CategoryPage {
        page: actor.page(name.clone()),
        name,
        docs: cards(&actor, &docs),
        categories: cat_links(&actor, &cats),
        current: slug,
    })?)
}

#[derive(Template)]
#[template(path = "document.html")]
struct DocumentPage {
    page: PageCtx,
    doc: Document,
    tags: Vec<String>,
    category: Option<String>,
    size: String,
    date: String,
    status_label: &'static str,
    owner_or_staff: bool,
    shown: i64,
    allowed: i64,
    can_download: bool,
    signed_in: bool,
    /// None when the search engine could not answer (logged): the box says so.
    related: Option<Vec<(i64, String)>>,
    price: String,
    comments: Vec<(crate::social::Comment, String)>,
    rating: crate::social::Rating,
    rating_text: String,
    favourite: bool,
    can_rate: bool,
    uploader_vip: bool,
    promo: Option<crate::vip_benefits::Promotion>,
    member: bool,
    is_uploader: bool,
}

impl DocumentPage {
    fn mine_is(&self, n: impl std::borrow::Borrow<i64>) -> bool {
        self.rating.mine == Some(*n.borrow())
    }
}

#[derive(Deserialize)]
struct DocQuery {
    show: Option<i64>,
}

async fn document(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Query(q): Query<DocQuery>,
) -> LibResult<Response> {
    let doc = service::load(&state, &actor, id, Action::View).await?;
    if doc.status == Status::Ready && actor.id() != Some(doc.uploader_id) {
        service::count_view(&state, id).await;
    }
    let tags = model::tags(&state.db, id).await?;
    let cats = model::categories(&state.db).await?;
    let category = doc
        .category_id
        .and_then(|cid| cats.iter().find(|c| c.id == cid))
        .map(|c| c.name(actor.lang).to_string());
    let allowed = visible_pages(&actor, &doc, service::free_pages(&state));
    // The first screen shows the site's preview size; "load more" (or ?show=) reveals the rest.
    let initial = (doc
        .preview_pages
        .unwrap_or(state.config.preview.free_pages as i64))
    .max(1);
    let shown = q.show.unwrap_or(initial).clamp(0, allowed);
    let can_download = authorize(
        &actor,
        Action::Download,
        Some(&doc),
        service::free_pages(&state),
    )
    .is_ok()
        && doc.status == Status::Ready;
    let related = if doc.status == Status::Ready {
        match crate::search_api::related(&state, &actor, &doc).await {
            Ok(items) => Some(items),
            Err(e) => {
                tracing::warn!(document = doc.id, error = %e, "related documents unavailable");
                None
            }
        }
    } else {
        Some(Vec::new())
    };
    let now = state.now();
    let comments = crate::social::for_document(&state.db, doc.id, actor.id(), now)
        .await?
        .into_iter()
        .map(|c| {
            let at = platform::clock::format_ms(c.created_at);
            (c, at)
        })
        .collect();
    let rating = crate::social::rating(&state.db, doc.id, actor.id()).await?;
    let rating_text = rating
        .average
        .map(|a| format!("{a:.1}"))
        .unwrap_or_default();
    let favourite = match actor.id() {
        Some(u) => crate::social::is_favourite(&state.db, u, doc.id).await?,
        None => false,
    };
    let can_rate = authorize(
        &actor,
        Action::Rate,
        Some(&doc),
        service::free_pages(&state),
    )
    .is_ok();
    let uploader_vip = crate::money::vip::is_member(&state.db, doc.uploader_id, now).await?;
    let promo = crate::vip_benefits::promotion_for(&state, &actor).await?;
    let member = match actor.id() {
        Some(u) => crate::money::vip::is_member(&state.db, u, now).await?,
        None => false,
    };
    Ok(render(&DocumentPage {
        promo,
        member,
        is_uploader: actor.id() == Some(doc.uploader_id),
        comments,
        rating,
        rating_text,
        favourite,
        can_rate,
        uploader_vip,
        page: actor.page(doc.title.clone()),
        size: format_bytes(doc.size_bytes),
        date: platform::clock::format_ms(doc.published_at.unwrap_or(doc.created_at)),
        status_label: doc.status.label(actor.lang),
        owner_or_staff: actor.id() == Some(doc.uploader_id) || actor.is_staff(),
        signed_in: actor.user.is_some(),
        tags,
        category,
        shown,
        allowed,
        can_download,
        related,
        price: crate::money::ledger::Fen(doc.price).yuan(),
        doc,
    })?)
}

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    page: PageCtx,
    categories: Vec<CatLink>,
    max_mb: u64,
    error: Option<String>,
    price_kind: String,
    price: String,
    preview_pages: String,
    site_free_pages: u32,
}

async fn upload_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    render_upload(&state, &actor, None).await
}

async fn render_upload(
    state: &AppState,
    actor: &Actor,
    error: Option<String>,
) -> LibResult<Response> {
    let cats = model::categories(&state.db).await?;
    Ok(render(&UploadPage {
        page: actor.page(actor.lang.pick("上传文档", "Upload a document")),
        categories: cat_links(actor, &cats),
        max_mb: state.config.upload.max_bytes / (1024 * 1024),
        error,
        price_kind: "free".into(),
        price: String::new(),
        preview_pages: String::new(),
        site_free_pages: service::free_pages(state),
    })?)
}

/// Whether an error is the uploader's to fix on the form (shown there, not as a page).
/// Messages carry both languages (`platform::bi!`): the form shows the reader's.
fn form_error(e: &LibraryError, lang: Lang) -> Option<String> {
    match e {
        LibraryError::BadField(m)
        | LibraryError::WrongState(_, m)
        | LibraryError::Unsupported(m) => Some(lang.msg(m).to_string()),
        _ => e.file_problem().map(|m| lang.msg(&m).to_string()),
    }
}

/// The no-JavaScript upload path: a plain multipart form, then the document page.
async fn upload_form(
    State(state): State<AppState>,
    actor: Actor,
    mp: Multipart,
) -> LibResult<Response> {
    service::permitted(&state, &actor, Action::Upload)?;
    let user = actor
        .require_user()
        .map_err(|_| LibraryError::SignIn)?
        .clone();
    let created = match upload::receive(&state, mp).await {
        Ok((fields, rec)) => upload::create(&state, &user, fields, rec).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(created) => Ok(redirect(&format!("/documents/{}", created.id))),
        Err(e) => match form_error(&e, actor.lang) {
            Some(m) => render_upload(&state, &actor, Some(m)).await,
            None => Err(e),
        },
    }
}

#[derive(Template)]
#[template(path = "edit.html")]
struct EditPage {
    page: PageCtx,
    doc: Document,
    categories: Vec<CatLink>,
    error: Option<String>,
    title: String,
    description: String,
    category: String,
    tags: String,
    price_kind: String,
    price: String,
    preview_pages: String,
    site_free_pages: u32,
}

/// The edit form, filled from `f` (what was sent) or else from the document.
async fn render_edit(
    state: &AppState,
    actor: &Actor,
    doc: Document,
    f: Option<EditForm>,
    error: Option<String>,
) -> LibResult<Response> {
    let cats = model::categories(&state.db).await?;
    let f = match f {
        Some(f) => f,
        None => EditForm {
            title: doc.title.clone(),
            description: doc.description.clone(),
            category: doc
                .category_id
                .and_then(|id| cats.iter().find(|c| c.id == id))
                .map(|c| c.slug.clone())
                .unwrap_or_default(),
            tags: model::tags(&state.db, doc.id).await?.join(", "),
            price_kind: doc.price_kind.as_str().into(),
            price: match doc.price {
                0 => String::new(),
                p => crate::money::ledger::Fen(p).yuan(),
            },
            preview_pages: doc.preview_pages.map(|n| n.to_string()).unwrap_or_default(),
        },
    };
    Ok(render(&EditPage {
        page: actor.page(format!(
            "{} · {}",
            actor.lang.pick("编辑", "Edit"),
            doc.title
        )),
        categories: cat_links(actor, &cats),
        error,
        title: f.title,
        description: f.description,
        category: f.category,
        tags: f.tags,
        price_kind: f.price_kind,
        price: f.price,
        preview_pages: f.preview_pages,
        site_free_pages: service::free_pages(state),
        doc,
    })?)
}

async fn edit_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
    Id(id): Id,
) -> LibResult<Response> {
    let doc = service::load(&state, &actor, id, Action::Edit).await?;
    render_edit(&state, &actor, doc, None, None).await
}

#[derive(Deserialize, Clone)]
struct EditForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    price_kind: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    preview_pages: String,
}

impl EditForm {
    fn to_edit(&self) -> LibResult<service::Edit> {
        let preview_pages = match self.preview_pages.trim() {
            "" => None,
            n => Some(n.parse::<i64>().map_err(|_| {
                bad_field!(
                    "免费预览页数须为整数。",
                    "`preview_pages` must be a whole number"
                )
            })?),
        };
        Ok(service::Edit {
            title: Some(self.title.clone()),
            description: Some(self.description.clone()),
            category: Some(self.category.clone()),
            tags: Some(vec![self.tags.clone()]),
            preview_pages,
            price_kind: Some(self.price_kind.clone()),
            price: Some(self.price.clone()),
            ..Default::default()
        })
    }
}

async fn edit_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<EditForm>,
) -> LibResult<Response> {
    let result = match f.to_edit() {
        Ok(e) => service::edit(&state, &actor, id, e).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(redirect(&format!("/documents/{id}"))),
        Err(e) => match form_error(&e, actor.lang) {
            Some(m) => {
                let doc = service::load(&state, &actor, id, Action::Edit).await?;
                render_edit(&state, &actor, doc, Some(f), Some(m)).await
            }
            None => Err(e),
        },
    }
}

#[derive(Template)]
#[template(path = "my_uploads.html")]
struct MyUploadsPage {
    page: PageCtx,
    docs: Vec<Card>,
}

async fn my_uploads(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    let user = actor.require_user()?;
    let mine = model::uploaded_by(user.id);
    let docs = model::list(&state.db, &mine, model::LATEST_UPLOAD, 500, 0).await?;
    Ok(render(&MyUploadsPage {
        page: actor.page(actor.lang.pick("我的上传", "My uploads")),
        docs: cards(&actor, &docs),
    })?)
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct ModerationPage {
    page: PageCtx,
    docs: Vec<Card>,
    /// Operators also get the money pages.
    admin: bool,
}

async fn moderation(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    service::permitted(&state, &actor, Action::Moderate)?;
    let pending = model::with_status(Status::PendingReview);
    let docs = model::list(&state.db, &pending, "d.created_at, d.id", 200, 0).await?;
    Ok(render(&ModerationPage {
        page: actor.page(actor.lang.pick("文档审核", "Review queue")),
        docs: cards(&actor, &docs),
        admin: authorize(
            &actor,
            Action::ManageMoney,
            None,
            service::free_pages(&state),
        )
        .is_ok(),
    })?)
}

async fn approve_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Response> {
    service::approve(&state, &actor, id).await?;
    Ok(redirect("/moderation"))
}

#[derive(Deserialize)]
struct RejectForm {
    reason: String,
}

async fn reject_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<RejectForm>,
) -> LibResult<Response> {
    service::reject(&state, &actor, id, &f.reason).await?;
    Ok(redirect("/moderation"))
}

async fn take_down_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<RejectForm>,
) -> LibResult<Response> {
    service::take_down(&state, &actor, id, &f.reason).await?;
    Ok(redirect(&format!("/documents/{id}")))
}

async fn restore_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Response> {
    service::restore(&state, &actor, id).await?;
    Ok(redirect(&format!("/documents/{id}")))
}

async fn delete_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Response> {
    service::delete(&state, &actor, id).await?;
    Ok(redirect("/me/uploads"))
}
