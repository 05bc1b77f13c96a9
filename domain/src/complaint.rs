//! Joint complaints (诉求): the case, its deadlines, and the state machine that decides which
//! action the case's state allows. Who may act as which party is casbin's question; whether
//! this person is the filer, or belongs to the handling company, is answered here too, from
//! facts the caller supplies.

use crate::code::Code;
use crate::error::{DomainError, Validator};
use crate::ids::{CommunityId, DepartmentId, EstateId, PersonId, PropertyCompanyId};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

text_enum!(
    /// Where a case is in its life.
    ComplaintStatus {
        /// Filed, waiting for the company to accept or return it.
        Submitted = "submitted",
        /// The company is working on it.
        Accepted = "accepted",
        /// The company declined it as not theirs.
        Returned = "returned",
        /// The company (or a department) says it is done.
        Resolved = "resolved",
        /// The filer or the owners' committee does not accept the resolution.
        Disputed = "disputed",
        /// The party branch is convening the parties.
        Mediating = "mediating",
        /// Handed to a government department (吹哨).
        Escalated = "escalated",
        /// Finished.
        Closed = "closed",
        /// Withdrawn by the filer.
        Withdrawn = "withdrawn",
    }
);

text_enum!(
    /// What can be done to a case.
    ComplaintAction {
        /// 受理
        Accept = "accept",
        /// 退回 (with a reason)
        Return = "return",
        /// Send a returned case back to the company (overruled).
        Reassign = "reassign",
        /// 办结
        Resolve = "resolve",
        /// 确认 (with a rating)
        Confirm = "confirm",
        /// 不认可 (with a reason)
        Dispute = "dispute",
        /// 协调
        Mediate = "mediate",
        /// Order the company to do it again, by a new deadline.
        OrderRedo = "order-redo",
        /// Uphold the resolution and close.
        Uphold = "uphold",
        /// 吹哨: escalate to a department.
        Escalate = "escalate",
        /// 报到: the department acknowledges.
        ReportIn = "report-in",
        /// The department answers.
        Answer = "answer",
        /// 撤回 by the filer.
        Withdraw = "withdraw",
        /// Reopen within 30 days of closing.
        Reopen = "reopen",
        /// 督办: urge an overdue case.
        Urge = "urge",
        /// Comment.
        Comment = "comment",
        /// 附议 / 联名: support the case.
        Cosign = "cosign",
        /// Closed by the system after 7 days without confirm or dispute.
        AutoClose = "auto-close",
        /// Filed.
        File = "file",
    }
);

text_enum!(
    /// Categories of case.
    Category {
        /// 维修
        Repair = "repair",
        /// 环境卫生
        Sanitation = "sanitation",
        /// 安全
        Security = "security",
        /// 停车
        Parking = "parking",
        /// 物业费
        Fees = "fees",
        /// 噪音
        Noise = "noise",
        /// 绿化
        Greenery = "greenery",
        /// 电梯
        Elevator = "elevator",
        /// 公共收益
        PublicIncome = "public_income",
        /// 其他
        Other = "other",
    }
);

text_enum!(
    /// How fast a case must move.
    Priority {
        /// 紧急
        Urgent = "urgent",
        /// 一般
        Normal = "normal",
        /// 复杂
        Complex = "complex",
    }
);

text_enum!(
    /// A filer's satisfaction.
    Rating {
        /// 满意
        Satisfied = "satisfied",
        /// 基本满意
        BasicallySatisfied = "basically_satisfied",
        /// 不满意
        Dissatisfied = "dissatisfied",
    }
);

impl ComplaintAction {
    /// Whether a person can ask for this action on a case (not the system's auto-close, and
    /// not filing, which makes the case). A new action fails to compile until it is placed.
    #[must_use]
    pub fn is_requestable(self) -> bool {
        match self {
            Self::Accept
            | Self::Return
            | Self::Reassign
            | Self::Resolve
            | Self::Confirm
            | Self::Dispute
            | Self::Mediate
            | Self::OrderRedo
            | Self::Uphold
            | Self::Escalate
            | Self::ReportIn
            | Self::Answer
            | Self::Withdraw
            | Self::Reopen
            | Self::Urge
            | Self::Comment
            | Self::Cosign => true,
            Self::File | Self::AutoClose => false,
        }
    }

