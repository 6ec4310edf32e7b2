//! 领导总览与工作台 — the leader's overview and the staff workbench (SPEC G8). The overview
//! shows an area's figures from every module, scoped to the viewer (see `figures`). The
//! workbench gathers what waits for the signed-in user from every module (their `todos`
//! hooks), soonest deadline first, beside their latest notifications.

pub mod figures;
pub mod map;
pub mod pages;
pub mod reports;
pub mod weekly;
pub mod weekly_job;
pub mod workbench;

use axum::Router;
use platform::AppState;
use platform::module::Module;

pub fn module() -> Module {
    Module {
        openapi_paths: Some(openapi_paths),
        menu: Some(workbench::menu),
        // With `--demo` the first run waits a period: the demo hook below makes the week's
        // reports once the demo's data is seeded, not halfway through.
        start: Some(|state, demo| {
            Box::pin(async move {
                weekly_job::start(state.clone(), !demo);
                Ok(())
            })
        }),
        // Last in the list: the demo's units exist, so this week's reports can be shown.
        demo: Some(|state, demo| {
            Box::pin(async move {
                match weekly_job::run_weekly(state, state.now()).await {
                    Ok(n) => demo.notes.push(format!(
                        "周报 / weekly reports: {n} made for this week — /overview/reports"
                    )),
                    Err(e) => tracing::warn!(error = %e, "demo weekly reports not made"),
                }
                Ok(())
            })
        }),
        ..Module::new("overview", MIGRATIONS, router)
    }
}

pub const MIGRATIONS: &[platform::db::Migration] = platform::migrations![
    "080_overview" => "001_overview.sql",
];

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(workbench::router())
        .merge(pages::router())
        .merge(reports::router())
}

/// The overview part of the OpenAPI document.
pub fn openapi_paths() -> serde_json::Value {
    serde_json::from_str(include_str!("../openapi.json"))
        .expect("overview openapi.json is valid JSON")
}
