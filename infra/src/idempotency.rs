//! Idempotency keys: a POST retried with the same `Idempotency-Key` gets the first answer
//! instead of acting twice. The key is reserved before the action runs (so a concurrent retry
//! waits its turn or is told the first is still running) and completed with the response.

use domain::Code;
use crate::entities::idempotency_key as ik;
use crate::error::Result;
use chrono::{DateTime, Duration, Utc};
use domain::DomainError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

/// A reservation left pending this long is taken to be abandoned (the first try crashed).
const ABANDONED_AFTER_SECONDS: i64 = 60;

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// First time: run it, then [`complete`] or [`release`].
    Run,
    /// Seen before: send this status and JSON body again.
    Replay(u16, String),
}

fn valid(key: &str) -> bool {
    (1..=128).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic())
}

/// Reserves `key` for `account` and the request `fingerprint` (method and path).
///
/// # Errors
/// `invalid_idempotency_key`; `idempotency_key_reused` when the key was used for another
/// request; `request_in_progress` (409) while the first try is still running; database errors.
pub async fn reserve(
    db: &DatabaseConnection,
    account: Uuid,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Reservation> {
    if !valid(key) {
        return Err(DomainError::field("Idempotency-Key", Code::InvalidIdempotencyKey).into());
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
        return Err(DomainError::field("Idempotency-Key", Code::IdempotencyKeyReused).into());
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
