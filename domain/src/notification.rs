//! Notifications (通知): who is told that it is their turn, and what they are told. A
//! notification is written in the transaction of the event that gives someone work, so an
//! event and its notices never disagree; what it says is short, in Chinese, links to the record
//! in the portal, and never carries a resident's name or phone.

use crate::complaint::ComplaintStatus;
use crate::registry::OrgKind;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// The longest text a notice carries (a case title is cut to fit).
pub const TEXT_MAX_CHARS: usize = 120;

text_enum!(
    /// What happened that gives the recipient work.
    NoticeKind {
        /// A case was filed with the company serving the estate.
        CaseFiled = "case_filed",
        /// A returned case was sent back to the company.
        CaseReassigned = "case_reassigned",
        /// The company returned a case to the community committees.
        CaseReturned = "case_returned",
        /// The company resolved a case: the filer (and, for a committee's case, the committee)
        /// confirms or disputes it.
        CaseResolved = "case_resolved",
        /// The resolution was disputed: the party branch mediates.
        CaseDisputed = "case_disputed",
        /// The party branch escalated a case to a department.
        CaseEscalated = "case_escalated",
        /// A cross-appointment awaits the party branch's approval.
        AppointmentProposed = "appointment_proposed",
        /// A joint meeting's task was assigned to the recipient's organization.
        TaskAssigned = "task_assigned",
        /// The recipient, or their organization, was invited to a joint meeting (or its time,
        /// place or agenda changed).
        MeetingInvited = "meeting_invited",
        /// The party branch ordered the company to redo a case by a new deadline.
        CaseRedo = "case_redo",
        /// A case's respond-by is near (the company has not accepted or returned it).
        RespondDueSoon = "respond_due_soon",
        /// A case's respond-by has passed.
        RespondOverdue = "respond_overdue",
        /// A case's resolve-by is near.
        ResolveDueSoon = "resolve_due_soon",
        /// A case's resolve-by has passed.
        ResolveOverdue = "resolve_overdue",
        /// One of the recipient's organization's delivery channels was disabled because the
        /// robot refused its key or signature (the recipient leads the organization).
        ChannelDisabled = "channel_disabled",
    }
);

/// How long before each deadline its "soon" reminder goes out (`APP_REMINDER_LEADS`, by default
/// 30 minutes before a respond-by and a day before a resolve-by).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderLeads {
    /// Before a respond-by.
    pub respond: Duration,
    /// Before a resolve-by.
    pub resolve: Duration,
}

impl Default for ReminderLeads {
    fn default() -> Self {
        Self { respond: Duration::minutes(30), resolve: Duration::hours(24) }
    }
}

impl ReminderLeads {
    /// Reads `respond=30m,resolve=24h` (either part may be left out and keeps its default;
    /// units `m`, `h`, `d`); each lead is at least a minute and at most 30 days.
    ///
    /// # Errors
    /// The text, naming the part that could not be read.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut leads = Self::default();
        let (mut respond, mut resolve) = (false, false);
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(|| format!("`{part}`: expected name=duration"))?;
            let value = value.trim();
            let unit = |suffix: char| value.strip_suffix(suffix).and_then(|n| n.parse::<i64>().ok());
            let lead = if let Some(n) = unit('m') {
                Duration::try_minutes(n)
            } else if let Some(n) = unit('h') {
                Duration::try_hours(n)
            } else if let Some(n) = unit('d') {
                Duration::try_days(n)
            } else {
                return Err(format!("`{part}`: expected a number and m, h or d"));
            };
            let lead = lead
                .filter(|l| *l >= Duration::minutes(1) && *l <= Duration::days(30))
                .ok_or_else(|| format!("`{part}`: between 1m and 30d"))?;
            let seen = match name.trim() {
                "respond" => {
                    leads.respond = lead;
                    std::mem::replace(&mut respond, true)
                }
                "resolve" => {
                    leads.resolve = lead;
                    std::mem::replace(&mut resolve, true)
                }
                other => return Err(format!("`{other}`: expected respond or resolve")),
            };
            if seen {
                return Err(format!("`{part}`: given twice"));
            }
        }
        Ok(leads)
    }
}

impl NoticeKind {
    /// The deadline reminders, in the order they come.
    pub const REMINDERS: [NoticeKind; 4] =
        [Self::RespondDueSoon, Self::RespondOverdue, Self::ResolveDueSoon, Self::ResolveOverdue];

