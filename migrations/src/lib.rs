//! Database migrations. The same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_registry;
mod m20261128_000002_create_cross_appointments;
mod m20261128_000003_create_complaints;
mod m20261201_000004_separation_of_duties;
mod m20261201_000005_one_event_log;
mod m20261201_000006_oversight;
mod m20261201_000007_joint_meetings;
mod m20261201_000008_notifications;
mod m20261201_000009_channels;

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_registry::Migration),
            Box::new(m20261128_000002_create_cross_appointments::Migration),
            Box::new(m20261128_000003_create_complaints::Migration),
            Box::new(m20261201_000004_separation_of_duties::Migration),
            Box::new(m20261201_000005_one_event_log::Migration),
            Box::new(m20261201_000006_oversight::Migration),
            Box::new(m20261201_000007_joint_meetings::Migration),
            Box::new(m20261201_000008_notifications::Migration),
            Box::new(m20261201_000009_channels::Migration),
        ]
    }
}
