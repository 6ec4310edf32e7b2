//! Library search (SPEC L4): an embedded tantivy index with the platform's Chinese
//! analyzer, one entry per published document (title, description, tags, filters and
//! all its text). The page a hit is found on and its snippet come from the hit's pages
//! in the database (see [`snippet`]; ADR 016): the index holds no page text.
//!
//! The index follows the database through the outbox (see [`follow`]); its position in
//! the event log is committed with the index itself, so a crash loses nothing.

pub mod follow;
pub mod load;
pub mod pages;
pub mod query;
pub mod snippet;

use platform::search::pairs::phrase_pairs;
use platform::search::{NGRAM, PAIRS, ZH, typed_grams};
use query::{Clause, QueryError, Target, clause_words};
use snippet::SNIPPET_CHARS;
use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::Scorer as _;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EnableScoring, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{
    DocAddress, DocSet as _, Index, IndexReader, IndexWriter, Order, ReloadPolicy,
    SeekDangerResult, TantivyDocument, Term,
};

/// The writer's memory while following the database (a few documents at a time).
const WRITER_HEAP: usize = 96 * 1024 * 1024;
/// The writer's memory while rebuilding: each indexing thread fills its share before
/// writing a segment, so 1 GiB turns a million pages into a handful of segments that
/// need no merging (96 MiB made dozens, merged again and again while indexing).
const REBUILD_HEAP: usize = 1024 * 1024 * 1024;

#[derive(Clone, Copy)]
struct Fields {
    doc_id: Field,
    title: Field,
    description: Field,
    tags: Field,
    tag: Field,
    category: Field,
    uploader: Field,
    format: Field,
    price: Field,
    published: Field,
    body: Field,
    title_grams: Field,
    pairs: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let zh = |stored: bool| {
        let idx = TextFieldIndexing::default()
            .set_tokenizer(ZH)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let o = TextOptions::default().set_indexing_options(idx);
        if stored { o.set_stored() } else { o }
    };
    let f = Fields {
        doc_id: b.add_u64_field("doc_id", INDEXED | FAST | STORED),
        title: b.add_text_field("title", zh(true)),
        description: b.add_text_field("description", zh(true)),
        tags: b.add_text_field("tags", zh(false)),
        tag: b.add_text_field("tag", STRING),
        category: b.add_text_field("category", STRING),
        uploader: b.add_text_field("uploader", STRING),
        format: b.add_text_field("format", STRING),
        price: b.add_text_field("price", STRING),
        published: b.add_i64_field("published", INDEXED | FAST),
        // Everything a reader's words may match: title, tags, description and every page.
        // Matching reads this field alone, so a query is a flat set of terms that top-k
        // pruning (block-max WAND) can skip through; the other fields only add score.
        body: b.add_text_field("text", zh(false)),
        title_grams: b.add_text_field(
            "title_grams",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(NGRAM)
                    .set_index_option(IndexRecordOption::Basic),
            ),
        ),
        // Neighbouring words as one token at the first word's position, for quoted
        // phrases (a phrase of pairs is read from these sparse positions); no norms.
        pairs: b.add_text_field(
            "text_pairs19",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(PAIRS)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions)
                    .set_fieldnorms(false),
            ),
        ),
    };
    (b.build(), f)
}

/// Everything the index needs of one published document.
#[derive(Debug, Clone)]
pub struct IndexedDoc {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    /// The category's slug and its ancestors' slugs.
    pub categories: Vec<String>,
    pub uploader: String,
    pub format: String,
    pub price: String,
    pub published_at: i64,
    pub pages: Vec<String>,
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    f: Fields,
    /// Download counts for sort=downloads; kept current from the event log, not the index.
    downloads: Arc<RwLock<HashMap<u64, u64>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    Newest,
    Downloads,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub clauses: Vec<Clause>,
    pub category: Option<String>,
    pub format: Option<String>,
    pub price: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    pub id: i64,
    pub title: String,
    pub snippet: String,
    pub page: u64,
    pub score: f32,
    /// The words are on `page`, which the reader may not read (yet): the snippet is the
    /// description, never that page's text.
    pub locked: bool,
    /// `free`, `paid` or `vip` (what unlocks a locked page).
    pub price_kind: String,
}

