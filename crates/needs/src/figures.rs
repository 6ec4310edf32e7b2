//! Figures for the leader's overview (issue 16): needs by where they stand and projects
//! running, within an actor's scope as staff (the needs of the units they cover; calls
//! made by those units). The lists behind the project figures (`running`, `slipping`) are
//! read with the same clauses, so a figure and the list it opens cannot disagree.

use gov_core::{GovActor, Sql};
use platform::AppState;
use serde::Serialize;
use sqlx::{FromRow, Row};

#[derive(Clone, Debug, Default, Serialize)]
pub struct Figures {
    /// Needs met by a completed referral.
    pub matched: i64,
    /// Needs nothing could meet: no match, every referral declined, or failed.
    pub unmet: i64,
    /// Needs still open or referred.
    pub pending: i64,
    /// Contracts of purchased-service projects under way.
    pub projects_running: i64,
    /// Their milestones past due and not reported met.
    pub milestones_slipping: i64,
}

/// The figures over every need as it stands.
pub async fn figures(state: &AppState, actor: &GovActor, today: &str) -> sqlx::Result<Figures> {
    figures_in(state, actor, today, None).await
}

/// "The need counts": in the actor's scope and, with `since`, raised from then on (the
/// overview's period). The needs list narrowed the same way shows these needs.
pub fn needs_counted(actor: &GovActor, since: Option<i64>, sql: &mut Sql) {
    actor.scope().apply(sql, "n.unit_path");
    if let Some(since) = since {
        let p = sql.bind(since);
        sql.push(format!("n.created_at >= {p}"));
    }
}

/// The running contracts (alias `k`, their call `c`) a figure counts for the actor.
const RUNNING_FROM: &str = "needs_contracts k JOIN needs_calls c ON c.id = k.call_id";

fn running_clause(actor: &GovActor, sql: &mut Sql) {
    actor.scope().apply(sql, "c.unit_path");
    sql.push("k.state = 'active'".into());
}

/// "A milestone (alias `m`) slips": still scheduled after its due day.
fn slipping_clause(sql: &mut Sql, today: &str) -> String {
    let day = sql.bind(today);
    format!("m.status = 'scheduled' AND m.due_on < {day}")
}

/// The figures, needs counted from `since` when given (projects are counted as they
/// stand: running now, slipping now).
pub async fn figures_in(
    state: &AppState,
    actor: &GovActor,
    today: &str,
    since: Option<i64>,
) -> sqlx::Result<Figures> {
    let mut sql = Sql::default();
    needs_counted(actor, since, &mut sql);
    let text = format!(
        "SELECT n.state AS state, COUNT(*) AS n FROM needs_needs n WHERE {} GROUP BY n.state",
        sql.where_clause()
    );
    let mut out = Figures::default();
    for r in sql.query(&text).fetch_all(&state.db.pool).await? {
        let n: i64 = r.try_get("n")?;
        match r.try_get::<String, _>("state")?.as_str() {
            "met" => out.matched += n,
            "unmet" => out.unmet += n,
            _ => out.pending += n,
        }
    }
    let mut sql = Sql::default();
    let slips = slipping_clause(&mut sql, today);
    running_clause(actor, &mut sql);
    let text = format!(
        "SELECT COUNT(DISTINCT k.id) AS running, COUNT(CASE WHEN {slips} THEN 1 END) AS slipping \
         FROM {RUNNING_FROM} LEFT JOIN needs_milestones m ON m.contract_id = k.id WHERE {}",
        sql.where_clause()
    );
    let r = sql.query(&text).fetch_one(&state.db.pool).await?;
    out.projects_running = r.try_get("running")?;
    out.milestones_slipping = r.try_get("slipping")?;
    Ok(out)
}

/// A contract or milestone behind a project figure, as its list shows it.
#[derive(Clone, Debug, Serialize, FromRow)]
pub struct ProjectLine {
    pub call_id: i64,
    pub call_title: String,
    pub unit_name: String,
    pub contract_title: String,
    pub org_name: String,
    pub amount_fen: i64,
    /// The milestone's title and due day (slipping milestones only, read by `lines`).
    #[sqlx(skip)]
    pub milestone: Option<(String, String)>,
}

async fn lines(
    state: &AppState,
    sql: Sql,
    extra_cols: &str,
    extra_from: &str,
    order: &str,
) -> sqlx::Result<Vec<ProjectLine>> {
    let text = format!(
        "SELECT c.id AS call_id, c.title AS call_title, u.name AS unit_name, k.title AS contract_title, \
         o.name AS org_name, k.amount_fen AS amount_fen{extra_cols} FROM {RUNNING_FROM} \
         JOIN governance_units u ON u.id = c.unit_id JOIN governance_orgs o ON o.id = k.org_id{extra_from} \
         WHERE {} ORDER BY {order}",
        sql.where_clause()
    );
    let with_milestone = !extra_cols.is_empty();
    sql.query(&text)
        .fetch_all(&state.db.pool)
        .await?
        .iter()
        .map(|r| {
            let mut line = ProjectLine::from_row(r)?;
            if with_milestone {
                line.milestone = Some((r.try_get("m_title")?, r.try_get("m_due")?));
            }
            Ok(line)
        })
        .collect()
}

/// The contracts `projects_running` counts for the actor.
pub async fn running(state: &AppState, actor: &GovActor) -> sqlx::Result<Vec<ProjectLine>> {
    let mut sql = Sql::default();
    running_clause(actor, &mut sql);
    lines(state, sql, "", "", "c.id, k.id").await
}

/// The milestones `milestones_slipping` counts for the actor on `today`.
pub async fn slipping(
    state: &AppState,
    actor: &GovActor,
    today: &str,
) -> sqlx::Result<Vec<ProjectLine>> {
    let mut sql = Sql::default();
    let slips = slipping_clause(&mut sql, today);
    sql.push(slips);
    running_clause(actor, &mut sql);
    lines(
        state,
        sql,
        ", m.title AS m_title, m.due_on AS m_due",
        " JOIN needs_milestones m ON m.contract_id = k.id",
        "m.due_on, m.id",
    )
    .await
}
