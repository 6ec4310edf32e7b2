//! Publicity's to-dos for the workbench: drafts waiting for an administrator to publish.

use crate::model::{Filter, PostState};
use gov_core::{GovActor, MemberRole};
use platform::AppState;
use platform::auth::User;
use platform::module::{BoxFuture, Todo};

pub fn todos<'a>(state: &'a AppState, user: &'a User) -> BoxFuture<'a, Vec<Todo>> {
    Box::pin(async move {
        let Ok(actor) = GovActor::of_user(&state.db, user).await else {
            return Vec::new();
        };
        let scope = actor.scope_with(MemberRole::UnitAdmin);
        if scope.0.as_ref().is_some_and(|roots| roots.is_empty()) {
            return Vec::new();
        }
        let f = Filter {
            state: Some(PostState::Draft),
            scope: Some(scope),
            ..Filter::default()
        };
        match crate::model::list(&state.db, &f, 1, 0).await {
            Ok((_, n)) if n > 0 => vec![Todo {
                href: "/news/drafts?state=draft".into(),
                zh: "待审核发布的公告".into(),
                en: "Announcements to review and publish".into(),
                count: n as u64,
                due_ms: None,
            }],
            _ => Vec::new(),
        }
    })
}