    /// For a reminder: whether it is due for a case filed at `filed_at`, in `status`, with these
    /// deadlines, at `now` (the respond-by counts only while the case waits to be accepted; the
    /// resolve-by while it is open), and the deadline it is about. "Soon" is the lead before
    /// the deadline (by default 30 minutes before a respond-by and a day before a resolve-by),
    /// but never more than a quarter of the time the case was given (an urgent case's 24 hours
    /// are not reminded of at filing). `None` for other kinds, or when not due.
    #[must_use]
    pub fn reminder_due(
        self,
        leads: ReminderLeads,
        status: ComplaintStatus,
        filed_at: DateTime<Utc>,
        respond_by: DateTime<Utc>,
        resolve_by: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let waiting = status == ComplaintStatus::Submitted;
        let open = status.is_open();
        let lead = |deadline: DateTime<Utc>, most: Duration| most.min((deadline - filed_at) / 4);
        let soon = |deadline: DateTime<Utc>, most: Duration| now < deadline && now >= deadline - lead(deadline, most);
        match self {
            Self::RespondDueSoon => (waiting && soon(respond_by, leads.respond)).then_some(respond_by),
            Self::RespondOverdue => (waiting && now >= respond_by).then_some(respond_by),
            Self::ResolveDueSoon => (open && soon(resolve_by, leads.resolve)).then_some(resolve_by),
            Self::ResolveOverdue => (open && now >= resolve_by).then_some(resolve_by),
            Self::CaseFiled
            | Self::CaseReassigned
            | Self::CaseReturned
            | Self::CaseResolved
            | Self::CaseDisputed
            | Self::CaseEscalated
            | Self::CaseRedo
            | Self::AppointmentProposed
            | Self::TaskAssigned
            | Self::MeetingInvited
            | Self::ChannelDisabled => None,
        }
    }
}

/// Whose turn an open case is, by its status: the company while it waits to be accepted or is
/// being worked on (`company`: the one serving the estate under a contract in force; without
/// one, the community committees), the community committees when returned, the party branch in
/// a dispute, the department once escalated.
#[must_use]
pub fn handling_party(
    status: ComplaintStatus,
    community: Uuid,
    company: Option<Uuid>,
    department: Option<Uuid>,
) -> Vec<Recipient> {
    match status {
        ComplaintStatus::Submitted | ComplaintStatus::Accepted if company.is_some() => {
            company.map(|c| Recipient::Organization(OrgKind::PropertyCompany, c)).into_iter().collect()
        }
        ComplaintStatus::Submitted | ComplaintStatus::Accepted | ComplaintStatus::Returned => vec![
            Recipient::Organization(OrgKind::PartyBranch, community),
            Recipient::Organization(OrgKind::ResidentsCommittee, community),
        ],
        ComplaintStatus::Disputed | ComplaintStatus::Mediating => {
            vec![Recipient::Organization(OrgKind::PartyBranch, community)]
        }
        ComplaintStatus::Escalated => {
            department.map(|d| Recipient::Organization(OrgKind::Department, d)).into_iter().collect()
        }
        ComplaintStatus::Resolved | ComplaintStatus::Closed | ComplaintStatus::Withdrawn => Vec::new(),
    }
}

/// Who is told: everyone holding a post in an organization today, or one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// Whoever holds a post in force in the organization (a party branch or residents'
    /// committee named by its community's id, as posts name it).
    Organization(OrgKind, Uuid),
    /// One person.
    Person(Uuid),
    /// The current owners' committee of an estate (by the estate's id).
    EstateCommittee(Uuid),
}

