//! Joint meetings (联席会议): the community's party branch convenes the parties at one table;
//! what they agree (决议) becomes tasks (任务) that each name one organization and a due date,
//! and are followed until the branch verifies them.
//!
//! A meeting is planned, then held (attendance and minutes are written), then published:
//! signed off by the secretary, after which the record never changes and a correction is an
//! amendment saying who and why. A task opens when its meeting is published; the assigned
//! organization reports it done; the branch verifies it or sends it back. Overdue is worked
//! out from the due date when asked, never stored.

use crate::clock::local_date;
use crate::code::Code;
use crate::error::{DomainError, Validator};
use crate::registry::OrgKind;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

/// The longest title, place, topic or delegate name.
pub const TITLE_MAX_CHARS: usize = 100;
/// The longest minutes, resolution, task, note, reason or amendment.
pub const TEXT_MAX_CHARS: usize = 4000;
/// At most this many agenda items, invitees, or tasks to one resolution.
pub const MAX_ITEMS: usize = 50;
/// A meeting is convened at most this many days before or after today.
pub const SCHEDULE_WITHIN_DAYS: i64 = 366;

text_enum!(
    /// Lifecycle of a joint meeting.
    MeetingStatus {
        /// Convened, not yet held.
        Planned = "planned",
        /// Held: attendance, minutes and resolutions are being written.
        Held = "held",
        /// Signed off by the secretary; immutable but for amendments.
        Published = "published",
        /// Called off, with a reason.
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// What can be done to a joint meeting.
    MeetingAction {
        /// Convene it (party branch).
        Convene = "convene",
        /// Change the title, time, place, convener, agenda or invitees (before it is held).
        Edit = "edit",
        /// Mark it held (from its start time on).
        Hold = "hold",
        /// Write attendance and minutes.
        Record = "record",
        /// Add a resolution with its tasks.
        Resolve = "resolve",
        /// Sign the record off (the secretary).
        Publish = "publish",
        /// Call it off, with a reason.
        Cancel = "cancel",
        /// Correct a published record, with a reason.
        Amend = "amend",
    }
);

text_enum!(
    /// Who came.
    Attendance {
        /// Came.
        Present = "present",
        /// Did not come.
        Absent = "absent",
        /// Sent someone in their place (named).
        Delegate = "delegate",
    }
);

text_enum!(
    /// Lifecycle of a task.
    TaskStatus {
        /// Assigned, to be done.
        Open = "open",
        /// The assigned organization says it is done; the branch checks.
        Reported = "reported",
        /// The branch checked it: done.
        Verified = "verified",
    }
);

text_enum!(
    /// What can be done to a task.
    TaskAction {
        /// Assigned when its meeting is published.
        Assign = "assign",
        /// The assigned organization reports it done, with what was done.
        ReportDone = "report_done",
        /// The branch confirms it is done.
        Verify = "verify",
        /// The branch sends it back, with a reason.
        SendBack = "send_back",
    }
);

impl MeetingAction {
    /// Whether a person asks for it on an existing meeting through the actions endpoint (the
    /// others have their own requests carrying a body).
    #[must_use]
    pub fn is_requestable(self) -> bool {
        match self {
            Self::Hold | Self::Publish | Self::Cancel => true,
            Self::Convene | Self::Edit | Self::Record | Self::Resolve | Self::Amend => false,
        }
    }

    /// Whether only the convener or whoever may sign off may take it.
    #[must_use]
    pub fn needs_convener(self) -> bool {
        match self {
            Self::Edit | Self::Hold | Self::Record | Self::Resolve => true,
            Self::Convene | Self::Publish | Self::Cancel | Self::Amend => false,
        }
    }
}

impl TaskAction {
    /// Whether a person asks for it.
    #[must_use]
    pub fn is_requestable(self) -> bool {
        match self {
            Self::ReportDone | Self::Verify | Self::SendBack => true,
            Self::Assign => false,
        }
    }

    /// The actions a person can ask for.
    pub fn requestable() -> impl Iterator<Item = TaskAction> {
        Self::ALL.iter().copied().filter(|a| a.is_requestable())
    }
}

impl MeetingStatus {
    /// Whether the record is closed to edits (published or cancelled).
    #[must_use]
    pub fn is_final(self) -> bool {
        match self {
            Self::Published | Self::Cancelled => true,
            Self::Planned | Self::Held => false,
        }
    }
}

/// What the caller is to a meeting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeetingFacts {
    /// The caller is the meeting's named convener.
    pub is_convener: bool,
    /// The caller may sign the record off (the policy allows them `publish` here).
    pub may_sign_off: bool,
}

