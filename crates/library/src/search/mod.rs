//! Library search (SPEC L4): an embedded tantivy index with the platform's Chinese
//! analyzer, one entry per published document (title, description, tags, filters and
//! all its text). The page a hit is found on and its snippet come from the hit's pages
//! in the database (see [`snippet`]; ADR 016): the index holds no page text.
//!
//! The index follows the database through the outbox (see [`follow`]); its position in
//! the event log is committed with the index itself, so a crash loses nothing.

mod build;
pub mod follow;
pub mod load;
mod lookup;
pub mod pages;
pub mod query;
pub mod snippet;

use platform::search::{NGRAM, PAIRS, ZH};
use query::{Clause, QueryError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

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
    /// What unlocks a locked page.
    pub price_kind: crate::model::PriceKind,
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
}

pub fn escape(s: &str) -> String {
    platform::web::feed::html_text(s)
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
    use tantivy::collector::Count;

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
