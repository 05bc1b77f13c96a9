//! Joint complaints: file, list, get (with the buttons the caller may press), the timeline,
//! and every action of the lifecycle at `POST /complaints/{id}/{action}`.

use super::Tag;
use crate::auth::{Auth, IdempotencyFingerprint};
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use domain::complaint::{ActionInput, Category, ComplaintAction, ComplaintStatus, Rating};
use domain::{Code, DomainError};
use infra::actor::Actor;
use infra::complaints::{ComplaintFilter, ComplaintView, FileRequest, TimelineEvent};
use infra::idempotency::{self, Reservation};
use infra::paging::PageRequest;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Complaint endpoints.
pub struct ComplaintsApi {
    /// Shared state.
    pub state: AppState,
}

/// A new case.
#[derive(Debug, Object)]
pub struct FileBody {
    /// The estate it is about (your own estate, or your committee's).
    pub estate_id: Uuid,
    /// repair, sanitation, security, parking, fees, noise, greenery, elevator, public_income, other.
    pub category: String,
    /// Title.
    pub title: String,
    /// What happened.
    pub description: String,
    /// urgent, normal (default) or complex; sets the deadlines.
    #[oai(skip_serializing_if_is_none)]
    pub priority: Option<String>,
    /// Filed on behalf of the owners' committee (members only).
    #[oai(default)]
    pub for_committee: bool,
}

/// What an action carries.
#[derive(Debug, Object)]
pub struct ActionBody {
    /// The `version` you saw; a stale one is refused with 409 and the current version.
    pub version: i32,
    /// A note for the timeline.
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
    /// Required to return and to dispute.
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
    /// Required to confirm: satisfied, basically_satisfied or dissatisfied.
    #[oai(skip_serializing_if_is_none)]
    pub rating: Option<String>,
    /// Required to escalate: the department that must report in.
    #[oai(skip_serializing_if_is_none)]
    pub department_id: Option<Uuid>,
    /// Required to order a redo: the new resolve-by.
    #[oai(skip_serializing_if_is_none)]
    pub resolve_by: Option<DateTime<Utc>>,
}

/// The lifecycle's actions.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "kebab-case")]
pub enum ActionName {
    /// 受理 (the serving company)
    Accept,
    /// 退回 with a reason (the serving company)
    Return,
    /// Send a returned case back to the company (community committees)
    Reassign,
    /// 办结 (the serving company)
    Resolve,
    /// 确认 with a rating (the filer)
    Confirm,
    /// 不认可 with a reason (the filer or the owners' committee)
    Dispute,
    /// 协调 (the party branch)
    Mediate,
    /// Order a redo by a new deadline (the party branch)
    OrderRedo,
    /// Uphold the resolution and close (the party branch)
    Uphold,
    /// 吹哨 to a department (the party branch)
    Escalate,
    /// 报到 (the department)
    ReportIn,
    /// Answer (the department)
    Answer,
    /// Withdraw (the filer)
    Withdraw,
    /// Reopen within 30 days of closing (the filer)
    Reopen,
    /// 督办 (community committees)
    Urge,
    /// Comment
    Comment,
    /// 附议 / 联名
    Cosign,
}

impl From<ActionName> for ComplaintAction {
    fn from(a: ActionName) -> Self {
        match a {
            ActionName::Accept => Self::Accept,
            ActionName::Return => Self::Return,
            ActionName::Reassign => Self::Reassign,
            ActionName::Resolve => Self::Resolve,
            ActionName::Confirm => Self::Confirm,
            ActionName::Dispute => Self::Dispute,
            ActionName::Mediate => Self::Mediate,
            ActionName::OrderRedo => Self::OrderRedo,
            ActionName::Uphold => Self::Uphold,
            ActionName::Escalate => Self::Escalate,
            ActionName::ReportIn => Self::ReportIn,
            ActionName::Answer => Self::Answer,
            ActionName::Withdraw => Self::Withdraw,
            ActionName::Reopen => Self::Reopen,
            ActionName::Urge => Self::Urge,
            ActionName::Comment => Self::Comment,
            ActionName::Cosign => Self::Cosign,
        }
    }
}

