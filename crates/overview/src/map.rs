//! The overview's map (issue 16): the areas one level down drawn from their boundaries as
//! SVG on the server — no tiles from outside — each filled on a sequential colour scale by
//! the figure the reader chose, with a legend, a `<title>` per area and a link drilling
//! down to that area's overview. The projection and the colours are pure functions.

use governance::registry::boundary::{Boundary, Position};
use platform::web::Lang;
use platform::web::charts::escape;

platform::vocabulary! {
    /// The figures an area can be coloured by (`?figure=`).
    Figure {
        OrgsPer10k = "orgs_per_10k", "每万人社会组织数", "Organisations per 10,000";
        Overdue = "overdue", "超期事件", "Overdue cases";
        OnTimeRate = "on_time_rate", "事件按时签收率", "Cases signed for on time";
        UnmetNeeds = "unmet_needs", "未满足的需求", "Unmet needs";
    }
}

impl Figure {
    /// Whether more is worse (drawn in reds rather than blues).
    pub fn more_is_worse(self) -> bool {
        matches!(self, Figure::Overdue | Figure::UnmetNeeds)
    }

    /// A value as the legend and tooltips show it.
    pub fn show(self, v: Option<f64>) -> String {
        match (self, v) {
            (_, None) => "—".into(),
            (Figure::OnTimeRate, Some(v)) => format!("{v:.1}%"),
            (Figure::OrgsPer10k, Some(v)) => format!("{v:.1}"),
            (_, Some(v)) => format!("{v:.0}"),
        }
    }
}

/// Equirectangular projection with longitudes shrunk by cos(latitude) at the middle of the
/// drawing, scaled and centred to fit a `width` × `height` box inside `pad`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Projection {
    west: f64,
    north: f64,
    kx: f64,
    scale: f64,
    dx: f64,
    dy: f64,
}

impl Projection {
    /// Fits the positions; `None` when there are none.
    pub fn fit<'a>(
        points: impl IntoIterator<Item = &'a Position>,
        width: f64,
        height: f64,
        pad: f64,
    ) -> Option<Projection> {
        let (mut w, mut s, mut e, mut n) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for [lon, lat] in points {
            w = w.min(*lon);
            e = e.max(*lon);
            s = s.min(*lat);
            n = n.max(*lat);
        }
        if w > e {
            return None;
        }
        let kx = ((s + n) / 2.0).to_radians().cos();
        let (span_x, span_y) = (((e - w) * kx).max(1e-9), (n - s).max(1e-9));
        let scale = ((width - 2.0 * pad) / span_x).min((height - 2.0 * pad) / span_y);
        Some(Projection {
            west: w,
            north: n,
            kx,
            scale,
            dx: (width - span_x * scale) / 2.0,
            dy: (height - span_y * scale) / 2.0,
        })
    }

    pub fn project(&self, [lon, lat]: Position) -> (f64, f64) {
        (
            self.dx + (lon - self.west) * self.kx * self.scale,
            self.dy + (self.north - lat) * self.scale,
        )
    }

    /// The SVG path of a boundary: one closed sub-path per ring (holes by even-odd).
    pub fn path(&self, b: &Boundary) -> String {
        let mut d = String::new();
        for ring in b.polygons.iter().flatten() {
            for (i, p) in ring.iter().enumerate() {
                let (x, y) = self.project(*p);
                d.push_str(&format!("{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" }));
            }
            d.push('Z');
        }
        d
    }
}

/// The colour for a share `t` of the way from the smallest value to the largest.
pub fn colour(t: f64, more_is_worse: bool) -> String {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (from, to) = if more_is_worse {
        ([0xfd, 0xec, 0xea], [0x9b, 0x1c, 0x22])
    } else {
        ([0xe8, 0xf1, 0xfa], [0x1d, 0x4f, 0x91])
    };
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(from[0], to[0]),
        mix(from[1], to[1]),
        mix(from[2], to[2])
    )
}

/// Where `v` lies between `lo` and `hi` (0 when they are equal).
pub fn share(v: f64, lo: f64, hi: f64) -> f64 {
    if hi > lo { (v - lo) / (hi - lo) } else { 0.0 }
}

/// The colour of an area without a value.
pub const NO_VALUE: &str = "#e5e7eb";

/// One area on the map.
pub struct Area<'a> {
    pub name: String,
    pub href: String,
    pub value: Option<f64>,
    pub boundary: &'a Boundary,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 420.0;
const LEGEND: f64 = 44.0;

