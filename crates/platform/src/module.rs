//! What a module brings to the one application (ADR 020): its migrations, routes, part of
//! the OpenAPI document, start-up work, job handlers, demo data, menu entries and to-dos.
//! Each module crate exposes `pub fn module() -> Module`; the binary keeps one list of them
//! and hands it to the functions here, so adding a module is one line there.
//!
//! A `Module` is plain data (fn pointers), so a list of them is `Copy`, needs no trait
//! objects and can be kept in the state for hooks asked at request time (to-dos).

use crate::AppState;
use crate::auth::User;
use crate::db::Migration;
use crate::jobs::JobHandler;
use crate::web::menu::{self, MenuFn};
use axum::Router;
use axum::routing::get;
use std::collections::HashMap;
use std::sync::Arc;

pub use futures_util::future::{BoxFuture, LocalBoxFuture};

// Start-up and demo seeding run once on the main task before serving, so their futures
// need not be `Send` (the modules' code borrows progress callbacks and password sources).

/// Start-up work, run once before serving; `demo` is `serve --demo`.
pub type StartFn = for<'a> fn(&'a AppState, bool) -> LocalBoxFuture<'a, anyhow::Result<()>>;
/// The module's job kinds and their handlers.
pub type JobsFn = fn(&AppState) -> Vec<(&'static str, Arc<dyn JobHandler>)>;
/// Seeds the module's demo data on an empty data directory.
pub type DemoFn = for<'a> fn(&'a AppState, &'a mut Demo) -> LocalBoxFuture<'a, anyhow::Result<()>>;
/// What a user has to do in this module (see [`Todo`]).
pub type TodosFn = for<'a> fn(&'a AppState, &'a User) -> BoxFuture<'a, Vec<Todo>>;
/// What this module's records say about a social organisation (see [`RecordLine`]).
pub type OrgRecordFn = for<'a> fn(&'a AppState, i64) -> BoxFuture<'a, Vec<RecordLine>>;

/// One module of the application. Build it with struct update syntax over [`Module::new`],
/// naming only the hooks the module has:
/// `Module { start: Some(start), ..Module::new("cases", MIGRATIONS, router) }`.
#[derive(Clone, Copy)]
pub struct Module {
    pub name: &'static str,
    /// Applied together with every other module's, in the order of their ids.
    pub migrations: &'static [Migration],
    pub router: fn(&AppState) -> Router<AppState>,
    /// The module's `paths` of the OpenAPI document (its `openapi.json`).
    pub openapi_paths: Option<fn() -> serde_json::Value>,
    /// Path prefixes whose routes authenticate by a key in the request, never by the
    /// session cookie, and so need no CSRF token (ADR 003), e.g. Open311.
    pub key_authenticated: &'static [&'static str],
    pub start: Option<StartFn>,
    pub jobs: Option<JobsFn>,
    pub demo: Option<DemoFn>,
    /// Entries in the main menu for a signed-in user ([`crate::web::menu`]).
    pub menu: Option<MenuFn>,
    /// The hook the workbench (issue 16) asks for a user's to-dos; none by default.
    pub todos: Option<TodosFn>,
    /// What the module knows of an organisation's record, which governance shows the
    /// assessor grading it (issue 14: a project's outcome feeds the next grade); governance
    /// cannot depend on the modules built on it, so it asks through this hook.
    pub org_record: Option<OrgRecordFn>,
}

impl Module {
    /// A module with migrations and routes and no other hooks.
    pub const fn new(
        name: &'static str,
        migrations: &'static [Migration],
        router: fn(&AppState) -> Router<AppState>,
    ) -> Module {
        Module {
            name,
            migrations,
            router,
            openapi_paths: None,
            key_authenticated: &[],
            start: None,
            jobs: None,
            demo: None,
            menu: None,
            todos: None,
            org_record: None,
        }
    }
}

