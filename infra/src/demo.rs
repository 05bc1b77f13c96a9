//! The demo county: realistic Chinese data for trying the service.

use crate::error::Result;
use domain::clock::Clock;
use sea_orm::DatabaseConnection;

/// Every demo account's password.
pub const PASSWORD: &str = "demo12345";

/// Seeds the demo county when the database has no communities yet.
///
/// # Errors
/// Database errors.
pub async fn seed_if_empty(_db: &DatabaseConnection, _clock: &dyn Clock) -> Result<bool> {
    Ok(false)
}
