//! The audit log: every decision on a write, and every deny, with who asked, acting as
//! what, where, and the rule that decided.

use crate::actor::Actor;
use crate::entities::audit_log;
use crate::error::Result;
use crate::paging::{self, Page, PageRequest};
use chrono::{DateTime, Utc};
use domain::authz::Decision;
use domain::ids::CommunityId;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// One audit row as read back.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Row id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// The account that asked, if any.
    pub account_id: Option<Uuid>,
    /// The person behind it.
    pub person_id: Option<Uuid>,
    /// The binding that decided (`role@scope`).
    pub acting_as: Option<String>,
    /// The target's scope.
    pub scope: String,
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// The target's id, when there is one.
    pub resource_id: Option<String>,
    /// `allow` or `deny`.
    pub decision: String,
    /// The rule that decided.
    pub rule: String,
    /// The request id.
    pub request_id: Option<String>,
}

/// What is written: a decision, or a security event such as a lockout.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    /// Who.
    pub actor: Option<&'a Actor>,
    /// The account concerned when there is no actor (a failed login).
    pub account_id: Option<Uuid>,
    /// The binding that decided.
    pub acting_as: Option<String>,
    /// Scope text.
    pub scope: String,
    /// The community the target is in, so that its party branch can read the row.
    pub community_id: Option<CommunityId>,
    /// Action.
    pub action: String,
    /// Resource.
    pub resource: String,
    /// Target id.
    pub resource_id: Option<String>,
    /// `allow` or `deny`.
    pub decision: String,
    /// Rule.
    pub rule: String,
}

impl<'a> Record<'a> {
    /// The record of an authorization decision.
    #[must_use]
    pub fn decision(actor: &'a Actor, d: &Decision, resource_id: Option<String>) -> Self {
        Self {
            actor: Some(actor),
            account_id: None,
            acting_as: d.acting_as.clone(),
            scope: d.scope.to_string(),
            community_id: d.community,
            action: d.action.to_string(),
            resource: d.resource.to_string(),
            resource_id,
            decision: d.effect.to_string(),
            rule: d.rule.clone(),
        }
    }
}

/// Appends one row, inside the caller's transaction when given one.
///
/// # Errors
/// Database errors.
pub async fn write<C: ConnectionTrait>(conn: &C, record: Record<'_>, at: DateTime<Utc>) -> Result<()> {
    write_all(conn, [(record, at)]).await
}

/// Appends several rows (of writes made together) in one statement, inside the caller's
/// transaction.
///
/// # Errors
/// Database errors.
pub async fn write_all<'a, C: ConnectionTrait>(
    conn: &C,
    records: impl IntoIterator<Item = (Record<'a>, DateTime<Utc>)>,
) -> Result<()> {
    let rows: Vec<audit_log::ActiveModel> = records
        .into_iter()
        .map(|(record, at)| audit_log::ActiveModel {
            id: Set(Uuid::now_v7()),
            at: Set(at),
            account_id: Set(record.actor.map(|a| a.account_id.0).or(record.account_id)),
            person_id: Set(record.actor.map(|a| a.person_id.0)),
            acting_as: Set(record.acting_as),
            scope: Set(record.scope),
            community_id: Set(record.community_id.map(|c| c.0)),
            action: Set(record.action),
            resource: Set(record.resource),
            resource_id: Set(record.resource_id),
            decision: Set(record.decision),
            rule: Set(record.rule),
            request_id: Set(record.actor.and_then(|a| a.request_id.clone())),
        })
        .collect();
    crate::db::insert_all(conn, rows).await?;
    Ok(())
}

/// Reads the log newest first, for one community or (`None`) everywhere.
///
/// # Errors
/// Database errors.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    community: Option<CommunityId>,
    page: PageRequest,
) -> Result<Page<AuditEntry>> {
    let mut select = audit_log::Entity::find();
    if let Some(community) = community {
        select = select.filter(audit_log::Column::CommunityId.eq(community.0));
    }
    let rows = paging::fetch(conn, select, audit_log::Column::Id, |r| r.id, page, true).await?;
    Ok(rows.map(|r| AuditEntry {
        id: r.id,
        at: r.at,
        account_id: r.account_id,
        person_id: r.person_id,
        acting_as: r.acting_as,
        scope: r.scope,
        action: r.action,
        resource: r.resource,
        resource_id: r.resource_id,
        decision: r.decision,
        rule: r.rule,
        request_id: r.request_id,
    }))
}
