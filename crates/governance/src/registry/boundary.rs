//! Unit boundaries (issue 16): a unit's area as a GeoJSON Polygon or MultiPolygon in WGS84,
//! checked on the way in (type, closed rings, coordinates in range, size, points) and kept
//! as a MultiPolygon. The overview draws the map of a unit's children from them
//! ([`children_boundaries`], [`boundaries_of`]); `PUT /api/v1/gov/units/{id}/boundary` sets
//! one (authorised like editing the unit); `gongzhi units boundaries FILE` loads a file of
//! them (`boundary_import`).

use crate::authz::Action;
use crate::error::{GovError, GovResult};
use crate::registry::units;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::routing::get;
use axum::{Json, Router};
use gov_core::{GovActor, Unit, UnitId};
use platform::db::{Db, Tx};
use platform::web::{AppError, Code, Id};
use platform::{AppState, audit};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The largest boundary accepted, as GeoJSON text.
pub const MAX_BYTES: usize = 1024 * 1024;
/// The most positions one boundary may have (all rings of all polygons).
pub const MAX_POINTS: usize = 50_000;

/// A position: longitude, latitude (degrees, WGS84).
pub type Position = [f64; 2];
/// A polygon: its outer ring, then its holes; every ring closed (first = last).
pub type Polygon = Vec<Vec<Position>>;

/// A checked boundary: one or more polygons.
#[derive(Clone, Debug, PartialEq)]
pub struct Boundary {
    pub polygons: Vec<Polygon>,
}

/// Why a boundary was refused, in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadBoundary {
    pub too_large: bool,
    pub zh: String,
    pub en: String,
}

fn bad(zh: impl Into<String>, en: impl Into<String>) -> BadBoundary {
    BadBoundary {
        too_large: false,
        zh: zh.into(),
        en: en.into(),
    }
}

impl From<BadBoundary> for GovError {
    fn from(b: BadBoundary) -> GovError {
        if b.too_large {
            GovError::Platform(AppError::coded(
                Code::TooLarge,
                platform::web::i18n::bilingual(&b.zh, &b.en),
            ))
        } else {
            GovError::invalid(Code::InvalidBoundary, "boundary", b.zh, b.en)
        }
    }
}

impl std::fmt::Display for BadBoundary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.en, self.zh)
    }
}

fn position(v: &Value, at: &str) -> Result<Position, BadBoundary> {
    let nums: Option<Vec<f64>> = v
        .as_array()
        .filter(|a| (2..=3).contains(&a.len()))
        .and_then(|a| a.iter().map(Value::as_f64).collect());
    let Some(nums) = nums else {
        return Err(bad(
            format!("{at}：坐标须为 [经度, 纬度]"),
            format!("{at}: a position must be [longitude, latitude]"),
        ));
    };
    let (lon, lat) = (nums[0], nums[1]);
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(bad(
            format!("{at}：经度须在 -180 到 180 之间，纬度须在 -90 到 90 之间（{lon}, {lat}）"),
            format!(
                "{at}: longitude must lie in -180…180 and latitude in -90…90 (got {lon}, {lat})"
            ),
        ));
    }
    Ok([lon, lat])
}

fn polygon(v: &Value, at: &str, points: &mut usize) -> Result<Polygon, BadBoundary> {
    let rings = v.as_array().filter(|r| !r.is_empty()).ok_or_else(|| {
        bad(
            format!("{at}：面须是由环组成的非空数组"),
            format!("{at}: a polygon must be a non-empty array of rings"),
        )
    })?;
    let mut out = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let at = format!("{at} ring {r}");
        let pts = ring.as_array().ok_or_else(|| {
            bad(
                format!("{at}：环须是坐标数组"),
                format!("{at}: a ring must be an array of positions"),
            )
        })?;
        *points += pts.len();
        if *points > MAX_POINTS {
            return Err(bad(
                format!("边界的点数超过上限 {MAX_POINTS}，请先简化"),
                format!("the boundary has more than {MAX_POINTS} points; simplify it first"),
            ));
        }
        if pts.len() < 4 {
            return Err(bad(
                format!("{at}：环至少要有 4 个点（首尾相同）"),
                format!("{at}: a ring needs at least 4 positions, the last equal to the first"),
            ));
        }
        let ring: Vec<Position> = pts
            .iter()
            .enumerate()
            .map(|(i, p)| position(p, &format!("{at} position {i}")))
            .collect::<Result<_, _>>()?;
        if ring.first() != ring.last() {
            return Err(bad(
                format!("{at}：环没有闭合，最后一个点须与第一个点相同"),
                format!("{at}: the ring is not closed; its last position must equal its first"),
            ));
        }
        out.push(ring);
    }
    Ok(out)
}

