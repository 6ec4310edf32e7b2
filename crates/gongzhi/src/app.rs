//! Builds the one application (ARCHITECTURE rule 1) and runs it.

use axum::Router;
use platform::AppState;
use platform::config::Config;
use platform::module::Module;

/// Every module of the application, in the order they start and seed their demo data
/// (cases builds on governance's units). Adding a module is one line here (ADR 020).
pub fn modules() -> [Module; 8] {
    [
        library::module(),
        governance::module(),
        cases::module(),
        needs::module(),
        consult::module(),
        publicity::module(),
        assess::module(),
        overview::module(),
    ]
}

/// Opens storage and database and applies migrations.
pub async fn open(config: Config) -> anyhow::Result<AppState> {
    let exe = std::env::current_exe()?;
    let state = platform::open(config, platform::clock::from_env()?, exe).await?;
    let applied = state
        .db
        .migrate(&platform::module::migrations(&modules()))
        .await?;
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
    platform::module::app(state, &modules())
}

pub async fn serve(config: Config, addr: &str, demo: bool) -> anyhow::Result<()> {
    let state = open(config).await?;
    state.db.start_checkpointer();
    platform::module::start(&state, &modules(), demo).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    if let Some(metrics_addr) = state.config.metrics.addr.clone() {
        serve_metrics(&metrics_addr, state.config.server.header_timeout()).await?;
    }
    if demo {
        crate::demo::seed_if_empty(&state, &modules(), local).await?;
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    /// What one module declares must not silently replace another's.
    #[test]
    fn modules_do_not_collide() {
        let modules = super::modules();
        let mut names = HashSet::new();
        let mut ids = HashSet::new();
        let mut paths = HashSet::new();
        for m in &modules {
            assert!(names.insert(m.name), "module {} listed twice", m.name);
        }
        for m in platform::module::migrations(&modules)
            .iter()
            .copied()
            .flatten()
        {
            assert!(ids.insert(m.id), "migration {} defined twice", m.id);
        }
        for f in modules.iter().filter_map(|m| m.openapi_paths) {
            for path in f().as_object().expect("paths object").keys() {
                assert!(paths.insert(path.clone()), "{path} documented twice");
            }
        }
    }
}
