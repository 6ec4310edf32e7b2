//! Syndication feeds: Atom 1.0 (RFC 4287) and RSS 2.0, written out directly — the formats
//! are small, and a dependency would not save us the escaping rules that matter (XML 1.0
//! forbids most control characters outright, so user text is cleaned, not only escaped).
//! Any module that publishes a list (announcements, the proposals register, …) builds a
//! [`Feed`] and answers with [`atom`] or [`rss`].

use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

/// A feed and its entries, newest first. URLs are absolute.
pub struct Feed {
    pub title: String,
    pub subtitle: String,
    /// Where the feed itself is served (`rel="self"`).
    pub self_url: String,
    /// The page the feed mirrors.
    pub page_url: String,
    /// A permanent identifier (Atom `id`), e.g. `tag:example.org,2026:announcements`.
    pub id: String,
    pub author: String,
    pub entries: Vec<Entry>,
}

pub struct Entry {
    pub id: String,
    pub title: String,
    pub url: String,
    pub summary: String,
    /// Plain text; written as text, never as markup.
    pub content: String,
    pub author: String,
    pub category: String,
    pub published_ms: i64,
    pub updated_ms: i64,
}

/// `scheme://host` of the request, for absolute links. The Host header is the client's
/// word, so only a plain host name with an optional port is believed.
pub fn origin(headers: &HeaderMap) -> String {
    format!("http://{}", host(headers))
}

/// [`origin`] with `https` when the proxy in front says so (`X-Forwarded-Proto`), for the
/// documents that name their own address (HSDS, OCDS).
pub fn forwarded_origin(headers: &HeaderMap) -> String {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        == Some("https");
    format!(
        "{}://{}",
        if https { "https" } else { "http" },
        host(headers)
    )
}

fn host(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        })
        .unwrap_or("localhost")
}

/// Text fit for an XML document: markup characters escaped, and the characters XML 1.0
/// does not allow (C0 controls but tab and newlines, U+FFFE/FFFF) dropped.
pub fn xml_text(raw: &str) -> String {
    escaped(raw, "&apos;", true)
}

/// Text fit for HTML and SVG markup (snippets, drawn labels): the five characters that
/// could break out of it escaped, the apostrophe as `&#39;`.
pub fn html_text(raw: &str) -> String {
    escaped(raw, "&#39;", false)
}

/// `raw` with markup characters escaped; for XML, also without the characters XML 1.0
/// does not allow.
fn escaped(raw: &str, apostrophe: &str, xml: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str(apostrophe),
            '\t' | '\n' | '\r' => out.push(c),
            c if xml && ((c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

fn instant(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// An instant as RFC 3339 in UTC, to the second.
pub fn rfc3339(ms: i64) -> String {
    instant(ms).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The newest change in the feed (the feed's own `updated`).
fn updated(feed: &Feed) -> i64 {
    feed.entries.iter().map(|e| e.updated_ms).max().unwrap_or(0)
}

/// The feed as an Atom 1.0 document.
pub fn atom(feed: &Feed) -> String {
    let x = xml_text;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\">\n\
         <id>{}</id>\n<title>{}</title>\n<subtitle>{}</subtitle>\n<updated>{}</updated>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
         <author><name>{}</name></author>\n<generator>Gongzhi</generator>\n",
        x(&feed.id),
        x(&feed.title),
        x(&feed.subtitle),
        rfc3339(updated(feed)),
        x(&feed.self_url),
        x(&feed.page_url),
        x(&feed.author),
    );
    for e in &feed.entries {
        out.push_str(&format!(
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <published>{}</published>\n<updated>{}</updated>\n<author><name>{}</name></author>\n",
            x(&e.id),
            x(&e.title),
            x(&e.url),
            rfc3339(e.published_ms),
            rfc3339(e.updated_ms),
            x(&e.author),
        ));
        if !e.category.is_empty() {
            out.push_str(&format!("<category term=\"{}\"/>\n", x(&e.category)));
        }
        out.push_str(&format!(
            "<summary type=\"text\">{}</summary>\n<content type=\"text\">{}</content>\n</entry>\n",
            x(&e.summary),
            x(&e.content)
        ));
    }
    out.push_str("</feed>\n");
    out
}

/// The feed as an RSS 2.0 document (with the Atom self link RSS readers expect).
pub fn rss(feed: &Feed) -> String {
    let x = xml_text;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n\
         <title>{}</title>\n<link>{}</link>\n<description>{}</description>\n<language>zh-cn</language>\n\
         <lastBuildDate>{}</lastBuildDate>\n<generator>Gongzhi</generator>\n\
         <atom:link rel=\"self\" type=\"application/rss+xml\" href=\"{}\"/>\n",
        x(&feed.title),
        x(&feed.page_url),
        x(&feed.subtitle),
        instant(updated(feed)).to_rfc2822(),
        x(&feed.self_url),
    );
    for e in &feed.entries {
        out.push_str(&format!(
            "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"false\">{}</guid>\n\
             <pubDate>{}</pubDate>\n<description>{}</description>\n",
            x(&e.title),
            x(&e.url),
            x(&e.id),
            instant(e.published_ms).to_rfc2822(),
            x(&e.summary),
        ));
        if !e.category.is_empty() {
            out.push_str(&format!("<category>{}</category>\n", x(&e.category)));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

/// A feed document as a response of its media type; readers poll, so a short cache.
pub fn respond(body: String, media_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        body,
    )
        .into_response()
}

pub const ATOM: &str = "application/atom+xml; charset=utf-8";
pub const RSS: &str = "application/rss+xml; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(title: &str) -> Feed {
        Feed {
            title: "通知公告".into(),
            subtitle: "s".into(),
            self_url: "http://h/feeds/a.atom".into(),
            page_url: "http://h/news".into(),
            id: "tag:h,2026:a".into(),
            author: "区".into(),
            entries: vec![Entry {
                id: "tag:h,2026:a/1".into(),
                title: title.into(),
                url: "http://h/news/1".into(),
                summary: "sum".into(),
                content: "body".into(),
                author: "社区".into(),
                category: "notice".into(),
                published_ms: 1_700_000_000_000,
                updated_ms: 1_700_000_100_000,
            }],
        }
    }

    #[test]
    fn markup_and_forbidden_characters_never_reach_the_document() {
        let doc = atom(&sample("a <b>&\u{1}\u{FFFF}\"c\"</b>"));
        assert!(doc.contains("<title>a &lt;b&gt;&amp;&quot;c&quot;&lt;/b&gt;</title>"));
        assert!(!doc.contains('\u{1}') && !doc.contains('\u{FFFF}'));
        let doc = rss(&sample("x]]>y"));
        assert!(doc.contains("<title>x]]&gt;y</title>"));
    }

    #[test]
    fn dates_are_rfc3339_in_atom_and_rfc2822_in_rss() {
        assert!(atom(&sample("t")).contains("<updated>2023-11-14T22:15:00Z</updated>"));
        assert!(rss(&sample("t")).contains("<pubDate>Tue, 14 Nov 2023 22:13:20 +0000</pubDate>"));
    }

    #[test]
    fn only_a_plain_host_is_believed() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "example.org:8080".parse().unwrap());
        assert_eq!(origin(&h), "http://example.org:8080");
        h.insert(header::HOST, "evil.org/<x>".parse().unwrap());
        assert_eq!(origin(&h), "http://localhost");
    }
}
