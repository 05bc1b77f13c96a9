//! Storage, authorization and the use cases that need both: sea-orm repositories over
//! SQLite or PostgreSQL, the casbin enforcer with role bindings from the registry, the
//! audit log, accounts and sessions, settings and the clock.

pub mod access;
pub mod accounts;
pub mod actor;
pub mod appointments;
pub mod audit;
pub mod authz;
pub mod clock;
pub mod complaints;
pub mod csv;
pub mod db;
pub mod delivery;
pub mod demo;
mod entities;
pub mod error;
pub mod export;
pub mod group_commit;
pub mod idempotency;
pub mod in_force;
pub mod meetings;
pub mod notifications;
pub mod oversight;
pub mod paging;
pub mod registry;
pub mod services;
pub mod timeline;

pub use error::Error;