/// What `serve --demo` hands each module's seeder, in the order of the list, and prints
/// afterwards: the accounts created (shown once) and then the notes.
pub struct Demo {
    /// The platform's demo administrator, who owns what modules seed (documents, …).
    pub admin: User,
    /// A password for each demo account (fixed by `GONGZHI_DEMO_PASSWORD`, or random).
    pub password: fn() -> String,
    /// (username, password, what the account is for).
    pub accounts: Vec<(String, String, String)>,
    /// Lines printed after the accounts.
    pub notes: Vec<String>,
}

/// One thing waiting for a user in a module, for the workbench page (issue 16).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Todo {
    /// Where the user does it.
    pub href: String,
    pub zh: String,
    pub en: String,
    /// How many items wait there.
    pub count: u64,
    /// When the most urgent of them is due (ms since the epoch), if any.
    pub due_ms: Option<i64>,
}

/// One line of an organisation's record from a module, shown to its assessor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordLine {
    pub zh: String,
    pub en: String,
    /// Where the records behind the line are.
    pub href: Option<String>,
}

/// The platform's migrations, then every module's (`Db::migrate` sorts them by id).
pub fn migrations(modules: &[Module]) -> Vec<&'static [Migration]> {
    std::iter::once(crate::MIGRATIONS)
        .chain(modules.iter().map(|m| m.migrations))
        .collect()
}

/// The OpenAPI document: the platform's, with each module's paths added in list order.
pub fn openapi_document(modules: &[Module]) -> serde_json::Value {
    let mut doc: serde_json::Value = serde_json::from_str(include_str!("../openapi.json"))
        .expect("platform openapi.json is valid");
    let paths = doc["paths"]
        .as_object_mut()
        .expect("platform openapi.json has paths");
    for f in modules.iter().filter_map(|m| m.openapi_paths) {
        if let serde_json::Value::Object(more) = f() {
            paths.extend(more);
        }
    }
    doc
}

/// The whole HTTP application (ARCHITECTURE rule 1): every module's router, their menus,
/// the OpenAPI document at `/api/v1/openapi.json`, in the platform's middleware.
pub fn app(state: AppState, modules: &[Module]) -> Router {
    state.attach(Arc::new(Registry(modules.to_vec())));
    let mut router = Router::new();
    for m in modules {
        if let Some(f) = m.menu {
            menu::add(&state, f);
        }
        router = router.merge((m.router)(&state));
    }
    let doc = Arc::new(openapi_document(modules));
    let router = router.route(
        "/api/v1/openapi.json",
        get(move || async move { axum::Json(serde_json::Value::clone(&doc)) }),
    );
    let keyed = modules
        .iter()
        .flat_map(|m| m.key_authenticated.iter().copied())
        .collect();
    crate::with_middleware(router, state, keyed)
}

/// Starts this node's part in the cluster (cache epochs, the clock lease), each module's
/// start-up in list order, then the job workers with every module's handlers, so a handler
/// finds what its module attached at start-up.
pub async fn start(state: &AppState, modules: &[Module], demo: bool) -> anyhow::Result<()> {
    crate::cluster::start(state);
    for m in modules {
        if let Some(f) = m.start {
            f(state, demo).await?;
        }
    }
    state.jobs.start(job_handlers(state, modules));
    Ok(())
}

/// Every module's job handlers by kind; two modules claiming one kind is a bug.
pub fn job_handlers(
    state: &AppState,
    modules: &[Module],
) -> HashMap<&'static str, Arc<dyn JobHandler>> {
    let mut all = HashMap::new();
    for m in modules {
        for (kind, handler) in m.jobs.map(|f| f(state)).unwrap_or_default() {
            let other = all.insert(kind, handler);
            assert!(other.is_none(), "job kind {kind} is handled twice");
        }
    }
    all
}

/// Seeds each module's demo data in list order (later modules build on earlier ones).
pub async fn seed_demo(
    state: &AppState,
    modules: &[Module],
    demo: &mut Demo,
) -> anyhow::Result<()> {
    for m in modules {
        if let Some(f) = m.demo {
            f(state, demo).await?;
        }
    }
    Ok(())
}

