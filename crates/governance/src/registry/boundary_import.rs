//! Loading boundaries in bulk: `gongzhi units boundaries FILE.geojson` (a FeatureCollection,
//! each feature matched to a unit by `properties.code`, else by a unique
//! `properties.name`), and the demo district's schematic shapes.

use crate::registry::boundary::{self, Boundary, Position};
use crate::registry::demo::Plan;
use gov_core::{ScopeFilter, Unit, UnitId};
use platform::AppState;
use platform::db::Tx;
use serde_json::Value;
use std::collections::HashMap;

/// What an import did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Units that got a boundary: (code, name).
    pub loaded: Vec<(String, String)>,
    /// Features no unit matched, by what they were called.
    pub unmatched: Vec<String>,
    /// Features that matched but whose geometry was refused: (feature, reason).
    pub invalid: Vec<(String, String)>,
}

fn label(props: &Value, i: usize) -> String {
    let code = props.get("code").and_then(Value::as_str).unwrap_or("");
    let name = props.get("name").and_then(Value::as_str).unwrap_or("");
    match (code, name) {
        ("", "") => format!("feature {i}"),
        (c, "") => c.to_string(),
        ("", n) => n.to_string(),
        (c, n) => format!("{c} {n}"),
    }
}

/// The unit a feature names: by code, else by a name no other unit has.
fn matching<'a>(
    props: &Value,
    by_code: &HashMap<&str, &'a Unit>,
    by_name: &HashMap<&str, Vec<&'a Unit>>,
) -> Option<&'a Unit> {
    let text = |k: &str| {
        props
            .get(k)
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_i64().map(|n| n.to_string()))
            })
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    if let Some(code) = text("code") {
        return by_code.get(code.as_str()).copied();
    }
    match by_name.get(text("name")?.as_str()).map(Vec::as_slice) {
        Some([only]) => Some(*only),
        _ => None,
    }
}

/// Imports a GeoJSON FeatureCollection (or one Feature), reporting progress as
/// (features done, features in all). Every matched, valid feature is written in one
/// transaction; the rest are listed in the summary.
pub async fn import(
    state: &AppState,
    geojson: &[u8],
    progress: &mut dyn FnMut(u64, u64),
) -> anyhow::Result<Summary> {
    let doc: Value = serde_json::from_slice(geojson)
        .map_err(|e| anyhow::anyhow!("the file is not valid JSON: {e}"))?;
    let features: Vec<Value> = match doc.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => doc
            .get("features")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        Some("Feature") => vec![doc.clone()],
        _ => anyhow::bail!("the file must hold a GeoJSON FeatureCollection or Feature"),
    };
    let units = gov_core::list_units(&state.db, &ScopeFilter(None)).await?;
    let by_code: HashMap<&str, &Unit> = units.iter().map(|u| (u.code.as_str(), u)).collect();
    let mut by_name: HashMap<&str, Vec<&Unit>> = HashMap::new();
    for u in &units {
        by_name.entry(u.name.as_str()).or_default().push(u);
    }
    let total = features.len() as u64;
    let now = state.now();
    let mut summary = Summary::default();
    let mut tx = state.db.begin().await?;
    for (i, f) in features.iter().enumerate() {
        let props = f.get("properties").cloned().unwrap_or(Value::Null);
        let name = label(&props, i);
        match matching(&props, &by_code, &by_name) {
            None => summary.unmatched.push(name),
            Some(unit) => {
                let geometry = f.get("geometry").unwrap_or(&Value::Null);
                match Boundary::from_bytes(geometry.to_string().as_bytes()) {
                    Ok(b) => {
                        boundary::store(&mut tx, unit.id, &b, "", None, now).await?;
                        summary.loaded.push((unit.code.clone(), unit.name.clone()));
                    }
                    Err(e) => summary.invalid.push((name, e.to_string())),
                }
            }
        }
        progress(i as u64 + 1, total);
    }
    tx.commit().await?;
    Ok(summary)
}

/// The demo's note on its shapes: drawn for the demo, not surveyed. Stored in Chinese like
/// the demo's names (a note is the author's text, shown as written); pages show
/// [`SCHEMATIC_EN`] for it in the English interface.
pub const SCHEMATIC: &str = "示意边界：演示数据，非真实行政区划。";
pub const SCHEMATIC_EN: &str = "Schematic shapes for the demo, not real boundaries.";

