//! The registry (登记): the unit tree, social organisations in the 1+5+X model, unit staff,
//! the profiles organisations keep, and their grades as read. The other sub-areas build on
//! it; it depends on none of them.

pub mod api;
pub mod boundary;
pub mod boundary_import;
pub mod demo;
pub mod grades;
pub mod hub;
pub mod model;
pub mod org_pages;
pub mod orgs;
pub mod pages;
pub mod profiles;
pub mod staff;
pub mod svg;
pub mod units;
