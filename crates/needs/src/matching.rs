//! Matching: ranks active services for a need and says why, in words.
//!
//! The score (0–100) adds up: category fit (45: the need's category, its parent or child,
//! or the categories the analyzer reads from the words when none was chosen), the words
//! of the need found in the service's text (15), nearness in the unit tree (15: same
//! community, street, district), places left (10), the organisation's grade (10), its past
//! referral outcomes (5) and whether a place is open when the need is wanted (5).
//!
//! Only services tagged with a category related to the need are scored, so a need costs
//! a few hundred rows even over ten thousand services (see the bench).

use crate::lexicon::LEXICON;
use crate::model::Need;
use platform::db::Db;
use platform::search::{fold, query_words};
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};

/// A term of the governance taxonomy.
#[derive(Clone, Debug, Serialize)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub description: String,
    pub parent: Option<String>,
}

/// The taxonomy's terms (every taxonomy governance holds) by display order, each with its
/// parent's code.
pub async fn taxonomy(db: &Db) -> sqlx::Result<Vec<Category>> {
    let mut terms = governance::reads::terms(db).await?;
    terms.sort_by_key(|t| (t.sort, t.id));
    let codes: HashMap<i64, String> = terms.iter().map(|t| (t.id, t.code.clone())).collect();
    Ok(terms
        .into_iter()
        .map(|t| Category {
            parent: t.parent_id.and_then(|p| codes.get(&p).cloned()),
            code: t.code,
            name: t.name,
            name_en: t.name_en,
            description: t.description,
        })
        .collect())
}

