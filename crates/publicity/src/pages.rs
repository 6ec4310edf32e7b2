//! The news pages: the public list (per unit and kind, with its feeds), one announcement,
//! and for unit staff the drafts list and the editor (a multipart form with a picture).

use crate::api::{ListQuery, filter};
use crate::authz::{Action, Target, authorize};
use crate::model::{self, Checked, Draft, Post, PostKind, PostState};
use crate::service;
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gov_core::{GovActor, MemberRole, list_units};
use platform::AppState;
use platform::clock::format_ms;
use platform::web::{
    AppError, AppResult, Code, Id, Lang, Opt, PageCtx, Paging, SignedIn, redirect, render,
    url_encode,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/news", get(list).post(create))
        .route("/news/drafts", get(drafts))
        .route("/news/new", get(new_form))
        .route("/news/{id}", get(detail))
        .route("/news/{id}/edit", get(edit_form).post(edit))
        .route("/news/{id}/publish", post(publish))
        .route("/news/{id}/withdraw", post(withdraw))
        .route("/news/{id}/picture", get(picture))
        .layer(DefaultBodyLimit::max(service::MAX_PICTURE + 256 * 1024))
}

pub struct Row {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub unit: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub state_class: &'static str,
    pub when: String,
}

fn row(p: &Post, lang: Lang) -> Row {
    Row {
        id: p.id,
        title: p.title.clone(),
        summary: p.summary.clone(),
        unit: p.unit_name.clone(),
        kind: p.kind.label(lang),
        state: p.state.label(lang),
        state_class: p.state.as_str(),
        when: format_ms(p.published_ms.unwrap_or(p.updated_ms)),
    }
}

/// A tab of the list: a link and whether it is the current one.
pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "news_list.html")]
struct ListPage {
    page: PageCtx,
    heading: &'static str,
    intro: &'static str,
    empty: &'static str,
    tabs: Vec<Tab>,
    rows: Vec<Row>,
    total: i64,
    /// `?unit=…` of the feeds and tabs, or empty.
    unit_query: String,
    unit_name: String,
    drafts: bool,
    may_write: bool,
    prev: Option<String>,
    next: Option<String>,
}

fn pager(base: &str, page: i64, per_page: i64, total: i64) -> (Option<String>, Option<String>) {
    let sep = if base.contains('?') { '&' } else { '?' };
    let prev = (page > 1).then(|| format!("{base}{sep}page={}", page - 1));
    let next = (page * per_page < total).then(|| format!("{base}{sep}page={}", page + 1));
    (prev, next)
}

async fn list(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<ListQuery>,
    paging: Paging,
) -> AppResult<Response> {
    let lang = actor.lang;
    let f = filter(
        &state,
        &actor,
        &ListQuery {
            state: None,
            ..q.clone_public()
        },
    )
    .await?;
    let page = paging.bounded(20, 50);
    let (posts, total) = model::list(&state.db, &f, page.per_page, page.offset()).await?;
    let unit_query = q
        .unit
        .as_deref()
        .filter(|u| !u.is_empty())
        .map(|u| format!("unit={}", url_encode(u)))
        .unwrap_or_default();
    let unit_name = f.unit_name(&state.db).await?;
    let base = |kind: Option<PostKind>| {
        let mut parts: Vec<String> = Vec::new();
        if !unit_query.is_empty() {
            parts.push(unit_query.clone());
        }
        if let Some(k) = kind {
            parts.push(format!("kind={}", k.as_str()));
        }
        if parts.is_empty() {
            "/news".to_string()
        } else {
            format!("/news?{}", parts.join("&"))
        }
    };
    let mut tabs = vec![Tab {
        href: base(None),
        label: lang.pick("全部", "All"),
        current: f.kind.is_none(),
    }];
    tabs.extend(PostKind::ALL.iter().map(|k| Tab {
        href: base(Some(*k)),
        label: k.label(lang),
        current: f.kind == Some(*k),
    }));
    let (prev, next) = pager(&base(f.kind), page.page, page.per_page, total);
    let may_write = authorize(&actor, Action::Write, &Target::Anywhere).is_ok();
    render(&ListPage {
        page: actor.page(lang.pick("通知公告", "News")),
        heading: lang.pick("通知公告", "News and notices"),
        intro: lang.pick(
            "区、街道和社区发布的通知公告与工作动态。可用 RSS 或 Atom 订阅。",
            "Notices and news from the district, its streets and communities. Subscribe by RSS or Atom.",
        ),
        empty: lang.pick("这里还没有发布的公告。", "Nothing has been published here yet."),
        tabs,
        rows: posts.iter().map(|p| row(p, lang)).collect(),
        total,
        unit_query,
        unit_name,
        drafts: false,
        may_write,
        prev,
        next,
    })
}

