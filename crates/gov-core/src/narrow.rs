//! The viewer narrowed to one unit: figures that a module computes "for the actor's scope"
//! then cover exactly that unit's subtree, with the module's own scope rules unchanged.
//! The overview and the assessment both ask each module's figures this way.

use crate::{GovActor, Grant, Unit};
use platform::auth::Role;

impl GovActor {
    /// The actor as if they held one viewer role on `unit` only.
    pub fn narrowed(&self, unit: &Unit) -> GovActor {
        let mut base = self.base.clone();
        if let Some(u) = base.user.as_mut() {
            // A platform administrator's "everything" would ignore the narrowing.
            u.role = Role::Member;
        }
        GovActor {
            base,
            grants: vec![Grant::viewer_of(unit)],
            org_links: Vec::new(),
        }
    }
}

/// A unit asked for in a list's `unit=ID` (drill-down from the overview, ADR 032).
#[derive(Clone, Debug)]
pub enum Asked {
    /// No unit asked for: the viewer's whole scope.
    Everywhere,
    /// A unit in the viewer's scope.
    Unit(Unit),
    /// Junk, no such unit, or one outside the viewer's scope: the module's 400.
    NotYours,
}

impl Asked {
    /// The unit asked for in `raw`, checked against the actor's scope.
    pub async fn parse(
        db: &platform::db::Db,
        actor: &GovActor,
        raw: Option<&str>,
    ) -> sqlx::Result<Asked> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(Asked::Everywhere);
        };
        let Some(id) = crate::UnitId::parse(raw) else {
            return Ok(Asked::NotYours);
        };
        Ok(match crate::find_unit(db, id).await? {
            Some(u) if actor.is_platform_admin() || actor.role_on(&u.path).is_some() => {
                Asked::Unit(u)
            }
            _ => Asked::NotYours,
        })
    }

    /// The viewer whose scope the figures were counted in: narrowed to the unit, or as is.
    pub fn viewer(&self, actor: &GovActor) -> GovActor {
        match self {
            Asked::Unit(u) => actor.narrowed(u),
            _ => actor.clone(),
        }
    }
}
