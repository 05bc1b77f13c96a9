//! Oversight: published scorecards (frozen snapshots, one edition per publication or
//! correction), appeals on them, and the scoring rules held as data.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, boolean, double, integer, pk_uuid, string, string_null, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null, uuid, uuid_null,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000006_oversight"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("scoring_rules")
                    .col(integer("id").primary_key())
                    .col(text("rules"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("scorecards")
                    .col(pk_uuid("id"))
                    .col(uuid("community_id"))
                    .col(uuid("company_id"))
                    .col(string("month"))
                    .col(integer("edition"))
                    .col(boolean("current"))
                    .col(timestamp_with_time_zone("published_at"))
                    .col(uuid("published_by"))
                    .col(double("score"))
                    .col(string("grade"))
                    .col(big_integer("sample"))
                    .col(text("figures"))
                    .col(text("rules"))
                    .col(uuid_null("corrects"))
                    .col(text_null("note"))
                    .foreign_key(ForeignKey::create().from("scorecards", "community_id").to("communities", "id"))
                    .foreign_key(ForeignKey::create().from("scorecards", "company_id").to("property_companies", "id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_scorecards_edition")
                    .table("scorecards")
                    .col("community_id")
                    .col("company_id")
                    .col("month")
                    .col("edition")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scorecards_month")
                    .table("scorecards")
                    .col("month")
                    .col("community_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("scorecard_appeals")
                    .col(pk_uuid("id"))
                    .col(uuid("scorecard_id"))
                    .col(uuid("company_id"))
                    .col(uuid("community_id"))
                    .col(uuid("filed_by"))
                    .col(timestamp_with_time_zone("filed_at"))
                    .col(text("reason"))
                    .col(string("status"))
                    .col(uuid_null("decided_by"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(string_null("decision_note"))
                    .col(uuid_null("corrected_scorecard_id"))
                    .foreign_key(ForeignKey::create().from("scorecard_appeals", "scorecard_id").to("scorecards", "id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scorecard_appeals_scorecard")
                    .table("scorecard_appeals")
                    .col("scorecard_id")
                    .to_owned(),
            )
            .await?;
        // One pending appeal per edition, whatever races.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_scorecard_appeals_scorecard_id ON scorecard_appeals (scorecard_id) \
                 WHERE status = 'pending'",
            )
            .await?;
        // When a case last had an event: with its filing time it bounds the cases a period can
        // have touched, so oversight reads a period's cases without scanning the event log.
        // Written with every event, in the same transaction; filled here from the log.
        manager
            .alter_table(
                Table::alter()
                    .table("complaints")
                    .add_column(timestamp_with_time_zone_null("last_event_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE complaints SET last_event_at = COALESCE((SELECT MAX(e.at) FROM events e \
                 WHERE e.stream = 'complaint' AND e.stream_id = complaints.id), filed_at)",
            )
            .await?;
        for (name, col) in [
            ("ix_complaints_last_event_at", "last_event_at"),
            ("ix_complaints_respond_by", "respond_by"),
            ("ix_complaints_resolve_by", "resolve_by"),
        ] {
            manager.create_index(Index::create().name(name).table("complaints").col(col).to_owned()).await?;
        }
        // The backlog (open cases by place, category and company, and how many are late) is
        // read from this index alone.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_complaints_open ON complaints \
                 (community_id, estate_id, category, handling_company_id, status, respond_by, resolve_by) \
                 WHERE status IN ('submitted', 'accepted', 'returned', 'disputed', 'mediating', 'escalated')",
            )
            .await?;
        // Oversight reads a scope's cases by when they were filed.
        for (name, col) in
            [("ix_complaints_community_filed", "community_id"), ("ix_complaints_company_filed", "handling_company_id")]
        {
            manager
                .create_index(Index::create().name(name).table("complaints").col(col).col("filed_at").to_owned())
                .await?;
        }
        manager
            .create_index(Index::create().name("ix_complaints_filed_at").table("complaints").col("filed_at").to_owned())
            .await?;
        // The cases an event in the period touched: complaint events by time.
        manager
            .create_index(
                Index::create().name("ix_events_stream_at").table("events").col("stream").col("at").to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_complaints_community_filed", "ix_complaints_company_filed", "ix_complaints_filed_at"] {
            manager.drop_index(Index::drop().name(name).table("complaints").to_owned()).await?;
        }
        manager.drop_index(Index::drop().name("ix_events_stream_at").table("events").to_owned()).await?;
        for name in [
            "ix_complaints_open",
            "ix_complaints_last_event_at",
            "ix_complaints_respond_by",
            "ix_complaints_resolve_by",
        ] {
            manager.drop_index(Index::drop().name(name).table("complaints").to_owned()).await?;
        }
        manager.alter_table(Table::alter().table("complaints").drop_column("last_event_at").to_owned()).await?;
        for table in ["scorecard_appeals", "scorecards", "scoring_rules"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
