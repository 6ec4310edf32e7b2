//! The Chinese analyzer shared by every search index (library documents, later
//! organisations): jieba segmentation after folding Traditional to Simplified characters.
//!
//! Indexing emits each segmented word at its own position, plus the character bigrams of
//! words of three or more characters at the same position, so that a two-character query
//! finds a longer compound without breaking phrase positions. Queries are segmented
//! without the bigrams (see [`query_words`]).

pub mod pairs;

use jieba_rs::Jieba;
use std::sync::LazyLock;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

/// The name the analyzer is registered under in every index.
pub const ZH: &str = "zh";
/// Neighbouring words as one token, for quoted phrases (see [`pairs`]).
pub const PAIRS: &str = "zh_pairs";
/// Characters and character bigrams, for matching what someone is still typing.
pub const NGRAM: &str = "zh_ngram";

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Loads the dictionary and the folding table now rather than on the first request.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
    LazyLock::force(&FOLD_TABLE);
}

pub fn register(index: &tantivy::Index) {
    index
        .tokenizers()
        .register(ZH, TextAnalyzer::from(ZhTokenizer));
    index
        .tokenizers()
        .register(NGRAM, TextAnalyzer::from(NgramTokenizer));
    index
        .tokenizers()
        .register(PAIRS, TextAnalyzer::from(pairs::PairsTokenizer));
}

/// The folded, lower-cased characters of `text` that are letters or digits.
fn grams_source(text: &str) -> Vec<char> {
    fold(text)
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Every character and every pair of neighbouring characters.
pub fn ngrams(text: &str) -> Vec<String> {
    let chars = grams_source(text);
    let mut out: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
    out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
    out
}

/// What a partly typed query must match in the n-gram field: its bigrams, or its one character.
pub fn typed_grams(text: &str) -> Vec<String> {
    let chars = grams_source(text);
    if chars.len() == 1 {
        vec![chars[0].to_string()]
    } else {
        chars.windows(2).map(|w| w.iter().collect()).collect()
    }
}

#[derive(Clone)]
pub struct NgramTokenizer;

impl Tokenizer for NgramTokenizer {
    type TokenStream<'a> = ZhTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhTokenStream {
        let tokens = ngrams(text)
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect();
        ZhTokenStream { tokens, index: 0 }
    }
}

/// Traditional → Simplified, and full-width Latin letters and digits → ASCII, so that
/// 社會 finds 社会 and ＰＤＦ finds PDF.
pub fn fold(text: &str) -> String {
    fold_with_offsets(text).0
}

/// [`fold`], with the byte offset in `text` of every byte boundary of the result (so
/// tokens found in the folded text can be highlighted in the original).
fn fold_with_offsets(text: &str) -> (String, Vec<usize>) {
    // fast2s maps three-byte characters to three-byte characters: offsets are unchanged.
    let simplified = fast2s::convert(text);
    let same = simplified.len() == text.len();
    let mut out = String::with_capacity(simplified.len());
    let mut map = Vec::with_capacity(simplified.len() + 1);
    for (i, c) in simplified.char_indices() {
        let orig = if same { i } else { 0 };
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        for _ in 0..c.len_utf8() {
            map.push(orig);
        }
        out.push(c);
    }
    map.push(if same { text.len() } else { 0 });
    (out, map)
}

/// The first and last code points of the folding table: CJK Extension A through the
/// Unified Ideographs, then CJK punctuation through the full-width forms.
const TABLE_FROM: u32 = 0x3000;
const TABLE_TO: u32 = 0xFFEF;

/// Every character of the table folded alone, or '\0' where it is not a letter or digit.
static FOLD_TABLE: LazyLock<Vec<char>> = LazyLock::new(|| {
    (TABLE_FROM..=TABLE_TO)
        .map(|u| match char::from_u32(u) {
            Some(c) => {
                let f = fold(c.encode_utf8(&mut [0; 4])).chars().next().unwrap_or(c);
                let mut lower = f.to_lowercase();
                match (lower.next(), lower.next()) {
                    (Some(l), None) if l.is_alphanumeric() => l,
                    _ => '\0',
                }
            }
            None => '\0',
        })
        .collect()
});

/// One character folded as [`fold`] and lower-cased, or `None` when it is not a letter
/// or digit. Table-driven for CJK and full-width text, so matching query words on stored
/// pages costs a lookup a character. Unlike [`fold`] it ignores the neighbouring
/// characters (fast2s maps a handful of characters differently inside set words); it is
/// used to find pages and highlight words, never to build the index.
pub fn fold_char(c: char) -> Option<char> {
    let u = c as u32;
    if u < 0x80 {
        return c.is_ascii_alphanumeric().then(|| c.to_ascii_lowercase());
    }
    if (TABLE_FROM..=TABLE_TO).contains(&u) {
        let f = FOLD_TABLE[(u - TABLE_FROM) as usize];
        return (f != '\0').then_some(f);
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) if l.is_alphanumeric() => Some(l),
        _ => c.is_alphanumeric().then_some(c),
    }
}

