//! Caches for the lookups every filed case makes (its client's key, the category list,
//! the unit named by `address_id`), so that intake spends its time writing. Entries live
//! for a few seconds; changes made on this node clear them at once (ADR 014).

use crate::model::{self, Category};
use gov_core::Unit;
use platform::AppState;
use platform::cache::TtlCache;
use std::sync::Arc;
use std::time::Duration;

pub struct Hot {
    pub keys: TtlCache<String, Option<(i64, Unit)>>,
    pub categories: TtlCache<(), Vec<Category>>,
    pub units: TtlCache<String, Option<Unit>>,
    /// Every unit of a district, by the district's path (to read places from addresses).
    pub districts: TtlCache<String, Vec<Unit>>,
}

pub fn attach(state: &AppState) {
    let ttl = Duration::from_secs(10);
    state.attach(Arc::new(Hot {
        keys: TtlCache::new(ttl),
        categories: TtlCache::new(ttl),
        units: TtlCache::new(ttl),
        districts: TtlCache::new(ttl),
    }));
}

fn hot(state: &AppState) -> Option<Arc<Hot>> {
    state.ext::<Hot>()
}

pub async fn categories(state: &AppState) -> sqlx::Result<Vec<Category>> {
    let h = hot(state);
    if let Some(v) = h.as_ref().and_then(|h| h.categories.get(&())) {
        return Ok(v);
    }
    let v = model::categories(&state.db).await?;
    if let Some(h) = h {
        h.categories.put((), v.clone());
    }
    Ok(v)
}

pub async fn unit_by_code(state: &AppState, code: &str) -> sqlx::Result<Option<Unit>> {
    let h = hot(state);
    if let Some(v) = h.as_ref().and_then(|h| h.units.get(&code.to_string())) {
        return Ok(v);
    }
    let v = gov_core::find_unit_by_code(&state.db, code).await?;
    if let Some(h) = h {
        h.units.put(code.to_string(), v.clone());
    }
    Ok(v)
}

pub async fn district_units(state: &AppState, district: &Unit) -> sqlx::Result<Vec<Unit>> {
    let key = district.path.as_str().to_string();
    let h = hot(state);
    if let Some(v) = h.as_ref().and_then(|h| h.districts.get(&key)) {
        return Ok(v);
    }
    let scope = gov_core::ScopeFilter(Some(vec![district.path.clone()]));
    let v = gov_core::list_units(&state.db, &scope).await?;
    if let Some(h) = h {
        h.districts.put(key, v.clone());
    }
    Ok(v)
}

/// Clears what a change on this node made stale.
pub fn forget(state: &AppState) {
    if let Some(h) = hot(state) {
        h.keys.clear();
        h.categories.clear();
        h.units.clear();
        h.districts.clear();
    }
}
