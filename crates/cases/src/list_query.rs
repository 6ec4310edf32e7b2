//! The filters of the case lists (the query of `/api/v1/cases` and of the list pages):
//! state, card, listing, overdue, a unit in scope and the dashboard's window — what the
//! overview's numbers open (ADRs 032, 038).

use crate::error::{CaseError, CaseResult};
use platform::web::{Code, Page, Paging};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub state: Option<String>,
    pub mine: Option<String>,
    pub supervision: Option<String>,
    /// `1`: only cases the centre listed for supervision (挂牌督办).
    pub listed: Option<String>,
    /// `1`: only open cases past their deadline (the overview's "overdue").
    pub overdue: Option<String>,
    /// A unit in the actor's scope: only the cases its figures count (place, lead or
    /// co-handling unit in its subtree), as the overview computes them.
    pub unit: Option<String>,
    /// Days back: only cases dispatched to a unit in the dashboard's window of that many
    /// days (the cases its rates count).
    pub dispatched: Option<String>,
    /// `1`: only cases with a satisfaction return visit (the satisfaction rate's cases).
    pub rated: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl ListQuery {
    pub(crate) fn flag(&self, v: &Option<String>) -> bool {
        v.as_deref().is_some_and(|m| m == "1" || m == "true")
    }

    /// The filters besides the state and the page, as query pairs for links.
    pub fn filter_pairs(&self) -> String {
        let mut s = String::new();
        for (k, v) in [
            ("supervision", &self.supervision),
            ("listed", &self.listed),
            ("overdue", &self.overdue),
            ("unit", &self.unit),
            ("dispatched", &self.dispatched),
            ("rated", &self.rated),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                s.push_str(&format!("&{k}={}", platform::web::url_encode(v)));
            }
        }
        s
    }

    /// `dispatched=N`: the dashboard's window of N days (1–366), as its API allows.
    pub fn dispatched_days(&self) -> CaseResult<Option<i64>> {
        match self
            .dispatched
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Ok(None),
            Some(raw) => match raw.parse::<i64>() {
                Ok(days) if (1..=366).contains(&days) => Ok(Some(days)),
                _ => Err(CaseError::invalid(
                    Code::InvalidFilter,
                    "dispatched 须为 1 到 366 天 (dispatched must be 1 to 366 days)",
                )),
            },
        }
    }

    /// 50 cases a page, at most 200.
    pub fn page(&self) -> Page {
        Paging {
            page: self.page,
            per_page: self.per_page,
        }
        .bounded(50, 200)
    }
}