impl Boundary {
    /// A GeoJSON Feature (its geometry), or a Polygon or MultiPolygon geometry.
    pub fn from_value(v: &Value) -> Result<Boundary, BadBoundary> {
        let geometry = match v.get("type").and_then(Value::as_str) {
            Some("Feature") => v.get("geometry").unwrap_or(&Value::Null),
            _ => v,
        };
        let kind = geometry.get("type").and_then(Value::as_str).unwrap_or("");
        let coords = geometry.get("coordinates").unwrap_or(&Value::Null);
        let mut points = 0;
        let polygons = match kind {
            "Polygon" => vec![polygon(coords, "Polygon", &mut points)?],
            "MultiPolygon" => {
                let polys = coords.as_array().filter(|p| !p.is_empty()).ok_or_else(|| {
                    bad(
                        "MultiPolygon 的坐标须是非空的面数组",
                        "a MultiPolygon's coordinates must be a non-empty array of polygons",
                    )
                })?;
                polys
                    .iter()
                    .enumerate()
                    .map(|(i, p)| polygon(p, &format!("polygon {i}"), &mut points))
                    .collect::<Result<_, _>>()?
            }
            "" => {
                return Err(bad(
                    "请发送 GeoJSON 要素（Feature）或几何对象（Polygon / MultiPolygon）",
                    "send a GeoJSON Feature or a Polygon / MultiPolygon geometry",
                ));
            }
            other => {
                return Err(bad(
                    format!("边界须为 Polygon 或 MultiPolygon，不能是 {other}"),
                    format!("a boundary must be a Polygon or MultiPolygon, not {other}"),
                ));
            }
        };
        Ok(Boundary { polygons })
    }

    /// From GeoJSON text of at most [`MAX_BYTES`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Boundary, BadBoundary> {
        if bytes.len() > MAX_BYTES {
            return Err(BadBoundary {
                too_large: true,
                zh: format!("边界文件超过 1 MB（{} 字节），请先简化", bytes.len()),
                en: format!(
                    "the boundary is larger than 1 MB ({} bytes); simplify it first",
                    bytes.len()
                ),
            });
        }
        let v: Value = serde_json::from_slice(bytes).map_err(|e| {
            bad(
                format!("不是有效的 JSON：{e}"),
                format!("this is not valid JSON: {e}"),
            )
        })?;
        Boundary::from_value(&v)
    }

    /// Positions in all rings.
    pub fn points(&self) -> usize {
        self.polygons.iter().flatten().map(Vec::len).sum()
    }

    /// The GeoJSON MultiPolygon geometry.
    pub fn to_geojson(&self) -> Value {
        json!({ "type": "MultiPolygon", "coordinates": self.polygons })
    }

    /// The stored form, read back (a stored boundary was checked when written).
    fn from_stored(text: &str) -> Option<Boundary> {
        let v: Value = serde_json::from_str(text).ok()?;
        Boundary::from_value(&v).ok()
    }
}

/// Writes (or replaces) a unit's boundary inside the caller's transaction.
pub async fn store(
    tx: &mut Tx,
    unit: UnitId,
    b: &Boundary,
    note: &str,
    by: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM governance_unit_boundaries WHERE unit_id = $1")
        .bind(unit.0)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO governance_unit_boundaries (unit_id, geojson, points, note, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(unit.0)
    .bind(b.to_geojson().to_string())
    .bind(b.points() as i64)
    .bind(note)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    audit::append(
        tx,
        audit::Entry {
            at: now,
            actor_id: by,
            action: "governance.unit.boundary",
            subject: &format!("governance_unit:{unit}"),
            detail: json!({ "points": b.points(), "note": note }),
        },
    )
    .await?;
    Ok(())
}

/// A unit's stored boundary with the note on where it comes from.
#[derive(Clone, Debug)]
pub struct Stored {
    pub boundary: Boundary,
    pub note: String,
}

/// The boundaries of these units (those that have one). The caller decides who may see
/// the units; this reads nothing else.
pub async fn boundaries_of(db: &Db, ids: &[UnitId]) -> sqlx::Result<HashMap<UnitId, Stored>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut sql = gov_core::Sql::default();
        let marks: Vec<String> = chunk
            .iter()
            .map(|id| sql.bind(gov_core::Bind::Int(id.0)))
            .collect();
        let q = format!(
            "SELECT unit_id, geojson, note FROM governance_unit_boundaries WHERE unit_id IN ({})",
            marks.join(", ")
        );
        for row in sql.query(&q).fetch_all(&db.pool).await? {
            use sqlx::Row;
            let text: String = row.try_get("geojson")?;
            if let Some(boundary) = Boundary::from_stored(&text) {
                let note: String = row.try_get("note")?;
                out.insert(UnitId(row.try_get("unit_id")?), Stored { boundary, note });
            }
        }
    }
    Ok(out)
}

