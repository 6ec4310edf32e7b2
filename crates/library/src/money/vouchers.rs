//! Vouchers (兑换码): an operator issues codes worth an amount; a user redeems one once.

use super::ledger::{self, AccountKind, Entry, Fen, LedgerError, Posting};
use platform::AppState;
use sha2::{Digest, Sha256};

/// Letters and digits that cannot be confused when read aloud or typed (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

pub fn new_code() -> String {
    let bytes = hex::decode(platform::auth::new_token()).expect("hex token");
    let chars: Vec<char> = bytes
        .iter()
        .take(16)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Upper case without separators or spaces, so "abcd-efgh …" and "ABCDEFGH…" are one code.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn hash(code: &str) -> String {
    hex::encode(Sha256::digest(normalise(code).as_bytes()))
}

/// The most codes one batch creates.
pub const MAX_BATCH: usize = 500;

/// A batch size an operator asked for, if it is one we make.
pub fn batch_size(count: usize) -> crate::error::LibResult<usize> {
    if (1..=MAX_BATCH).contains(&count) {
        Ok(count)
    } else {
        Err(crate::error::LibraryError::BadField(format!(
            "`count` must be between 1 and {MAX_BATCH}"
        )))
    }
}

/// One issued voucher as operators see it (the code itself is never stored).
#[derive(Debug, serde::Serialize)]
pub struct Issued {
    pub id: i64,
    pub amount: i64,
    pub created_at: i64,
    pub redeemed_at: Option<i64>,
    pub redeemed_by: Option<String>,
}

/// id, amount, created at, redeemed at, redeemed by.
type IssuedRow = (i64, i64, i64, Option<i64>, Option<String>);

/// The latest vouchers, newest first.
pub async fn list(db: &platform::db::Db, limit: i64) -> sqlx::Result<Vec<Issued>> {
    let rows: Vec<IssuedRow> = sqlx::query_as(
        "SELECT v.id, v.amount, v.created_at, v.redeemed_at, u.display_name FROM library_vouchers v \
         LEFT JOIN platform_users u ON u.id = v.redeemed_by ORDER BY v.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, amount, created_at, redeemed_at, redeemed_by)| Issued {
                id,
                amount,
                created_at,
                redeemed_at,
                redeemed_by,
            },
        )
        .collect())
}

pub async fn issue(
    state: &AppState,
    admin: i64,
    amount: Fen,
    count: usize,
) -> Result<Vec<String>, LedgerError> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let mut codes = Vec::with_capacity(count);
    for _ in 0..count {
        let code = new_code();
        sqlx::query("INSERT INTO library_vouchers (code_hash, amount, created_by, created_at) VALUES ($1, $2, $3, $4)")
            .bind(hash(&code))
            .bind(amount.0)
            .bind(admin)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        codes.push(code);
    }
    let detail = serde_json::json!({ "count": count, "amount": amount.0 });
    platform::audit::append(
        &mut tx,
        platform::audit::Entry {
            at: now,
            actor_id: Some(admin),
            action: "library.vouchers.issue",
            subject: "vouchers",
            detail,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    #[error("this voucher code does not exist or has been used")]
    Invalid,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl From<sqlx::Error> for RedeemError {
    fn from(e: sqlx::Error) -> Self {
        RedeemError::Ledger(e.into())
    }
}

/// Marks the voucher used and credits the wallet, in one transaction: a code pays once.
pub async fn redeem(state: &AppState, user: i64, code: &str) -> Result<Fen, RedeemError> {
    if normalise(code).len() != 16 {
        return Err(RedeemError::Invalid);
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE library_vouchers SET redeemed_by = $1, redeemed_at = $2 WHERE code_hash = $3 AND redeemed_by IS NULL \
         RETURNING id, amount",
    )
    .bind(user)
    .bind(now)
    .bind(hash(code))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((voucher, amount)) = row else {
        return Err(RedeemError::Invalid);
    };
    let wallet = ledger::account(&mut tx, AccountKind::Wallet, Some(user), now).await?;
    let issuance = ledger::account(&mut tx, AccountKind::VoucherIssuance, None, now).await?;
    ledger::post(
        &mut tx,
        Entry {
            key: &format!("voucher:{voucher}"),
            kind: "voucher",
            memo: "兑换码充值",
            actor: Some(user),
            now,
            postings: Posting::transfer(issuance, wallet, Fen(amount)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Fen(amount))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_normalised() {
        let c = new_code();
        assert_eq!(c.len(), 19);
        assert!(
            c.chars()
                .all(|ch| ch == '-' || ALPHABET.contains(&(ch as u8)))
        );
        assert_eq!(hash(&c), hash(&c.to_lowercase().replace('-', " ")));
        assert_ne!(new_code(), new_code());
    }
}
