//! Reviewers spread over a call's applications in balance, and blind review (issue 14,
//! ADR 033). The office names the call's reviewers (`projects_review::assign`) and asks for
//! k reviewers per application; [`balance`] gives each application to the k eligible
//! reviewers with the least load so far, skipping every conflict of interest recorded or
//! found in the registries, so loads differ by at most one where conflicts allow. Once
//! distributed, a reviewer scores only what they were given. On a blind call a reviewer
//! sees neither the applicant's name nor its identifying fields until the scores are final
//! (the office closes the review, or awards a contract).

use crate::authz::{Action, Target, authorize};
use crate::error::{NeedError, NeedResult};
use crate::projects::{self, Call};
use crate::projects_review as pr;
use gov_core::GovActor;
use governance::reads::Org;
use platform::AppState;
use platform::web::Code;
use serde::Serialize;
use serde_json::json;
use sqlx::{FromRow, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The plan: application → its reviewers. `kept` are pairs that stay whatever happens
/// (the reviewer scored it already); `conflicted` pairs are never planned. Applications
/// with the fewest eligible reviewers are served first, each by the least-loaded
/// reviewers (ties by id), so the same input always gives the same plan.
pub fn balance(
    apps: &[i64],
    reviewers: &[i64],
    k: usize,
    conflicted: &BTreeSet<(i64, i64)>,
    kept: &BTreeSet<(i64, i64)>,
) -> BTreeMap<i64, Vec<i64>> {
    let mut load: BTreeMap<i64, usize> = reviewers.iter().map(|r| (*r, 0)).collect();
    let mut plan: BTreeMap<i64, Vec<i64>> = apps.iter().map(|a| (*a, Vec::new())).collect();
    for (a, r) in kept {
        if let (Some(list), Some(l)) = (plan.get_mut(a), load.get_mut(r)) {
            list.push(*r);
            *l += 1;
        }
    }
    let eligible = |a: i64| {
        reviewers
            .iter()
            .filter(move |r| !conflicted.contains(&(a, **r)))
            .count()
    };
    let mut order: Vec<i64> = apps.to_vec();
    order.sort_by_key(|a| (eligible(*a), *a));
    for a in order {
        while plan[&a].len() < k {
            let pick = reviewers
                .iter()
                .filter(|r| !conflicted.contains(&(a, **r)) && !plan[&a].contains(r))
                .min_by_key(|r| (load[*r], **r));
            let Some(r) = pick else { break };
            plan.get_mut(&a).expect("planned").push(*r);
            *load.get_mut(r).expect("reviewer") += 1;
        }
        plan.get_mut(&a).expect("planned").sort();
    }
    plan
}

#[derive(Debug, Serialize, FromRow)]
pub struct Load {
    pub user_id: i64,
    pub username: String,
    pub assigned: i64,
    pub reviewed: i64,
}

#[derive(Debug, Serialize)]
pub struct Distribution {
    pub k: i64,
    pub assignments: Vec<Assignment>,
    pub loads: Vec<Load>,
    /// Applications that got fewer than k reviewers (too many conflicts).
    pub short: Vec<i64>,
}

#[derive(Debug, Serialize)]
pub struct Assignment {
    pub application_id: i64,
    pub reviewers: Vec<i64>,
}

async fn pairs(state: &AppState, sql: &str, call: i64) -> sqlx::Result<BTreeSet<(i64, i64)>> {
    let rows = sqlx::query(sql)
        .bind(call)
        .fetch_all(&state.db.pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("a")?, r.try_get("r")?)))
        .collect()
}

/// The reviewers' loads on a call: applications given and reviews written.
pub async fn loads(state: &AppState, call: i64) -> sqlx::Result<Vec<Load>> {
    sqlx::query_as(
        "SELECT v.user_id, u.username, \
         (SELECT COUNT(*) FROM needs_review_assignments x WHERE x.call_id = v.call_id AND x.reviewer_id = v.user_id) AS assigned, \
         (SELECT COUNT(*) FROM needs_reviews r JOIN needs_applications a ON a.id = r.application_id \
          WHERE a.call_id = v.call_id AND r.reviewer_id = v.user_id) AS reviewed \
         FROM needs_reviewers v JOIN platform_users u ON u.id = v.user_id WHERE v.call_id = $1 ORDER BY v.user_id",
    )
    .bind(call)
    .fetch_all(&state.db.pool)
    .await
}

fn final_already() -> NeedError {
    NeedError::coded(
        Code::Conflict,
        platform::bi!(
            "评分已确定，不能再分配或评审。",
            "the scores are final: no more assigning or scoring"
        ),
    )
}

