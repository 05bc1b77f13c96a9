//! Cross-appointments (双向进入、交叉任职): propose, decide, list, history, coverage and CSV export.

use super::{Created, Tag};
use crate::auth::Auth;
use crate::problem::ApiResult;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use domain::appointment::{AppointmentAction, AppointmentStatus};
use domain::Code;
use domain::DomainError;
use infra::appointments::{
    AppointmentEvent, AppointmentFilter, AppointmentView, Coverage, CoverageItem, ProposeRequest,
};
use infra::paging::PageRequest;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

/// Cross-appointment endpoints.
pub struct AppointmentsApi {
    /// Shared state.
    pub state: AppState,
}

/// A proposal.
#[derive(Debug, Object)]
pub struct ProposeBody {
    /// The person to appoint.
    pub person_id: Uuid,
    /// Their home post (must be held today).
    pub home_post_id: Uuid,
    /// `community_committees`, `property_company` or `owners_committee`.
    pub host_kind: String,
    /// The host: the community's id for the community committees, else the company's or
    /// the owners' committee's.
    pub host_id: Uuid,
    /// community_committees: `part_time_member` (兼职委员); property_company:
    /// `party_building_instructor` (党建指导员); owners_committee: `supervisor` (监督员) or
    /// `part_time_member`.
    pub host_title: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day (at most 5 years after the first, by default).
    pub ends_on: NaiveDate,
    /// Meeting or document reference, e.g. 联席会议纪要〔2026〕3号.
    pub basis: String,
    /// The community whose party branch decides, when the two organizations share several.
    #[oai(skip_serializing_if_is_none)]
    pub community_id: Option<Uuid>,
    /// A note for the history.
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
}

/// A decision on an appointment.
#[derive(Debug, Object)]
pub struct DecisionBody {
    /// The `version` you saw; a stale one is refused with 409.
    pub version: i32,
    /// A note; the reason, required to reject, end early or revoke.
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
}

