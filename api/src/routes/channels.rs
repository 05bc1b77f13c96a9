//! Delivery channels (推送渠道): an organization's work-chat group robots and signed webhooks,
//! set by its leader or an administrator, with a test-send and the delivery log.

use super::{page, Created, Tag};
use crate::auth::Auth;
use crate::problem::ApiResult;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use domain::channel::ChannelKind;
use domain::meeting::OrgRef;
use domain::registry::OrgKind;
use domain::{Code, DomainError};
use infra::delivery::{ChannelView, DeliveryView};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

/// Channel endpoints.
pub struct ChannelsApi {
    /// Shared state.
    pub state: AppState,
}

/// A channel to add.
#[derive(Debug, Object)]
pub struct ChannelCreate {
    /// The organization's kind (a residents' committee or party branch by its community's id).
    pub org_kind: String,
    /// The organization.
    pub org_id: Uuid,
    /// `wecom`, `dingtalk`, `feishu` or `webhook`.
    pub kind: String,
    /// The robot's or webhook's address: https (plain http only to this machine).
    pub url: String,
    /// The signing secret (DingTalk's `SEC…`, Feishu's, or the webhook's `whsec_…`); never
    /// returned, only its last four characters.
    #[oai(skip_serializing_if_is_none)]
    pub secret: Option<String>,
}

/// A channel.
#[derive(Debug, Object)]
pub struct Channel {
    pub id: Uuid,
    pub org_kind: String,
    pub org_id: Uuid,
    pub kind: String,
    pub url: String,
    /// The secret's last four characters.
    #[oai(skip_serializing_if_is_none)]
    pub secret_last4: Option<String>,
    pub enabled: bool,
    /// Why it was disabled (by its leader, or an invalid robot key).
    #[oai(skip_serializing_if_is_none)]
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<ChannelView> for Channel {
    fn from(c: ChannelView) -> Self {
        Self {
            id: c.id,
            org_kind: c.organization.kind.as_str().to_owned(),
            org_id: c.organization.id,
            kind: c.kind.as_str().to_owned(),
            url: c.url,
            secret_last4: c.secret_last4,
            enabled: c.enabled,
            disabled_reason: c.disabled_reason,
            created_at: c.created_at,
        }
    }
}

/// One delivery.
#[derive(Debug, Object)]
pub struct Delivery {
    /// Also the message id a receiver sees on every try.
    pub id: Uuid,
    pub channel_id: Uuid,
    pub text: String,
    /// pending, delivered or failed.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<DeliveryView> for Delivery {
    fn from(d: DeliveryView) -> Self {
        Self {
            id: d.id,
            channel_id: d.channel_id,
            text: d.text,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
        }
    }
}

/// A page of deliveries.
#[derive(Debug, Object)]
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

fn org(kind: &str, id: Uuid) -> Result<OrgRef, DomainError> {
    let kind = kind.parse::<OrgKind>().map_err(|_| DomainError::field("org_kind", Code::InvalidOrgKind))?;
    Ok(OrgRef { kind, id })
}

#[OpenApi(prefix_path = "/api/v1")]
impl ChannelsApi {
    /// Add a channel to an organization you lead.
    #[oai(path = "/channels", method = "post", tag = "Tag::Notifications")]
    async fn create(&self, Auth(actor): Auth, body: Json<ChannelCreate>) -> ApiResult<Created<Channel>> {
        let b = body.0;
        let o = org(&b.org_kind, b.org_id)?;
        let kind = b.kind.parse::<ChannelKind>().map_err(|_| DomainError::field("kind", Code::InvalidValue))?;
        let made = self.state.channels.create(&actor, o, kind, &b.url, b.secret).await?;
        Ok(Created::Created(Json(made.into())))
    }

    /// The channels of an organization you lead.
    #[oai(path = "/channels", method = "get", tag = "Tag::Notifications")]
    async fn list(
        &self,
        Auth(actor): Auth,
        /// The organization's kind.
        org_kind: Query<String>,
        /// The organization.
        org_id: Query<Uuid>,
    ) -> ApiResult<Json<Vec<Channel>>> {
        let o = org(&org_kind.0, org_id.0)?;
        Ok(Json(self.state.channels.list(&actor, o).await?.into_iter().map(Into::into).collect()))
    }

    /// Disable a channel.
    #[oai(path = "/channels/:id/disable", method = "post", tag = "Tag::Notifications")]
    async fn disable(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Channel>> {
        Ok(Json(self.state.channels.disable(&actor, id.0).await?.into()))
    }

    /// Send a test message through a channel (queued; see its deliveries).
    #[oai(path = "/channels/:id/test", method = "post", tag = "Tag::Notifications")]
    async fn test_send(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Delivery>> {
        Ok(Json(self.state.channels.test_send(&actor, id.0).await?.into()))
    }

    /// A channel's delivery log, newest first.
    #[oai(path = "/channels/:id/deliveries", method = "get", tag = "Tag::Notifications")]
    async fn deliveries(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<DeliveryPage>> {
        let rows = self.state.channels.deliveries(&actor, id.0, page(limit.0, cursor.0)?).await?;
        Ok(Json(DeliveryPage {
            items: rows.items.into_iter().map(Into::into).collect(),
            next_cursor: rows.next_cursor,
        }))
    }

    /// Send a failed delivery again, with the same message id.
    #[oai(path = "/deliveries/:id/resend", method = "post", tag = "Tag::Notifications")]
    async fn resend(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Delivery>> {
        Ok(Json(self.state.channels.resend(&actor, id.0).await?.into()))
    }
}