    /// The actions a person can ask for, in the vocabulary's order.
    pub fn requestable() -> impl Iterator<Item = ComplaintAction> {
        Self::ALL.iter().copied().filter(|a| a.is_requestable())
    }
}

impl ComplaintStatus {
    /// Whether the case is still being worked on (deadlines run, co-signing is open).
    #[must_use]
    pub fn is_open(self) -> bool {
        match self {
            Self::Submitted | Self::Accepted | Self::Returned | Self::Disputed | Self::Mediating | Self::Escalated => {
                true
            }
            Self::Resolved | Self::Closed | Self::Withdrawn => false,
        }
    }
}

/// Respond-by and resolve-by durations per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineRules {
    /// (respond, resolve) for urgent cases.
    pub urgent: (Duration, Duration),
    /// (respond, resolve) for normal cases.
    pub normal: (Duration, Duration),
    /// (respond, resolve) for complex cases.
    pub complex: (Duration, Duration),
}

impl Default for DeadlineRules {
    /// The practice of citizen hotlines: urgent 2 h / 24 h, normal 24 h / 7 days, complex 24 h / 15 days.
    fn default() -> Self {
        Self {
            urgent: (Duration::hours(2), Duration::hours(24)),
            normal: (Duration::hours(24), Duration::days(7)),
            complex: (Duration::hours(24), Duration::days(15)),
        }
    }
}

impl DeadlineRules {
    /// Parses `urgent=2h/24h,normal=24h/7d,complex=24h/15d` (units `h` or `d`); missing
    /// priorities keep their defaults.
    ///
    /// # Errors
    /// `invalid_deadline_rules` for anything else.
    pub fn parse(text: &str) -> Result<Self, Code> {
        let mut rules = Self::default();
        let duration = |s: &str| -> Result<Duration, Code> {
            let (n, unit) = s.trim().split_at(s.trim().len().saturating_sub(1));
            let n: i64 = n.parse().map_err(|_| Code::InvalidDeadlineRules)?;
            match unit {
                "h" if n > 0 => Ok(Duration::hours(n)),
                "d" if n > 0 => Ok(Duration::days(n)),
                _ => Err(Code::InvalidDeadlineRules),
            }
        };
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, value) = part.split_once('=').ok_or(Code::InvalidDeadlineRules)?;
            let (respond, resolve) = value.split_once('/').ok_or(Code::InvalidDeadlineRules)?;
            let pair = (duration(respond)?, duration(resolve)?);
            match name.trim().parse::<Priority>().map_err(|_| Code::InvalidDeadlineRules)? {
                Priority::Urgent => rules.urgent = pair,
                Priority::Normal => rules.normal = pair,
                Priority::Complex => rules.complex = pair,
            }
        }
        Ok(rules)
    }

    /// The (respond-by, resolve-by) of a case filed at `filed_at`.
    #[must_use]
    pub fn deadlines(&self, priority: Priority, filed_at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let (respond, resolve) = match priority {
            Priority::Urgent => self.urgent,
            Priority::Normal => self.normal,
            Priority::Complex => self.complex,
        };
        (filed_at + respond, filed_at + resolve)
    }
}

/// How long a resolved case waits for confirm or dispute before it closes itself.
pub const AUTO_CLOSE_AFTER_DAYS: i64 = 7;
/// How long after closing a case may be reopened.
pub const REOPEN_WITHIN_DAYS: i64 = 30;
/// The longest note or reason on an action, in characters.
pub const NOTE_MAX_CHARS: usize = 2000;
/// The longest title of a case, in characters.
pub const TITLE_MAX_CHARS: usize = 100;
/// The longest description of a case, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 4000;

