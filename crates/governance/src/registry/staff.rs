//! Staff of units: unit administrators see who holds which role on the units they
//! administer, give roles and take them back (page `/gov/staff`, API
//! `/api/v1/gov/memberships`). Taking a role back needs the same right as giving it.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::error::{GovError, GovResult, Invalid};
use crate::forms::{Pairs, saved, with_error_status};
use crate::picker::UnitPicker;
use crate::registry::units;
use gov_core::GovActor;
use gov_core::MemberRole;
use gov_core::Sql;
use gov_core::UnitId;
use gov_core::UnitPath;
use platform::web::Code;
use platform::web::Opt;
use platform::web::parse_id;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Form, Json, Router};
use platform::web::{PageCtx, SignedIn, redirect, render};
use platform::{AppState, audit};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gov/staff", get(page).post(grant_post))
        .route("/gov/staff/revoke", post(revoke_post))
        .route("/api/v1/gov/memberships", get(list_api))
        .route(
            "/api/v1/gov/units/{unit_id}/members/{user_id}",
            delete(revoke_api),
        )
}

/// A role someone holds on a unit.
#[derive(Clone, Debug, Serialize)]
pub struct Membership {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    #[serde(skip)]
    pub unit_path: UnitPath,
    pub role: MemberRole,
    pub granted_at: i64,
}

/// The roles held on the units the actor administers (platform admins: all), by unit.
pub async fn memberships(state: &AppState, actor: &GovActor) -> GovResult<Vec<Membership>> {
    authorize(actor, Action::Grant(MemberRole::Viewer), &Scope::Anywhere)?;
    let mut sql = Sql::default();
    actor
        .scope_with(MemberRole::UnitAdmin)
        .apply(&mut sql, "u.path");
    let rows = sql
        .page(
            &state.db,
            "m.user_id, p.username, p.display_name, u.id AS unit_id, u.name AS unit_name, \
             u.path AS unit_path, m.role, m.granted_at",
            "governance_memberships m JOIN governance_units u ON u.id = m.unit_id \
             JOIN platform_users p ON p.id = m.user_id",
            "u.path, p.username",
            10_000,
            0,
        )
        .await?;
    use sqlx::Row;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let path: String = r.try_get("unit_path")?;
        let role: String = r.try_get("role")?;
        let (Some(unit_path), Some(role)) = (UnitPath::parse(&path), MemberRole::parse(&role))
        else {
            continue;
        };
        out.push(Membership {
            user_id: r.try_get("user_id")?,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            unit_id: UnitId(r.try_get("unit_id")?),
            unit_name: r.try_get("unit_name")?,
            unit_path,
            role,
            granted_at: r.try_get("granted_at")?,
        });
    }
    Ok(out)
}

