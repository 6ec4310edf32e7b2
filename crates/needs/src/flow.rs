//! What the API and the pages both do: raise a need, refer it, take a referral's steps.
//! Each change is one transaction with its history, audit entry and notifications.

use crate::authz::{self, Action, Target, authorize};
use crate::error::{NeedError, NeedResult};
use crate::matching;
use crate::model::{self, Need, RAISER_KINDS, Referral, URGENCIES};
use crate::referral::{self, AT_CAPACITY, Side};
use gov_core::{GovActor, UnitId, UnitKind, find_unit};
use platform::AppState;
use platform::web::Code;
use serde::Deserialize;
use serde_json::json;
use sqlx::Row;

/// A need as a client sends it (JSON or the form).
#[derive(Debug, Default, Deserialize)]
pub struct NewNeed {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub unit_id: Option<i64>,
    pub people: Option<i64>,
    pub urgency: Option<String>,
    pub address: Option<String>,
    /// Who it is for (name, phone): shown within scope only.
    pub subject: Option<String>,
    /// When help is wanted (ms since the epoch).
    pub wanted_at: Option<i64>,
    /// resident, grid_worker, community, unit or organisation (staff only).
    pub raised_as: Option<String>,
    pub consent: Option<bool>,
}

/// A field that failed, for the form to show beside it.
pub struct FieldError {
    pub field: &'static str,
    pub message: &'static str,
}

fn bad(field: &'static str, message: &'static str) -> FieldError {
    FieldError { field, message }
}

fn trimmed(v: &Option<String>) -> String {
    v.as_deref().unwrap_or("").trim().to_string()
}

/// Checks a new need; the first problem found.
async fn check(
    state: &AppState,
    actor: &GovActor,
    n: &NewNeed,
) -> NeedResult<Result<(String, gov_core::Unit), FieldError>> {
    let title = trimmed(&n.title);
    let chars = title.chars().count();
    if !(2..=100).contains(&chars) {
        return Ok(Err(bad(
            "title",
            platform::bi!(
                "标题须为 2 到 100 个字。",
                "the title takes 2 to 100 characters"
            ),
        )));
    }
    if trimmed(&n.description).chars().count() > 2000 {
        return Ok(Err(bad(
            "description",
            platform::bi!(
                "描述最多 2000 字。",
                "the description takes at most 2000 characters"
            ),
        )));
    }
    let category = trimmed(&n.category);
    if !category.is_empty()
        && !matching::taxonomy(&state.db)
            .await?
            .iter()
            .any(|c| c.code == category)
    {
        return Ok(Err(bad(
            "category",
            platform::bi!("没有这个服务类别。", "no such service category"),
        )));
    }
    let found = match n.unit_id.filter(|id| *id > 0) {
        Some(id) => find_unit(&state.db, UnitId(id)).await?,
        None => None,
    };
    let Some(unit) = found else {
        return Ok(Err(bad(
            "unit_id",
            platform::bi!(
                "请选择需求所在的单位（社区或网格）。",
                "unit_id must name an existing unit"
            ),
        )));
    };
    if n.people.is_some_and(|p| !(1..=10_000).contains(&p)) {
        return Ok(Err(bad(
            "people",
            platform::bi!("人数须在 1 到 10000 之间。", "people must be 1 to 10000"),
        )));
    }
    if n.urgency
        .as_deref()
        .is_some_and(|u| !URGENCIES.contains(&u))
    {
        return Ok(Err(bad(
            "urgency",
            platform::bi!(
                "紧急程度须为 low、normal 或 high。",
                "urgency must be low, normal or high"
            ),
        )));
    }
    if trimmed(&n.subject).chars().count() > 200 || trimmed(&n.address).chars().count() > 200 {
        return Ok(Err(bad(
            "subject",
            platform::bi!(
                "服务对象和地址各最多 200 字。",
                "subject and address take at most 200 characters each"
            ),
        )));
    }
    let staff = authz::is_staff(actor) || !actor.org_links.is_empty();
    if let Some(k) = n.raised_as.as_deref().filter(|k| !k.is_empty())
        && (!RAISER_KINDS.contains(&k) || (k != "resident" && !staff))
    {
        return Ok(Err(bad(
            "raised_as",
            platform::bi!(
                "提出方须为居民；工作人员可选网格员、社区、单位或社会组织。",
                "raised_as: residents raise needs as resident; staff may choose grid_worker, community, unit or organisation"
            ),
        )));
    }
    Ok(Ok((title, unit)))
}