/// The words of a need the analyzer finds (two characters or more, or Latin words).
pub fn need_words(text: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    query_words(text)
        .into_iter()
        .filter(|w| w.chars().count() >= 2)
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

/// How strongly the text speaks of each category, best first (only those it speaks of).
pub fn infer(text: &str, cats: &[Category]) -> Vec<(String, f64)> {
    let folded = fold(text).to_lowercase();
    let words = need_words(text);
    let mut out: Vec<(String, f64)> = Vec::new();
    for c in cats {
        let mut s = 0.0;
        if let Some(e) = LEXICON.iter().find(|e| e.code == c.code) {
            for w in e.strong.iter().filter(|w| folded.contains(*w)) {
                s += 2.0 + 0.5 * (w.chars().count() as f64 - 2.0).max(0.0);
            }
            s += 0.8 * e.weak.iter().filter(|w| folded.contains(*w)).count() as f64;
        }
        // The analyzer's words found in the category's own name and description.
        let own = format!("{}{}", c.name, c.description);
        s += 0.7 * words.iter().filter(|w| own.contains(w.as_str())).count() as f64;
        if folded.contains(&c.name) {
            s += 3.0;
        }
        if s > 0.0 {
            out.push((c.code.clone(), s));
        }
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// One service as the matcher sees it.
struct Candidate {
    service_id: i64,
    service_name: String,
    organization_id: Option<i64>,
    organization_name: String,
    unit_id: i64,
    unit_name: String,
    unit_path: String,
    text: String,
    capacity: Option<i64>,
    terms: Vec<String>,
}

/// Whether a service can take one more now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    Yes,
    Waitlist,
    No,
}

#[derive(Clone, Debug, Serialize)]
pub struct Match {
    pub service_id: i64,
    pub service_name: String,
    pub organization_id: Option<i64>,
    pub organization_name: String,
    pub category: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub score: f64,
    /// Why, in Chinese; `reasons_en` the same in English.
    pub reasons: Vec<String>,
    pub reasons_en: Vec<String>,
    pub capacity: Capacity,
    /// Places left (None: no limit).
    pub places_left: Option<i64>,
}

/// The live referral states: they hold a place of the service.
pub const LIVE: &str = "('requested', 'accepted', 'in_progress', 'on_hold')";

struct Fit {
    code: String,
    value: f64,
    why: (String, String),
}

/// How well a service's terms fit: the best of its terms.
fn fit(
    terms: &[String],
    need: &Need,
    inferred: &[(String, f64)],
    cats: &[Category],
) -> Option<Fit> {
    let name = |code: &str| {
        cats.iter()
            .find(|c| c.code == code)
            .map(|c| (c.name.clone(), c.name_en.clone()))
            .unwrap_or_else(|| (code.to_string(), code.to_string()))
    };
    let parent = |code: &str| {
        cats.iter()
            .find(|c| c.code == code)
            .and_then(|c| c.parent.clone())
    };
    let related =
        |a: &str, b: &str| parent(a).as_deref() == Some(b) || parent(b).as_deref() == Some(a);
    let top = inferred.first().map(|(_, s)| *s).unwrap_or(0.0);
    let mut best: Option<Fit> = None;
    for t in terms {
        let (zh, en) = name(t);
        let f = if !need.category.is_empty() && *t == need.category {
            Fit {
                code: t.clone(),
                value: 1.0,
                why: (format!("类别相符：{zh}"), format!("Same category: {en}")),
            }
        } else if !need.category.is_empty() && related(t, &need.category) {
            Fit {
                code: t.clone(),
                value: 0.6,
                why: (format!("相关类别：{zh}"), format!("Related category: {en}")),
            }
        } else if let Some((_, s)) = inferred.iter().find(|(c, _)| c == t) {
            let scale = if need.category.is_empty() { 0.9 } else { 0.4 };
            Fit {
                code: t.clone(),
                value: scale * s / top,
                why: (
                    format!("需求描述指向：{zh}"),
                    format!("The words point to: {en}"),
                ),
            }
        } else if inferred.first().is_some_and(|(c, _)| related(t, c)) {
            Fit {
                code: t.clone(),
                value: 0.35,
                why: (format!("相关类别：{zh}"), format!("Related category: {en}")),
            }
        } else {
            continue;
        };
        if best.as_ref().is_none_or(|b| f.value > b.value) {
            best = Some(f);
        }
    }
    best
}

/// The codes worth loading services for: the need's category, its relatives, and what the
/// words point to (the first three), with their relatives. Empty: every category.
fn relevant(need: &Need, inferred: &[(String, f64)], cats: &[Category]) -> Vec<String> {
    let mut seeds: Vec<&str> = inferred.iter().take(3).map(|(c, _)| c.as_str()).collect();
    if !need.category.is_empty() {
        seeds.push(&need.category);
    }
    let mut out = BTreeSet::new();
    for s in seeds {
        out.insert(s.to_string());
        for c in cats {
            if c.parent.as_deref() == Some(s) {
                out.insert(c.code.clone());
            }
            if c.code == s
                && let Some(p) = &c.parent
            {
                out.insert(p.clone());
            }
        }
    }
    out.into_iter().collect()
}

/// The active services of the related categories (governance's set-based read).
async fn candidates(db: &Db, codes: &[String]) -> sqlx::Result<Vec<Candidate>> {
    Ok(governance::reads::active_offers(db, codes)
        .await?
        .into_iter()
        .map(|o| Candidate {
            service_id: o.service_id,
            text: fold(&format!("{} {} {}", o.name, o.description, o.eligibility)).to_lowercase(),
            service_name: o.name,
            organization_id: o.org_id,
            organization_name: o.org_name,
            unit_id: o.unit_id,
            unit_name: o.unit_name,
            unit_path: o.unit_path,
            capacity: o.capacity,
            terms: o.terms,
        })
        .collect())
}

/// Live referrals per service (the places they hold).
pub async fn places_taken(db: &Db) -> sqlx::Result<HashMap<i64, i64>> {
    let sql = format!(
        "SELECT service_id, COUNT(*) AS n FROM needs_referrals WHERE state IN {LIVE} GROUP BY service_id"
    );
    let rows = sqlx::query(&sql).fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("service_id")?, r.try_get("n")?)))
        .collect()
}

