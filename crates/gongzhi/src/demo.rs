//! `serve --demo`: on an empty data dir, the platform's demo accounts, then each module's demo
//! data (categories and sample documents, units, organisations, cases), with every account
//! printed once, so a newcomer sees a living site.

use platform::AppState;
use platform::auth::Role;
use platform::module::{Demo, Module};
use std::net::SocketAddr;

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

pub async fn seed_if_empty(
    state: &AppState,
    modules: &[Module],
    addr: SocketAddr,
) -> anyhow::Result<()> {
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
    let mut demo = Demo {
        admin: created[0].0.clone(),
        password: demo_password,
        accounts: Vec::new(),
        notes: Vec::new(),
    };
    platform::module::seed_demo(state, modules, &mut demo).await?;
    println!("Demo accounts for http://{addr} (shown only now):");
    for (user, password) in &created {
        println!(
            "  {:<10} {:<10} password: {}",
            user.username,
            user.role.as_str(),
            password
        );
    }
    for (username, password, scope) in &demo.accounts {
        println!("  {username:<14} password: {password}   ({scope})");
    }
    for note in &demo.notes {
        println!("{note}");
    }
    Ok(())
}
