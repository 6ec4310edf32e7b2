//! The main menu's module entries, shown only to viewers who may open them (UI rule: no
//! menu item that ends in a 403). Each module registers a function that says, for a
//! signed-in user, which entries are theirs; `render_errors` asks them once per page request
//! and the page context reads the answer from a task-local, so no handler has to pass it on.

use super::AppState;
use crate::auth::User;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A place the viewer may open; `main` ones are links in the main menu, the others let a
/// module's templates ask [`super::PageCtx::may_open`] before drawing a tab or a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuItem {
    pub href: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub main: bool,
}

/// A module's menu entries for a signed-in user.
pub type MenuFn = for<'a> fn(&'a AppState, &'a User) -> Menu<'a>;

/// What a module's menu function returns: its entries for the user, once read.
pub type Menu<'a> = Pin<Box<dyn Future<Output = Vec<MenuItem>> + Send + 'a>>;

impl MenuItem {
    pub const fn new(href: &'static str, zh: &'static str, en: &'static str, main: bool) -> Self {
        MenuItem { href, zh, en, main }
    }
}

#[derive(Default)]
struct Menus(Vec<MenuFn>);

/// Registers a module's menu function (at start-up, from the module's `router`).
pub fn add(state: &AppState, f: MenuFn) {
    let mut fns = state
        .ext::<Menus>()
        .map(|m| m.0.clone())
        .unwrap_or_default();
    fns.push(f);
    state.attach(Arc::new(Menus(fns)));
}

/// Every registered module's entries for `user` (none for anonymous readers).
pub async fn items(state: &AppState, user: Option<&User>) -> Vec<MenuItem> {
    let (Some(user), Some(menus)) = (user, state.ext::<Menus>()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in &menus.0 {
        out.extend(f(state, user).await);
    }
    out
}

tokio::task_local! {
    static CURRENT: Vec<MenuItem>;
    static UNREAD: i64;
}

/// Runs a request with its viewer's menu and unread-notification count (the bell's badge)
/// available to [`current`] and [`unread`].
pub async fn scope<F: Future>(menu: Vec<MenuItem>, unread: i64, f: F) -> F::Output {
    CURRENT.scope(menu, UNREAD.scope(unread, f)).await
}

/// The viewer's unread notifications (0 outside a page request).
pub fn unread() -> i64 {
    UNREAD.try_with(|n| *n).unwrap_or(0)
}

/// The menu of the request being handled (empty outside a page request).
pub fn current() -> Vec<MenuItem> {
    CURRENT.try_with(Clone::clone).unwrap_or_default()
}