/// A meeting as its rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    /// Its id.
    pub id: Uuid,
    /// Planned, held, published or cancelled.
    pub status: MeetingStatus,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// Invitees whose attendance is not yet written.
    pub attendance_missing: usize,
    /// Bumped by every change.
    pub version: i32,
}

fn invalid(from: &'static str, action: &'static str) -> DomainError {
    DomainError::InvalidTransition { from, action }
}

impl Meeting {
    /// The state `action` leads to, if the meeting's state, the time and the caller allow it
    /// (the policy is asked before).
    ///
    /// # Errors
    /// [`DomainError::InvalidTransition`] in the wrong state; `not_the_convener` for someone
    /// who neither convenes nor signs off; `meeting_not_started` to hold a meeting before it
    /// starts; `attendance_incomplete` to publish before every invitee's attendance is written.
    pub fn check(
        &self,
        action: MeetingAction,
        facts: MeetingFacts,
        now: DateTime<Utc>,
    ) -> Result<MeetingStatus, DomainError> {
        use MeetingAction as A;
        use MeetingStatus as S;
        let from = self.status;
        let to = match (from, action) {
            (S::Planned, A::Edit) => S::Planned,
            (S::Planned, A::Hold) => S::Held,
            (S::Held, A::Record | A::Resolve) => S::Held,
            (S::Held, A::Publish) => S::Published,
            (S::Planned | S::Held, A::Cancel) => S::Cancelled,
            (S::Published, A::Amend) => S::Published,
            (
                S::Planned | S::Held | S::Published | S::Cancelled,
                A::Convene | A::Edit | A::Hold | A::Record | A::Resolve | A::Publish | A::Cancel | A::Amend,
            ) => return Err(invalid(from.as_str(), action.as_str())),
        };
        if action.needs_convener() && !(facts.is_convener || facts.may_sign_off) {
            return Err(DomainError::Conflict { code: Code::NotTheConvener });
        }
        let refusal = match action {
            A::Hold => (now < self.starts_at).then_some(Code::MeetingNotStarted),
            A::Publish => (self.attendance_missing > 0).then_some(Code::AttendanceIncomplete),
            A::Convene | A::Edit | A::Record | A::Resolve | A::Cancel | A::Amend => None,
        };
        match refusal {
            Some(code) => Err(DomainError::Conflict { code }),
            None => Ok(to),
        }
    }
}

/// What the caller is to a task.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskFacts {
    /// The caller holds a post in the assigned organization (or is the person named).
    pub in_assigned_org: bool,
}

/// A task as its rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Its id.
    pub id: Uuid,
    /// Open, reported or verified.
    pub status: TaskStatus,
    /// The last day it may be done on (China Standard Time).
    pub due_on: NaiveDate,
    /// When it was last reported done.
    pub reported_at: Option<DateTime<Utc>>,
    /// Bumped by every change.
    pub version: i32,
}

impl Task {
    /// The state `action` leads to.
    ///
    /// # Errors
    /// [`DomainError::InvalidTransition`] in the wrong state; `not_the_assignee` when someone
    /// outside the assigned organization reports it done; `own_task` when someone inside it
    /// verifies it or sends it back.
    pub fn check(&self, action: TaskAction, facts: TaskFacts) -> Result<TaskStatus, DomainError> {
        use TaskAction as A;
        use TaskStatus as S;
        let from = self.status;
        let to = match (from, action) {
            (S::Open, A::ReportDone) => S::Reported,
            (S::Reported, A::Verify) => S::Verified,
            (S::Reported, A::SendBack) => S::Open,
            (S::Open | S::Reported | S::Verified, A::Assign | A::ReportDone | A::Verify | A::SendBack) => {
                return Err(invalid(from.as_str(), action.as_str()))
            }
        };
        match action {
            A::ReportDone if !facts.in_assigned_org => Err(DomainError::Conflict { code: Code::NotTheAssignee }),
            // Whoever checks a task is not of the organization that did it (一肩挑: a secretary
            // who also directs the residents' committee does not verify its tasks).
            A::Verify | A::SendBack if facts.in_assigned_org => Err(DomainError::Conflict { code: Code::OwnTask }),
            A::Assign | A::ReportDone | A::Verify | A::SendBack => Ok(to),
        }
    }