async fn drafts(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<ListQuery>,
    paging: Paging,
) -> AppResult<Response> {
    authorize(&actor, Action::Write, &Target::Anywhere)?;
    let lang = actor.lang;
    let wanted = q
        .state
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "draft".into());
    let f = filter(
        &state,
        &actor,
        &ListQuery {
            state: Some(wanted.clone()),
            ..ListQuery::default()
        },
    )
    .await?;
    let page = paging.bounded(20, 50);
    let (posts, total) = model::list(&state.db, &f, page.per_page, page.offset()).await?;
    let tabs = [PostState::Draft, PostState::Published, PostState::Withdrawn]
        .iter()
        .map(|s| Tab {
            href: format!("/news/drafts?state={}", s.as_str()),
            label: s.label(lang),
            current: f.state == Some(*s),
        })
        .collect();
    let (prev, next) = pager(
        &format!("/news/drafts?state={wanted}"),
        page.page,
        page.per_page,
        total,
    );
    render(&ListPage {
        page: actor.page(lang.pick("稿件", "Drafts")),
        heading: lang.pick("稿件", "Drafts"),
        intro: lang.pick(
            "您所在单位（及下级单位）的公告稿件。工作人员撰写，单位管理员审核发布。",
            "Announcements of your units and the units below them: staff write them, unit administrators publish them.",
        ),
        empty: lang.pick("没有这个状态的稿件。", "No announcements in this state."),
        tabs,
        rows: posts.iter().map(|p| row(p, lang)).collect(),
        total,
        unit_query: String::new(),
        unit_name: String::new(),
        drafts: true,
        may_write: true,
        prev,
        next,
    })
}

impl ListQuery {
    /// The unit and kind of a public list (its state is never the reader's to choose).
    fn clone_public(&self) -> ListQuery {
        ListQuery {
            unit: self.unit.clone(),
            kind: self.kind.clone(),
            state: None,
        }
    }
}

#[derive(Template)]
#[template(path = "news_detail.html")]
struct DetailPage {
    page: PageCtx,
    p: Row,
    body: Vec<String>,
    unit_id: i64,
    has_picture: bool,
    draft: bool,
    published: bool,
    may_write: bool,
    may_publish: bool,
}

async fn detail(State(state): State<AppState>, actor: GovActor, Id(id): Id) -> AppResult<Response> {
    let post = service::visible(&state, &actor, id).await?;
    let lang = actor.lang;
    render(&DetailPage {
        page: actor.page(post.title.clone()),
        body: post
            .body
            .split('\n')
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        unit_id: post.unit_id,
        has_picture: !post.picture_type.is_empty(),
        draft: post.state == PostState::Draft,
        published: post.state == PostState::Published,
        may_write: authorize(&actor, Action::Write, &Target::Post(&post)).is_ok(),
        may_publish: authorize(&actor, Action::Publish, &Target::Post(&post)).is_ok(),
        p: row(&post, lang),
    })
}

