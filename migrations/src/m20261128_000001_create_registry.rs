//! The registry (organizations, people, posts, contracts), accounts, sessions and the audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, date, date_null, integer, pk_uuid, string, string_null, string_uniq, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null, uuid, uuid_null,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000001_create_registry"
    }
}

/// Columns every registry record has: when it was made and whether (and why) it ended.
fn lifecycle(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("ended_at"))
        .col(text_null("end_reason"))
}

fn fk(table: &'static str, column: &'static str, parent: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(parent, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{}", columns.join("_"))).table(table);
    for c in columns {
        stmt.col(*c);
    }
    stmt.to_owned()
}

const TABLES: [&str; 12] = [
    "audit_log",
    "sessions",
    "accounts",
    "posts",
    "people",
    "owners_committees",
    "service_contracts",
    "estates",
    "grids",
    "communities",
    "property_companies",
    "departments",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            lifecycle(
                Table::create()
                    .table("communities")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string_uniq("code"))
                    .col(string("street")),
            )
            .to_owned(),
            lifecycle(
                Table::create()
                    .table("grids")
                    .col(pk_uuid("id"))
                    .col(uuid("community_id"))
                    .col(string("name"))
                    .foreign_key(&mut fk("grids", "community_id", "communities")),
            )
            .to_owned(),
            lifecycle(
                Table::create()
                    .table("estates")
                    .col(pk_uuid("id"))
                    .col(uuid("community_id"))
                    .col(uuid_null("grid_id"))
                    .col(string("name"))
                    .col(string("address"))
                    .col(integer("version").default(0))
                    .foreign_key(&mut fk("estates", "community_id", "communities"))
                    .foreign_key(&mut fk("estates", "grid_id", "grids")),
            )
            .to_owned(),
            lifecycle(
                Table::create()
                    .table("property_companies")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string_uniq("credit_code"))
                    .col(string("address")),
            )
            .to_owned(),
            lifecycle(
                Table::create()
                    .table("service_contracts")
                    .col(pk_uuid("id"))
                    .col(uuid("company_id"))
                    .col(uuid("estate_id"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(string_null("reference"))
                    .foreign_key(&mut fk("service_contracts", "company_id", "property_companies"))
                    .foreign_key(&mut fk("service_contracts", "estate_id", "estates")),
            )
            .to_owned(),
            lifecycle(
                Table::create()
                    .table("owners_committees")
                    .col(pk_uuid("id"))
                    .col(uuid("estate_id"))
                    .col(string("name"))
                    .col(date("term_start"))
                    .col(date("term_end"))
                    .foreign_key(&mut fk("owners_committees", "estate_id", "estates")),
            )
            .to_owned(),
            lifecycle(Table::create().table("departments").col(pk_uuid("id")).col(string_uniq("name"))).to_owned(),
            lifecycle(
                Table::create()
                    .table("people")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string_null("phone"))
                    .col(boolean("is_party_member").default(false)),
            )
            .to_owned(),
            lifecycle(
                Table::create()
                    .table("posts")
                    .col(pk_uuid("id"))
                    .col(uuid("person_id"))
                    .col(string("org_kind"))
                    .col(uuid("org_id"))
                    .col(string("title"))
                    .col(date("starts_on"))
                    .col(date_null("ends_on"))
                    .col(uuid_null("community_id"))
                    .col(uuid_null("estate_id"))
                    .foreign_key(&mut fk("posts", "person_id", "people")),
            )
            .to_owned(),
            Table::create()
                .table("accounts")
                .col(pk_uuid("id"))
                .col(uuid("person_id").unique_key())
                .col(string_uniq("username"))
                .col(string("password_hash"))
                .col(boolean("is_admin").default(false))
                .col(integer("failed_logins").default(0))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("disabled_at"))
                .foreign_key(&mut fk("accounts", "person_id", "people"))
                .to_owned(),
            Table::create()
                .table("sessions")
                .col(pk_uuid("id"))
                .col(uuid("account_id"))
                .col(string_uniq("token_hash"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("sessions", "account_id", "accounts"))
                .to_owned(),
            Table::create()
                .table("audit_log")
                .col(pk_uuid("id"))
                .col(timestamp_with_time_zone("at"))
                .col(uuid_null("account_id"))
                .col(uuid_null("person_id"))
                .col(string_null("acting_as"))
                .col(string("scope"))
                .col(uuid_null("community_id"))
                .col(string("action"))
                .col(string("resource"))
                .col(string_null("resource_id"))
                .col(string("decision"))
                .col(string("rule"))
                .col(string_null("request_id"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("grids", &["community_id"]),
            index("estates", &["community_id"]),
            index("service_contracts", &["estate_id"]),
            index("service_contracts", &["company_id"]),
            index("owners_committees", &["estate_id"]),
            index("posts", &["person_id"]),
            index("posts", &["org_kind", "org_id"]),
            index("posts", &["community_id"]),
            index("posts", &["estate_id"]),
            index("sessions", &["account_id"]),
            index("audit_log", &["community_id", "id"]),
        ];
        for ix in indexes {
            manager.create_index(ix).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
