//! Extractors every handler uses, so that a junk id, a bad JSON body, an anonymous reader
//! or a paging parameter is handled once, the same way in every module:
//!
//! - [`Id`]: a positive integer from the path; anything else is our 404.
//! - [`ApiJson`]: a JSON body; a body that does not parse is our 400 `invalid_json`.
//! - [`SignedIn`]: an actor with a user; pages send anyone else to sign in and back, the API
//!   answers 401.
//! - [`Paging`]: `page` and `per_page` from the query, bounded by the handler.
//!
//! Also the one query-value encoder ([`url_encode`]) and the one `<option>` ([`Opt`]).

use super::code::Code;
use super::{Actor, AppError, sign_in_first};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::ops::Deref;

/// A record id from the path: positive, else not found (never a parse error).
pub fn parse_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}

/// The single `{id}` of a route, parsed by [`parse_id`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Id, AppError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        parse_id(&raw).map(Id)
    }
}

/// A JSON request body whose rejection is our error: 400 `invalid_json` with axum's reason.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<ApiJson<T>, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(AppError::coded(
                Code::InvalidJson,
                super::i18n::bilingual(
                    &format!("请求体须为 JSON 对象：{}", e.body_text()),
                    &format!("send a JSON object: {}", e.body_text()),
                ),
            )),
        }
    }
}

/// Something that carries the acting user: [`Actor`], or a module's actor built on it.
pub trait Acting {
    fn actor(&self) -> &Actor;
}

impl Acting for Actor {
    fn actor(&self) -> &Actor {
        self
    }
}

impl<T: Deref<Target = Actor>> Acting for T {
    fn actor(&self) -> &Actor {
        self
    }
}

/// An actor who is signed in. Without a user, a page redirects to `/login?next=` this
/// page (path and query) and an API call (`/api/…`) gets 401. Use it on pages reached by
/// GET; a form's POST that should come back to another page keeps [`sign_in_first`].
pub struct SignedIn<A = Actor>(pub A);

impl<A> SignedIn<A> {
    pub fn into_inner(self) -> A {
        self.0
    }
}

impl<A> Deref for SignedIn<A> {
    type Target = A;
    fn deref(&self) -> &A {
        &self.0
    }
}

/// Why [`SignedIn`] refused: the actor's own error, or the sign-in redirect.
pub struct SignInFirst(Response);

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        self.0
    }
}

impl<A, S> FromRequestParts<S> for SignedIn<A>
where
    A: FromRequestParts<S> + Acting,
    A::Rejection: IntoResponse,
    S: Send + Sync,
{
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, SignInFirst> {
        let actor = A::from_request_parts(parts, state)
            .await
            .map_err(|e| SignInFirst(e.into_response()))?;
        if actor.actor().user.is_some() {
            return Ok(SignedIn(actor));
        }
        let uri = &parts.uri;
        if uri.path().starts_with("/api/") {
            return Err(SignInFirst(AppError::Unauthorized.into_response()));
        }
        let here = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
        let to = sign_in_first(actor.actor(), here).expect("no user");
        Err(SignInFirst(to))
    }
}

/// `page` and `per_page` as they came; [`Paging::bounded`] makes them usable.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct Paging {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// A page of a list: `page` from 1, `per_page` within the handler's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub page: i64,
    pub per_page: i64,
}

/// No list is paged further than this.
pub const MAX_PAGE: i64 = 10_000;

impl Paging {
    /// From query values kept as text (list filters that ignore junk): a value that is not
    /// a number counts as absent.
    pub fn lenient(page: Option<&str>, per_page: Option<&str>) -> Paging {
        let num = |v: Option<&str>| v.and_then(|v| v.trim().parse().ok());
        Paging {
            page: num(page),
            per_page: num(per_page),
        }
    }

    /// Out-of-range values are clamped, not refused: `page` to 1..=[`MAX_PAGE`], `per_page`
    /// to 1..=`max_per_page` (`default_per_page` when absent).
    pub fn bounded(self, default_per_page: i64, max_per_page: i64) -> Page {
        Page {
            page: self.page.unwrap_or(1).clamp(1, MAX_PAGE),
            per_page: self
                .per_page
                .unwrap_or(default_per_page)
                .clamp(1, max_per_page),
        }
    }
}

impl Page {
    /// A page of `per_page` records (a fixed size) in a list of `total`: the page asked
    /// for, moved back to the last one when past it; with the number of pages (at least 1).
    pub fn of_total(paging: Paging, per_page: i64, total: i64) -> (Page, i64) {
        let pages = ((total + per_page - 1) / per_page).max(1);
        let mut page = paging.bounded(per_page, per_page);
        page.page = page.page.min(pages);
        (page, pages)
    }

    /// Rows to skip before this page.
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Paging, AppError> {
        Query::<Paging>::from_request_parts(parts, state)
            .await
            .map(|Query(p)| p)
            .map_err(|e| AppError::coded(Code::InvalidPaging, e.body_text()))
    }
}

/// Percent-encodes a query value or an RFC 5987 file name: everything but the unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`).
pub fn url_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// One `<option>` of a `<select>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Opt {
        Opt {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }

    /// A filter's options: `all` (the value "") first, then each (value, label) of
    /// `items`; the one whose value is `current` selected.
    pub fn filter<V: Into<String>, L: Into<String>>(
        all: &str,
        current: &str,
        items: impl IntoIterator<Item = (V, L)>,
    ) -> Vec<Opt> {
        std::iter::once(Opt::current("", all, current))
            .chain(items.into_iter().map(|(v, l)| Opt::current(v, l, current)))
            .collect()
    }

    /// Selected when `value` is `current`.
    pub fn current(value: impl Into<String>, label: impl Into<String>, current: &str) -> Opt {
        let value = value.into();
        Opt {
            selected: value == current,
            value,
            label: label.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(parse_id("42").ok(), Some(42));
        for junk in ["0", "-1", "abc", "", "1.5", "99999999999999999999"] {
            assert!(matches!(parse_id(junk), Err(AppError::NotFound)), "{junk}");
        }
    }

    #[test]
    fn paging_is_bounded() {
        let p = Paging {
            page: Some(0),
            per_page: Some(1000),
        }
        .bounded(20, 100);
        assert_eq!((p.page, p.per_page, p.offset()), (1, 100, 0));
        let p = Paging::default().bounded(20, 100);
        assert_eq!((p.page, p.per_page), (1, 20));
        let p = Paging {
            page: Some(3),
            per_page: Some(-5),
        }
        .bounded(20, 100);
        assert_eq!((p.page, p.per_page, p.offset()), (3, 1, 2));
        let p = Paging::lenient(Some(" 4 "), Some("lots")).bounded(50, 200);
        assert_eq!((p.page, p.per_page), (4, 50));
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(url_encode("桂 a&b"), "%E6%A1%82%20a%26b");
        assert_eq!(url_encode("a-b_c.d~e"), "a-b_c.d~e");
    }

    #[test]
    fn options_know_when_selected() {
        assert!(Opt::current("a", "A", "a").selected);
        assert!(!Opt::new("a", "A", false).selected);
    }
}
