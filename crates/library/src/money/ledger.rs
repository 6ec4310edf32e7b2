//! The double-entry ledger. Every change of money is one transaction whose postings sum to
//! zero, applied under an idempotency key: the same key twice posts once. Balances never
//! go below zero except on accounts that represent money outside the platform.

use platform::db::{Db, Tx};
use platform::{audit, outbox};

/// Integer minor units (分). Parsed at the edge; never a float.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Fen(pub i64);

impl Fen {
    /// A positive amount of at most 10,000,000 元.
    pub fn positive(v: i64) -> Result<Fen, LedgerError> {
        if (1..=1_000_000_000).contains(&v) {
            Ok(Fen(v))
        } else {
            Err(LedgerError::BadAmount)
        }
    }

    /// "12.30" → 1230 分.
    pub fn parse_yuan(s: &str) -> Result<Fen, LedgerError> {
        let s = s.trim();
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty()
            || frac.len() > 2
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(LedgerError::BadAmount);
        }
        let whole: i64 = whole.parse().map_err(|_| LedgerError::BadAmount)?;
        let frac: i64 = format!("{frac:0<2}")
            .parse()
            .map_err(|_| LedgerError::BadAmount)?;
        Fen::positive(
            whole
                .checked_mul(100)
                .and_then(|w| w.checked_add(frac))
                .ok_or(LedgerError::BadAmount)?,
        )
    }

    pub fn yuan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

/// The kinds of account; wallets belong to users, the rest to the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    Wallet,
    /// Money received from payment providers and operator top-ups (outside the platform).
    ProviderClearing,
    /// Value promised by unredeemed vouchers (outside the platform until redeemed).
    VoucherIssuance,
    PlatformRevenue,
    ContributorPayable,
    VipSales,
    /// Money a provider collected for an order we had already closed: owed back to the payer.
    RefundsDue,
    /// Contributor earnings handed to a provider for payout, not yet confirmed.
    PayoutsPending,
    /// Contributor earnings the provider confirmed as paid out.
    PaidOut,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Wallet => "wallet",
            AccountKind::ProviderClearing => "provider_clearing",
            AccountKind::VoucherIssuance => "voucher_issuance",
            AccountKind::PlatformRevenue => "platform_revenue",
            AccountKind::ContributorPayable => "contributor_payable",
            AccountKind::VipSales => "vip_sales",
            AccountKind::RefundsDue => "refunds_due",
            AccountKind::PayoutsPending => "payouts_pending",
            AccountKind::PaidOut => "paid_out",
        }
    }
    /// Users' accounts never go negative; the platform's may (money from outside, or the
    /// platform subsidising contributors beyond its revenue).
    fn may_go_negative(self) -> bool {
        !matches!(self, AccountKind::Wallet | AccountKind::ContributorPayable)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the amount must be a positive number of yuan with at most two decimals")]
    BadAmount,
    #[error("the balance is not enough for this payment")]
    InsufficientFunds,
    #[error("this request was already made with different details (idempotency key reused)")]
    KeyReused,
    #[error("postings do not balance")]
    Unbalanced,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The account of `kind` for `owner` (None for platform accounts), created on first use.
pub async fn account(
    tx: &mut Tx,
    kind: AccountKind,
    owner: Option<i64>,
    now: i64,
) -> Result<i64, LedgerError> {
    let owner = owner.unwrap_or(0);
    sqlx::query(
        "INSERT INTO library_accounts (kind, owner_id, may_go_negative, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kind, owner_id) DO NOTHING",
    )
    .bind(kind.as_str())
    .bind(owner)
    .bind(kind.may_go_negative() as i64)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let (id,): (i64,) =
        sqlx::query_as("SELECT id FROM library_accounts WHERE kind = $1 AND owner_id = $2")
            .bind(kind.as_str())
            .bind(owner)
            .fetch_one(&mut **tx)
            .await?;
    Ok(id)
}

/// One leg of an entry: money into (positive) or out of (negative) an account.
pub struct Posting {
    pub account: i64,
    pub amount: Fen,
}

impl Posting {
    /// The two legs that move `amount` from one account to another.
    pub fn transfer(from: i64, to: i64, amount: Fen) -> Vec<Posting> {
        vec![
            Posting {
                account: from,
                amount: Fen(-amount.0),
            },
            Posting {
                account: to,
                amount,
            },
        ]
    }
}

pub struct Entry<'a> {
    pub key: &'a str,
    pub kind: &'a str,
    pub memo: &'a str,
    pub actor: Option<i64>,
    pub now: i64,
    pub postings: Vec<Posting>,
}

