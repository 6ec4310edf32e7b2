//! "Pages that we render": formats without a page layout of their own (plain text,
//! Markdown, EPUB, and Office files when LibreOffice is missing) are laid out here on an
//! A4-shaped page and drawn as SVG with `<text>` elements.
//!
//! Layout happens in a fixed 1000 × 1414 coordinate space (the SVG viewBox), so the
//! pagination does not depend on the requested pixel width: about 38 lines of about 34
//! CJK characters. Widths are estimated (CJK = 1 em, Latin ≈ ½ em); wrapped lines are
//! justified with `textLength`, which also absorbs estimation errors.
//!
//! The SVG is served to browsers, so every text node and attribute is escaped, and the
//! document contains no scripts, no links, no external references and no DTD.

use crate::{ConvertError, Format, Manifest, Options, PageEntry, PreviewKind};
use std::fmt::Write as _;
use std::path::Path;

pub(crate) const VIEW_W: f32 = 1000.0;
pub(crate) const VIEW_H: f32 = 1414.0;
const MARGIN_X: f32 = 80.0;
const MARGIN_TOP: f32 = 90.0;
const MARGIN_BOTTOM: f32 = 90.0;
/// 840 / 24.5 ≈ 34 CJK characters a line.
const BODY_SIZE: f32 = 24.5;
/// (1414 − 180) / 32.4 ≈ 38 lines a page.
const LINE_H: f32 = 32.4;
const INDENT_W: f32 = 2.0 * BODY_SIZE;
const PARA_GAP: f32 = 0.4 * LINE_H;
/// A tab is drawn as four spaces.
const TAB_EM: f32 = 4.0 * 0.25;
const TAB_SPACES: &str = "    ";

pub(crate) const FONT_FAMILY: &str = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif";
const MONO_FAMILY: &str = "Noto Sans Mono CJK SC, Menlo, Consolas, monospace";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Body,
    /// 1 = largest.
    Heading(u8),
    Code,
    Quote,
    /// A horizontal rule; the line's text is ignored.
    Rule,
}

/// One logical line (a paragraph, a heading, a line of a text file) before wrapping.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub text: String,
    pub style: Style,
    /// Nesting level (lists, quotes), 2 em each.
    pub indent: u8,
    /// Leave a little space after it (paragraphs, not lines of a text file).
    pub gap_after: bool,
}

impl Line {
    pub(crate) fn new(text: impl Into<String>, style: Style) -> Line {
        Line {
            text: text.into(),
            style,
            indent: 0,
            gap_after: false,
        }
    }
    pub(crate) fn para(text: impl Into<String>, style: Style) -> Line {
        Line {
            gap_after: true,
            ..Line::new(text, style)
        }
    }
}

/// A run of lines that starts on a new page. `one_page` sections (a slide) never spill
/// over: what does not fit is cut from the picture but kept in the page text.
#[derive(Clone, Debug, Default)]
pub(crate) struct Section {
    pub lines: Vec<Line>,
    pub one_page: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub text: String,
    pub x: f32,
    pub baseline: f32,
    pub style: Style,
    /// Stretch to this width (a full wrapped line).
    pub justify: Option<f32>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct TextPage {
    pub rows: Vec<Row>,
    /// The page's text as extracted text (wrapped lines joined again).
    pub text: String,
    /// Content was cut off (one-page sections only).
    pub truncated: bool,
}

pub(crate) struct Paginated {
    /// At most `max_pages` pages.
    pub pages: Vec<TextPage>,
    /// How many pages the whole document would have had.
    pub total: usize,
}

struct Metrics {
    size: f32,
    line_h: f32,
    bold: bool,
    mono: bool,
}

fn metrics(style: Style) -> Metrics {
    let m = |scale: f32, bold: bool| Metrics {
        size: BODY_SIZE * scale,
        line_h: LINE_H * scale.max(1.0) * if scale > 1.0 { 1.05 } else { 1.0 },
        bold,
        mono: false,
    };
    match style {
        Style::Heading(1) => m(1.5, true),
        Style::Heading(2) => m(1.3, true),
        Style::Heading(3) => m(1.15, true),
        Style::Heading(_) => m(1.0, true),
        Style::Code => Metrics {
            size: BODY_SIZE * 0.86,
            line_h: LINE_H * 0.9,
            bold: false,
            mono: true,
        },
        Style::Body | Style::Quote | Style::Rule => m(1.0, false),
    }
}

/// East Asian wide and fullwidth characters (plus emoji), which take a full em.
pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF | 0x20000..=0x2FFFD | 0x30000..=0x3FFFD)
}

