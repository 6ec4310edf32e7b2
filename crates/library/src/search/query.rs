//! The reader's query language: words, "quoted phrases", -excluded words and the
//! advanced fields title:, tag:, category:, uploader:, format:. Parsed into clauses,
//! then into tantivy queries over the analyzer's tokens.

use platform::search::{bigrams, query_words};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Anywhere: title, description, tags, page text.
    Any,
    Title,
    Tag,
    Category,
    Uploader,
    Format,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub negated: bool,
    pub phrase: bool,
    pub target: Target,
    pub text: String,
}

pub const MAX_QUERY_CHARS: usize = 200;
pub const MAX_CLAUSES: usize = 16;

#[derive(Debug, PartialEq, Eq)]
pub struct QueryError(pub String);

/// Splits the raw query into clauses; unknown `field:` prefixes are read as plain words.
pub fn parse(raw: &str) -> Result<Vec<Clause>, QueryError> {
    if raw.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError(format!(
            "the query is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    let mut clauses = Vec::new();
    let mut chars = raw.trim().chars().peekable();
    while chars.peek().is_some() {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let negated = first == '-';
        if negated {
            chars.next();
        }
        let mut word = String::new();
        let mut phrase = false;
        let mut target = Target::Any;
        loop {
            match chars.peek() {
                None => break,
                Some(c) if c.is_whitespace() && !phrase => break,
                Some('"') | Some('“') | Some('”') => {
                    chars.next();
                    if phrase {
                        break;
                    }
                    phrase = true;
                }
                Some(':') | Some('：') if !phrase && target == Target::Any => {
                    chars.next();
                    target = match word.to_lowercase().as_str() {
                        "title" | "标题" => Target::Title,
                        "tag" | "标签" => Target::Tag,
                        "category" | "分类" => Target::Category,
                        "uploader" | "上传者" => Target::Uploader,
                        "format" | "格式" => Target::Format,
                        _ => {
                            word.push(':');
                            continue;
                        }
                    };
                    word.clear();
                }
                Some(&c) => {
                    chars.next();
                    word.push(c);
                }
            }
        }
        let text = word.trim().to_string();
        if !text.is_empty() {
            clauses.push(Clause {
                negated,
                phrase,
                target,
                text,
            });
        }
    }
    if clauses.len() > MAX_CLAUSES {
        return Err(QueryError(format!(
            "use at most {MAX_CLAUSES} words or phrases"
        )));
    }
    Ok(clauses)
}

/// The analyzer's words of a clause, with the bigram fallback for long words (which the
/// index also stores as bigrams inside longer compounds).
pub fn clause_words(c: &Clause) -> Vec<(String, Vec<String>)> {
    query_words(&c.text)
        .into_iter()
        .map(|w| {
            let b = bigrams(&w);
            (w, b)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(negated: bool, phrase: bool, target: Target, text: &str) -> Clause {
        Clause {
            negated,
            phrase,
            target,
            text: text.into(),
        }
    }

    #[test]
    fn words_phrases_exclusions_and_fields() {
        let got =
            parse(r#"社区养老 "服务中心" -收费 title:指南 tag:"志愿 服务" category:community"#)
                .unwrap();
        assert_eq!(
            got,
            vec![
                c(false, false, Target::Any, "社区养老"),
                c(false, true, Target::Any, "服务中心"),
                c(true, false, Target::Any, "收费"),
                c(false, false, Target::Title, "指南"),
                c(false, true, Target::Tag, "志愿 服务"),
                c(false, false, Target::Category, "community"),
            ]
        );
    }

    #[test]
    fn unknown_fields_and_odd_input_are_plain_words() {
        assert_eq!(
            parse("http://x").unwrap(),
            vec![c(false, false, Target::Any, "http://x")]
        );
        assert_eq!(parse("   ").unwrap(), vec![]);
        assert_eq!(
            parse("\"unterminated").unwrap(),
            vec![c(false, true, Target::Any, "unterminated")]
        );
        assert_eq!(parse("-").unwrap(), vec![]);
        assert!(parse(&"字".repeat(201)).is_err());
    }
}