/// Gives each application of the call to k of its reviewers, in balance (the office).
pub async fn distribute(
    state: &AppState,
    actor: &GovActor,
    call_id: i64,
    k: Option<i64>,
) -> NeedResult<Distribution> {
    let call = projects::call_for(state, actor, call_id, Action::Fund).await?;
    if call.reviews_final {
        return Err(final_already());
    }
    let reviewers: Vec<i64> = loads(state, call_id)
        .await?
        .iter()
        .map(|l| l.user_id)
        .collect();
    let k = k.unwrap_or(0);
    if reviewers.is_empty() || !(1..=reviewers.len() as i64).contains(&k) {
        return Err(NeedError::field(platform::bi!(
            "每份申报的评审人数须在 1 到已指定评审人数之间；请先指定评审人。",
            "k takes 1 to the number of the call's reviewers; assign reviewers first"
        )));
    }
    let apps = app_rows(state, "a.call_id = $1", call_id).await?;
    let mut conflicted = pairs(
        state,
        "SELECT c.application_id AS a, c.reviewer_id AS r FROM needs_conflicts c \
         JOIN needs_applications a ON a.id = c.application_id WHERE a.call_id = $1",
        call_id,
    )
    .await?;
    for a in &apps {
        for r in &reviewers {
            if !pr::detect(state, *r, a.org_id).await?.is_empty() {
                conflicted.insert((a.id, *r));
            }
        }
    }
    let kept = pairs(
        state,
        "SELECT r.application_id AS a, r.reviewer_id AS r FROM needs_reviews r \
         JOIN needs_applications a ON a.id = r.application_id WHERE a.call_id = $1",
        call_id,
    )
    .await?;
    let ids: Vec<i64> = apps.iter().map(|a| a.id).collect();
    let plan = balance(&ids, &reviewers, k as usize, &conflicted, &kept);
    let now = state.now();
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    sqlx::query("DELETE FROM needs_review_assignments WHERE call_id = $1")
        .bind(call_id)
        .execute(&mut *change.tx)
        .await?;
    for (a, rs) in &plan {
        for r in rs {
            sqlx::query("INSERT INTO needs_review_assignments (application_id, reviewer_id, call_id, assigned_at) VALUES ($1, $2, $3, $4)")
                .bind(a)
                .bind(r)
                .bind(call_id)
                .bind(now)
                .execute(&mut *change.tx)
                .await?;
        }
    }
    let short: Vec<i64> = plan
        .iter()
        .filter(|(_, rs)| (rs.len() as i64) < k)
        .map(|(a, _)| *a)
        .collect();
    change
        .done(
            "needs.reviewers.distribute",
            format!("needs_call:{call_id}"),
            json!({ "k": k, "plan": plan, "short": short }),
        )
        .await?;
    Ok(Distribution {
        k,
        assignments: plan
            .into_iter()
            .map(|(application_id, reviewers)| Assignment {
                application_id,
                reviewers,
            })
            .collect(),
        loads: loads(state, call_id).await?,
        short,
    })
}

/// The office closes the review: the scores are final and blind calls show names.
pub async fn finalise(state: &AppState, actor: &GovActor, call_id: i64) -> NeedResult<()> {
    projects::call_for(state, actor, call_id, Action::Fund).await?;
    let now = state.now();
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    let done = sqlx::query(
        "UPDATE needs_calls SET reviews_final_at = $1 WHERE id = $2 AND reviews_final_at = 0",
    )
    .bind(now)
    .bind(call_id)
    .execute(&mut *change.tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(final_already());
    }
    change
        .done(
            "needs.reviews.final",
            format!("needs_call:{call_id}"),
            json!({}),
        )
        .await?;
    Ok(())
}

async fn distributed(state: &AppState, call: i64) -> sqlx::Result<bool> {
    let any = sqlx::query("SELECT 1 FROM needs_review_assignments WHERE call_id = $1 LIMIT 1")
        .bind(call)
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(any.is_some())
}

async fn given(state: &AppState, application: i64, reviewer: i64) -> sqlx::Result<bool> {
    let one = sqlx::query(
        "SELECT 1 FROM needs_review_assignments WHERE application_id = $1 AND reviewer_id = $2",
    )
    .bind(application)
    .bind(reviewer)
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(one.is_some())
}

