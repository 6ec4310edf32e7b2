//! Who takes part: the proposals office, members by sector, and verified residents of a
//! community (the electorate of its votes).

use crate::authz::ConsultActor;
use gov_core::{Bind, Sql};
use platform::db::{Db, rows};
use sqlx::FromRow;

/// Makes `user` a member of `sector` in the district (replacing an earlier registration).
pub async fn set_member(
    db: &Db,
    user: i64,
    district: i64,
    sector: &str,
    now: i64,
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM consult_members WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO consult_members (user_id, district_id, sector, added_at) VALUES ($1, $2, $3, $4)")
        .bind(user)
        .bind(district)
        .bind(sector)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Puts `user` in the district's proposals office.
pub async fn set_office(db: &Db, user: i64, district: i64, now: i64) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM consult_office WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO consult_office (user_id, district_id, added_at) VALUES ($1, $2, $3)")
        .bind(user)
        .bind(district)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// A verified residence of an account in a community.
#[derive(Clone, Debug, FromRow)]
pub struct Residency {
    pub user_id: i64,
    pub unit_id: i64,
    pub unit_path: String,
    pub household: String,
}

/// Records (or corrects) that `user` lives in `unit`, in `household`, as `by` verified.
pub async fn verify_resident(
    db: &Db,
    user: i64,
    unit: i64,
    household: &str,
    by: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM consult_residents WHERE user_id = $1 AND unit_id = $2")
        .bind(user)
        .bind(unit)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO consult_residents (user_id, unit_id, household, verified_by, verified_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user)
    .bind(unit)
    .bind(household)
    .bind(by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Where `user` is a verified resident.
pub async fn residencies(db: &Db, user: i64) -> sqlx::Result<Vec<Residency>> {
    rows::by_id(
        db,
        "SELECT r.user_id, r.unit_id, g.path AS unit_path, r.household FROM consult_residents r \
         JOIN governance_units g ON g.id = r.unit_id WHERE r.user_id = $1 ORDER BY r.id",
        user,
        |r| Residency::from_row(r),
    )
    .await
}

/// The residency of `user` inside the unit at `path` (a community or one of its grids).
pub async fn resident_in(db: &Db, user: i64, path: &str) -> sqlx::Result<Option<Residency>> {
    Ok(residencies(db, user)
        .await?
        .into_iter()
        .find(|r| r.unit_path.starts_with(path)))
}

/// Adds "the actor lives in, or is staff (worker or more) over, the community at
/// `path_col`" to `sql`: who reads a community's votes and matters.
pub fn audience(sql: &mut Sql, actor: &ConsultActor, path_col: &str) {
    let me = sql.bind(Bind::Int(actor.id().unwrap_or_default()));
    let mut who = vec![format!(
        "EXISTS (SELECT 1 FROM consult_residents r JOIN governance_units g ON g.id = r.unit_id \
         WHERE r.user_id = {me} AND g.path LIKE {path_col} || '%')"
    )];
    // The staff scope is built apart and its binds moved back, so both parts share one
    // numbering of placeholders.
    let mut staff = Sql {
        binds: std::mem::take(&mut sql.binds),
        ..Sql::default()
    };
    actor
        .gov
        .scope_with(gov_core::MemberRole::Worker)
        .apply(&mut staff, path_col);
    sql.binds = std::mem::take(&mut staff.binds);
    who.push(if staff.clauses.is_empty() {
        "1 = 1".into()
    } else {
        staff.where_clause()
    });
    sql.push(format!("({})", who.join(" OR ")));
}
