//! 考核 — assessment of units (SPEC G7, issue 16). An indicator library (formulas over live
//! data from the other modules, or values the unit enters with evidence), an annual plan
//! per kind of unit with weights and targets, and the year's steps: self-assessment, review
//! by the level above, approval by the district, lock at the deadline (figures frozen with
//! the records they counted), public notice with appeals, final ranking.

pub mod api;
pub mod authz;
pub mod demo;
pub mod figures;
pub mod forms;
pub mod model;
pub mod pages;
pub mod plan;
pub mod score;
pub mod service;
pub mod study;
pub mod study_api;
pub mod study_hours;
pub mod study_pages;
pub mod todos;

use axum::Router;
use platform::AppState;
use platform::module::Module;

/// The assessment as the binary wires it (ADR 020).
pub fn module() -> Module {
    Module {
        openapi_paths: Some(openapi_paths),
        demo: Some(|state, demo| Box::pin(async move { demo::seed(state, demo).await })),
        menu: Some(pages::menu),
        todos: Some(todos::todos),
        ..Module::new("assess", MIGRATIONS, router)
    }
}

pub const MIGRATIONS: &[platform::db::Migration] = platform::migrations![
    "070_assess" => "001_assess.sql",
    "071_assess_study" => "002_study.sql",
];

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(study_api::router())
        .merge(study_pages::router())
}

/// The assessment part of the OpenAPI document.
pub fn openapi_paths() -> serde_json::Value {
    serde_json::from_str(include_str!("../openapi.json"))
        .expect("assess openapi.json is valid JSON")
}
