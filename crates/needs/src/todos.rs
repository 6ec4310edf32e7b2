//! Needs' to-dos for the workbench (ADR 030, 033): for a reviewer, the applications given
//! to them that wait for their scores, per call, linking to the call's page; for the
//! projects office (workers of a call's unit), the milestones marked overdue and not met.

use crate::review_plan;
use gov_core::todo::{Waiting, count};
use gov_core::{GovActor, MemberRole, Sql};
use platform::AppState;
use platform::auth::User;
use platform::module::{BoxFuture, Todo};

const OVERDUE_FROM: &str = "needs_milestones m JOIN needs_contracts k ON k.id = m.contract_id \
    JOIN needs_calls c ON c.id = k.call_id";

pub fn todos<'a>(state: &'a AppState, user: &'a User) -> BoxFuture<'a, Vec<Todo>> {
    Box::pin(async move {
        let Ok(actor) = GovActor::of_user(&state.db, user).await else {
            return Vec::new();
        };
        let mut out: Vec<Todo> = review_plan::my_queue(state, &actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|q| q.waiting > 0)
            .map(|q| Todo {
                href: format!("/needs/projects/{}", q.call_id),
                zh: format!("待评审的申报：{}", q.call_title),
                en: format!("Applications to score: {}", q.call_title),
                count: q.waiting as u64,
                due_ms: None,
            })
            .collect();
        if crate::authz::is_staff(&actor) {
            let mut sql = Sql::default();
            actor
                .scope_with(MemberRole::Worker)
                .apply(&mut sql, "c.unit_path");
            sql.push("m.overdue_at > 0 AND m.status <> 'met'".into());
            let w = Waiting {
                href: "/needs/projects",
                zh: "逾期未达成的项目里程碑",
                en: "Project milestones overdue",
                due: Some("m.overdue_at"),
            };
            out.extend(
                count(&state.db, &sql, OVERDUE_FROM, &w)
                    .await
                    .ok()
                    .flatten(),
            );
        }
        out
    })
}
