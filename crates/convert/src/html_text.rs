//! (X)HTML → text lines, tolerant of malformed markup (EPUB chapters are often sloppy,
//! and raw HTML appears in Markdown). Block elements break lines; headings keep their
//! level; script, style and head content is dropped.

use crate::text_pages::{Line, Style};

/// Common named entities (XHTML in EPUBs mostly uses these); others stay as written.
pub(crate) fn named_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "ensp" => "\u{2002}",
        "emsp" => "\u{2003}",
        "thinsp" => "\u{2009}",
        "zwnj" => "\u{200c}",
        "zwj" => "\u{200d}",
        "shy" => "\u{ad}",
        "mdash" => "—",
        "ndash" => "–",
        "hellip" => "…",
        "lsquo" => "‘",
        "rsquo" => "’",
        "ldquo" => "“",
        "rdquo" => "”",
        "sbquo" => "‚",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "lsaquo" => "‹",
        "rsaquo" => "›",
        "middot" => "·",
        "bull" => "•",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "deg" => "°",
        "plusmn" => "±",
        "times" => "×",
        "divide" => "÷",
        "para" => "¶",
        "sect" => "§",
        "dagger" => "†",
        "Dagger" => "‡",
        "prime" => "′",
        "Prime" => "″",
        "larr" => "←",
        "rarr" => "→",
        "uarr" => "↑",
        "darr" => "↓",
        "euro" => "€",
        "pound" => "£",
        "yen" => "¥",
        "cent" => "¢",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "eacute" => "é",
        "egrave" => "è",
        "agrave" => "à",
        "aacute" => "á",
        "ccedil" => "ç",
        "ouml" => "ö",
        "uuml" => "ü",
        "auml" => "ä",
        "szlig" => "ß",
        _ => return None,
    })
}

/// Decodes `&name;`, `&#123;` and `&#x1F600;`; anything malformed is kept literally.
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..].find(|c: char| c == ';' || c == '&' || c.is_whitespace() || c == '<');
        let decoded = match end {
            Some(e) if e <= 32 && rest.as_bytes()[e + 1] == b';' => {
                let name = &rest[1..e + 1];
                let value = if let Some(num) = name.strip_prefix('#') {
                    let n = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => num.parse::<u32>().ok(),
                    };
                    n.and_then(char::from_u32)
                        .filter(|&c| c != '\0')
                        .map(|c| c.to_string())
                } else {
                    named_entity(name).map(str::to_string)
                };
                value.map(|v| (v, e + 2))
            }
            _ => None,
        };
        match decoded {
            Some((v, len)) => {
                out.push_str(&v);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "tr"
            | "table"
            | "thead"
            | "tbody"
            | "blockquote"
            | "pre"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "figure"
            | "figcaption"
            | "hr"
            | "body"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "address"
            | "main"
            | "caption"
            | "center"
    )
}

struct Builder {
    lines: Vec<Line>,
    cur: String,
    style: Style,
    pre: u32,
    quote: u8,
    list_depth: u8,
}

