//! The viewer narrowed to one unit: figures that a module computes "for the actor's scope"
//! then cover exactly that unit's subtree, with the module's own scope rules unchanged.
//! The overview and the assessment both ask each module's figures this way.

use crate::{GovActor, Grant, MemberRole, Unit};
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
            grants: vec![Grant {
                unit_id: unit.id,
                unit_name: unit.name.clone(),
                path: unit.path.clone(),
                role: MemberRole::Viewer,
            }],
            org_links: Vec::new(),
        }
    }
}
