//! Joint meetings (联席会议) and the tasks their resolutions assign.

use super::{page, Created, Tag};
use crate::auth::Auth;
use crate::problem::ApiResult;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use domain::error::Validator;
use domain::meeting::{
    AgendaItemInput, Attendance, Invitee, MeetingAction, MeetingStatus, OrgRef, TaskAction, TaskInput, TaskStatus,
};
use domain::registry::OrgKind;
use domain::Code;
use infra::meetings::tasks::{TaskFilter, TaskTallyRow, TaskView};
use infra::meetings::{
    AgendaItemView, AmendmentView, AttendanceInput, InviteeView, MeetingFilter, MeetingRecord, MeetingRequest,
    MeetingSummary, MinutesInput, ResolutionView,
};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use uuid::Uuid;

/// Joint meeting and task endpoints.
pub struct MeetingsApi {
    /// Shared state.
    pub state: AppState,
}

/// An agenda item as sent.
#[derive(Debug, Object)]
pub struct AgendaItemBody {
    /// The topic.
    pub topic: String,
    /// A complaint of the community it is about (typically a disputed one).
    #[oai(skip_serializing_if_is_none)]
    pub complaint_id: Option<Uuid>,
    /// A cross-appointment of the community it is about.
    #[oai(skip_serializing_if_is_none)]
    pub appointment_id: Option<Uuid>,
}

/// An invitee as sent: an organization (`org_kind` and `org_id`) or a person (`person_id`).
#[derive(Debug, Object)]
pub struct InviteeBody {
    /// `residents_committee` (its id is the community's), `property_company`,
    /// `owners_committee` or `department`.
    #[oai(skip_serializing_if_is_none)]
    pub org_kind: Option<String>,
    /// The organization.
    #[oai(skip_serializing_if_is_none)]
    pub org_id: Option<Uuid>,
    /// A person holding a post in the community's organizations (a cross-appointed member,
    /// an officer).
    #[oai(skip_serializing_if_is_none)]
    pub person_id: Option<Uuid>,
}

/// What a meeting is: its title, time, place, convener, agenda and invitees.
#[derive(Debug, Object)]
pub struct MeetingFields {
    /// Title.
    pub title: String,
    /// When it starts (within a year of now; a past time records a meeting after the fact).
    pub starts_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// Who runs it: a member of the community's party branch or residents' committee (you
    /// when convening, unchanged when editing, if absent).
    #[oai(skip_serializing_if_is_none)]
    pub convener_id: Option<Uuid>,
    /// One to fifty items.
    pub agenda: Vec<AgendaItemBody>,
    /// One to fifty invitees.
    pub invitees: Vec<InviteeBody>,
}

/// A meeting to convene.
#[derive(Debug, Object)]
pub struct MeetingCreate {
    /// The community whose party branch convenes it.
    pub community_id: Uuid,
    #[oai(flatten)]
    pub meeting: MeetingFields,
}

/// A planned meeting's new details (agenda and invitees are replaced whole).
#[derive(Debug, Object)]
pub struct MeetingEdit {
    /// The `version` you saw.
    pub version: i32,
    #[oai(flatten)]
    pub meeting: MeetingFields,
}

impl MeetingFields {
    fn request(self, community_id: Uuid) -> ApiResult<MeetingRequest> {
        let (agenda, invitees) = details(self.agenda, self.invitees)?;
        Ok(MeetingRequest {
            community_id,
            title: self.title,
            starts_at: self.starts_at,
            place: self.place,
            convener_id: self.convener_id,
            agenda,
            invitees,
        })
    }
}

/// What moves a meeting on.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MeetingActionName {
    /// Mark it held.
    Hold,
    /// Sign the record off.
    Publish,
    /// Call it off, with a reason.
    Cancel,
}

/// Hold, publish or cancel.
#[derive(Debug, Object)]
pub struct MeetingActionBody {
    /// The `version` you saw; a stale one is refused with 409.
    pub version: i32,
    /// Why (required to cancel).
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
}

/// One invitee's attendance.
#[derive(Debug, Object)]
pub struct AttendanceBody {
    /// The invitee (`invitees[].id` of the meeting).
    pub invitee_id: Uuid,
    /// `present`, `absent` or `delegate`.
    pub attendance: String,
    /// Who came in their place (a delegate only).
    #[oai(skip_serializing_if_is_none)]
    pub delegate_name: Option<String>,
}

