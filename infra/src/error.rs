//! The error of every use case: a domain refusal, an authorization refusal, or a failure
//! of the machinery underneath.

use chrono::{DateTime, Utc};
use domain::Code;
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
    Unauthenticated(Code),
    /// Too many failed logins; the account is locked until the given time.
    #[error("account locked until {0}")]
    Locked(DateTime<Utc>),
    /// The caller may not do this here.
    #[error("forbidden")]
    Forbidden,
    /// The database cannot be reached right now.
    #[error("database unavailable")]
    Unavailable(#[source] DbErr),
    /// The database failed in a way nobody expects: logged whole with its sources, shown
    /// generically.
    #[error("database error")]
    Database(#[source] DbErr),
    /// A broken invariant or a failure outside the database, described. Logged whole, shown
    /// generically.
    #[error("unexpected: {0}")]
    Unexpected(String),
}

impl Error {
    /// The stable code a person is told, whatever shows it (the API's problem body, a page).
    /// Failures of the machinery are logged where they are shown; their code says nothing more.
    #[must_use]
    pub fn code(&self) -> Code {
        match self {
            Self::Domain(DomainError::Validation(_)) => Code::ValidationFailed,
            Self::Domain(DomainError::NotFound { .. }) => Code::NotFound,
            Self::Domain(DomainError::Conflict { code }) | Self::Unauthenticated(code) => *code,
            Self::Domain(DomainError::InvalidTransition { .. }) => Code::InvalidTransition,
            Self::Domain(DomainError::StaleVersion { .. }) => Code::StaleVersion,
            Self::Domain(DomainError::AlreadyEnded { .. }) => Code::AlreadyEnded,
            Self::Locked(_) => Code::AccountLocked,
            Self::Forbidden => Code::Forbidden,
            Self::Unavailable(_) => Code::DatabaseUnavailable,
            Self::Database(_) | Self::Unexpected(_) => Code::InternalError,
        }
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(message)) => {
                return Self::Domain(DomainError::Conflict { code: unique_violation(&message) });
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                return Self::Domain(DomainError::Conflict { code: Code::ReferencedRecordMissing });
            }
            _ => {}
        }
        match err {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => Self::Unavailable(err),
            DbErr::Exec(ref inner) | DbErr::Query(ref inner) if is_connection_failure(&inner.to_string()) => {
                Self::Unavailable(err)
            }
            other => Self::Database(other),
        }
    }
}

/// Which unique rule a duplicate broke, from the constraint named in the database's message:
/// SQLite says `UNIQUE constraint failed: accounts.username`, PostgreSQL names the
/// constraint `accounts_username_key` (or the index, `ux_<table>_<column>`).
fn unique_violation(message: &str) -> Code {
    const RULES: &[(&str, &str, Code)] = &[
        ("accounts", "username", Code::UsernameTaken),
        ("accounts", "person_id", Code::PersonHasAccount),
        ("communities", "code", Code::CommunityCodeTaken),
        ("property_companies", "credit_code", Code::CreditCodeTaken),
        ("property_companies", "name_key", Code::CompanyNameTaken),
        ("departments", "name", Code::DepartmentNameTaken),
        ("scorecards", "edition", Code::AlreadyPublished),
        ("scorecard_appeals", "scorecard_id", Code::AppealPending),
    ];
    RULES
        .iter()
        .find(|(table, column, _)| {
            message.contains(&format!("{table}.{column}"))
                || message.contains(&format!("{table}_{column}_key"))
                || message.contains(&format!("ux_{table}_{column}"))
        })
        .map_or(Code::AlreadyExists, |(_, _, code)| *code)
}

/// sqlx reports a dropped connection as an IO or protocol error inside a query error.
fn is_connection_failure(message: &str) -> bool {
    ["connection refused", "broken pipe", "connection reset", "error communicating with database", "pool timed out"]
        .iter()
        .any(|needle| message.to_ascii_lowercase().contains(needle))
}

/// A shorthand for use case results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