/// Raises a need; its id and state (`unmet` at once when no service matches).
pub async fn raise(
    state: &AppState,
    actor: &GovActor,
    n: &NewNeed,
) -> NeedResult<Result<(i64, String), FieldError>> {
    authorize(actor, Action::Raise, &Target::Anywhere)?;
    let (title, unit) = match check(state, actor, n).await? {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let user = actor.id().ok_or(NeedError::SignIn)?;
    let kind = match n.raised_as.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => k.to_string(),
        None if !actor.grants.is_empty() && unit.kind == UnitKind::Grid => "grid_worker".into(),
        None if !actor.grants.is_empty() => "unit".into(),
        None if !actor.org_links.is_empty() => "organisation".into(),
        None => "resident".into(),
    };
    let cats = matching::taxonomy(&state.db).await?;
    let description = trimmed(&n.description);
    let inferred = matching::infer(&format!("{title} {description}"), &cats)
        .first()
        .map(|(c, _)| c.clone())
        .unwrap_or_default();
    let now = state.now();
    let mut need = Need {
        id: 0,
        title,
        description,
        category: trimmed(&n.category),
        inferred_category: inferred,
        unit_id: unit.id.0,
        unit_name: unit.name.clone(),
        unit_path: unit.path.as_str().to_string(),
        address: trimmed(&n.address),
        people: n.people.unwrap_or(1),
        subject: trimmed(&n.subject),
        urgency: n.urgency.clone().unwrap_or_else(|| "normal".into()),
        wanted_at: n.wanted_at,
        raiser_kind: kind,
        raised_by: user,
        consent: n.consent.unwrap_or(false),
        state: "open".into(),
        created_at: now,
        updated_at: now,
    };
    if matching::matches(&state.db, &need, 1).await?.is_empty() {
        need.state = "unmet".into();
    }
    let mut change = platform::audit::Change::begin(&state.db, now, Some(user)).await?;
    let row = sqlx::query(
        "INSERT INTO needs_needs (title, description, category, inferred_category, unit_id, unit_path, address, \
         people, subject, urgency, wanted_at, raiser_kind, raised_by, consent, state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING id",
    )
    .bind(&need.title)
    .bind(&need.description)
    .bind(&need.category)
    .bind(&need.inferred_category)
    .bind(need.unit_id)
    .bind(&need.unit_path)
    .bind(&need.address)
    .bind(need.people)
    .bind(&need.subject)
    .bind(&need.urgency)
    .bind(need.wanted_at)
    .bind(&need.raiser_kind)
    .bind(user)
    .bind(need.consent as i64)
    .bind(&need.state)
    .bind(now)
    .fetch_one(&mut *change.tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    let detail = json!({
        "unit_id": need.unit_id,
        "category": need.category,
        "inferred": need.inferred_category,
        "state": need.state,
    });
    change
        .done("needs.need.raise", format!("needs_need:{id}"), detail)
        .await?;
    Ok(Ok((id, need.state)))
}

/// A need and its referrals, if the actor may see it (else 404).
pub async fn visible_need(
    state: &AppState,
    actor: &GovActor,
    id: i64,
) -> NeedResult<(Need, Vec<Referral>)> {
    let need = model::find_need(&state.db, id)
        .await?
        .ok_or(NeedError::NotFound)?;
    let refs = model::referrals_of(&state.db, id).await?;
    authorize(actor, Action::View, &Target::Need(&need, &refs))?;
    Ok((need, refs))
}

/// A referral and its need, if the actor may see the referral (else 404).
pub async fn visible_referral(
    state: &AppState,
    actor: &GovActor,
    id: i64,
) -> NeedResult<(Referral, Need)> {
    let r = model::find_referral(&state.db, id)
        .await?
        .ok_or(NeedError::NotFound)?;
    let need = model::find_need(&state.db, r.need_id)
        .await?
        .ok_or(NeedError::NotFound)?;
    authorize(actor, Action::View, &Target::Referral(&r, &need))?;
    Ok((r, need))
}

/// How long a newcomer waits for a full service: the average days its referrals took
/// from request to completion (a week if none yet), times the rounds ahead.
async fn expected_wait(
    state: &AppState,
    service: i64,
    capacity: i64,
    used: i64,
) -> sqlx::Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(changed_at - created_at), 0) AS BIGINT) AS total FROM needs_referrals \
         WHERE service_id = $1 AND state = 'completed'",
    )
    .bind(service)
    .fetch_one(&state.db.pool)
    .await?;
    let (n, total): (i64, i64) = (row.try_get("n")?, row.try_get("total")?);
    let avg_days = if n > 0 {
        (total / n / 86_400_000).max(1)
    } else {
        7
    };
    let rounds = (used - capacity) / capacity.max(1) + 1;
    Ok(avg_days * rounds)
}