/// What [`post`] did: posted now, or found the same request posted before.
#[derive(Debug, PartialEq, Eq)]
pub enum Posted {
    New(i64),
    Replayed(i64),
}

impl Posted {
    pub fn id(&self) -> i64 {
        match self {
            Posted::New(id) | Posted::Replayed(id) => *id,
        }
    }
}

/// Posts a balanced transaction inside the caller's database transaction, with its audit
/// entry and event. The same key again returns the first transaction without posting, as
/// long as it was for the same kind and amounts.
pub async fn post(tx: &mut Tx, e: Entry<'_>) -> Result<Posted, LedgerError> {
    if e.postings.iter().map(|p| p.amount.0 as i128).sum::<i128>() != 0 || e.postings.len() < 2 {
        return Err(LedgerError::Unbalanced);
    }
    let existing: Option<(i64, String)> =
        sqlx::query_as("SELECT id, kind FROM library_transactions WHERE idempotency_key = $1")
            .bind(e.key)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((id, kind)) = existing {
        let amounts: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT account_id, amount FROM library_postings WHERE transaction_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
        let same = kind == e.kind
            && amounts
                == e.postings
                    .iter()
                    .map(|p| (p.account, p.amount.0))
                    .collect::<Vec<_>>();
        return if same {
            Ok(Posted::Replayed(id))
        } else {
            Err(LedgerError::KeyReused)
        };
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO library_transactions (idempotency_key, kind, memo, actor_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(e.key)
    .bind(e.kind)
    .bind(e.memo)
    .bind(e.actor)
    .bind(e.now)
    .fetch_one(&mut **tx)
    .await?;
    for p in &e.postings {
        // The balance check and the change are one statement: no read-then-write race.
        let changed = sqlx::query(
            "UPDATE library_accounts SET balance = balance + $1 WHERE id = $2 AND (may_go_negative = 1 OR balance + $1 >= 0)",
        )
        .bind(p.amount.0)
        .bind(p.account)
        .execute(&mut **tx)
        .await?;
        if changed.rows_affected() == 0 {
            return Err(LedgerError::InsufficientFunds);
        }
        sqlx::query(
            "INSERT INTO library_postings (transaction_id, account_id, amount) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(p.account)
        .bind(p.amount.0)
        .execute(&mut **tx)
        .await?;
    }
    let detail = serde_json::json!({
        "kind": e.kind,
        "key": e.key,
        "postings": e.postings.iter().map(|p| serde_json::json!([p.account, p.amount.0])).collect::<Vec<_>>(),
    });
    let subject = format!("ledger:{id}");
    audit::append(
        tx,
        audit::Entry {
            at: e.now,
            actor_id: e.actor,
            action: "library.ledger.post",
            subject: &subject,
            detail,
        },
    )
    .await?;
    outbox::emit(
        tx,
        e.now,
        "library.ledger.posted",
        id,
        serde_json::json!({ "kind": e.kind }),
    )
    .await?;
    Ok(Posted::New(id))
}

pub async fn wallet_balance(db: &Db, user: i64) -> sqlx::Result<i64> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT balance FROM library_accounts WHERE kind = 'wallet' AND owner_id = $1",
    )
    .bind(user)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| r.0).unwrap_or(0))
}

#[derive(Debug, serde::Serialize)]
pub struct Line {
    pub transaction: i64,
    pub kind: String,
    pub memo: String,
    pub amount: i64,
    pub at: i64,
}

/// A user's wallet movements, newest first.
pub async fn wallet_lines(db: &Db, user: i64, limit: i64) -> sqlx::Result<Vec<Line>> {
    let rows: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(
        "SELECT t.id, t.kind, t.memo, p.amount, t.created_at FROM library_postings p \
         JOIN library_accounts a ON a.id = p.account_id JOIN library_transactions t ON t.id = p.transaction_id \
         WHERE a.kind = 'wallet' AND a.owner_id = $1 ORDER BY p.id DESC LIMIT $2",
    )
    .bind(user)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(transaction, kind, memo, amount, at)| Line {
            transaction,
            kind,
            memo,
            amount,
            at,
        })
        .collect())
}

