//! Word pairs: each two neighbouring words of a text as one token (社区+养老, hashed), so
//! that a quoted phrase is looked for only in documents that hold its pairs instead of
//! reading the positions of every document that holds its words (a pair of common words
//! is rare). Next to a long word the pair is also made with the bigram that touches the
//! neighbour: 居家养老服务指南 (居家 养老 服务指南) pairs 养老 with 服务指南 and with 服务, so
//! "养老服务" is a phrase of it and "养老指南" is not.
//!
//! The pairs field is tokenized by tantivy right after the text field of the same
//! document, from the same strings. Segmenting with jieba is a large part of indexing's
//! cost, so each indexing thread remembers the words of the texts it segmented last and
//! the pairs tokenizer takes them; a text it has not seen (or forgot) is segmented again.

use super::index_tokens;
use std::cell::RefCell;
use std::collections::VecDeque;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// How much text one thread remembers: a document's pages, even a long one's.
const RECENT_BYTES: usize = 8 << 20;

/// A text and its tokens: each followed by '\0', and a '\n' after the last token of a
/// position (one allocation instead of one a token).
struct Seen {
    text: String,
    words: String,
}

#[derive(Default)]
struct Recent {
    seen: VecDeque<Seen>,
    bytes: usize,
}

thread_local! {
    static RECENT: RefCell<Recent> = RefCell::default();
}

/// The tokens of `tokens` by position (a long word's bigrams share its position).
fn words_of(tokens: &[Token]) -> String {
    let mut words = String::new();
    for (i, t) in tokens.iter().enumerate() {
        words.push_str(&t.text);
        words.push('\0');
        if tokens.get(i + 1).is_none_or(|n| n.position != t.position) {
            words.push('\n');
        }
    }
    words
}

/// Called by the text tokenizer with what it just made of `text`.
pub(super) fn remember(text: &str, tokens: &[Token]) {
    RECENT.with_borrow_mut(|r| {
        let words = words_of(tokens);
        r.bytes += text.len() + words.len();
        r.seen.push_back(Seen {
            text: text.to_string(),
            words,
        });
        while r.bytes > RECENT_BYTES {
            match r.seen.pop_front() {
                Some(old) => r.bytes -= old.text.len() + old.words.len(),
                None => break,
            }
        }
    });
}

/// The remembered words of `text`, which is then forgotten with every text remembered
/// before it: tantivy tokenizes the pairs of a document's values in the order it
/// tokenized their text, so the cache holds about one document and a lookup is found at
/// or near the front.
fn words(text: &str) -> String {
    let known = RECENT.with_borrow_mut(|r| {
        let k = r.seen.iter().position(|s| s.text == text)?;
        let mut found = None;
        for s in r.seen.drain(..=k) {
            r.bytes -= s.text.len() + s.words.len();
            found = Some(s.words);
        }
        found
    });
    known.unwrap_or_else(|| words_of(&index_tokens(text)))
}

/// How many distinct pair tokens there are: 2^19. Pairs are hashed into these buckets
/// so that the term dictionary stays small however many pairs a library holds (a
/// million pages have tens of millions); the few documents that land in a phrase's
/// bucket through another pair are weeded out by the phrase query that always runs with
/// it. Changing this or [`pair`] changes the index: rename the field that uses it.
const BUCKET_BITS: u32 = 19;

/// The bucket of two neighbouring words. FNV-1a: stable across Rust versions and
/// platforms, unlike the std hasher.
fn pair_hash(a: &str, b: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in a.bytes().chain([0xff]).chain(b.bytes()) {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h >> (64 - BUCKET_BITS)
}

/// The token of two neighbouring words; queries build theirs with the same function.
pub fn pair(a: &str, b: &str) -> String {
    let mut out = String::with_capacity(6);
    push_hex(&mut out, pair_hash(a, b));
    out
}

/// The pairs of a phrase's words, in order.
pub fn phrase_pairs(words: &[String]) -> Vec<String> {
    words.windows(2).map(|w| pair(&w[0], &w[1])).collect()
}

#[derive(Clone)]
pub struct PairsTokenizer;

impl Tokenizer for PairsTokenizer {
    type TokenStream<'a> = PairStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> PairStream {
        let words = words(text);
        let mut tokens = Vec::new();
        let mut starts = vec![0u32];
        let mut from = 0;
        for (i, c) in words.char_indices() {
            match c {
                '\0' => {
                    tokens.push((from as u32, i as u32));
                    from = i + 1;
                }
                '\n' => {
                    starts.push(tokens.len() as u32);
                    from = i + 1;
                }
                _ => {}
            }
        }
        PairStream {
            words,
            tokens,
            starts,
            next: (0, 0, 0),
            token: Token::default(),
        }
    }
}

