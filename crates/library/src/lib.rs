//! 文库 — the document library (SPEC L): upload, conversion, moderation and reading.
//! Search, and the ledger under money; paid access, VIP and rights come next.

// First, so that its `bad_field!` is in scope in every module below.
#[macro_use]
pub mod error;
pub mod api;
pub mod authz;
pub mod convert_job;
pub mod demo;
pub mod model;
pub mod money;
pub mod notifications;
pub mod pages;
pub mod rights;
pub mod rights_api;
pub mod rights_pages;
pub mod search;
pub mod search_api;
pub mod service;
pub mod social;
pub mod social_api;
pub mod tickets;
pub mod upload;
pub mod vip_benefits;

use axum::Router;
use platform::AppState;
use platform::jobs::JobHandler;
use platform::module::Module;
use std::sync::Arc;

/// The library as the binary wires it (ADR 020).
pub fn module() -> Module {
    Module {
        openapi_paths: Some(openapi_paths),
        start: Some(|state, demo| {
            Box::pin(async move {
                // Before any worker starts: nothing can be using what a crash left in tmp/.
                convert_job::remove_stale_work_dirs(state)?;
                start(state, demo).await
            })
        }),
        jobs: Some(job_handlers),
        demo: Some(|state, demo| Box::pin(demo::seed(state, demo))),
        ..Module::new("library", MIGRATIONS, router)
    }
}

pub const MIGRATIONS: &[platform::db::Migration] = platform::migrations![
    "010_library" => "001_library.sql",
    "011_library_takedown" => "002_takedown.sql",
    "012_library_ledger" => "003_ledger.sql",
    "013_library_paid" => "004_paid.sql",
    "014_library_vip" => "005_vip.sql",
    "015_library_rewards" => "006_rewards.sql",
    "016_library_payments" => "007_payments.sql",
    "017_library_rights" => "008_rights.sql",
    "018_library_social" => "009_social.sql",
    "019_library_vip_benefits" => "010_vip_benefits.sql",
    "019a_library_tickets" => "011_tickets.sql",
    "019b_library_rights_trust" => "012_rights_trust.sql",
    "019c_library_notifications_moved" => "013_notifications_moved.sql",
    "019d_library_assigned_reading" => "014_assigned_reading.sql",
];

pub fn router(state: &AppState) -> Router<AppState> {
    // Room for the multipart framing around a file of the maximum size.
    let limit = (state.config.upload.max_bytes as usize).saturating_add(1024 * 1024);
    Router::new()
        .merge(api::router(limit))
        .merge(pages::router(limit))
        .merge(search_api::router())
        .merge(money::api::router())
        .merge(money::pages::router())
        .merge(money::wallet_pages::router())
        .merge(money::voucher_pages::router())
        .merge(rights_api::router())
        .merge(social_api::router())
        .merge(rights_pages::router())
        .merge(vip_benefits::router())
        .merge(tickets::router())
}

/// Opens the search index (rebuilding it if missing or unreadable) and starts following
/// the event log; call once before serving. A `demo` also gets the test payment channel.
pub async fn start(state: &AppState, demo: bool) -> anyhow::Result<()> {
    state.attach(std::sync::Arc::new(money::payments::Payments::from_env(
        demo,
    )?));
    let index = search::follow::start(state).await?;
    state.attach(index);
    Ok(())
}

pub fn job_handlers(state: &AppState) -> Vec<(&'static str, Arc<dyn JobHandler>)> {
    vec![(
        convert_job::KIND,
        Arc::new(convert_job::ConvertJob::new(state.clone())),
    )]
}

/// The library's part of the OpenAPI document.
pub fn openapi_paths() -> serde_json::Value {
    serde_json::from_str(include_str!("../openapi.json"))
        .expect("library openapi.json is valid JSON")
}