fn is_zero_width(c: char) -> bool {
    c.is_control()
        || matches!(c as u32, 0x0300..=0x036F | 0x200B..=0x200F | 0x2028..=0x202E | 0xFE00..=0xFE0F | 0xFEFF)
}

/// Width in em. Latin letters are about half an em; a few narrow and wide ones are told apart
/// so that Latin lines do not overflow much.
fn char_em(c: char, mono: bool) -> f32 {
    if c == '\t' {
        TAB_EM
    } else if is_zero_width(c) {
        0.0
    } else if is_wide(c) {
        1.0
    } else if mono {
        0.6
    } else {
        match c {
            ' ' => 0.25,
            'i' | 'j' | 'l' | 't' | 'f' | 'r' | 'I' | '.' | ',' | ':' | ';' | '!' | '|' | '\''
            | '(' | ')' | '[' | ']' => 0.28,
            'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.8,
            'A'..='Z' => 0.6,
            _ => 0.5,
        }
    }
}

/// Closing punctuation may hang past the margin rather than start a line (禁则).
fn is_closing_punct(c: char) -> bool {
    "，。、；：？！）》」』】〕〉”’,.;:?!)]}%".contains(c)
}

/// Control characters other than tab disappear (they are not valid in XML).
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push('\t'),
            '\u{FFFE}' | '\u{FFFF}' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Greedy wrapping. Returns rows and whether each row ended because of the width (and
/// whether the break swallowed a space, for re-joining the extracted text).
fn wrap(text: &str, max_em: f32, mono: bool) -> Vec<(String, bool, bool)> {
    let text = clean(text);
    let mut rows: Vec<(String, bool, bool)> = Vec::new();
    let mut cur: Vec<char> = Vec::new();
    let mut w = 0.0f32;
    let width = |cs: &[char]| cs.iter().map(|&c| char_em(c, mono)).sum::<f32>();
    // Index in `cur` where a break may happen (the rest moves to the next row).
    let last_break = |cs: &[char]| -> Option<usize> {
        (1..cs.len()).rev().find(|&i| {
            (matches!(cs[i - 1], ' ' | '\t') || is_wide(cs[i]) || is_wide(cs[i - 1]))
                && !is_closing_punct(cs[i])
        })
    };
    for c in text.chars() {
        let cw = char_em(c, mono);
        if w + cw > max_em && !cur.is_empty() {
            if c == ' ' {
                rows.push((
                    cur.iter().collect::<String>().trim_end().to_string(),
                    true,
                    true,
                ));
                cur.clear();
                w = 0.0;
                continue;
            }
            if is_closing_punct(c) && w + cw <= max_em + 1.0 {
                cur.push(c);
                w += cw;
                continue;
            }
            // Break right before `c` if allowed there, else at the last opportunity.
            let prev = cur[cur.len() - 1];
            let here =
                (matches!(prev, ' ' | '\t') || is_wide(c) || is_wide(prev)) && !is_closing_punct(c);
            let at = if here {
                cur.len()
            } else {
                last_break(&cur).unwrap_or(cur.len())
            };
            let rest = cur.split_off(at);
            let row: String = cur.iter().collect();
            let trimmed = row.trim_end();
            rows.push((trimmed.to_string(), true, trimmed.len() != row.len()));
            cur = rest;
            while cur.first() == Some(&' ') {
                cur.remove(0);
            }
            w = width(&cur);
        }
        if c == ' ' && cur.is_empty() && !rows.is_empty() && rows.last().is_some_and(|r| r.1) {
            continue; // no leading space after a soft break
        }
        cur.push(c);
        w += cw;
    }
    rows.push((cur.into_iter().collect(), false, false));
    rows
}

struct Paginator {
    max_pages: usize,
    pages: Vec<TextPage>,
    total: usize,
    page: TextPage,
    y: f32,
    /// Nothing placed on the current page yet.
    fresh: bool,
    /// A one-page section has filled its page.
    full: bool,
}

impl Paginator {
    fn new(max_pages: usize) -> Paginator {
        Paginator {
            max_pages,
            pages: Vec::new(),
            total: 0,
            page: TextPage::default(),
            y: MARGIN_TOP,
            fresh: true,
            full: false,
        }
    }

    fn storing(&self) -> bool {
        self.total < self.max_pages
    }

    fn finish_page(&mut self) {
        if self.storing() {
            self.pages.push(std::mem::take(&mut self.page));
        }
        self.page = TextPage::default();
        self.total += 1;
        self.y = MARGIN_TOP;
        self.fresh = true;
        self.full = false;
    }

    fn push_text(&mut self, text: &str, continuation: bool, joiner: &str) {
        if !self.storing() {
            return;
        }
        if !self.page.text.is_empty() {
            self.page
                .text
                .push_str(if continuation { joiner } else { "\n" });
        }
        self.page.text.push_str(text);
    }

    fn section(&mut self, section: &Section) {
        if !self.fresh {
            self.finish_page();
        }
        self.full = false;
        for line in &section.lines {
            self.line(line, section.one_page);
        }
    }

    fn line(&mut self, line: &Line, one_page: bool) {
        let m = metrics(line.style);
        let x = MARGIN_X + f32::from(line.indent.min(8)) * INDENT_W;
        let avail = (VIEW_W - MARGIN_X - x).max(BODY_SIZE * 4.0);
        let bottom = VIEW_H - MARGIN_BOTTOM;
        if matches!(line.style, Style::Heading(_)) && !self.fresh {
            self.y += LINE_H * 0.5;
        }
        let rows = if line.style == Style::Rule {
            vec![(String::new(), false, false)]
        } else {
            wrap(&line.text, avail / m.size, m.mono)
        };
        // Blank lines at the top of a page only push text down: drop them.
        if rows.len() == 1 && rows[0].0.trim().is_empty() && line.style != Style::Rule && self.fresh
        {
            return;
        }
        let mut joiner = "";
        for (i, (text, soft, ate_space)) in rows.into_iter().enumerate() {
            if self.y + m.line_h > bottom && !self.fresh {
                if one_page {
                    if !self.full && self.storing() {
                        self.page.truncated = true;
                        self.page.rows.push(Row {
                            text: "…".into(),
                            x: MARGIN_X,
                            baseline: bottom + LINE_H * 0.8,
                            style: Style::Body,
                            justify: None,
                        });
                    }
                    self.full = true;
                } else {
                    self.finish_page();
                }
            }
            self.push_text(&text, i > 0, joiner);
            joiner = if ate_space { " " } else { "" };
            if self.full {
                continue;
            }
            if self.storing() {
                let natural: f32 = text.chars().map(|c| char_em(c, m.mono)).sum::<f32>() * m.size;
                // Justify full rows only when the stretch is small (not after a long word).
                let justify =
                    (soft && natural > avail * 0.85 && line.style != Style::Code).then_some(avail);
                self.page.rows.push(Row {
                    text,
                    x,
                    baseline: self.y + m.line_h * 0.78,
                    style: line.style,
                    justify,
                });
            }
            self.y += m.line_h;
            self.fresh = false;
        }
        if line.gap_after {
            self.y += PARA_GAP;
        }
    }
}

/// Lays out `sections` into pages, keeping at most `max_pages` (but counting all).
pub(crate) fn paginate(sections: &[Section], max_pages: usize) -> Paginated {
    let mut p = Paginator::new(max_pages.max(1));
    for s in sections {
        p.section(s);
    }
    if !p.fresh || p.total == 0 {
        p.finish_page();
    }
    Paginated {
        pages: p.pages,
        total: p.total,
    }
}

/// XML-escapes text for element content and attribute values, dropping characters
/// that XML 1.0 forbids (so a hostile text cannot break the document).
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            '\u{FFFE}' | '\u{FFFF}' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One page as a standalone SVG document, `width_px` wide.
pub(crate) fn render_svg(page: &TextPage, width_px: u32) -> String {
    let height_px = (width_px as f32 * VIEW_H / VIEW_W).round() as u32;
    let mut s = String::with_capacity(256 + page.rows.len() * 120);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width_px}\" height=\"{height_px}\" \
         viewBox=\"0 0 {VIEW_W} {VIEW_H}\" font-family=\"{}\" fill=\"#1f1f1f\" xml:space=\"preserve\">\
         <rect width=\"{VIEW_W}\" height=\"{VIEW_H}\" fill=\"#ffffff\"/>",
        xml_escape(FONT_FAMILY)
    );
    for row in &page.rows {
        if row.style == Style::Rule {
            let y = row.baseline - LINE_H * 0.3;
            let _ = write!(
                s,
                "\n<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#c8c8c8\" stroke-width=\"2\"/>",
                row.x,
                VIEW_W - MARGIN_X
            );
            continue;
        }
        if row.text.is_empty() {
            continue;
        }
        let m = metrics(row.style);
        let _ = write!(
            s,
            "\n<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.2}\"",
            row.x, row.baseline, m.size
        );
        if m.bold {
            s.push_str(" font-weight=\"bold\"");
        }
        if m.mono {
            let _ = write!(s, " font-family=\"{}\"", xml_escape(MONO_FAMILY));
        }
        if row.style == Style::Quote {
            s.push_str(" fill=\"#5a5a5a\"");
        }
        if let Some(w) = row.justify {
            let _ = write!(s, " textLength=\"{w:.1}\" lengthAdjust=\"spacing\"");
        }
        s.push('>');
        s.push_str(&xml_escape(&row.text.replace('\t', TAB_SPACES)));
        s.push_str("</text>");
    }
    s.push_str("\n</svg>\n");
    s
}

