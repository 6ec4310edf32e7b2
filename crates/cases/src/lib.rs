//! 综治信息中心 — the governance information centre (SPEC G5): cases taken in from
//! residents, grid workers, the hotline and Open311 clients, dispatched to the units that
//! must act, watched against working-day deadlines, supervised and closed.

pub mod api;
pub mod authz;
pub mod calendar;
pub mod counted;
pub mod demo;
pub mod error;
pub mod hot;
pub mod intake;
pub mod list_query;
pub mod model;
pub mod notices;
pub mod open311;
pub mod pages;
pub mod stats;
pub mod supervise;
pub mod sweep;
pub mod todos;
pub mod workflow;

use axum::Router;
use platform::AppState;
use platform::module::Module;

/// The centre as the binary wires it (ADR 020).
pub fn module() -> Module {
    Module {
        openapi_paths: Some(openapi_paths),
        key_authenticated: KEY_AUTHENTICATED,
        start: Some(|state, _demo| {
            Box::pin(async move {
                start(state);
                Ok(())
            })
        }),
        demo: platform::demo_accounts!(demo::seed),
        todos: Some(todos::todos),
        ..Module::new("cases", MIGRATIONS, router)
    }
}

pub const MIGRATIONS: &[platform::db::Migration] = platform::migrations![
    "030_cases" => "001_cases.sql",
    "031_cases_publication" => "002_publication.sql",
    "032_cases_urge" => "003_urge.sql",
    "033_cases_scope_in_indexes" => "004_scope_in_indexes.sql",
];

/// Routes that authenticate by an Open311 api_key, never by the session cookie.
pub const KEY_AUTHENTICATED: &[&str] = &["/open311/"];

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .merge(open311::router())
        .merge(pages::router())
}

/// Starts the intake writer (group commit) and the deadline sweep (reminders, cards).
pub fn start(state: &AppState) {
    hot::attach(state);
    intake::Writer::start(state);
    sweep::start(state.clone());
}

/// The cases part of the OpenAPI document.
pub fn openapi_paths() -> serde_json::Value {
    serde_json::from_str(include_str!("../openapi.json")).expect("cases openapi.json is valid JSON")
}
