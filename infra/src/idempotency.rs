//! Idempotency keys: a POST retried with the same `Idempotency-Key` gets the first answer
//! instead of acting twice. The key is reserved before the action runs (so a concurrent retry
//! waits its turn or is told the first is still running) and completed with the response.
//!
//! A key belongs to one caller (it is stored under the account) and one request: its method,
//! its path and a SHA-256 of its body (the [`fingerprint`]). The same key sent again with
//! another body or to another path is refused rather than answered with a stale reply.

use crate::entities::idempotency_key as ik;
use crate::error::Result;
use chrono::{DateTime, Duration, Utc};
use domain::Code;
use domain::DomainError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use uuid::Uuid;

/// A reservation left pending this long is taken to be abandoned (the first try crashed).
const ABANDONED_AFTER_SECONDS: i64 = 60;

/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 200;

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// First time: run it, then [`complete`] or [`release`].
    Run,
    /// Seen before: send this status and JSON body again.
    Replay(u16, String),
    /// The key is not 1 to [`MAX_KEY_LEN`] visible ASCII characters (`invalid_idempotency_key`).
    InvalidKey,
    /// The caller used this key for another request: another method, path or body
    /// (`idempotency_key_reused`).
    KeyReused,
}

/// Whether `key` is 1 to [`MAX_KEY_LEN`] visible ASCII characters (no spaces).
#[must_use]
pub fn is_valid_key(key: &[u8]) -> bool {
    (1..=MAX_KEY_LEN).contains(&key.len()) && key.iter().all(u8::is_ascii_graphic)
}

/// What a key is bound to: the method, the path and a SHA-256 of the body, e.g.
/// `POST /api/v1/complaints sha256:9f86…`.
#[must_use]
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut out = format!("{method} {path} sha256:");
    for byte in Sha256::digest(body) {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Reserves `key` for `account` and the request `fingerprint` (see [`fingerprint`]).
///
/// # Errors
/// `request_in_progress` (409) while the first try is still running; database errors.
pub async fn reserve(
    db: &DatabaseConnection,
    account: Uuid,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Reservation> {
    if !is_valid_key(key.as_bytes()) {
        return Ok(Reservation::InvalidKey);
    }
    let inserted = ik::Entity::insert(ik::ActiveModel {
        account_id: Set(account),
        key: Set(key.to_owned()),
        fingerprint: Set(fingerprint.to_owned()),
        status_code: Set(0),
        body: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await;
    if inserted.is_ok() {
        return Ok(Reservation::Run);
    }
    let Some(found) = ik::Entity::find_by_id((account, key.to_owned())).one(db).await? else {
        // The insert failed for another reason than a duplicate key.
        inserted?;
        return Ok(Reservation::Run);
    };
    if found.fingerprint != fingerprint {
        return Ok(Reservation::KeyReused);
    }
    match (found.status_code, found.body) {
        (code, Some(body)) if code > 0 => Ok(Reservation::Replay(u16::try_from(code).unwrap_or(200), body)),
        _ if now - found.created_at > Duration::seconds(ABANDONED_AFTER_SECONDS) => {
            ik::Entity::update_many()
                .col_expr(ik::Column::CreatedAt, Expr::value(now))
                .filter(ik::Column::AccountId.eq(account))
                .filter(ik::Column::Key.eq(key))
                .exec(db)
                .await?;
            Ok(Reservation::Run)
        }
        _ => Err(DomainError::Conflict { code: Code::RequestInProgress }.into()),
    }
}

/// Stores the response of a request that ran.
///
/// # Errors
/// Database errors.
pub async fn complete(db: &DatabaseConnection, account: Uuid, key: &str, status: u16, body: String) -> Result<()> {
    ik::Entity::update_many()
        .col_expr(ik::Column::StatusCode, Expr::value(i32::from(status)))
        .col_expr(ik::Column::Body, Expr::value(Some(body)))
        .filter(ik::Column::AccountId.eq(account))
        .filter(ik::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Frees a key whose request failed without changing anything, so that a retry runs again.
///
/// # Errors
/// Database errors.
pub async fn release(db: &DatabaseConnection, account: Uuid, key: &str) -> Result<()> {
    ik::Entity::delete_many()
        .filter(ik::Column::AccountId.eq(account))
        .filter(ik::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_names_the_method_the_path_and_the_body_digest() {
        assert_eq!(
            fingerprint("POST", "/api/v1/complaints", b"abc"),
            "POST /api/v1/complaints sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn keys_are_one_to_two_hundred_visible_ascii_characters() {
        assert!(is_valid_key(b"retry-1"));
        assert!(is_valid_key("k".repeat(200).as_bytes()));
        assert!(!is_valid_key("k".repeat(201).as_bytes()));
        assert!(!is_valid_key(b""));
        assert!(!is_valid_key(b"two words"));
        assert!(!is_valid_key("café".as_bytes()));
    }
}
