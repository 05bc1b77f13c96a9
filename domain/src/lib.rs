//! The joint-building coordination domain: organizations and people (the registry),
//! who may act where (authorization vocabulary and role bindings), and the rules that
//! hold whatever the storage or transport. No IO and no framework types live here.

pub mod appointment;
pub mod authz;
pub mod clock;
pub mod complaint;
pub mod error;
pub mod ids;
pub mod registry;

pub use error::{DomainError, FieldError};