/// Sends a referral for a need to a service, after the capacity check.
pub async fn refer(
    state: &AppState,
    actor: &GovActor,
    need_id: i64,
    service_id: i64,
    consent: bool,
    note: &str,
) -> NeedResult<Referral> {
    let (need, refs) = visible_need(state, actor, need_id).await?;
    authorize(actor, Action::Refer, &Target::Need(&need, &refs))?;
    if !consent {
        return Err(NeedError::of(Code::ConsentRequired));
    }
    let service = governance::reads::find_service(&state.db, service_id)
        .await?
        .ok_or_else(|| {
            NeedError::field(platform::bi!(
                "没有这个服务。",
                "service_id names no service"
            ))
        })?;
    let capacity = service.capacity;
    // A service is offered by an organisation or, directly, by a unit.
    let (service_org, service_unit) = match service.org_id {
        Some(org) => (Some(org), None),
        None => (None, Some(service.unit_id.0)),
    };
    if service.status != governance::reads::ServiceStatus::Active || capacity == Some(0) {
        return Err(NeedError::of(Code::NoCapacity));
    }
    if refs
        .iter()
        .any(|r| r.service_id == service_id && referral::is_live(&r.state))
    {
        return Err(NeedError::coded(
            Code::Conflict,
            platform::bi!(
                "该需求已转介给这个服务。",
                "this need is already referred to this service"
            ),
        ));
    }
    let used = matching::places_taken(&state.db)
        .await?
        .get(&service_id)
        .copied()
        .unwrap_or(0);
    let (waitlist, wait) = match capacity {
        Some(cap) if used >= cap => (true, expected_wait(state, service_id, cap, used).await?),
        _ => (false, 0),
    };
    let now = state.now();
    let user = actor.id().ok_or(NeedError::SignIn)?;
    let mut tx = state.db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO needs_referrals (need_id, service_id, org_id, service_unit_id, referrer_id, state, reason, \
         waitlist, expected_wait_days, created_at, changed_at) \
         VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(need.id)
    .bind(service_id)
    .bind(service_org)
    .bind(service_unit)
    .bind(user)
    .bind(note)
    .bind(waitlist as i64)
    .bind(wait)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    let note = if waitlist {
        format!("排队，预计等待 {wait} 天")
    } else {
        note.to_string()
    };
    referral::record(
        &mut tx,
        now,
        Some(user),
        id,
        "create",
        "",
        "requested",
        &note,
    )
    .await?;
    referral::settle_need(&mut tx, need.id, now).await?;
    tx.commit().await?;
    let r = model::find_referral(&state.db, id)
        .await?
        .ok_or(NeedError::NotFound)?;
    let mut tx = state.db.begin().await?;
    referral::tell(&state.db, &mut tx, now, &r, &need, "create", "requested").await?;
    tx.commit().await?;
    Ok(r)
}

