//! The operators' vouchers (兑换码) page: what was issued and redeemed, and a form that
//! issues a batch and shows its codes once (only their hashes are stored).

use super::ledger::Fen;
use super::vouchers;
use crate::authz::Action;
use crate::error::{LibResult, LibraryError};
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use platform::web::{PageCtx, SignedIn, render};
use platform::{Actor, AppState};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/vouchers", get(vouchers_page).post(issue_form))
}

pub struct Row {
    pub id: i64,
    pub amount: String,
    pub created: String,
    pub redeemed: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin_vouchers.html")]
struct VouchersPage {
    page: PageCtx,
    rows: Vec<Row>,
    redeemed: usize,
    /// The batch just issued: its amount and codes, shown this once.
    issued: Option<(String, Vec<String>)>,
    error: Option<String>,
    amount: String,
    count: String,
}

async fn render_page(
    state: &AppState,
    actor: &Actor,
    issued: Option<(String, Vec<String>)>,
    error: Option<String>,
    form: Option<IssueForm>,
) -> LibResult<Response> {
    let when = platform::clock::format_ms;
    let rows: Vec<Row> = vouchers::list(&state.db, 300)
        .await?
        .into_iter()
        .map(|v| Row {
            id: v.id,
            amount: Fen(v.amount).yuan(),
            created: when(v.created_at),
            redeemed: v
                .redeemed_at
                .map(|at| (when(at), v.redeemed_by.unwrap_or_default())),
        })
        .collect();
    let form = form.unwrap_or(IssueForm {
        amount: "50.00".into(),
        count: "10".into(),
    });
    let mut resp = render(&VouchersPage {
        page: actor.page(actor.lang.pick("兑换码", "Vouchers")),
        redeemed: rows.iter().filter(|r| r.redeemed.is_some()).count(),
        rows,
        issued,
        error,
        amount: form.amount,
        count: form.count,
    })?;
    // New codes are money: never kept by a cache.
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp.into_response())
}

async fn vouchers_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    super::api::allowed(&state, &actor, Action::ManageMoney)?;
    render_page(&state, &actor, None, None, None).await
}

#[derive(Deserialize, Clone)]
struct IssueForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    count: String,
}

async fn issue_form(
    State(state): State<AppState>,
    actor: Actor,
    Form(f): Form<IssueForm>,
) -> LibResult<Response> {
    let admin = super::api::allowed(&state, &actor, Action::ManageMoney)?;
    let parsed = f
        .count
        .trim()
        .parse::<usize>()
        .map_err(|_| bad_field!("数量（count）须为整数。", "`count` must be a whole number"))
        .and_then(vouchers::batch_size)
        .and_then(|count| Ok((Fen::parse_yuan(&f.amount)?, count)));
    let (amount, count) = match parsed {
        Ok(p) => p,
        Err(LibraryError::BadField(m)) => {
            return render_page(
                &state,
                &actor,
                None,
                Some(actor.lang.msg(&m).to_string()),
                Some(f),
            )
            .await;
        }
        Err(e) => return Err(e),
    };
    let codes = vouchers::issue(&state, admin, amount, count).await?;
    render_page(&state, &actor, Some((amount.yuan(), codes)), None, None).await
}
