//! The one event log: the timelines of records that move through states (complaints,
//! cross-appointments, and the contexts to come). One way to append an event, written in the
//! transaction of the change it records, so a state and its history never disagree; one way to
//! read a record's timeline.

use crate::actor::Actor;
use crate::entities::event;
use crate::error::Result;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// The record whose timeline an event joins.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// A complaint's timeline.
    Complaint(Uuid),
    /// A cross-appointment's history.
    CrossAppointment(Uuid),
    /// A published scorecard's history: publication, appeals, decisions.
    Scorecard(Uuid),
    /// A joint meeting's history: convened, edited, held, recorded, resolved, published...
    Meeting(Uuid),
    /// A meeting task's history (also shown on its complaint's timeline).
    MeetingTask(Uuid),
    /// A delivery channel: only its notices name it (its changes are in the audit log).
    Channel(Uuid),
}

impl Stream {
    /// The kind of record, as stored in `events.stream`.
    #[must_use]
    pub const fn kind(self) -> &'static str {
        match self {
            Self::Complaint(_) => "complaint",
            Self::CrossAppointment(_) => "cross_appointment",
            Self::Scorecard(_) => "scorecard",
            Self::Meeting(_) => "meeting",
            Self::MeetingTask(_) => "meeting_task",
            Self::Channel(_) => "channel",
        }
    }

    /// The record.
    #[must_use]
    pub const fn id(self) -> Uuid {
        match self {
            Self::Complaint(id)
            | Self::CrossAppointment(id)
            | Self::Scorecard(id)
            | Self::Meeting(id)
            | Self::MeetingTask(id)
            | Self::Channel(id) => id,
        }
    }
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
    append_all(conn, [(stream, event, at)]).await
}

/// Appends several events (of one record or of many written together) in one statement,
/// inside the caller's transaction.
///
/// # Errors
/// Database errors.
pub async fn append_all<'a, C: ConnectionTrait>(
    conn: &C,
    events: impl IntoIterator<Item = (Stream, NewEvent<'a>, DateTime<Utc>)>,
) -> Result<()> {
    let rows: Vec<event::ActiveModel> = events
        .into_iter()
        .map(|(stream, event, at)| event::ActiveModel {
            id: Set(Uuid::now_v7()),
            stream: Set(stream.kind().to_owned()),
            stream_id: Set(stream.id()),
            at: Set(at),
            actor_person_id: Set(event.actor.map(|a| a.person_id.0)),
            actor_account_id: Set(event.actor.map(|a| a.account_id.0)),
            acting_as: Set(event.acting_as.to_owned()),
            action: Set(event.action.to_owned()),
            from_status: Set(event.from.map(ToOwned::to_owned)),
            to_status: Set(event.to.to_owned()),
            note: Set(event.note),
            detail: Set(event.detail),
        })
        .collect();
    crate::db::insert_all(conn, rows).await?;
    Ok(())
}

/// A record's timeline, oldest first (event ids are time-ordered).
///
/// # Errors
/// Database errors.
pub async fn read<C: ConnectionTrait>(conn: &C, stream: Stream) -> Result<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::StreamId.eq(stream.id()))
        .filter(event::Column::Stream.eq(stream.kind()))
        .order_by_asc(event::Column::Id)
        .all(conn)
        .await?)
}
