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

#[cfg(test)]
mod tests {
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
