//! The core of the social-management system (SPEC G), shared by every G module: the unit
//! tree and its paths, roles on units, the governance actor, and the SQL that keeps lists
//! within an actor's scope. Nothing else lives here, so that `cases` and the next modules
//! depend on this small crate rather than on all of governance.

pub mod actor;
pub mod narrow;
pub mod period;
pub mod role;
pub mod sql;
pub mod todo;
pub mod unit;

pub use actor::{GovActor, OrgLink, Policy, load_org_links};
pub use narrow::Asked;
pub use period::Period;
pub use platform::web::authz::Denied;
pub use role::{Grant, MemberRole, grant_role, load_grants, unit_staff};
pub use sql::{Bind, ScopeFilter, Sql};
pub use unit::{
    UNITS_CHANGED, Unit, UnitId, UnitKind, UnitPath, children, find_unit, find_unit_by_code,
    list_units, units_by_ids,
};
