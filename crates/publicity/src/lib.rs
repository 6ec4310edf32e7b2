//! 宣传 — publicity (SPEC G7): announcements and news by unit. A unit's staff draft them, its
//! administrators publish them, and what is published is public: on the news pages, in the
//! JSON API and as RSS 2.0 and Atom 1.0 feeds (site-wide and per unit) that other media
//! can pick up.

pub mod api;
pub mod authz;
pub mod demo;
pub mod feeds;
pub mod model;
pub mod pages;
pub mod service;
pub mod todos;

use axum::Router;
use platform::AppState;
use platform::module::Module;

/// Publicity as the binary wires it (ADR 020).
pub fn module() -> Module {
    Module {
        openapi_paths: Some(openapi_paths),
        demo: Some(|state, demo| Box::pin(async move { demo::seed(state, demo).await })),
        menu: Some(authz::menu),
        todos: Some(todos::todos),
        ..Module::new("publicity", MIGRATIONS, router)
    }
}

pub const MIGRATIONS: &[platform::db::Migration] = platform::migrations![
    "060_publicity" => "001_publicity.sql",
];

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(feeds::router())
}

/// The publicity part of the OpenAPI document.
pub fn openapi_paths() -> serde_json::Value {
    serde_json::from_str(include_str!("../openapi.json"))
        .expect("publicity openapi.json is valid JSON")
}