/// The children of a unit that have a boundary, in display order, with it.
pub async fn children_boundaries(db: &Db, unit: UnitId) -> sqlx::Result<Vec<(Unit, Stored)>> {
    let kids = gov_core::children(db, unit).await?;
    let ids: Vec<UnitId> = kids.iter().map(|u| u.id).collect();
    let mut found = boundaries_of(db, &ids).await?;
    Ok(kids
        .into_iter()
        .filter_map(|u| {
            let b = found.remove(&u.id)?;
            Some((u, b))
        })
        .collect())
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/gov/units/{id}/boundary",
        get(show_boundary).put(put_boundary),
    )
}

/// `PUT /api/v1/gov/units/{id}/boundary`: a Feature or geometry as the body.
async fn put_boundary(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    body: Result<Bytes, BytesRejection>,
) -> GovResult<Json<Value>> {
    let unit = units::load_unit(&state, &actor, UnitId(id), Action::EditUnit).await?;
    // Past the server's body limit the body is not read at all: the same answer as 1 MB.
    let body = body.map_err(|_| BadBoundary {
        too_large: true,
        zh: "边界文件超过 1 MB，请先简化".into(),
        en: "the boundary is larger than 1 MB; simplify it first".into(),
    })?;
    let b = Boundary::from_bytes(&body)?;
    let mut tx = state.db.begin().await?;
    store(&mut tx, unit.id, &b, "", actor.id(), state.now()).await?;
    tx.commit().await?;
    Ok(Json(json!({ "unit_id": unit.id, "points": b.points() })))
}

/// `GET /api/v1/gov/units/{id}/boundary`: the unit's boundary as a GeoJSON Feature.
async fn show_boundary(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> GovResult<Json<Value>> {
    let unit = units::load_unit(&state, &actor, UnitId(id), Action::View).await?;
    let mut found = boundaries_of(&state.db, &[unit.id]).await?;
    let stored = found.remove(&unit.id).ok_or(GovError::NotFound)?;
    Ok(Json(json!({
        "type": "Feature",
        "geometry": stored.boundary.to_geojson(),
        "properties": { "unit_id": unit.id, "code": unit.code, "name": unit.name, "note": stored.note },
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Value {
        json!([[
            [120.0, 30.0],
            [120.1, 30.0],
            [120.1, 30.1],
            [120.0, 30.1],
            [120.0, 30.0]
        ]])
    }

    #[test]
    fn features_polygons_and_multipolygons_are_read() {
        let f = json!({ "type": "Feature", "properties": {}, "geometry": { "type": "Polygon", "coordinates": square() } });
        let b = Boundary::from_value(&f).unwrap();
        assert_eq!(b.polygons.len(), 1);
        assert_eq!(b.points(), 5);
        let m = json!({ "type": "MultiPolygon", "coordinates": [square(), square()] });
        assert_eq!(Boundary::from_value(&m).unwrap().points(), 10);
        // Stored as a MultiPolygon and read back the same.
        let again = Boundary::from_stored(&b.to_geojson().to_string()).unwrap();
        assert_eq!(again, b);
    }

    #[test]
    fn bad_boundaries_are_refused_with_a_reason() {
        let short_ring = json!({ "type": "Polygon", "coordinates": [[[120.0, 30.0], [120.1, 30.0], [120.0, 30.0]]] });
        let e = Boundary::from_value(&short_ring).unwrap_err();
        assert!(e.en.contains("at least 4"), "{e}");
        let unclosed = json!({ "type": "Polygon", "coordinates": [[[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.2]]] });
        assert!(
            Boundary::from_value(&unclosed)
                .unwrap_err()
                .en
                .contains("not closed")
        );
        let far = json!({ "type": "Polygon", "coordinates": [[[200.0, 30.0], [120.1, 30.0], [120.1, 30.1], [200.0, 30.0]]] });
        assert!(
            Boundary::from_value(&far)
                .unwrap_err()
                .en
                .contains("longitude")
        );
        let point = json!({ "type": "Point", "coordinates": [120.0, 30.0] });
        assert!(
            Boundary::from_value(&point)
                .unwrap_err()
                .en
                .contains("Point")
        );
        assert!(Boundary::from_value(&json!({})).is_err());
        assert!(Boundary::from_bytes(b"{not json").is_err());
        let big = vec![b' '; MAX_BYTES + 1];
        assert!(Boundary::from_bytes(&big).unwrap_err().too_large);
        // 50,001 points.
        let mut ring: Vec<Value> = (0..MAX_POINTS)
            .map(|i| json!([120.0 + i as f64 * 1e-6, 30.0]))
            .collect();
        ring.push(json!([120.0, 30.0]));
        let many = json!({ "type": "Polygon", "coordinates": [ring] });
        assert!(
            Boundary::from_value(&many)
                .unwrap_err()
                .en
                .contains("50000")
        );
    }
}
