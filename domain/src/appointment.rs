//! Cross-appointments (双向进入、交叉任职): a person with a home post in one organization
//! serving in a post of another organization of the same community, approved by that
//! community's party branch. The record is never deleted; every change is an event.
//!
//! An approved appointment grants rights only while it is in force: its term contains today
//! and its home post is still held. Both are worked out when asked, so an expired term or an
//! ended home post stops granting anything at once, with no job needed to notice.

use crate::code::Code;
use crate::error::{DomainError, Validator};
use crate::ids::{CommunityId, PersonId, PostId};
use crate::registry::{DateRange, OrgKind};
use chrono::{Months, NaiveDate};
use std::collections::BTreeSet;
use uuid::Uuid;

text_enum!(
    /// Where a cross-appointed person serves.
    HostKind {
        /// The community committees (社区"两委"); the host id is the community's.
        CommunityCommittees = "community_committees",
        /// A property company.
        PropertyCompany = "property_company",
        /// An owners' committee.
        OwnersCommittee = "owners_committee",
    }
);

text_enum!(
    /// The post a cross-appointment creates.
    HostTitle {
        /// 兼职委员: part-time member of the community committees or of an owners' committee.
        PartTimeMember = "part_time_member",
        /// 党建指导员: party-building instructor in a property company.
        PartyBuildingInstructor = "party_building_instructor",
        /// 监督员: supervisor on an owners' committee.
        Supervisor = "supervisor",
    }
);

text_enum!(
    /// Lifecycle of a cross-appointment.
    AppointmentStatus {
        /// Proposed, waiting for the party branch.
        Proposed = "proposed",
        /// Approved by the party branch.
        Active = "active",
        /// Refused by the party branch.
        Rejected = "rejected",
        /// Term over, home post ended, or ended early.
        Ended = "ended",
        /// Withdrawn by the party branch.
        Revoked = "revoked",
    }
);

text_enum!(
    /// What can be done to a cross-appointment.
    AppointmentAction {
        /// Put forward (home organization, host organization or party branch).
        Propose = "propose",
        /// Approve (party branch).
        Approve = "approve",
        /// Refuse (party branch, with a reason).
        Reject = "reject",
        /// End early (party branch, with a reason).
        End = "end",
        /// Revoke (party branch, with a reason).
        Revoke = "revoke",
    }
);

impl HostKind {
    /// The titles a host of this kind offers.
    #[must_use]
    pub fn titles(self) -> &'static [HostTitle] {
        match self {
            Self::CommunityCommittees => &[HostTitle::PartTimeMember],
            Self::PropertyCompany => &[HostTitle::PartyBuildingInstructor],
            Self::OwnersCommittee => &[HostTitle::Supervisor, HostTitle::PartTimeMember],
        }
    }

    /// Whether a home post in an organization of `kind` with id `org_id` is in this host
    /// (a cross-appointment must cross from one organization to another).
    #[must_use]
    pub fn is_same_organization(self, host_id: Uuid, kind: OrgKind, org_id: Uuid) -> bool {
        match self {
            Self::CommunityCommittees => {
                matches!(kind, OrgKind::PartyBranch | OrgKind::ResidentsCommittee) && org_id == host_id
            }
            Self::PropertyCompany => kind == OrgKind::PropertyCompany && org_id == host_id,
            Self::OwnersCommittee => kind == OrgKind::OwnersCommittee && org_id == host_id,
        }
    }
}

impl AppointmentAction {
    /// Whether the action needs a reason.
    #[must_use]
    pub fn needs_reason(self) -> bool {
        match self {
            Self::Reject | Self::End | Self::Revoke => true,
            Self::Propose | Self::Approve => false,
        }
    }
}

/// A cross-appointment as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossAppointment {
    /// Id.
    pub id: Uuid,
    /// The person.
    pub person_id: PersonId,
    /// Their home post.
    pub home_post_id: PostId,
    /// The home post's organization kind.
    pub home_org_kind: OrgKind,
    /// The home post's organization id.
    pub home_org_id: Uuid,
    /// Where they serve.
    pub host_kind: HostKind,
    /// The host's id (the community's for the community committees).
    pub host_id: Uuid,
    /// The post they serve in.
    pub host_title: HostTitle,
    /// The community both organizations belong to; its party branch decides.
    pub community_id: CommunityId,
    /// The term, inclusive.
    pub term: DateRange,
    /// Meeting or document reference.
    pub basis: String,
    /// The stored status (see [`CrossAppointment::effective_status`]).
    pub status: AppointmentStatus,
    /// Why it ended, was rejected or revoked.
    pub end_reason: Option<String>,
    /// Bumped by every change.
    pub version: i32,
}

