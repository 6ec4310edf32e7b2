//! Word pairs: each two neighbouring words of a text as one token (社区+养老, hashed; with
//! the bigrams of a long word, as a phrase query would match them), so that a quoted
//! phrase is looked for only in documents that hold its pairs instead of reading the
//! positions of every document that holds its words (a pair of common words is rare).
//!
//! The pairs field is tokenized by tantivy right after the text field of the same
//! document, from the same strings. Segmenting with jieba is most of indexing's cost, so
//! each indexing thread remembers the words of the texts it segmented last and the pairs
//! tokenizer reuses them; a text it has not seen (or forgot) is segmented again.

use super::index_tokens;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt::Write as _;
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

fn words(text: &str) -> String {
    let known = RECENT.with_borrow(|r| {
        r.seen
            .iter()
            .rev()
            .find(|s| s.text == text)
            .map(|s| s.words.clone())
    });
    known.unwrap_or_else(|| words_of(&index_tokens(text)))
}

/// How many distinct pair tokens there are: 2^21. Pairs are hashed into these buckets
/// so that the term dictionary stays small however many pairs a library holds (a
/// million pages have tens of millions); the few documents that land in a phrase's
/// bucket through another pair are weeded out by the phrase query that always runs with
/// it. Changing this or [`pair`] changes the index: rename the field that uses it.
const BUCKET_BITS: u32 = 21;

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
    format!("{:06x}", pair_hash(a, b))
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

/// Every token of a position with every token of the next: a phrase query matches a
/// word that is a bigram of a compound (养老 服务 in 养老 服务指南), so must this. One
/// `Token` is reused (tantivy copies its text), so a pair costs no allocation.
pub struct PairStream {
    words: String,
    /// Byte ranges in `words` of each token.
    tokens: Vec<(u32, u32)>,
    /// Where each position's tokens start in `tokens`, and the end of the last.
    starts: Vec<u32>,
    /// The next pair: (position, its token, the next position's token).
    next: (usize, usize, usize),
    token: Token,
}

impl PairStream {
    fn at(&self, position: usize, k: usize) -> Option<&str> {
        let (from, to) = (
            self.starts[position] as usize,
            self.starts[position + 1] as usize,
        );
        (from + k < to).then(|| {
            let (a, b) = self.tokens[from + k];
            &self.words[a as usize..b as usize]
        })
    }
}

impl TokenStream for PairStream {
    fn advance(&mut self) -> bool {
        loop {
            let (p, i, j) = self.next;
            if p + 2 >= self.starts.len() {
                return false;
            }
            match (self.at(p, i), self.at(p + 1, j)) {
                (Some(a), Some(b)) => {
                    let h = pair_hash(a, b);
                    self.token.text.clear();
                    let _ = write!(self.token.text, "{h:06x}");
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
    fn neighbouring_tokens_with_the_bigrams_of_long_words() {
        let text = "居家养老服务指南，服務群眾。";
        let fresh = pairs(text);
        for (a, b) in [
            ("居家", "养老"),
            ("养老", "服务指南"),
            ("养老", "服务"),
            ("养老", "务指"),
            ("服务指南", "服务"),
        ] {
            assert!(fresh.contains(&pair(a, b)), "{a} {b}: {fresh:?}");
        }
        assert!(!fresh.contains(&pair("服务", "务指")), "same position");
        assert_eq!(fresh.len(), 10, "1 + 4 + 4 + 1 pairs: {fresh:?}");
        assert_ne!(pair("ab", "c"), pair("a", "bc"));
        assert_eq!(pair("社区", "养老").len(), 6);
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