/// Minutes of an agenda item.
#[derive(Debug, Object)]
pub struct MinutesBody {
    /// The item (`agenda[].id`).
    pub agenda_item_id: Uuid,
    /// What was said and agreed.
    pub minutes: String,
}

/// Attendance and minutes of a held meeting (only the rows named change).
#[derive(Debug, Object)]
pub struct RecordBody {
    /// The `version` you saw.
    pub version: i32,
    /// Attendance rows.
    #[oai(default)]
    pub attendance: Vec<AttendanceBody>,
    /// Minutes rows.
    #[oai(default)]
    pub minutes: Vec<MinutesBody>,
}

/// A task of a resolution.
#[derive(Debug, Object)]
pub struct TaskBody {
    /// What is to be done.
    pub description: String,
    /// The invited organization that does it: its kind.
    pub org_kind: String,
    /// Its id.
    pub org_id: Uuid,
    /// A person in it who answers for it.
    #[oai(skip_serializing_if_is_none)]
    pub person_id: Option<Uuid>,
    /// The last day (from the meeting's day, within a year).
    pub due_on: NaiveDate,
}

/// A resolution (决议) on an agenda item, with its tasks.
#[derive(Debug, Object)]
pub struct ResolutionBody {
    /// The `version` you saw.
    pub version: i32,
    /// The agenda item.
    pub agenda_item_id: Uuid,
    /// What was resolved.
    pub text: String,
    /// Up to fifty tasks (assigned when the meeting is published).
    #[oai(default)]
    pub tasks: Vec<TaskBody>,
}

/// A correction to a published record.
#[derive(Debug, Object)]
pub struct AmendmentBody {
    /// The `version` you saw.
    pub version: i32,
    /// Why it is corrected.
    pub reason: String,
    /// The correction.
    pub text: String,
}

/// Report done, verify or send back.
#[derive(Debug, Object)]
pub struct TaskActionBody {
    /// The `version` you saw.
    pub version: i32,
    /// What was done (required to report done), or why it goes back (required to send back).
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
}

/// An organization.
#[derive(Debug, Object)]
pub struct Organization {
    /// Kind.
    pub kind: String,
    /// Id (a residents' committee's is its community's).
    pub id: Uuid,
    /// Name.
    pub name: String,
}

/// A meeting in a list.
#[derive(Debug, Object)]
pub struct MeetingItem {
    pub id: Uuid,
    pub community_id: Uuid,
    pub community_name: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub place: String,
    /// planned, held, published or cancelled.
    pub status: String,
    pub convener_id: Uuid,
    pub convener_name: String,
    /// Send this back to change it.
    pub version: i32,
}

impl From<MeetingSummary> for MeetingItem {
    fn from(m: MeetingSummary) -> Self {
        Self {
            id: m.id,
            community_id: m.community_id,
            community_name: m.community_name,
            title: m.title,
            starts_at: m.starts_at,
            place: m.place,
            status: m.status.as_str().to_owned(),
            convener_id: m.convener_id,
            convener_name: m.convener_name,
            version: m.version,
        }
    }
}

/// An invitee and whether they came.
#[derive(Debug, Object)]
pub struct InviteeItem {
    pub id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub org_kind: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub org_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub person_id: Option<Uuid>,
    /// The organization's or person's name.
    pub name: String,
    /// present, absent or delegate (absent until written).
    #[oai(skip_serializing_if_is_none)]
    pub attendance: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub delegate_name: Option<String>,
}

impl From<InviteeView> for InviteeItem {
    fn from(i: InviteeView) -> Self {
        Self {
            id: i.id,
            org_kind: i.organization.map(|o| o.kind.as_str().to_owned()),
            org_id: i.organization.map(|o| o.id),
            person_id: i.person_id,
            name: i.name,
            attendance: i.attendance.map(|a| a.as_str().to_owned()),
            delegate_name: i.delegate_name,
        }
    }
}

