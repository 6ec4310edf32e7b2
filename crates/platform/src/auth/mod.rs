//! Accounts, sessions and API tokens, and the login rate limiter.

mod limiter;
mod password;

pub use limiter::{LoginLimiter, RateLimit};
pub use password::{hash_password, verify_password};

use crate::db::Db;
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Moderator,
    Member,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "moderator" => Some(Role::Moderator),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Moderator => "moderator",
            Role::Member => "member",
        }
    }
    /// Admins and moderators review other people's uploads.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Moderator)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

/// A rule a new username or password breaks: a bad field (`Code::InvalidField`) with a
/// message in both languages (`bi!`; a page shows the reader's half, `lang.msg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid(pub &'static str);

impl From<Invalid> for crate::web::AppError {
    fn from(rule: Invalid) -> Self {
        crate::web::AppError::coded(crate::web::Code::InvalidField, rule.0)
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::web::i18n::both(self.0))
    }
}

/// A username: 3–32 letters, digits, `_`, `-`, `.` (or CJK letters), not starting with a dot.
pub fn parse_username(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    let n = name.chars().count();
    if !(3..=32).contains(&n) {
        return Err(Invalid(crate::bi!(
            "用户名需要 3 到 32 个字符。",
            "username must be 3 to 32 characters"
        )));
    }
    if name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(Invalid(crate::bi!(
            "用户名只能包含文字、数字、“_”、“-”和“.”，且不能以“.”开头。",
            "username may contain only letters, digits, '_', '-' and '.'"
        )));
    }
    Ok(name.to_string())
}

pub fn check_password_strength(pw: &str) -> Result<(), Invalid> {
    if pw.chars().count() < 8 {
        return Err(Invalid(crate::bi!(
            "密码至少需要 8 个字符。",
            "password must be at least 8 characters"
        )));
    }
    if pw.len() > 1024 {
        return Err(Invalid(crate::bi!("密码太长。", "password is too long")));
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("{0}")]
    Invalid(Invalid),
    #[error("this username is taken")]
    Taken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub async fn create_user(
    db: &Db,
    now: i64,
    username: &str,
    password: &str,
    role: Role,
) -> Result<User, CreateUserError> {
    let username = parse_username(username).map_err(CreateUserError::Invalid)?;
    check_password_strength(password).map_err(CreateUserError::Invalid)?;
    let hash = hash_password(password.to_string()).await;
    let res: Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO platform_users (username, display_name, password_hash, role, created_at) \
         VALUES ($1, $1, $2, $3, $4) RETURNING id",
    )
    .bind(&username)
    .bind(&hash)
    .bind(role.as_str())
    .bind(now)
    .fetch_one(&db.pool)
    .await;
    match res {
        Ok((id,)) => Ok(User {
            id,
            display_name: username.clone(),
            username,
            role,
        }),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(CreateUserError::Taken),
        Err(e) => Err(e.into()),
    }
}

type UserRow = (i64, String, String, String);

fn user_from_row((id, username, display_name, role): UserRow) -> User {
    User {
        id,
        username,
        display_name,
        role: Role::parse(&role).unwrap_or(Role::Member),
    }
}

pub async fn find_user(db: &Db, id: i64) -> sqlx::Result<Option<User>> {
    let row: Option<UserRow> =
        sqlx::query_as("SELECT id, username, display_name, role FROM platform_users WHERE id = $1 AND disabled = 0")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(user_from_row))
}

/// Checks a password. Always runs one Argon2 verification, even for unknown users,
/// so timing does not reveal which usernames exist.
pub async fn authenticate(db: &Db, username: &str, password: &str) -> sqlx::Result<Option<User>> {
    let row: Option<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT id, username, display_name, role, password_hash FROM platform_users WHERE username = $1 AND disabled = 0",
    )
    .bind(username.trim())
    .fetch_optional(&db.pool)
    .await?;
    let (hash, user) = match row {
        Some((id, u, d, r, h)) => (h, Some(user_from_row((id, u, d, r)))),
        None => (password::DUMMY_HASH.to_string(), None),
    };
    let ok = verify_password(password.to_string(), hash).await;
    Ok(if ok { user } else { None })
}

pub fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Only a hash of each token is stored: a leaked database does not leak live sessions.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

pub async fn create_session(
    db: &Db,
    now: i64,
    user_id: i64,
    kind: SessionKind,
    days: i64,
) -> sqlx::Result<String> {
    let token = new_token();
    sqlx::query("INSERT INTO platform_sessions (token_hash, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(if kind == SessionKind::Web { "web" } else { "api" })
        .bind(now)
        .bind(now + days * 86_400_000)
        .execute(&db.pool)
        .await?;
    Ok(token)
}

pub async fn session_user(db: &Db, now: i64, token: &str) -> sqlx::Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.role FROM platform_sessions s \
         JOIN platform_users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
    )
    .bind(token_hash(token))
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(user_from_row))
}

/// Whether `password` is the current password of account `user_id`.
pub async fn check_password(db: &Db, user_id: i64, password: &str) -> sqlx::Result<bool> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT password_hash FROM platform_users WHERE id = $1 AND disabled = 0")
            .bind(user_id)
            .fetch_optional(&db.pool)
            .await?;
    let hash = row.map_or_else(|| password::DUMMY_HASH.to_string(), |(h,)| h);
    Ok(verify_password(password.to_string(), hash).await)
}

/// Stores a new password hash and signs the account out of every session but `keep` (the
/// one the change was made from, if any), inside the caller's transaction so the audit
/// entry commits with it. Returns how many sessions were ended.
pub async fn replace_password(
    tx: &mut crate::db::Tx,
    user_id: i64,
    hash: &str,
    keep: Option<&str>,
) -> sqlx::Result<u64> {
    sqlx::query("UPDATE platform_users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    let keep = keep.map(token_hash).unwrap_or_default();
    let ended =
        sqlx::query("DELETE FROM platform_sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&mut **tx)
            .await?;
    Ok(ended.rows_affected())
}

/// A password to hand over once: 16 characters without look-alikes (0/O, 1/l/I).
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

pub async fn end_session(db: &Db, token: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM platform_sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_parsed() {
        assert!(parse_username("ab").is_err());
        assert!(parse_username("a b c").is_err());
        assert!(parse_username(".hidden").is_err());
        assert_eq!(parse_username("  张三_01 ").unwrap(), "张三_01");
    }

    #[test]
    fn generated_passwords_are_strong_and_differ() {
        let a = generate_password();
        assert_eq!(a.chars().count(), 16);
        assert!(check_password_strength(&a).is_ok());
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']));
        assert_ne!(a, generate_password());
    }

    #[test]
    fn token_hash_is_stable_and_not_the_token() {
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert_eq!(token_hash(&t), token_hash(&t));
        assert_ne!(token_hash(&t), t);
    }
}
