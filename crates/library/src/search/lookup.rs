//! Running a request against the index: the page of hits (rescored in a window so pages
//! never repeat), suggestions as one types, and documents like a given one.

use super::snippet::SNIPPET_CHARS;
use super::{Hit, Request, SearchIndex, Sort, escape};
use platform::search::{ZH, typed_grams};
use std::collections::HashMap;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::Scorer as _;
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet as _, Order, SeekDangerResult, TantivyDocument, Term};

impl SearchIndex {
    /// Runs a search: (total matching documents, the requested page of hits).
    pub fn search(&self, req: &Request) -> anyhow::Result<(usize, Vec<Hit>)> {
        let searcher = self.reader.searcher();
        let (query, prunable) = self.matching(req);
        let top = TopDocs::with_limit(req.limit.max(1)).and_offset(req.offset);
        let (total, hits): (usize, Vec<(f32, DocAddress)>) = match req.sort {
            Sort::Relevance => {
                let window = req.offset + req.limit.max(1);
                let best = TopDocs::with_limit(rescore_window(window)).order_by_score();
                // A prunable query is counted apart: counting needs no scores, and a
                // collector that must see every match would stop the ranking from
                // skipping. Any other query visits every match anyway: one pass.
                let t0 = std::time::Instant::now();
                let (total, candidates) = if prunable {
                    let n = searcher.search(&query, &Count)?;
                    tracing::debug!(us = t0.elapsed().as_micros() as u64, "search: counted");
                    (n, searcher.search(&query, &best)?)
                } else {
                    searcher.search(&query, &(Count, best))?
                };
                tracing::debug!(
                    us = t0.elapsed().as_micros() as u64,
                    prunable,
                    "search: candidates"
                );
                let mut ranked = self.rescore(&searcher, self.features(req), candidates)?;
                tracing::debug!(us = t0.elapsed().as_micros() as u64, "search: ranked");
                ranked.truncate(window);
                ranked.drain(..req.offset.min(ranked.len()));
                (total, ranked)
            }
            Sort::Newest => {
                let (n, v) = searcher.search(
                    &query,
                    &(
                        Count,
                        top.order_by_fast_field::<i64>("published", Order::Desc),
                    ),
                )?;
                let v = v
                    .into_iter()
                    .map(|(k, a)| (k.unwrap_or(0) as f32, a))
                    .collect();
                (n, v)
            }
            Sort::Downloads => {
                let counts = self.downloads.clone();
                let collector = top.tweak_score(move |seg: &tantivy::SegmentReader| {
                    let ids = seg
                        .fast_fields()
                        .u64("doc_id")
                        .expect("doc_id is a fast field")
                        .first_or_default_col(0);
                    let counts = counts.clone();
                    move |doc: tantivy::DocId, score: tantivy::Score| {
                        let n = counts
                            .read()
                            .map(|c| c.get(&ids.get_val(doc)).copied().unwrap_or(0))
                            .unwrap_or(0);
                        (n, score)
                    }
                });
                let (n, v) = searcher.search(&query, &(Count, collector))?;
                (n, v.into_iter().map(|((d, _), a)| (d as f32, a)).collect())
            }
        };
        let mut out = Vec::with_capacity(hits.len());
        for (score, addr) in hits {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let description = Self::stored_str(&doc, self.f.description);
            out.push(Hit {
                id: Self::stored_u64(&doc, self.f.doc_id) as i64,
                title: Self::stored_str(&doc, self.f.title),
                // Until the hit's pages are read (`pages::locate`): page 1 and the
                // description, which is what a match on title, tags or filters shows.
                snippet: escape(&description.chars().take(SNIPPET_CHARS).collect::<String>()),
                page: 1,
                score,
                locked: false,
                price_kind: crate::model::PriceKind::Free,
            });
        }
        Ok((total, out))
    }

