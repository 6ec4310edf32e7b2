//! Pages for buying: the confirmation with the licence, and the purchase history from
//! which bought documents download again free.

use super::ledger::{self, Fen};
use super::purchase::{self, LICENCE_EN, LICENCE_ZH, Receipt};
use crate::authz::Action;
use crate::error::{LibResult, LibraryError};
use crate::model::PriceKind;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use platform::web::Code;
use platform::web::{Id, PageCtx, SignedIn, redirect, render};
use platform::{Actor, AppState};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/documents/{id}/buy", get(confirm_page).post(buy_form))
        .route("/me/purchases", get(purchases_page))
        .route("/vip", get(vip_page))
        .route("/me/earnings", get(earnings_page))
        .route("/vip/plans/{id}/buy", axum::routing::post(vip_buy_form))
}

#[derive(Template)]
#[template(path = "vip.html")]
struct VipPage {
    page: PageCtx,
    plans: Vec<super::vip::Plan>,
    membership: Option<super::vip::Membership>,
    until: String,
    balance: String,
    key: String,
}

async fn vip_page(State(state): State<AppState>, actor: Actor) -> LibResult<Response> {
    let plans = super::vip::plans(&state.db).await?;
    let (membership, balance) = match actor.id() {
        Some(user) => (
            super::vip::membership(&state.db, user, state.now()).await?,
            Fen(ledger::wallet_balance(&state.db, user).await?).yuan(),
        ),
        None => (None, String::new()),
    };
    let until = membership
        .as_ref()
        .map(|m| platform::clock::format_ms(m.ends_at))
        .unwrap_or_default();
    Ok(render(&VipPage {
        page: actor.page(actor.lang.pick("VIP会员", "VIP membership")),
        plans,
        membership,
        until,
        balance,
        key: platform::auth::new_token(),
    })?)
}

async fn vip_buy_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<BuyForm>,
) -> LibResult<Response> {
    if actor.id().is_none() {
        return Ok(redirect("/login?next=/vip"));
    }
    form_key(&f.key, NO_PURCHASE_KEY)?;
    super::vip::buy_plan(&state, &actor, id, &f.key).await?;
    Ok(redirect("/vip"))
}

#[derive(Template)]
#[template(path = "buy.html")]
struct ConfirmPage {
    page: PageCtx,
    id: i64,
    title: String,
    price: String,
    balance: String,
    enough: bool,
    bought: bool,
    licence: &'static str,
    key: String,
}

async fn confirm_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
    Id(id): Id,
) -> LibResult<Response> {
    let user = actor.require_user()?.id;
    let doc = crate::service::load(&state, &actor, id, Action::View).await?;
    if doc.price_kind == PriceKind::Free || doc.price == 0 {
        return Err(LibraryError::WrongState(
            Code::NotForSale,
            platform::bi!("此文档不出售。", "this document is not for sale").into(),
        ));
    }
    let balance = ledger::wallet_balance(&state.db, user).await?;
    Ok(render(&ConfirmPage {
        page: actor.page(actor.lang.pick("确认购买", "Confirm purchase")),
        id,
        title: doc.title.clone(),
        price: Fen(doc.price).yuan(),
        balance: Fen(balance).yuan(),
        enough: balance >= doc.price,
        bought: doc.bought,
        licence: actor.lang.pick(LICENCE_ZH, LICENCE_EN),
        // One key per confirmation page: a double click or a resubmitted form pays once.
        key: platform::auth::new_token(),
    })?)
}

#[derive(Deserialize)]
struct BuyForm {
    key: String,
}

async fn buy_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<BuyForm>,
) -> LibResult<Response> {
    form_key(&f.key, NO_PURCHASE_KEY)?;
    let receipt = purchase::buy(&state, &actor, id, &f.key).await?;
    Ok(redirect(&format!("/me/purchases#order-{}", receipt.order)))
}

#[derive(Template)]
#[template(path = "purchases.html")]
struct PurchasesPage {
    page: PageCtx,
    items: Vec<Receipt>,
    balance: String,
    licence: &'static str,
}

async fn purchases_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    let user = actor.require_user()?.id;
    let items = purchase::purchases(&state.db, user).await?;
    let balance = Fen(ledger::wallet_balance(&state.db, user).await?).yuan();
    Ok(render(&PurchasesPage {
        page: actor.page(actor.lang.pick("已购文档", "My purchases")),
        items,
        balance,
        licence: actor.lang.pick(LICENCE_ZH, LICENCE_EN),
    })?)
}

pub fn paid_at(r: &Receipt) -> String {
    platform::clock::format_ms(r.paid_at)
}

#[derive(Template)]
#[template(path = "earnings.html")]
struct EarningsPage {
    page: PageCtx,
    e: super::rewards::Earnings,
    chart: String,
}

async fn earnings_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    let user = actor.require_user()?.id;
    let e = super::rewards::earnings(&state.db, user).await?;
    let data: Vec<(String, i64, String)> = e
        .by_month
        .iter()
        .map(|(m, v)| (m.clone(), *v, Fen(*v).yuan()))
        .collect();
    let chart = platform::web::charts::bars(
        actor
            .lang
            .pick("每月收益（元）", "Earnings per month (yuan)"),
        &data,
    );
    Ok(render(&EarningsPage {
        page: actor.page(actor.lang.pick("我的收益", "My earnings")),
        e,
        chart,
    })?)
}

pub fn yuan(fen: &i64) -> String {
    Fen(*fen).yuan()
}

const NO_PURCHASE_KEY: &str = platform::bi!(
    "表单缺少购买凭据，请刷新页面后重试。",
    "the form is missing its purchase key; reload the page"
);

/// What a wallet form says when it lacks its key.
pub(crate) const NO_FORM_KEY: &str = platform::bi!(
    "表单缺少凭据，请刷新页面后重试。",
    "the form is missing its key; reload the page"
);

/// The idempotency key a money form carries (one per rendered form, so a resubmission
/// is the same request): refused with `missing` when absent or absurdly long.
pub(crate) fn form_key(key: &str, missing: &'static str) -> LibResult<()> {
    if key.is_empty() || key.len() > 200 {
        return Err(LibraryError::BadField(missing.into()));
    }
    Ok(())
}
