//! Turning a parsed request into tantivy queries: words and phrases over the weighted
//! fields, the ranking features, and the filters.

use super::query::{Clause, Target, clause_words};
use super::{Request, SearchIndex, exact, norm};
use platform::search::pairs::phrase_pairs;
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

impl SearchIndex {
    pub(super) fn term(&self, field: Field, text: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqsAndPositions,
        ))
    }

    /// The entries (document and pages) of one document.
    pub(super) fn doc_term(&self, id: u64) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_u64(self.f.doc_id, id),
            IndexRecordOption::Basic,
        ))
    }

    /// One analysed word in the given text fields, any of them, with the field's boost.
    /// A long word may also match as all of its bigrams (how it is stored inside compounds).
    pub(super) fn word_query(
        &self,
        word: &str,
        bigrams: &[String],
        fields: &[(Field, f32)],
    ) -> Box<dyn Query> {
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for &(field, boost) in fields {
            let t = self.term(field, word);
            any.push((
                Occur::Should,
                if boost == 1.0 {
                    t
                } else {
                    Box::new(BoostQuery::new(t, boost))
                },
            ));
            if !bigrams.is_empty() {
                let all: Vec<(Occur, Box<dyn Query>)> = bigrams
                    .iter()
                    .map(|b| (Occur::Must, self.term(field, b)))
                    .collect();
                any.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(BooleanQuery::new(all)),
                        boost * 0.5,
                    )),
                ));
            }
        }
        Box::new(BooleanQuery::new(any))
    }

    pub(super) fn phrase_query(&self, words: &[String], fields: &[(Field, f32)]) -> Box<dyn Query> {
        if words.len() == 1 {
            return self.word_query(&words[0], &[], fields);
        }
        let any = fields
            .iter()
            .map(|&(field, boost)| {
                let terms = words
                    .iter()
                    .map(|w| Term::from_field_text(field, w))
                    .collect();
                let q: Box<dyn Query> =
                    Box::new(BoostQuery::new(Box::new(PhraseQuery::new(terms)), boost));
                (Occur::Should, q)
            })
            .collect();
        Box::new(BooleanQuery::new(any))
    }

    pub(super) fn doc_fields(&self) -> Vec<(Field, f32)> {
        vec![
            (self.f.title, 3.0),
            (self.f.tags, 2.0),
            (self.f.description, 1.5),
            (self.f.body, 1.0),
        ]
    }

    /// The query for one clause over `fields` (None when it has no searchable words).
    pub(super) fn clause_query(
        &self,
        c: &Clause,
        fields: &[(Field, f32)],
    ) -> Option<Box<dyn Query>> {
        match c.target {
            Target::Tag => return Some(self.term(self.f.tag, &norm(&c.text))),
            Target::Category => return Some(self.term(self.f.category, c.text.trim())),
            Target::Uploader => return Some(self.term(self.f.uploader, &exact(&c.text))),
            Target::Format => return Some(self.term(self.f.format, &exact(&c.text))),
            Target::Any | Target::Title => {}
        }
        let title_only = [(self.f.title, 3.0)];
        let fields = if c.target == Target::Title {
            &title_only[..]
        } else {
            fields
        };
        let words = clause_words(c);
        if words.is_empty() {
            return None;
        }
        if c.phrase {
            let ws: Vec<String> = words.into_iter().map(|(w, _)| w).collect();
            return Some(self.phrase_query(&ws, fields));
        }
        // Every word must match somewhere; the words side by side rank higher.
        let mut all: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|(w, b)| (Occur::Must, self.word_query(w, b, fields)))
            .collect();
        if words.len() > 1 {
            let ws: Vec<String> = words.iter().map(|(w, _)| w.clone()).collect();
            all.push((Occur::Should, self.phrase_query(&ws, fields)));
        }
        Some(Box::new(BooleanQuery::new(all)))
    }

    /// What a document must hold to match: every clause read from the `text` field alone
    /// (it holds the title, tags and description too), one flat list of terms where it
    /// can be, so that a plain query is a single term or a pure term intersection, the
    /// shapes tantivy prunes with block-max WAND. The same documents match as the scoring
    /// query of [`Self::scored`]: a long word there matches as itself or as all its
    /// bigrams, and the index stores a long word's bigrams wherever it stores the word.
    /// Also says whether the query is one that tantivy prunes (plain words, no filters).
    pub(super) fn matching(&self, req: &Request) -> (Box<dyn Query>, bool) {
        let text = self.f.body;
        let mut terms: Vec<String> = Vec::new();
        let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for c in &req.clauses {
            let words = clause_words(c);
            let phrase = c.target == Target::Any && c.phrase && words.len() > 1;
            if phrase {
                let ws: Vec<String> = words.into_iter().map(|(w, _)| w).collect();
                if !c.negated {
                    terms.extend(ws.iter().cloned());
                }
                let occur = if c.negated {
                    Occur::MustNot
                } else {
                    Occur::Must
                };
                parts.push((occur, self.phrase_match(&ws)));
                continue;
            }
            if c.target == Target::Any && !c.negated {
                for (w, b) in words {
                    match (c.phrase, b.is_empty()) {
                        (false, false) => terms.extend(b),
                        _ => terms.push(w),
                    }
                }
                continue;
            }
            let q = match c.target {
                Target::Any => self.clause_query(c, &[(text, 1.0)]),
                _ => self.clause_query(c, &self.doc_fields()),
            };
            if let Some(q) = q {
                parts.push((
                    if c.negated {
                        Occur::MustNot
                    } else {
                        Occur::Must
                    },
                    q,
                ));
            }
        }
        terms.sort_unstable();
        terms.dedup();
        let mut must: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| (Occur::Must, self.term(text, t)))
            .collect();
        let filters = self.filters(req);
        let prunable = parts.is_empty() && !must.is_empty() && filters.is_empty();
        must.append(&mut parts);
        (Self::with_filters(must, filters), prunable)
    }

    /// Documents holding `words` side by side in one value of the text field: the
    /// phrase query reads positions only in the documents that hold every pair's token.
    pub(super) fn phrase_match(&self, words: &[String]) -> Box<dyn Query> {
        let pairs: Vec<Term> = phrase_pairs(words)
            .iter()
            .map(|p| Term::from_field_text(self.f.pairs, p))
            .collect();
        // The pairs lead: one pair's postings, or the phrase of pairs (whose positions
        // are far sparser than those of common words); the text's own phrase then
        // weeds out the rare document whose pair tokens only share a hash bucket.
        let by_pairs: Box<dyn Query> = match pairs.len() {
            1 => Box::new(TermQuery::new(pairs[0].clone(), IndexRecordOption::Basic)),
            _ => Box::new(PhraseQuery::new(pairs)),
        };
        let terms = words
            .iter()
            .map(|w| Term::from_field_text(self.f.body, w))
            .collect();
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, by_pairs),
            (Occur::Must, Box::new(PhraseQuery::new(terms))),
        ]))
    }

    /// The parts of the ranking score, each a (boost, query) whose score is added for
    /// every candidate it matches: every word in title, tags, description and text with
    /// the field's boost, a long word also (at half weight) as all its bigrams, and the
    /// words side by side as a phrase. Exclusions and filters hold for every candidate
    /// and add nothing. Scored one part at a time, so each part's scorer can skip to the
    /// candidates (a union of parts would score every document between them).
    pub(super) fn features(&self, req: &Request) -> Vec<(f32, Box<dyn Query>)> {
        let mut out: Vec<(f32, Box<dyn Query>)> = Vec::new();
        for c in req.clauses.iter().filter(|c| !c.negated) {
            let fields = match c.target {
                Target::Any => self.doc_fields(),
                Target::Title => vec![(self.f.title, 3.0)],
                _ => continue,
            };
            let words = clause_words(c);
            let ws: Vec<String> = words.iter().map(|(w, _)| w.clone()).collect();
            for &(field, boost) in &fields {
                if ws.len() == 1 || !c.phrase {
                    for (w, bigrams) in &words {
                        out.push((boost, self.term(field, w)));
                        if !c.phrase && !bigrams.is_empty() {
                            let all = bigrams
                                .iter()
                                .map(|b| (Occur::Must, self.term(field, b)))
                                .collect();
                            out.push((boost * 0.5, Box::new(BooleanQuery::new(all))));
                        }
                    }
                }
                if ws.len() > 1 {
                    let terms = ws.iter().map(|w| Term::from_field_text(field, w)).collect();
                    out.push((boost, Box::new(PhraseQuery::new(terms))));
                }
            }
        }
        out
    }

    /// The ranking query as one query (what [`Self::features`] sums, plus exclusions and
    /// filters): the reference that [`Self::matching`] is tested against.
    #[cfg(test)]
    pub(super) fn scored(&self, req: &Request) -> Box<dyn Query> {
        let fields = self.doc_fields();
        let parts = req
            .clauses
            .iter()
            .filter_map(|c| {
                let q = self.clause_query(c, &fields)?;
                Some((
                    if c.negated {
                        Occur::MustNot
                    } else {
                        Occur::Must
                    },
                    q,
                ))
            })
            .collect();
        Self::with_filters(parts, self.filters(req))
    }

    /// The filters of a request (category, format, price, dates) as clauses.
    pub(super) fn filters(&self, req: &Request) -> Vec<(Occur, Box<dyn Query>)> {
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, value) in [
            (self.f.category, &req.category),
            (self.f.format, &req.format),
            (self.f.price, &req.price),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                out.push((Occur::Must, self.term(field, v)));
            }
        }
        if req.from_ms.is_some() || req.to_ms.is_some() {
            let bound = |v: Option<i64>, incl: bool| match v {
                Some(v) if incl => Bound::Included(Term::from_field_i64(self.f.published, v)),
                Some(v) => Bound::Excluded(Term::from_field_i64(self.f.published, v)),
                None => Bound::Unbounded,
            };
            out.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    bound(req.from_ms, true),
                    bound(req.to_ms, false),
                )),
            ));
        }
        out
    }

    /// A query's clauses and its filters as one query; a query with nothing positive
    /// (only exclusions) starts from every document. A lone term is returned as itself,
    /// which tantivy prunes best.
    pub(super) fn with_filters(
        mut parts: Vec<(Occur, Box<dyn Query>)>,
        mut filters: Vec<(Occur, Box<dyn Query>)>,
    ) -> Box<dyn Query> {
        if !parts.iter().any(|(o, _)| *o == Occur::Must) {
            parts.push((Occur::Must, Box::new(AllQuery)));
        }
        parts.append(&mut filters);
        if parts.len() == 1 && parts[0].0 == Occur::Must {
            return parts.pop().expect("one part").1;
        }
        Box::new(BooleanQuery::new(parts))
    }

    pub(super) fn stored_u64(doc: &TantivyDocument, field: Field) -> u64 {
        doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0)
    }

    pub(super) fn stored_str(doc: &TantivyDocument, field: Field) -> String {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    }
}
