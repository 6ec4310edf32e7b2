//! Consultation's to-dos for the workbench: for the proposals office, proposals to file,
//! hand-back requests to decide and replies to check; for a lead unit, proposals to sign
//! for and to reply to, with the nearest deadline.

use crate::authz::ConsultActor;
use gov_core::todo::{Waiting, count};
use gov_core::{Bind, GovActor, Sql};
use platform::AppState;
use platform::auth::User;
use platform::module::{BoxFuture, Todo};

const FROM: &str = "consult_proposals p LEFT JOIN governance_units l ON l.id = p.lead_unit_id";

fn waiting(zh: &'static str, en: &'static str, due: Option<&'static str>) -> Waiting<'static> {
    Waiting {
        href: "/consultation",
        zh,
        en,
        due,
    }
}

const OFFICE: &[(&str, &str, &str)] = &[
    (
        "submitted",
        "待立案审查的提案",
        "Proposals to review for filing",
    ),
    (
        "return_requested",
        "承办单位申请退回的提案",
        "Hand-back requests to decide",
    ),
    ("countersigned", "待审核的提案答复", "Replies to check"),
];

const LEAD: &[(&str, &str, &str, &str)] = &[
    (
        "assigned",
        "p.sign_due",
        "待签收的提案",
        "Proposals to sign for",
    ),
    (
        "handling",
        "p.reply_due",
        "待答复的提案",
        "Proposals to reply to",
    ),
    (
        "second_handling",
        "p.reply_due",
        "二次办理的提案",
        "Proposals handled a second time",
    ),
];

fn in_state(mut sql: Sql, state: &str) -> Sql {
    let p = sql.bind(Bind::Text(state.into()));
    sql.push(format!("p.state = {p}"));
    sql
}

pub fn todos<'a>(state: &'a AppState, user: &'a User) -> BoxFuture<'a, Vec<Todo>> {
    Box::pin(async move {
        let Ok(gov) = GovActor::of_user(&state.db, user).await else {
            return Vec::new();
        };
        let Ok(actor) = ConsultActor::load(state, gov).await else {
            return Vec::new();
        };
        let db = &state.db;
        let mut out = Vec::new();
        if !actor.office.is_empty() {
            let ids: Vec<String> = actor.office.iter().map(i64::to_string).collect();
            for (st, zh, en) in OFFICE {
                let mut sql = Sql::default();
                sql.push(format!("p.district_id IN ({})", ids.join(", ")));
                let sql = in_state(sql, st);
                out.extend(
                    count(db, &sql, FROM, &waiting(zh, en, None))
                        .await
                        .ok()
                        .flatten(),
                );
            }
        }
        // A lead unit is below the district (the district's own grants are the centre's).
        let roots: Vec<_> = actor
            .gov
            .grants
            .iter()
            .filter(|g| g.path.depth() > 1)
            .collect();
        if roots.is_empty() {
            return out;
        }
        for (st, due, zh, en) in LEAD {
            let mut sql = Sql::default();
            let parts: Vec<String> = roots
                .iter()
                .map(|g| {
                    format!(
                        "l.path LIKE {} || '%'",
                        sql.bind(Bind::Text(g.path.as_str().into()))
                    )
                })
                .collect();
            sql.push(format!("({})", parts.join(" OR ")));
            let sql = in_state(sql, st);
            out.extend(
                count(db, &sql, FROM, &waiting(zh, en, Some(due)))
                    .await
                    .ok()
                    .flatten(),
            );
        }
        out
    })
}