    /// The candidates' ranking scores (see [`Self::features`]), best first; ties in
    /// index order, so pages of results are stable.
    pub(super) fn rescore(
        &self,
        searcher: &tantivy::Searcher,
        features: Vec<(f32, Box<dyn Query>)>,
        candidates: Vec<(f32, DocAddress)>,
    ) -> anyhow::Result<Vec<(f32, DocAddress)>> {
        let mut addrs: Vec<DocAddress> = candidates.into_iter().map(|(_, a)| a).collect();
        addrs.sort_unstable();
        let mut scores = vec![0f32; addrs.len()];
        for (boost, query) in features {
            let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
            let mut from = 0;
            for group in addrs.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
                let reader = searcher.segment_reader(group[0].segment_ord);
                // `seek_danger` answers "is this document in?" without moving on to the
                // next match (which for a phrase means reading positions until one is
                // found); after a miss only further `seek_danger` calls are allowed.
                let (first, mut scorer) = weight.scorer_danger(reader, group[0].doc_id, 1.0)?;
                let mut below = group[0].doc_id + 1;
                for (i, a) in group.iter().enumerate() {
                    let found = match i {
                        0 => first,
                        _ if a.doc_id < below => continue,
                        _ => scorer.seek_danger(a.doc_id),
                    };
                    match found {
                        SeekDangerResult::Found => {
                            below = a.doc_id + 1;
                            scores[from + i] += boost * scorer.score();
                        }
                        SeekDangerResult::SeekLowerBound(next) => below = next,
                    }
                }
                from += group.len();
            }
        }
        let mut out: Vec<(f32, DocAddress)> = scores.into_iter().zip(addrs).collect();
        out.sort_by(|(x, a), (y, b)| y.total_cmp(x).then(a.cmp(b)));
        Ok(out)
    }

    /// Titles containing what the reader has typed so far (every character pair of it).
    pub fn suggest(&self, typed: &str, limit: usize) -> anyhow::Result<Vec<(i64, String)>> {
        let grams = typed_grams(typed);
        if grams.is_empty() {
            return Ok(Vec::new());
        }
        let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for g in grams.iter().take(24) {
            parts.push((Occur::Must, self.term(self.f.title_grams, g)));
        }
        let searcher = self.reader.searcher();
        let hits = searcher.search(
            &BooleanQuery::new(parts),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        self.ids_and_titles(&searcher, hits)
    }

    /// The document id and title of each hit, in order.
    fn ids_and_titles(
        &self,
        searcher: &tantivy::Searcher,
        hits: Vec<(tantivy::Score, DocAddress)>,
    ) -> anyhow::Result<Vec<(i64, String)>> {
        hits.into_iter()
            .map(|(_, a)| {
                let d: TantivyDocument = searcher.doc(a)?;
                Ok((
                    Self::stored_u64(&d, self.f.doc_id) as i64,
                    Self::stored_str(&d, self.f.title),
                ))
            })
            .collect()
    }

    /// Documents whose text is most like `text` (the given document's own pages), itself excluded.
    pub fn related(
        &self,
        id: i64,
        title: &str,
        text: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<(i64, String)>> {
        let searcher = self.reader.searcher();
        let Some(like) = self.like_query(&searcher, title, text)? else {
            return Ok(Vec::new());
        };
        let q = BooleanQuery::new(vec![
            (Occur::Must, Box::new(like)),
            (Occur::MustNot, self.doc_term(id as u64)),
        ]);
        let hits = searcher.search(&q, &TopDocs::with_limit(limit).order_by_score())?;
        self.ids_and_titles(&searcher, hits)
    }

    /// The "more like this" query: the [`LIKE_TERMS`] words of `title` and `text` with
    /// the highest tf·idf, any of them. Chosen here rather than by tantivy's
    /// MoreLikeThisQuery, which weighs document frequencies that still count deleted
    /// entries against a count of live documents, and panics once edits leave more
    /// deleted entries than it expects. Both counts here include deleted entries until
    /// their segment is merged, as BM25 scoring itself counts them.
    pub(super) fn like_query(
        &self,
        searcher: &tantivy::Searcher,
        title: &str,
        text: &str,
    ) -> anyhow::Result<Option<BooleanQuery>> {
        use tantivy::tokenizer::TokenStream as _;
        let mut analyzer = self
            .index
            .tokenizers()
            .get(ZH)
            .ok_or_else(|| anyhow::anyhow!("the {ZH} analyzer is not registered"))?;
        let mut freqs: HashMap<(Field, String), u32> = HashMap::new();
        for (field, value) in [(self.f.body, text), (self.f.title, title)] {
            analyzer.token_stream(value).process(&mut |t| {
                // One ASCII letter or digit says nothing about a document.
                if t.text.len() >= 2 {
                    *freqs.entry((field, t.text.clone())).or_default() += 1;
                }
            });
        }
        let total: u64 = searcher
            .segment_readers()
            .iter()
            .map(|r| u64::from(r.max_doc()))
            .sum();
        let mut scored = Vec::with_capacity(freqs.len());
        for ((field, word), tf) in freqs {
            let term = Term::from_field_text(field, &word);
            let df = searcher.doc_freq(&term)?.min(total);
            if df == 0 {
                continue;
            }
            let idf = (1.0 + ((total - df) as f32 + 0.5) / (df as f32 + 0.5)).ln();
            scored.push((tf as f32 * idf, word, term));
        }
        // Best first; ties by word, so the same document always asks the same question.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        scored.truncate(LIKE_TERMS);
        if scored.is_empty() {
            return Ok(None);
        }
        let any = scored
            .into_iter()
            .map(|(_, _, term)| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                (Occur::Should, q)
            })
            .collect();
        Ok(Some(BooleanQuery::new(any)))
    }

    /// Number of documents in the index.
    pub fn doc_count(&self) -> usize {
        self.reader.searcher().num_docs() as usize
    }
}

/// How many words of a document ask for documents like it.
const LIKE_TERMS: usize = 30;

/// How many of the best matches (by the plain BM25 of the `text` field) are ranked by
/// the full query: at least 128, and the same number for every page of results up to
/// there, so that paging through them never shows a document twice.
fn rescore_window(wanted: usize) -> usize {
    wanted.next_power_of_two().max(128)
}
