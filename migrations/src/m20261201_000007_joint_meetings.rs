//! Joint meetings (联席会议): the meeting, its invitees and their attendance, its agenda with
//! minutes, its resolutions, the tasks they assign, and amendments to a published record.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    date, integer, pk_uuid, string, string_null, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null, uuid, uuid_null,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000007_joint_meetings"
    }
}

fn fk(table: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(format!("fk_{table}_{column}")).from(table, column).to(to, "id").to_owned()
}

async fn index(manager: &SchemaManager<'_>, name: &str, table: &str, cols: &[&'static str]) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table.to_owned());
    for col in cols {
        index.col(*col);
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("meetings")
                    .col(pk_uuid("id"))
                    .col(uuid("community_id"))
                    .col(string("title"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(string("place"))
                    .col(string("status"))
                    .col(uuid("convener_id"))
                    .col(uuid("convened_by"))
                    .col(text_null("cancel_reason"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(uuid_null("published_by"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("meetings", "community_id", "communities"))
                    .foreign_key(&mut fk("meetings", "convener_id", "people"))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_meetings_community_starts", "meetings", &["community_id", "starts_at"]).await?;
        manager
            .create_table(
                Table::create()
                    .table("meeting_invitees")
                    .col(pk_uuid("id"))
                    .col(uuid("meeting_id"))
                    .col(integer("position"))
                    .col(string_null("org_kind"))
                    .col(uuid_null("org_id"))
                    .col(uuid_null("person_id"))
                    .col(string_null("attendance"))
                    .col(string_null("delegate_name"))
                    .foreign_key(&mut fk("meeting_invitees", "meeting_id", "meetings"))
                    .foreign_key(&mut fk("meeting_invitees", "person_id", "people"))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_meeting_invitees_meeting", "meeting_invitees", &["meeting_id"]).await?;
        index(manager, "ix_meeting_invitees_org", "meeting_invitees", &["org_id"]).await?;
        index(manager, "ix_meeting_invitees_person", "meeting_invitees", &["person_id"]).await?;
        manager
            .create_table(
                Table::create()
                    .table("agenda_items")
                    .col(pk_uuid("id"))
                    .col(uuid("meeting_id"))
                    .col(integer("position"))
                    .col(string("topic"))
                    .col(uuid_null("complaint_id"))
                    .col(uuid_null("appointment_id"))
                    .col(text_null("minutes"))
                    .foreign_key(&mut fk("agenda_items", "meeting_id", "meetings"))
                    .foreign_key(&mut fk("agenda_items", "complaint_id", "complaints"))
                    .foreign_key(&mut fk("agenda_items", "appointment_id", "cross_appointments"))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_agenda_items_meeting", "agenda_items", &["meeting_id"]).await?;
        manager
            .create_table(
                Table::create()
                    .table("resolutions")
                    .col(pk_uuid("id"))
                    .col(uuid("meeting_id"))
                    .col(uuid("agenda_item_id"))
                    .col(text("text"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("resolutions", "meeting_id", "meetings"))
                    .foreign_key(&mut fk("resolutions", "agenda_item_id", "agenda_items"))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_resolutions_meeting", "resolutions", &["meeting_id"]).await?;
        manager
            .create_table(
                Table::create()
                    .table("meeting_tasks")
                    .col(pk_uuid("id"))
                    .col(uuid("meeting_id"))
                    .col(uuid("resolution_id"))
                    .col(uuid("community_id"))
                    .col(string("org_kind"))
                    .col(uuid("org_id"))
                    .col(uuid_null("person_id"))
                    .col(text("description"))
                    .col(date("due_on"))
                    .col(uuid_null("complaint_id"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone_null("assigned_at"))
                    .col(timestamp_with_time_zone_null("reported_at"))
                    .col(text_null("report_note"))
                    .col(timestamp_with_time_zone_null("verified_at"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("meeting_tasks", "meeting_id", "meetings"))
                    .foreign_key(&mut fk("meeting_tasks", "resolution_id", "resolutions"))
                    .foreign_key(&mut fk("meeting_tasks", "community_id", "communities"))
                    .foreign_key(&mut fk("meeting_tasks", "person_id", "people"))
                    .foreign_key(&mut fk("meeting_tasks", "complaint_id", "complaints"))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_meeting_tasks_meeting", "meeting_tasks", &["meeting_id"]).await?;
        index(manager, "ix_meeting_tasks_org", "meeting_tasks", &["org_id", "due_on"]).await?;
        index(manager, "ix_meeting_tasks_community", "meeting_tasks", &["community_id", "due_on"]).await?;
        index(manager, "ix_meeting_tasks_complaint", "meeting_tasks", &["complaint_id"]).await?;
        manager
            .create_table(
                Table::create()
                    .table("meeting_amendments")
                    .col(pk_uuid("id"))
                    .col(uuid("meeting_id"))
                    .col(uuid("person_id"))
                    .col(text("reason"))
                    .col(text("text"))
                    .col(timestamp_with_time_zone("at"))
                    .foreign_key(&mut fk("meeting_amendments", "meeting_id", "meetings"))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_meeting_amendments_meeting", "meeting_amendments", &["meeting_id"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in
            ["meeting_amendments", "meeting_tasks", "resolutions", "agenda_items", "meeting_invitees", "meetings"]
        {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
