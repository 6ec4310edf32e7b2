//! 需求对接 — needs matched to services with closed-loop referrals (SPEC G4, issue 14).
//! A need raised by a resident, a grid worker, a community, a unit or an organisation is
//! ranked against the active services of governance's network (category, words, place,
//! places left, grade, past outcomes, hours); a worker refers it; the provider moves the
//! referral to its outcome; the outcome and the resident's feedback come back to the
//! referrer; what stays unmet rolls up into the gap report.
//!
//! Governance's data (organisations, services, grades, reports) is read through
//! `governance::reads` (ADR 036), never its tables; units, roles and scopes come from
//! `gov-core` (ADR 022).

pub mod api;
pub mod application_page;
pub mod apply_pages;
pub mod attachments;
pub mod authz;
pub mod budget;
pub mod call_page;
pub mod call_pages;
pub mod counted;
pub mod demo;
pub mod error;
pub mod evaluation;
pub mod figures;
pub mod figures_pages;
pub mod flow;
pub mod followup_api;
pub mod gap;
pub mod lexicon;
pub mod matching;
pub mod milestone_watch;
pub mod model;
pub mod ocds;
pub mod pages;
pub mod projects;
pub mod projects_api;
pub mod projects_pages;
pub mod projects_review;
pub mod referral;
pub mod review_pages;
pub mod review_plan;
pub mod sweep;
pub mod todos;

use axum::Router;
use platform::AppState;
use platform::module::Module;
use platform::web::menu::{Menu, MenuItem};

/// The needs module as the binary wires it (ADR 020).
pub fn module() -> Module {
    Module {
        openapi_paths: Some(openapi_paths),
        start: Some(|state, _demo| {
            Box::pin(async move {
                sweep::start(state.clone());
                Ok(())
            })
        }),
        demo: platform::demo_accounts!(demo::seed),
        menu: Some(menu),
        todos: Some(todos::todos),
        org_record: Some(evaluation::org_record),
        ..Module::new("needs", MIGRATIONS, router)
    }
}

pub const MIGRATIONS: &[platform::db::Migration] = platform::migrations![
    "040_needs" => "001_needs.sql",
    "041_needs_projects" => "002_projects.sql",
    "042_needs_review_plan" => "003_review_plan.sql",
    "043_needs_attachments" => "004_attachments.sql",
];

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(projects_api::router())
        .merge(projects_pages::router())
        .merge(call_pages::router())
        .merge(apply_pages::router())
        .merge(review_pages::router())
        .merge(followup_api::router())
        .merge(call_page::router())
        .merge(application_page::router())
        .merge(figures_pages::router())
}

/// Every signed-in account may raise needs and follow its own; staff also see the gap
/// report.
pub fn menu<'a>(state: &'a AppState, user: &'a platform::auth::User) -> Menu<'a> {
    Box::pin(async move {
        let item = MenuItem::new;
        let mut out = vec![
            item("/needs", "需求对接", "Needs", true),
            item("/needs/projects", "购买服务项目", "Projects", false),
        ];
        let staff = user.role == platform::auth::Role::Admin
            || !gov_core::load_grants(&state.db, user.id)
                .await
                .unwrap_or_default()
                .is_empty();
        if staff {
            out.push(item("/needs/gaps", "需求缺口", "Unmet needs", false));
        }
        out
    })
}

/// The needs part of the OpenAPI document.
pub fn openapi_paths() -> serde_json::Value {
    serde_json::from_str(include_str!("../openapi.json")).expect("needs openapi.json is valid JSON")
}