async fn picture(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> AppResult<Response> {
    let post = service::visible(&state, &actor, id).await?;
    if post.picture_type.is_empty() {
        return Err(AppError::NotFound);
    }
    let data = state
        .storage
        .get(&model::picture_key(id))
        .await
        .map_err(|_| AppError::NotFound)?;
    let cache = if post.state == PostState::Published {
        "public, max-age=300"
    } else {
        "private, no-store"
    };
    Ok((
        [
            (header::CONTENT_TYPE, post.picture_type.clone()),
            (header::CACHE_CONTROL, cache.to_string()),
        ],
        data,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "news_form.html")]
struct FormPage {
    page: PageCtx,
    action: String,
    units: Vec<Opt>,
    kinds: Vec<Opt>,
    d: Draft,
    /// The field at fault and the message, after a refused submit.
    field: &'static str,
    error: String,
    editing: bool,
}

async fn form_page(
    state: &AppState,
    actor: &GovActor,
    action: String,
    unit: Option<i64>,
    d: Draft,
    fault: Option<(&'static str, AppError)>,
) -> AppResult<Response> {
    let lang = actor.lang;
    let units = list_units(&state.db, &actor.scope_with(MemberRole::Worker)).await?;
    let editing = unit.is_none();
    let chosen = unit.map(|u| u.to_string()).unwrap_or_default();
    let (field, error) = match fault {
        Some((f, e)) => (f, lang.msg(&e.to_string()).to_string()),
        None => ("", String::new()),
    };
    let kind = if d.kind.is_empty() {
        "notice"
    } else {
        d.kind.as_str()
    };
    render(&FormPage {
        page: actor.page(if editing {
            lang.pick("修改公告", "Edit announcement")
        } else {
            lang.pick("写公告", "New announcement")
        }),
        action,
        units: units
            .iter()
            .map(|u| Opt::current(u.id.0.to_string(), u.name.clone(), &chosen))
            .collect(),
        kinds: PostKind::ALL
            .iter()
            .map(|k| Opt::current(k.as_str(), k.label(lang), kind))
            .collect(),
        field,
        error,
        editing,
        d,
    })
}

async fn new_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> AppResult<Response> {
    authorize(&actor, Action::Write, &Target::Anywhere)?;
    form_page(
        &state,
        &actor,
        "/news".into(),
        Some(0),
        Draft::default(),
        None,
    )
    .await
}

/// What the editor's multipart form carried.
struct Submitted {
    unit_id: Option<i64>,
    draft: Draft,
    picture: Option<bytes::Bytes>,
}

async fn read_form(mut mp: Multipart) -> AppResult<Submitted> {
    let broken = |_| {
        AppError::coded(
            Code::InvalidField,
            platform::bi!(
                "表单没有完整传到，请重试。",
                "The form arrived incomplete; try again."
            ),
        )
    };
    let mut s = Submitted {
        unit_id: None,
        draft: Draft::default(),
        picture: None,
    };
    while let Some(field) = mp.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "picture" {
            let data = field
                .bytes()
                .await
                .map_err(|_| AppError::of(Code::InvalidImage))?;
            s.picture = (!data.is_empty()).then_some(data);
            continue;
        }
        let value = field.text().await.map_err(broken)?;
        match name.as_str() {
            "unit_id" => s.unit_id = value.trim().parse().ok(),
            "kind" => s.draft.kind = value,
            "title" => s.draft.title = value,
            "summary" => s.draft.summary = value,
            "body" => s.draft.body = value,
            _ => {}
        }
    }
    Ok(s)
}

/// A submitted form's checked draft and picture type, or the form again with the field at
/// fault (and everything typed kept).
async fn check_form(
    state: &AppState,
    actor: &GovActor,
    action: String,
    unit: Option<i64>,
    s: &Submitted,
) -> AppResult<Result<(Checked, Option<&'static str>), Response>> {
    let fault = match s.picture.as_deref().map(service::check_picture).transpose() {
        Err(e) => ("picture", e),
        Ok(picture) => match s.draft.check() {
            Ok(c) => return Ok(Ok((c, picture))),
            Err(fault) => fault,
        },
    };
    let page = form_page(state, actor, action, unit, s.draft.clone(), Some(fault)).await?;
    Ok(Err(page))
}

async fn create(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    mp: Multipart,
) -> AppResult<Response> {
    authorize(&actor, Action::Write, &Target::Anywhere)?;
    let s = read_form(mp).await?;
    let unit = s.unit_id.unwrap_or(0);
    let (checked, picture) =
        match check_form(&state, &actor, "/news".into(), Some(unit), &s).await? {
            Ok(ok) => ok,
            Err(page) => return Ok(page),
        };
    let id = service::create(&state, &actor, unit, checked).await?;
    if let (Some(data), Some(kind)) = (s.picture, picture) {
        let post = service::visible(&state, &actor, id).await?;
        service::attach_picture(&state, &actor, &post, data, kind).await?;
    }
    Ok(redirect(&format!("/news/{id}")))
}

async fn edit_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> AppResult<Response> {
    let post = service::visible(&state, &actor, id).await?;
    authorize(&actor, Action::Write, &Target::Post(&post))?;
    if post.state != PostState::Draft {
        return Err(AppError::of(Code::AnnouncementNotDraft));
    }
    let d = Draft {
        kind: post.kind.as_str().into(),
        title: post.title,
        summary: post.summary,
        body: post.body,
    };
    form_page(&state, &actor, format!("/news/{id}/edit"), None, d, None).await
}

async fn edit(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
    mp: Multipart,
) -> AppResult<Response> {
    let post = service::visible(&state, &actor, id).await?;
    authorize(&actor, Action::Write, &Target::Post(&post))?;
    let s = read_form(mp).await?;
    let (checked, picture) =
        match check_form(&state, &actor, format!("/news/{id}/edit"), None, &s).await? {
            Ok(ok) => ok,
            Err(page) => return Ok(page),
        };
    service::edit(&state, &actor, &post, checked).await?;
    if let (Some(data), Some(kind)) = (s.picture, picture) {
        service::attach_picture(&state, &actor, &post, data, kind).await?;
    }
    Ok(redirect(&format!("/news/{id}")))
}

async fn publish(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> AppResult<Response> {
    let post = service::visible(&state, &actor, id).await?;
    service::step(&state, &actor, &post, PostState::Published).await?;
    Ok(redirect(&format!("/news/{id}")))
}

async fn withdraw(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> AppResult<Response> {
    let post = service::visible(&state, &actor, id).await?;
    service::step(&state, &actor, &post, PostState::Withdrawn).await?;
    Ok(redirect(&format!("/news/{id}")))
}
