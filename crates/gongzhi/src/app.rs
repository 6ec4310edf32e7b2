//! Builds the one application (ARCHITECTURE rule 1) and runs it.

use axum::Router;
use axum::routing::get;
use platform::AppState;
use platform::config::Config;

/// Every module's migrations, in the order their ids sort.
const MIGRATIONS: &[&[platform::db::Migration]] = &[
    platform::MIGRATIONS,
    library::MIGRATIONS,
    governance::MIGRATIONS,
    cases::MIGRATIONS,
];

/// Opens storage and database and applies migrations.
pub async fn open(config: Config) -> anyhow::Result<AppState> {
    let exe = std::env::current_exe()?;
    let state = platform::open(config, platform::clock::from_env()?, exe).await?;
    let applied = state.db.migrate(MIGRATIONS).await?;
    if applied > 0 {
        tracing::info!(
            applied,
            backend = state.db.backend.name(),
            "database migrated"
        );
    }
    Ok(state)
}

/// The whole HTTP application, assembled from each module's router.
pub fn app(state: AppState) -> Router {
    let modules = Router::new()
        .merge(library::router(&state))
        .merge(governance::router(&state))
        .merge(cases::router(&state))
        .route("/api/v1/openapi.json", get(openapi));
    platform::with_middleware(modules, state, cases::KEY_AUTHENTICATED)
}

async fn openapi() -> axum::Json<serde_json::Value> {
    axum::Json(openapi_document())
}

pub fn openapi_document() -> serde_json::Value {
    let mut doc: serde_json::Value =
        serde_json::from_str(include_str!("../../platform/openapi.json"))
            .expect("platform openapi.json is valid");
    if let (Some(paths), serde_json::Value::Object(lib)) =
        (doc["paths"].as_object_mut(), library::openapi_paths())
    {
        paths.extend(lib);
    }
    if let (Some(paths), serde_json::Value::Object(gov)) =
        (doc["paths"].as_object_mut(), governance::openapi_paths())
    {
        paths.extend(gov);
    }
    if let (Some(paths), serde_json::Value::Object(c)) =
        (doc["paths"].as_object_mut(), cases::openapi_paths())
    {
        paths.extend(c);
    }
    doc
}

pub async fn serve(config: Config, addr: &str, demo: bool) -> anyhow::Result<()> {
    let state = open(config).await?;
    state.db.start_checkpointer();
    // Before any worker starts: nothing can be using what a crash left in tmp/.
    library::convert_job::remove_stale_work_dirs(&state)?;
    library::start(&state, demo).await?;
    let mut handlers = library::job_handlers(&state);
    handlers.shrink_to_fit();
    state.jobs.start(handlers);
    cases::start(&state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    if let Some(metrics_addr) = state.config.metrics.addr.clone() {
        serve_metrics(&metrics_addr, state.config.server.header_timeout()).await?;
    }
    if demo {
        crate::demo::seed_if_empty(&state, local).await?;
    }
    // Tests and scripts read this line to find the port.
    println!("Gongzhi listening on http://{local}");
    tracing::info!(%local, database = state.db.backend.name(), "serving");
    let timeout = state.config.server.header_timeout();
    platform::web::serve::serve(listener, app(state), timeout, shutdown_signal()).await;
    Ok(())
}

/// `/metrics` alone on its own address (`metrics.addr`), for a scraper on a private network.
async fn serve_metrics(
    addr: &str,
    header_timeout: Option<std::time::Duration>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for metrics on {addr}: {e}"))?;
    tracing::info!(local = %listener.local_addr()?, "serving metrics");
    tokio::spawn(platform::web::serve::serve(
        listener,
        platform::web::pages::metrics_only(),
        header_timeout,
        std::future::pending(),
    ));
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
