//! The platform every module stands on: configuration, database, storage, jobs,
//! accounts, audit log, outbox and the web kit.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod db;
pub mod jobs;
pub mod logging;
pub mod metrics;
pub mod module;
pub mod notify;
pub mod outbox;
pub mod rng;
pub mod search;
pub mod storage;
pub mod vocabulary;
pub mod web;

pub use web::{Actor, AppError, AppResult, AppState, Inner, PageCtx};

/// What the kit's macros (`vocabulary!`, `stored_as_text!`) name from other crates.
#[doc(hidden)]
pub mod reexport {
    pub use sqlx;
}

use axum::Router;
use std::sync::Arc;

pub const MIGRATIONS: &[db::Migration] = &[
    db::Migration {
        id: "001_platform",
        sql: include_str!("../migrations/001_platform.sql"),
    },
    db::Migration {
        id: "002_platform_notifications",
        sql: include_str!("../migrations/002_notifications.sql"),
    },
    db::Migration {
        id: "003_platform_cluster",
        sql: include_str!("../migrations/003_cluster.sql"),
    },
];

/// Opens the database and storage described by `config` and builds the shared state.
pub async fn open(
    config: config::Config,
    clock: clock::SharedClock,
    converter_exe: std::path::PathBuf,
) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&config.data_dir)?;
    let storage = storage::Storage::open(&config).await?;
    let db = db::Db::connect_sized(&config.database_url(), config.database_pool).await?;
    let jobs = jobs::JobQueue::new(db.clone(), clock.clone(), config.jobs.clone());
    let limiter = auth::LoginLimiter::new(
        db.clone(),
        config.auth.login_failures_per_ip,
        config.auth.login_failures_per_account,
        config.auth.login_window_secs,
    );
    let registrations = auth::RateLimit::new(
        db.clone(),
        "registration",
        config.auth.registrations_per_ip,
        config.auth.registration_window_secs,
    );
    let proxies = web::client_ip::TrustedProxies::parse(&config.auth.trusted_proxies)
        .map_err(|e| anyhow::anyhow!("auth.trusted_proxies: {e}"))?;
    let cluster = cluster::Cluster::new(&config.cluster, &config.data_dir);
    Ok(AppState(Arc::new(Inner {
        cluster,
        config,
        db,
        storage,
        clock,
        jobs,
        limiter,
        registrations,
        proxies,
        converter_exe,
        ext: Default::default(),
    })))
}

/// Wraps the assembled application in the platform's middleware (outermost last).
/// `key_authenticated`: path prefixes whose routes authenticate by a key in the request and
/// never by the session cookie, so they need no CSRF token (ADR 003).
pub fn with_middleware(
    app: Router<AppState>,
    state: AppState,
    key_authenticated: Vec<&'static str>,
) -> Router {
    let csrf = web::csrf::CsrfConfig {
        secure: state.config.auth.secure_cookies,
        key_authenticated: key_authenticated.into(),
    };
    app.merge(web::pages::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::pages::render_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            (csrf, state.clone()),
            web::csrf::protect,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.config.server.body_timeout(),
            web::serve::body_deadline,
        ))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn security_headers(mut resp: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let h = resp.headers_mut();
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; frame-ancestors 'none'",
    ));
    resp
}