/// Each organisation's ended referrals: (completed, failed or rejected).
async fn outcomes(db: &Db) -> sqlx::Result<HashMap<i64, (i64, i64)>> {
    let rows = sqlx::query(
        "SELECT org_id, state, COUNT(*) AS n FROM needs_referrals \
         WHERE org_id IS NOT NULL AND state IN ('completed', 'failed', 'rejected') GROUP BY org_id, state",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut out: HashMap<i64, (i64, i64)> = HashMap::new();
    for r in rows {
        let (org, state, n): (i64, String, i64) =
            (r.try_get("org_id")?, r.try_get("state")?, r.try_get("n")?);
        let e = out.entry(org).or_default();
        if state == "completed" {
            e.0 += n;
        } else {
            e.1 += n;
        }
    }
    Ok(out)
}

/// Weekday (1 = Monday) and "HH:MM" of an instant in China Standard Time.
fn local_time(ms: i64) -> (i64, String) {
    use chrono::{Datelike, FixedOffset, TimeZone, Timelike};
    let tz = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let t = tz.timestamp_millis_opt(ms).single().unwrap_or_default();
    (
        t.weekday().number_from_monday() as i64,
        format!("{:02}:{:02}", t.hour(), t.minute()),
    )
}

/// Ids shared from the root by two unit paths.
fn shared_depth(a: &str, b: &str) -> usize {
    a.split('/')
        .filter(|s| !s.is_empty())
        .zip(b.split('/').filter(|s| !s.is_empty()))
        .take_while(|(x, y)| x == y)
        .count()
}

/// The best services for `need`, best first (at most `limit`).
pub async fn matches(db: &Db, need: &Need, limit: usize) -> sqlx::Result<Vec<Match>> {
    let cats = taxonomy(db).await?;
    let text = format!("{} {}", need.title, need.description);
    let inferred = infer(&text, &cats);
    let words = need_words(&text);
    let cands = candidates(db, &relevant(need, &inferred, &cats)).await?;
    let (taken, grades, outcomes) = (
        places_taken(db).await?,
        governance::reads::latest_grades(db).await?,
        outcomes(db).await?,
    );
    let mut out = Vec::new();
    for c in &cands {
        let hit = words.iter().filter(|w| c.text.contains(w.as_str())).count();
        let sim = if words.is_empty() {
            0.0
        } else {
            hit as f64 / words.len() as f64
        };
        let fit = fit(&c.terms, need, &inferred, &cats);
        if fit.is_none() && hit == 0 {
            continue;
        }
        let mut reasons: Vec<(String, String)> = Vec::new();
        let mut score = 0.0;
        let category = match &fit {
            Some(f) => {
                score += 45.0 * f.value;
                reasons.push(f.why.clone());
                f.code.clone()
            }
            None => c.terms[0].clone(),
        };
        if hit > 0 {
            score += 15.0 * sim;
            reasons.push((
                format!("服务介绍含需求中的 {hit} 个词"),
                format!("{hit} of the need's words appear in the service"),
            ));
        }
        let (pts, zh, en) = match shared_depth(&need.unit_path, &c.unit_path) {
            d if d >= 3 => (15.0, "同一社区", "In the same community"),
            2 => (10.0, "同一街道", "In the same street"),
            1 => (5.0, "同一区", "In the same district"),
            _ => (0.0, "不在本区", "Outside the district"),
        };
        score += pts;
        reasons.push((zh.into(), en.into()));
        let used = taken.get(&c.service_id).copied().unwrap_or(0);
        let places_left = c.capacity.map(|cap| (cap - used).max(0));
        let capacity = match (c.capacity, places_left) {
            (None, _) => Capacity::Yes,
            (Some(cap), _) if cap <= 0 => Capacity::No,
            (_, Some(left)) if left > 0 => Capacity::Yes,
            _ => Capacity::Waitlist,
        };
        match (capacity, places_left) {
            (Capacity::Yes, Some(left)) => {
                score += 10.0;
                reasons.push((
                    format!("本期尚余 {left} 个名额"),
                    format!("{left} places left"),
                ));
            }
            (Capacity::Yes, None) => {
                score += 10.0;
                reasons.push(("名额不限".into(), "No limit on places".into()));
            }
            (Capacity::Waitlist, _) => {
                reasons.push(("名额已满，可排队等候".into(), "Full: waiting list".into()))
            }
            (Capacity::No, _) => reasons.push(("暂不接收".into(), "Takes nobody now".into())),
        }
        if let Some(org) = c.organization_id {
            if let Some(g) = grades.get(&org) {
                score += 2.0 * (*g).clamp(0, 5) as f64;
                reasons.push((
                    format!("组织评估等级 {g}A"),
                    format!("Organisation graded {g}A"),
                ));
            }
            match outcomes.get(&org) {
                Some((ok, bad)) if ok + bad > 0 => {
                    let rate = *ok as f64 / (ok + bad) as f64;
                    score += 5.0 * rate;
                    reasons.push((
                        format!("以往转介完成 {ok} 件、未成 {bad} 件"),
                        format!("Past referrals: {ok} completed, {bad} not"),
                    ));
                }
                _ => score += 2.5,
            }
        }
        out.push((
            Match {
                service_id: c.service_id,
                service_name: c.service_name.clone(),
                organization_id: c.organization_id,
                organization_name: c.organization_name.clone(),
                category,
                unit_id: c.unit_id,
                unit_name: c.unit_name.clone(),
                score,
                reasons: Vec::new(),
                reasons_en: Vec::new(),
                capacity,
                places_left,
            },
            reasons,
        ));
    }
    // Opening hours decide at most 5 points: read them for the leaders only.
    out.sort_by(|a, b| {
        b.0.score
            .total_cmp(&a.0.score)
            .then(a.0.service_id.cmp(&b.0.service_id))
    });
    out.truncate((limit * 3).max(30));
    if let Some(at) = need.wanted_at {
        let ids: Vec<i64> = out.iter().map(|m| m.0.service_id).collect();
        let open = governance::reads::service_hours(db, &ids).await?;
        let (day, hhmm) = local_time(at);
        for (m, reasons) in &mut out {
            let Some(slots) = open.get(&m.service_id) else {
                continue;
            };
            if slots
                .iter()
                .any(|(d, o, c)| *d == day && *o <= hhmm && hhmm < *c)
            {
                m.score += 5.0;
                reasons.push((
                    "需要的时间正在开放".into(),
                    "Open at the time wanted".into(),
                ));
            } else {
                reasons.push((
                    "需要的时间不开放".into(),
                    "Closed at the time wanted".into(),
                ));
            }
        }
    }
    let mut out: Vec<Match> = out
        .into_iter()
        .map(|(mut m, reasons)| {
            m.score = (m.score * 10.0).round() / 10.0;
            (m.reasons, m.reasons_en) = reasons.into_iter().unzip();
            m
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.service_id.cmp(&b.service_id))
    });
    out.truncate(limit);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_depth_counts_common_ancestors() {
        assert_eq!(shared_depth("/1/4/17/", "/1/4/17/"), 3);
        assert_eq!(shared_depth("/1/4/17/30/", "/1/4/18/"), 2);
        assert_eq!(shared_depth("/1/4/", "/2/4/"), 0);
    }

    #[test]
    fn local_time_is_china_time() {
        // 2026-01-05 (a Monday) 02:30 UTC = 10:30 in Beijing.
        let ms = chrono::DateTime::parse_from_rfc3339("2026-01-05T02:30:00Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(local_time(ms), (1, "10:30".to_string()));
    }
}