/// Each position's word, or its last bigram, with the next position's word, or its first
/// bigram: the words that touch in the text. One `Token` is reused (tantivy copies its
/// text), so a pair costs no allocation.
pub struct PairStream {
    words: String,
    /// Byte ranges in `words` of each token.
    tokens: Vec<(u32, u32)>,
    /// Where each position's tokens start in `tokens`, and the end of the last.
    starts: Vec<u32>,
    /// The next pair: (position, left choice, right choice), a choice being 0 for the
    /// word and 1 for the bigram next to the neighbour.
    next: (usize, usize, usize),
    token: Token,
}

impl PairStream {
    fn token_at(&self, k: usize) -> &str {
        let (a, b) = self.tokens[k];
        &self.words[a as usize..b as usize]
    }

    /// The word at `position`, or (choice 1) its bigram at the `end` or the start.
    fn side(&self, position: usize, choice: usize, end: bool) -> Option<&str> {
        let (from, to) = (
            self.starts[position] as usize,
            self.starts[position + 1] as usize,
        );
        match choice {
            0 => Some(self.token_at(from)),
            1 if to - from > 1 => Some(self.token_at(if end { to - 1 } else { from + 1 })),
            _ => None,
        }
    }
}

impl TokenStream for PairStream {
    fn advance(&mut self) -> bool {
        loop {
            let (p, i, j) = self.next;
            if p + 2 >= self.starts.len() {
                return false;
            }
            match (self.side(p, i, true), self.side(p + 1, j, false)) {
                (Some(a), Some(b)) => {
                    let h = pair_hash(a, b);
                    self.token.text.clear();
                    push_hex(&mut self.token.text, h);
                    self.token.position = p;
                    self.next = (p, i, j + 1);
                    return true;
                }
                (Some(_), None) => self.next = (p, i + 1, 0),
                (None, _) => self.next = (p + 1, 0, 0),
            }
        }
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// The six hex digits of a bucket (`format!` cost 9 % of indexing time).
fn push_hex(out: &mut String, h: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..6).rev() {
        out.push(HEX[((h >> (shift * 4)) & 0xf) as usize] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<String> {
        let mut s = PairsTokenizer.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            out.push(s.token().text.clone());
        }
        out
    }

    #[test]
    fn neighbouring_words_and_the_bigrams_that_touch_them() {
        let text = "居家养老服务指南，服務群眾。";
        let fresh = pairs(text);
        for (a, b) in [
            ("居家", "养老"),
            ("养老", "服务指南"),
            ("养老", "服务"),
            ("服务指南", "服务"),
            ("指南", "服务"),
        ] {
            assert!(fresh.contains(&pair(a, b)), "{a} {b}: {fresh:?}");
        }
        for (a, b) in [
            ("养老", "指南"),
            ("养老", "务指"),
            ("服务", "务指"),
            ("服务", "服务"),
        ] {
            assert!(!fresh.contains(&pair(a, b)), "{a} {b} do not touch");
        }
        assert_eq!(fresh.len(), 6, "1 + 2 + 2 + 1 pairs: {fresh:?}");
        assert_ne!(pair("ab", "c"), pair("a", "bc"));
        assert_eq!(
            pair("社区", "养老"),
            format!("{:06x}", pair_hash("社区", "养老"))
        );
        assert!(fresh.contains(&pair("服务", "群众")), "folded: {fresh:?}");
        // What the text tokenizer remembered gives the same pairs.
        let mut z = super::super::ZhTokenizer;
        let mut s = z.token_stream(text);
        while s.advance() {}
        assert_eq!(pairs(text), fresh);
        assert!(pairs("单词").is_empty());
        assert_eq!(
            phrase_pairs(&["a".into(), "b".into(), "c".into()]),
            vec![pair("a", "b"), pair("b", "c")]
        );
    }
}
