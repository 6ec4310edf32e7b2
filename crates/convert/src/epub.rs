//! EPUB: META-INF/container.xml → the OPF package → spine order of XHTML chapters,
//! each chapter's text laid out from a new page.

use crate::error::corrupt;
use crate::html_text::html_to_lines;
use crate::text_pages::{Line, Section, Style};
use crate::xml::{Ev, walk};
use crate::zipread::{Archive, join_part};
use crate::{ConvertError, Format, Manifest, Options, PreviewKind};
use std::collections::HashMap;
use std::path::Path;

const WHAT: &str = "EPUB book";

pub(crate) fn convert(
    input: &Path,
    opts: &Options,
    out_dir: &Path,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Manifest, ConvertError> {
    let mut zip = Archive::open(input, opts.max_unzipped, WHAT)?;
    let sections = chapters(&mut zip)?;
    crate::text_pages::write_text_document(
        Format::Epub,
        &sections,
        PreviewKind::Faithful,
        Vec::new(),
        opts,
        out_dir,
        progress,
    )
}

fn chapters(zip: &mut Archive) -> Result<Vec<Section>, ConvertError> {
    let opf_path = match zip.read_text("META-INF/container.xml")? {
        Some(xml) => {
            let mut path = None;
            let _ = walk(&xml, |ev| {
                if let Ev::Start(t) = ev
                    && t.name == "rootfile"
                    && path.is_none()
                {
                    path = t.attr("full-path").map(str::to_string);
                }
            });
            path
        }
        None => None,
    }
    // Some books lack a usable container.xml: take the first package document.
    .or_else(|| {
        zip.names()
            .into_iter()
            .find(|n| n.to_ascii_lowercase().ends_with(".opf"))
    })
    .ok_or_else(|| corrupt(WHAT, "it has no package document (.opf)"))?;
    let opf = zip
        .read_text(&opf_path)?
        .ok_or_else(|| corrupt(WHAT, "its package document is missing"))?;

    let mut items: HashMap<String, (String, String)> = HashMap::new();
    let mut spine: Vec<String> = Vec::new();
    walk(&opf, |ev| {
        if let Ev::Start(t) = ev {
            match t.name.as_str() {
                "item" => {
                    if let (Some(id), Some(href)) = (t.attr("id"), t.attr("href")) {
                        let media = t.attr("media-type").unwrap_or("").to_string();
                        items.insert(id.to_string(), (href.to_string(), media));
                    }
                }
                "itemref" => {
                    if let Some(id) = t.attr("idref") {
                        spine.push(id.to_string());
                    }
                }
                _ => {}
            }
        }
    })
    .map_err(|e| corrupt(WHAT, format!("its package document is not valid XML: {e}")))?;

    let mut sections = Vec::new();
    for id in spine {
        let Some((href, media)) = items.get(&id) else {
            continue;
        };
        let lower = href.to_ascii_lowercase();
        let is_html = media.contains("html")
            || [".xhtml", ".html", ".htm"]
                .iter()
                .any(|e| lower.ends_with(e));
        if !is_html {
            continue;
        }
        let path = join_part(&opf_path, href);
        let Some(xhtml) = zip.read_text(&path)? else {
            continue;
        };
        let lines = html_to_lines(&xhtml);
        if lines.iter().any(|l| !l.text.trim().is_empty()) {
            sections.push(Section {
                lines,
                one_page: false,
            });
        }
    }
    if sections.is_empty() {
        sections.push(Section {
            lines: vec![Line::new("(This book contains no text.)", Style::Quote)],
            one_page: false,
        });
    }
    Ok(sections)
}
