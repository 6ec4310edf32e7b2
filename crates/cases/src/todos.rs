//! The centre's to-dos for the workbench: for a handling unit, cases to sign for and cases
//! in hand (with the nearest deadline); for the centre, new reports to accept and handled
//! cases to verify. Counted with the same filters as the inbox and the console.

use crate::authz;
use crate::model::CaseState;
use gov_core::{Bind, GovActor, Sql};
use platform::AppState;
use platform::auth::User;
use platform::module::{BoxFuture, Todo};
use sqlx::Row;

struct Waiting {
    state: CaseState,
    /// The deadline that makes it urgent, if any.
    due: Option<&'static str>,
    href: &'static str,
    zh: &'static str,
    en: &'static str,
}

const UNIT: &[Waiting] = &[
    Waiting {
        state: CaseState::Dispatched,
        due: Some("respond_by"),
        href: "/cases/inbox?state=dispatched",
        zh: "待签收的事件",
        en: "Cases to sign for",
    },
    Waiting {
        state: CaseState::InProgress,
        due: Some("due_at"),
        href: "/cases/inbox?state=in_progress",
        zh: "办理中的事件",
        en: "Cases in hand",
    },
];

const CENTRE: &[Waiting] = &[
    Waiting {
        state: CaseState::Reported,
        due: None,
        href: "/cases/console?state=reported",
        zh: "待受理的上报",
        en: "Reports to accept",
    },
    Waiting {
        state: CaseState::Handled,
        due: None,
        href: "/cases/console?state=handled",
        zh: "待核查的办结事件",
        en: "Handled cases to verify",
    },
];

async fn count(state: &AppState, mut sql: Sql, w: &Waiting) -> sqlx::Result<Option<Todo>> {
    let p = sql.bind(Bind::Text(w.state.as_str().into()));
    sql.push(format!("c.state = {p}"));
    let due = w.due.map_or("NULL".to_string(), |c| format!("MIN(c.{c})"));
    let text = format!(
        "SELECT COUNT(*) AS n, {due} AS due FROM cases_cases c WHERE {}",
        sql.where_clause()
    );
    let row = sql.query(&text).fetch_one(&state.db.pool).await?;
    let n: i64 = row.try_get("n")?;
    Ok((n > 0).then(|| Todo {
        href: w.href.into(),
        zh: w.zh.into(),
        en: w.en.into(),
        count: n as u64,
        due_ms: row.try_get::<Option<i64>, _>("due").ok().flatten(),
    }))
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
                out.extend(count(state, sql, w).await.ok().flatten());
            }
        }
        if authz::is_any_centre(&actor) {
            for w in CENTRE {
                let mut sql = Sql::default();
                authz::stats_filter(&actor, &mut sql);
                out.extend(count(state, sql, w).await.ok().flatten());
            }
        }
        out
    })
}
