//! Library search (SPEC L4): an embedded tantivy index with the platform's Chinese
//! analyzer. Each published document is indexed twice over: one `doc` entry (title,
//! description, tags, filters and all its text) ranks documents; one `page` entry per
//! page finds the first page a query matches and gives its snippet.
//!
//! The index follows the database through the outbox (see [`follow`]); its position in
//! the event log is committed with the index itself, so a crash loses nothing.

pub mod follow;
pub mod load;
pub mod query;
pub mod snippet;

use platform::search::{NGRAM, ZH, typed_grams};
use query::{Clause, QueryError, Target, clause_words};
use snippet::{FoldedPage, Needles};
use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, MoreLikeThisQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, OwnedValue, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};

const WRITER_HEAP: usize = 96 * 1024 * 1024;
/// The most pages a document has (the converter's limit).
const MAX_PAGES: usize = 2000;

#[derive(Clone, Copy)]
struct Fields {
    kind: Field,
    doc_id: Field,
    page: Field,
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
    body_stored: Field,
    title_grams: Field,
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
        kind: b.add_text_field("kind", STRING),
        doc_id: b.add_u64_field("doc_id", INDEXED | FAST | STORED),
        page: b.add_u64_field("page", FAST | STORED),
        title: b.add_text_field("title", zh(true)),
        description: b.add_text_field("description", zh(true)),
        tags: b.add_text_field("tags", zh(false)),
        tag: b.add_text_field("tag", STRING),
        category: b.add_text_field("category", STRING),
        uploader: b.add_text_field("uploader", STRING),
        format: b.add_text_field("format", STRING),
        price: b.add_text_field("price", STRING),
        published: b.add_i64_field("published", INDEXED | FAST),
        body: b.add_text_field("body", zh(false)),
        // Stored only: pages are found and highlighted by `snippet`, not by the index.
        body_stored: b.add_text_field("page_text", STORED),
        title_grams: b.add_text_field(
            "title_grams",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(NGRAM)
                    .set_index_option(IndexRecordOption::Basic),
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
        let writer = index.writer(WRITER_HEAP)?;
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

    /// (Re)indexes one document: its old entries go, the new ones come in.
    pub fn put(&self, d: &IndexedDoc) -> anyhow::Result<()> {
        let f = self.f;
        let id = d.id as u64;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.kind, "doc");
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
        // core), not here. The document's body takes each page as one value of a
        // multi-valued field, so a phrase never spans two pages.
        let mut pages = Vec::with_capacity(d.pages.len());
        for (i, text) in d.pages.iter().enumerate() {
            doc.add_text(f.body, text);
            let mut p = TantivyDocument::default();
            p.add_text(f.kind, "page");
            p.add_u64(f.doc_id, id);
            p.add_u64(f.page, i as u64 + 1);
            p.add_text(f.body_stored, text);
            pages.push(p);
        }

        let writer = self.writer.lock().expect("writer lock");
        writer.delete_term(Term::from_field_u64(f.doc_id, id));
        writer.add_document(doc)?;
        for p in pages {
            writer.add_document(p)?;
        }
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

    /// Every field a query reads exists on `doc` entries only, so `kind:doc` is needed
    /// only when nothing positive is asked (intersecting with it costs a walk over every
    /// document).
    fn build(&self, req: &Request) -> Box<dyn Query> {
        let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let fields = self.doc_fields();
        let mut positive = false;
        for c in &req.clauses {
            if let Some(q) = self.clause_query(c, &fields) {
                positive |= !c.negated;
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
        if !positive {
            parts.push((Occur::Must, self.term(self.f.kind, "doc")));
        }
        for (field, value) in [
            (self.f.category, &req.category),
            (self.f.format, &req.format),
            (self.f.price, &req.price),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                parts.push((Occur::Must, self.term(field, v)));
            }
        }
        if req.from_ms.is_some() || req.to_ms.is_some() {
            let bound = |v: Option<i64>, incl: bool| match v {
                Some(v) if incl => Bound::Included(Term::from_field_i64(self.f.published, v)),
                Some(v) => Bound::Excluded(Term::from_field_i64(self.f.published, v)),
                None => Bound::Unbounded,
            };
            parts.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    bound(req.from_ms, true),
                    bound(req.to_ms, false),
                )),
            ));
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
        let query = self.build(req);
        let top = TopDocs::with_limit(req.limit.max(1)).and_offset(req.offset);
        let (total, hits): (usize, Vec<(f32, DocAddress)>) = match req.sort {
            Sort::Relevance => searcher.search(&query, &(Count, top.order_by_score()))?,
            Sort::Newest => {
                let (n, v) = searcher.search(
                    &query,
                    &(
                        Count,
                        top.order_by_fast_field::<i64>("published", Order::Desc),
                    ),
                )?;
                (
                    n,
                    v.into_iter()
                        .map(|(k, a)| (k.unwrap_or(0) as f32, a))
                        .collect(),
                )
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
        let needles = Needles::new(&req.clauses);
        let mut out = Vec::with_capacity(hits.len());
        for (score, addr) in hits {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let id = Self::stored_u64(&doc, self.f.doc_id);
            let title = Self::stored_str(&doc, self.f.title);
            let (page, snippet) = self.first_page(&searcher, &needles, id, &doc)?;
            out.push(Hit {
                id: id as i64,
                title,
                snippet,
                page,
                score,
            });
        }
        Ok((total, out))
    }

    /// The first page holding every word of the query (else the first holding any of
    /// them), with a highlighted snippet; page 1 and the description when only
    /// the title, the tags or the filters matched.
    fn first_page(
        &self,
        searcher: &tantivy::Searcher,
        needles: &Needles,
        id: u64,
        doc: &TantivyDocument,
    ) -> anyhow::Result<(u64, String)> {
        const SNIPPET_CHARS: usize = 120;
        if !needles.is_empty() {
            let pages = BooleanQuery::new(vec![
                (Occur::Must, self.term(self.f.kind, "page")),
                (Occur::Must, self.doc_term(id)),
            ]);
            let in_order = searcher.search(
                &pages,
                &TopDocs::with_limit(MAX_PAGES).order_by_fast_field::<u64>("page", Order::Asc),
            )?;
            // The first page with any of the words, kept in case none has them all.
            let mut fallback: Option<(u64, String)> = None;
            for (n, addr) in in_order {
                let n = n.unwrap_or(1);
                let page_doc: TantivyDocument = searcher.doc(addr)?;
                let text = Self::stored_str(&page_doc, self.f.body_stored);
                let folded = FoldedPage::new(&text);
                if folded.matches_all(needles) {
                    return Ok((n, folded.snippet(needles, SNIPPET_CHARS)));
                }
                if fallback.is_none() && folded.matches_any(needles) {
                    fallback = Some((n, text));
                }
            }
            if let Some((n, text)) = fallback {
                return Ok((n, FoldedPage::new(&text).snippet(needles, SNIPPET_CHARS)));
            }
        }
        let desc = Self::stored_str(doc, self.f.description);
        Ok((
            1,
            escape(&desc.chars().take(SNIPPET_CHARS).collect::<String>()),
        ))
    }

    /// Titles containing what the reader has typed so far (every character pair of it).
    pub fn suggest(&self, typed: &str, limit: usize) -> anyhow::Result<Vec<(i64, String)>> {
        let grams = typed_grams(typed);
        if grams.is_empty() {
            return Ok(Vec::new());
        }
        let mut parts: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, self.term(self.f.kind, "doc"))];
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
        let mlt = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(1)
            .with_min_term_frequency(1)
            .with_max_query_terms(30)
            .with_min_word_length(2)
            .with_document_fields(vec![
                (self.f.body, vec![OwnedValue::Str(text.to_string())]),
                (self.f.title, vec![OwnedValue::Str(title.to_string())]),
            ]);
        let q = BooleanQuery::new(vec![
            (Occur::Must, self.term(self.f.kind, "doc")),
            (Occur::Must, Box::new(mlt)),
            (Occur::MustNot, self.doc_term(id as u64)),
        ]);
        let searcher = self.reader.searcher();
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

    /// Number of documents (not pages) in the index.
    pub fn doc_count(&self) -> usize {
        let searcher = self.reader.searcher();
        searcher
            .search(&self.term(self.f.kind, "doc"), &Count)
            .unwrap_or(0)
    }
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
    fn finds_words_on_their_page_and_highlights_safely() {
        let (_d, si) = index(&[
            doc(
                1,
                "社区服务指南",
                &[
                    "第一页讲办事流程。",
                    "第二页：养老服务中心提供助餐<script>alert(1)</script>。",
                ],
            ),
            doc(2, "网格管理办法", &["网格员每日巡查。"]),
        ]);
        let (total, hits) = si.search(&req("养老")).unwrap();
        assert_eq!(total, 1);
        assert_eq!(hits[0].id, 1);
        assert_eq!(hits[0].page, 2);
        assert!(
            hits[0].snippet.contains("<em>养老</em>"),
            "{}",
            hits[0].snippet
        );
        assert!(!hits[0].snippet.contains("<script>"), "{}", hits[0].snippet);
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
