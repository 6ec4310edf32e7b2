//! Charts drawn as SVG on the server (ARCHITECTURE rule 10), each with a title for screen
//! readers; pages put a table of the same numbers beside them.

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A vertical bar chart of (label, value, value shown) with the given accessible title.
pub fn bars(title: &str, data: &[(String, i64, String)]) -> String {
    let (w, h, pad, top) = (640.0_f64, 220.0_f64, 32.0_f64, 24.0_f64);
    let max = data.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let n = data.len().max(1) as f64;
    let slot = (w - 2.0 * pad) / n;
    let bar = (slot * 0.6).min(56.0);
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    out.push_str(&format!(
        r##"<line x1="{pad}" y1="{y}" x2="{x2}" y2="{y}" stroke="#c9cdd4"/>"##,
        y = h - pad,
        x2 = w - pad
    ));
    for (i, (label, value, shown)) in data.iter().enumerate() {
        let bh = (*value as f64 / max) * (h - pad - top);
        let x = pad + slot * i as f64 + (slot - bar) / 2.0;
        let y = h - pad - bh;
        out.push_str(&format!(
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" rx="3" fill="#b4232a"/><text x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-size="12" fill="#1f2329">{v}</text><text x="{cx:.1}" y="{ly:.1}" text-anchor="middle" font-size="12" fill="#6b7785">{l}</text>"##,
            cx = x + bar / 2.0,
            ty = (y - 6.0).max(12.0),
            ly = h - pad + 18.0,
            v = escape(shown),
            l = escape(label)
        ));
    }
    out.push_str("</svg>");
    out
}

/// A line chart of several series over the same labels: (series name, colour, values).
/// Every fifth label is written under the axis; the legend names the series.
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
    for (i, l) in labels.iter().enumerate() {
        if i % 5 == 0 || i + 1 == labels.len() {
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
