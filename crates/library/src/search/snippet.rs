//! Finding the first page a query matches and highlighting it, without the analyzer.
//!
//! Pages are not in the search index (the document's `text` field ranks documents); for
//! the hits of one result page they are read from the database ([`super::pages`]), and
//! each page's text is folded the way
//! the analyzer folds it (Traditional → Simplified, full-width → ASCII, lower case, one
//! table lookup a character) and reduced to letters and digits, then searched for the query's words as substrings.
//! This costs a few microseconds a page where re-segmenting it with jieba cost ~0.15 ms,
//! and Chinese readers expect a word highlighted inside a longer compound anyway.

use super::escape;
use super::query::{Clause, Target, clause_words};

/// How long a snippet is, in characters.
pub const SNIPPET_CHARS: usize = 120;

/// Where a hit's words are: a page the reader may read, with its snippet, or a page
/// beyond what they may read, by number only (its text is never shown to them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Page(u64, String),
    Locked(u64),
}

/// Reads a hit's pages in order and picks its page: the first that holds every word of
/// the query, else the first that holds any of them. Pages after `readable` (what the
/// reader is entitled to see, `authz::visible_pages`) give their number, never a snippet.
pub struct PageFinder<'n> {
    needles: &'n Needles,
    readable: u64,
    /// The first readable page with any of the words, kept in case none has them all.
    fallback: Option<(u64, String)>,
    /// The first locked page with any of the words, if no readable page had any.
    locked_any: Option<u64>,
}

impl<'n> PageFinder<'n> {
    pub fn new(needles: &'n Needles, readable: u64) -> PageFinder<'n> {
        PageFinder {
            needles,
            readable,
            fallback: None,
            locked_any: None,
        }
    }

    /// The page once page `n` holds every word (stop reading then).
    pub fn offer(&mut self, n: u64, text: String) -> Option<Found> {
        let folded = FoldedPage::new(&text);
        if folded.matches_all(self.needles) {
            return Some(if n <= self.readable {
                Found::Page(n, folded.snippet(self.needles, SNIPPET_CHARS))
            } else {
                Found::Locked(n)
            });
        }
        if folded.matches_any(self.needles) {
            if n > self.readable {
                self.locked_any = self.locked_any.or(Some(n));
            } else if self.fallback.is_none() {
                self.fallback = Some((n, text));
            }
        }
        None
    }

    /// After the last page: the first page that held any of the words, if one did (a
    /// readable one first).
    pub fn finish(self) -> Option<Found> {
        if let Some((n, text)) = self.fallback {
            let snippet = FoldedPage::new(&text).snippet(self.needles, SNIPPET_CHARS);
            return Some(Found::Page(n, snippet));
        }
        self.locked_any.map(Found::Locked)
    }
}

/// What a page is searched for: the words of the positive clauses (a phrase's words
/// joined, since it must appear as one run of text).
#[derive(Debug, Clone, Default)]
pub struct Needles {
    clauses: Vec<Vec<String>>,
}

/// A query word folded exactly as page text is (see [`FoldedPage::new`]).
fn folded_word(w: &str) -> String {
    w.chars().filter_map(platform::search::fold_char).collect()
}

impl Needles {
    pub fn new(clauses: &[Clause]) -> Needles {
        let clauses = clauses
            .iter()
            .filter(|c| c.target == Target::Any && !c.negated)
            .filter_map(|c| {
                let words: Vec<String> = clause_words(c)
                    .into_iter()
                    .map(|(w, _)| folded_word(&w))
                    .filter(|w| !w.is_empty())
                    .collect();
                match words.len() {
                    0 => None,
                    _ if c.phrase => Some(vec![words.concat()]),
                    _ => Some(words),
                }
            })
            .collect();
        Needles { clauses }
    }

    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    fn words(&self) -> impl Iterator<Item = &str> {
        self.clauses.iter().flatten().map(String::as_str)
    }
}

/// A page's text folded for matching (see [`platform::search::fold_char`]): letters and
/// digits only. The original byte range of each kept character is worked out only for
/// the page that gets a snippet.
pub struct FoldedPage<'a> {
    original: &'a str,
    text: String,
}

