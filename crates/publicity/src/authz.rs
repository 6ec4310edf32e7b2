//! Publicity's one authorisation function. A unit's workers (and those of the units
//! above it) draft its announcements; its administrators publish and withdraw them; a
//! published announcement is public, a draft or a withdrawn one is seen only by those who
//! may write it — to anyone else it does not exist.

use crate::model::{Post, PostState};
use gov_core::{GovActor, MemberRole, UnitPath};
use platform::AppState;
use platform::web::authz::Denied;
use platform::web::menu::{Menu, MenuItem};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Read an announcement (published: anyone).
    Read,
    /// Draft, edit a draft, attach a picture.
    Write,
    /// Publish a draft, withdraw a published one.
    Publish,
}

/// What a request is about.
pub enum Target<'a> {
    /// Publicity as a whole (the editor's pages).
    Anywhere,
    /// A unit a new announcement is for.
    Unit(&'a UnitPath),
    Post(&'a Post),
}

fn at_least(actor: &GovActor, path: &UnitPath, role: MemberRole) -> bool {
    actor.is_platform_admin() || actor.role_on(path).is_some_and(|r| r >= role)
}

pub fn authorize(actor: &GovActor, action: Action, target: &Target) -> Result<(), Denied> {
    let path = match target {
        Target::Post(p) if action == Action::Read && p.state == PostState::Published => {
            return Ok(());
        }
        Target::Post(p) => Some(&p.unit_path),
        Target::Unit(u) => Some(*u),
        Target::Anywhere => None,
    };
    if actor.user.is_none() {
        return Err(match target {
            Target::Post(_) => Denied::Hidden,
            _ => Denied::SignIn,
        });
    }
    let need = match action {
        Action::Read | Action::Write => MemberRole::Worker,
        Action::Publish => MemberRole::UnitAdmin,
    };
    let allowed = match path {
        Some(p) => at_least(actor, p, need),
        None => {
            actor.is_platform_admin() || actor.grants.iter().any(|g| g.role >= MemberRole::Worker)
        }
    };
    if allowed {
        return Ok(());
    }
    match (target, action) {
        // Unpublished and not theirs to write: as if it did not exist.
        (Target::Post(p), _) if !at_least(actor, &p.unit_path, MemberRole::Worker) => {
            Err(Denied::Hidden)
        }
        (_, Action::Publish) => Err(Denied::Forbidden(platform::bi!(
            "只有本单位（或上级单位）的管理员可以发布或撤回公告。",
            "Only an administrator of the unit (or of a unit above it) publishes or withdraws its announcements."
        ))),
        _ => Err(Denied::Forbidden(platform::bi!(
            "只有本单位（或上级单位）的工作人员可以撰写公告。",
            "Only staff of the unit (or of a unit above it) write its announcements."
        ))),
    }
}

/// The news page for everyone signed in; the editor's list for unit staff.
pub fn menu<'a>(state: &'a AppState, user: &'a platform::auth::User) -> Menu<'a> {
    Box::pin(async move {
        let item = MenuItem::new;
        // The news page is in the site's own navigation; staff also get their drafts.
        let mut out = Vec::new();
        let staff = user.role == platform::auth::Role::Admin
            || gov_core::load_grants(&state.db, user.id)
                .await
                .unwrap_or_default()
                .iter()
                .any(|g| g.role >= MemberRole::Worker);
        if staff {
            out.push(item("/news/drafts", "稿件", "Drafts", false));
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PostKind;
    use platform::auth::Role;

    fn path(s: &str) -> UnitPath {
        UnitPath::parse(s).unwrap()
    }

    fn actor(signed_in: bool, grants: &[(&str, MemberRole)]) -> GovActor {
        GovActor::for_test(7, signed_in.then_some(Role::Member), grants)
    }

    fn post(state: PostState) -> Post {
        Post {
            id: 1,
            unit_id: 3,
            unit_path: path("/1/2/3/"),
            unit_name: String::new(),
            kind: PostKind::Notice,
            title: "t".into(),
            summary: String::new(),
            body: "b".into(),
            picture_type: String::new(),
            state,
            author_id: 9,
            created_ms: 0,
            updated_ms: 0,
            published_ms: None,
        }
    }

    #[test]
    fn published_is_public_and_drafts_are_hidden_outside_the_unit() {
        let published = post(PostState::Published);
        let draft = post(PostState::Draft);
        let stranger = actor(false, &[]);
        let resident = actor(true, &[]);
        let other_street = actor(true, &[("/1/5/", MemberRole::UnitAdmin)]);
        for a in [&stranger, &resident, &other_street] {
            assert_eq!(
                authorize(a, Action::Read, &Target::Post(&published)),
                Ok(())
            );
            assert_eq!(
                authorize(a, Action::Read, &Target::Post(&draft)),
                Err(Denied::Hidden)
            );
            assert_eq!(
                authorize(a, Action::Publish, &Target::Post(&draft)),
                Err(Denied::Hidden)
            );
        }
        let street_worker = actor(true, &[("/1/2/", MemberRole::Worker)]);
        assert_eq!(
            authorize(&street_worker, Action::Read, &Target::Post(&draft)),
            Ok(())
        );
        assert_eq!(
            authorize(&street_worker, Action::Write, &Target::Post(&draft)),
            Ok(())
        );
        assert!(matches!(
            authorize(&street_worker, Action::Publish, &Target::Post(&draft)),
            Err(Denied::Forbidden(_))
        ));
        let community_admin = actor(true, &[("/1/2/3/", MemberRole::UnitAdmin)]);
        assert_eq!(
            authorize(&community_admin, Action::Publish, &Target::Post(&draft)),
            Ok(())
        );
        let viewer = actor(true, &[("/1/2/3/", MemberRole::Viewer)]);
        assert_eq!(
            authorize(&viewer, Action::Read, &Target::Post(&draft)),
            Err(Denied::Hidden)
        );
        assert_eq!(
            authorize(&stranger, Action::Write, &Target::Anywhere),
            Err(Denied::SignIn)
        );
        assert!(matches!(
            authorize(&resident, Action::Write, &Target::Anywhere),
            Err(Denied::Forbidden(_))
        ));
    }
}
