//! The "1+5+X" structure drawn as a server-side SVG tree (no script, no chart library):
//! the federation on top, the hubs below it, and under each hub its member count.

use crate::registry::hub::HubStructure;
use platform::web::Lang;
use std::fmt::Write;

pub fn escape(s: &str) -> String {
    platform::web::feed::html_text(s)
}

/// Splits a name into at most `lines` lines of about `width` full-width characters.
pub fn wrap(name: &str, width: f32, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut w = 0.0;
    for c in name.chars() {
        let cw = if c.is_ascii() { 0.55 } else { 1.0 };
        if w + cw > width && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            w = 0.0;
            if out.len() == lines {
                break;
            }
        }
        cur.push(c);
        w += cw;
    }
    if out.len() < lines && !cur.is_empty() {
        out.push(cur);
    } else if out.len() == lines {
        // Truncated: mark the last line.
        if let Some(last) = out.last_mut() {
            last.pop();
            last.push('…');
        }
    }
    out
}

const HUB_W: i32 = 176;
const GAP: i32 = 20;

fn text_lines(svg: &mut String, lines: &[String], cx: i32, y: i32, size: i32, class: &str) {
    for (i, l) in lines.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{cx}" y="{}" class="{class}" font-size="{size}" text-anchor="middle">{}</text>"#,
            y + i as i32 * (size + 4),
            escape(l)
        );
    }
}

