//! Caches for the lookups every filed case makes (its client's key, the category list,
//! the unit named by `address_id`), so that intake spends its time writing (ADR 014).
//! A change clears them at once on its node and within a poll on the others (ADR 041).

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

/// The cache epoch group of this module's own cached lookups (Open311 keys, categories):
/// a change to them bumps it in its transaction, and every node then clears these caches.
pub const CHANGED: &str = "cases.hot";

pub fn attach(state: &AppState) {
    // A backstop: the epochs clear these within a poll of a change on any node.
    let ttl = Duration::from_secs(10);
    state.attach(Arc::new(Hot {
        keys: TtlCache::new(ttl),
        categories: TtlCache::new(ttl),
        units: TtlCache::new(ttl),
        districts: TtlCache::new(ttl),
    }));
    platform::cluster::on_bump(state, CHANGED, forget);
    platform::cluster::on_bump(state, gov_core::UNITS_CHANGED, forget);
}

fn hot(state: &AppState) -> Option<Arc<Hot>> {
    state.ext::<Hot>()
}

/// `load`'s value through the cache `pick` chooses, or straight from `load` without one.
async fn cached<K, V, E>(
    state: &AppState,
    pick: fn(&Hot) -> &TtlCache<K, V>,
    key: K,
    load: impl std::future::Future<Output = Result<V, E>>,
) -> Result<V, E>
where
    K: Eq + std::hash::Hash + Clone,
    V: Clone,
{
    match hot(state) {
        Some(h) => pick(&h).get_or_load(key, load).await,
        None => load.await,
    }
}

pub async fn categories(state: &AppState) -> sqlx::Result<Vec<Category>> {
    cached(state, |h| &h.categories, (), model::categories(&state.db)).await
}

pub async fn unit_by_code(state: &AppState, code: &str) -> sqlx::Result<Option<Unit>> {
    let load = gov_core::find_unit_by_code(&state.db, code);
    cached(state, |h| &h.units, code.to_string(), load).await
}

pub async fn district_units(state: &AppState, district: &Unit) -> sqlx::Result<Vec<Unit>> {
    let scope = gov_core::ScopeFilter(Some(vec![district.path.clone()]));
    let load = async { gov_core::list_units(&state.db, &scope).await };
    let key = district.path.as_str().to_string();
    cached(state, |h| &h.districts, key, load).await
}

/// The client an Open311 key (by its hash) belongs to, through the cache.
pub async fn key<E>(
    state: &AppState,
    hashed: String,
    load: impl std::future::Future<Output = Result<Option<(i64, Unit)>, E>>,
) -> Result<Option<(i64, Unit)>, E> {
    cached(state, |h| &h.keys, hashed, load).await
}

/// Clears these caches on this node (a change here, or an epoch moved by another node).
pub fn forget(state: &AppState) {
    if let Some(h) = hot(state) {
        h.keys.clear();
        h.categories.clear();
        h.units.clear();
        h.districts.clear();
    }
}

/// Marks this module's cached lookups changed, inside the changing transaction; clear
/// them here with [`forget`] once it committed.
pub async fn changed(tx: &mut platform::db::Tx) -> sqlx::Result<()> {
    platform::cluster::bump(tx, CHANGED).await
}
