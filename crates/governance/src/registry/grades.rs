//! Grade assessment (等级评估) as read: the 1,000-point sheet, the cut-offs from points to
//! 1A–5A, and each organisation's assessments and current grade.

use crate::dates::Day;
use crate::error::{GovError, GovResult};
use gov_core::ScopeFilter;
use gov_core::Sql;
use platform::db::Db;
use platform::web::Code;
use platform::web::Lang;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

// ---------------------------------------------------------------------------------------
// Grade assessment

/// The sections of the 1,000-point score sheet: (code, 中文, English, maximum).
pub const SECTIONS: [(&str, &str, &str, i64); 4] = [
    ("basic", "基础条件", "Basic conditions", 100),
    ("governance", "内部治理", "Internal governance", 300),
    ("performance", "工作绩效", "Performance", 450),
    ("reputation", "社会评价", "Social evaluation", 150),
];

/// How long a grade stands (ADR 011).
pub const GRADE_VALID_YEARS: i64 = 5;

pub fn grade_label(grade: i64, lang: Lang) -> String {
    if (1..=5).contains(&grade) {
        format!("{grade}A")
    } else {
        lang.pick("未达等级", "Below 1A").to_string()
    }
}

/// Minimum totals for 1A … 5A (index 0 is 1A), strictly rising.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Cutoffs(pub [i64; 5]);

impl Cutoffs {
    pub fn parse(v: [i64; 5]) -> GovResult<Cutoffs> {
        let ok = v.iter().all(|n| (1..=1000).contains(n)) && v.windows(2).all(|w| w[0] < w[1]);
        if !ok {
            return Err(GovError::invalid(
                Code::InvalidCutoffs,
                "cutoffs",
                "各等级最低分须在 1 到 1000 之间，且 1A < 2A < 3A < 4A < 5A。",
                "each grade's minimum must be 1 to 1000, rising from 1A to 5A",
            ));
        }
        Ok(Cutoffs(v))
    }

    /// The grade a total earns (0: below 1A).
    pub fn grade(&self, total: i64) -> i64 {
        (1..=5)
            .rev()
            .find(|g| total >= self.0[(*g - 1) as usize])
            .unwrap_or(0)
    }
}

pub async fn cutoffs(db: &Db) -> sqlx::Result<Cutoffs> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT grade, min_score FROM governance_grade_cutoffs ORDER BY grade")
            .fetch_all(&db.pool)
            .await?;
    let mut v = [500, 600, 700, 800, 900];
    for (g, min) in rows {
        if (1..=5).contains(&g) {
            v[(g - 1) as usize] = min;
        }
    }
    Ok(Cutoffs(v))
}

#[derive(Clone, Debug, Serialize)]
pub struct Assessment {
    pub id: i64,
    pub org_id: i64,
    pub assessed_on: String,
    /// Scores per section, in the order of [`SECTIONS`].
    pub scores: [i64; 4],
    pub total: i64,
    /// 1–5 (1A–5A), 0 below 1A.
    pub grade: i64,
    pub valid_until: String,
    pub note: String,
}

impl Assessment {
    /// Whether the grade has lapsed on `today` (it is valid up to the day before `valid_until`).
    pub fn expired(&self, today: Day) -> bool {
        today.to_string() >= self.valid_until
    }
}

const ASSESSMENT_COLUMNS: &str = "a.id, a.org_id, a.assessed_on, a.score_basic, a.score_governance, \
    a.score_performance, a.score_reputation, a.total, a.grade, a.valid_until, a.note";

fn assessment_from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<Assessment> {
    Ok(Assessment {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        assessed_on: row.try_get("assessed_on")?,
        scores: [
            row.try_get("score_basic")?,
            row.try_get("score_governance")?,
            row.try_get("score_performance")?,
            row.try_get("score_reputation")?,
        ],
        total: row.try_get("total")?,
        grade: row.try_get("grade")?,
        valid_until: row.try_get("valid_until")?,
        note: row.try_get("note")?,
    })
}

pub async fn org_assessments(db: &Db, org_id: i64) -> sqlx::Result<Vec<Assessment>> {
    let text = format!(
        "SELECT {ASSESSMENT_COLUMNS} FROM governance_assessments a WHERE a.org_id = $1 \
         ORDER BY a.assessed_on DESC, a.id DESC"
    );
    let rows = sqlx::query(&text).bind(org_id).fetch_all(&db.pool).await?;
    rows.iter().map(assessment_from_row).collect()
}

/// The latest assessment of every organisation within the scope.
pub async fn latest_assessments(
    db: &Db,
    scope: &ScopeFilter,
) -> sqlx::Result<HashMap<i64, Assessment>> {
    let mut sql = Sql::default();
    scope.apply(&mut sql, "u.path");
    let text = format!(
        "SELECT {ASSESSMENT_COLUMNS} FROM governance_assessments a \
         JOIN governance_orgs o ON o.id = a.org_id JOIN governance_units u ON u.id = o.unit_id \
         WHERE {} ORDER BY a.assessed_on, a.id",
        sql.where_clause()
    );
    let rows = sql.query(&text).fetch_all(&db.pool).await?;
    let mut out = HashMap::new();
    for row in &rows {
        let a = assessment_from_row(row)?;
        out.insert(a.org_id, a);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sheet_has_1000_points() {
        assert_eq!(SECTIONS.iter().map(|s| s.3).sum::<i64>(), 1000);
    }

    #[test]
    fn cutoffs_rise_and_grade() {
        let c = Cutoffs::parse([500, 600, 700, 800, 900]).unwrap();
        assert_eq!(c.grade(1000), 5);
        assert_eq!(c.grade(900), 5);
        assert_eq!(c.grade(899), 4);
        assert_eq!(c.grade(500), 1);
        assert_eq!(c.grade(499), 0);
        assert!(Cutoffs::parse([500, 600, 600, 800, 900]).is_err());
        assert!(Cutoffs::parse([0, 600, 700, 800, 900]).is_err());
        assert!(Cutoffs::parse([500, 600, 700, 800, 1001]).is_err());
    }

    #[test]
    fn grades_lapse_on_the_fifth_anniversary() {
        let a = Assessment {
            id: 1,
            org_id: 1,
            assessed_on: "2021-06-15".into(),
            scores: [0; 4],
            total: 0,
            grade: 3,
            valid_until: "2026-06-15".into(),
            note: String::new(),
        };
        assert!(!a.expired(Day::parse("2026-06-14").unwrap()));
        assert!(a.expired(Day::parse("2026-06-15").unwrap()));
    }
}
