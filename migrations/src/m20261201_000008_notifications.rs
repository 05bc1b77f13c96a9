//! Notifications (通知): one row per person told, written in the transaction of the event
//! that gives them work; and the deadline reminders sent.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{pk_uuid, string, text, timestamp_with_time_zone, timestamp_with_time_zone_null, uuid};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000008_notifications"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("notifications")
                    .col(pk_uuid("id"))
                    .col(uuid("person_id"))
                    .col(string("kind"))
                    .col(string("stream"))
                    .col(uuid("record_id"))
                    .col(text("text"))
                    .col(string("link"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_person_id")
                            .from("notifications", "person_id")
                            .to("people", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_person")
                    .table("notifications")
                    .col("person_id")
                    .col("read_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        // One row per reminder sent: a case, which reminder, and the deadline it was about (a
        // new deadline gets its own). The key makes a reminder go out once, whatever the number
        // of replicas racing to send it.
        manager
            .create_table(
                Table::create()
                    .table("reminders")
                    .col(uuid("complaint_id"))
                    .col(string("kind"))
                    .col(timestamp_with_time_zone("deadline"))
                    .col(timestamp_with_time_zone("sent_at"))
                    .primary_key(Index::create().col("complaint_id").col("kind").col("deadline"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reminders_complaint_id")
                            .from("reminders", "complaint_id")
                            .to("complaints", "id"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("reminders").to_owned()).await?;
        manager.drop_table(Table::drop().table("notifications").to_owned()).await
    }
}