/// A cross-appointment.
#[derive(Debug, Object)]
pub struct CrossAppointment {
    /// Id.
    pub id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// Their name.
    pub person_name: String,
    /// Home post.
    pub home_post_id: Uuid,
    /// Home organization kind.
    pub home_org_kind: String,
    /// Home organization.
    pub home_org_id: Uuid,
    /// Home organization's name.
    pub home_org_name: String,
    /// Home post's title.
    pub home_title: String,
    /// Host kind.
    pub host_kind: String,
    /// Host.
    pub host_id: Uuid,
    /// Host's name.
    pub host_name: String,
    /// Host title.
    pub host_title: String,
    /// The community whose party branch decides.
    pub community_id: Uuid,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// Basis.
    pub basis: String,
    /// Status today: proposed, active, rejected, ended (also when the term is over or the
    /// home post has ended) or revoked.
    pub status: String,
    /// The status as last decided.
    pub recorded_status: String,
    /// Whether it grants its host post's rights today.
    pub in_force: bool,
    /// Why it was rejected, ended or revoked.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
    /// Send this back to decide.
    pub version: i32,
    /// Proposed at.
    pub created_at: DateTime<Utc>,
    /// Last decided at.
    #[oai(skip_serializing_if_is_none)]
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<AppointmentView> for CrossAppointment {
    fn from(v: AppointmentView) -> Self {
        let r = v.record;
        Self {
            id: r.id,
            person_id: r.person_id.0,
            person_name: v.person_name,
            home_post_id: r.home_post_id.0,
            home_org_kind: r.home_org_kind.as_str().to_owned(),
            home_org_id: r.home_org_id,
            home_org_name: v.home_org_name,
            home_title: v.home_title,
            host_kind: r.host_kind.as_str().to_owned(),
            host_id: r.host_id,
            host_name: v.host_name,
            host_title: r.host_title.as_str().to_owned(),
            community_id: r.community_id.0,
            starts_on: r.term.start,
            ends_on: r.term.end.unwrap_or(r.term.start),
            basis: r.basis,
            status: v.effective_status.as_str().to_owned(),
            recorded_status: r.status.as_str().to_owned(),
            in_force: v.in_force,
            end_reason: r.end_reason,
            version: r.version,
            created_at: v.created_at,
            decided_at: v.decided_at,
        }
    }
}

/// One event of the history.
#[derive(Debug, Object)]
pub struct HistoryEvent {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Who acted.
    #[oai(skip_serializing_if_is_none)]
    pub person_id: Option<Uuid>,
    /// As which binding (`role@scope`).
    pub acting_as: String,
    /// propose, approve, reject, end or revoke.
    pub action: String,
    /// Status before.
    #[oai(skip_serializing_if_is_none)]
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: String,
    /// Note or reason.
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
}

impl From<AppointmentEvent> for HistoryEvent {
    fn from(e: AppointmentEvent) -> Self {
        Self {
            id: e.id,
            at: e.at,
            person_id: e.person_id,
            acting_as: e.acting_as,
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            note: e.note,
        }
    }
}

/// An appointment with its history.
#[derive(Debug, Object)]
pub struct CrossAppointmentDetail {
    /// The appointment.
    pub appointment: CrossAppointment,
    /// Every change, oldest first; never edited or deleted.
    pub history: Vec<HistoryEvent>,
}

/// A page of appointments.
#[derive(Debug, Object)]
pub struct CrossAppointmentPage {
    /// The rows.
    pub items: Vec<CrossAppointment>,
    /// Pass as `cursor` for the next page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

/// An estate or owners' committee in a coverage list.
#[derive(Debug, Object)]
pub struct CoverageEntry {
    /// Estate or committee id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The company serving the estate today.
    #[oai(skip_serializing_if_is_none)]
    pub company_id: Option<Uuid>,
    /// Its name.
    #[oai(skip_serializing_if_is_none)]
    pub company_name: Option<String>,
    /// Counted as covered.
    pub covered: bool,
    /// The appointments in force that cover it.
    pub appointment_ids: Vec<Uuid>,
}

impl From<CoverageItem> for CoverageEntry {
    fn from(i: CoverageItem) -> Self {
        Self {
            id: i.id,
            name: i.name,
            company_id: i.company_id,
            company_name: i.company_name,
            covered: i.covered,
            appointment_ids: i.appointment_ids,
        }
    }
}

/// Two-way entry coverage (双向进入覆盖率) of a community.
#[derive(Debug, Object)]
pub struct CoverageReport {
    /// The community.
    pub community_id: Uuid,
    /// The day it is computed for.
    pub as_of: NaiveDate,
    /// Estates whose serving company has an appointment in force with the community
    /// committees, in either direction.
    pub estates_covered: u32,
    /// The community's estates.
    pub estates_total: u32,
    /// covered / total (0 when there are none).
    pub estate_share: f64,
    /// Current owners' committees with a community committee member appointed to them.
    pub committees_covered: u32,
    /// The community's current owners' committees.
    pub committees_total: u32,
    /// covered / total (0 when there are none).
    pub committee_share: f64,
    /// The estates behind the share.
    pub estates: Vec<CoverageEntry>,
    /// The committees behind the share.
    pub committees: Vec<CoverageEntry>,
}

fn share(items: &[CoverageItem]) -> (u32, u32, f64) {
    let total = u32::try_from(items.len()).unwrap_or(u32::MAX);
    let covered = u32::try_from(items.iter().filter(|i| i.covered).count()).unwrap_or(u32::MAX);
    let share = if total == 0 { 0.0 } else { f64::from(covered) / f64::from(total) };
    (covered, total, share)
}

impl From<Coverage> for CoverageReport {
    fn from(c: Coverage) -> Self {
        let (estates_covered, estates_total, estate_share) = share(&c.estates);
        let (committees_covered, committees_total, committee_share) = share(&c.committees);
        Self {
            community_id: c.community_id.0,
            as_of: c.as_of,
            estates_covered,
            estates_total,
            estate_share,
            committees_covered,
            committees_total,
            committee_share,
            estates: c.estates.into_iter().map(Into::into).collect(),
            committees: c.committees.into_iter().map(Into::into).collect(),
        }
    }
}

/// The CSV export.
#[derive(ApiResponse)]
pub enum CsvExport {
    /// UTF-8 with a byte-order mark, so that spreadsheets show Chinese correctly.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(Binary<Vec<u8>>, #[oai(header = "Content-Disposition")] String),
}

fn filter(
    community_id: Option<Uuid>,
    organization_id: Option<Uuid>,
    person_id: Option<Uuid>,
    status: Option<String>,
    active_on: Option<NaiveDate>,
) -> ApiResult<AppointmentFilter> {
    let status = status
        .map(|s| s.parse::<AppointmentStatus>().map_err(|_| DomainError::field("status", Code::InvalidStatus)))
        .transpose()?;
    Ok(AppointmentFilter {
        community_id: community_id.map(Into::into),
        organization_id,
        person_id: person_id.map(Into::into),
        status,
        active_on,
    })
}

#[allow(clippy::too_many_arguments)]
#[OpenApi(prefix_path = "/api/v1")]
impl AppointmentsApi {
    /// Propose a cross-appointment (the home organization, the host or the party branch).
    #[oai(path = "/cross-appointments", method = "post", tag = "Tag::CrossAppointments")]
    async fn propose(&self, Auth(actor): Auth, body: Json<ProposeBody>) -> ApiResult<Created<CrossAppointment>> {
        let b = body.0;
        let req = ProposeRequest {
            person_id: b.person_id.into(),
            home_post_id: b.home_post_id.into(),
            host_kind: b.host_kind,
            host_id: b.host_id,
            host_title: b.host_title,
            starts_on: b.starts_on,
            ends_on: b.ends_on,
            basis: b.basis,
            community_id: b.community_id.map(Into::into),
            note: b.note,
        };
        Ok(Created::Created(Json(self.state.appointments.propose(&actor, req).await?.into())))
    }

