//! Separation of duties: where a person record came from (the one organization besides the
//! person and administrators that may change their name and phone), staff posts that wait
//! for the person's acceptance, a login counter per username (known or not), and company
//! names unique after normalisation.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    integer, string, string_null, timestamp_with_time_zone, timestamp_with_time_zone_null, uuid,
};
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000004_separation_of_duties"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("person_origins")
                    .col(uuid("person_id").primary_key())
                    .col(string("org_kind"))
                    .col(uuid("org_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_origins_person_id")
                            .from("person_origins", "person_id")
                            .to("people", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // Every person made before this migration came from the organization of their first post.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO person_origins (person_id, org_kind, org_id) \
                 SELECT p.person_id, p.org_kind, p.org_id FROM posts p \
                 WHERE p.id = (SELECT q.id FROM posts q WHERE q.person_id = p.person_id ORDER BY q.id LIMIT 1)",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("post_invitations")
                    .col(uuid("post_id").primary_key())
                    .col(uuid("person_id"))
                    .col(uuid("invited_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("accepted_at"))
                    .col(timestamp_with_time_zone_null("declined_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_post_invitations_post_id")
                            .from("post_invitations", "post_id")
                            .to("posts", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_post_invitations_person_id")
                    .table("post_invitations")
                    .col("person_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("login_attempts")
                    .col(string("username").primary_key())
                    .col(integer("failed").default(0))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("property_companies").add_column(string_null("name_key")).to_owned())
            .await?;
        let conn = manager.get_connection();
        let backend = conn.get_database_backend();
        let rows = conn
            .query_all_raw(Statement::from_string(backend, "SELECT id, name FROM property_companies ORDER BY id"))
            .await?;
        let mut seen = std::collections::HashSet::new();
        for row in rows {
            let id: sea_orm_migration::sea_orm::prelude::Uuid = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            let mut key = domain::registry::name_key(&name);
            if !seen.insert(key.clone()) {
                // Two companies already share a name: keep both, distinguishable, for a person to settle.
                key = format!("{key}#{id}");
            }
            let update = Query::update()
                .table("property_companies")
                .value("name_key", key)
                .and_where(Expr::col("id").eq(id))
                .to_owned();
            manager.exec_stmt(update).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ux_property_companies_name_key")
                    .table("property_companies")
                    .col("name_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ux_property_companies_name_key").table("property_companies").to_owned())
            .await?;
        manager.alter_table(Table::alter().table("property_companies").drop_column("name_key").to_owned()).await?;
        for table in ["login_attempts", "post_invitations", "person_origins"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