/// A case as you may see it.
#[derive(Debug, Object, Serialize, Deserialize)]
pub struct Complaint {
    /// Id.
    pub id: Uuid,
    /// Case number: community code, year, sequence.
    pub case_number: String,
    /// Estate.
    pub estate_id: Uuid,
    /// Estate name.
    pub estate_name: String,
    /// Community.
    pub community_id: Uuid,
    /// Category.
    pub category: String,
    /// Priority.
    pub priority: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// The filer's name (masked unless you handle the case).
    pub filer_name: String,
    /// The filer's phone (masked likewise).
    #[oai(skip_serializing_if_is_none)]
    pub filer_phone: Option<String>,
    /// Whether the filer's name and phone are masked.
    pub filer_masked: bool,
    /// Filed for the owners' committee.
    pub for_committee: bool,
    /// Joint: filed for or co-signed by the owners' committee.
    pub joint: bool,
    /// The company serving the estate when it was filed.
    #[oai(skip_serializing_if_is_none)]
    pub handling_company_id: Option<Uuid>,
    /// The department it was escalated to.
    #[oai(skip_serializing_if_is_none)]
    pub department_id: Option<Uuid>,
    /// Whether the department has reported in.
    pub reported_in: bool,
    /// submitted, accepted, returned, resolved, disputed, mediating, escalated, closed, withdrawn.
    pub status: String,
    /// Accept or return by.
    pub respond_by: DateTime<Utc>,
    /// Resolve by.
    pub resolve_by: DateTime<Utc>,
    /// A deadline has passed.
    pub overdue: bool,
    /// Last resolved at.
    #[oai(skip_serializing_if_is_none)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closed at.
    #[oai(skip_serializing_if_is_none)]
    pub closed_at: Option<DateTime<Utc>>,
    /// The filer's rating.
    #[oai(skip_serializing_if_is_none)]
    pub rating: Option<String>,
    /// Co-signers.
    pub cosign_count: i32,
    /// Filed at.
    pub filed_at: DateTime<Utc>,
    /// Send this back with an action.
    pub version: i32,
    /// The actions you may take now (in single-case answers; empty in lists).
    pub allowed_actions: Vec<String>,
}

impl From<ComplaintView> for Complaint {
    fn from(v: ComplaintView) -> Self {
        let c = v.complaint;
        Self {
            id: c.id,
            case_number: c.case_number,
            estate_id: c.estate_id.0,
            estate_name: v.estate_name,
            community_id: c.community_id.0,
            category: c.category.as_str().to_owned(),
            priority: c.priority.as_str().to_owned(),
            title: c.title,
            description: c.description,
            filer_name: v.filer_name,
            filer_phone: v.filer_phone,
            filer_masked: v.filer_masked,
            for_committee: c.for_committee,
            joint: c.joint,
            handling_company_id: c.handling_company_id.map(|p| p.0),
            department_id: c.department_id.map(|d| d.0),
            reported_in: c.reported_in,
            status: c.status.as_str().to_owned(),
            respond_by: c.respond_by,
            resolve_by: c.resolve_by,
            overdue: v.overdue,
            resolved_at: c.resolved_at,
            closed_at: c.closed_at,
            rating: c.rating.map(|r| r.as_str().to_owned()),
            cosign_count: c.cosign_count,
            filed_at: c.filed_at,
            version: c.version,
            allowed_actions: v.allowed_actions.iter().map(|a| a.as_str().to_owned()).collect(),
        }
    }
}