/// A task.
#[derive(Debug, Object)]
pub struct Task {
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub meeting_title: String,
    pub community_id: Uuid,
    pub community_name: String,
    pub resolution_id: Uuid,
    /// Who does it.
    pub organization: Organization,
    #[oai(skip_serializing_if_is_none)]
    pub person_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub person_name: Option<String>,
    pub description: String,
    pub due_on: NaiveDate,
    #[oai(skip_serializing_if_is_none)]
    pub complaint_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub case_number: Option<String>,
    /// open, reported or verified.
    pub status: String,
    /// Open past its due date.
    pub overdue: bool,
    /// When its meeting was published (absent before).
    #[oai(skip_serializing_if_is_none)]
    pub assigned_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub reported_at: Option<DateTime<Utc>>,
    /// What the organization says it did.
    #[oai(skip_serializing_if_is_none)]
    pub report_note: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub verified_at: Option<DateTime<Utc>>,
    pub version: i32,
    /// What you may do now: report_done, verify, send_back.
    pub allowed_actions: Vec<String>,
}

impl From<TaskView> for Task {
    fn from(t: TaskView) -> Self {
        Self {
            id: t.id,
            meeting_id: t.meeting_id,
            meeting_title: t.meeting_title,
            community_id: t.community_id,
            community_name: t.community_name,
            resolution_id: t.resolution_id,
            organization: Organization {
                kind: t.organization.kind.as_str().to_owned(),
                id: t.organization.id,
                name: t.organization_name,
            },
            person_id: t.person_id,
            person_name: t.person_name,
            description: t.description,
            due_on: t.due_on,
            complaint_id: t.complaint_id,
            case_number: t.case_number,
            status: t.status.as_str().to_owned(),
            overdue: t.overdue,
            assigned_at: t.assigned_at,
            reported_at: t.reported_at,
            report_note: t.report_note,
            verified_at: t.verified_at,
            version: t.version,
            allowed_actions: t.allowed_actions.iter().map(|a| a.as_str().to_owned()).collect(),
        }
    }
}

/// A resolution.
#[derive(Debug, Object)]
pub struct Resolution {
    pub id: Uuid,
    pub text: String,
    pub tasks: Vec<Task>,
}

impl From<ResolutionView> for Resolution {
    fn from(r: ResolutionView) -> Self {
        Self { id: r.id, text: r.text, tasks: r.tasks.into_iter().map(Into::into).collect() }
    }
}

/// An agenda item, with minutes and resolutions when you may see the record.
#[derive(Debug, Object)]
pub struct AgendaItem {
    pub id: Uuid,
    pub topic: String,
    #[oai(skip_serializing_if_is_none)]
    pub complaint_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub case_number: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub appointment_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub minutes: Option<String>,
    pub resolutions: Vec<Resolution>,
}

impl From<AgendaItemView> for AgendaItem {
    fn from(a: AgendaItemView) -> Self {
        Self {
            id: a.id,
            topic: a.topic,
            complaint_id: a.complaint_id,
            case_number: a.case_number,
            appointment_id: a.appointment_id,
            minutes: a.minutes,
            resolutions: a.resolutions.into_iter().map(Into::into).collect(),
        }
    }
}

