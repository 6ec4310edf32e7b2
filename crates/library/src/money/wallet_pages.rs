//! The wallet page (balance, top-up through a provider, payment orders) and the test
//! provider's checkout page, which stands in for a bank's.

use super::ledger::{self, Fen};
use super::payments::{self, Order, Reported, Sandbox};
use crate::error::{LibResult, LibraryError};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use platform::web::Code;
use platform::web::{Id, PageCtx, SignedIn, redirect, render};
use platform::{Actor, AppState};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/wallet", get(wallet_page))
        .route("/me/wallet/topup", post(topup_form))
        .route("/me/wallet/redeem", post(redeem_form))
        .route("/me/wallet/orders/{id}/cancel", post(cancel_form))
        .route("/pay/sandbox/{id}", get(checkout_page).post(checkout_form))
        .route("/admin/payments", get(admin_page))
        .route("/admin/payments/{id}/refund", post(refund_form))
        .route("/admin/payouts", post(payout_form))
}

pub struct ProviderOption {
    pub name: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "wallet.html")]
struct WalletPage {
    page: PageCtx,
    balance: String,
    providers: Vec<ProviderOption>,
    orders: Vec<Order>,
    lines: Vec<ledger::Line>,
    key: String,
    ttl_minutes: i64,
}

impl WalletPage {
    fn state_label(&self, o: &Order) -> &'static str {
        o.state.label(self.page.lang)
    }
    fn when(&self, ms: impl std::borrow::Borrow<i64>) -> String {
        platform::clock::format_ms(*ms.borrow())
    }
    fn money(&self, fen: impl std::borrow::Borrow<i64>) -> String {
        Fen(*fen.borrow()).yuan()
    }
}

async fn wallet_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    let user = actor.require_user()?.id;
    crate::money::api::allowed(&state, &actor, crate::authz::Action::UseWallet)?;
    let providers = payments::payments(&state)
        .all()
        .iter()
        .map(|p| ProviderOption {
            name: p.name(),
            label: actor.lang.pick(p.label().0, p.label().1),
        })
        .collect();
    Ok(render(&WalletPage {
        page: actor.page(actor.lang.pick("我的钱包", "My wallet")),
        balance: Fen(ledger::wallet_balance(&state.db, user).await?).yuan(),
        providers,
        orders: payments::list(&state.db, Some(user), None, state.now()).await?,
        lines: ledger::wallet_lines(&state.db, user, 30).await?,
        key: platform::auth::new_token(),
        ttl_minutes: (payments::payments(&state).order_ttl_ms / 60_000).max(1),
    })?)
}

#[derive(Deserialize)]
struct RedeemForm {
    code: String,
}