    /// Checks the version and what the action carries (a note of what was done, a reason to
    /// send back), and applies it.
    ///
    /// # Errors
    /// [`DomainError::StaleVersion`], then as [`Task::check`], then validation.
    pub fn apply(
        &mut self,
        action: TaskAction,
        version: i32,
        text: Option<&str>,
        facts: TaskFacts,
        now: DateTime<Utc>,
    ) -> Result<TaskStatus, DomainError> {
        if version != self.version {
            return Err(DomainError::StaleVersion { current: self.version });
        }
        let to = self.check(action, facts)?;
        let mut v = Validator::new();
        match action {
            TaskAction::ReportDone => v.text("note", text.unwrap_or_default(), TEXT_MAX_CHARS),
            TaskAction::SendBack => v.text("reason", text.unwrap_or_default(), TEXT_MAX_CHARS),
            TaskAction::Verify | TaskAction::Assign => v.optional_text("note", text, TEXT_MAX_CHARS),
        }
        v.finish()?;
        if action == TaskAction::ReportDone {
            self.reported_at = Some(now);
        }
        self.status = to;
        self.version += 1;
        Ok(to)
    }

    /// Open past its due date (a reported task waits on the branch, not on the assignee).
    #[must_use]
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == TaskStatus::Open && local_date(now) > self.due_on
    }

    /// Verified, and the report the branch accepted came on or before the due date.
    #[must_use]
    pub fn done_on_time(&self) -> bool {
        self.status == TaskStatus::Verified && self.reported_at.is_some_and(|at| local_date(at) <= self.due_on)
    }
}

/// An organization a meeting invites or a task is assigned to. A party branch or residents'
/// committee is named by its community's id, as its posts are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrgRef {
    /// Its kind.
    pub kind: OrgKind,
    /// Its id.
    pub id: Uuid,
}

impl OrgRef {
    /// Whether a meeting may invite (and assign tasks to) an organization of this kind: the
    /// parties of joint building. The party branch convenes and is at the table already.
    #[must_use]
    pub fn may_be_invited(kind: OrgKind) -> bool {
        match kind {
            OrgKind::ResidentsCommittee | OrgKind::PropertyCompany | OrgKind::OwnersCommittee | OrgKind::Department => {
                true
            }
            OrgKind::PartyBranch | OrgKind::Grid | OrgKind::Estate | OrgKind::County => false,
        }
    }
}

/// One invitee: an organization, or a person by name (a cross-appointed member, an officer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Invitee {
    /// An organization: whoever holds a post in it.
    Organization(OrgRef),
    /// One person.
    Person(Uuid),
}

/// A new meeting's or an edit's details, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingDetails {
    /// Its title.
    pub title: String,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// The agenda: topics, each optionally about a complaint or a cross-appointment.
    pub agenda: Vec<AgendaItemInput>,
    /// Who is invited, without repeats.
    pub invitees: Vec<Invitee>,
}

/// One agenda item as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaItemInput {
    /// The topic.
    pub topic: String,
    /// A complaint of the community it is about.
    pub complaint_id: Option<Uuid>,
    /// A cross-appointment of the community it is about.
    pub appointment_id: Option<Uuid>,
}

