//! Budget use per call and per unit (issue 14, ADR 033): budgeted, awarded (committed by
//! contracts), paid and what remains, in fen. The conditional UPDATEs of `projects` keep
//! awarded and paid within the budget, so nothing here can be negative.

use crate::projects::Call;
use platform::db::Db;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Clone, Debug, Default, Serialize)]
pub struct Use {
    pub budget_fen: i64,
    pub awarded_fen: i64,
    pub paid_fen: i64,
    /// Not yet awarded: budget − awarded.
    pub remaining_fen: i64,
    /// Awarded but not yet paid: awarded − paid.
    pub unpaid_fen: i64,
}

impl Use {
    pub fn new(budget: i64, awarded: i64, paid: i64) -> Use {
        Use {
            budget_fen: budget,
            awarded_fen: awarded,
            paid_fen: paid,
            remaining_fen: budget - awarded,
            unpaid_fen: awarded - paid,
        }
    }

    pub fn of_call(c: &Call) -> Use {
        Use::new(c.budget_fen, c.committed_fen, c.paid_fen)
    }
}

/// Read by hand: the remaining and unpaid sums follow from the three stored ones.
impl FromRow<'_, AnyRow> for Use {
    fn from_row(r: &AnyRow) -> sqlx::Result<Use> {
        Ok(Use::new(
            r.try_get("budget")?,
            r.try_get("awarded")?,
            r.try_get("paid")?,
        ))
    }
}

#[derive(Clone, Debug, Serialize, FromRow)]
pub struct UnitUse {
    pub unit_id: i64,
    /// Filled from gov-core after the read.
    #[sqlx(skip)]
    pub unit_name: String,
    pub calls: i64,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub budget: Use,
}

/// The calls' budgets summed per unit that opened them, in the order of the units' paths.
pub async fn by_unit(db: &Db) -> sqlx::Result<Vec<UnitUse>> {
    let mut out: Vec<UnitUse> = sqlx::query_as(
        "SELECT c.unit_id, COUNT(*) AS calls, \
         CAST(SUM(c.budget_fen) AS BIGINT) AS budget, CAST(SUM(c.committed_fen) AS BIGINT) AS awarded, \
         CAST(SUM(c.paid_fen) AS BIGINT) AS paid FROM needs_calls c \
         GROUP BY c.unit_id, c.unit_path ORDER BY c.unit_path",
    )
    .fetch_all(&db.pool)
    .await?;
    let names = crate::model::unit_names(db, out.iter().map(|u| u.unit_id)).await?;
    for u in &mut out {
        u.unit_name = names.get(&u.unit_id).cloned().unwrap_or_default();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_and_unpaid() {
        let u = Use::new(100_000, 60_000, 30_000);
        assert_eq!((u.remaining_fen, u.unpaid_fen), (40_000, 30_000));
    }
}