pub fn hub_tree(s: &HubStructure, lang: Lang) -> String {
    let n = s.hubs.len().max(1) as i32;
    let width = (n * HUB_W + (n - 1) * GAP + 2 * GAP).max(640);
    let cx = width / 2;
    let max_members = s.hubs.iter().map(|h| h.members).max().unwrap_or(0).max(1);
    let (fed_y, bus_y, hub_y, hub_h, pill_y, bar_y, bar_max) = (16, 122, 150, 78, 268, 330, 90);
    let height = bar_y + bar_max + 36;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="hub-svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-labelledby="hub-svg-title" xmlns="http://www.w3.org/2000/svg"><title id="hub-svg-title">{}</title>"#,
        escape(lang.pick(
            "“1+5+X”枢纽型社会组织结构图：联合会、枢纽组织及其会员组织数量",
            "The 1+5+X structure: the federation, the hubs and their member counts"
        ))
    );
    // The federation.
    let fed_w = 300;
    match &s.federation {
        Some((id, name)) => {
            // A link only for those who may open the federation's record (no 404s).
            if s.federation_viewable {
                let _ = write!(svg, r#"<a href="/gov/orgs/{id}">"#);
            } else {
                svg.push_str("<g>");
            }
            let _ = write!(
                svg,
                r#"<rect x="{}" y="{fed_y}" width="{fed_w}" height="76" rx="10" class="node node-fed"/>"#,
                cx - fed_w / 2
            );
            text_lines(
                &mut svg,
                &[lang
                    .pick("1 · 社会组织联合会", "1 · Federation")
                    .to_string()],
                cx,
                fed_y + 24,
                13,
                "lbl lbl-fed",
            );
            text_lines(
                &mut svg,
                &wrap(name, 17.0, 2),
                cx,
                fed_y + 46,
                15,
                "name name-fed",
            );
            svg.push_str(if s.federation_viewable {
                "</a>"
            } else {
                "</g>"
            });
        }
        None => {
            let _ = write!(
                svg,
                r#"<rect x="{}" y="{fed_y}" width="{fed_w}" height="76" rx="10" class="node node-missing"/>"#,
                cx - fed_w / 2
            );
            text_lines(
                &mut svg,
                &[lang.pick("尚未登记联合会", "No federation yet").to_string()],
                cx,
                fed_y + 44,
                14,
                "lbl",
            );
        }
    }
    if s.hubs.is_empty() {
        text_lines(
            &mut svg,
            &[lang
                .pick("还没有枢纽型社会组织", "No hub organisations yet")
                .to_string()],
            cx,
            hub_y + 40,
            14,
            "lbl",
        );
        svg.push_str("</svg>");
        return svg;
    }
    let total_w = n * HUB_W + (n - 1) * GAP;
    let x0 = (width - total_w) / 2;
    let centres: Vec<i32> = (0..n).map(|i| x0 + i * (HUB_W + GAP) + HUB_W / 2).collect();
    // Connectors: federation → bus → each hub.
    let _ = write!(
        svg,
        r#"<path class="edge" d="M{cx} {} V{bus_y} M{} {bus_y} H{}"/>"#,
        fed_y + 76,
        centres[0],
        centres[centres.len() - 1]
    );
    for (h, &hx) in s.hubs.iter().zip(&centres) {
        let _ = write!(
            svg,
            r#"<path class="edge" d="M{hx} {bus_y} V{hub_y} M{hx} {} V{pill_y}"/>"#,
            hub_y + hub_h
        );
        let _ = write!(
            svg,
            r#"<a href="/gov/orgs?hub={}"><rect x="{}" y="{hub_y}" width="{HUB_W}" height="{hub_h}" rx="10" class="node node-hub"/>"#,
            h.id,
            hx - HUB_W / 2
        );
        text_lines(
            &mut svg,
            &[lang.pick("5 · 枢纽组织", "5 · Hub").to_string()],
            hx,
            hub_y + 22,
            12,
            "lbl lbl-hub",
        );
        text_lines(
            &mut svg,
            &wrap(&h.name, 10.0, 2),
            hx,
            hub_y + 44,
            14,
            "name",
        );
        svg.push_str("</a>");
        // The X: a pill with the count and a bar scaled to the largest hub.
        let _ = write!(
            svg,
            r#"<rect x="{}" y="{pill_y}" width="132" height="44" rx="22" class="node node-x"/>"#,
            hx - 66
        );
        let label = match lang {
            Lang::Zh => format!("X · {} 家会员", h.members),
            Lang::En => format!("X · {} members", h.members),
        };
        text_lines(&mut svg, &[label], hx, pill_y + 27, 14, "name name-x");
        let bar_h = (h.members as f64 / max_members as f64 * bar_max as f64).round() as i32;
        let _ = write!(
            svg,
            r#"<rect x="{}" y="{}" width="28" height="{bar_h}" rx="3" class="bar"/>"#,
            hx - 14,
            bar_y + bar_max - bar_h
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{GAP}" y="{}" class="lbl" font-size="12">{}</text>"#,
        bar_y + bar_max + 24,
        escape(lang.pick(
            "柱高：各枢纽组织的会员组织数量（仅统计您权限范围内的组织）",
            "Bar height: member organisations per hub (counting those within your scope)"
        ))
    );
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::hub::HubEntry;

    #[test]
    fn wraps_and_truncates_names() {
        assert_eq!(
            wrap("云岫区志愿服务联合会", 6.0, 2),
            vec!["云岫区志愿服", "务联合会"]
        );
        let w = wrap("一二三四五六七八九十一二三四五", 5.0, 2);
        assert_eq!(w.len(), 2);
        assert!(w[1].ends_with('…'));
    }

    #[test]
    fn draws_every_hub_and_escapes_names() {
        let s = HubStructure {
            federation: Some((1, "联合会 <&>".into())),
            federation_viewable: false,
            hubs: (0..5)
                .map(|i| HubEntry {
                    id: 10 + i,
                    name: format!("枢纽{i}"),
                    members: i * 10,
                    viewable: true,
                })
                .collect(),
        };
        let svg = hub_tree(&s, Lang::Zh);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("node-hub").count(), 5);
        assert!(svg.contains("联合会 &lt;&amp;&gt;"));
        assert!(svg.contains("X · 40 家会员"));
        assert!(
            !svg.contains("/gov/orgs/1\""),
            "no link the viewer cannot open"
        );
        let empty = hub_tree(
            &HubStructure {
                federation: None,
                federation_viewable: false,
                hubs: vec![],
            },
            Lang::En,
        );
        assert!(empty.contains("No federation yet"));
    }
}