impl NoticeKind {
    /// The notice's text: what happened and to what, cut to [`TEXT_MAX_CHARS`].
    #[must_use]
    pub fn text(self, label: &str) -> String {
        let what = match self {
            Self::CaseFiled => "新诉求待签收",
            Self::CaseReassigned => "退回的诉求已重新交办，请签收",
            Self::CaseReturned => "物业企业退回诉求，请重新交办或吹哨",
            Self::CaseResolved => "诉求已办结，请确认或提出异议",
            Self::CaseDisputed => "诉求办结结果有异议，请协调",
            Self::CaseEscalated => "社区吹哨，请报到处理",
            Self::AppointmentProposed => "交叉任职待审批",
            Self::TaskAssigned => "联席会议交办任务",
            Self::MeetingInvited => "联席会议邀请",
            Self::CaseRedo => "诉求被责令重办",
            Self::RespondDueSoon => "诉求即将超过签收时限",
            Self::RespondOverdue => "诉求已超过签收时限",
            Self::ResolveDueSoon => "诉求即将超过办结时限",
            Self::ResolveOverdue => "诉求已超过办结时限",
            Self::ChannelDisabled => "推送渠道密钥或签名无效，已停用，请更新后重新添加",
        };
        let text = format!("{what}：{label}");
        if text.chars().count() <= TEXT_MAX_CHARS {
            text
        } else {
            let mut cut: String = text.chars().take(TEXT_MAX_CHARS - 1).collect();
            cut.push('…');
            cut
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_says_what_happened_and_fits() {
        assert_eq!(
            NoticeKind::CaseFiled.text("CFL-2026-000001 楼道灯不亮"),
            "新诉求待签收：CFL-2026-000001 楼道灯不亮"
        );
        let long = "漏".repeat(300);
        let text = NoticeKind::CaseDisputed.text(&long);
        assert_eq!(text.chars().count(), TEXT_MAX_CHARS);
        assert!(text.ends_with('…'));
        for kind in NoticeKind::ALL {
            assert!(!kind.text("x").is_empty());
        }
    }

    #[test]
    fn reminders_come_before_and_after_each_deadline_while_it_counts() {
        use chrono::TimeZone;
        let at = |h: i64, m: i64| {
            Utc.with_ymd_and_hms(2026, 11, 10, 0, 0, 0).single().expect("t") + Duration::hours(h) + Duration::minutes(m)
        };
        let (respond, resolve) = (at(2, 0), at(48, 0));
        let filed = at(-200, 0);
        let due = |k: NoticeKind, s: ComplaintStatus, now| {
            k.reminder_due(ReminderLeads::default(), s, filed, respond, resolve, now)
        };
        use ComplaintStatus as S;
        use NoticeKind as K;
        assert_eq!(due(K::RespondDueSoon, S::Submitted, at(1, 29)), None, "too early");
        assert_eq!(due(K::RespondDueSoon, S::Submitted, at(1, 30)), Some(respond));
        assert_eq!(due(K::RespondDueSoon, S::Submitted, at(2, 0)), None, "passed: the other reminder");
        assert_eq!(due(K::RespondOverdue, S::Submitted, at(2, 0)), Some(respond));
        assert_eq!(due(K::RespondOverdue, S::Accepted, at(3, 0)), None, "accepted: the respond-by no longer counts");
        assert_eq!(due(K::ResolveDueSoon, S::Accepted, at(24, 0)), Some(resolve));
        assert_eq!(due(K::ResolveDueSoon, S::Accepted, at(23, 59)), None);
        assert_eq!(due(K::ResolveOverdue, S::Escalated, at(49, 0)), Some(resolve));
        assert_eq!(due(K::ResolveOverdue, S::Resolved, at(49, 0)), None, "resolved: nothing to chase");
        assert_eq!(due(K::CaseFiled, S::Submitted, at(3, 0)), None);
        // An urgent case (2 hours to respond, 24 to resolve) is not told "soon" on filing.
        let urgent = |k: NoticeKind, now| {
            k.reminder_due(ReminderLeads::default(), S::Accepted, at(0, 0), at(2, 0), at(24, 0), now)
        };
        assert_eq!(urgent(K::ResolveDueSoon, at(0, 1)), None);
        assert_eq!(urgent(K::ResolveDueSoon, at(18, 0)), Some(at(24, 0)), "a quarter of its 24 hours before");
        // A county that wants an hour's warning before a respond-by.
        let hour = ReminderLeads::parse("respond=1h").expect("leads");
        assert_eq!(hour, ReminderLeads { respond: Duration::hours(1), resolve: Duration::hours(24) });
        assert_eq!(
            K::RespondDueSoon.reminder_due(hour, S::Submitted, filed, respond, resolve, at(1, 0)),
            Some(respond)
        );
        assert_eq!(due(K::RespondDueSoon, S::Submitted, at(1, 0)), None, "the default is half an hour");
        assert_eq!(ReminderLeads::parse(""), Ok(ReminderLeads::default()));
        assert_eq!(ReminderLeads::parse("resolve=2d, respond=45m").map(|l| l.resolve), Ok(Duration::days(2)));
        for bad in [
            "respond",
            "respond=0m",
            "respond=31d",
            "resolve=5x",
            "soon=1h",
            "respond=-1h",
            "respond=30分",
            "respond=30ｍ",
            "respond=99999999999999d",
            "respond=9223372036854775807m",
            "respond=1h,respond=2h",
        ] {
            assert!(ReminderLeads::parse(bad).is_err(), "{bad}");
        }
        let (c, p, d) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        assert_eq!(
            handling_party(S::Submitted, c, Some(p), None),
            [Recipient::Organization(OrgKind::PropertyCompany, p)]
        );
        assert_eq!(
            handling_party(S::Escalated, c, Some(p), Some(d)),
            [Recipient::Organization(OrgKind::Department, d)]
        );
        assert_eq!(handling_party(S::Mediating, c, Some(p), None), [Recipient::Organization(OrgKind::PartyBranch, c)]);
        assert!(handling_party(S::Closed, c, Some(p), None).is_empty());
        assert_eq!(
            handling_party(S::Submitted, c, None, None),
            [Recipient::Organization(OrgKind::PartyBranch, c), Recipient::Organization(OrgKind::ResidentsCommittee, c)],
            "no company serves the estate: the community committees"
        );
    }
}
