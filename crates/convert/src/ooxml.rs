//! Text of DOCX, PPTX and XLSX without LibreOffice: zip + XML, as pages we render ourselves.
//! Word paragraphs flow; one slide is one page; one sheet starts a new page.

use crate::error::corrupt;
use crate::text_pages::{Line, Section, Style};
use crate::xml::{Ev, relationships, walk};
use crate::zipread::{Archive, join_part};
use crate::{ConvertError, Format};
use std::collections::HashMap;

/// Extracts the text of a modern Office file as sections for `text_pages`.
pub(crate) fn extract(zip: &mut Archive, format: Format) -> Result<Vec<Section>, ConvertError> {
    match format {
        Format::Docx => docx(zip),
        Format::Pptx => pptx(zip),
        Format::Xlsx => xlsx(zip),
        other => Err(ConvertError::Unsupported(format!(
            "Text extraction does not handle {} files.",
            other.as_str()
        ))),
    }
}

fn xml_err(what: &str, e: String) -> ConvertError {
    corrupt(what, format!("a part is not valid XML: {e}"))
}

/// The package's main part from _rels/.rels, else the conventional path.
fn main_part(zip: &mut Archive, default: &str) -> Result<String, ConvertError> {
    if let Some(rels) = zip.read_text("_rels/.rels")? {
        for (_, target, kind) in relationships(&rels) {
            if kind.ends_with("/officeDocument") {
                let path = join_part("", &target);
                if zip.has(&path) {
                    return Ok(path);
                }
            }
        }
    }
    Ok(default.to_string())
}

