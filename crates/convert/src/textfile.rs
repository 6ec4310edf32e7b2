//! Plain text and Markdown: decoding (UTF-8, UTF-16 with BOM, GB18030/GBK) and
//! turning the text into lines for `text_pages`.

use crate::text_pages::{Line, Section, Style};
use crate::{ConvertError, Format, Manifest, Options, PreviewKind};
use pulldown_cmark::{Event, HeadingLevel, Options as MdOptions, Parser, Tag, TagEnd};
use std::io::Read;
use std::path::Path;

/// Decodes a text file. Not UTF-8 means GB18030 (a superset of GBK and GB2312), the
/// legacy encoding of the Chinese documents this platform receives.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, ConvertError> {
    let text = if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        enc.decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned()
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => encoding_rs::GB18030
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        }
    };
    if text.contains('\0') {
        return Err(ConvertError::Unsupported(
            "This file contains binary data, not text.".into(),
        ));
    }
    Ok(text)
}

/// Reads at most `limit` bytes: pagination stops at `max_pages` anyway, so a huge text
/// file needs no more memory than that.
/// Returns the text and, if it was cut, a note saying so.
fn read_limited(input: &Path, limit: u64) -> Result<(String, Vec<String>), ConvertError> {
    let mut bytes = Vec::new();
    std::fs::File::open(input)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.is_empty() {
        return Err(ConvertError::Empty);
    }
    let mut notes = Vec::new();
    if bytes.len() as u64 > limit {
        bytes.truncate(limit as usize);
        // Do not leave half a UTF-8 character at the cut.
        while !bytes.is_empty()
            && std::str::from_utf8(&bytes).is_err_and(|e| e.error_len().is_none())
        {
            bytes.pop();
        }
        notes.push(format!(
            "The text is longer than {} MiB; only its beginning was converted.",
            limit >> 20
        ));
    }
    Ok((decode(&bytes)?, notes))
}

/// Lines of a plain text file; a form feed starts a new page.
pub(crate) fn text_sections(text: &str) -> Vec<Section> {
    text.split('\u{c}')
        .map(|chunk| Section {
            lines: chunk
                .lines()
                .map(|l| Line::new(l.trim_end_matches('\r'), Style::Body))
                .collect(),
            one_page: false,
        })
        .collect()
}

