//! The 1+5+X structure as an actor may see it: the federation, the hubs and their member
//! counts within the actor's scope.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::error::GovResult;
use crate::registry::model;
use crate::registry::model::HubRole;
use gov_core::GovActor;
use platform::AppState;

/// The 1+5+X structure as the actor may see it: the federation and hubs (by name), and
/// per hub the number of member organisations within the actor's scope.
pub async fn hub_structure(state: &AppState, actor: &GovActor) -> GovResult<HubStructure> {
    authorize(actor, Action::View, &Scope::Anywhere)?;
    let scope = actor.scope();
    let refs = model::hub_refs(&state.db, &scope).await?;
    let counts = model::member_counts(&state.db, &scope).await?;
    let count_of = |id: i64| {
        counts
            .iter()
            .find(|(h, _)| *h == id)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let fed = refs.iter().find(|r| r.hub_role == HubRole::Federation);
    let federation = fed.map(|r| (r.id, r.name.clone()));
    let federation_viewable =
        fed.is_some_and(|r| authorize(actor, Action::View, &Scope::Unit(&r.unit_path)).is_ok());
    let hubs: Vec<HubEntry> = refs
        .iter()
        .filter(|r| r.hub_role == HubRole::Hub)
        .map(|r| HubEntry {
            id: r.id,
            name: r.name.clone(),
            members: count_of(r.id),
            viewable: authorize(actor, Action::View, &Scope::Unit(&r.unit_path)).is_ok(),
        })
        .collect();
    Ok(HubStructure {
        federation,
        federation_viewable,
        hubs,
    })
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct HubEntry {
    pub id: i64,
    pub name: String,
    pub members: i64,
    /// Whether the actor may open the hub's own record.
    #[serde(skip)]
    pub viewable: bool,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct HubStructure {
    pub federation: Option<(i64, String)>,
    /// Whether the actor may open the federation's own record.
    #[serde(skip)]
    pub federation_viewable: bool,
    pub hubs: Vec<HubEntry>,
}
