//! `serve --demo`: on an empty data dir, demo accounts (printed once), categories and the
//! sample documents committed under fixtures/, so a newcomer sees a living site.

use include_dir::{Dir, include_dir};
use platform::AppState;
use platform::auth::Role;
use serde::Deserialize;
use std::net::SocketAddr;

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

fn demo_password() -> String {
    // A fixed password may be asked for (screenshots, scripted demos); otherwise a random one.
    std::env::var("GONGZHI_DEMO_PASSWORD")
        .ok()
        .filter(|p| p.len() >= 8)
        .unwrap_or_else(|| {
            let t = platform::auth::new_token();
            format!("gz-{}", &t[..12])
        })
}

pub async fn seed_if_empty(state: &AppState, addr: SocketAddr) -> anyhow::Result<()> {
    let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM platform_users")
        .fetch_one(&state.db.pool)
        .await?;
    if users > 0 {
        // Say so: a newcomer re-running the demo on old data would wonder where it went.
        println!(
            "Demo: this data directory already has accounts, so --demo seeds nothing \
             (演示：此数据目录已有账号，不写入演示数据). Use an empty --data-dir for a fresh demo."
        );
        tracing::warn!(
            users,
            "serve --demo: the data directory has accounts; nothing seeded"
        );
        return Ok(());
    }
    let accounts = [
        ("admin", Role::Admin),
        ("moderator", Role::Moderator),
        ("reader", Role::Member),
    ];
    let mut created = Vec::new();
    for (name, role) in accounts {
        let password = demo_password();
        let user =
            platform::auth::create_user(&state.db, state.now(), name, &password, role).await?;
        created.push((user, password));
    }
    let cats: Vec<CategoryDef> = serde_json::from_slice(fixture("categories.json")?)?;
    for (i, top) in cats.iter().enumerate() {
        let parent = library::model::ensure_category(
            &state.db,
            &top.slug,
            None,
            &top.name_zh,
            &top.name_en,
            i as i64,
        )
        .await?;
        for (j, c) in top.children.iter().enumerate() {
            library::model::ensure_category(
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
    let admin = &created[0].0;
    let tmp = tempfile_dir(state)?;
    for d in &docs {
        let path = tmp.join(&d.file);
        std::fs::write(&path, fixture(&format!("documents/{}", d.file))?)?;
        let rec = library::upload::receive_local(state, &path)?;
        let price = PRICED.iter().find(|p| p.0 == d.file);
        let fields = library::upload::Fields {
            title: Some(d.title.clone()),
            description: Some(d.description.clone()),
            category: d.category.clone(),
            tags: d.tags.clone(),
            // Priced documents preview two pages, so the paywall shows early.
            preview_pages: price.map(|_| 2),
            price_kind: price.map(|p| p.1.to_string()),
            price: price.map(|p| p.2.to_string()),
        };
        library::upload::create(state, admin, fields, rec).await?;
        std::fs::remove_file(&path)?;
    }
    println!(
        "Demo data: {} documents are converting in the background.",
        docs.len()
    );
    let mut governance = governance::demo::seed(state, &mut demo_password).await?;
    governance.extend(cases::demo::seed(state, &mut demo_password).await?);
    println!("Demo accounts for http://{addr} (shown only now):");
    for (user, password) in &created {
        println!(
            "  {:<10} {:<10} password: {}",
            user.username,
            user.role.as_str(),
            password
        );
    }
    for (username, password, scope) in &governance {
        println!("  {username:<14} password: {password}   ({scope})");
    }
    if library::money::payments::payments(state).sandbox.is_some() {
        println!(
            "The test payment channel (测试支付通道) is on: top up from /me/wallet and pay on its test checkout; some documents are paid or VIP."
        );
    }
    Ok(())
}

fn tempfile_dir(state: &AppState) -> anyhow::Result<std::path::PathBuf> {
    let dir = state.config.data_dir.join("tmp").join("demo");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