/// A change of status, to be written with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// What was done.
    pub action: AppointmentAction,
    /// Status before (`None` on proposal).
    pub from: Option<AppointmentStatus>,
    /// Status after.
    pub to: AppointmentStatus,
}

impl CrossAppointment {
    /// The status as of `today`: an active appointment whose term is over, or whose home post
    /// is no longer held, is ended.
    #[must_use]
    pub fn effective_status(&self, today: NaiveDate, home_post_held: bool) -> AppointmentStatus {
        match self.status {
            AppointmentStatus::Active if !home_post_held || self.term.end.is_some_and(|end| end < today) => {
                AppointmentStatus::Ended
            }
            other => other,
        }
    }

    /// Whether it grants its host post's rights today.
    #[must_use]
    pub fn in_force(&self, today: NaiveDate, home_post_held: bool) -> bool {
        self.effective_status(today, home_post_held) == AppointmentStatus::Active && self.term.contains(today)
    }

    /// Applies an action, checking the version the client saw and the (effective) status.
    ///
    /// # Errors
    /// [`DomainError::StaleVersion`] for an old version; [`DomainError::InvalidTransition`]
    /// when the status does not allow the action; `term_over` when approving a term that has
    /// already run out.
    pub fn apply(
        &mut self,
        action: AppointmentAction,
        seen_version: i32,
        today: NaiveDate,
        home_post_held: bool,
        reason: Option<String>,
    ) -> Result<Transition, DomainError> {
        if seen_version != self.version {
            return Err(DomainError::StaleVersion { current: self.version });
        }
        let from = self.effective_status(today, home_post_held);
        use AppointmentAction as A;
        use AppointmentStatus as S;
        let to = match (from, action) {
            (S::Proposed, A::Approve) => {
                if self.term.end.is_some_and(|end| end < today) {
                    return Err(DomainError::Conflict { code: Code::TermOver });
                }
                if !home_post_held {
                    return Err(DomainError::Conflict { code: Code::HomePostEnded });
                }
                S::Active
            }
            (S::Proposed, A::Reject) => S::Rejected,
            (S::Active, A::End) => S::Ended,
            (S::Active, A::Revoke) => S::Revoked,
            (S::Proposed | S::Active | S::Rejected | S::Ended | S::Revoked, A::Propose)
            | (S::Active | S::Rejected | S::Ended | S::Revoked, A::Approve | A::Reject)
            | (S::Proposed | S::Rejected | S::Ended | S::Revoked, A::End | A::Revoke) => {
                return Err(DomainError::InvalidTransition { from: from.as_str(), action: action.as_str() });
            }
        };
        self.status = to;
        if action.needs_reason() {
            self.end_reason = reason;
        }
        self.version += 1;
        Ok(Transition { action, from: Some(from), to })
    }
}

/// The longest basis of a proposal (the meeting or document it rests on), in characters.
pub const BASIS_MAX_CHARS: usize = 200;

/// Checks a proposed term: closed, ending after it starts, at most `max_years` long.
///
/// # Errors
/// `ends_before_start` or `term_too_long` on `ends_on`.
pub fn validate_term(v: &mut Validator, start: NaiveDate, end: NaiveDate, max_years: u32) -> Option<DateRange> {
    if end <= start {
        v.add("ends_on", Code::EndsBeforeStart);
        return None;
    }
    let limit = start.checked_add_months(Months::new(max_years.saturating_mul(12)))?;
    if end > limit {
        v.add("ends_on", Code::TermTooLong);
        return None;
    }
    Some(DateRange { start, end: Some(end) })
}

/// Validated fields of a proposal.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// Host kind.
    pub host_kind: HostKind,
    /// Host id.
    pub host_id: Uuid,
    /// Host title.
    pub host_title: HostTitle,
    /// Term.
    pub term: DateRange,
    /// Basis.
    pub basis: String,
}

