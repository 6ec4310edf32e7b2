//! Oversight (监管) of registered organisations: annual reports and their review, the
//! abnormal-activity list, grade assessment, statistics, and each organisation's page.

pub mod api;
pub mod assess;
pub mod demo;
pub mod dossier;
pub mod pages;
pub mod reports;
pub mod stats;
