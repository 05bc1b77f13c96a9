//! What every request handler can reach.

use domain::clock::Clock;
use infra::access::Access;
use infra::accounts::Accounts;
use infra::appointments::Appointments;
use infra::complaints::Complaints;
use infra::registry::Registry;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Shared, cheap to clone; holds no state two replicas could disagree on.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// Accounts and sessions.
    pub accounts: Accounts,
    /// Accounts made by administrators, `explain` and the audit log.
    pub access: Access,
    /// Registry use cases.
    pub registry: Registry,
    /// Cross-appointment use cases.
    pub appointments: Appointments,
    /// Complaint use cases.
    pub complaints: Complaints,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}