/// A correction to the published record.
#[derive(Debug, Object)]
pub struct Amendment {
    pub id: Uuid,
    /// Who made it.
    pub by_name: String,
    pub reason: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

impl From<AmendmentView> for Amendment {
    fn from(a: AmendmentView) -> Self {
        Self { id: a.id, by_name: a.by_name, reason: a.reason, text: a.text, at: a.at }
    }
}

/// One event of a meeting's history.
#[derive(Debug, Object)]
pub struct MeetingEventItem {
    pub at: DateTime<Utc>,
    pub actor_name: String,
    pub acting_as: String,
    pub action: String,
    #[oai(skip_serializing_if_is_none)]
    pub from_status: Option<String>,
    pub to_status: String,
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
}

/// A meeting as you may see it.
#[derive(Debug, Object)]
pub struct Meeting {
    #[oai(flatten)]
    pub meeting: MeetingItem,
    #[oai(skip_serializing_if_is_none)]
    pub cancel_reason: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub published_at: Option<DateTime<Utc>>,
    /// Whether minutes and resolutions are shown: to the community committees always, to
    /// invitees once published.
    pub record_visible: bool,
    pub invitees: Vec<InviteeItem>,
    pub agenda: Vec<AgendaItem>,
    pub amendments: Vec<Amendment>,
    /// What you may do now: edit, hold, record, resolve, publish, cancel, amend.
    pub allowed_actions: Vec<String>,
    pub events: Vec<MeetingEventItem>,
}

impl From<MeetingRecord> for Meeting {
    fn from(r: MeetingRecord) -> Self {
        Self {
            meeting: r.summary.into(),
            cancel_reason: r.cancel_reason,
            published_at: r.published_at,
            record_visible: r.record_visible,
            invitees: r.invitees.into_iter().map(Into::into).collect(),
            agenda: r.agenda.into_iter().map(Into::into).collect(),
            amendments: r.amendments.into_iter().map(Into::into).collect(),
            allowed_actions: r.allowed_actions.iter().map(|a| a.as_str().to_owned()).collect(),
            events: r
                .events
                .into_iter()
                .map(|e| MeetingEventItem {
                    at: e.at,
                    actor_name: e.actor_name,
                    acting_as: e.acting_as,
                    action: e.action,
                    from_status: e.from_status,
                    to_status: e.to_status,
                    note: e.note,
                })
                .collect(),
        }
    }
}

/// A page of meetings.
#[derive(Debug, Object)]
pub struct MeetingPage {
    pub items: Vec<MeetingItem>,
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

/// A page of tasks.
#[derive(Debug, Object)]
pub struct TaskPage {
    pub items: Vec<Task>,
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

/// One organization's tasks due in the period.
#[derive(Debug, Object)]
pub struct TaskTallyItem {
    pub organization: Organization,
    /// Tasks due in the period.
    pub due: u64,
    /// Verified, reported done by the due date.
    pub on_time: u64,
    /// Verified, reported after the due date.
    pub late: u64,
    /// Not verified, past the due date.
    pub outstanding: u64,
}

impl From<TaskTallyRow> for TaskTallyItem {
    fn from(r: TaskTallyRow) -> Self {
        Self {
            organization: Organization {
                kind: r.organization.kind.as_str().to_owned(),
                id: r.organization.id,
                name: r.organization_name,
            },
            due: r.tally.due,
            on_time: r.tally.on_time,
            late: r.tally.late,
            outstanding: r.tally.outstanding,
        }
    }
}

/// The tasks of a published meeting as CSV.
#[derive(ApiResponse)]
pub enum TasksCsv {
    /// UTF-8 with a byte-order mark.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(Binary<Vec<u8>>, #[oai(header = "Content-Disposition")] String),
}

fn org(v: &mut Validator, field: &str, kind: &str, id: Uuid) -> Option<OrgRef> {
    v.check(field, kind.parse::<OrgKind>().map_err(|_| Code::InvalidOrgKind)).map(|kind| OrgRef { kind, id })
}

fn details(agenda: Vec<AgendaItemBody>, invitees: Vec<InviteeBody>) -> ApiResult<(Vec<AgendaItemInput>, Vec<Invitee>)> {
    let mut v = Validator::new();
    let agenda = agenda
        .into_iter()
        .map(|a| AgendaItemInput { topic: a.topic, complaint_id: a.complaint_id, appointment_id: a.appointment_id })
        .collect();
    let mut out = Vec::new();
    for (i, b) in invitees.into_iter().enumerate() {
        match (b.org_kind, b.org_id, b.person_id) {
            (Some(kind), Some(id), None) => {
                if let Some(o) = org(&mut v, &format!("invitees[{i}].org_kind"), &kind, id) {
                    out.push(Invitee::Organization(o));
                }
            }
            (None, None, Some(p)) => out.push(Invitee::Person(p)),
            _ => v.add(&format!("invitees[{i}]"), Code::InvalidValue),
        }
    }
    v.finish()?;
    Ok((agenda, out))
}

fn parse_opt<T: std::str::FromStr>(field: &str, value: Option<String>) -> ApiResult<Option<T>> {
    Ok(value.map(|s| s.parse::<T>().map_err(|_| domain::DomainError::field(field, Code::InvalidStatus))).transpose()?)
}

#[allow(clippy::too_many_arguments)]
#[OpenApi(prefix_path = "/api/v1")]
impl MeetingsApi {
    /// Convene a joint meeting (the community's party branch).
    #[oai(path = "/meetings", method = "post", tag = "Tag::Meetings")]
    async fn convene(&self, Auth(actor): Auth, body: Json<MeetingCreate>) -> ApiResult<Created<Meeting>> {
        let b = body.0;
        let req = b.meeting.request(b.community_id)?;
        Ok(Created::Created(Json(self.state.meetings.convene(&actor, req).await?.into())))
    }