impl MeetingDetails {
    /// Checks a meeting's details: every invalid field at once.
    ///
    /// # Errors
    /// [`DomainError::Validation`]: title and place required and short, a start within a year
    /// of `now`, one to fifty agenda items with topics, one to fifty invitees without repeats,
    /// of kinds a meeting invites.
    pub fn validate(
        title: &str,
        starts_at: DateTime<Utc>,
        place: &str,
        agenda: Vec<AgendaItemInput>,
        invitees: Vec<Invitee>,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        v.text("title", title, TITLE_MAX_CHARS);
        v.text("place", place, TITLE_MAX_CHARS);
        if (starts_at - now).abs() > Duration::days(SCHEDULE_WITHIN_DAYS) {
            v.add("starts_at", Code::InvalidValue);
        }
        if agenda.is_empty() {
            v.add("agenda", Code::Required);
        } else if agenda.len() > MAX_ITEMS {
            v.add("agenda", Code::TooLong);
        }
        for (i, item) in agenda.iter().enumerate() {
            v.text(&format!("agenda[{i}].topic"), &item.topic, TITLE_MAX_CHARS);
            if item.complaint_id.is_some() && item.appointment_id.is_some() {
                v.add(&format!("agenda[{i}].appointment_id"), Code::InvalidValue);
            }
        }
        if invitees.is_empty() {
            v.add("invitees", Code::Required);
        } else if invitees.len() > MAX_ITEMS {
            v.add("invitees", Code::TooLong);
        }
        let mut seen = std::collections::HashSet::new();
        for (i, invitee) in invitees.iter().enumerate() {
            if !seen.insert(*invitee) {
                v.add(&format!("invitees[{i}]"), Code::DuplicateInvitee);
            }
            if let Invitee::Organization(org) = invitee {
                if !OrgRef::may_be_invited(org.kind) {
                    v.add(&format!("invitees[{i}].kind"), Code::InvalidOrgKind);
                }
            }
        }
        v.finish()?;
        Ok(Self {
            title: title.trim().to_owned(),
            starts_at,
            place: place.trim().to_owned(),
            agenda: agenda.into_iter().map(|a| AgendaItemInput { topic: a.topic.trim().to_owned(), ..a }).collect(),
            invitees,
        })
    }
}

/// One task of a new resolution, as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInput {
    /// What is to be done.
    pub description: String,
    /// The organization that does it.
    pub organization: OrgRef,
    /// A person in it, if one is named.
    pub person_id: Option<Uuid>,
    /// The last day.
    pub due_on: NaiveDate,
}

/// Checks a resolution and its tasks: text required; up to fifty tasks, each with a
/// description, an organization of a kind a meeting invites, and a due date from the
/// meeting's day on (and within a year of it).
///
/// # Errors
/// [`DomainError::Validation`] listing every invalid field.
pub fn validate_resolution(text: &str, tasks: &[TaskInput], meeting_day: NaiveDate) -> Result<(), DomainError> {
    let mut v = Validator::new();
    v.text("text", text, TEXT_MAX_CHARS);
    if tasks.len() > MAX_ITEMS {
        v.add("tasks", Code::TooLong);
    }
    for (i, t) in tasks.iter().enumerate() {
        v.text(&format!("tasks[{i}].description"), &t.description, TEXT_MAX_CHARS);
        if !OrgRef::may_be_invited(t.organization.kind) {
            v.add(&format!("tasks[{i}].organization.kind"), Code::InvalidOrgKind);
        }
        if t.due_on < meeting_day {
            v.add(&format!("tasks[{i}].due_on"), Code::EndsBeforeStart);
        } else if t.due_on > meeting_day + Duration::days(SCHEDULE_WITHIN_DAYS) {
            v.add(&format!("tasks[{i}].due_on"), Code::InvalidValue);
        }
    }
    v.finish()
}

/// Tasks done on time by one organization: those due in a period, how many the branch verified
/// as reported by their due date, how many came late, and how many are still open past it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskTally {
    /// Due in the period.
    pub due: u64,
    /// Verified, reported by the due date.
    pub on_time: u64,
    /// Verified, reported after the due date.
    pub late: u64,
    /// Not verified yet, past the due date (open or waiting on the branch).
    pub outstanding: u64,
}

impl TaskTally {
    /// Counts one task as it stands at `now`.
    pub fn add(&mut self, task: &Task, now: DateTime<Utc>) {
        self.due += 1;
        if task.done_on_time() {
            self.on_time += 1;
        } else if task.status == TaskStatus::Verified {
            self.late += 1;
        } else if local_date(now) > task.due_on {
            self.outstanding += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 10, h, 0, 0).single().expect("time")
    }

    fn meeting(status: MeetingStatus) -> Meeting {
        Meeting { id: Uuid::nil(), status, starts_at: at(2), attendance_missing: 0, version: 0 }
    }

