//! 共商 — consultation (SPEC G6): CPPCC members' proposals and their handling by the
//! district's units (立案, 交办, 会办, 办复, 满意度), the public register of replied
//! proposals, and community self-governance with votes that can be recounted.
//! Built on the house kit: units and roles from `gov-core`, working days from the case
//! centre's calendar (`cases::calendar`).

pub mod activities;
pub mod activity_pages;
pub mod activity_steps;
pub mod api;
pub mod authz;
pub mod counted;
pub mod demo;
pub mod error;
pub mod figure_pages;
pub mod figures;
pub mod library_copy;
pub mod matter_pages;
pub mod matters;
pub mod meeting;
pub mod model;
pub mod pages;
pub mod people;
pub mod register;
pub mod rules;
pub mod stats;
pub mod todos;
pub mod vote_pages;
pub mod votes;
pub mod votes_api;
pub mod workflow;

use axum::Router;
use platform::AppState;
use platform::module::Module;
use platform::web::menu::MenuItem;

/// Consultation as the binary wires it (ADR 020).
pub fn module() -> Module {
    Module {
        openapi_paths: Some(openapi_paths),
        demo: Some(|state, demo| Box::pin(demo::seed(state, demo))),
        menu: Some(|state, user| Box::pin(menu(state, user))),
        todos: Some(todos::todos),
        jobs: Some(library_copy::jobs),
        ..Module::new("consult", MIGRATIONS, router)
    }
}

pub const MIGRATIONS: &[platform::db::Migration] = platform::migrations![
    "050_consult" => "050_consult.sql",
    "051_consult_votes" => "051_votes.sql",
    "052_consult_library" => "052_library.sql",
    "053_consult_meetings" => "053_meetings.sql",
];

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .merge(activities::router())
        .merge(votes_api::router())
        .merge(matters::router())
        .merge(register::router())
        .merge(pages::router())
        .merge(activity_pages::router())
        .merge(matter_pages::router())
        .merge(figure_pages::router())
}

/// The consultation part of the OpenAPI document.
pub fn openapi_paths() -> serde_json::Value {
    serde_json::from_str(include_str!("../openapi.json"))
        .expect("consult openapi.json is valid JSON")
}

/// 共商 for everyone signed in: their proposals or the office's queue, and the votes of
/// their communities.
async fn menu(_state: &AppState, _user: &platform::auth::User) -> Vec<MenuItem> {
    vec![MenuItem {
        href: "/consultation",
        zh: "共商",
        en: "Consultation",
        main: true,
    }]
}
