//! The library's part of `serve --demo`: categories and the sample documents committed
//! under fixtures/ (some priced, so buying and VIP downloads show), owned by the demo admin.

use include_dir::{Dir, include_dir};
use platform::AppState;
use platform::module::Demo;
use serde::Deserialize;

static FIXTURES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../fixtures");

#[derive(Deserialize)]
struct CategoryDef {
    slug: String,
    name_zh: String,
    name_en: String,
    #[serde(default)]
    children: Vec<CategoryDef>,
}

#[derive(Deserialize)]
struct DocumentDef {
    file: String,
    title: String,
    #[serde(default)]
    description: String,
    category: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// Sample documents that cost money, so the demo shows buying and VIP downloads:
/// (file, price kind, price in yuan; a VIP document's price buys it without membership).
const PRICED: &[(&str, &str, &str)] = &[
    ("office-worker-service-points-research.pdf", "paid", "3.00"),
    ("community-self-governance-study-notes.docx", "paid", "2.00"),
    ("case-handling-workflow-training.ppt", "paid", "5.00"),
    ("social-org-capacity-assessment.md", "paid", "1.50"),
    ("building-party-building-opinions.docx", "vip", "4.00"),
    ("community-population-statistics-2023.xlsx", "vip", ""),
    ("community-co-governance-reader.epub", "vip", "6.00"),
];

fn fixture(path: &str) -> anyhow::Result<&'static [u8]> {
    FIXTURES
        .get_file(path)
        .map(|f| f.contents())
        .ok_or_else(|| anyhow::anyhow!("fixture {path} is missing"))
}

pub async fn seed(state: &AppState, demo: &mut Demo) -> anyhow::Result<()> {
    let cats: Vec<CategoryDef> = serde_json::from_slice(fixture("categories.json")?)?;
    for (i, top) in cats.iter().enumerate() {
        let parent = crate::model::ensure_category(
            &state.db,
            &top.slug,
            None,
            &top.name_zh,
            &top.name_en,
            i as i64,
        )
        .await?;
        for (j, c) in top.children.iter().enumerate() {
            crate::model::ensure_category(
                &state.db,
                &c.slug,
                Some(parent),
                &c.name_zh,
                &c.name_en,
                j as i64,
            )
            .await?;
        }
    }
    let docs: Vec<DocumentDef> = serde_json::from_slice(fixture("documents/index.json")?)?;
    let tmp = state.config.data_dir.join("tmp").join("demo");
    std::fs::create_dir_all(&tmp)?;
    for d in &docs {
        let path = tmp.join(&d.file);
        std::fs::write(&path, fixture(&format!("documents/{}", d.file))?)?;
        let rec = crate::upload::receive_local(state, &path)?;
        let price = PRICED.iter().find(|p| p.0 == d.file);
        let fields = crate::upload::Fields {
            title: Some(d.title.clone()),
            description: Some(d.description.clone()),
            category: d.category.clone(),
            tags: d.tags.clone(),
            // Priced documents preview two pages, so the paywall shows early.
            preview_pages: price.map(|_| 2),
            price_kind: price.map(|p| p.1.to_string()),
            price: price.map(|p| p.2.to_string()),
        };
        crate::upload::create(state, &demo.admin, fields, rec).await?;
        std::fs::remove_file(&path)?;
    }
    println!(
        "Demo data: {} documents are converting in the background.",
        docs.len()
    );
    if crate::money::payments::payments(state).sandbox.is_some() {
        demo.notes.push(
            "The test payment channel (测试支付通道) is on: top up from /me/wallet and pay on its test checkout; some documents are paid or VIP."
                .to_string(),
        );
    }
    Ok(())
}