    const CONVENER: MeetingFacts = MeetingFacts { is_convener: true, may_sign_off: false };
    const SECRETARY: MeetingFacts = MeetingFacts { is_convener: false, may_sign_off: true };
    const NOBODY: MeetingFacts = MeetingFacts { is_convener: false, may_sign_off: false };

    fn conflict(code: Code) -> DomainError {
        DomainError::Conflict { code }
    }

    #[test]
    fn a_meeting_is_planned_held_and_published_or_cancelled() {
        use MeetingAction as A;
        use MeetingStatus as S;
        assert_eq!(meeting(S::Planned).check(A::Hold, CONVENER, at(3)), Ok(S::Held));
        assert_eq!(meeting(S::Planned).check(A::Edit, SECRETARY, at(1)), Ok(S::Planned));
        assert_eq!(meeting(S::Held).check(A::Record, CONVENER, at(3)), Ok(S::Held));
        assert_eq!(meeting(S::Held).check(A::Resolve, SECRETARY, at(3)), Ok(S::Held));
        assert_eq!(meeting(S::Held).check(A::Publish, SECRETARY, at(3)), Ok(S::Published));
        assert_eq!(meeting(S::Planned).check(A::Cancel, SECRETARY, at(1)), Ok(S::Cancelled));
        assert_eq!(meeting(S::Held).check(A::Cancel, SECRETARY, at(3)), Ok(S::Cancelled));
        assert_eq!(meeting(S::Published).check(A::Amend, SECRETARY, at(3)), Ok(S::Published));
        // A published record is not edited, recorded, resolved or cancelled: only amended.
        for action in [A::Edit, A::Hold, A::Record, A::Resolve, A::Publish, A::Cancel] {
            assert!(matches!(
                meeting(S::Published).check(action, SECRETARY, at(3)),
                Err(DomainError::InvalidTransition { .. })
            ));
        }
        for action in MeetingAction::ALL {
            assert!(matches!(
                meeting(S::Cancelled).check(*action, SECRETARY, at(3)),
                Err(DomainError::InvalidTransition { .. })
            ));
        }
        // Minutes are written once it is held; an agenda is changed only before.
        assert!(meeting(S::Planned).check(A::Record, SECRETARY, at(3)).is_err());
        assert!(meeting(S::Held).check(A::Edit, SECRETARY, at(3)).is_err());
        assert!(meeting(S::Planned).check(A::Amend, SECRETARY, at(3)).is_err());
    }

    #[test]
    fn only_the_convener_or_the_secretary_runs_a_meeting_and_not_before_it_starts() {
        use MeetingAction as A;
        use MeetingStatus as S;
        assert_eq!(meeting(S::Planned).check(A::Hold, NOBODY, at(3)), Err(conflict(Code::NotTheConvener)));
        assert_eq!(meeting(S::Held).check(A::Record, NOBODY, at(3)), Err(conflict(Code::NotTheConvener)));
        assert_eq!(meeting(S::Planned).check(A::Hold, CONVENER, at(1)), Err(conflict(Code::MeetingNotStarted)));
        let mut m = meeting(S::Held);
        m.attendance_missing = 2;
        assert_eq!(m.check(A::Publish, SECRETARY, at(3)), Err(conflict(Code::AttendanceIncomplete)));
    }

    fn task(status: TaskStatus) -> Task {
        Task { id: Uuid::nil(), status, due_on: local_date(at(3)), reported_at: None, version: 3 }
    }