async fn redeem_form(
    State(state): State<AppState>,
    actor: Actor,
    Form(f): Form<RedeemForm>,
) -> LibResult<Response> {
    let user = crate::money::api::allowed(&state, &actor, crate::authz::Action::UseWallet)?;
    match super::vouchers::redeem(&state, user, &f.code).await {
        Ok(_) => Ok(redirect("/me/wallet")),
        Err(super::vouchers::RedeemError::Invalid) => Err(LibraryError::BadField(
            super::vouchers::RedeemError::Invalid.to_string(),
        )),
        Err(super::vouchers::RedeemError::Ledger(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct TopupForm {
    amount: String,
    provider: String,
    key: String,
}

async fn topup_form(
    State(state): State<AppState>,
    actor: Actor,
    Form(f): Form<TopupForm>,
) -> LibResult<Response> {
    let user = crate::money::api::allowed(&state, &actor, crate::authz::Action::UseWallet)?;
    super::pages::form_key(&f.key, super::pages::NO_FORM_KEY)?;
    let amount = Fen::parse_yuan(&f.amount)?;
    let (order, _) = payments::create_topup(&state, user, amount, &f.provider, &f.key).await?;
    Ok(redirect(order.pay_url.as_deref().unwrap_or("/me/wallet")))
}

async fn cancel_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Response> {
    let user = crate::money::api::allowed(&state, &actor, crate::authz::Action::UseWallet)?;
    payments::cancel(&state, user, id).await?;
    Ok(redirect("/me/wallet"))
}

#[derive(Template)]
#[template(path = "sandbox_checkout.html")]
struct CheckoutPage {
    page: PageCtx,
    order: Order,
    state_label: &'static str,
}

async fn own_order(state: &AppState, actor: &Actor, id: i64) -> LibResult<Order> {
    let user = crate::money::api::allowed(state, actor, crate::authz::Action::UseWallet)?;
    match payments::find(&state.db, id, state.now()).await? {
        Some(o) if o.user_id == user && o.provider == "sandbox" => Ok(o),
        _ => Err(LibraryError::NotFound),
    }
}

async fn checkout_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
    Id(id): Id,
) -> LibResult<Response> {
    let order = own_order(&state, &actor, id).await?;
    Ok(render(&CheckoutPage {
        page: actor.page(actor.lang.pick("测试支付", "Test payment")),
        state_label: order.state.label(actor.lang),
        order,
    })?)
}

#[derive(Deserialize)]
struct CheckoutForm {
    result: String,
}

/// The sandbox "bank" answers: it sends the site the same signed callback any provider would.
async fn checkout_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<CheckoutForm>,
) -> LibResult<Response> {
    let order = own_order(&state, &actor, id).await?;
    let sandbox = payments::payments(&state)
        .sandbox
        .clone()
        .ok_or(LibraryError::NotFound)?;
    let reported = if f.result == "paid" {
        Reported::Paid
    } else {
        Reported::Failed
    };
    let event = format!("sbx-{id}-{}-{}", reported.as_str(), state.now());
    let body = Sandbox::event_body(&event, id, reported, order.amount);
    let mut headers = HeaderMap::new();
    headers.insert(
        payments::SIGNATURE_HEADER,
        sandbox
            .sign(body.as_bytes())
            .parse()
            .map_err(|_| LibraryError::Internal(anyhow::anyhow!("signature header")))?,
    );
    match payments::handle_callback(&state, "sandbox", &headers, body.as_bytes()).await {
        Ok(_) => Ok(redirect("/me/wallet")),
        Err(payments::CallbackRefusal::Internal(e)) => Err(e),
        Err(_) => Err(LibraryError::WrongState(
            Code::ProviderRefused,
            platform::bi!("测试支付被拒绝。", "the test payment was refused").into(),
        )),
    }
}

#[derive(Template)]
#[template(path = "admin_payments.html")]
struct AdminPage {
    page: PageCtx,
    orders: Vec<(Order, &'static str, Vec<payments::CallbackRecord>)>,
    providers: Vec<ProviderOption>,
    key: String,
}

async fn admin_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    crate::money::api::allowed(&state, &actor, crate::authz::Action::ManageMoney)?;
    let mut orders = Vec::new();
    for o in payments::list(&state.db, None, None, state.now())
        .await?
        .into_iter()
        .take(200)
    {
        let notices = payments::callbacks(&state.db, o.id).await?;
        let label = o.state.label(actor.lang);
        orders.push((o, label, notices));
    }
    let providers = payments::payments(&state)
        .all()
        .iter()
        .map(|p| ProviderOption {
            name: p.name(),
            label: actor.lang.pick(p.label().0, p.label().1),
        })
        .collect();
    Ok(render(&AdminPage {
        page: actor.page(actor.lang.pick("支付订单", "Payment orders")),
        orders,
        providers,
        key: platform::auth::new_token(),
    })?)
}

async fn refund_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Response> {
    let admin = crate::money::api::allowed(&state, &actor, crate::authz::Action::ManageMoney)?;
    payments::refund(&state, admin, id).await?;
    Ok(redirect("/admin/payments"))
}

#[derive(Deserialize)]
struct PayoutForm {
    username: String,
    provider: String,
    key: String,
}

async fn payout_form(
    State(state): State<AppState>,
    actor: Actor,
    Form(f): Form<PayoutForm>,
) -> LibResult<Response> {
    let admin = crate::money::api::allowed(&state, &actor, crate::authz::Action::ManageMoney)?;
    super::pages::form_key(&f.key, super::pages::NO_FORM_KEY)?;
    let user: Option<(i64,)> = sqlx::query_as("SELECT id FROM platform_users WHERE username = $1")
        .bind(f.username.trim())
        .fetch_optional(&state.db.pool)
        .await?;
    let (user,) =
        user.ok_or_else(|| LibraryError::BadField(format!("no user named {:?}", f.username)))?;
    payments::create_payout(&state, admin, user, &f.provider, &f.key).await?;
    Ok(redirect("/admin/payments"))
}