/// Writes paginated text as SVG pages plus "thumb.svg" and returns the manifest.
pub(crate) fn write_text_document(
    format: Format,
    sections: &[Section],
    preview: PreviewKind,
    mut notes: Vec<String>,
    opts: &Options,
    out_dir: &Path,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Manifest, ConvertError> {
    std::fs::create_dir_all(out_dir)?;
    let laid = paginate(sections, opts.max_pages.max(1) as usize);
    let count = laid.pages.len() as u32;
    if laid.total > laid.pages.len() {
        notes.push(format!(
            "The document has {} pages; only the first {} were converted.",
            laid.total, count
        ));
    }
    let page_width = crate::clamp_width(opts.page_width);
    let mut pages = Vec::with_capacity(laid.pages.len());
    for (i, page) in laid.pages.into_iter().enumerate() {
        let n = i as u32 + 1;
        let image = format!("page-{n:04}.svg");
        std::fs::write(out_dir.join(&image), render_svg(&page, page_width))?;
        if n == 1 {
            let thumb = render_svg(&page, crate::clamp_width(opts.thumb_width));
            std::fs::write(out_dir.join("thumb.svg"), thumb)?;
        }
        pages.push(PageEntry {
            n,
            image,
            mime: "image/svg+xml".into(),
            text: page.text,
        });
        progress(n, count);
    }
    Ok(Manifest {
        format,
        pages,
        thumbnail: "thumb.svg".into(),
        preview,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Section {
        Section {
            lines: text.lines().map(|l| Line::new(l, Style::Body)).collect(),
            one_page: false,
        }
    }

    #[test]
    fn thirty_four_cjk_characters_fit_a_line() {
        let line34: String = "公".repeat(34);
        assert_eq!(
            wrap(&line34, (VIEW_W - 2.0 * MARGIN_X) / BODY_SIZE, false).len(),
            1
        );
        let line35: String = "公".repeat(35);
        let rows = wrap(&line35, (VIEW_W - 2.0 * MARGIN_X) / BODY_SIZE, false);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].0, "公");
        // Latin counts about half: 60 narrow-ish letters still fit one line.
        assert_eq!(wrap(&"abcde ".repeat(10), 34.3, false).len(), 1);
    }

    #[test]
    fn thirty_eight_lines_a_page() {
        let text: String = (0..100).map(|i| format!("第{i}行\n")).collect();
        let laid = paginate(&[body(&text)], 100);
        let counts: Vec<usize> = laid.pages.iter().map(|p| p.rows.len()).collect();
        assert_eq!(counts, [38, 38, 24]);
        assert_eq!(laid.total, 3);
        assert!(laid.pages[1].text.starts_with("第38行\n第39行"));
    }

    #[test]
    fn mixed_text_wraps_at_spaces_and_between_cjk() {
        let text = "公共服务 public service delivery 标准化建设与数字化转型 and a verylongwordwithoutanyspaces";
        let rows = wrap(text, 12.0, false);
        for (row, soft, _) in &rows[..rows.len() - 1] {
            assert!(*soft);
            let w: f32 = row.chars().map(|c| char_em(c, false)).sum();
            assert!(w <= 13.0, "{row:?} is {w} em");
            assert!(!row.ends_with(' ') && !row.starts_with(' '));
        }
        // No Latin word is split unless it is longer than a line.
        assert!(
            rows.iter()
                .any(|r| r.0.ends_with("delivery") || r.0.contains("delivery "))
        );
        // Re-joined page text restores the original.
        let laid = paginate(
            &[Section {
                lines: vec![Line::new(text, Style::Body)],
                one_page: false,
            }],
            10,
        );
        assert!(laid.pages[0].rows.len() > 1);
        assert_eq!(
            laid.pages[0]
                .text
                .replace("verylongwordwithoutanyspaces", ""),
            text.replace("verylongwordwithoutanyspaces", "")
        );
    }

    #[test]
    fn closing_punctuation_never_starts_a_row() {
        let text = format!("{}。后面", "字".repeat(34));
        let rows = wrap(&text, 34.0, false);
        assert!(rows.iter().all(|r| !r.0.starts_with('。')), "{rows:?}");
    }

    #[test]
    fn one_page_sections_are_cut_but_keep_their_text() {
        let many: String = (0..60).map(|i| format!("bullet {i}\n")).collect();
        let mut s = body(&many);
        s.one_page = true;
        let laid = paginate(&[s.clone(), s], 10);
        assert_eq!(laid.pages.len(), 2);
        assert!(laid.pages[0].truncated);
        assert!(laid.pages[0].text.ends_with("bullet 59"));
        assert!(laid.pages[0].rows.last().is_some_and(|r| r.text == "…"));
    }

    #[test]
    fn svg_escapes_everything() {
        let page = TextPage {
            rows: vec![Row {
                text: "<script>alert('x')</script> & \"q\" ]]> <!ENTITY x SYSTEM \"file:///etc/passwd\"> \u{1}\u{8}".into(),
                x: 80.0,
                baseline: 100.0,
                style: Style::Body,
                justify: None,
            }],
            text: String::new(),
            truncated: false,
        };
        let svg = render_svg(&page, 800);
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("<!ENTITY"));
        assert!(svg.contains(
            "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;q&quot; ]]&gt;"
        ));
        assert!(!svg.contains('\u{1}') && !svg.contains('\u{8}'));
        assert!(svg.starts_with(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"1131\""
        ));
        // No external references of any kind.
        assert!(!svg.contains("href") && !svg.contains("url(") && !svg.contains("<!DOCTYPE"));
    }

    #[test]
    fn page_limit_counts_all_pages_but_keeps_few() {
        let text: String = (0..(38 * 50)).map(|i| format!("{i}\n")).collect();
        let laid = paginate(&[body(&text)], 3);
        assert_eq!(laid.pages.len(), 3);
        assert_eq!(laid.total, 50);
    }
}