fn norm(s: &str) -> String {
    platform::search::query_words(s).join("")
}

fn exact(s: &str) -> String {
    s.trim().to_lowercase()
}

impl SearchIndex {
    /// Opens the index in `dir`, or creates an empty one. Returns whether it is new or was
    /// unreadable (then the caller rebuilds it from the database).
    pub fn open(dir: &Path) -> anyhow::Result<(SearchIndex, bool)> {
        Self::open_with_heap(dir, WRITER_HEAP)
    }

    /// Opens the index with the writer's memory sized for a rebuild; call
    /// [`Self::close`] when done, then [`Self::open`] it to follow the database.
    pub fn open_for_rebuild(dir: &Path) -> anyhow::Result<(SearchIndex, bool)> {
        Self::open_with_heap(dir, REBUILD_HEAP)
    }

    /// Waits for the merges the last commits started, and lets go of the index.
    pub fn close(self) -> anyhow::Result<()> {
        let writer = self
            .writer
            .into_inner()
            .map_err(|_| anyhow::anyhow!("the index writer panicked"))?;
        writer.wait_merging_threads()?;
        Ok(())
    }

    fn open_with_heap(dir: &Path, heap: usize) -> anyhow::Result<(SearchIndex, bool)> {
        let (schema, f) = schema();
        std::fs::create_dir_all(dir)?;
        let opened = Index::open_in_dir(dir)
            .ok()
            .filter(|i| i.schema() == schema && i.load_metas().is_ok());
        let (index, fresh) = match opened {
            Some(i) => (i, false),
            None => {
                // Missing, corrupt or of an older schema: start over.
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                (Index::create_in_dir(dir, schema)?, true)
            }
        };
        platform::search::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = index.writer(heap)?;
        let si = SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            f,
            downloads: Arc::default(),
        };
        Ok((si, fresh))
    }

    pub fn dir_size(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// The last event applied, as committed with the index.
    pub fn position(&self) -> i64 {
        self.index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    pub fn set_downloads(&self, counts: HashMap<u64, u64>) {
        *self.downloads.write().expect("downloads lock") = counts;
    }

    pub fn add_download(&self, id: i64) {
        *self
            .downloads
            .write()
            .expect("downloads lock")
            .entry(id as u64)
            .or_default() += 1;
    }

    pub fn delete(&self, id: i64) {
        self.writer
            .lock()
            .expect("writer lock")
            .delete_term(Term::from_field_u64(self.f.doc_id, id as u64));
    }

    pub fn delete_all(&self) -> anyhow::Result<()> {
        self.writer
            .lock()
            .expect("writer lock")
            .delete_all_documents()?;
        Ok(())
    }

    /// (Re)indexes one document: its old entry goes, the new one comes in.
    pub fn put(&self, d: &IndexedDoc) -> anyhow::Result<()> {
        let f = self.f;
        let id = d.id as u64;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.doc_id, id);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.title_grams, &d.title);
        doc.add_text(f.description, &d.description);
        for t in &d.tags {
            doc.add_text(f.tags, t);
            doc.add_text(f.tag, norm(t));
        }
        for c in &d.categories {
            doc.add_text(f.category, c);
        }
        doc.add_text(f.uploader, exact(&d.uploader));
        doc.add_text(f.format, &d.format);
        doc.add_text(f.price, &d.price);
        doc.add_i64(f.published, d.published_at);

        // Text goes in as text: segmentation runs in tantivy's indexing threads (one per
        // core), not here. The text field takes each page as one value of a multi-valued
        // field, so a phrase never spans two pages.
        for text in &d.pages {
            doc.add_text(f.body, text);
            doc.add_text(f.pairs, text);
        }
        for field in [f.body, f.pairs] {
            doc.add_text(field, &d.title);
            doc.add_text(field, &d.description);
            for t in &d.tags {
                doc.add_text(field, t);
            }
        }

        let writer = self.writer.lock().expect("writer lock");
        writer.delete_term(Term::from_field_u64(f.doc_id, id));
        writer.add_document(doc)?;
        Ok(())
    }

    /// Commits everything added so far together with the event-log position, and makes it
    /// visible to searches.
    pub fn commit(&self, position: i64) -> anyhow::Result<()> {
        {
            let mut writer = self.writer.lock().expect("writer lock");
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&position.to_string());
            prepared.commit()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    fn term(&self, field: Field, text: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqsAndPositions,
        ))
    }

    /// The entries (document and pages) of one document.
    fn doc_term(&self, id: u64) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_u64(self.f.doc_id, id),
            IndexRecordOption::Basic,
        ))
    }

    /// One analysed word in the given text fields, any of them, with the field's boost.
    /// A long word may also match as all of its bigrams (how it is stored inside compounds).
    fn word_query(
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

    fn phrase_query(&self, words: &[String], fields: &[(Field, f32)]) -> Box<dyn Query> {
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

    fn doc_fields(&self) -> Vec<(Field, f32)> {
        vec![
            (self.f.title, 3.0),
            (self.f.tags, 2.0),
            (self.f.description, 1.5),
            (self.f.body, 1.0),
        ]
    }

    /// The query for one clause over `fields` (None when it has no searchable words).
    fn clause_query(&self, c: &Clause, fields: &[(Field, f32)]) -> Option<Box<dyn Query>> {
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
    fn matching(&self, req: &Request) -> (Box<dyn Query>, bool) {
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
    fn phrase_match(&self, words: &[String]) -> Box<dyn Query> {
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
    fn features(&self, req: &Request) -> Vec<(f32, Box<dyn Query>)> {
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
    fn scored(&self, req: &Request) -> Box<dyn Query> {
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
    fn filters(&self, req: &Request) -> Vec<(Occur, Box<dyn Query>)> {
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
    fn with_filters(
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

    fn stored_u64(doc: &TantivyDocument, field: Field) -> u64 {
        doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0)
    }

    fn stored_str(doc: &TantivyDocument, field: Field) -> String {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    }

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
                price_kind: String::new(),
            });
        }
        Ok((total, out))
    }

    /// The candidates' ranking scores (see [`Self::features`]), best first; ties in
    /// index order, so pages of results are stable.
    fn rescore(
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

    /// The "more like this" query: the [`LIKE_TERMS`] words of `title` and `text` with
    /// the highest tf·idf, any of them. Chosen here rather than by tantivy's
    /// MoreLikeThisQuery, which weighs document frequencies that still count deleted
    /// entries against a count of live documents, and panics once edits leave more
    /// deleted entries than it expects. Both counts here include deleted entries until
    /// their segment is merged, as BM25 scoring itself counts them.
    fn like_query(
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

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn parse_request(q: &str) -> Result<Vec<Clause>, QueryError> {
    query::parse(q)
}

pub use load::load;

pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index").join("library")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: i64, title: &str, pages: &[&str]) -> IndexedDoc {
        IndexedDoc {
            id,
            title: title.into(),
            description: String::new(),
            tags: vec!["社区".into()],
            categories: vec!["community".into(), "governance".into()],
            uploader: "Admin".into(),
            format: "pdf".into(),
            price: "free".into(),
            published_at: id * 1000,
            pages: pages.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn req(q: &str) -> Request {
        Request {
            clauses: query::parse(q).unwrap(),
            category: None,
            format: None,
            price: None,
            from_ms: None,
            to_ms: None,
            sort: Sort::Relevance,
            offset: 0,
            limit: 10,
        }
    }

    fn index(docs: &[IndexedDoc]) -> (tempfile::TempDir, SearchIndex) {
        let dir = tempfile::tempdir().unwrap();
        let (si, fresh) = SearchIndex::open(dir.path()).unwrap();
        assert!(fresh);
        for d in docs {
            si.put(d).unwrap();
        }
        si.commit(42).unwrap();
        (dir, si)
    }

    #[test]
    fn finds_words_on_any_page_and_escapes_the_description() {
        let mut first = doc(
            1,
            "社区服务指南",
            &[
                "第一页讲办事流程。",
                "第二页：养老服务中心提供助餐<script>alert(1)</script>。",
            ],
        );
        first.description = "<b>办事</b>指南".into();
        let (_d, si) = index(&[first, doc(2, "网格管理办法", &["网格员每日巡查。"])]);
        let (total, hits) = si.search(&req("养老")).unwrap();
        assert_eq!(total, 1);
        assert_eq!(hits[0].id, 1);
        // The page and its snippet come from the database (`pages::locate`); until
        // then a hit shows page 1 and its description, escaped.
        assert_eq!(hits[0].page, 1);
        assert_eq!(hits[0].snippet, "&lt;b&gt;办事&lt;/b&gt;指南");
        assert_eq!(si.position(), 42);
    }

    #[test]
    fn phrases_exclusions_fields_and_folding() {
        let (_d, si) = index(&[
            doc(1, "社会治理创新", &["推进社会治理创新，服务群众。"]),
            doc(2, "治理与社会", &["治理工作离不开社会参与。"]),
        ]);
        let ids = |q: &str| {
            si.search(&req(q))
                .unwrap()
                .1
                .iter()
                .map(|h| h.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("\"社会治理\""), vec![1]);
        let mut both = ids("社会 治理");
        both.sort();
        assert_eq!(both, vec![1, 2]);
        assert_eq!(ids("社会 -创新"), vec![2]);
        assert_eq!(ids("title:创新"), vec![1]);
        assert_eq!(ids("\"社會治理\""), vec![1], "traditional finds simplified");
        assert_eq!(ids("社會治理")[0], 1, "the phrase ranks first");
        assert_eq!(ids("tag:社区").len(), 2);
        assert_eq!(ids("category:governance").len(), 2);
        assert_eq!(ids("uploader:admin").len(), 2);
        assert!(ids("uploader:nobody").is_empty());
    }

    #[test]
    fn matching_and_ranking_queries_match_the_same_documents_but_phrases_must_touch() {
        let (_d, si) = index(&[
            doc(1, "居家养老服务指南", &["社区居家养老，助餐上门。"]),
            doc(2, "养老与居家", &["居家生活；养老机构。"]),
            doc(3, "社区治理", &["网格员巡查", "养老 服务 站点"]),
            doc(4, "服务站", &["居家 养老 服务站点 社区"]),
        ]);
        let searcher = si.reader.searcher();
        for q in [
            "居家养老",
            "\"居家养老\"",
            "养老 服务",
            "\"养老 服务\"",
            "养老 -社区",
            "title:养老 居家",
            "tag:社区 养老",
            "社區治理",
            "-养老",
            "\"居家 养老 服务站点\"",
            "社区 -\"居家 养老\"",
            "\"站点 养老\"",
        ] {
            let r = req(q);
            let m = searcher.search(&si.matching(&r).0, &Count).unwrap();
            let s = searcher.search(&si.scored(&r), &Count).unwrap();
            assert_eq!(m, s, "{q}");
        }
        // A phrase is words that touch in the text: 指南 ends the compound 服务指南, so
        // "养老 指南" is no phrase of 居家养老服务指南, though positions alone (the ranking's
        // phrase bonus) would say it is.
        let r = req("\"养老 指南\"");
        assert_eq!(searcher.search(&si.matching(&r).0, &Count).unwrap(), 0);
        assert_eq!(searcher.search(&si.scored(&r), &Count).unwrap(), 1);
        // Pairs, like positions, never join the last word of a page to the next page's first.
        assert_eq!(si.search(&req("\"巡查 养老\"")).unwrap().0, 0);
        let hits = si.search(&req("\"养老 服务\"")).unwrap().1;
        assert!(hits.iter().any(|h| h.id == 3), "{hits:?}");
    }

    #[test]
    fn filters_and_sorting() {
        let mut a = doc(1, "社区养老甲", &["养老 服务"]);
        a.format = "docx".into();
        let b = doc(2, "社区养老乙", &["养老 服务 养老"]);
        let (_d, si) = index(&[a, b]);
        si.set_downloads(HashMap::from([(1, 9), (2, 1)]));
        let run = |f: &dyn Fn(&mut Request)| {
            let mut r = req("养老");
            f(&mut r);
            si.search(&r)
                .unwrap()
                .1
                .iter()
                .map(|h| h.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(&|r| r.format = Some("docx".into())), vec![1]);
        assert_eq!(
            run(&|r| r.from_ms = Some(1500)),
            vec![2],
            "published at 2000 only"
        );
        assert_eq!(
            run(&|r| r.to_ms = Some(1500)),
            vec![1],
            "published at 1000 only"
        );
        assert_eq!(run(&|r| r.sort = Sort::Newest), vec![2, 1]);
        assert_eq!(run(&|r| r.sort = Sort::Downloads), vec![1, 2]);
        assert_eq!(
            run(&|r| r.category = Some("nope".into())),
            Vec::<i64>::new()
        );
        assert_eq!(
            run(&|r| {
                r.limit = 1;
                r.offset = 1;
                r.sort = Sort::Newest;
            }),
            vec![1],
            "stable paging"
        );
    }

    #[test]
    fn delete_and_replace() {
        let (_d, si) = index(&[doc(1, "甲", &["养老"]), doc(2, "乙", &["养老"])]);
        si.delete(1);
        si.put(&doc(2, "乙", &["助餐"])).unwrap();
        si.commit(43).unwrap();
        assert_eq!(si.search(&req("养老")).unwrap().0, 0);
        assert_eq!(si.search(&req("助餐")).unwrap().0, 1);
        assert_eq!(si.doc_count(), 1);
    }

    #[test]
    fn related_survives_edits_that_leave_deleted_entries() {
        let docs: Vec<IndexedDoc> = (1..=3)
            .map(|i| doc(i, &format!("社区养老服务{i}"), &["养老 助餐 日间照料 社区"]))
            .collect();
        let (_d, si) = index(&docs);
        // Every edit re-puts a document: its old entry stays, deleted, in its segment,
        // so "养老" is in 9 entries of which 3 live (MoreLikeThisQuery panicked here).
        for round in 0..2 {
            for d in &docs {
                si.put(d).unwrap();
            }
            si.commit(50 + round).unwrap();
        }
        si.delete(3);
        si.commit(60).unwrap();
        let searcher = si.reader.searcher();
        assert!(
            searcher
                .doc_freq(&Term::from_field_text(si.f.body, "养老"))
                .unwrap()
                > 2
        );
        for d in &docs {
            let r = si.related(d.id, &d.title, &d.pages.join("\n"), 5).unwrap();
            assert!(r.iter().all(|x| x.0 != d.id && x.0 != 3), "{r:?}");
        }
        let r = si.related(1, &docs[0].title, &docs[0].pages[0], 5).unwrap();
        assert_eq!(r.first().map(|x| x.0), Some(2), "{r:?}");
    }

    #[test]
    fn suggestions_and_related() {
        let (_d, si) = index(&[
            doc(1, "社区养老服务指南", &["养老 助餐 日间照料 社区"]),
            doc(2, "社区养老服务点调研", &["养老 助餐 服务点 社区"]),
            doc(3, "网格员工作手册", &["巡查 网格 台账"]),
        ]);
        let s = si.suggest("社区养", 5).unwrap();
        assert_eq!(s.len(), 2, "{s:?}");
        let r = si
            .related(1, "社区养老服务指南", "养老 助餐 日间照料 社区", 5)
            .unwrap();
        assert_eq!(r.first().map(|x| x.0), Some(2), "{r:?}");
    }
}