/// A page of cases, newest first.
#[derive(Debug, Object)]
pub struct ComplaintPage {
    /// The cases.
    pub items: Vec<Complaint>,
    /// Pass as `cursor` for the next page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

/// A case's timeline, oldest first, in the shape of every list (a timeline is short, so it
/// comes whole: `next_cursor` is always absent).
#[derive(Debug, Object)]
pub struct EventPage {
    pub items: Vec<ComplaintEvent>,
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

/// One event of the timeline.
#[derive(Debug, Object)]
pub struct ComplaintEvent {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (absent for the system).
    #[oai(skip_serializing_if_is_none)]
    pub actor_person_id: Option<Uuid>,
    /// Their name (residents' names masked unless you handle the case).
    pub actor_name: String,
    /// As which role of which organization (`role@scope`), or `system`.
    pub acting_as: String,
    /// What was done; a joint meeting's task about the case shows as `task_assign`,
    /// `task_report_done`, `task_verify` or `task_send_back` (its statuses those of the task,
    /// its note only for those who may see the task).
    pub action: String,
    /// Status before.
    #[oai(skip_serializing_if_is_none)]
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: String,
    /// Note or reason.
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
    /// What the action carried: rating, department, new deadline.
    #[oai(skip_serializing_if_is_none)]
    pub detail: Option<String>,
}

impl From<TimelineEvent> for ComplaintEvent {
    fn from(e: TimelineEvent) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor_person_id: e.actor_person_id,
            actor_name: e.actor_name,
            acting_as: e.acting_as,
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            note: e.note,
            detail: e.detail,
        }
    }
}

/// A case after filing or an action.
#[derive(ApiResponse)]
pub enum ComplaintResponse {
    /// The action was taken (or, for a retried key, had been).
    #[oai(status = 200)]
    Ok(Json<Complaint>),
    /// Filed.
    #[oai(status = 201)]
    Created(Json<Complaint>),
}

impl ComplaintResponse {
    fn with_status(status: u16, body: Complaint) -> Self {
        if status == 201 {
            Self::Created(Json(body))
        } else {
            Self::Ok(Json(body))
        }
    }
}

fn parse<T: std::str::FromStr>(field: &str, value: Option<String>, code: Code) -> Result<Option<T>, DomainError> {
    value.map(|v| v.parse::<T>().map_err(|_| DomainError::field(field, code))).transpose()
}

#[allow(clippy::too_many_arguments)]
#[OpenApi(prefix_path = "/api/v1")]
impl ComplaintsApi {
    /// File a case. With an `Idempotency-Key`, a retried request returns the first answer.
    #[oai(path = "/complaints", method = "post", tag = "Tag::Complaints")]
    async fn file(
        &self,
        Auth(actor): Auth,
        body: Json<FileBody>,
        /// Makes a retry safe: the same key returns the first answer instead of filing twice.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        request: &poem::Request,
    ) -> ApiResult<ComplaintResponse> {
        let b = body.0;
        let req = FileRequest {
            estate_id: b.estate_id.into(),
            category: b.category,
            title: b.title,
            description: b.description,
            priority: b.priority,
            for_committee: b.for_committee,
        };
        let run = async { Ok(self.state.complaints.file(&actor, req).await?.into()) };
        self.idempotent(&actor, idempotency_key.0, request, 201, run).await
    }