/// Every invariant of the ledger; each breach is one readable line.
pub async fn check(db: &Db) -> sqlx::Result<Vec<String>> {
    let mut problems = Vec::new();
    let unbalanced: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT transaction_id, CAST(SUM(amount) AS BIGINT) FROM library_postings GROUP BY transaction_id HAVING SUM(amount) <> 0",
    )
    .fetch_all(&db.pool)
    .await?;
    for (t, sum) in unbalanced {
        problems.push(format!("transaction {t} does not balance (sum {sum})"));
    }
    let empty: Vec<(i64,)> = sqlx::query_as(
        "SELECT t.id FROM library_transactions t WHERE (SELECT COUNT(*) FROM library_postings p WHERE p.transaction_id = t.id) < 2",
    )
    .fetch_all(&db.pool)
    .await?;
    for (t,) in empty {
        problems.push(format!("transaction {t} has fewer than two postings"));
    }
    let drift: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT a.id, a.balance, CAST(COALESCE((SELECT SUM(p.amount) FROM library_postings p WHERE p.account_id = a.id), 0) AS BIGINT) \
         FROM library_accounts a",
    )
    .fetch_all(&db.pool)
    .await?;
    for (a, balance, sum) in drift {
        if balance != sum {
            problems.push(format!(
                "account {a} shows {balance} but its postings sum to {sum}"
            ));
        }
    }
    let negative: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, balance FROM library_accounts WHERE may_go_negative = 0 AND balance < 0",
    )
    .fetch_all(&db.pool)
    .await?;
    for (a, b) in negative {
        problems.push(format!("account {a} is negative ({b})"));
    }
    // The orders agree with the ledger.
    let charged_twice: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT user_id, document_id FROM library_orders WHERE transaction_id IS NOT NULL \
         GROUP BY user_id, document_id HAVING COUNT(*) > 1",
    )
    .fetch_all(&db.pool)
    .await?;
    for (u, d) in charged_twice {
        problems.push(format!(
            "user {u} was charged more than once for document {d}"
        ));
    }
    let credits: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT o.id, o.state, CAST((SELECT COUNT(*) FROM library_transactions t \
         WHERE t.idempotency_key = 'payment:' || CAST(o.id AS TEXT) || ':credit') AS BIGINT) \
         FROM library_payment_orders o WHERE o.purpose = 'topup'",
    )
    .fetch_all(&db.pool)
    .await?;
    for (o, state, n) in credits {
        let want = (state == "paid") as i64;
        if n != want {
            problems.push(format!(
                "top-up order {o} is {state} but was credited {n} time(s)"
            ));
        }
    }
    for (kind, states) in [
        ("refunds_due", "'refund_due'"),
        ("payouts_pending", "'pending'"),
    ] {
        let purpose = if kind == "refunds_due" {
            "topup"
        } else {
            "payout"
        };
        let sql = format!(
            "SELECT CAST(COALESCE((SELECT SUM(balance) FROM library_accounts WHERE kind = '{kind}'), 0) AS BIGINT), \
             CAST(COALESCE((SELECT SUM(amount) FROM library_payment_orders WHERE purpose = '{purpose}' AND state IN ({states})), 0) AS BIGINT)"
        );
        let (balance, orders): (i64, i64) = sqlx::query_as(&sql).fetch_one(&db.pool).await?;
        if balance != orders {
            problems.push(format!(
                "{kind} holds {balance} but its open orders add up to {orders}"
            ));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_parse_and_format() {
        assert_eq!(Fen::parse_yuan("12.3").unwrap(), Fen(1230));
        assert_eq!(Fen::parse_yuan("0.05").unwrap(), Fen(5));
        assert_eq!(Fen::parse_yuan("8").unwrap(), Fen(800));
        for bad in ["", "-1", "1.234", "abc", "0", "0.00", "1e3", "99999999999"] {
            assert!(Fen::parse_yuan(bad).is_err(), "{bad}");
        }
        assert_eq!(Fen(1230).yuan(), "12.30");
        assert_eq!(Fen(-5).yuan(), "-0.05");
    }
}