impl Proposal {
    /// Validates a proposal's own fields (everything that needs no lookup).
    ///
    /// # Errors
    /// [`DomainError::Validation`] listing every invalid field.
    pub fn validate(
        host_kind: &str,
        host_id: Uuid,
        host_title: &str,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        basis: &str,
        max_years: u32,
    ) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let kind = v.check("host_kind", host_kind.parse::<HostKind>().map_err(|_| Code::InvalidHostKind));
        let title = v.check("host_title", host_title.parse::<HostTitle>().map_err(|_| Code::InvalidTitle));
        if let (Some(kind), Some(title)) = (kind, title) {
            if !kind.titles().contains(&title) {
                v.add("host_title", Code::TitleNotInOrganization);
            }
        }
        let term = validate_term(&mut v, starts_on, ends_on, max_years);
        v.text("basis", basis, BASIS_MAX_CHARS);
        v.finish()?;
        match (kind, title, term) {
            (Some(host_kind), Some(host_title), Some(term)) => {
                Ok(Self { host_kind, host_id, host_title, term, basis: basis.trim().to_owned() })
            }
            _ => Err(DomainError::field("host_kind", Code::InvalidHostKind)),
        }
    }
}

/// The community both organizations belong to. A company belongs to every community where it
/// serves an estate today, so there can be several; then `requested` must name one of them.
///
/// # Errors
/// `not_same_community` when they share none; `community_ambiguous` when several are shared
/// and none (or another) was named.
pub fn common_community(
    home: &BTreeSet<CommunityId>,
    host: &BTreeSet<CommunityId>,
    requested: Option<CommunityId>,
) -> Result<CommunityId, Code> {
    let shared: Vec<CommunityId> = home.intersection(host).copied().collect();
    match (shared.as_slice(), requested) {
        ([], _) => Err(Code::NotSameCommunity),
        (_, Some(r)) if shared.contains(&r) => Ok(r),
        (_, Some(_)) => Err(Code::NotSameCommunity),
        ([only], None) => Ok(*only),
        (_, None) => Err(Code::CommunityAmbiguous),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn appointment(status: AppointmentStatus) -> CrossAppointment {
        CrossAppointment {
            id: Uuid::now_v7(),
            person_id: PersonId::new(),
            home_post_id: PostId::new(),
            home_org_kind: OrgKind::PropertyCompany,
            home_org_id: Uuid::now_v7(),
            host_kind: HostKind::CommunityCommittees,
            host_id: Uuid::now_v7(),
            host_title: HostTitle::PartTimeMember,
            community_id: CommunityId::new(),
            term: DateRange { start: d("2026-01-01"), end: Some(d("2028-12-31")) },
            basis: "联席会议纪要〔2026〕1号".into(),
            status,
            end_reason: None,
            version: 3,
        }
    }

    #[test]
    fn every_status_and_action_pair_is_decided() {
        use AppointmentAction as A;
        use AppointmentStatus as S;
        let today = d("2026-06-01");
        for &status in S::ALL {
            for &action in A::ALL {
                let mut a = appointment(status);
                let result = a.apply(action, 3, today, true, Some("理由".into()));
                let expected = match (status, action) {
                    (S::Proposed, A::Approve) => Some(S::Active),
                    (S::Proposed, A::Reject) => Some(S::Rejected),
                    (S::Active, A::End) => Some(S::Ended),
                    (S::Active, A::Revoke) => Some(S::Revoked),
                    _ => None,
                };
                match (expected, result) {
                    (Some(to), Ok(t)) => {
                        assert_eq!((t.from, t.to), (Some(status), to), "{status} {action}");
                        assert_eq!(a.version, 4, "a change bumps the version");
                    }
                    (None, Err(DomainError::InvalidTransition { from, action: act })) => {
                        assert_eq!((from, act), (status.as_str(), action.as_str()));
                        assert_eq!(a.version, 3, "a refused action changes nothing");
                    }
                    (expected, got) => panic!("{status} {action}: expected {expected:?}, got {got:?}"),
                }
            }
        }
    }

    #[test]
    fn a_stale_version_is_refused_before_anything_else() {
        let mut a = appointment(AppointmentStatus::Proposed);
        let err = a.apply(AppointmentAction::Approve, 2, d("2026-06-01"), true, None);
        assert_eq!(err, Err(DomainError::StaleVersion { current: 3 }));
    }

    #[test]
    fn an_active_appointment_past_its_term_or_home_post_is_ended_and_grants_nothing() {
        let a = appointment(AppointmentStatus::Active);
        assert!(a.in_force(d("2027-01-01"), true));
        assert_eq!(a.effective_status(d("2029-01-01"), true), AppointmentStatus::Ended);
        assert!(!a.in_force(d("2029-01-01"), true));
        assert_eq!(a.effective_status(d("2027-01-01"), false), AppointmentStatus::Ended);
        assert!(!a.in_force(d("2025-12-31"), true), "not before its term");
        let mut expired = appointment(AppointmentStatus::Active);
        assert!(matches!(
            expired.apply(AppointmentAction::Revoke, 3, d("2029-01-01"), true, None),
            Err(DomainError::InvalidTransition { from: "ended", .. })
        ));
    }

    #[test]
    fn a_term_that_has_run_out_cannot_be_approved() {
        let mut a = appointment(AppointmentStatus::Proposed);
        assert_eq!(
            a.apply(AppointmentAction::Approve, 3, d("2029-01-01"), true, None),
            Err(DomainError::Conflict { code: Code::TermOver })
        );
    }

    #[test]
    fn terms_end_after_they_start_and_last_at_most_the_limit() {
        let mut v = Validator::new();
        assert!(validate_term(&mut v, d("2026-01-01"), d("2030-12-31"), 5).is_some());
        assert!(validate_term(&mut v, d("2026-01-01"), d("2031-01-02"), 5).is_none());
        assert!(validate_term(&mut v, d("2026-01-01"), d("2026-01-01"), 5).is_none());
        let err = v.finish().expect_err("two errors");
        assert_eq!(
            err,
            DomainError::Validation(vec![
                crate::FieldError::new("ends_on", Code::TermTooLong),
                crate::FieldError::new("ends_on", Code::EndsBeforeStart),
            ])
        );
    }

    #[test]
    fn host_titles_belong_to_their_host_kind() {
        let err = Proposal::validate(
            "property_company",
            Uuid::now_v7(),
            "supervisor",
            d("2026-01-01"),
            d("2027-01-01"),
            "纪要",
            5,
        );
        assert_eq!(err.map(|_| ()), Err(DomainError::field("host_title", Code::TitleNotInOrganization)));
    }

    #[test]
    fn both_organizations_must_share_a_community() {
        let (a, b, c) = (CommunityId::new(), CommunityId::new(), CommunityId::new());
        let set = |xs: &[CommunityId]| xs.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(common_community(&set(&[a]), &set(&[a, b]), None), Ok(a));
        assert_eq!(common_community(&set(&[a]), &set(&[b]), None), Err(Code::NotSameCommunity));
        assert_eq!(common_community(&set(&[a, b]), &set(&[a, b]), None), Err(Code::CommunityAmbiguous));
        assert_eq!(common_community(&set(&[a, b]), &set(&[a, b]), Some(b)), Ok(b));
        assert_eq!(common_community(&set(&[a, b]), &set(&[a, b]), Some(c)), Err(Code::NotSameCommunity));
    }
}

/// The organizations a proposer belongs to, for "the home organization, the host organization
/// or the party branch may propose": which of the three the caller speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProposerCapacity {
    /// Holds a post in the home organization.
    pub home: bool,
    /// Holds a post in the host organization.
    pub host: bool,
    /// Holds a post in the community's party branch.
    pub party_branch: bool,
}

impl ProposerCapacity {
    /// Works out the capacities from the caller's posts in force.
    #[must_use]
    pub fn of(
        posts: &[crate::registry::PostRecord],
        home: (OrgKind, Uuid),
        host: (HostKind, Uuid),
        community: CommunityId,
    ) -> Self {
        Self {
            home: posts.iter().any(|p| p.org_kind == home.0 && p.org_id == home.1),
            host: posts.iter().any(|p| host.0.is_same_organization(host.1, p.org_kind, p.org_id)),
            party_branch: posts.iter().any(|p| p.org_kind == OrgKind::PartyBranch && p.org_id == community.0),
        }
    }
}
