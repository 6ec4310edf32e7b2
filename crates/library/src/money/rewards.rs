//! Contributor rewards (补贴): each paid purchase and each member's first download of a
//! VIP document credits the uploader, from operator-editable rules scaled by quality.

use super::ledger::{self, AccountKind, Entry, Fen, Posting};
use crate::model::Document;
use crate::model::PriceKind;
use platform::db::{Db, Tx};
use serde::Serialize;

/// The quality score in ‰ that scales every subsidy: the moderator's rating (1 → 400‰ …
/// 5 → 1,200‰) plus reader signals — demand (downloads, up to +100‰) and readers' ratings
/// (their average against a neutral 3 stars, ±100‰, once at least three readers rated).
pub fn quality_permille(quality: i64, downloads: i64, rating_sum: i64, rating_count: i64) -> i64 {
    let moderator = 400 + 200 * (quality.clamp(1, 5) - 1);
    let demand = downloads.clamp(0, 50) * 2;
    let readers = if rating_count >= 3 {
        // (average − 3) × 50‰, computed in integers: average = sum / count.
        ((rating_sum - 3 * rating_count) * 50 / rating_count).clamp(-100, 100)
    } else {
        0
    };
    moderator + demand + readers
}

/// The subsidy for one sale (paid) or one first VIP download, in 分.
pub fn subsidy(share_permille: i64, vip_fen: i64, doc: &Document, price_paid: i64) -> i64 {
    let base = if doc.price_kind == PriceKind::Vip && price_paid == 0 {
        vip_fen
    } else {
        price_paid * share_permille / 1000
    };
    base * quality_permille(doc.quality, doc.downloads, doc.rating_sum, doc.rating_count) / 1000
}

/// Credits the uploader inside the caller's transaction; `cause_key` makes it idempotent.
pub async fn credit(
    tx: &mut Tx,
    doc: &Document,
    price_paid: i64,
    cause: &str,
    cause_key: &str,
    now: i64,
) -> Result<i64, ledger::LedgerError> {
    let kind = if price_paid > 0 {
        PriceKind::Paid
    } else {
        PriceKind::Vip
    };
    let rule: Option<(i64, i64)> =
        sqlx::query_as("SELECT share_permille, vip_fen FROM library_reward_rules WHERE price_kind = $1 AND original = $2")
            .bind(kind.as_str())
            .bind(doc.original as i64)
            .fetch_optional(&mut **tx)
            .await?;
    let Some((share, vip_fen)) = rule else {
        return Ok(0);
    };
    let amount = subsidy(share, vip_fen, doc, price_paid);
    if amount <= 0 {
        return Ok(0);
    }
    let source = if price_paid > 0 {
        AccountKind::PlatformRevenue
    } else {
        AccountKind::VipSales
    };
    let from = ledger::account(tx, source, None, now).await?;
    let to = ledger::account(
        tx,
        AccountKind::ContributorPayable,
        Some(doc.uploader_id),
        now,
    )
    .await?;
    let posted = ledger::post(
        tx,
        Entry {
            key: &format!("reward:{cause_key}"),
            kind: "contributor_reward",
            memo: &format!("文档收益：{}", doc.title),
            actor: None,
            now,
            postings: Posting::transfer(from, to, Fen(amount)),
        },
    )
    .await?;
    if matches!(posted, ledger::Posted::New(_)) {
        sqlx::query(
            "INSERT INTO library_rewards (document_id, document_title, uploader_id, cause, amount, transaction_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(doc.id)
        .bind(&doc.title)
        .bind(doc.uploader_id)
        .bind(cause)
        .bind(amount)
        .bind(posted.id())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(amount)
}

#[derive(Debug, Serialize)]
pub struct Earnings {
    pub total: i64,
    pub total_yuan: String,
    /// Accrued and not yet paid out (the contributor-payable balance).
    pub payable: i64,
    /// Confirmed by the provider as paid out.
    pub paid_out: i64,
    pub by_document: Vec<(i64, String, i64)>,
    /// ("2026-11", 分), oldest first.
    pub by_month: Vec<(String, i64)>,
}

pub async fn earnings(db: &Db, user: i64) -> sqlx::Result<Earnings> {
    let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT document_id, document_title, amount, at FROM library_rewards WHERE uploader_id = $1 ORDER BY at",
    )
    .bind(user)
    .fetch_all(&db.pool)
    .await?;
    let mut by_document: Vec<(i64, String, i64)> = Vec::new();
    let mut by_month: Vec<(String, i64)> = Vec::new();
    for (doc, title, amount, at) in &rows {
        match by_document.iter_mut().find(|d| d.0 == *doc) {
            Some(d) => d.2 += amount,
            None => by_document.push((*doc, title.clone(), *amount)),
        }
        let month = platform::clock::format_ms(*at)
            .chars()
            .take(7)
            .collect::<String>();
        match by_month.last_mut() {
            Some(m) if m.0 == month => m.1 += amount,
            _ => by_month.push((month, *amount)),
        }
    }
    by_document.sort_by_key(|d| std::cmp::Reverse(d.2));
    let total = rows.iter().map(|r| r.2).sum();
    let (payable,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM library_accounts WHERE kind = 'contributor_payable' AND owner_id = $1",
    )
    .bind(user)
    .fetch_one(&db.pool)
    .await?;
    let (paid_out,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM library_payment_orders WHERE purpose = 'payout' AND state = 'paid' AND user_id = $1",
    )
    .bind(user)
    .fetch_one(&db.pool)
    .await?;
    Ok(Earnings {
        total,
        total_yuan: Fen(total).yuan(),
        payable,
        paid_out,
        by_document,
        by_month,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_scales_the_subsidy() {
        assert_eq!(quality_permille(3, 0, 0, 0), 800);
        assert_eq!(quality_permille(5, 0, 0, 0), 1200);
        assert_eq!(quality_permille(1, 0, 0, 0), 400);
        assert_eq!(
            quality_permille(5, 1000, 0, 0),
            1300,
            "reader demand adds at most 100‰"
        );
        assert_eq!(
            quality_permille(9, 0, 0, 0),
            1200,
            "ratings are clamped to 1–5"
        );
        assert_eq!(
            quality_permille(3, 0, 10, 2),
            800,
            "two ratings are not a signal yet"
        );
        assert_eq!(
            quality_permille(3, 0, 15, 3),
            900,
            "three five-star ratings: +100‰"
        );
        assert_eq!(
            quality_permille(3, 0, 3, 3),
            700,
            "three one-star ratings: −100‰"
        );
        assert_eq!(quality_permille(3, 0, 12, 3), 850, "average 4: +50‰");
    }
}
