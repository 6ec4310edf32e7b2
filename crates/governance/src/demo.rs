//! The demo district (`gongzhi demo`): the registry's plan, then the service network and
//! the oversight records, written in one transaction.

use crate::registry::demo::plan;
use crate::registry::orgs;
use crate::registry::units;
use gov_core::MemberRole;
use gov_core::UnitId;
use platform::AppState;
use platform::auth::Role;

/// Seeds the demo district into an empty governance registry and creates the staff
/// accounts, each with a password from `password`. Returns (username, password, what)
/// for printing; nothing when governance data exists already.
pub async fn seed(
    state: &AppState,
    password: &mut dyn FnMut() -> String,
) -> anyhow::Result<Vec<(String, String, String)>> {
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM governance_units")
        .fetch_one(&state.db.pool)
        .await?;
    if existing > 0 {
        return Ok(Vec::new());
    }
    let plan = plan();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let mut unit_ids: Vec<UnitId> = Vec::with_capacity(plan.units.len());
    let mut units = Vec::with_capacity(plan.units.len());
    for pu in &plan.units {
        let mut input = pu.input.clone();
        input.parent_id = pu.parent.map(|p| unit_ids[p].0);
        let u = units::insert_unit(&mut tx, now, &input)
            .await
            .map_err(|e| anyhow::anyhow!("demo unit {}: {e}", input.code))?;
        unit_ids.push(u.id);
        units.push(u);
    }
    let district_path = units[plan.district].path.clone();
    let mut org_ids: Vec<i64> = Vec::with_capacity(plan.orgs.len());
    for po in &plan.orgs {
        let mut input = po.input.clone();
        input.unit_id = Some(unit_ids[po.unit].0);
        input.hub_id = po.hub.map(|h| org_ids[h]);
        let draft = orgs::validate(&input, now)
            .map_err(|e| anyhow::anyhow!("demo organisation {:?}: {e}", input.name))?;
        let id = orgs::insert_org(&mut tx, None, None, now, &draft, &district_path)
            .await
            .map_err(|e| anyhow::anyhow!("demo organisation {:?}: {e}", input.name))?;
        org_ids.push(id);
    }
    crate::network::demo::seed(&mut tx, now, &plan, &unit_ids, &org_ids).await?;
    crate::oversight::demo::seed(&mut tx, now, &plan, &org_ids).await?;
    crate::registry::boundary_import::seed_demo(&mut tx, now, &plan, &unit_ids).await?;
    tx.commit().await?;
    let mut accounts = Vec::new();
    for (name, unit, role, what) in [
        (
            "gov_district",
            plan.district,
            MemberRole::UnitAdmin,
            format!("{} · unit_admin", units[plan.district].name),
        ),
        (
            "gov_street1",
            plan.street1,
            MemberRole::Worker,
            format!("{} · worker", units[plan.street1].name),
        ),
        (
            "gov_community1",
            plan.community1,
            MemberRole::Worker,
            format!("{} · worker", units[plan.community1].name),
        ),
    ] {
        let pw = password();
        let user =
            platform::auth::create_user(&state.db, state.now(), name, &pw, Role::Member).await?;
        gov_core::grant_role(&state.db, state.now(), None, user.id, &units[unit], role)
            .await
            .map_err(|e| anyhow::anyhow!("demo grant for {name}: {e}"))?;
        accounts.push((name.to_string(), pw, what));
    }
    // Staff of one member organisation in the first community: they keep its profile and
    // submit its annual report, and see nothing else.
    if let Some((i, _)) = plan
        .orgs
        .iter()
        .enumerate()
        .find(|(_, o)| o.unit == plan.community1 && o.hub.is_some())
    {
        let pw = password();
        platform::auth::create_user(&state.db, state.now(), "gov_org1", &pw, Role::Member).await?;
        crate::registry::profiles::link_staff(state, None, org_ids[i], "gov_org1")
            .await
            .map_err(|e| anyhow::anyhow!("demo org staff: {e}"))?;
        let name = plan.orgs[i].input.name.clone().unwrap_or_default();
        accounts.push(("gov_org1".to_string(), pw, format!("{name} · org staff")));
    }
    Ok(accounts)
}
