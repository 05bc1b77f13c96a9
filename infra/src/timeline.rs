//! The timelines of records that move through states (complaints, cross-appointments, and the
//! contexts to come): one way to append an event, written in the transaction of the change it
//! records, so a state and its history never disagree.

use crate::actor::Actor;
use crate::entities::{complaint_event, cross_appointment_event};
use crate::error::Result;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// The record whose timeline an event joins.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// A complaint's timeline.
    Complaint(Uuid),
    /// A cross-appointment's history.
    CrossAppointment(Uuid),
}

/// One event: who (nobody for the system), acting as which binding, which action, from and to
/// which state, the note or reason, and what the action carried (a rating, a department...).
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub actor: Option<&'a Actor>,
    pub acting_as: &'a str,
    pub action: &'static str,
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub note: Option<String>,
    pub detail: Option<String>,
}

/// Appends an event to a timeline, inside the caller's transaction.
///
/// # Errors
/// Database errors.
pub async fn append<C: ConnectionTrait>(
    conn: &C,
    stream: Stream,
    event: NewEvent<'_>,
    at: DateTime<Utc>,
) -> Result<()> {
    let person = event.actor.map(|a| a.person_id.0);
    let account = event.actor.map(|a| a.account_id.0);
    match stream {
        Stream::Complaint(complaint) => {
            complaint_event::Entity::insert(complaint_event::ActiveModel {
                id: Set(Uuid::now_v7()),
                complaint_id: Set(complaint),
                at: Set(at),
                actor_person_id: Set(person),
                actor_account_id: Set(account),
                acting_as: Set(event.acting_as.to_owned()),
                action: Set(event.action.to_owned()),
                from_status: Set(event.from.map(ToOwned::to_owned)),
                to_status: Set(event.to.to_owned()),
                note: Set(event.note),
                detail: Set(event.detail),
            })
            .exec_without_returning(conn)
            .await?;
        }
        Stream::CrossAppointment(appointment) => {
            cross_appointment_event::Entity::insert(cross_appointment_event::ActiveModel {
                id: Set(Uuid::now_v7()),
                appointment_id: Set(appointment),
                at: Set(at),
                account_id: Set(account),
                person_id: Set(person),
                acting_as: Set(event.acting_as.to_owned()),
                action: Set(event.action.to_owned()),
                from_status: Set(event.from.map(ToOwned::to_owned)),
                to_status: Set(event.to.to_owned()),
                note: Set(match (event.note, event.detail) {
                    (Some(n), Some(d)) => Some(format!("{n} ({d})")),
                    (n, d) => n.or(d),
                }),
            })
            .exec_without_returning(conn)
            .await?;
        }
    }
    Ok(())
}
