//! The error of every use case: a domain refusal, an authorization refusal, or a failure
//! of the machinery underneath.

use chrono::{DateTime, Utc};
use domain::DomainError;
use sea_orm::{DbErr, SqlErr};

/// What a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The domain refused (validation, not found, conflict...).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// No valid session (missing, unknown, expired or revoked token), or bad credentials.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// Too many failed logins; the account is locked until the given time.
    #[error("account locked until {0}")]
    Locked(DateTime<Utc>),
    /// The caller may not do this here.
    #[error("forbidden")]
    Forbidden,
    /// The database cannot be reached right now.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or an unexpected failure. Logged whole, shown generically.
    #[error("unexpected: {0}")]
    Unexpected(String),
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                return Self::Domain(DomainError::Conflict { code: "already_exists" });
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                return Self::Domain(DomainError::Conflict { code: "referenced_record_missing" });
            }
            _ => {}
        }
        match err {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => Self::Unavailable(err.to_string()),
            DbErr::Exec(ref inner) | DbErr::Query(ref inner) if is_connection_failure(&inner.to_string()) => {
                Self::Unavailable(err.to_string())
            }
            other => Self::Unexpected(other.to_string()),
        }
    }
}

/// sqlx reports a dropped connection as an IO or protocol error inside a query error.
fn is_connection_failure(message: &str) -> bool {
    ["connection refused", "broken pipe", "connection reset", "error communicating with database", "pool timed out"]
        .iter()
        .any(|needle| message.to_ascii_lowercase().contains(needle))
}

/// A shorthand for use case results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
