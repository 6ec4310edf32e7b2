//! Unit pickers: the units in reach grouped street → community (an `<optgroup>` per
//! district, street or department) with a filter box that `app.js` wires up; without
//! JavaScript the box stays hidden and the grouped select works alone (UI: "pick from a
//! tree, not a list").

use gov_core::Unit;
use gov_core::UnitKind;
use platform::web::Lang;
use platform::web::Opt;

pub struct PickGroup {
    /// Empty: options outside any group (the actor's scope starts below a street).
    pub label: String,
    pub options: Vec<Opt>,
}

pub struct UnitPicker {
    /// The form field's name.
    pub name: &'static str,
    /// The first, empty choice ("all units" in a filter, "choose…" in a form).
    pub blank: String,
    pub blank_selected: bool,
    pub groups: Vec<PickGroup>,
}

impl UnitPicker {
    /// A list's filter by unit: the `unit` field, "all units" first, grids left out.
    pub fn filter(units: &[Unit], current: &str, lang: Lang) -> UnitPicker {
        UnitPicker::new(
            "unit",
            lang.pick("全部单位", "All units"),
            units,
            current,
            true,
        )
    }

    pub fn new(
        name: &'static str,
        blank: impl Into<String>,
        units: &[Unit],
        current: &str,
        skip_grids: bool,
    ) -> UnitPicker {
        let mut groups: Vec<PickGroup> = Vec::new();
        for u in tree_order(units) {
            if skip_grids && u.kind == UnitKind::Grid {
                continue;
            }
            // A district, street or department heads a group; communities and grids join
            // the group above them (grids indented under their community).
            let heads = matches!(
                u.kind,
                UnitKind::District | UnitKind::Street | UnitKind::Department
            );
            if heads || groups.is_empty() {
                groups.push(PickGroup {
                    label: if heads { u.name.clone() } else { String::new() },
                    options: Vec::new(),
                });
            }
            let indent = if u.kind == UnitKind::Grid { "　" } else { "" };
            if let Some(g) = groups.last_mut() {
                g.options.push(Opt::current(
                    u.id.0.to_string(),
                    format!("{indent}{}", u.name),
                    current,
                ));
            }
        }
        UnitPicker {
            name,
            blank: blank.into(),
            blank_selected: current.trim().is_empty(),
            groups,
        }
    }
}

/// Units depth first from the outermost ones, each followed by the units below it.
fn tree_order(units: &[Unit]) -> Vec<&Unit> {
    fn walk<'a>(units: &'a [Unit], u: &'a Unit, out: &mut Vec<&'a Unit>) {
        out.push(u);
        for k in units.iter().filter(|k| k.parent_id == Some(u.id)) {
            walk(units, k, out);
        }
    }
    let mut out = Vec::new();
    for t in top_units(units) {
        walk(units, t, &mut out);
    }
    out
}

/// Residents of the outermost visible units (a district's figure already sums its streets).
pub(crate) fn top_units(units: &[Unit]) -> Vec<&Unit> {
    units
        .iter()
        .filter(|u| !u.parent_id.is_some_and(|p| units.iter().any(|x| x.id == p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(id: i64, parent: Option<i64>, path: &str, kind: UnitKind, name: &str) -> Unit {
        Unit::bare(id, parent, path, kind, name)
    }

    #[test]
    fn streets_head_groups_of_their_communities() {
        let units = vec![
            u(1, None, "/1/", UnitKind::District, "区"),
            u(2, Some(1), "/1/2/", UnitKind::Street, "甲街道"),
            u(3, Some(2), "/1/2/3/", UnitKind::Community, "甲一社区"),
            u(4, Some(3), "/1/2/3/4/", UnitKind::Grid, "甲一网格"),
            u(5, Some(1), "/1/5/", UnitKind::Street, "乙街道"),
            u(6, Some(5), "/1/5/6/", UnitKind::Community, "乙一社区"),
        ];
        let p = UnitPicker::new("unit", "全部", &units, "6", true);
        let shape: Vec<(&str, Vec<&str>)> = p
            .groups
            .iter()
            .map(|g| {
                (
                    g.label.as_str(),
                    g.options.iter().map(|o| o.label.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("区", vec!["区"]),
                ("甲街道", vec!["甲街道", "甲一社区"]),
                ("乙街道", vec!["乙街道", "乙一社区"]),
            ]
        );
        assert!(p.groups[2].options[1].selected && !p.blank_selected);
        // A community worker's scope: no street above, so one group without a label.
        let p = UnitPicker::new("unit_id", "请选择", &units[2..4], "", false);
        assert_eq!(p.groups.len(), 1);
        assert_eq!(p.groups[0].label, "");
        assert_eq!(p.groups[0].options[1].label, "　甲一网格");
        assert!(p.blank_selected);
    }
}