impl Builder {
    fn flush(&mut self, gap: bool) {
        let text = if self.pre > 0 {
            self.cur.trim_end_matches([' ', '\n']).to_string()
        } else {
            self.cur.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        self.cur.clear();
        if text.trim().is_empty() {
            if gap && let Some(last) = self.lines.last_mut() {
                last.gap_after = true;
            }
            return;
        }
        let style = if self.pre > 0 {
            Style::Code
        } else if self.quote > 0 && self.style == Style::Body {
            Style::Quote
        } else {
            self.style
        };
        let indent = self.quote + self.list_depth.saturating_sub(1);
        for part in text.split('\n') {
            self.lines.push(Line {
                text: part.to_string(),
                style,
                indent,
                gap_after: false,
            });
        }
        if let Some(last) = self.lines.last_mut() {
            last.gap_after = gap;
        }
    }

    fn text(&mut self, t: &str) {
        let t = decode_entities(t);
        if self.pre > 0 {
            self.cur.push_str(&t);
        } else {
            // Collapsing (&nbsp; included) happens at flush.
            self.cur.push_str(&t);
        }
    }
}

/// Converts an (X)HTML document or fragment to lines.
pub(crate) fn html_to_lines(html: &str) -> Vec<Line> {
    let mut b = Builder {
        lines: Vec::new(),
        cur: String::new(),
        style: Style::Body,
        pre: 0,
        quote: 0,
        list_depth: 0,
    };
    let mut rest = html;
    // Content of these elements is not text.
    let mut skip_until: Option<String> = None;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if skip_until.is_none() {
                b.text(rest);
            }
            break;
        };
        if lt > 0 && skip_until.is_none() {
            b.text(&rest[..lt]);
        }
        rest = &rest[lt..];
        if let Some(body) = rest.strip_prefix("<!--") {
            rest = body.find("-->").map_or("", |e| &body[e + 3..]);
            continue;
        }
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").unwrap_or(body.len());
            if skip_until.is_none() {
                b.cur.push_str(&body[..end]);
            }
            rest = body.get(end + 3..).unwrap_or("");
            continue;
        }
        let Some(gt) = tag_end(rest) else {
            // A lone "<" in text.
            if skip_until.is_none() {
                b.text("<");
            }
            rest = &rest[1..];
            continue;
        };
        let inner = &rest[1..gt];
        rest = &rest[gt + 1..];
        if inner.starts_with(['!', '?']) {
            continue;
        }
        let closing = inner.starts_with('/');
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>')
            .collect::<String>()
            .to_ascii_lowercase();
        let name = name.rsplit(':').next().unwrap_or("").to_string();
        let self_closing = inner.ends_with('/');
        if let Some(until) = &skip_until {
            // An unclosed <head> ends where <body> starts.
            let body_starts = until == "head" && !closing && name == "body";
            if closing && &name == until || body_starts {
                skip_until = None;
            }
            continue;
        }
        if !closing
            && !self_closing
            && matches!(
                name.as_str(),
                "script" | "style" | "head" | "title" | "svg" | "math"
            )
        {
            skip_until = Some(name);
            continue;
        }
        match (name.as_str(), closing) {
            ("br", _) => b.flush(false),
            ("hr", false) => {
                b.flush(true);
                b.lines.push(Line::para("", Style::Rule));
            }
            ("img", false) => {
                if let Some(alt) = attr(inner, "alt").filter(|a| !a.trim().is_empty()) {
                    b.text(&format!("[{}]", alt.trim()));
                }
            }
            ("td" | "th", true) => b.cur.push_str("    "),
            (h @ ("h1" | "h2" | "h3" | "h4" | "h5" | "h6"), _) => {
                b.flush(true);
                b.style = if closing {
                    Style::Body
                } else {
                    Style::Heading(h.as_bytes()[1] - b'0')
                };
            }
            ("pre", _) => {
                b.flush(true);
                b.pre = if closing {
                    b.pre.saturating_sub(1)
                } else {
                    b.pre + 1
                };
            }
            ("blockquote", _) => {
                b.flush(true);
                b.quote = if closing {
                    b.quote.saturating_sub(1)
                } else {
                    b.quote.saturating_add(1).min(4)
                };
            }
            ("ul" | "ol", _) => {
                b.flush(true);
                b.list_depth = if closing {
                    b.list_depth.saturating_sub(1)
                } else {
                    b.list_depth.saturating_add(1).min(6)
                };
            }
            ("li", false) => {
                b.flush(false);
                b.cur.push_str("• ");
            }
            ("li", true) => b.flush(false),
            (n, _) if is_block(n) => b.flush(!matches!(n, "tr" | "dt")),
            _ => {}
        }
    }
    b.flush(true);
    b.lines
}

/// Index of the `>` that ends the tag starting at `s[0] == '<'`, honouring quotes.
fn tag_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    // "<" followed by something that cannot start a tag is text.
    match bytes.get(1) {
        Some(c) if c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?') => {}
        _ => return None,
    }
    let mut quote = None;
    for (i, &c) in bytes.iter().enumerate().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn attr(inner: &str, name: &str) -> Option<String> {
    let lower = inner.to_ascii_lowercase();
    let pos = lower.find(&format!("{name}="))?;
    let rest = &inner[pos + name.len() + 1..];
    let value = match rest.chars().next()? {
        q @ ('"' | '\'') => rest[1..].split(q).next()?,
        _ => rest.split(|c: char| c.is_whitespace() || c == '/').next()?,
    };
    Some(decode_entities(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a &amp; b &lt;c&gt; &#20013;&#x6587; &bogus; & x"),
            "a & b <c> 中文 &bogus; & x"
        );
        assert_eq!(decode_entities("&#0; &#xFFFFFFFF;"), "&#0; &#xFFFFFFFF;");
    }

    #[test]
    fn tolerant_of_broken_markup() {
        let lines = html_to_lines(
            "<head><title>T</title><body><p>one <b>two</b><p>three < four<div attr='a>b'>five</div><script>x()</script><!-- c --><p>six",
        );
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["one two", "three < four", "five", "six"]);
    }
}