/// The .rels file that belongs to `part` ("ppt/presentation.xml" → "ppt/_rels/presentation.xml.rels").
fn rels_of(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

/// The targets of `part`'s relationships by id (none when it has no relationships part).
fn targets_of(zip: &mut Archive, part: &str) -> Result<HashMap<String, String>, ConvertError> {
    Ok(zip
        .read_text(&rels_of(part))?
        .map(|x| {
            relationships(&x)
                .into_iter()
                .map(|(id, t, _)| (id, t))
                .collect()
        })
        .unwrap_or_default())
}

fn required(zip: &mut Archive, part: &str, what: &str) -> Result<String, ConvertError> {
    zip.read_text(part)?
        .ok_or_else(|| corrupt(what, format!("the part {part} is missing")))
}

fn docx(zip: &mut Archive) -> Result<Vec<Section>, ConvertError> {
    const WHAT: &str = "Word document";
    let main = main_part(zip, "word/document.xml")?;
    // Style ids are localised ("1", "标题1"…): map them to names to find headings.
    let mut heading_ids: HashMap<String, u8> = HashMap::new();
    let styles_part = join_part(&main, "styles.xml");
    if let Some(styles) = zip.read_text(&styles_part)? {
        let mut id = None;
        let _ = walk(&styles, |ev| {
            if let Ev::Start(t) = ev {
                match t.name.as_str() {
                    "style" => id = t.attr("styleId").map(str::to_string),
                    "name" => {
                        if let (Some(sid), Some(name)) = (&id, t.attr("val"))
                            && let Some(level) = heading_level(name)
                        {
                            heading_ids.insert(sid.clone(), level);
                        }
                    }
                    _ => {}
                }
            }
        });
    }
    let xml = required(zip, &main, WHAT)?;
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut style = Style::Body;
    let mut list = false;
    let mut in_text = false;
    let mut depth_skip = 0u32; // inside deleted text, field codes…
    walk(&xml, |ev| match ev {
        Ev::Start(t) => match t.name.as_str() {
            "p" => {
                cur.clear();
                style = Style::Body;
                list = false;
            }
            "pStyle" => {
                if let Some(v) = t.attr("val")
                    && let Some(level) = heading_ids.get(v).copied().or_else(|| heading_level(v))
                {
                    style = Style::Heading(level);
                }
            }
            "numPr" => list = true,
            "t" => in_text = true,
            "tab" if depth_skip == 0 => cur.push('\t'),
            "br" | "cr" if depth_skip == 0 => {
                lines.push(Line::new(std::mem::take(&mut cur), style));
            }
            "del" | "instrText" | "delText" => depth_skip += 1,
            _ => {}
        },
        Ev::End(name) => match name.as_str() {
            "t" => in_text = false,
            "del" | "instrText" | "delText" => depth_skip = depth_skip.saturating_sub(1),
            "tc" => cur.push('\t'),
            "p" => {
                let text = std::mem::take(&mut cur);
                let text = if list { format!("• {text}") } else { text };
                lines.push(Line::para(text.trim_end_matches('\t'), style));
            }
            _ => {}
        },
        Ev::Text(s) => {
            if in_text && depth_skip == 0 {
                cur.push_str(&s);
            }
        }
    })
    .map_err(|e| xml_err(WHAT, e))?;
    // Empty paragraphs are spacing in Word; drop runs of them.
    lines.dedup_by(|b, a| a.text.is_empty() && b.text.is_empty());
    Ok(vec![Section {
        lines,
        one_page: false,
    }])
}

/// "heading 1", "Heading1", "Title" → level.
fn heading_level(name: &str) -> Option<u8> {
    let n = name.to_ascii_lowercase().replace(' ', "");
    if n == "title" {
        return Some(1);
    }
    let digits = n.strip_prefix("heading")?;
    digits.parse::<u8>().ok().map(|l| l.clamp(1, 6))
}

fn pptx(zip: &mut Archive) -> Result<Vec<Section>, ConvertError> {
    const WHAT: &str = "PowerPoint presentation";
    let main = main_part(zip, "ppt/presentation.xml")?;
    let pres = required(zip, &main, WHAT)?;
    let rels = targets_of(zip, &main)?;
    // Slide order is the order of sldIdLst, not of the file names.
    let mut slides = Vec::new();
    walk(&pres, |ev| {
        if let Ev::Start(t) = ev
            && t.name == "sldId"
            && let Some(target) = t
                .attr("r:id")
                .or_else(|| t.attr("id"))
                .and_then(|id| rels.get(id))
        {
            slides.push(join_part(&main, target));
        }
    })
    .map_err(|e| xml_err(WHAT, e))?;
    if slides.is_empty() {
        // No usable list: fall back to slideN.xml in numeric order.
        let mut found: Vec<(u32, String)> = zip
            .names()
            .into_iter()
            .filter_map(|n| {
                let num = n
                    .strip_prefix("ppt/slides/slide")?
                    .strip_suffix(".xml")?
                    .parse()
                    .ok()?;
                Some((num, n))
            })
            .collect();
        found.sort();
        slides = found.into_iter().map(|(_, n)| n).collect();
    }
    let mut sections = Vec::new();
    for (i, part) in slides.iter().enumerate() {
        let Some(xml) = zip.read_text(part)? else {
            continue;
        };
        let mut lines = Vec::new();
        let mut cur = String::new();
        let mut title = false;
        let mut in_text = false;
        walk(&xml, |ev| match ev {
            Ev::Start(t) => match t.name.as_str() {
                "sp" => title = false,
                "ph" => title = matches!(t.attr("type"), Some("title" | "ctrTitle")),
                "t" => in_text = true,
                "br" => lines.push(Line::new(std::mem::take(&mut cur), Style::Body)),
                _ => {}
            },
            Ev::End(name) => match name.as_str() {
                "t" => in_text = false,
                "p" => {
                    let text = std::mem::take(&mut cur);
                    if !text.trim().is_empty() {
                        let style = if title {
                            Style::Heading(2)
                        } else {
                            Style::Body
                        };
                        lines.push(Line::para(text, style));
                    }
                }
                _ => {}
            },
            Ev::Text(s) => {
                if in_text {
                    cur.push_str(&s);
                }
            }
        })
        .map_err(|e| xml_err(WHAT, e))?;
        if lines.is_empty() {
            lines.push(Line::new(
                format!("(Slide {} has no text.)", i + 1),
                Style::Quote,
            ));
        }
        sections.push(Section {
            lines,
            one_page: true,
        });
    }
    Ok(sections)
}

fn xlsx(zip: &mut Archive) -> Result<Vec<Section>, ConvertError> {
    const WHAT: &str = "Excel workbook";
    const MAX_COLS: usize = 100;
    let main = main_part(zip, "xl/workbook.xml")?;
    let book = required(zip, &main, WHAT)?;
    let rels = targets_of(zip, &main)?;
    let mut sheets: Vec<(String, String)> = Vec::new();
    walk(&book, |ev| {
        if let Ev::Start(t) = ev
            && t.name == "sheet"
        {
            let name = t.attr("name").unwrap_or("Sheet").to_string();
            if let Some(target) = t
                .attr("r:id")
                .or_else(|| t.attr("id"))
                .and_then(|id| rels.get(id))
            {
                sheets.push((name, join_part(&main, target)));
            }
        }
    })
    .map_err(|e| xml_err(WHAT, e))?;

    // Shared strings: <si> holds one string, possibly split into rich-text runs.
    let mut shared: Vec<String> = Vec::new();
    if let Some(xml) = zip.read_text(&join_part(&main, "sharedStrings.xml"))? {
        let mut cur = String::new();
        let (mut in_t, mut in_phonetic) = (false, false);
        walk(&xml, |ev| match ev {
            Ev::Start(t) => match t.name.as_str() {
                "si" => cur.clear(),
                "t" => in_t = true,
                "rPh" => in_phonetic = true,
                _ => {}
            },
            Ev::End(name) => match name.as_str() {
                "si" => shared.push(std::mem::take(&mut cur)),
                "t" => in_t = false,
                "rPh" => in_phonetic = false,
                _ => {}
            },
            Ev::Text(s) => {
                if in_t && !in_phonetic {
                    cur.push_str(&s);
                }
            }
        })
        .map_err(|e| xml_err(WHAT, e))?;
    }

    let mut sections = Vec::new();
    for (name, part) in sheets {
        let Some(xml) = zip.read_text(&part)? else {
            continue;
        };
        let mut lines = vec![Line::para(name, Style::Heading(2))];
        let mut row: Vec<String> = Vec::new();
        let (mut col, mut kind) = (0usize, String::new());
        let (mut in_v, mut in_t) = (false, false);
        let mut value = String::new();
        walk(&xml, |ev| match ev {
            Ev::Start(t) => match t.name.as_str() {
                "row" => row.clear(),
                "c" => {
                    col = t.attr("r").and_then(column_index).unwrap_or(row.len());
                    kind = t.attr("t").unwrap_or("n").to_string();
                    value.clear();
                }
                "v" => in_v = true,
                "t" => in_t = true,
                _ => {}
            },
            Ev::End(n) => match n.as_str() {
                "v" => in_v = false,
                "t" => in_t = false,
                "c" => {
                    let shown = match kind.as_str() {
                        "s" => value
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| shared.get(i))
                            .cloned()
                            .unwrap_or_default(),
                        "b" => {
                            if value.trim() == "1" {
                                "TRUE".into()
                            } else {
                                "FALSE".into()
                            }
                        }
                        _ => value.clone(),
                    };
                    if col < MAX_COLS && !shown.is_empty() {
                        if row.len() <= col {
                            row.resize(col + 1, String::new());
                        }
                        row[col] = shown.replace(['\t', '\n', '\r'], " ");
                    }
                }
                "row" if row.iter().any(|c| !c.trim().is_empty()) => {
                    lines.push(Line::new(row.join("\t"), Style::Body));
                }
                _ => {}
            },
            Ev::Text(s) => {
                if in_v || in_t {
                    value.push_str(&s);
                }
            }
        })
        .map_err(|e| xml_err(WHAT, e))?;
        sections.push(Section {
            lines,
            one_page: false,
        });
    }
    if sections.is_empty() {
        return Err(corrupt(WHAT, "it has no worksheets"));
    }
    Ok(sections)
}

/// "AB12" → 27 (zero-based column).
fn column_index(reference: &str) -> Option<usize> {
    let letters: String = reference
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut n = 0usize;
    for c in letters.chars() {
        n = n * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1);
    }
    Some(n - 1)
}
