//! Cross-appointments and their history (events are appended, never changed).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    date, integer, pk_uuid, string, text, text_null, timestamp_with_time_zone, timestamp_with_time_zone_null, uuid,
    uuid_null,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000002_create_cross_appointments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("cross_appointments")
                    .col(pk_uuid("id"))
                    .col(uuid("person_id"))
                    .col(uuid("home_post_id"))
                    .col(string("home_org_kind"))
                    .col(uuid("home_org_id"))
                    .col(string("host_kind"))
                    .col(uuid("host_id"))
                    .col(string("host_title"))
                    .col(uuid_null("host_estate_id"))
                    .col(uuid("community_id"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(text("basis"))
                    .col(string("status"))
                    .col(text_null("end_reason"))
                    .col(integer("version").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cross_appointments_person_id")
                            .from("cross_appointments", "person_id")
                            .to("people", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cross_appointments_home_post_id")
                            .from("cross_appointments", "home_post_id")
                            .to("posts", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cross_appointments_community_id")
                            .from("cross_appointments", "community_id")
                            .to("communities", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("cross_appointment_events")
                    .col(pk_uuid("id"))
                    .col(uuid("appointment_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(uuid_null("account_id"))
                    .col(uuid_null("person_id"))
                    .col(string("acting_as"))
                    .col(string("action"))
                    .col(string("from_status").null())
                    .col(string("to_status"))
                    .col(text_null("note"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cross_appointment_events_appointment_id")
                            .from("cross_appointment_events", "appointment_id")
                            .to("cross_appointments", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        for (table, cols) in [
            ("cross_appointments", &["person_id"][..]),
            ("cross_appointments", &["community_id", "id"][..]),
            ("cross_appointments", &["host_kind", "host_id"][..]),
            ("cross_appointments", &["home_org_id"][..]),
            ("cross_appointment_events", &["appointment_id", "id"][..]),
        ] {
            let mut ix = Index::create();
            ix.name(format!("ix_{table}_{}", cols.join("_"))).table(table);
            for c in cols {
                ix.col(*c);
            }
            manager.create_index(ix.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["cross_appointment_events", "cross_appointments"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