/// Whether the application was given to `me` to review: one of the call's reviewers and,
/// once the call is distributed, given this application.
pub async fn given_to(
    state: &AppState,
    call: &Call,
    application: i64,
    me: i64,
) -> sqlx::Result<bool> {
    Ok(pr::is_reviewer(state, call.id, me).await?
        && (!distributed(state, call.id).await? || given(state, application, me).await?))
}

/// Whether a conflict of interest is recorded between `me` and the application.
pub async fn conflicted(state: &AppState, application: i64, me: i64) -> sqlx::Result<bool> {
    let one =
        sqlx::query("SELECT 1 FROM needs_conflicts WHERE application_id = $1 AND reviewer_id = $2")
            .bind(application)
            .bind(me)
            .fetch_optional(&state.db.pool)
            .await?;
    Ok(one.is_some())
}

/// Whether `me` may score the application: an assigned reviewer of the call, given this
/// application once the call is distributed, before the scores are final.
pub async fn may_score(state: &AppState, call: &Call, application: i64, me: i64) -> NeedResult<()> {
    let not_yours = || {
        NeedError::Denied(
            platform::bi!(
                "这份申报没有分配给您评审。",
                "this application was not given to you to review"
            )
            .into(),
        )
    };
    if !pr::is_reviewer(state, call.id, me).await? {
        return Err(not_yours());
    }
    if distributed(state, call.id).await? && !given(state, application, me).await? {
        return Err(not_yours());
    }
    if call.reviews_final {
        return Err(final_already());
    }
    Ok(())
}

/// An application as one reader may see it. On a blind call, before the scores are final,
/// a reviewer gets no organisation (`org_id`, `org_name` empty) and a plan with the
/// organisation's name, legal representative, credit code, phone and address masked.
#[derive(Debug, Serialize)]
pub struct ApplicationView {
    pub id: i64,
    pub call_id: i64,
    pub call_title: String,
    pub blind: bool,
    pub reviews_final: bool,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub plan: String,
    pub budget_fen: i64,
    /// The reader's own review (never another reviewer's).
    pub my_total: Option<f64>,
    pub my_scores: Option<BTreeMap<String, i64>>,
    /// The files attached (neutral names where the applicant is hidden).
    pub attachments: Vec<crate::attachments::Attachment>,
}

const MASK: &str = "＊＊＊";

fn mask(plan: &str, words: &[String]) -> String {
    let mut out = plan.to_string();
    let mut words: Vec<&String> = words.iter().filter(|w| w.chars().count() >= 2).collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    for w in words {
        out = out.replace(w.as_str(), MASK);
    }
    out
}

/// An application as stored.
#[derive(FromRow)]
struct AppRow {
    id: i64,
    call_id: i64,
    org_id: i64,
    plan: String,
    budget_fen: i64,
}

/// Applications by a condition on `a` (needs_applications) with one bound id.
async fn app_rows(state: &AppState, cond: &str, bind: i64) -> sqlx::Result<Vec<AppRow>> {
    sqlx::query_as(&format!(
        "SELECT a.id, a.call_id, a.org_id, a.plan, a.budget_fen FROM needs_applications a WHERE {cond} ORDER BY a.id"
    ))
    .bind(bind)
    .fetch_all(&state.db.pool)
    .await
}

/// A reviewer's own reviews of the applications `cond` picks: application → (total, scores).
type Mine = BTreeMap<i64, (f64, Option<BTreeMap<String, i64>>)>;

/// Read by hand: the total is stored in thousandths, the scores as JSON text (a sheet that
/// does not parse reads as none).
async fn my_reviews(state: &AppState, me: i64, cond: &str, bind: i64) -> sqlx::Result<Mine> {
    let rows = sqlx::query(&format!(
        "SELECT r.application_id, r.scores, r.total_milli FROM needs_reviews r \
         JOIN needs_applications a ON a.id = r.application_id WHERE r.reviewer_id = $1 AND {cond}"
    ))
    .bind(me)
    .bind(bind)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("application_id")?,
                (
                    r.try_get::<i64, _>("total_milli")? as f64 / 1000.0,
                    serde_json::from_str(&r.try_get::<String, _>("scores")?).ok(),
                ),
            ))
        })
        .collect()
}