/// A case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    /// Id.
    pub id: Uuid,
    /// Human case number, e.g. `CFL-2026-000123`.
    pub case_number: String,
    /// The estate it is about.
    pub estate_id: EstateId,
    /// The estate's community.
    pub community_id: CommunityId,
    /// Category.
    pub category: Category,
    /// Priority.
    pub priority: Priority,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Who filed it.
    pub filer_id: PersonId,
    /// Filed by a member on behalf of the owners' committee.
    pub for_committee: bool,
    /// The company serving the estate when it was filed.
    pub handling_company_id: Option<PropertyCompanyId>,
    /// The department it was escalated to.
    pub department_id: Option<DepartmentId>,
    /// Whether that department has reported in.
    pub reported_in: bool,
    /// Status.
    pub status: ComplaintStatus,
    /// Accept or return by.
    pub respond_by: DateTime<Utc>,
    /// Resolve by.
    pub resolve_by: DateTime<Utc>,
    /// When it was last resolved (auto-close counts from here).
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// The filer's rating on confirming.
    pub rating: Option<Rating>,
    /// Co-signers so far.
    pub cosign_count: i32,
    /// A joint complaint: filed for, or co-signed by, the owners' committee.
    pub joint: bool,
    /// Filed at.
    pub filed_at: DateTime<Utc>,
    /// Bumped by every action.
    pub version: i32,
}

/// Who is acting, in the terms the state machine needs (casbin has already said the party
/// may take the action at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActorFacts {
    /// The actor filed it, or it was filed for the owners' committee and the actor is on it.
    pub is_filer: bool,
    /// The actor holds a post in the handling company.
    pub in_handling_company: bool,
    /// The actor is an officer of the department it was escalated to.
    pub in_department: bool,
    /// The actor already co-signed.
    pub has_cosigned: bool,
    /// The actor is on the estate's owners' committee (which checks the company's work).
    pub on_committee: bool,
}

/// What an action carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionInput {
    /// The version the client saw.
    pub version: i32,
    /// A note.
    pub note: Option<String>,
    /// A reason (return, dispute).
    pub reason: Option<String>,
    /// A rating (confirm).
    pub rating: Option<Rating>,
    /// A department (escalate).
    pub department_id: Option<DepartmentId>,
    /// A new resolve-by (order-redo).
    pub resolve_by: Option<DateTime<Utc>>,
}

/// The change an action makes, to be stored with its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The action.
    pub action: ComplaintAction,
    /// Status before.
    pub from: ComplaintStatus,
    /// Status after (the same for urge, comment, cosign and report-in).
    pub to: ComplaintStatus,
}

fn invalid(from: ComplaintStatus, action: ComplaintAction) -> DomainError {
    DomainError::InvalidTransition { from: from.as_str(), action: action.as_str() }
}