    /// List cases, newest first. Use `mine=true` for what you filed or co-signed; otherwise
    /// filter by estate, community, company or department (all cases needs a county-wide role).
    #[oai(path = "/complaints", method = "get", tag = "Tag::Complaints")]
    async fn list(
        &self,
        Auth(actor): Auth,
        /// In this estate.
        estate_id: Query<Option<Uuid>>,
        /// In this community.
        community_id: Query<Option<Uuid>>,
        /// Handled by this company.
        company_id: Query<Option<Uuid>>,
        /// Escalated to this department.
        department_id: Query<Option<Uuid>>,
        /// In this status.
        status: Query<Option<String>>,
        /// Of this category.
        category: Query<Option<String>>,
        /// Only overdue (true) or only on time (false).
        overdue: Query<Option<bool>>,
        /// Only what you filed or co-signed.
        mine: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<ComplaintPage>> {
        let filter = ComplaintFilter {
            estate_id: estate_id.0.map(Into::into),
            community_id: community_id.0.map(Into::into),
            company_id: company_id.0.map(Into::into),
            department_id: department_id.0.map(Into::into),
            status: parse::<ComplaintStatus>("status", status.0, Code::InvalidStatus)?,
            category: parse::<Category>("category", category.0, Code::InvalidCategory)?,
            overdue: overdue.0,
            mine: mine.0.unwrap_or(false),
        };
        let page = PageRequest::parse(limit.0, cursor.0.as_deref())?;
        let rows = self.state.complaints.list(&actor, filter, page).await?;
        Ok(Json(ComplaintPage {
            items: rows.items.into_iter().map(Into::into).collect(),
            next_cursor: rows.next_cursor,
        }))
    }

    /// Get a case with `allowed_actions`: the buttons you may press now.
    #[oai(path = "/complaints/:id", method = "get", tag = "Tag::Complaints")]
    async fn get(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Complaint>> {
        Ok(Json(self.state.complaints.get(&actor, id.0).await?.into()))
    }

    /// A case's timeline, oldest first (append-only).
    #[oai(path = "/complaints/:id/events", method = "get", tag = "Tag::Complaints")]
    async fn events(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<EventPage>> {
        let items = self.state.complaints.timeline(&actor, id.0).await?.into_iter().map(Into::into).collect();
        Ok(Json(EventPage { items, next_cursor: None }))
    }

    /// Take an action: accept, return, reassign, resolve, confirm, dispute, mediate,
    /// order-redo, uphold, escalate, report-in, answer, withdraw, reopen, urge, comment or
    /// cosign. Not your party: 403 (404 if the case is not yours to see); the wrong moment:
    /// 409 with the current state; a stale version: 409 with the current version.
    #[oai(path = "/complaints/:id/:action", method = "post", tag = "Tag::Complaints")]
    async fn act(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        action: Path<ActionName>,
        body: Json<ActionBody>,
        /// Makes a retry safe: the same key returns the first answer instead of acting twice.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        request: &poem::Request,
    ) -> ApiResult<ComplaintResponse> {
        let b = body.0;
        let input = ActionInput {
            version: b.version,
            note: b.note,
            reason: b.reason,
            rating: parse::<Rating>("rating", b.rating, Code::InvalidRating)?,
            department_id: b.department_id.map(Into::into),
            resolve_by: b.resolve_by,
        };
        let action: ComplaintAction = action.0.into();
        let run = async { Ok(self.state.complaints.act(&actor, id.0, action, input).await?.into()) };
        self.idempotent(&actor, idempotency_key.0, request, 200, run).await
    }
}

impl ComplaintsApi {
    /// Runs `run` once per idempotency key: a retry gets the stored answer; a failure frees
    /// the key (nothing changed, so a retry may run again). The key is bound to the caller and
    /// to the request's method, path and body digest, which the request middleware computed
    /// (it also refused keys that are not visible ASCII, which poem would pass on as no key).
    async fn idempotent(
        &self,
        actor: &Actor,
        key: Option<String>,
        request: &poem::Request,
        status: u16,
        run: impl std::future::Future<Output = ApiResult<Complaint>>,
    ) -> ApiResult<ComplaintResponse> {
        let Some(key) = key else {
            return run.await.map(|c| ComplaintResponse::with_status(status, c));
        };
        let Some(IdempotencyFingerprint(fingerprint)) = request.extensions().get::<IdempotencyFingerprint>() else {
            return Err(infra::Error::Unexpected(
                "no idempotency fingerprint: the request middleware did not run".to_owned(),
            )
            .into());
        };
        let db = &self.state.db;
        let account = actor.account_id.0;
        match idempotency::reserve(db, account, &key, fingerprint, self.state.clock.now()).await? {
            Reservation::InvalidKey => {
                Err(ApiError::new(poem::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_idempotency_key"))
            }
            Reservation::KeyReused => {
                Err(ApiError::new(poem::http::StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"))
            }
            Reservation::Replay(code, body) => {
                let stored: Complaint = serde_json::from_str(&body)
                    .map_err(|e| infra::Error::Unexpected(format!("stored idempotent response: {e}")))?;
                Ok(ComplaintResponse::with_status(code, stored))
            }
            Reservation::Run => match run.await {
                Ok(c) => {
                    let body = serde_json::to_string(&c).map_err(|e| infra::Error::Unexpected(e.to_string()))?;
                    idempotency::complete(db, account, &key, status, body).await?;
                    Ok(ComplaintResponse::with_status(status, c))
                }
                Err(e) => {
                    idempotency::release(db, account, &key).await?;
                    Err(e)
                }
            },
        }
    }
}
