//! 领导总览与工作台 — the leader's overview and the staff workbench (SPEC G8). The overview
//! shows an area's figures from every module, scoped to the viewer (see `figures`). The
//! workbench gathers what waits for the signed-in user from every module (their `todos`
//! hooks), soonest deadline first, beside their latest notifications.

pub mod figures;
pub mod map;
pub mod pages;
pub mod weekly;
pub mod workbench;

use axum::Router;
use platform::AppState;
use platform::module::Module;

pub fn module() -> Module {
    Module {
        openapi_paths: Some(openapi_paths),
        menu: Some(workbench::menu),
        ..Module::new("overview", &[], router)
    }
}

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(workbench::router())
        .merge(pages::router())
}

/// The overview part of the OpenAPI document.
pub fn openapi_paths() -> serde_json::Value {
    serde_json::from_str(include_str!("../openapi.json"))
        .expect("overview openapi.json is valid JSON")
}