/// The map as an SVG element (empty when no area has a boundary).
pub fn svg(areas: &[Area], figure: Figure, lang: Lang) -> String {
    let all = areas
        .iter()
        .flat_map(|a| a.boundary.polygons.iter().flatten().flatten());
    let Some(proj) = Projection::fit(all, WIDTH, HEIGHT - LEGEND, 8.0) else {
        return String::new();
    };
    let values: Vec<f64> = areas.iter().filter_map(|a| a.value).collect();
    let lo = values.iter().copied().fold(f64::MAX, f64::min);
    let hi = values.iter().copied().fold(f64::MIN, f64::max);
    let worse = figure.more_is_worse();
    let title = format!(
        "{} · {}",
        lang.pick("各区域地图", "Map of the areas"),
        figure.label(lang)
    );
    let mut out = format!(
        r#"<svg class="chart area-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(&title)
    );
    for a in areas {
        let fill = a
            .value
            .map_or(NO_VALUE.to_string(), |v| colour(share(v, lo, hi), worse));
        out.push_str(&format!(
            r##"<a href="{href}"><path d="{d}" fill="{fill}" fill-rule="evenodd" stroke="#ffffff" stroke-width="1.5"><title>{name}：{label} {shown}</title></path></a>"##,
            href = escape(&a.href),
            d = proj.path(a.boundary),
            name = escape(&a.name),
            label = escape(figure.label(lang)),
            shown = escape(&figure.show(a.value)),
        ));
    }
    // The legend: five steps from the smallest value to the largest, and "no value".
    let y = HEIGHT - LEGEND + 14.0;
    if !values.is_empty() {
        for k in 0..5 {
            let t = k as f64 / 4.0;
            let x = 8.0 + k as f64 * 84.0;
            let v = lo + (hi - lo) * t;
            out.push_str(&format!(
                r##"<rect x="{x}" y="{y}" width="20" height="14" fill="{c}" stroke="#c9cdd4"/><text x="{tx}" y="{ty}" font-size="12" fill="#3b4252">{s}</text>"##,
                c = colour(t, worse),
                tx = x + 24.0,
                ty = y + 12.0,
                s = escape(&figure.show(Some(v))),
            ));
        }
    }
    out.push_str(&format!(
        r##"<rect x="440" y="{y}" width="20" height="14" fill="{NO_VALUE}" stroke="#c9cdd4"/><text x="464" y="{ty}" font-size="12" fill="#3b4252">{s}</text></svg>"##,
        ty = y + 12.0,
        s = escape(lang.pick("无数据", "no figure")),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(w: f64, s: f64, size: f64) -> Boundary {
        Boundary {
            polygons: vec![vec![vec![
                [w, s],
                [w + size, s],
                [w + size, s + size],
                [w, s + size],
                [w, s],
            ]]],
        }
    }

    #[test]
    fn the_projection_fits_the_box_and_shrinks_longitudes_by_latitude() {
        // One degree square at 60° north: half as wide as it is tall once projected.
        let b = square(10.0, 59.5, 1.0);
        let pts: Vec<Position> = b.polygons[0][0].clone();
        let p = Projection::fit(&pts, 400.0, 400.0, 0.0).unwrap();
        let (x0, y0) = p.project([10.0, 60.5]);
        let (x1, y1) = p.project([11.0, 59.5]);
        let (w, h) = (x1 - x0, y1 - y0);
        assert!((h - 400.0).abs() < 1e-6, "fills the height: {h}");
        assert!((w / h - 60f64.to_radians().cos()).abs() < 1e-3, "{w} / {h}");
        // Centred across, north up.
        assert!((x0 - (400.0 - w) / 2.0).abs() < 1e-6);
        assert!(y0.abs() < 1e-6);
        assert!(Projection::fit(&[], 10.0, 10.0, 0.0).is_none());
        assert_eq!(
            p.path(&square(10.0, 59.5, 1.0)).matches('Z').count(),
            1,
            "one closed ring"
        );
    }

    #[test]
    fn colours_run_from_light_to_dark_and_clamp() {
        assert_eq!(colour(0.0, false), "#e8f1fa");
        assert_eq!(colour(1.0, false), "#1d4f91");
        assert_eq!(colour(2.0, true), "#9b1c22");
        assert_eq!(colour(f64::NAN, true), "#fdecea");
        assert_eq!(share(5.0, 0.0, 10.0), 0.5);
        assert_eq!(share(3.0, 3.0, 3.0), 0.0);
    }

    #[test]
    fn figures_round_trip_and_show_their_values() {
        for f in Figure::ALL {
            assert_eq!(Figure::parse(f.as_str()), Some(*f));
        }
        assert_eq!(Figure::parse("population"), None);
        assert_eq!(Figure::OnTimeRate.show(Some(87.54)), "87.5%");
        assert_eq!(Figure::Overdue.show(Some(3.0)), "3");
        assert_eq!(Figure::Overdue.show(None), "—");
    }

    #[test]
    fn the_svg_links_every_area_with_a_tooltip_and_escapes_names() {
        let (a, b) = (square(120.0, 30.0, 0.1), square(120.1, 30.0, 0.1));
        let areas = [
            Area {
                name: "东<街>".into(),
                href: "/overview?unit=2&figure=overdue".into(),
                value: Some(4.0),
                boundary: &a,
            },
            Area {
                name: "西街".into(),
                href: "/overview?unit=3&figure=overdue".into(),
                value: None,
                boundary: &b,
            },
        ];
        let s = svg(&areas, Figure::Overdue, Lang::Zh);
        assert_eq!(s.matches("<path").count(), 2);
        assert!(s.contains(r#"href="/overview?unit=2&amp;figure=overdue""#));
        assert!(s.contains("东&lt;街&gt;：超期事件 4"));
        assert!(s.contains(NO_VALUE));
        assert!(svg(&[], Figure::Overdue, Lang::Zh).is_empty());
    }
}