/// One step on a referral as a client asks for it.
#[derive(Debug, Default, Deserialize)]
pub struct Step {
    pub action: Option<String>,
    pub reason: Option<String>,
    pub rating: Option<i64>,
    pub comment: Option<String>,
}

/// Takes a step on a referral; the referral afterwards.
pub async fn act(state: &AppState, actor: &GovActor, id: i64, s: &Step) -> NeedResult<Referral> {
    let (r, need) = visible_referral(state, actor, id).await?;
    let action = trimmed(&s.action);
    let (to, side) = referral::step(&r.state, &action)?;
    let (who, code) = match side {
        Side::Provider => (Action::Provide, Code::ProviderOnly),
        Side::Referrer => (Action::Direct, Code::ReferrerOnly),
        Side::Feedback => (Action::Feedback, Code::ReferrerOnly),
    };
    if authorize(actor, who, &Target::Referral(&r, &need)).is_err() {
        return Err(NeedError::of(code));
    }
    let reason = trimmed(&s.reason);
    if matches!(action.as_str(), "reject" | "fail") && reason.is_empty() {
        return Err(NeedError::coded(
            Code::MissingField,
            platform::bi!(
                "请说明原因（拒绝时可填 at_capacity 表示名额已满）。",
                "give a reason (at_capacity when the service is full)"
            ),
        ));
    }
    let comment = trimmed(&s.comment);
    if action == "feedback" && !s.rating.is_some_and(|r| (1..=5).contains(&r)) {
        return Err(NeedError::field(platform::bi!(
            "请给出 1 到 5 的评分。",
            "rating must be 1 to 5"
        )));
    }
    if comment.chars().count() > 1000 || reason.chars().count() > 1000 {
        return Err(NeedError::field(platform::bi!(
            "说明最多 1000 字。",
            "reason and comment take at most 1000 characters"
        )));
    }
    let now = state.now();
    let user = actor.id();
    let mut tx = state.db.begin().await?;
    let changed = if action == "feedback" {
        sqlx::query("UPDATE needs_referrals SET feedback_rating = $1, feedback_text = $2 WHERE id = $3 AND state = $4")
            .bind(s.rating)
            .bind(&comment)
            .bind(id)
            .bind(&r.state)
            .execute(&mut *tx)
            .await?
    } else {
        let outcome = if matches!(to, "completed" | "failed") {
            reason.clone()
        } else {
            r.outcome.clone()
        };
        sqlx::query(
            "UPDATE needs_referrals SET state = $1, reason = $2, outcome = $3, changed_at = $4 WHERE id = $5 AND state = $6",
        )
        .bind(to)
        .bind(if reason.is_empty() { r.reason.clone() } else { reason.clone() })
        .bind(outcome)
        .bind(now)
        .bind(id)
        .bind(&r.state)
        .execute(&mut *tx)
        .await?
    };
    if changed.rows_affected() == 0 {
        return Err(NeedError::of(Code::ReferralState));
    }
    let note = match action.as_str() {
        "feedback" => format!("{}/5 {comment}", s.rating.unwrap_or(0)),
        "reject" if reason == AT_CAPACITY => "名额已满 (at capacity)".into(),
        _ => reason,
    };
    referral::record(&mut tx, now, user, id, &action, &r.state, to, &note).await?;
    referral::settle_need(&mut tx, need.id, now).await?;
    referral::tell(&state.db, &mut tx, now, &r, &need, &action, to).await?;
    tx.commit().await?;
    model::find_referral(&state.db, id)
        .await?
        .ok_or(NeedError::NotFound)
}
