//! The governance actor: the platform's actor plus where they work — their roles on units
//! and the organisations they are staff of. Each G module decides what the actor may do
//! with its own `authorize` function, which `GovActor::can` asks through [`Policy`].

use crate::role::{Grant, MemberRole, load_grants};
use crate::sql::ScopeFilter;
use crate::unit::UnitPath;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use platform::auth::Role;
use platform::db::Db;
use platform::web::authz::Denied;
use platform::{Actor, AppError, AppState};
use serde::Serialize;
use std::ops::Deref;

/// An organisation the actor works for (an org-staff link): they may read its record,
/// edit its profile and submit its annual report — nothing else (ADR 010).
#[derive(Clone, Debug, Serialize)]
pub struct OrgLink {
    pub org_id: i64,
    pub org_name: String,
    #[serde(skip)]
    pub unit_path: UnitPath,
}

/// The platform's actor plus their governance memberships and organisation links.
#[derive(Clone, Debug)]
pub struct GovActor {
    pub base: Actor,
    pub grants: Vec<Grant>,
    pub org_links: Vec<OrgLink>,
}

impl Deref for GovActor {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.base
    }
}

/// One context's authorisation function (`authorize(actor, action, target)`), seen from
/// the action, so that [`GovActor::can`] works for every G module's actions.
pub trait Policy<T: ?Sized> {
    fn check(self, actor: &GovActor, target: &T) -> Result<(), Denied>;
}

impl GovActor {
    /// The actor a signed-in user is, outside a request: for hooks asked per user (menu
    /// entries, workbench to-dos), which get the user and not the request.
    pub async fn of_user(db: &Db, user: &platform::auth::User) -> sqlx::Result<GovActor> {
        Ok(GovActor {
            org_links: load_org_links(db, user.id).await?,
            ..GovActor::offline(Some(user.clone()), load_grants(db, user.id).await?)
        })
    }

    /// An actor outside a request — a job, the demo — with `grants` and no organisation
    /// links, reading Chinese.
    pub fn offline(user: Option<platform::auth::User>, grants: Vec<Grant>) -> GovActor {
        GovActor {
            base: Actor {
                user,
                lang: platform::web::Lang::Zh,
                csrf: String::new(),
                ip: String::new(),
                session_token: None,
            },
            grants,
            org_links: Vec::new(),
        }
    }

    /// The actor of the modules' authorisation unit tests: user `id` with `role` (`None`: a
    /// visitor), holding each (unit path, role) of `grants` on the path's last unit.
    #[doc(hidden)]
    pub fn for_test(id: i64, role: Option<Role>, grants: &[(&str, MemberRole)]) -> GovActor {
        let user = role.map(|role| platform::auth::User {
            id,
            username: "u".into(),
            display_name: "u".into(),
            role,
        });
        let grants = grants
            .iter()
            .map(|(p, role)| {
                let path = UnitPath::parse(p).expect("a unit path such as /1/2/");
                Grant {
                    unit_id: *path.ids().last().expect("a path names a unit"),
                    unit_name: String::new(),
                    path,
                    role: *role,
                }
            })
            .collect();
        GovActor::offline(user, grants)
    }

    pub fn is_platform_admin(&self) -> bool {
        self.base.role() == Some(Role::Admin)
    }