impl<'a> FoldedPage<'a> {
    pub fn new(original: &'a str) -> FoldedPage<'a> {
        let text = original
            .chars()
            .filter_map(platform::search::fold_char)
            .collect();
        FoldedPage { original, text }
    }

    /// (byte offset in `text`, start and end byte in `original`) per kept character.
    fn spans(&self) -> Vec<(usize, usize, usize)> {
        let mut at = 0;
        let mut out = Vec::with_capacity(self.text.len() / 2);
        for (i, c) in self.original.char_indices() {
            if let Some(f) = platform::search::fold_char(c) {
                out.push((at, i, i + c.len_utf8()));
                at += f.len_utf8();
            }
        }
        out
    }

    fn contains(&self, word: &str) -> bool {
        self.text.contains(word)
    }

    /// Whether every word (and phrase) of the query is on this page.
    pub fn matches_all(&self, n: &Needles) -> bool {
        n.words().all(|w| self.contains(w))
    }

    /// Whether any word of the query is on this page.
    pub fn matches_any(&self, n: &Needles) -> bool {
        n.words().any(|w| self.contains(w))
    }

    /// Original byte ranges of every occurrence of the query's words, sorted, with the
    /// index of the word found.
    fn occurrences(&self, n: &Needles) -> Vec<(usize, usize, usize)> {
        let spans = self.spans();
        let mut out = Vec::new();
        for (k, w) in n.words().enumerate() {
            for (at, m) in self.text.match_indices(w) {
                let first = spans.partition_point(|s| s.0 < at);
                let last = spans.partition_point(|s| s.0 < at + m.len());
                if first < last {
                    out.push((spans[first].1, spans[last - 1].2, k));
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// About `max_chars` characters of the page around the densest cluster of the query's
    /// words, HTML-escaped, with the words in `<em>`.
    pub fn snippet(&self, n: &Needles, max_chars: usize) -> String {
        let occ = self.occurrences(n);
        let text = self.original;
        let Some(best) = densest(text, &occ, max_chars) else {
            return escape(&take_chars(text, 0, max_chars));
        };
        // Start a little before the first word so it is read in context.
        let anchor = occ[best].0;
        let lead = text[..anchor]
            .char_indices()
            .rev()
            .take(max_chars / 6)
            .last()
            .map_or(anchor, |(i, _)| i);
        let end = text[lead..]
            .char_indices()
            .nth(max_chars)
            .map_or(text.len(), |(i, _)| lead + i);
        let mut html = String::with_capacity((end - lead) * 2);
        if lead > 0 {
            html.push('…');
        }
        let mut at = lead;
        for &(from, to, _) in occ.iter().filter(|o| o.0 >= lead && o.1 <= end) {
            if from < at {
                continue; // overlaps the previous highlight
            }
            html.push_str(&escape(&text[at..from]));
            html.push_str("<em>");
            html.push_str(&escape(&text[from..to]));
            html.push_str("</em>");
            at = to;
        }
        html.push_str(&escape(&text[at..end]));
        if end < text.len() {
            html.push('…');
        }
        html
    }
}

/// The occurrence that starts the window of `max_chars` characters holding the most
/// different words (earliest on ties).
fn densest(text: &str, occ: &[(usize, usize, usize)], max_chars: usize) -> Option<usize> {
    let window = max_chars * 3 * 2 / 3; // bytes, for CJK text: two thirds of the snippet
    let mut best: Option<(usize, usize)> = None;
    for (i, o) in occ.iter().enumerate() {
        let mut seen: Vec<usize> = occ[i..]
            .iter()
            .take_while(|p| p.1 <= o.0 + window.min(text.len()))
            .map(|p| p.2)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        if best.is_none_or(|(n, _)| seen.len() > n) {
            best = Some((seen.len(), i));
        }
    }
    best.map(|(_, i)| i)
}

fn take_chars(text: &str, from: usize, n: usize) -> String {
    text[from..].chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    fn needles(q: &str) -> Needles {
        Needles::new(&parse(q).unwrap())
    }

    #[test]
    fn matches_words_phrases_and_folded_text() {
        let page = FoldedPage::new("推进社會治理創新，服务群众。ＰＤＦ 版本");
        assert!(page.matches_all(&needles("社会 创新")));
        assert!(page.matches_all(&needles("\"社会治理\"")));
        assert!(page.matches_all(&needles("pdf")));
        assert!(!page.matches_all(&needles("社会 养老")));
        assert!(page.matches_any(&needles("社会 养老")));
        assert!(!page.matches_all(&needles("\"治理社会\"")));
    }

    #[test]
    fn highlights_in_the_original_and_escapes_the_rest() {
        let page = FoldedPage::new("<b>第二页</b>：社會服务中心提供助餐&送餐。");
        let html = page.snippet(&needles("社会 助餐"), 120);
        assert!(html.contains("<em>社會</em>"), "{html}");
        assert!(html.contains("<em>助餐</em>"), "{html}");
        assert!(
            html.contains("&lt;b&gt;") && html.contains("&amp;"),
            "{html}"
        );
        assert!(!html.contains("<b>"), "{html}");
    }

    #[test]
    fn picks_the_densest_window_and_marks_cuts() {
        let filler = "无关内容。".repeat(60);
        let text = format!("养老{filler}养老和助餐都在这里{filler}");
        let page = FoldedPage::new(&text);
        let html = page.snippet(&needles("养老 助餐"), 60);
        assert!(html.starts_with('…') && html.ends_with('…'), "{html}");
        assert!(html.contains("<em>助餐</em>"), "{html}");
        assert!(html.chars().count() < 100, "{html}");
    }

    #[test]
    fn the_first_page_with_every_word_else_the_first_with_any() {
        let n = needles("养老 助餐");
        let pages = ["封面", "养老政策", "助餐<b>与</b>养老", "养老助餐"];
        let mut f = PageFinder::new(&n, 10);
        let hit = pages
            .iter()
            .enumerate()
            .find_map(|(i, p)| f.offer(i as u64 + 1, p.to_string()));
        let Some(Found::Page(page, snippet)) = hit else {
            panic!("page 3 has both: {hit:?}")
        };
        assert_eq!(page, 3);
        assert!(
            snippet.contains("&lt;b&gt;") && snippet.contains("<em>助餐</em>"),
            "{snippet}"
        );

        let mut f = PageFinder::new(&n, 10);
        for (i, p) in ["封面", "只讲养老", "也讲养老"].iter().enumerate() {
            assert!(f.offer(i as u64 + 1, p.to_string()).is_none());
        }
        assert!(matches!(f.finish(), Some(Found::Page(2, _))));

        let mut f = PageFinder::new(&n, 10);
        assert!(f.offer(1, "无关".into()).is_none());
        assert!(f.finish().is_none());
    }

    #[test]
    fn pages_beyond_the_entitlement_give_their_number_only() {
        let n = needles("\"养老助餐\"");
        let pages = ["封面", "养老政策", "养老助餐的秘密条款"];
        let mut f = PageFinder::new(&n, 2);
        let hit = pages
            .iter()
            .enumerate()
            .find_map(|(i, p)| f.offer(i as u64 + 1, p.to_string()));
        assert_eq!(hit, Some(Found::Locked(3)));
        // A readable page with some of the words wins over a locked page with some.
        let n = needles("养老 秘密");
        let mut f = PageFinder::new(&n, 2);
        for (i, p) in ["封面", "只讲养老", "只讲秘密"].iter().enumerate() {
            assert!(f.offer(i as u64 + 1, p.to_string()).is_none());
        }
        assert!(matches!(f.finish(), Some(Found::Page(2, s)) if s.contains("<em>养老</em>")));
        let mut f = PageFinder::new(&n, 1);
        for (i, p) in ["封面", "只讲养老"].iter().enumerate() {
            assert!(f.offer(i as u64 + 1, p.to_string()).is_none());
        }
        assert_eq!(f.finish(), Some(Found::Locked(2)));
    }

    #[test]
    fn a_page_without_the_words_gives_its_start() {
        let page = FoldedPage::new("网格员每日巡查。");
        assert_eq!(page.snippet(&needles("养老"), 4), "网格员每");
    }
}
