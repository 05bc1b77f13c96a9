//! One event log for every record that moves through states: complaints, cross-appointments
//! and the contexts to come (meetings, scorecards). A row names its stream (the kind of record)
//! and the record; the two tables that held the timelines until now are copied in and dropped.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{pk_uuid, string, string_null, text_null, timestamp_with_time_zone, uuid, uuid_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000005_one_event_log"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("events")
                    .col(pk_uuid("id"))
                    .col(string("stream"))
                    .col(uuid("stream_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(uuid_null("actor_person_id"))
                    .col(uuid_null("actor_account_id"))
                    .col(string("acting_as"))
                    .col(string("action"))
                    .col(string_null("from_status"))
                    .col(string("to_status"))
                    .col(text_null("note"))
                    .col(text_null("detail"))
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        conn.execute_unprepared(
            "INSERT INTO events (id, stream, stream_id, at, actor_person_id, actor_account_id, acting_as, action, \
             from_status, to_status, note, detail) \
             SELECT id, 'complaint', complaint_id, at, actor_person_id, actor_account_id, acting_as, action, \
             from_status, to_status, note, detail FROM complaint_events",
        )
        .await?;
        conn.execute_unprepared(
            "INSERT INTO events (id, stream, stream_id, at, actor_person_id, actor_account_id, acting_as, action, \
             from_status, to_status, note, detail) \
             SELECT id, 'cross_appointment', appointment_id, at, person_id, account_id, acting_as, action, \
             from_status, to_status, note, NULL FROM cross_appointment_events",
        )
        .await?;
        for table in ["complaint_events", "cross_appointment_events"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        // A timeline is read by record in id order (ids are time-ordered); oversight counts by
        // stream, action and time.
        for (name, cols) in [
            ("ix_events_stream_id_id", &["stream_id", "id"][..]),
            ("ix_events_stream_action_at", &["stream", "action", "at"][..]),
        ] {
            let mut ix = Index::create();
            ix.name(name).table("events");
            for c in cols {
                ix.col(*c);
            }
            manager.create_index(ix.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("the one event log cannot be split back into two tables".to_owned()))
    }
}