    /// List cross-appointments.
    #[oai(path = "/cross-appointments", method = "get", tag = "Tag::CrossAppointments")]
    async fn list(
        &self,
        Auth(actor): Auth,
        /// Decided by this community's party branch.
        community_id: Query<Option<Uuid>>,
        /// With this home or host organization (a community, company or owners' committee).
        organization_id: Query<Option<Uuid>>,
        /// Of this person.
        person_id: Query<Option<Uuid>>,
        /// Recorded status: proposed, active, rejected, ended, revoked.
        status: Query<Option<String>>,
        /// In force on this day.
        active_on: Query<Option<NaiveDate>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<CrossAppointmentPage>> {
        let f = filter(community_id.0, organization_id.0, person_id.0, status.0, active_on.0)?;
        let page = PageRequest::parse(limit.0, cursor.0.as_deref())?;
        let rows = self.state.appointments.list(&actor, f, page).await?;
        Ok(Json(CrossAppointmentPage {
            items: rows.items.into_iter().map(Into::into).collect(),
            next_cursor: rows.next_cursor,
        }))
    }

    /// Export cross-appointments as CSV (same filters as the list, up to 10,000 rows).
    #[oai(path = "/cross-appointments/export.csv", method = "get", tag = "Tag::CrossAppointments")]
    async fn export(
        &self,
        Auth(actor): Auth,
        /// Decided by this community's party branch.
        community_id: Query<Option<Uuid>>,
        /// With this home or host organization.
        organization_id: Query<Option<Uuid>>,
        /// Of this person.
        person_id: Query<Option<Uuid>>,
        /// Recorded status.
        status: Query<Option<String>>,
        /// In force on this day.
        active_on: Query<Option<NaiveDate>>,
    ) -> ApiResult<CsvExport> {
        let f = filter(community_id.0, organization_id.0, person_id.0, status.0, active_on.0)?;
        let rows = self.state.appointments.export(&actor, f).await?;
        Ok(CsvExport::Csv(
            Binary(infra::csv::appointments(&rows)),
            "attachment; filename=\"cross-appointments.csv\"".to_owned(),
        ))
    }

    /// Get a cross-appointment with its history.
    #[oai(path = "/cross-appointments/:id", method = "get", tag = "Tag::CrossAppointments")]
    async fn get(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<CrossAppointmentDetail>> {
        let (view, history) = self.state.appointments.get(&actor, id.0).await?;
        Ok(Json(CrossAppointmentDetail {
            appointment: view.into(),
            history: history.into_iter().map(Into::into).collect(),
        }))
    }

    /// Approve a proposal (the community's party branch).
    #[oai(path = "/cross-appointments/:id/approve", method = "post", tag = "Tag::CrossAppointments")]
    async fn approve(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<DecisionBody>,
    ) -> ApiResult<Json<CrossAppointment>> {
        self.decide(&actor, id.0, AppointmentAction::Approve, body.0).await
    }

    /// Reject a proposal, with a reason (the community's party branch).
    #[oai(path = "/cross-appointments/:id/reject", method = "post", tag = "Tag::CrossAppointments")]
    async fn reject(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<DecisionBody>,
    ) -> ApiResult<Json<CrossAppointment>> {
        self.decide(&actor, id.0, AppointmentAction::Reject, body.0).await
    }

    /// End an active appointment early, with a reason (the community's party branch).
    #[oai(path = "/cross-appointments/:id/end", method = "post", tag = "Tag::CrossAppointments")]
    async fn end(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<DecisionBody>,
    ) -> ApiResult<Json<CrossAppointment>> {
        self.decide(&actor, id.0, AppointmentAction::End, body.0).await
    }

    /// Revoke an active appointment, with a reason (the community's party branch).
    #[oai(path = "/cross-appointments/:id/revoke", method = "post", tag = "Tag::CrossAppointments")]
    async fn revoke(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<DecisionBody>,
    ) -> ApiResult<Json<CrossAppointment>> {
        self.decide(&actor, id.0, AppointmentAction::Revoke, body.0).await
    }

    /// Two-way entry coverage of a community: the share of estates whose serving company has
    /// an appointment in force with the community committees, the share of owners' committees
    /// with a community committee member on them, and the lists behind both.
    #[oai(path = "/communities/:id/coverage", method = "get", tag = "Tag::CrossAppointments")]
    async fn coverage(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<CoverageReport>> {
        Ok(Json(self.state.appointments.coverage(&actor, id.0.into()).await?.into()))
    }
}

impl AppointmentsApi {
    async fn decide(
        &self,
        actor: &infra::actor::Actor,
        id: Uuid,
        action: AppointmentAction,
        body: DecisionBody,
    ) -> ApiResult<Json<CrossAppointment>> {
        Ok(Json(self.state.appointments.act(actor, id, action, body.version, body.note).await?.into()))
    }
}