/// Takes `user_id`'s role on `unit_id` back; audited. Out of scope reads as not found.
pub async fn revoke(
    state: &AppState,
    actor: &GovActor,
    unit_id: UnitId,
    user_id: i64,
) -> GovResult<()> {
    authorize(actor, Action::Grant(MemberRole::Viewer), &Scope::Anywhere)?;
    let unit = gov_core::find_unit(&state.db, unit_id)
        .await?
        .ok_or(GovError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let held: Option<(String,)> = sqlx::query_as(
        "SELECT role FROM governance_memberships WHERE user_id = $1 AND unit_id = $2",
    )
    .bind(user_id)
    .bind(unit.id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let role = held
        .and_then(|(r,)| MemberRole::parse(&r))
        .ok_or(GovError::NotFound)?;
    authorize(actor, Action::Grant(role), &Scope::Unit(&unit.path))?;
    sqlx::query("DELETE FROM governance_memberships WHERE user_id = $1 AND unit_id = $2")
        .bind(user_id)
        .bind(unit.id.0)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: state.now(),
            actor_id: actor.id(),
            action: "governance.membership.revoke",
            subject: &format!("platform_user:{user_id}"),
            detail: json!({ "unit_id": unit.id, "unit_code": unit.code, "role": role }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// API

async fn list_api(State(state): State<AppState>, actor: GovActor) -> GovResult<Json<Value>> {
    Ok(Json(json!({ "items": memberships(&state, &actor).await? })))
}

async fn revoke_api(
    State(state): State<AppState>,
    actor: GovActor,
    Path((unit_id, user_id)): Path<(String, String)>,
) -> GovResult<StatusCode> {
    revoke(
        &state,
        &actor,
        UnitId(parse_id(&unit_id)?),
        parse_id(&user_id)?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// The page

pub struct MemberRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub granted: String,
    /// Whether the actor may take this role back (the same right as giving it).
    pub can_revoke: bool,
}

#[derive(Template)]
#[template(path = "gov_staff.html")]
struct StaffPage {
    page: PageCtx,
    rows: Vec<MemberRow>,
    /// The list's unit filter (a picker named `unit`) and the grant form's unit picker.
    filter: UnitPicker,
    filtered: Option<String>,
    units: UnitPicker,
    roles: Vec<Opt>,
    v: Pairs,
    error: Option<String>,
    error_field: String,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct Flash {
    saved: Option<String>,
    unit: Option<String>,
}

async fn staff_page(
    state: &AppState,
    actor: &GovActor,
    mut v: Pairs,
    error: Option<&Invalid>,
    saved: bool,
    unit: Option<&str>,
) -> GovResult<Response> {
    let lang = actor.lang;
    // Filtered to one unit's subtree (one the actor administers, else not found).
    let within = match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(raw) => {
            let id = UnitId::parse(raw).ok_or(GovError::NotFound)?;
            let u = gov_core::find_unit(&state.db, id)
                .await?
                .ok_or(GovError::NotFound)?;
            authorize(
                actor,
                Action::Grant(MemberRole::Viewer),
                &Scope::Unit(&u.path),
            )?;
            if v.get("unit_id").is_empty() {
                v.set("unit_id", u.id.0.to_string());
            }
            Some(u)
        }
        None => None,
    };
    let rows = memberships(state, actor)
        .await?
        .into_iter()
        .filter(|m| {
            within
                .as_ref()
                .is_none_or(|u| u.path.contains(&m.unit_path))
        })
        .map(|m| MemberRow {
            can_revoke: actor.can(Action::Grant(m.role), &Scope::Unit(&m.unit_path)),
            user_id: m.user_id,
            username: m.username,
            display_name: m.display_name,
            unit_id: m.unit_id.0,
            unit_name: m.unit_name,
            role: m.role.as_str(),
            role_label: m.role.label(lang),
            granted: platform::clock::format_ms(m.granted_at),
        })
        .collect();
    let units = gov_core::list_units(&state.db, &actor.scope_with(MemberRole::UnitAdmin)).await?;
    let picker = UnitPicker::new(
        "unit_id",
        lang.pick("请选择单位", "Choose a unit"),
        &units,
        v.get("unit_id"),
        false,
    );
    let role_now = match v.get("role") {
        "" => MemberRole::Worker.as_str(),
        r => r,
    };
    let roles = [
        MemberRole::Viewer,
        MemberRole::Worker,
        MemberRole::UnitAdmin,
    ]
    .iter()
    .map(|r| Opt::current(r.as_str(), r.label(lang), role_now))
    .collect();
    let filter = UnitPicker::new(
        "unit",
        lang.pick("全部单位", "All units"),
        &units,
        &within
            .as_ref()
            .map(|u| u.id.0.to_string())
            .unwrap_or_default(),
        false,
    );
    let resp = render(&StaffPage {
        page: actor.page(lang.pick("单位人员", "Staff of units")),
        rows,
        filter,
        filtered: within.map(|u| u.name),
        units: picker,
        roles,
        error: error.map(|e| e.message(lang).to_string()),
        error_field: error.map(|e| e.field.to_string()).unwrap_or_default(),
        v,
        saved,
    })?;
    Ok(with_error_status(resp, error, false))
}

async fn page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(f): Query<Flash>,
) -> GovResult<Response> {
    staff_page(
        &state,
        &actor,
        Pairs::default(),
        None,
        f.saved.is_some(),
        f.unit.as_deref(),
    )
    .await
}

async fn grant_post(
    State(state): State<AppState>,
    actor: GovActor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    authorize(&actor, Action::Grant(MemberRole::Viewer), &Scope::Anywhere)?;
    let v = Pairs(pairs);
    let result = async {
        let role = MemberRole::parse(v.get("role")).ok_or_else(|| {
            GovError::invalid(Code::InvalidRole, "role", "请选择角色。", "choose a role")
        })?;
        let unit = v.int("unit_id")?.ok_or_else(|| {
            GovError::invalid(
                Code::MissingField,
                "unit_id",
                "请选择单位。",
                "choose a unit",
            )
        })?;
        if v.get("username").trim().is_empty() {
            return Err(GovError::invalid(
                Code::MissingField,
                "username",
                "请填写账号的用户名。",
                "give the account's username",
            ));
        }
        // A unit out of reach (or unknown) is a wrong choice on this form, not a 404 page.
        units::grant(&state, &actor, v.get("username"), UnitId(unit), role)
            .await
            .map_err(|e| match e {
                GovError::NotFound => GovError::invalid(
                    Code::UnknownUnit,
                    "unit_id",
                    "所选单位不存在或不在您的管理范围内。",
                    "the unit does not exist or is not yours to manage",
                ),
                GovError::Denied(m) => GovError::invalid(
                    Code::NotAllowed,
                    "role",
                    platform::web::i18n::split(&m)
                        .map_or(m.as_str(), |p| p.0)
                        .to_string(),
                    platform::web::i18n::split(&m)
                        .map_or(m.as_str(), |p| p.1)
                        .to_string(),
                ),
                other => other,
            })
    }
    .await;
    match saved(result)? {
        Ok(()) => Ok(redirect("/gov/staff?saved=1")),
        Err(inv) => staff_page(&state, &actor, v, Some(&inv), false, None).await,
    }
}

async fn revoke_post(
    State(state): State<AppState>,
    actor: GovActor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    let v = Pairs(pairs);
    let unit = UnitId(parse_id(v.get("unit_id"))?);
    revoke(&state, &actor, unit, parse_id(v.get("user_id"))?).await?;
    Ok(redirect("/gov/staff?saved=1"))
}
