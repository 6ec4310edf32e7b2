//! The connection pool's size is the operator's (`GONGZHI_DB_MAX_CONNECTIONS`): nodes
//! sharing one PostgreSQL must stay under its `max_connections` together.

use crate::common::{Backend, Server, client};

#[tokio::test]
async fn a_node_keeps_to_its_pool_size() {
    let mut s = Server::start_with(Backend::Postgres, &[("GONGZHI_DB_MAX_CONNECTIONS", "3")]).await;
    // Forty reads at once, each needing the database: all answered, through three
    // connections at the most.
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let r = client().get(format!("{}/api/v1/documents?per_page=5", s.url));
        reads.spawn(async move { r.send().await.unwrap().status().as_u16() });
    }
    assert!(reads.join_all().await.iter().all(|&st| st == 200));
    let db = platform::db::Db::connect(s.database_url.as_deref().expect("postgres"))
        .await
        .expect("connect");
    let (open,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid()",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert!((1..=3).contains(&open), "{open} connections from the node");

    // No pool at all, or a typo's worth, is refused at start with the setting's name.
    for bad in ["0", "5000", "many"] {
        s.env
            .push(("GONGZHI_DB_MAX_CONNECTIONS".into(), bad.into()));
        let (ok, _, err) = s.run_cli_to_end(&["serve", "--addr", "127.0.0.1:0"]);
        assert!(
            !ok && err.contains("GONGZHI_DB_MAX_CONNECTIONS"),
            "{bad}: {err}"
        );
    }
}
