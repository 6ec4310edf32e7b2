//! Charts drawn as SVG on the server (ARCHITECTURE rule 10), each with a title for screen
//! readers; pages put a table of the same numbers beside them.

/// Text for SVG and HTML, with the characters that could break out of it escaped.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// About how wide `s` is drawn at `font` px: CJK (and other wide) characters take a full
/// em, ASCII about 0.6 em.
pub fn text_width(s: &str, font: f64) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 0.6 } else { 1.0 })
        .sum::<f64>()
        * font
}

/// Labels under vertical bars: written level when every one fits its slot, otherwise
/// turned 40° (anchored at their end) so that neighbours never overlap; the chart grows
/// by the room the turned labels need.
const LABEL_FONT: f64 = 12.0;
const LABEL_TURN: f64 = 40.0;

fn turned_labels(labels: &[&String], slot: f64) -> Option<f64> {
    let widest = labels
        .iter()
        .map(|l| text_width(l, LABEL_FONT))
        .fold(0.0, f64::max);
    (widest > slot - 4.0).then(|| widest * LABEL_TURN.to_radians().sin() + LABEL_FONT)
}

/// A vertical bar chart of (label, value, value shown) with the given accessible title.
pub fn bars(title: &str, data: &[(String, i64, String)]) -> String {
    let (w, pad, top) = (640.0_f64, 32.0_f64, 24.0_f64);
    let max = data.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let n = data.len().max(1) as f64;
    let slot = (w - 2.0 * pad) / n;
    let bar = (slot * 0.6).min(56.0);
    let turned = turned_labels(&data.iter().map(|d| &d.0).collect::<Vec<_>>(), slot);
    let h = 220.0_f64 + turned.unwrap_or(0.0);
    let base = 220.0 - pad;
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    out.push_str(&format!(
        r##"<line x1="{pad}" y1="{base}" x2="{x2}" y2="{base}" stroke="#c9cdd4"/>"##,
        x2 = w - pad
    ));
    for (i, (label, value, shown)) in data.iter().enumerate() {
        let bh = (*value as f64 / max) * (base - top);
        let x = pad + slot * i as f64 + (slot - bar) / 2.0;
        let y = base - bh;
        let cx = x + bar / 2.0;
        let ly = base + 18.0;
        let placed = match turned {
            None => format!(r#"x="{cx:.1}" y="{ly:.1}" text-anchor="middle""#),
            Some(_) => format!(
                r#"x="{cx:.1}" y="{ly:.1}" text-anchor="end" transform="rotate(-{LABEL_TURN} {cx:.1} {ly:.1})""#
            ),
        };
        out.push_str(&format!(
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" rx="3" fill="#b4232a"/><text x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-size="12" fill="#1f2329">{v}</text><text {placed} font-size="{LABEL_FONT}" fill="#6b7785">{l}</text>"##,
            ty = (y - 6.0).max(12.0),
            v = escape(shown),
            l = escape(label)
        ));
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars of (label, value, value shown): for many categories or long labels.
pub fn hbars(title: &str, data: &[(String, i64, String)]) -> String {
    let (w, row, label_w, pad) = (640.0_f64, 26.0_f64, 150.0_f64, 8.0_f64);
    let h = (data.len().max(1) as f64) * row + 2.0 * pad;
    let max = data.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let span = w - label_w - 60.0;
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    for (i, (label, value, shown)) in data.iter().enumerate() {
        let y = pad + row * i as f64;
        let bw = (*value as f64 / max) * span;
        out.push_str(&format!(
            r##"<text x="{lx}" y="{ty:.1}" text-anchor="end" font-size="13" fill="#4e5969">{l}</text><rect x="{label_w}" y="{ry:.1}" width="{bw:.1}" height="16" rx="3" fill="#b4232a"/><text x="{vx:.1}" y="{ty:.1}" font-size="12" fill="#1f2329">{v}</text>"##,
            lx = label_w - 8.0,
            ty = y + 17.0,
            ry = y + 4.0,
            vx = label_w + bw + 6.0,
            l = escape(label),
            v = escape(shown)
        ));
    }
    out.push_str("</svg>");
    out
}

/// Slice colours for [`donut`], in order.
const SLICES: [&str; 6] = [
    "#b4232a", "#e0777c", "#2f6fb3", "#8fb3dc", "#c08a12", "#9aa3ad",
];

/// A donut of (label, value) with a legend beside it; empty data draws an empty ring.
pub fn donut(title: &str, data: &[(String, i64)]) -> String {
    let (cx, cy, r, stroke) = (110.0_f64, 110.0_f64, 80.0_f64, 36.0_f64);
    let total: i64 = data.iter().map(|d| d.1.max(0)).sum();
    let circ = 2.0 * std::f64::consts::PI * r;
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 440 220" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    out.push_str(&format!(
        r##"<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="#eef0f3" stroke-width="{stroke}"/>"##
    ));
    let mut offset = 0.0_f64;
    for (i, (_, value)) in data.iter().enumerate() {
        if total == 0 || *value <= 0 {
            continue;
        }
        let len = circ * (*value as f64) / (total as f64);
        out.push_str(&format!(
            r##"<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="{c}" stroke-width="{stroke}" stroke-dasharray="{len:.2} {rest:.2}" stroke-dashoffset="{off:.2}" transform="rotate(-90 {cx} {cy})"/>"##,
            c = SLICES[i % SLICES.len()],
            rest = circ - len,
            off = -offset
        ));
        offset += len;
    }
    out.push_str(&format!(
        r##"<text x="{cx}" y="{y}" text-anchor="middle" font-size="22" font-weight="700" fill="#1f2329">{total}</text>"##,
        y = cy + 8.0
    ));
    for (i, (label, value)) in data.iter().enumerate() {
        let y = 40.0 + 26.0 * i as f64;
        let pct = if total > 0 { value * 100 / total } else { 0 };
        out.push_str(&format!(
            r##"<rect x="240" y="{ry}" width="14" height="14" rx="3" fill="{c}"/><text x="262" y="{ty}" font-size="13" fill="#1f2329">{l} · {value} ({pct}%)</text>"##,
            ry = y - 11.0,
            ty = y,
            c = SLICES[i % SLICES.len()],
            l = escape(label)
        ));
    }
    out.push_str("</svg>");
    out
}

/// A line chart of several series over the same labels: (series name, colour, values).
/// About eight labels are written under the axis; the legend names the series.
pub fn lines(title: &str, labels: &[String], series: &[(String, &str, Vec<i64>)]) -> String {
    let (w, h, pad, top) = (640.0_f64, 240.0_f64, 36.0_f64, 28.0_f64);
    let max = series
        .iter()
        .flat_map(|s| s.2.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = labels.len().max(2) as f64;
    let step = (w - 2.0 * pad) / (n - 1.0);
    let y_of = |v: i64| h - pad - (v as f64 / max) * (h - pad - top);
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    for frac in [0.0, 0.5, 1.0] {
        let v = (max * frac).round() as i64;
        let y = y_of(v);
        out.push_str(&format!(
            r##"<line x1="{pad}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#e5e6eb"/><text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="11" fill="#6b7785">{v}</text>"##,
            x2 = w - pad,
            tx = pad - 6.0,
            ty = y + 4.0
        ));
    }
    // About eight labels under the axis, however long the series, each at least its own
    // width from the next; the last one always shows, so a regular one too close to it
    // gives way.
    let widest = labels
        .iter()
        .map(|l| text_width(l, 11.0))
        .fold(0.0, f64::max);
    let stride = (labels.len() / 7)
        .max((widest / step + 0.5).ceil() as usize)
        .max(1);
    let last = labels.len().saturating_sub(1);
    for (i, l) in labels.iter().enumerate() {
        if i == last || (i % stride == 0 && last - i >= stride) {
            out.push_str(&format!(
                r##"<text x="{x:.1}" y="{y}" text-anchor="middle" font-size="11" fill="#6b7785">{l}</text>"##,
                x = pad + step * i as f64,
                y = h - pad + 18.0,
                l = escape(l)
            ));
        }
    }
    for (k, (name, colour, values)) in series.iter().enumerate() {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", pad + step * i as f64, y_of(*v)))
            .collect();
        out.push_str(&format!(
            r##"<polyline fill="none" stroke="{c}" stroke-width="2" points="{p}"/><rect x="{lx}" y="6" width="12" height="12" rx="2" fill="{c}"/><text x="{tx}" y="16" font-size="12" fill="#1f2329">{n}</text>"##,
            c = escape(colour),
            p = points.join(" "),
            lx = pad + 120.0 * k as f64,
            tx = pad + 120.0 * k as f64 + 16.0,
            n = escape(name)
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_draw_each_series_and_escape() {
        let labels: Vec<String> = (1..=7).map(|d| format!("11-{d:02}")).collect();
        let svg = super::lines(
            "趋势 <x>",
            &labels,
            &[
                ("上报".into(), "#b4232a", vec![1, 3, 2, 5, 4, 0, 2]),
                ("结案".into(), "#1a7f37", vec![0, 1, 1, 2, 3, 1, 1]),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(!svg.contains("<x>"));
    }

    #[test]
    fn hbars_one_row_per_item() {
        let svg = super::hbars(
            "领域 <x>",
            &[
                ("养老".into(), 3, "3".into()),
                ("助残".into(), 0, "0".into()),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>") && !svg.contains("<x>"));
        assert_eq!(svg.matches("<rect").count(), 2);
    }

    #[test]
    fn donut_slices_and_legend() {
        let svg = super::donut(
            "年龄 <x>",
            &[("甲".into(), 3), ("乙".into(), 1), ("丙".into(), 0)],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<x>"));
        // The track plus one ring per non-empty slice.
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("甲 · 3 (75%)"));
        assert_eq!(super::donut("空", &[]).matches("<circle").count(), 1);
    }

    /// The x positions of the labels under the axis, in order (level labels only).
    fn axis_labels(svg: &str, y: &str) -> Vec<f64> {
        svg.split("<text x=\"")
            .skip(1)
            .filter(|t| t.contains(&format!("y=\"{y}\"")))
            .map(|t| t.split('"').next().unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn line_labels_never_overlap_the_last_one() {
        for n in [7, 8, 29, 30, 31, 90, 365] {
            let labels: Vec<String> = (0..n).map(|d| format!("11-{:02}", d % 30 + 1)).collect();
            let svg = super::lines("t", &labels, &[("a".into(), "#000", vec![1; n])]);
            let xs = axis_labels(&svg, "222");
            assert!(xs.len() >= 2, "{n}: {xs:?}");
            let room = super::text_width("11-01", 11.0);
            for pair in xs.windows(2) {
                assert!(pair[1] - pair[0] >= room, "{n} labels: {xs:?}");
            }
        }
    }

    #[test]
    fn long_bar_labels_turn_instead_of_overlapping() {
        let short: Vec<(String, i64, String)> = (0..3)
            .map(|i| (format!("甲{i}"), i, i.to_string()))
            .collect();
        assert!(!super::bars("t", &short).contains("rotate("));
        let long: Vec<(String, i64, String)> = (0..10)
            .map(|i| (format!("某某街道第{i}社区居委会"), i, i.to_string()))
            .collect();
        let svg = super::bars("t", &long);
        assert_eq!(svg.matches("rotate(-40").count(), 10);
        // The chart grows to hold the turned labels.
        let h: f64 = svg
            .split("viewBox=\"0 0 640 ")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            h > 220.0 + super::text_width("某某街道第0社区居委会", 12.0) * 0.6,
            "{h}"
        );
    }

    #[test]
    fn bars_escape_labels_and_scale() {
        let svg = super::bars(
            "收益 <script>",
            &[
                ("1月".into(), 10, "0.10".into()),
                ("<b>".into(), 20, "0.20".into()),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<script>") && !svg.contains("<b>"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(super::bars("empty", &[]).contains("<title>empty</title>"));
    }
}
