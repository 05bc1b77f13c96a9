//! Every use case, built once over one pool, one gate and one clock. The JSON API and the
//! portal both hold this, so a page and an endpoint run the same code and the same checks.

use crate::access::Access;
use crate::accounts::Accounts;
use crate::actor::ActorCache;
use crate::appointments::Appointments;
use crate::authz::{Authorizer, Gate};
use crate::complaints::Complaints;
use crate::delivery::Channels;
use crate::meetings::Meetings;
use crate::notifications::Notifications;
use crate::oversight::Oversight;
use crate::registry::Registry;
use domain::clock::Clock;
use domain::complaint::DeadlineRules;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// What the use cases are built with.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// How long a session lasts.
    pub session_ttl: chrono::Duration,
    /// How long a signed-in actor is cached (see [`ActorCache`]).
    pub actor_cache_ttl: std::time::Duration,
    /// The longest term of a cross-appointment, in years.
    pub max_appointment_years: u32,
    /// Complaint deadlines.
    pub deadlines: DeadlineRules,
    /// A rate over fewer cases reads "样本不足"; a company with fewer is left off the boards.
    pub min_sample: u64,
    /// How long before a deadline its reminder goes out.
    pub reminder_leads: domain::notification::ReminderLeads,
}

/// Shared, cheap to clone; holds no state two replicas could disagree on.
#[derive(Clone)]
pub struct Services {
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
    /// Oversight: figures, scorecards, appeals, boards.
    pub oversight: Oversight,
    /// Joint meetings and their tasks.
    pub meetings: Meetings,
    /// Each person's inbox.
    pub notifications: Notifications,
    /// Organizations' delivery channels.
    pub channels: Channels,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

impl Services {
    /// Builds every use case over `db` with the policy `authz`.
    #[must_use]
    pub fn new(
        db: DatabaseConnection,
        authz: Arc<Authorizer>,
        clock: Arc<dyn Clock>,
        settings: &ServiceSettings,
    ) -> Self {
        let actors = Arc::new(ActorCache::new(settings.actor_cache_ttl));
        let accounts = Accounts::new(db.clone(), clock.clone(), settings.session_ttl, actors.clone());
        let gate = Gate::new(authz, db.clone(), clock.clone(), actors);
        Self {
            accounts,
            access: Access::new(db.clone(), gate.clone(), clock.clone()),
            registry: Registry::new(db.clone(), gate.clone(), clock.clone()),
            appointments: Appointments::new(db.clone(), gate.clone(), clock.clone(), settings.max_appointment_years),
            meetings: Meetings::new(db.clone(), gate.clone(), clock.clone()),
            notifications: Notifications::new(db.clone(), gate.clone(), clock.clone(), settings.reminder_leads),
            channels: Channels::new(db.clone(), gate.clone(), clock.clone()),
            oversight: Oversight::new(db.clone(), gate.clone(), clock.clone(), settings.min_sample),
            complaints: Complaints::new(db.clone(), gate, clock.clone(), settings.deadlines),
            db,
            clock,
        }
    }
}
