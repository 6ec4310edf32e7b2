//! The platform's one authorisation function, for its own routes: metrics and accounts;
//! and [`Denied`], the refusal every module's `authorize` answers with.

use super::{Actor, AppError, AppResult};
use crate::auth::Role;

/// Why a module's `authorize` refused. Each module's error type maps it onto its own
/// variants (sign in, forbidden with the reason, not found).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// Sign in first.
    SignIn,
    /// Signed in but not allowed; the reason is shown.
    Forbidden(&'static str),
    /// Not visible to this actor (outside their scope): answer as if it did not exist.
    Hidden,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Read `/metrics` on the main address (administrators; a separate metrics address
    /// needs no account).
    ReadMetrics,
    /// Change one's own password.
    ChangeOwnPassword,
    /// List accounts and set or generate another account's password.
    ManageAccounts,
}

/// A module without error variants of its own answers a refusal as the platform's error.
impl From<Denied> for AppError {
    fn from(d: Denied) -> AppError {
        match d {
            Denied::SignIn => AppError::Unauthorized,
            Denied::Forbidden(why) => AppError::Forbidden(why.to_string()),
            Denied::Hidden => AppError::NotFound,
        }
    }
}

pub fn authorize(actor: &Actor, action: Action) -> AppResult<()> {
    let role = actor.role();
    match action {
        // Nobody else learns that the endpoint exists.
        Action::ReadMetrics if role == Some(Role::Admin) => Ok(()),
        Action::ReadMetrics => Err(AppError::NotFound),
        Action::ChangeOwnPassword => actor.require_user().map(|_| ()),
        Action::ManageAccounts => match role {
            None => Err(AppError::Unauthorized),
            Some(Role::Admin) => Ok(()),
            Some(_) => Err(AppError::Forbidden(
                actor
                    .lang
                    .pick(
                        "只有管理员可以管理账号。",
                        "Only administrators manage accounts.",
                    )
                    .into(),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::User;
    use crate::web::Lang;

    fn actor(role: Option<Role>) -> Actor {
        Actor {
            user: role.map(|role| User {
                id: 1,
                username: "u".into(),
                display_name: "u".into(),
                role,
            }),
            lang: Lang::Zh,
            csrf: String::new(),
            ip: String::new(),
            session_token: None,
        }
    }

    #[test]
    fn every_action_with_every_role() {
        use Action::*;
        let roles = [
            None,
            Some(Role::Member),
            Some(Role::Moderator),
            Some(Role::Admin),
        ];
        let expect = |action, role: Option<Role>| -> &'static str {
            match (action, role) {
                (ReadMetrics, Some(Role::Admin)) => "ok",
                (ReadMetrics, _) => "not_found",
                (ChangeOwnPassword, None) => "unauthorized",
                (ChangeOwnPassword, _) => "ok",
                (ManageAccounts, None) => "unauthorized",
                (ManageAccounts, Some(Role::Admin)) => "ok",
                (ManageAccounts, _) => "forbidden",
            }
        };
        for action in [ReadMetrics, ChangeOwnPassword, ManageAccounts] {
            for role in roles {
                let got = match authorize(&actor(role), action) {
                    Ok(()) => "ok",
                    Err(e) => e.code(),
                };
                assert_eq!(got, expect(action, role), "{action:?} as {role:?}");
            }
        }
    }
}