/// The applicants' registry records (their identifying words), by organisation.
async fn org_identities(state: &AppState, ids: &[i64]) -> sqlx::Result<HashMap<i64, Org>> {
    Ok(governance::reads::orgs_by_ids(&state.db, ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect())
}

/// The words that name an applicant, masked in a blind reviewer's plan.
fn identity_words(o: &Org) -> Vec<String> {
    vec![
        o.name.clone(),
        o.legal_rep.clone(),
        o.credit_code.clone(),
        o.contact_phone.clone(),
        o.address.clone(),
    ]
}

/// The view of one application for `actor`, from rows already read. `named`: the reader
/// sees names (the call's office or the applicant's staff).
fn build(
    a: AppRow,
    call: &Call,
    named: bool,
    identity: Option<&Org>,
    mine: Option<(f64, Option<BTreeMap<String, i64>>)>,
    attachments: Vec<crate::attachments::Attachment>,
) -> ApplicationView {
    let hide = call.blind && !call.reviews_final && !named;
    let (my_total, my_scores) = match mine {
        Some((t, s)) => (Some(t), s),
        None => (None, None),
    };
    ApplicationView {
        id: a.id,
        call_id: call.id,
        call_title: call.title.clone(),
        blind: call.blind,
        reviews_final: call.reviews_final,
        org_id: (!hide).then_some(a.org_id),
        org_name: (!hide).then(|| identity.map(|i| i.name.clone()).unwrap_or_default()),
        plan: if hide {
            mask(&a.plan, &identity.map(identity_words).unwrap_or_default())
        } else {
            a.plan
        },
        budget_fen: a.budget_fen,
        my_total,
        my_scores,
        attachments,
    }
}

/// Whether the actor sees an application's applicant by name: the call's office or the
/// applicant's own staff.
fn named(actor: &GovActor, call: &Call, org: i64) -> bool {
    authorize(actor, Action::Verify, &Target::Unit(&call.unit_path)).is_ok() || actor.works_for(org)
}

/// The application for an assigned reviewer (masked on a blind call until final), for
/// the call's staff or the applicant's (always named); anyone else: 404.
pub async fn view(state: &AppState, actor: &GovActor, id: i64) -> NeedResult<ApplicationView> {
    let me = actor.id().ok_or(NeedError::SignIn)?;
    let row = app_rows(state, "a.id = $1", id)
        .await?
        .pop()
        .ok_or(NeedError::NotFound)?;
    let call = projects::call(state, row.call_id).await?;
    let reviewer = given_to(state, &call, id, me).await?;
    authorize(
        actor,
        Action::View,
        &Target::Application {
            unit_path: &call.unit_path,
            org: row.org_id,
            reviewer,
        },
    )?;
    let named = named(actor, &call, row.org_id);
    let hide = call.blind && !call.reviews_final && !named;
    // A reviewer with a conflict recorded reads the plan (to see the conflict) but not the files.
    let attachments = if !named && conflicted(state, id, me).await? {
        Vec::new()
    } else {
        crate::attachments::of_applications(state, &[id], |_| hide)
            .await?
            .remove(&id)
            .unwrap_or_default()
    };
    let org = row.org_id;
    let identity = org_identities(state, &[org]).await?;
    let mine = my_reviews(state, me, "a.id = $2", id).await?.remove(&id);
    Ok(build(
        row,
        &call,
        named,
        identity.get(&org),
        mine,
        attachments,
    ))
}

/// What waits for a reviewer: per call, the applications given to them (or, before
/// distribution, all of the call's) that they have not scored and that have no conflict.
#[derive(Debug, Serialize)]
pub struct Queue {
    pub call_id: i64,
    pub call_title: String,
    pub items: Vec<ApplicationView>,
    pub waiting: usize,
}

/// The reviewer's queue in a fixed number of queries, however many calls and applications.
pub async fn my_queue(state: &AppState, actor: &GovActor) -> NeedResult<Vec<Queue>> {
    let me = actor.id().ok_or(NeedError::SignIn)?;
    const MY_CALLS: &str = "a.call_id IN (SELECT call_id FROM needs_reviewers WHERE user_id = $2)";
    let calls: BTreeMap<i64, Call> = projects::calls_reviewed_by(state, me)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let distributed: BTreeSet<i64> = sqlx::query_as::<_, (i64,)>(
        "SELECT DISTINCT call_id FROM needs_review_assignments \
         WHERE call_id IN (SELECT call_id FROM needs_reviewers WHERE user_id = $1)",
    )
    .bind(me)
    .fetch_all(&state.db.pool)
    .await?
    .into_iter()
    .map(|(c,)| c)
    .collect();
    let ids = |sql: &'static str| async move {
        sqlx::query_as::<_, (i64,)>(sql)
            .bind(me)
            .fetch_all(&state.db.pool)
            .await
            .map(|v| v.into_iter().map(|(a,)| a).collect::<BTreeSet<i64>>())
    };
    let given =
        ids("SELECT application_id FROM needs_review_assignments WHERE reviewer_id = $1").await?;
    let conflicts =
        ids("SELECT application_id FROM needs_conflicts WHERE reviewer_id = $1").await?;
    let mut apps: Vec<AppRow> = app_rows(
        state,
        "a.call_id IN (SELECT call_id FROM needs_reviewers WHERE user_id = $1)",
        me,
    )
    .await?
    .into_iter()
    .filter(|a| calls.contains_key(&a.call_id))
    .filter(|a| !distributed.contains(&a.call_id) || given.contains(&a.id))
    .filter(|a| !conflicts.contains(&a.id))
    .collect();
    apps.sort_by_key(|a| (a.call_id, a.id));
    let mut mine = my_reviews(state, me, MY_CALLS, me).await?;
    let orgs: Vec<i64> = apps.iter().map(|a| a.org_id).collect();
    let identities = org_identities(state, &orgs).await?;
    let app_ids: Vec<i64> = apps.iter().map(|a| a.id).collect();
    let hidden: BTreeSet<i64> = apps
        .iter()
        .filter(|a| {
            let call = &calls[&a.call_id];
            call.blind && !call.reviews_final && !named(actor, call, a.org_id)
        })
        .map(|a| a.id)
        .collect();
    let mut files =
        crate::attachments::of_applications(state, &app_ids, |a| hidden.contains(&a)).await?;
    let mut out: Vec<Queue> = Vec::new();
    for a in apps {
        let call = &calls[&a.call_id];
        let (id, org) = (a.id, a.org_id);
        let v = build(
            a,
            call,
            named(actor, call, org),
            identities.get(&org),
            mine.remove(&id),
            files.remove(&id).unwrap_or_default(),
        );
        match out.last_mut() {
            Some(q) if q.call_id == call.id => q.items.push(v),
            _ => out.push(Queue {
                call_id: call.id,
                call_title: call.title.clone(),
                items: vec![v],
                waiting: 0,
            }),
        }
    }
    for q in &mut out {
        q.waiting = q
            .items
            .iter()
            .filter(|i| !i.reviews_final && i.my_total.is_none())
            .count();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loads_of(plan: &BTreeMap<i64, Vec<i64>>) -> BTreeMap<i64, usize> {
        let mut l = BTreeMap::new();
        for r in plan.values().flatten() {
            *l.entry(*r).or_insert(0) += 1;
        }
        l
    }

    #[test]
    fn balanced_without_conflicts() {
        let apps: Vec<i64> = (1..=7).collect();
        let plan = balance(&apps, &[10, 20, 30], 2, &BTreeSet::new(), &BTreeSet::new());
        assert!(plan.values().all(|r| r.len() == 2));
        let l = loads_of(&plan);
        let (min, max) = (l.values().min().unwrap(), l.values().max().unwrap());
        assert!(max - min <= 1, "{l:?}");
        assert_eq!(l.values().sum::<usize>(), 14);
        let again = balance(&apps, &[10, 20, 30], 2, &BTreeSet::new(), &BTreeSet::new());
        assert_eq!(plan, again, "deterministic");
    }

    #[test]
    fn conflicts_are_skipped_and_shortfalls_shown() {
        let conflicted: BTreeSet<(i64, i64)> = [(1, 10), (2, 10), (2, 20)].into();
        let plan = balance(&[1, 2, 3], &[10, 20, 30], 2, &conflicted, &BTreeSet::new());
        assert_eq!(plan[&1], vec![20, 30]);
        assert_eq!(plan[&2], vec![30], "only one reviewer without a conflict");
        assert!(
            plan[&3].contains(&10),
            "the least loaded takes the free one"
        );
        for (a, rs) in &plan {
            assert!(rs.iter().all(|r| !conflicted.contains(&(*a, *r))));
        }
    }

    #[test]
    fn reviews_written_are_kept() {
        let kept: BTreeSet<(i64, i64)> = [(1, 30)].into();
        let plan = balance(&[1, 2], &[10, 20, 30], 1, &BTreeSet::new(), &kept);
        assert_eq!(plan[&1], vec![30]);
        assert_eq!(plan[&2], vec![10]);
    }

    #[test]
    fn masks_names_longest_first() {
        let words = vec![
            "甲社区长者服务社".to_string(),
            "甲社区".to_string(),
            "".into(),
        ];
        assert_eq!(
            mask("由甲社区长者服务社在甲社区实施", &words),
            "由＊＊＊在＊＊＊实施"
        );
    }
}