    /// List the meetings you may see, newest first: a community's, or those of the
    /// communities you oversee and those you were invited to.
    #[oai(path = "/meetings", method = "get", tag = "Tag::Meetings")]
    async fn list(
        &self,
        Auth(actor): Auth,
        /// One community.
        community_id: Query<Option<Uuid>>,
        /// planned, held, published or cancelled.
        status: Query<Option<String>>,
        /// Starting on or after this day.
        from: Query<Option<NaiveDate>>,
        /// Starting on or before this day.
        to: Query<Option<NaiveDate>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<MeetingPage>> {
        let filter = MeetingFilter {
            community_id: community_id.0,
            status: parse_opt::<MeetingStatus>("status", status.0)?,
            from: from.0,
            to: to.0,
        };
        let rows = self.state.meetings.list(&actor, filter, page(limit.0, cursor.0)?).await?;
        Ok(Json(MeetingPage { items: rows.items.into_iter().map(Into::into).collect(), next_cursor: rows.next_cursor }))
    }

    /// A meeting: agenda, invitees and attendance, minutes, resolutions and tasks (invitees
    /// see the record once published), amendments, history and what you may do.
    #[oai(path = "/meetings/:id", method = "get", tag = "Tag::Meetings")]
    async fn get(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Meeting>> {
        Ok(Json(self.state.meetings.get(&actor, id.0).await?.into()))
    }

    /// Change a planned meeting (its convener or the secretary).
    #[oai(path = "/meetings/:id", method = "put", tag = "Tag::Meetings")]
    async fn edit(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<MeetingEdit>) -> ApiResult<Json<Meeting>> {
        let b = body.0;
        // An edit keeps the meeting's community; the use case reads it from the record.
        let req = b.meeting.request(Uuid::nil())?;
        Ok(Json(self.state.meetings.edit(&actor, id.0, b.version, req).await?.into()))
    }

    /// Move a meeting on: `hold` a planned one from its start on (its convener or the
    /// secretary); `publish` a held one (the secretary: every invitee's attendance must be
    /// written; the record becomes immutable and its tasks are assigned); `cancel` a planned or
    /// held one with a reason (the secretary).
    #[oai(path = "/meetings/:id/:action", method = "post", tag = "Tag::Meetings")]
    async fn act(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        action: Path<MeetingActionName>,
        body: Json<MeetingActionBody>,
    ) -> ApiResult<Json<Meeting>> {
        let b = body.0;
        let action = match action.0 {
            MeetingActionName::Hold => MeetingAction::Hold,
            MeetingActionName::Publish => MeetingAction::Publish,
            MeetingActionName::Cancel => MeetingAction::Cancel,
        };
        Ok(Json(self.state.meetings.act(&actor, id.0, action, b.version, b.reason).await?.into()))
    }

    /// Write attendance and minutes of a held meeting (its convener or the secretary).
    #[oai(path = "/meetings/:id/record", method = "put", tag = "Tag::Meetings")]
    async fn record(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<RecordBody>) -> ApiResult<Json<Meeting>> {
        let b = body.0;
        let mut v = Validator::new();
        let mut attendance = Vec::new();
        for (i, a) in b.attendance.into_iter().enumerate() {
            if let Some(kind) = v.check(&format!("attendance[{i}].attendance"), a.attendance.parse::<Attendance>()) {
                attendance.push(AttendanceInput {
                    invitee_id: a.invitee_id,
                    attendance: kind,
                    delegate_name: a.delegate_name,
                });
            }
        }
        v.finish()?;
        let minutes = b
            .minutes
            .into_iter()
            .map(|m| MinutesInput { agenda_item_id: m.agenda_item_id, minutes: m.minutes })
            .collect();
        Ok(Json(self.state.meetings.record(&actor, id.0, b.version, attendance, minutes).await?.into()))
    }

    /// Add a resolution with its tasks to a held meeting (its convener or the secretary).
    #[oai(path = "/meetings/:id/resolutions", method = "post", tag = "Tag::Meetings")]
    async fn resolve(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<ResolutionBody>) -> ApiResult<Json<Meeting>> {
        let b = body.0;
        let mut v = Validator::new();
        let mut tasks = Vec::new();
        for (i, t) in b.tasks.into_iter().enumerate() {
            if let Some(organization) = org(&mut v, &format!("tasks[{i}].org_kind"), &t.org_kind, t.org_id) {
                tasks.push(TaskInput {
                    description: t.description,
                    organization,
                    person_id: t.person_id,
                    due_on: t.due_on,
                });
            }
        }
        v.finish()?;
        Ok(Json(self.state.meetings.resolve(&actor, id.0, b.version, b.agenda_item_id, &b.text, tasks).await?.into()))
    }

    /// Correct a published record with an amendment saying why (the secretary).
    #[oai(path = "/meetings/:id/amendments", method = "post", tag = "Tag::Meetings")]
    async fn amend(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<AmendmentBody>) -> ApiResult<Json<Meeting>> {
        let b = body.0;
        Ok(Json(self.state.meetings.amend(&actor, id.0, b.version, &b.reason, &b.text).await?.into()))
    }

    /// A meeting's tasks as CSV (once you may see its record).
    #[oai(path = "/meetings/:id/tasks.csv", method = "get", tag = "Tag::Meetings")]
    async fn tasks_csv(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<TasksCsv> {
        let table = self.state.meetings.tasks_table(&actor, id.0).await?;
        Ok(TasksCsv::Csv(Binary(table.csv()), "attachment; filename=\"meeting-tasks.csv\"".to_owned()))
    }

    /// List tasks you may see, newest first: `mine` for your organizations' (the desk).
    #[oai(path = "/tasks", method = "get", tag = "Tag::Meetings")]
    async fn tasks(
        &self,
        Auth(actor): Auth,
        /// Only your organizations' tasks, or those naming you.
        #[oai(default)]
        mine: Query<bool>,
        /// One community.
        community_id: Query<Option<Uuid>>,
        /// open, reported or verified.
        status: Query<Option<String>>,
        /// Only open tasks past their due date.
        #[oai(default)]
        overdue: Query<bool>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<TaskPage>> {
        let filter = TaskFilter {
            mine: mine.0,
            community_id: community_id.0,
            status: parse_opt::<TaskStatus>("status", status.0)?,
            overdue: overdue.0,
        };
        let rows = self.state.meetings.tasks(&actor, filter, page(limit.0, cursor.0)?).await?;
        Ok(Json(TaskPage { items: rows.items.into_iter().map(Into::into).collect(), next_cursor: rows.next_cursor }))
    }

    /// One task.
    #[oai(path = "/tasks/:id", method = "get", tag = "Tag::Meetings")]
    async fn task(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Task>> {
        Ok(Json(self.state.meetings.task(&actor, id.0).await?.into()))
    }

    /// Report a task done, saying what was done (the assigned organization).
    #[oai(path = "/tasks/:id/report-done", method = "post", tag = "Tag::Meetings")]
    async fn report_done(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<TaskActionBody>,
    ) -> ApiResult<Json<Task>> {
        self.act_on_task(&actor, id.0, TaskAction::ReportDone, body.0).await
    }

    /// Verify a task reported done (the party branch; not a secretary recused for the company).
    #[oai(path = "/tasks/:id/verify", method = "post", tag = "Tag::Meetings")]
    async fn verify(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<TaskActionBody>) -> ApiResult<Json<Task>> {
        self.act_on_task(&actor, id.0, TaskAction::Verify, body.0).await
    }

    /// Send a task reported done back, saying why (the party branch).
    #[oai(path = "/tasks/:id/send-back", method = "post", tag = "Tag::Meetings")]
    async fn send_back(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<TaskActionBody>) -> ApiResult<Json<Task>> {
        self.act_on_task(&actor, id.0, TaskAction::SendBack, body.0).await
    }

    /// Meeting tasks due in a period per organization: done on time, late, outstanding. A
    /// community's (its overseers), or every community's (the county).
    #[oai(path = "/oversight/tasks", method = "get", tag = "Tag::Oversight")]
    async fn tally(
        &self,
        Auth(actor): Auth,
        /// One community (the whole county when absent).
        community_id: Query<Option<Uuid>>,
        /// First due day.
        from: Query<NaiveDate>,
        /// Last due day (at most 366 days after `from`).
        to: Query<NaiveDate>,
    ) -> ApiResult<Json<Vec<TaskTallyItem>>> {
        infra::oversight::checked(domain::oversight::Period::days(from.0, to.0))?;
        let rows = self.state.meetings.task_tally(&actor, community_id.0, from.0, to.0).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }
}

impl MeetingsApi {
    async fn act_on_task(
        &self,
        actor: &infra::actor::Actor,
        id: Uuid,
        action: TaskAction,
        body: TaskActionBody,
    ) -> ApiResult<Json<Task>> {
        Ok(Json(self.state.meetings.act_on_task(actor, id, action, body.version, body.note).await?.into()))
    }
}
