//! Accounts, sessions and API tokens, and the login rate limiter.

mod limiter;
mod password;

pub use limiter::LoginLimiter;
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

/// A username: 3–32 letters, digits, `_`, `-`, `.` (or CJK letters), not starting with a dot.
pub fn parse_username(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    let n = name.chars().count();
    if !(3..=32).contains(&n) {
        return Err(crate::bi!(
            "用户名须为 3–32 个字符。",
            "username must be 3 to 32 characters"
        ));
    }
    if name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(crate::bi!(
            "用户名只能包含字母、数字、“_”、“-”和“.”。",
            "username may contain only letters, digits, '_', '-' and '.'"
        ));
    }
    Ok(name.to_string())
}

pub fn check_password_strength(pw: &str) -> Result<(), &'static str> {
    if pw.chars().count() < 8 {
        return Err(crate::bi!(
            "密码至少 8 个字符。",
            "password must be at least 8 characters"
        ));
    }
    if pw.len() > 1024 {
        return Err(crate::bi!("密码太长。", "password is too long"));
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    /// Both languages (`bi!`); shown as "English (中文)" on the command line.
    #[error("{}", crate::web::i18n::both(.0))]
    Invalid(&'static str),
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
    fn token_hash_is_stable_and_not_the_token() {
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert_eq!(token_hash(&t), token_hash(&t));
        assert_ne!(token_hash(&t), t);
    }
}
