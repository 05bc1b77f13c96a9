//! Each person's inbox (通知): what gives them work, newest first.

use super::{page, Tag};
use crate::auth::Auth;
use crate::problem::ApiResult;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use infra::notifications::NoticeView;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

/// Inbox endpoints.
pub struct NotificationsApi {
    /// Shared state.
    pub state: AppState,
}

/// A notice.
#[derive(Debug, Object)]
pub struct Notification {
    pub id: Uuid,
    /// case_filed, case_reassigned, case_returned, case_resolved, case_disputed,
    /// case_escalated, appointment_proposed, task_assigned or meeting_invited.
    pub kind: String,
    /// What happened, in Chinese, without any resident's name or phone.
    pub text: String,
    /// The record's page in the portal.
    pub link: String,
    pub created_at: DateTime<Utc>,
    /// When you read it (absent while unread).
    #[oai(skip_serializing_if_is_none)]
    pub read_at: Option<DateTime<Utc>>,
}

impl From<NoticeView> for Notification {
    fn from(n: NoticeView) -> Self {
        Self {
            id: n.id,
            kind: n.kind.as_str().to_owned(),
            text: n.text,
            link: n.link,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

/// A page of notices.
#[derive(Debug, Object)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

/// How many notices are unread.
#[derive(Debug, Object)]
pub struct UnreadCount {
    pub unread: u64,
}

/// How many notices were marked read.
#[derive(Debug, Object)]
pub struct Marked {
    pub marked: u64,
}

#[OpenApi(prefix_path = "/api/v1")]
impl NotificationsApi {
    /// Your notices, newest first.
    #[oai(path = "/notifications", method = "get", tag = "Tag::Notifications")]
    async fn list(
        &self,
        Auth(actor): Auth,
        /// Only the unread.
        #[oai(default)]
        unread: Query<bool>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<NotificationPage>> {
        let rows = self.state.notifications.list(&actor, unread.0, page(limit.0, cursor.0)?).await?;
        Ok(Json(NotificationPage {
            items: rows.items.into_iter().map(Into::into).collect(),
            next_cursor: rows.next_cursor,
        }))
    }

    /// How many of your notices are unread.
    #[oai(path = "/notifications/unread-count", method = "get", tag = "Tag::Notifications")]
    async fn unread_count(&self, Auth(actor): Auth) -> ApiResult<Json<UnreadCount>> {
        Ok(Json(UnreadCount { unread: self.state.notifications.unread(&actor).await? }))
    }

    /// Mark one of your notices read.
    #[oai(path = "/notifications/:id/read", method = "post", tag = "Tag::Notifications")]
    async fn read(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Notification>> {
        Ok(Json(self.state.notifications.mark_read(&actor, id.0).await?.into()))
    }

    /// Mark all your notices read.
    #[oai(path = "/notifications/read-all", method = "post", tag = "Tag::Notifications")]
    async fn read_all(&self, Auth(actor): Auth) -> ApiResult<Json<Marked>> {
        Ok(Json(Marked { marked: self.state.notifications.mark_all_read(&actor).await? }))
    }
}