/// The demo district's frame (a made-up place): degrees east and north.
const WEST: f64 = 120.10;
const EAST: f64 = 120.34;
const SOUTH: f64 = 30.16;
const NORTH: f64 = 30.32;
/// Rows the frame is cut into; community edges follow them.
const ROWS: usize = 48;

fn lat(row: usize) -> f64 {
    SOUTH + (NORTH - SOUTH) * row as f64 / ROWS as f64
}

/// The line between street `i - 1` and street `i` of `n`, a little wavy so the streets
/// look like places (the outer edges are wavy too); every shape built on it shares it.
fn meridian(i: usize, n: usize, row: usize) -> f64 {
    let base = WEST + (EAST - WEST) * i as f64 / n as f64;
    let y = row as f64 / ROWS as f64;
    base + 0.006 * ((y * 7.0 + i as f64 * 1.7).sin() + 0.5 * (y * 17.0 + i as f64).cos())
}

/// The area between street lines `i` and `i + 1`, from row `from` to row `to`.
fn band(i: usize, n: usize, from: usize, to: usize) -> Boundary {
    let mut ring: Vec<Position> = (from..=to).map(|r| [meridian(i, n, r), lat(r)]).collect();
    ring.extend((from..=to).rev().map(|r| [meridian(i + 1, n, r), lat(r)]));
    ring.push(ring[0]);
    Boundary {
        polygons: vec![vec![ring]],
    }
}

/// Schematic boundaries for the demo district, its streets (side by side) and their
/// communities (stacked in each street), which tile the district exactly.
pub async fn seed_demo(
    tx: &mut Tx,
    now: i64,
    plan: &Plan,
    unit_ids: &[UnitId],
) -> sqlx::Result<()> {
    let streets: Vec<usize> = (0..plan.units.len())
        .filter(|&i| {
            plan.units[i].parent == Some(plan.district) && plan.units[i].input.kind == "street"
        })
        .collect();
    let n = streets.len();
    if n == 0 {
        return Ok(());
    }
    // The district's own outline uses the outer street lines.
    let mut outline: Vec<Position> = (0..=ROWS).map(|r| [meridian(0, n, r), lat(r)]).collect();
    outline.extend((0..=ROWS).rev().map(|r| [meridian(n, n, r), lat(r)]));
    outline.push(outline[0]);
    let district = Boundary {
        polygons: vec![vec![outline]],
    };
    boundary::store(tx, unit_ids[plan.district], &district, SCHEMATIC, None, now).await?;
    for (s, &street) in streets.iter().enumerate() {
        boundary::store(
            tx,
            unit_ids[street],
            &band(s, n, 0, ROWS),
            SCHEMATIC,
            None,
            now,
        )
        .await?;
        let comms: Vec<usize> = (0..plan.units.len())
            .filter(|&i| {
                plan.units[i].parent == Some(street) && plan.units[i].input.kind == "community"
            })
            .collect();
        let k = comms.len();
        for (j, &c) in comms.iter().enumerate() {
            let (from, to) = (j * ROWS / k, (j + 1) * ROWS / k);
            boundary::store(tx, unit_ids[c], &band(s, n, from, to), SCHEMATIC, None, now).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_bands_are_valid_and_share_their_edges() {
        let a = band(1, 5, 0, 12);
        let b = band(2, 5, 0, 12);
        let check = |x: &Boundary| Boundary::from_value(&x.to_geojson()).unwrap();
        assert_eq!(check(&a), a);
        // Street 1's east edge is street 2's west edge, point for point.
        let east_of_a: Vec<Position> = a.polygons[0][0][13..26].iter().rev().copied().collect();
        let west_of_b: Vec<Position> = b.polygons[0][0][..13].to_vec();
        assert_eq!(east_of_a, west_of_b);
        // Stacked communities meet on the same row.
        let lower = band(1, 5, 0, 6);
        let upper = band(1, 5, 6, 12);
        assert_eq!(lower.polygons[0][0][6], upper.polygons[0][0][0]);
    }
}