    /// Appends what this actor did (`action` on `subject`) to the audit log, in the step's
    /// transaction.
    pub async fn audit(
        &self,
        tx: &mut platform::db::Tx,
        at: i64,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> sqlx::Result<()> {
        platform::audit::record(tx, at, self.id(), action, subject, detail).await
    }

    /// Whether the actor holds a role on some unit, or is a platform administrator: staff.
    pub fn is_staff(&self) -> bool {
        self.is_platform_admin() || !self.grants.is_empty()
    }

    /// Staff only (see [`GovActor::is_staff`]): visitors are asked to sign in, others are
    /// refused with `why` (`platform::bi!`).
    pub fn staff_only(&self, why: &'static str) -> Result<(), Denied> {
        if self.user.is_none() {
            Err(Denied::SignIn)
        } else if self.is_staff() {
            Ok(())
        } else {
            Err(Denied::Forbidden(why))
        }
    }

    /// A platform administrator, or an administrator of a district (a top-level unit): who
    /// configures a module's district-wide settings.
    pub fn is_district_admin(&self) -> bool {
        self.is_platform_admin()
            || self
                .grants
                .iter()
                .any(|g| g.path.depth() == 1 && g.role >= MemberRole::UnitAdmin)
    }

    /// The subtrees this actor may see (outermost grants only; `None` = everything).
    pub fn scope(&self) -> ScopeFilter {
        if self.is_platform_admin() {
            return ScopeFilter(None);
        }
        let mut roots: Vec<UnitPath> = Vec::new();
        for g in &self.grants {
            if !self.grants.iter().any(|o| g.path.strictly_below(&o.path))
                && !roots.contains(&g.path)
            {
                roots.push(g.path.clone());
            }
        }
        ScopeFilter(Some(roots))
    }

    /// The strongest role that covers `path` (held on it or on an ancestor).
    pub fn role_on(&self, path: &UnitPath) -> Option<MemberRole> {
        self.grants
            .iter()
            .filter(|g| g.path.contains(path))
            .map(|g| g.role)
            .max()
    }

    /// The subtrees in which the actor holds at least `role` (for form choices).
    pub fn scope_with(&self, role: MemberRole) -> ScopeFilter {
        if self.is_platform_admin() {
            return ScopeFilter(None);
        }
        let mut roots: Vec<UnitPath> = Vec::new();
        for g in self.grants.iter().filter(|g| g.role >= role) {
            if !roots.contains(&g.path) {
                roots.push(g.path.clone());
            }
        }
        ScopeFilter(Some(roots))
    }

    /// Whether the actor works for this organisation (an org-staff link).
    pub fn works_for(&self, org_id: i64) -> bool {
        self.org_links.iter().any(|l| l.org_id == org_id)
    }

    /// Whether the action's context allows it on `target`.
    pub fn can<A: Policy<T>, T: ?Sized>(&self, action: A, target: &T) -> bool {
        action.check(self, target).is_ok()
    }
}

/// The organisations `user_id` is staff of. (The organisation tables belong to governance's
/// registry; the link is read here because it is part of who the actor is.)
pub async fn load_org_links(db: &Db, user_id: i64) -> sqlx::Result<Vec<OrgLink>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT o.id, o.name, u.path FROM governance_org_staff s \
         JOIN governance_orgs o ON o.id = s.org_id \
         JOIN governance_units u ON u.id = o.unit_id WHERE s.user_id = $1 ORDER BY o.id",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(org_id, org_name, path)| {
            Some(OrgLink {
                org_id,
                org_name,
                unit_path: UnitPath::parse(&path)?,
            })
        })
        .collect())
}

impl FromRequestParts<AppState> for GovActor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<GovActor, AppError> {
        let base = Actor::from_request_parts(parts, state).await?;
        let (grants, org_links) = match base.id() {
            Some(id) => (
                load_grants(&state.db, id).await?,
                load_org_links(&state.db, id).await?,
            ),
            None => (Vec::new(), Vec::new()),
        };
        Ok(GovActor {
            base,
            grants,
            org_links,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> UnitPath {
        UnitPath::parse(s).unwrap()
    }

    fn actor(role: Role, grants: &[(&str, MemberRole)]) -> GovActor {
        GovActor::for_test(5, Some(role), grants)
    }

    #[test]
    fn scopes_collapse_nested_grants_and_roles_cover_subtrees() {
        let a = actor(
            Role::Member,
            &[
                ("/1/2/", MemberRole::Viewer),
                ("/1/2/4/", MemberRole::Worker),
                ("/1/3/", MemberRole::Worker),
            ],
        );
        assert_eq!(a.scope().0.unwrap(), vec![path("/1/2/"), path("/1/3/")]);
        assert_eq!(
            a.scope_with(MemberRole::Worker).0.unwrap(),
            vec![path("/1/2/4/"), path("/1/3/")]
        );
        assert_eq!(a.role_on(&path("/1/2/4/6/")), Some(MemberRole::Worker));
        assert_eq!(a.role_on(&path("/1/2/5/")), Some(MemberRole::Viewer));
        assert_eq!(a.role_on(&path("/1/")), None);
        let admin = actor(Role::Admin, &[]);
        assert!(admin.scope().0.is_none());
        assert!(admin.scope_with(MemberRole::UnitAdmin).0.is_none());
    }

    /// A module's rules, seen through `GovActor::can`.
    #[derive(Clone, Copy)]
    struct EditUnit;

    impl Policy<UnitPath> for EditUnit {
        fn check(self, actor: &GovActor, target: &UnitPath) -> Result<(), Denied> {
            match actor.role_on(target) {
                Some(r) if r >= MemberRole::Worker => Ok(()),
                Some(_) => Err(Denied::Forbidden("workers only")),
                None => Err(Denied::Hidden),
            }
        }
    }

    #[test]
    fn can_asks_the_actions_policy() {
        let a = actor(Role::Member, &[("/1/2/", MemberRole::Worker)]);
        assert!(a.can(EditUnit, &path("/1/2/7/")));
        assert!(!a.can(EditUnit, &path("/1/3/")));
    }
}
