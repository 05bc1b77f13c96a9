//! Delivery channels (work-chat robots and signed webhooks) per organization, and the outbox of
//! deliveries to them: one row per message and channel, written with the notices.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, integer, pk_uuid, string, string_null, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null, uuid,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000009_channels"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("channels")
                    .col(pk_uuid("id"))
                    .col(string("org_kind"))
                    .col(uuid("org_id"))
                    .col(string("kind"))
                    .col(text("url"))
                    .col(text_null("secret"))
                    .col(boolean("enabled"))
                    .col(string_null("disabled_reason"))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_channels_org").table("channels").col("org_id").to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("deliveries")
                    .col(pk_uuid("id"))
                    .col(uuid("channel_id"))
                    .col(string("notice_kind"))
                    .col(text("text"))
                    .col(string("link"))
                    .col(string("status"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deliveries_channel_id")
                            .from("deliveries", "channel_id")
                            .to("channels", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_due")
                    .table("deliveries")
                    .col("status")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_channel")
                    .table("deliveries")
                    .col("channel_id")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("deliveries").to_owned()).await?;
        manager.drop_table(Table::drop().table("channels").to_owned()).await
    }
}