    #[test]
    fn a_task_is_reported_by_its_organization_then_verified_or_sent_back() {
        let mine = TaskFacts { in_assigned_org: true };
        let other = TaskFacts { in_assigned_org: false };
        let mut t = task(TaskStatus::Open);
        assert_eq!(
            t.apply(TaskAction::ReportDone, 3, Some("已修复"), other, at(3)),
            Err(conflict(Code::NotTheAssignee))
        );
        assert_eq!(
            t.apply(TaskAction::ReportDone, 2, Some("已修复"), mine, at(3)),
            Err(DomainError::StaleVersion { current: 3 })
        );
        assert!(matches!(t.apply(TaskAction::ReportDone, 3, Some("  "), mine, at(3)), Err(DomainError::Validation(_))));
        assert!(matches!(
            t.apply(TaskAction::Verify, 3, None, other, at(3)),
            Err(DomainError::InvalidTransition { .. })
        ));
        assert_eq!(t.apply(TaskAction::ReportDone, 3, Some("已修复"), mine, at(3)), Ok(TaskStatus::Reported));
        assert_eq!((t.version, t.reported_at), (4, Some(at(3))));
        assert!(matches!(t.apply(TaskAction::SendBack, 4, None, other, at(4)), Err(DomainError::Validation(_))));
        assert_eq!(t.apply(TaskAction::SendBack, 4, Some("未完成"), other, at(4)), Ok(TaskStatus::Open));
        assert_eq!(t.apply(TaskAction::ReportDone, 5, Some("再次修复"), mine, at(5)), Ok(TaskStatus::Reported));
        assert_eq!(t.apply(TaskAction::Verify, 6, None, other, at(6)), Ok(TaskStatus::Verified));
        assert!(t.done_on_time());
        let mut own = task(TaskStatus::Reported);
        assert_eq!(own.apply(TaskAction::Verify, 3, None, mine, at(6)), Err(conflict(Code::OwnTask)));
        assert!(matches!(
            t.apply(TaskAction::SendBack, 7, Some("x"), other, at(6)),
            Err(DomainError::InvalidTransition { .. })
        ));
    }

    #[test]
    fn overdue_and_on_time_follow_the_due_date_in_china_time() {
        let next_day = at(3) + Duration::days(1);
        let open = task(TaskStatus::Open);
        assert!(!open.overdue(at(3)));
        assert!(open.overdue(next_day));
        // Reported before the day ended (China time), verified later: on time.
        let mut t = task(TaskStatus::Reported);
        t.reported_at = Some(Utc.with_ymd_and_hms(2026, 11, 10, 15, 59, 0).single().expect("time"));
        assert!(!t.overdue(next_day), "a reported task waits on the branch");
        t.status = TaskStatus::Verified;
        assert!(t.done_on_time());
        t.reported_at = Some(Utc.with_ymd_and_hms(2026, 11, 10, 16, 0, 0).single().expect("time"));
        assert!(!t.done_on_time(), "16:00 UTC is midnight in China: the next day");
        let mut tally = TaskTally::default();
        tally.add(&t, next_day);
        tally.add(&task(TaskStatus::Open), next_day);
        tally.add(&task(TaskStatus::Open), at(3));
        let mut on_time = task(TaskStatus::Verified);
        on_time.reported_at = Some(at(3));
        tally.add(&on_time, next_day);
        assert_eq!(tally, TaskTally { due: 4, on_time: 1, late: 1, outstanding: 1 });
    }

    #[test]
    fn details_list_every_invalid_field() {
        let company = OrgRef { kind: OrgKind::PropertyCompany, id: Uuid::from_u128(7) };
        let item = |topic: &str| AgendaItemInput { topic: topic.into(), complaint_id: None, appointment_id: None };
        let ok = MeetingDetails::validate(
            " 联席会议 ",
            at(3),
            "社区会议室",
            vec![item("漏水")],
            vec![Invitee::Organization(company), Invitee::Person(Uuid::from_u128(9))],
            at(1),
        )
        .expect("valid");
        assert_eq!(ok.title, "联席会议");
        let Err(DomainError::Validation(errors)) = MeetingDetails::validate(
            "",
            at(3) + Duration::days(400),
            "x",
            vec![item(" ")],
            vec![
                Invitee::Organization(company),
                Invitee::Organization(company),
                Invitee::Organization(OrgRef { kind: OrgKind::Estate, id: Uuid::nil() }),
            ],
            at(1),
        ) else {
            panic!("invalid details pass");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "starts_at", "agenda[0].topic", "invitees[1]", "invitees[2].kind"]);
        let day = local_date(at(3));
        let t = |due_on| TaskInput { description: "修".into(), organization: company, person_id: None, due_on };
        assert!(validate_resolution("决议", &[t(day)], day).is_ok());
        let Err(DomainError::Validation(errors)) = validate_resolution(" ", &[t(day - Duration::days(1))], day) else {
            panic!("a task due before the meeting passes");
        };
        assert_eq!(errors.len(), 2);
    }
}