fn normalise_word(w: &str) -> String {
    w.to_lowercase()
}

fn is_word(w: &str) -> bool {
    w.chars().any(|c| c.is_alphanumeric())
}

/// Segments `text` for indexing: (word, byte range in `text`, position).
pub fn index_tokens(text: &str) -> Vec<Token> {
    let (folded, map) = fold_with_offsets(text);
    let mut out = Vec::with_capacity(text.len() / 4);
    let mut position = 0usize;
    for tok in JIEBA.cut(&folded, true) {
        let word = tok.word;
        if !is_word(word) {
            continue;
        }
        let start = tok.byte_start;
        let (from, to) = (map[start], map[start + word.len()]);
        out.push(Token {
            offset_from: from,
            offset_to: to,
            position,
            text: normalise_word(word),
            position_length: 1,
        });
        // Three CJK characters are 9 bytes: shorter words need no bigrams (or a Vec).
        let chars: Vec<(usize, char)> = if word.len() >= 9 {
            word.char_indices().collect()
        } else {
            Vec::new()
        };
        if chars.len() >= 3 && chars.iter().all(|(_, c)| !c.is_ascii()) {
            for pair in chars.windows(2) {
                let (a, _) = pair[0];
                let (b, cb) = pair[1];
                let end = b + cb.len_utf8();
                out.push(Token {
                    offset_from: map[start + a],
                    offset_to: map[start + end],
                    position,
                    text: word[a..end].to_string(),
                    position_length: 1,
                });
            }
        }
        position += 1;
    }
    out
}

/// Segments a query word or phrase: normalised words in order, no bigrams.
pub fn query_words(text: &str) -> Vec<String> {
    let folded = fold(text);
    JIEBA
        .cut(&folded, true)
        .into_iter()
        .map(|t| t.word)
        .filter(|w| is_word(w))
        .map(normalise_word)
        .collect()
}

/// The bigrams of a word of three or more CJK characters (how such a word was indexed
/// inside longer compounds).
pub fn bigrams(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 || chars.iter().any(|c| c.is_ascii()) {
        return Vec::new();
    }
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

#[derive(Clone)]
pub struct ZhTokenizer;

pub struct ZhTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = ZhTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhTokenStream {
        let tokens = index_tokens(text);
        pairs::remember(text, &tokens);
        ZhTokenStream { tokens, index: 0 }
    }
}

impl TokenStream for ZhTokenStream {
    fn advance(&mut self) -> bool {
        self.index += 1;
        self.index <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        index_tokens(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn segments_chinese_compounds_and_mixed_text() {
        let w = words("加强社区治理，推进2024年GongZhi平台建设");
        assert!(w.contains(&"社区".to_string()), "{w:?}");
        assert!(w.contains(&"治理".to_string()), "{w:?}");
        assert!(w.contains(&"2024".to_string()), "{w:?}");
        assert!(w.contains(&"gongzhi".to_string()), "{w:?}");
        assert!(!w.iter().any(|t| t == "，"), "punctuation dropped: {w:?}");
    }

    #[test]
    fn long_words_also_yield_bigrams_at_their_position() {
        let toks = index_tokens("中华人民共和国成立");
        let main = toks
            .iter()
            .find(|t| t.text == "中华人民共和国")
            .expect("compound kept");
        let sub = toks
            .iter()
            .find(|t| t.text == "人民")
            .expect("bigram emitted");
        assert_eq!(main.position, sub.position);
        assert_eq!(
            &"中华人民共和国成立"[sub.offset_from..sub.offset_to],
            "人民"
        );
    }

    #[test]
    fn traditional_folds_to_simplified() {
        assert_eq!(query_words("社會"), query_words("社会"));
        assert!(words("社會管理創新").contains(&"社会".to_string()));
    }

    #[test]
    fn typed_prefixes_become_grams() {
        assert_eq!(typed_grams("云岫"), vec!["云岫"]);
        assert_eq!(typed_grams("社"), vec!["社"]);
        assert_eq!(typed_grams("社區服"), vec!["社区", "区服"]);
        assert!(ngrams("云岫区").contains(&"岫区".to_string()));
    }

    #[test]
    fn one_character_folds_like_the_text() {
        for c in "社會服務ＡＢＣ１２abcÄ中华".chars() {
            let whole = fold(&c.to_string()).to_lowercase();
            assert_eq!(fold_char(c).map(String::from), Some(whole), "{c}");
        }
        assert_eq!(fold_char('，'), None);
        assert_eq!(fold_char(' '), None);
        assert_eq!(fold_char('\u{3000}'), None);
    }

    #[test]
    fn full_width_and_case_fold() {
        assert_eq!(query_words("ＡＢＣ"), vec!["abc"]);
        assert_eq!(query_words("PDF"), vec!["pdf"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "社會服務中心 ＰＤＦ 文件";
        for t in index_tokens(text) {
            assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to));
        }
    }
}
