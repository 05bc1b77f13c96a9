//! Joint complaints, their append-only timeline, co-signers, case-number counters and
//! idempotency keys.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, integer, pk_uuid, string, string_null, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null, uuid, uuid_null,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000003_create_complaints"
    }
}

fn fk(table: &'static str, column: &'static str, parent: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(format!("fk_{table}_{column}")).from(table, column).to(parent, "id").to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("complaints")
                    .col(pk_uuid("id"))
                    .col(string_uniq_case_number())
                    .col(uuid("estate_id"))
                    .col(uuid("community_id"))
                    .col(string("category"))
                    .col(string("priority"))
                    .col(string("title"))
                    .col(text("description"))
                    .col(uuid("filer_id"))
                    .col(boolean("for_committee").default(false))
                    .col(boolean("joint").default(false))
                    .col(uuid_null("handling_company_id"))
                    .col(uuid_null("department_id"))
                    .col(boolean("reported_in").default(false))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("respond_by"))
                    .col(timestamp_with_time_zone("resolve_by"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .col(string_null("rating"))
                    .col(integer("cosign_count").default(0))
                    .col(timestamp_with_time_zone("filed_at"))
                    .col(integer("version").default(0))
                    .foreign_key(&mut fk("complaints", "estate_id", "estates"))
                    .foreign_key(&mut fk("complaints", "community_id", "communities"))
                    .foreign_key(&mut fk("complaints", "filer_id", "people"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("complaint_events")
                    .col(pk_uuid("id"))
                    .col(uuid("complaint_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(uuid_null("actor_person_id"))
                    .col(uuid_null("actor_account_id"))
                    .col(string("acting_as"))
                    .col(string("action"))
                    .col(string_null("from_status"))
                    .col(string("to_status"))
                    .col(text_null("note"))
                    .col(text_null("detail"))
                    .foreign_key(&mut fk("complaint_events", "complaint_id", "complaints"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("complaint_cosigners")
                    .col(uuid("complaint_id"))
                    .col(uuid("person_id"))
                    .col(boolean("as_committee").default(false))
                    .col(timestamp_with_time_zone("at"))
                    .primary_key(Index::create().col("complaint_id").col("person_id"))
                    .foreign_key(&mut fk("complaint_cosigners", "complaint_id", "complaints"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("case_counters")
                    .col(uuid("community_id"))
                    .col(integer("year"))
                    .col(integer("next_value"))
                    .primary_key(Index::create().col("community_id").col("year"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(uuid("account_id"))
                    .col(string("key"))
                    .col(string("fingerprint"))
                    .col(integer("status_code").default(0))
                    .col(text_null("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("account_id").col("key"))
                    .to_owned(),
            )
            .await?;
        for (table, cols) in [
            ("complaints", &["estate_id", "id"][..]),
            ("complaints", &["community_id", "id"][..]),
            ("complaints", &["handling_company_id", "id"][..]),
            ("complaints", &["department_id", "id"][..]),
            ("complaints", &["filer_id"][..]),
            ("complaints", &["status", "resolved_at"][..]),
            ("complaint_events", &["complaint_id", "id"][..]),
            ("complaint_cosigners", &["person_id"][..]),
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
        for table in ["idempotency_keys", "case_counters", "complaint_cosigners", "complaint_events", "complaints"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

fn string_uniq_case_number() -> ColumnDef {
    sea_orm_migration::schema::string_uniq("case_number")
}