/// The modules the application was built with ([`app`]), for hooks asked per request.
struct Registry(Vec<Module>);

/// Every module's to-dos for `user`, in list order (for the workbench, issue 16).
pub async fn todos(state: &AppState, user: &User) -> Vec<Todo> {
    let Some(registry) = state.ext::<Registry>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in registry.0.iter().filter_map(|m| m.todos) {
        out.extend(f(state, user).await);
    }
    out
}

/// Every module's lines on organisation `org`'s record, in list order.
pub async fn org_record(state: &AppState, org: i64) -> Vec<RecordLine> {
    let Some(registry) = state.ext::<Registry>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in registry.0.iter().filter_map(|m| m.org_record) {
        out.extend(f(state, org).await);
    }
    out
}

/// A module's migrations, each an id and a file of the crate's `migrations/` folder:
/// `pub const MIGRATIONS: &[Migration] = platform::migrations!["030_cases" => "001_cases.sql"];`
#[macro_export]
macro_rules! migrations {
    ($($id:literal => $file:literal),+ $(,)?) => {
        &[$($crate::db::Migration {
            id: $id,
            sql: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/", $file)),
        }),+]
    };
}

/// The demo hook of a module whose `seed(state, password)` returns the accounts it made
/// (username, password, what for): `demo: platform::demo_accounts!(demo::seed)`.
#[macro_export]
macro_rules! demo_accounts {
    ($seed:path) => {
        Some(|state, demo| {
            Box::pin(async move {
                demo.accounts
                    .extend($seed(state, &mut demo.password).await?);
                Ok(())
            })
        })
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_routes(_: &AppState) -> Router<AppState> {
        Router::new()
    }

    const A: &[Migration] = &[Migration {
        id: "050_a",
        sql: "",
    }];

    #[test]
    fn platform_migrations_come_first() {
        let all = migrations(&[Module::new("a", A, no_routes)]);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0][0].id, "001_platform");
        assert_eq!(all[1][0].id, "050_a");
    }

    #[test]
    fn openapi_adds_module_paths_in_order() {
        let base = openapi_document(&[]);
        let m = Module {
            openapi_paths: Some(|| serde_json::json!({"/api/v1/a": {"get": {}}})),
            ..Module::new("a", A, no_routes)
        };
        let doc = openapi_document(&[m]);
        let (base, doc) = (
            base["paths"].as_object().unwrap(),
            doc["paths"].as_object().unwrap(),
        );
        assert_eq!(doc.len(), base.len() + 1);
        assert!(doc.contains_key("/api/v1/a"));
    }

    fn todo(href: &str) -> Todo {
        Todo {
            href: href.into(),
            zh: String::new(),
            en: String::new(),
            count: 1,
            due_ms: None,
        }
    }

    #[tokio::test]
    async fn todos_come_from_every_module_in_list_order() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::Config {
            data_dir: dir.path().into(),
            ..Default::default()
        };
        let clock = Arc::new(crate::clock::SystemClock);
        let state = crate::open(config, clock, "gongzhi".into()).await.unwrap();
        let user = User {
            id: 7,
            username: "u".into(),
            display_name: "u".into(),
            role: crate::auth::Role::Member,
        };
        assert!(todos(&state, &user).await.is_empty(), "no app, no to-dos");
        let a = Module {
            todos: Some(|_, u| Box::pin(async move { vec![todo(&format!("/a/{}", u.id))] })),
            ..Module::new("a", A, no_routes)
        };
        let none = Module::new("none", &[], no_routes);
        let b = Module {
            todos: Some(|_, _| Box::pin(async { vec![todo("/b")] })),
            ..Module::new("b", &[], no_routes)
        };
        let _app = app(state.clone(), &[a, none, b]);
        let hrefs: Vec<String> = todos(&state, &user)
            .await
            .into_iter()
            .map(|t| t.href)
            .collect();
        assert_eq!(hrefs, ["/a/7", "/b"]);
    }
}
