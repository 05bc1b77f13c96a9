//! Notifications (通知): who is told that it is their turn, and what they are told. A
//! notification is written in the transaction of the event that gives someone work, so an
//! event and its notices never disagree; what it says is short, in Chinese, links to the record
//! in the portal, and never carries a resident's name or phone.

use crate::registry::OrgKind;
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
        /// The recipient, or their organization, was invited to a joint meeting.
        MeetingInvited = "meeting_invited",
    }
);

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
}
