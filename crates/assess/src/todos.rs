//! The assessment's to-dos for the workbench: sheets waiting for this user's step — to fill
//! in and submit (the unit's staff), to review (the level above), to approve (the district)
//! — in plans still open, due at the plan's deadline.

use crate::authz::{Action, Target, authorize};
use crate::model;
use gov_core::GovActor;
use platform::AppState;
use platform::auth::User;
use platform::module::{BoxFuture, Todo};

/// (sheet state, who acts, Chinese, English).
const WAITING: [(&str, Action, &str, &str); 3] = [
    (
        "open",
        Action::SelfAssess,
        "待填报提交的考核自评",
        "Assessment sheets to fill in and submit",
    ),
    (
        "submitted",
        Action::Review,
        "待审核的考核表",
        "Assessment sheets to review",
    ),
    (
        "reviewed",
        Action::Govern,
        "待审批的考核表",
        "Assessment sheets to approve",
    ),
];

pub fn todos<'a>(state: &'a AppState, user: &'a User) -> BoxFuture<'a, Vec<Todo>> {
    Box::pin(async move {
        let Ok(actor) = GovActor::of_user(&state.db, user).await else {
            return Vec::new();
        };
        if actor.grants.is_empty() {
            // Platform administrators are not anybody's reviewer by default.
            return Vec::new();
        }
        waiting(state, &actor).await.unwrap_or_default()
    })
}

async fn waiting(state: &AppState, actor: &GovActor) -> sqlx::Result<Vec<Todo>> {
    let mut out = Vec::new();
    for plan in model::open_plans(&state.db).await? {
        let sheets = model::sheets(&state.db, plan.id).await?;
        for (from, action, zh, en) in WAITING {
            let mine: Vec<_> = sheets
                .iter()
                .filter(|s| s.state == from)
                .filter(|s| {
                    let unit = match action {
                        Action::Govern => &plan.district_path,
                        _ => &s.unit_path,
                    };
                    let t = Target {
                        unit,
                        public: false,
                    };
                    // Reviewing waits for the level right above, not for every level.
                    let parent = s.unit_path.ids().iter().rev().nth(1).copied();
                    let direct = action != Action::Review
                        || actor.grants.iter().any(|g| Some(g.unit_id) == parent);
                    direct && authorize(actor, action, &t).is_ok()
                })
                .collect();
            let href = match mine.as_slice() {
                [] => continue,
                [one] => format!("/assessments/{}/units/{}", plan.year, one.unit_id),
                _ => format!("/assessments/{}", plan.year),
            };
            out.push(Todo {
                href,
                zh: zh.into(),
                en: en.into(),
                count: mine.len() as u64,
                due_ms: Some(plan.deadline_ms),
            });
        }
    }
    Ok(out)
}