impl Complaint {
    /// Whether a deadline has passed: respond-by while waiting for the company, resolve-by
    /// while the case is open. Derived from the clock, never stored.
    #[must_use]
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        (self.status == ComplaintStatus::Submitted && now > self.respond_by)
            || (self.status.is_open() && now > self.resolve_by)
    }

    /// Checks whether `action` may be taken now by someone with `facts`, without changing anything.
    ///
    /// # Errors
    /// [`DomainError::InvalidTransition`] when the state does not allow it;
    /// `not_the_filer`, `not_the_handling_company`, `not_the_department`, `already_cosigned`
    /// (409 conflicts) when the state allows it but not for this person; `reopen_window_over`.
    pub fn check(
        &self,
        action: ComplaintAction,
        facts: ActorFacts,
        now: DateTime<Utc>,
    ) -> Result<ComplaintStatus, DomainError> {
        use ComplaintAction as A;
        use ComplaintStatus as S;
        let from = self.status;
        let to = match (from, action) {
            (S::Submitted, A::Accept) => S::Accepted,
            (S::Submitted, A::Return) => S::Returned,
            (S::Returned, A::Reassign) => S::Submitted,
            (S::Accepted, A::Resolve) => S::Resolved,
            (S::Resolved, A::Confirm) => S::Closed,
            (S::Resolved, A::Dispute) => S::Disputed,
            (S::Disputed, A::Mediate) => S::Mediating,
            (S::Mediating, A::OrderRedo) => S::Accepted,
            (S::Mediating, A::Uphold) => S::Closed,
            (S::Returned | S::Mediating, A::Escalate) => S::Escalated,
            (S::Escalated, A::ReportIn) if !self.reported_in => S::Escalated,
            (S::Escalated, A::Answer) if self.reported_in => S::Resolved,
            (S::Submitted | S::Accepted, A::Withdraw) => S::Withdrawn,
            (S::Closed, A::Reopen) => S::Disputed,
            (S::Resolved, A::AutoClose) => S::Closed,
            (s, A::Urge) if s.is_open() => s,
            (s, A::Comment) => s,
            (s, A::Cosign) if s.is_open() => s,
            (
                S::Submitted
                | S::Accepted
                | S::Returned
                | S::Resolved
                | S::Disputed
                | S::Mediating
                | S::Escalated
                | S::Closed
                | S::Withdrawn,
                A::Accept
                | A::Return
                | A::Reassign
                | A::Resolve
                | A::Confirm
                | A::Dispute
                | A::Mediate
                | A::OrderRedo
                | A::Uphold
                | A::Escalate
                | A::ReportIn
                | A::Answer
                | A::Withdraw
                | A::Reopen
                | A::AutoClose
                | A::Urge
                | A::Cosign
                | A::File,
            ) => return Err(invalid(from, action)),
        };
        let refusal = match action {
            A::Accept | A::Return | A::Resolve => (!facts.in_handling_company).then_some(Code::NotTheHandlingCompany),
            A::Confirm | A::Withdraw => (!facts.is_filer).then_some(Code::NotTheFiler),
            A::Reopen if !facts.is_filer => Some(Code::NotTheFiler),
            A::Reopen => self
                .closed_at
                .is_none_or(|at| now > at + Duration::days(REOPEN_WITHIN_DAYS))
                .then_some(Code::ReopenWindowOver),
            A::Dispute => (!(facts.is_filer || facts.on_committee)).then_some(Code::NotTheFiler),
            A::ReportIn | A::Answer => (!facts.in_department).then_some(Code::NotTheDepartment),
            A::Cosign => (facts.is_filer || facts.has_cosigned).then_some(Code::AlreadyCosigned),
            A::AutoClose => self
                .resolved_at
                .is_none_or(|at| now < at + Duration::days(AUTO_CLOSE_AFTER_DAYS))
                .then_some(Code::NotDue),
            A::Reassign | A::Mediate | A::OrderRedo | A::Uphold | A::Escalate | A::Urge | A::Comment | A::File => None,
        };
        if let Some(code) = refusal {
            return Err(DomainError::Conflict { code });
        }
        Ok(to)
    }

    /// Takes an action: checks the version, the state and the actor, validates what the action
    /// carries, and applies it.
    ///
    /// # Errors
    /// [`DomainError::StaleVersion`], then as [`Complaint::check`], then
    /// [`DomainError::Validation`] for a missing reason, rating, department or deadline.
    pub fn apply(
        &mut self,
        action: ComplaintAction,
        input: &ActionInput,
        facts: ActorFacts,
        rules: &DeadlineRules,
        now: DateTime<Utc>,
    ) -> Result<Transition, DomainError> {
        if input.version != self.version {
            return Err(DomainError::StaleVersion { current: self.version });
        }
        let from = self.status;
        let to = self.check(action, facts, now)?;
        let mut v = Validator::new();
        use ComplaintAction as A;
        match action {
            A::Return | A::Dispute => {
                if input.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                    v.add("reason", Code::Required);
                }
            }
            A::Confirm => {
                if input.rating.is_none() {
                    v.add("rating", Code::Required);
                }
            }
            A::Escalate => {
                if input.department_id.is_none() {
                    v.add("department_id", Code::Required);
                }
            }
            A::OrderRedo => match input.resolve_by {
                None => v.add("resolve_by", Code::Required),
                Some(at) if at <= now => v.add("resolve_by", Code::MustBeInTheFuture),
                Some(_) => {}
            },
            A::Accept
            | A::Reassign
            | A::Resolve
            | A::Mediate
            | A::Uphold
            | A::ReportIn
            | A::Answer
            | A::Withdraw
            | A::Reopen
            | A::Urge
            | A::Comment
            | A::Cosign
            | A::File
            | A::AutoClose => {}
        }
        v.optional_text("note", input.note.as_deref(), NOTE_MAX_CHARS);
        v.optional_text("reason", input.reason.as_deref(), NOTE_MAX_CHARS);
        v.finish()?;
        match action {
            A::Resolve | A::Answer => self.resolved_at = Some(now),
            A::Confirm => {
                self.rating = input.rating;
                self.closed_at = Some(now);
            }
            A::Uphold | A::AutoClose => self.closed_at = Some(now),
            A::Reopen => {
                self.closed_at = None;
                self.rating = None;
            }
            A::OrderRedo => {
                if let Some(at) = input.resolve_by {
                    self.resolve_by = at;
                }
            }
            A::Escalate => {
                self.department_id = input.department_id;
                self.reported_in = false;
            }
            A::ReportIn => self.reported_in = true,
            A::Reassign => {
                // The company gets a fresh respond-by from now.
                self.respond_by = rules.deadlines(self.priority, now).0;
            }
            A::Accept
            | A::Return
            | A::Dispute
            | A::Mediate
            | A::Withdraw
            | A::Urge
            | A::Comment
            | A::Cosign
            | A::File => {}
        }
        self.status = to;
        self.version += 1;
        Ok(Transition { action, from, to })
    }

    /// A co-signature by the owners' committee makes the case joint: a normal case becomes
    /// urgent, with urgent deadlines counted from filing (never later than the old ones).
    pub fn raise_for_committee(&mut self, rules: &DeadlineRules) {
        self.joint = true;
        if self.priority == Priority::Normal {
            self.priority = Priority::Urgent;
            let (respond, resolve) = rules.deadlines(Priority::Urgent, self.filed_at);
            self.respond_by = self.respond_by.min(respond);
            self.resolve_by = self.resolve_by.min(resolve);
        }
    }
}