pub(crate) fn convert_txt(
    input: &Path,
    opts: &Options,
    out_dir: &Path,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Manifest, ConvertError> {
    convert_plain(input, opts, out_dir, progress, Format::Txt, text_sections)
}

pub(crate) fn convert_markdown(
    input: &Path,
    opts: &Options,
    out_dir: &Path,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Manifest, ConvertError> {
    convert_plain(input, opts, out_dir, progress, Format::Markdown, |text| {
        vec![Section {
            lines: markdown_lines(text),
            one_page: false,
        }]
    })
}

/// A text file read within the page budget, laid out as `sections` and written as pages.
fn convert_plain(
    input: &Path,
    opts: &Options,
    out_dir: &Path,
    progress: &mut dyn FnMut(u32, u32),
    format: Format,
    sections: impl FnOnce(&str) -> Vec<Section>,
) -> Result<Manifest, ConvertError> {
    let (text, notes) = read_limited(input, text_limit(opts))?;
    crate::text_pages::write_text_document(
        format,
        &sections(&text),
        PreviewKind::Faithful,
        notes,
        opts,
        out_dir,
        progress,
    )
}

/// Enough text for `max_pages` pages (a full page is under 6 KiB of UTF-8) with room to
/// spare, within the unzip budget.
fn text_limit(opts: &Options) -> u64 {
    (u64::from(opts.max_pages.max(1)) * 16 * 1024).clamp(1 << 20, opts.max_unzipped.max(1 << 20))
}

/// Markdown → styled lines: headings larger and bold, lists indented with bullets,
/// code blocks monospaced, quotes grey, tables as rows of cells.
pub(crate) fn markdown_lines(md: &str) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut cur = String::new();
    let mut style = Style::Body;
    let mut quote: u8 = 0;
    // One entry per open list: the next number, or None for bullets.
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut in_code = false;
    let mut in_cell = false;
    let flush = |lines: &mut Vec<Line>, cur: &mut String, style: Style, indent: u8, gap: bool| {
        let text = std::mem::take(cur);
        if text.trim().is_empty() {
            if gap && let Some(l) = lines.last_mut() {
                l.gap_after = true;
            }
            return;
        }
        lines.push(Line {
            text: text.trim_end().to_string(),
            style,
            indent,
            gap_after: gap,
        });
    };
    let opts =
        MdOptions::ENABLE_TABLES | MdOptions::ENABLE_STRIKETHROUGH | MdOptions::ENABLE_TASKLISTS;
    for event in Parser::new_ext(md, opts) {
        let indent = quote + (lists.len() as u8).saturating_sub(1);
        let body = if quote > 0 { Style::Quote } else { Style::Body };
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut lines, &mut cur, body, indent, true);
                style = Style::Heading(match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                flush(&mut lines, &mut cur, style, indent, true);
                style = Style::Body;
            }
            Event::End(TagEnd::Paragraph) => {
                flush(&mut lines, &mut cur, body, indent, lists.is_empty())
            }
            Event::Start(Tag::BlockQuote(_)) => {
                flush(&mut lines, &mut cur, body, indent, true);
                quote = quote.saturating_add(1).min(4);
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                flush(&mut lines, &mut cur, body, indent, true);
                quote = quote.saturating_sub(1);
            }
            Event::Start(Tag::List(start)) => {
                flush(&mut lines, &mut cur, body, indent, false);
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                flush(&mut lines, &mut cur, body, indent, false);
                lists.pop();
                if lists.is_empty()
                    && let Some(l) = lines.last_mut()
                {
                    l.gap_after = true;
                }
            }
            Event::Start(Tag::Item) => {
                flush(&mut lines, &mut cur, body, indent, false);
                match lists.last_mut() {
                    Some(Some(n)) => {
                        cur.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => cur.push_str("• "),
                }
            }
            Event::End(TagEnd::Item) => flush(&mut lines, &mut cur, body, indent, false),
            Event::Start(Tag::CodeBlock(_)) => {
                flush(&mut lines, &mut cur, body, indent, true);
                in_code = true;
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                let text = std::mem::take(&mut cur);
                for l in text.trim_end_matches('\n').split('\n') {
                    lines.push(Line {
                        text: l.to_string(),
                        style: Style::Code,
                        indent,
                        gap_after: false,
                    });
                }
                if let Some(l) = lines.last_mut() {
                    l.gap_after = true;
                }
            }
            Event::Start(Tag::TableCell) => {
                if in_cell || !cur.is_empty() {
                    cur.push_str(" | ");
                }
                in_cell = true;
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                in_cell = false;
                flush(&mut lines, &mut cur, body, indent, false);
            }
            Event::End(TagEnd::Table) => {
                if let Some(l) = lines.last_mut() {
                    l.gap_after = true;
                }
            }
            Event::Start(Tag::Image { .. }) => cur.push_str("[image: "),
            Event::End(TagEnd::Image) => cur.push(']'),
            Event::Text(t) | Event::Code(t) => {
                if in_code {
                    cur.push_str(&t);
                } else {
                    cur.push_str(&t.replace('\n', " "));
                }
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => cur.push_str(&t),
            Event::Html(t) | Event::InlineHtml(t) => {
                // Raw HTML: keep its text, never its markup.
                let inner: Vec<String> = crate::html_text::html_to_lines(&t)
                    .into_iter()
                    .map(|l| l.text)
                    .collect();
                cur.push_str(&inner.join(" "));
            }
            Event::SoftBreak => cur.push(' '),
            Event::HardBreak => flush(&mut lines, &mut cur, body, indent, false),
            Event::Rule => {
                flush(&mut lines, &mut cur, body, indent, true);
                lines.push(Line::para("", Style::Rule));
            }
            Event::TaskListMarker(done) => cur.push_str(if done { "☑ " } else { "☐ " }),
            Event::FootnoteReference(r) => cur.push_str(&format!("[{r}]")),
            _ => {}
        }
    }
    flush(&mut lines, &mut cur, Style::Body, 0, false);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_gbk_utf8_and_utf16() {
        assert_eq!(decode(&[0xD6, 0xD0, 0xCE, 0xC4]).unwrap(), "中文");
        assert_eq!(decode("中文".as_bytes()).unwrap(), "中文");
        assert_eq!(
            decode(&[0xFF, 0xFE, 0x2D, 0x4E, 0x87, 0x65]).unwrap(),
            "中文"
        );
        assert_eq!(decode(b"\xEF\xBB\xBFabc").unwrap(), "abc");
        assert_eq!(decode(b"a\0b").unwrap_err().code(), "unsupported");
    }

    #[test]
    fn markdown_structure() {
        let lines = markdown_lines(
            "## Sub\n\n> quoted\n\n1. first\n2. second\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n",
        );
        let texts: Vec<(&str, Style)> = lines.iter().map(|l| (l.text.as_str(), l.style)).collect();
        assert_eq!(
            texts,
            [
                ("Sub", Style::Heading(2)),
                ("quoted", Style::Quote),
                ("1. first", Style::Body),
                ("2. second", Style::Body),
                ("a | b", Style::Body),
                ("1 | 2", Style::Body),
                ("", Style::Rule),
            ]
        );
    }
}
