//! 社会治理 — the social-management system (SPEC G). This slice: the unit tree with scoped
//! roles (G1) and the social-organisation registry in the "1+5+X" hub model (G2).

pub mod authz;
pub mod credit;
pub mod dates;
pub mod demo;
pub mod error;
pub mod forms;
pub mod hsds;
pub mod input;
pub mod listing;
pub mod network;
pub mod oversight;
pub mod picker;
pub mod reads;
pub mod registry;
pub mod trail;
pub mod view;

use axum::Router;
use platform::AppState;
use platform::module::Module;

/// Governance as the binary wires it (ADR 020).
pub fn module() -> Module {
    Module {
        openapi_paths: Some(openapi_paths),
        demo: platform::demo_accounts!(demo::seed),
        menu: Some(authz::menu),
        ..Module::new("governance", MIGRATIONS, router)
    }
}

pub const MIGRATIONS: &[platform::db::Migration] = platform::migrations![
    "020_governance" => "001_governance.sql",
    "021_governance_services" => "002_services.sql",
    "022_governance_oversight" => "003_oversight.sql",
    "023_governance_boundaries" => "004_boundaries.sql",
];

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(registry::api::router())
        .merge(registry::boundary::router())
        .merge(registry::pages::router())
        .merge(registry::org_pages::router())
        .merge(registry::staff::router())
        .merge(network::api::router())
        .merge(network::pages::router())
        .merge(hsds::api::router())
        .merge(oversight::api::router())
        .merge(oversight::pages::router())
        .merge(oversight::dossier::router())
        .merge(oversight::stats::router())
}

/// Governance's part of the OpenAPI document.
pub fn openapi_paths() -> serde_json::Value {
    serde_json::from_str(include_str!("../openapi.json"))
        .expect("governance openapi.json is valid JSON")
}

#[cfg(test)]
mod tests {
    #[test]
    fn openapi_paths_are_an_object_of_gov_paths() {
        let v = super::openapi_paths();
        let paths = v.as_object().expect("an object");
        assert!(
            paths
                .keys()
                .all(|k| k.starts_with("/api/v1/gov/") || k.starts_with("/hsds/"))
        );
        assert!(paths.contains_key("/api/v1/gov/orgs/{id}"));
    }
}