/// The fields of a new case, validated.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    /// Category.
    pub category: Category,
    /// Priority.
    pub priority: Priority,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
}

impl NewComplaint {
    /// Validates what the filer typed.
    ///
    /// # Errors
    /// [`DomainError::Validation`] listing every invalid field.
    pub fn validate(
        category: &str,
        priority: Option<&str>,
        title: &str,
        description: &str,
    ) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let category = v.check("category", category.parse::<Category>().map_err(|_| Code::InvalidCategory));
        let priority = match priority {
            Some(p) => v.check("priority", p.parse::<Priority>().map_err(|_| Code::InvalidPriority)),
            None => Some(Priority::Normal),
        };
        v.text("title", title, TITLE_MAX_CHARS);
        v.text("description", description, DESCRIPTION_MAX_CHARS);
        v.finish()?;
        match (category, priority) {
            (Some(category), Some(priority)) => Ok(Self {
                category,
                priority,
                title: title.trim().to_owned(),
                description: description.trim().to_owned(),
            }),
            _ => Err(DomainError::field("category", Code::InvalidCategory)),
        }
    }
}

/// Masks a name for people who do not handle the case: `张伟` becomes `张*`.
#[must_use]
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComplaintAction as A;
    use ComplaintStatus as S;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap_or_default() + Duration::hours(hours)
    }

    fn case(status: S) -> Complaint {
        let (respond_by, resolve_by) = DeadlineRules::default().deadlines(Priority::Normal, at(0));
        Complaint {
            id: Uuid::now_v7(),
            case_number: "CFL-2026-000001".into(),
            estate_id: EstateId::new(),
            community_id: CommunityId::new(),
            category: Category::Repair,
            priority: Priority::Normal,
            title: "3号楼电梯停运".into(),
            description: "电梯已停运两天".into(),
            filer_id: PersonId::new(),
            for_committee: false,
            handling_company_id: Some(PropertyCompanyId::new()),
            department_id: None,
            reported_in: status == S::Escalated,
            status,
            respond_by,
            resolve_by,
            resolved_at: Some(at(1)),
            closed_at: Some(at(2)),
            rating: None,
            cosign_count: 0,
            joint: false,
            filed_at: at(0),
            version: 5,
        }
    }

    fn everyone() -> ActorFacts {
        ActorFacts {
            is_filer: true,
            in_handling_company: true,
            in_department: true,
            has_cosigned: false,
            on_committee: false,
        }
    }

    fn full_input() -> ActionInput {
        ActionInput {
            version: 5,
            note: None,
            reason: Some("理由".into()),
            rating: Some(Rating::Satisfied),
            department_id: Some(DepartmentId::new()),
            resolve_by: Some(at(500)),
        }
    }

    /// The lifecycle of the design, as a table: (from, action) -> to. Everything else is refused.
    fn expected(from: S, action: A, reported_in: bool) -> Option<S> {
        Some(match (from, action) {
            (S::Submitted, A::Accept) => S::Accepted,
            (S::Submitted, A::Return) => S::Returned,
            (S::Returned, A::Reassign) => S::Submitted,
            (S::Accepted, A::Resolve) => S::Resolved,
            (S::Resolved, A::Confirm) => S::Closed,
            (S::Resolved, A::Dispute) => S::Disputed,
            (S::Disputed, A::Mediate) => S::Mediating,
            (S::Mediating, A::OrderRedo) => S::Accepted,
            (S::Mediating, A::Uphold) => S::Closed,
            (S::Returned | S::Mediating, A::Escalate) => S::Escalated,
            (S::Escalated, A::ReportIn) if !reported_in => S::Escalated,
            (S::Escalated, A::Answer) if reported_in => S::Resolved,
            (S::Submitted | S::Accepted, A::Withdraw) => S::Withdrawn,
            (S::Closed, A::Reopen) => S::Disputed,
            (S::Resolved, A::AutoClose) => S::Closed,
            (s, A::Urge | A::Cosign) if s.is_open() => s,
            (s, A::Comment) => s,
            _ => return None,
        })
    }

    #[test]
    fn every_state_and_action_pair_follows_the_lifecycle() {
        for &status in S::ALL {
            for reported_in in [false, true] {
                for &action in A::ALL {
                    let mut c = case(status);
                    c.reported_in = reported_in;
                    let facts =
                        if action == A::Cosign { ActorFacts { is_filer: false, ..everyone() } } else { everyone() };
                    let result = c.apply(action, &full_input(), facts, &DeadlineRules::default(), at(24 * 10));
                    match (expected(status, action, reported_in), result) {
                        (Some(to), Ok(t)) => {
                            assert_eq!((t.from, t.to), (status, to), "{status} {action}");
                            assert_eq!(c.status, to);
                            assert_eq!(c.version, 6);
                        }
                        (None, Err(DomainError::InvalidTransition { from, action: a })) => {
                            assert_eq!((from, a), (status.as_str(), action.as_str()));
                            assert_eq!((c.status, c.version), (status, 5), "a refused action changes nothing");
                        }
                        (want, got) => {
                            panic!("{status} {action} (reported_in {reported_in}): expected {want:?}, got {got:?}")
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn cosigning_a_closed_complaint_is_rejected() {
        let mut c = case(S::Closed);
        let facts = ActorFacts { is_filer: false, ..everyone() };
        let err = c.apply(A::Cosign, &full_input(), facts, &DeadlineRules::default(), at(30));
        assert!(matches!(err, Err(DomainError::InvalidTransition { from: "closed", .. })));
    }

    #[test]
    fn only_the_filer_confirms_and_only_the_handling_company_accepts() {
        let c = case(S::Resolved);
        let stranger = ActorFacts::default();
        assert_eq!(c.check(A::Confirm, stranger, at(3)), Err(DomainError::Conflict { code: Code::NotTheFiler }));
        let c = case(S::Submitted);
        assert_eq!(
            c.check(A::Accept, stranger, at(3)),
            Err(DomainError::Conflict { code: Code::NotTheHandlingCompany })
        );
    }

    #[test]
    fn a_stale_version_is_refused() {
        let mut c = case(S::Submitted);
        let input = ActionInput { version: 4, ..full_input() };
        assert_eq!(
            c.apply(A::Accept, &input, everyone(), &DeadlineRules::default(), at(1)),
            Err(DomainError::StaleVersion { current: 5 })
        );
    }

    #[test]
    fn reopening_is_allowed_for_thirty_days_after_closing() {
        let c = case(S::Closed);
        assert!(c.check(A::Reopen, everyone(), at(2 + 24 * 29)).is_ok());
        assert_eq!(
            c.check(A::Reopen, everyone(), at(2 + 24 * 31)),
            Err(DomainError::Conflict { code: Code::ReopenWindowOver })
        );
    }

    #[test]
    fn a_resolved_case_closes_itself_only_after_seven_days() {
        let c = case(S::Resolved);
        assert_eq!(
            c.check(A::AutoClose, ActorFacts::default(), at(1 + 24 * 6)),
            Err(DomainError::Conflict { code: Code::NotDue })
        );
        assert!(c.check(A::AutoClose, ActorFacts::default(), at(1 + 24 * 7)).is_ok());
    }

    #[test]
    fn actions_that_carry_something_require_it() {
        let mut c = case(S::Submitted);
        let input = ActionInput { version: 5, ..ActionInput::default() };
        assert_eq!(
            c.apply(A::Return, &input, everyone(), &DeadlineRules::default(), at(1)),
            Err(DomainError::field("reason", Code::Required))
        );
        let mut c = case(S::Mediating);
        let past = ActionInput { version: 5, resolve_by: Some(at(0)), ..ActionInput::default() };
        assert_eq!(
            c.apply(A::OrderRedo, &past, everyone(), &DeadlineRules::default(), at(10)),
            Err(DomainError::field("resolve_by", Code::MustBeInTheFuture))
        );
    }

    #[test]
    fn deadlines_follow_the_hotline_defaults_and_overdue_is_derived() {
        let rules = DeadlineRules::default();
        assert_eq!(rules.deadlines(Priority::Urgent, at(0)), (at(2), at(24)));
        assert_eq!(rules.deadlines(Priority::Complex, at(0)), (at(24), at(24 * 15)));
        let c = case(S::Submitted);
        assert!(!c.overdue(at(23)));
        assert!(c.overdue(at(25)), "not accepted within 24 hours");
        let mut accepted = case(S::Accepted);
        accepted.respond_by = at(24);
        assert!(!accepted.overdue(at(25)), "respond-by no longer counts once accepted");
        assert!(accepted.overdue(at(24 * 7 + 1)));
        assert!(!case(S::Closed).overdue(at(24 * 100)));
    }

    #[test]
    fn deadline_rules_parse_from_settings() {
        let rules = DeadlineRules::parse("urgent=1h/12h, complex=2d/30d").expect("valid");
        assert_eq!(rules.urgent, (Duration::hours(1), Duration::hours(12)));
        assert_eq!(rules.normal, DeadlineRules::default().normal);
        assert_eq!(rules.complex, (Duration::days(2), Duration::days(30)));
        assert!(DeadlineRules::parse("urgent=soon").is_err());
    }

    #[test]
    fn a_committee_cosignature_makes_a_normal_case_urgent() {
        let mut c = case(S::Submitted);
        c.raise_for_committee(&DeadlineRules::default());
        assert_eq!(c.priority, Priority::Urgent);
        assert_eq!((c.respond_by, c.resolve_by), (at(2), at(24)));
    }

    #[test]
    fn names_are_masked_after_the_first_character() {
        assert_eq!(mask_name("张伟"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "李*");
    }

    #[test]
    fn new_complaints_list_every_invalid_field() {
        let err = NewComplaint::validate("ufo", Some("asap"), " ", "").expect_err("invalid");
        let DomainError::Validation(fields) = err else { panic!("validation expected") };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["category", "priority", "title", "description"]);
    }
}
