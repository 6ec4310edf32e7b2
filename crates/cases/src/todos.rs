//! The centre's to-dos for the workbench: for a handling unit, cases to sign for and cases
//! in hand (with the nearest deadline); for the centre, new reports to accept and handled
//! cases to verify. Counted with the same filters as the inbox and the console.

use crate::authz;
use crate::model::CaseState;
use gov_core::todo::{Waiting, count};
use gov_core::{Bind, GovActor, Sql};
use platform::AppState;
use platform::auth::User;
use platform::module::{BoxFuture, Todo};

fn waiting(
    href: &'static str,
    zh: &'static str,
    en: &'static str,
    due: Option<&'static str>,
) -> Waiting<'static> {
    Waiting { href, zh, en, due }
}

/// (state, deadline column, where, zh, en)
type Step = (
    CaseState,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
);

const UNIT: &[Step] = &[
    (
        CaseState::Dispatched,
        Some("c.respond_by"),
        "/cases/inbox?state=dispatched",
        "待签收的事件",
        "Cases to sign for",
    ),
    (
        CaseState::InProgress,
        Some("c.due_at"),
        "/cases/inbox?state=in_progress",
        "办理中的事件",
        "Cases in hand",
    ),
];

const CENTRE: &[Step] = &[
    (
        CaseState::Reported,
        None,
        "/cases/console?state=reported",
        "待受理的上报",
        "Reports to accept",
    ),
    (
        CaseState::Handled,
        None,
        "/cases/console?state=handled",
        "待核查的办结事件",
        "Handled cases to verify",
    ),
];

async fn count_in(state: &AppState, mut sql: Sql, s: &Step) -> Option<Todo> {
    let (st, due, href, zh, en) = *s;
    let p = sql.bind(Bind::Text(st.as_str().into()));
    sql.push(format!("c.state = {p}"));
    count(
        &state.db,
        &sql,
        "cases_cases c",
        &waiting(href, zh, en, due),
    )
    .await
    .ok()
    .flatten()
}

pub fn todos<'a>(state: &'a AppState, user: &'a User) -> BoxFuture<'a, Vec<Todo>> {
    Box::pin(async move {
        let Ok(actor) = GovActor::of_user(&state.db, user).await else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // A handling unit is below the district: the centre's district-wide role (and a
        // platform administrator) would otherwise find every dispatched case "to sign".
        let mut unit = actor.clone();
        unit.grants.retain(|g| g.path.depth() > 1);
        if !actor.is_platform_admin() && !unit.grants.is_empty() {
            for w in UNIT {
                let mut sql = Sql::default();
                authz::inbox_filter(&unit, &mut sql);
                out.extend(count_in(state, sql, w).await);
            }
        }
        if !actor.is_platform_admin() && !unit.grants.is_empty() {
            // Cases the centre listed for supervision, soonest supervision deadline first.
            let mut sql = Sql::default();
            authz::inbox_filter(&unit, &mut sql);
            sql.push(CaseState::sql_in("c.state", &CaseState::WITH_UNIT));
            let w = waiting(
                "/cases/inbox?listed=1",
                "挂牌督办的事件",
                "Cases listed for supervision",
                Some("l.due_at"),
            );
            let from = "cases_cases c JOIN cases_listings l ON l.case_id = c.id";
            out.extend(count(&state.db, &sql, from, &w).await.ok().flatten());
        }
        if authz::is_any_centre(&actor) {
            for w in CENTRE {
                let mut sql = Sql::default();
                authz::stats_filter(&actor, &mut sql);
                out.extend(count_in(state, sql, w).await);
            }
        }
        out
    })
}
