//! The authorization vocabulary: roles, resources, actions and scopes, and how a person's
//! posts, their company's contracts and their account become role bindings.
//!
//! Casbin (in `infra`) decides whether a role may take an action on a resource. Which roles a
//! person has where is data, derived here from the registry, so a change to a post or a
//! contract changes the bindings on the next request.

use crate::appointment::{AppointmentAction, HostKind};
use crate::code::Code;
use crate::complaint::ComplaintAction;
use crate::ids::{CommunityId, DepartmentId, EstateId, PropertyCompanyId};
use crate::meeting::{MeetingAction, TaskAction};
use crate::registry::{OrgKind, PostTitle};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

text_enum!(
    /// A role: what a binding lets its holder do is decided by the casbin policy for the role.
    Role {
        /// System administrator (an account flag, not a post).
        Admin = "admin",
        /// Street or county administrator: reads everything, changes nothing.
        CountyOverseer = "county_overseer",
        /// Every signed-in account: the public directory.
        Account = "account",
        /// Secretary or deputy secretary of a community party branch.
        PartyBranchSecretary = "party_branch_secretary",
        /// Member of a community party branch.
        PartyBranchMember = "party_branch_member",
        /// Director, deputy or member of a residents' committee.
        ResidentsCommitteeMember = "residents_committee_member",
        /// Full- or part-time grid worker.
        GridWorker = "grid_worker",
        /// Manager of a property company.
        PropertyManager = "property_manager",
        /// Staff of a property company.
        PropertyStaff = "property_staff",
        /// Member of a current owners' committee.
        OwnersCommitteeMember = "owners_committee_member",
        /// Head or officer of a government department.
        DepartmentOfficer = "department_officer",
        /// A resident of an estate.
        Resident = "resident",
        /// Cross-appointed part-time member of the community committees (兼职委员).
        PartTimeCommitteeMember = "part_time_committee_member",
        /// Cross-appointed party-building instructor in a property company (党建指导员).
        PartyBuildingInstructor = "party_building_instructor",
        /// Cross-appointed supervisor or part-time member of an owners' committee.
        OwnersCommitteeSupervisor = "owners_committee_supervisor",
        /// Holds a post in the company serving the estate: must stand aside (回避). Only
        /// deny lines name this role.
        Recused = "recused",
    }
);

text_enum!(
    /// What an action is taken on.
    Resource {
        /// 社区
        Community = "community",
        /// 网格
        Grid = "grid",
        /// 小区
        Estate = "estate",
        /// 物业企业
        PropertyCompany = "property_company",
        /// 物业服务合同
        ServiceContract = "service_contract",
        /// 业主委员会
        OwnersCommittee = "owners_committee",
        /// 职能部门
        Department = "department",
        /// 人员 (with personal data)
        Person = "person",
        /// 职务: reading posts of any kind.
        Post = "post",
        /// Writing posts of the community committees and grids (and their people's records).
        CommunityPost = "community_post",
        /// Writing owners' committee posts: filed election results.
        CommitteePost = "committee_post",
        /// Registering and ending residents.
        ResidentPost = "resident_post",
        /// Writing a property company's staff posts.
        StaffPost = "staff_post",
        /// Writing a department's posts.
        DepartmentPost = "department_post",
        /// Writing county administration posts.
        CountyPost = "county_post",
        /// Changing one's own name and phone.
        OwnPerson = "own_person",
        /// Ending one's own residence (moving away).
        OwnResidence = "own_residence",
        /// Login accounts.
        Account = "account",
        /// The audit log.
        AuditLog = "audit_log",
        /// 交叉任职
        CrossAppointment = "cross_appointment",
        /// 诉求
        Complaint = "complaint",
        /// 监督考核: the figures (三率 and the rest) of a scope.
        Oversight = "oversight",
        /// A company's monthly scorecard, its publication and appeals.
        Scorecard = "scorecard",
        /// The published 红黑榜.
        Board = "board",
        /// 联席会议: a joint meeting and its record.
        Meeting = "meeting",
        /// A task (任务) a meeting's resolution assigned.
        MeetingTask = "meeting_task",
        /// One's own notifications (通知).
        Notification = "notification",
        /// An organization's delivery channels (work-chat robots, webhooks) and their log.
        Channel = "channel",
    }
);

text_enum!(
    /// A domain verb.
    Action {
        /// See it.
        Read = "read",
        /// Make a new one.
        Create = "create",
        /// Change it.
        Update = "update",
        /// End it (nothing is deleted).
        End = "end",
        /// Put it forward for approval.
        Propose = "propose",
        /// Approve it.
        Approve = "approve",
        /// Refuse it.
        Reject = "reject",
        /// Withdraw it.
        Revoke = "revoke",
        /// Convene the parties of a dispute (协调).
        Mediate = "mediate",
        /// Decide a dispute: order a redo or uphold.
        Decide = "decide",
        /// Blow the whistle to a department (吹哨).
        Escalate = "escalate",
        /// See only what one filed or co-signed.
        ReadOwn = "read_own",
        /// Accept a case (受理).
        Accept = "accept",
        /// Return a case as not one's own (退回).
        Return = "return",
        /// Send a returned case back to the company.
        Reassign = "reassign",
        /// Resolve a case (办结).
        Resolve = "resolve",
        /// Confirm a resolution with a rating.
        Confirm = "confirm",
        /// Dispute a resolution.
        Dispute = "dispute",
        /// A department reports in (报到).
        ReportIn = "report_in",
        /// A department answers.
        Answer = "answer",
        /// The filer withdraws.
        Withdraw = "withdraw",
        /// Reopen a closed case.
        Reopen = "reopen",
        /// Urge an overdue case (督办).
        Urge = "urge",
        /// Comment.
        Comment = "comment",
        /// Co-sign (附议).
        Cosign = "cosign",
        /// See what is not yet published (a draft scorecard).
        ReadDraft = "read_draft",
        /// Publish (a month's scorecards).
        Publish = "publish",
        /// Appeal (异议 on a scorecard).
        Appeal = "appeal",
        /// Call off (a meeting).
        Cancel = "cancel",
        /// Correct a published record with an amendment.
        Amend = "amend",
        /// Report a task done.
        ReportDone = "report_done",
        /// Verify a task reported done.
        Verify = "verify",
        /// Send a task back as not done.
        SendBack = "send_back",
    }
);

/// The resource a write to a post of `kind` is decided on, and the write of a person record
/// that came with such a post. Who records a post depends on what the post gives power over:
/// a company never records the owners' committee that checks it, nor the residents it serves.
#[must_use]
pub fn post_resource(kind: OrgKind) -> Resource {
    match kind {
        OrgKind::PartyBranch | OrgKind::ResidentsCommittee | OrgKind::Grid => Resource::CommunityPost,
        OrgKind::OwnersCommittee => Resource::CommitteePost,
        OrgKind::Estate => Resource::ResidentPost,
        OrgKind::PropertyCompany => Resource::StaffPost,
        OrgKind::Department => Resource::DepartmentPost,
        OrgKind::County => Resource::CountyPost,
    }
}

/// Whether someone bound by `bindings` sees whole the name of a resident living in the
/// given (estate, community) places: the community committees of that community and the
/// company serving that estate today (they handle residents' cases). Everyone else, the
/// owners' committee, part-time members of the committees (a company's people overseeing
/// competitors) and county overseers included, sees the name masked. The resident and
/// administrators are decided by the caller.
#[must_use]
pub fn sees_resident(bindings: &[Binding], homes: &[(EstateId, CommunityId)]) -> bool {
    homes.iter().any(|&(estate, community)| {
        bindings.iter().any(|b| match b.role {
            Role::PartyBranchSecretary
            | Role::PartyBranchMember
            | Role::ResidentsCommitteeMember
            | Role::GridWorker => b.scope == Scope::Community(community),
            Role::PropertyManager | Role::PropertyStaff => b.scope == Scope::Estate(estate),
            Role::Admin
            | Role::CountyOverseer
            | Role::Account
            | Role::OwnersCommitteeMember
            | Role::DepartmentOfficer
            | Role::Resident
            | Role::PartTimeCommitteeMember
            | Role::PartyBuildingInstructor
            | Role::OwnersCommitteeSupervisor
            | Role::Recused => false,
        })
    })
}

impl Action {
    /// The policy verb that decides whether a party may take a complaint action: order-redo
    /// and uphold are both `decide` (the verb recusal denies); the system's auto-close is an
    /// `update`, filing a `create`.
    #[must_use]
    pub fn of_complaint(action: ComplaintAction) -> Self {
        use ComplaintAction as C;
        match action {
            C::Accept => Self::Accept,
            C::Return => Self::Return,
            C::Reassign => Self::Reassign,
            C::Resolve => Self::Resolve,
            C::Confirm => Self::Confirm,
            C::Dispute => Self::Dispute,
            C::Mediate => Self::Mediate,
            C::OrderRedo | C::Uphold => Self::Decide,
            C::Escalate => Self::Escalate,
            C::ReportIn => Self::ReportIn,
            C::Answer => Self::Answer,
            C::Withdraw => Self::Withdraw,
            C::Reopen => Self::Reopen,
            C::Urge => Self::Urge,
            C::Comment => Self::Comment,
            C::Cosign => Self::Cosign,
            C::AutoClose => Self::Update,
            C::File => Self::Create,
        }
    }

    /// The policy verb of a cross-appointment action.
    #[must_use]
    pub fn of_appointment(action: AppointmentAction) -> Self {
        match action {
            AppointmentAction::Propose => Self::Propose,
            AppointmentAction::Approve => Self::Approve,
            AppointmentAction::Reject => Self::Reject,
            AppointmentAction::End => Self::End,
            AppointmentAction::Revoke => Self::Revoke,
        }
    }

    /// The policy verb of a joint meeting action: convening is `create`; editing, holding,
    /// recording and resolving are `update` (the domain adds that only the convener or the
    /// secretary runs a meeting); signing off is `publish`.
    #[must_use]
    pub fn of_meeting(action: MeetingAction) -> Self {
        match action {
            MeetingAction::Convene => Self::Create,
            MeetingAction::Edit | MeetingAction::Hold | MeetingAction::Record | MeetingAction::Resolve => Self::Update,
            MeetingAction::Publish => Self::Publish,
            MeetingAction::Cancel => Self::Cancel,
            MeetingAction::Amend => Self::Amend,
        }
    }

    /// The policy verb of a task action (assigning is publishing its meeting).
    #[must_use]
    pub fn of_task(action: TaskAction) -> Self {
        match action {
            TaskAction::Assign => Self::Publish,
            TaskAction::ReportDone => Self::ReportDone,
            TaskAction::Verify => Self::Verify,
            TaskAction::SendBack => Self::SendBack,
        }
    }

    /// Whether the action changes data (its decisions are always audited).
    #[must_use]
    pub fn is_write(self) -> bool {
        match self {
            Self::Read | Self::ReadOwn | Self::ReadDraft => false,
            Self::Publish
            | Self::Cancel
            | Self::Amend
            | Self::ReportDone
            | Self::Verify
            | Self::SendBack
            | Self::Appeal
            | Self::Accept
            | Self::Return
            | Self::Reassign
            | Self::Resolve
            | Self::Confirm
            | Self::Dispute
            | Self::ReportIn
            | Self::Answer
            | Self::Withdraw
            | Self::Reopen
            | Self::Urge
            | Self::Comment
            | Self::Cosign
            | Self::Create
            | Self::Update
            | Self::End
            | Self::Propose
            | Self::Approve
            | Self::Reject
            | Self::Revoke
            | Self::Mediate
            | Self::Decide
            | Self::Escalate => true,
        }
    }
}

/// Where a binding applies, or where a thing lives. Scopes nest: the county contains
/// everything, a community contains its estates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The whole deployment.
    County,
    /// A community and everything in it.
    Community(CommunityId),
    /// One estate.
    Estate(EstateId),
    /// One property company (its own staff and records).
    Company(PropertyCompanyId),
    /// One department.
    Department(DepartmentId),
}

impl Scope {
    /// The id of the community, estate, company or department; none for the county.
    #[must_use]
    pub fn id(self) -> Option<Uuid> {
        match self {
            Self::County => None,
            Self::Community(c) => Some(c.0),
            Self::Estate(e) => Some(e.0),
            Self::Company(p) => Some(p.0),
            Self::Department(d) => Some(d.0),
        }
    }

    /// The chain of scopes that contain a thing living in an estate, innermost first.
    #[must_use]
    pub fn estate_chain(estate: EstateId, community: CommunityId) -> Vec<Scope> {
        vec![Self::Estate(estate), Self::Community(community), Self::County]
    }

    /// The chain for a thing living in a community.
    #[must_use]
    pub fn community_chain(community: CommunityId) -> Vec<Scope> {
        vec![Self::Community(community), Self::County]
    }

    /// The chain for a thing that belongs to a company.
    #[must_use]
    pub fn company_chain(company: PropertyCompanyId) -> Vec<Scope> {
        vec![Self::Company(company), Self::County]
    }

    /// The chain for a thing that belongs to a department.
    #[must_use]
    pub fn department_chain(department: DepartmentId) -> Vec<Scope> {
        vec![Self::Department(department), Self::County]
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::County => f.write_str("county"),
            Self::Community(id) => write!(f, "community:{id}"),
            Self::Estate(id) => write!(f, "estate:{id}"),
            Self::Company(id) => write!(f, "company:{id}"),
            Self::Department(id) => write!(f, "department:{id}"),
        }
    }
}

impl FromStr for Scope {
    type Err = Code;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "county" {
            return Ok(Self::County);
        }
        let (kind, id) = s.split_once(':').ok_or(Code::InvalidScope)?;
        let id = Uuid::parse_str(id).map_err(|_| Code::InvalidScope)?;
        match kind {
            "community" => Ok(Self::Community(id.into())),
            "estate" => Ok(Self::Estate(id.into())),
            "company" => Ok(Self::Company(id.into())),
            "department" => Ok(Self::Department(id.into())),
            _ => Err(Code::InvalidScope),
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A role held in a scope, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Binding {
    /// The role.
    pub role: Role,
    /// Where it applies.
    pub scope: Scope,
    /// Why the person has it: `account`, `admin`, `post:<id>`, `post:<id>+contract:<id>`.
    pub source: String,
}

/// An active post, with what the binding rules need to know about its organization.
/// The registry loads only posts in force today, of organizations in force today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivePost {
    /// The post's id.
    pub post_id: Uuid,
    /// The organization's kind.
    pub org_kind: OrgKind,
    /// The organization's id.
    pub org_id: Uuid,
    /// The title.
    pub title: PostTitle,
    /// The community the organization is in, if it is in exactly one.
    pub community_id: Option<CommunityId>,
    /// The estate the organization is in (estates and owners' committees).
    pub estate_id: Option<EstateId>,
}

/// An estate a company serves today under a contract in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedEstate {
    /// The company.
    pub company_id: PropertyCompanyId,
    /// The estate.
    pub estate_id: EstateId,
    /// The contract that gives the right.
    pub contract_id: Uuid,
}

/// A cross-appointment in force today, as the binding rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveAppointment {
    /// The appointment's id.
    pub appointment_id: Uuid,
    /// Where the person serves.
    pub host_kind: HostKind,
    /// The host's id.
    pub host_id: Uuid,
    /// The estate of an owners' committee host.
    pub host_estate: Option<EstateId>,
}

/// The role a cross-appointment's host post grants.
#[must_use]
pub fn role_for_host(kind: HostKind) -> Role {
    match kind {
        HostKind::CommunityCommittees => Role::PartTimeCommitteeMember,
        HostKind::PropertyCompany => Role::PartyBuildingInstructor,
        HostKind::OwnersCommittee => Role::OwnersCommitteeSupervisor,
    }
}

/// The role a title in an organization kind grants.
#[must_use]
pub fn role_for(kind: OrgKind, title: PostTitle) -> Role {
    use PostTitle as T;
    match (kind, title) {
        (OrgKind::PartyBranch, T::Secretary | T::DeputySecretary) => Role::PartyBranchSecretary,
        (OrgKind::PartyBranch, _) => Role::PartyBranchMember,
        (OrgKind::ResidentsCommittee, _) => Role::ResidentsCommitteeMember,
        (OrgKind::Grid, _) => Role::GridWorker,
        (OrgKind::Estate, _) => Role::Resident,
        (OrgKind::PropertyCompany, T::Manager) => Role::PropertyManager,
        (OrgKind::PropertyCompany, _) => Role::PropertyStaff,
        (OrgKind::OwnersCommittee, _) => Role::OwnersCommitteeMember,
        (OrgKind::Department, _) => Role::DepartmentOfficer,
        (OrgKind::County, _) => Role::CountyOverseer,
    }
}

/// Derives a person's role bindings from their account, their active posts, their
/// cross-appointments in force, and the estates the companies concerned serve today.
///
/// A company post binds in the company's own scope and in every estate the company serves
/// under the contract in force today, so ending a contract removes the estate binding.
/// Any post in a company, home or cross-appointed, also binds `recused` in every estate the
/// company serves: the deny lines for that role beat every allow (回避).
#[must_use]
pub fn derive_bindings(
    is_admin: bool,
    posts: &[ActivePost],
    appointments: &[ActiveAppointment],
    served: &[ServedEstate],
) -> Vec<Binding> {
    let mut out = vec![Binding { role: Role::Account, scope: Scope::County, source: "account".into() }];
    if is_admin {
        out.push(Binding { role: Role::Admin, scope: Scope::County, source: "admin".into() });
    }
    for post in posts {
        let role = role_for(post.org_kind, post.title);
        let source = format!("post:{}", post.post_id);
        let scope = match post.org_kind {
            OrgKind::PartyBranch | OrgKind::ResidentsCommittee => Some(Scope::Community(post.org_id.into())),
            OrgKind::Grid => post.community_id.map(Scope::Community),
            OrgKind::Estate | OrgKind::OwnersCommittee => post.estate_id.map(Scope::Estate),
            OrgKind::PropertyCompany => Some(Scope::Company(post.org_id.into())),
            OrgKind::Department => Some(Scope::Department(post.org_id.into())),
            OrgKind::County => Some(Scope::County),
        };
        if let Some(scope) = scope {
            out.push(Binding { role, scope, source: source.clone() });
        }
        if post.org_kind == OrgKind::PropertyCompany {
            let company = PropertyCompanyId::from(post.org_id);
            for estate in served.iter().filter(|s| s.company_id == company) {
                out.push(Binding {
                    role,
                    scope: Scope::Estate(estate.estate_id),
                    source: format!("{source}+contract:{}", estate.contract_id),
                });
            }
        }
    }
    for a in appointments {
        let role = role_for_host(a.host_kind);
        let source = format!("cross_appointment:{}", a.appointment_id);
        let scope = match a.host_kind {
            HostKind::CommunityCommittees => Some(Scope::Community(a.host_id.into())),
            HostKind::PropertyCompany => Some(Scope::Company(a.host_id.into())),
            HostKind::OwnersCommittee => a.host_estate.map(Scope::Estate),
        };
        if let Some(scope) = scope {
            out.push(Binding { role, scope, source });
        }
    }
    let companies = posts
        .iter()
        .filter(|p| p.org_kind == OrgKind::PropertyCompany)
        .map(|p| p.org_id)
        .chain(appointments.iter().filter(|a| a.host_kind == HostKind::PropertyCompany).map(|a| a.host_id));
    for company in companies {
        let company = PropertyCompanyId::from(company);
        // In the company itself too, served estates or not: a scorecard of the company lies in
        // its scope even after its last contract in a community has ended.
        out.push(Binding {
            role: Role::Recused,
            scope: Scope::Company(company),
            source: format!("recusal:company:{company}"),
        });
        for estate in served.iter().filter(|s| s.company_id == company) {
            out.push(Binding {
                role: Role::Recused,
                scope: Scope::Estate(estate.estate_id),
                source: format!("recusal:company:{company}"),
            });
        }
    }
    out.sort_by_key(|b| (b.scope, b.role));
    out.dedup_by(|a, b| a.scope == b.scope && a.role == b.role);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(kind: OrgKind, org_id: Uuid, title: PostTitle) -> ActivePost {
        ActivePost { post_id: Uuid::now_v7(), org_kind: kind, org_id, title, community_id: None, estate_id: None }
    }

    #[test]
    fn every_account_reads_the_public_directory_and_admins_get_admin() {
        let b = derive_bindings(true, &[], &[], &[]);
        assert!(b.iter().any(|b| b.role == Role::Account && b.scope == Scope::County));
        assert!(b.iter().any(|b| b.role == Role::Admin && b.scope == Scope::County));
        assert!(!derive_bindings(false, &[], &[], &[]).iter().any(|b| b.role == Role::Admin));
    }

    #[test]
    fn a_company_manager_is_bound_to_each_estate_served_today() {
        let company = PropertyCompanyId::new();
        let (e1, e2) = (EstateId::new(), EstateId::new());
        let served = [
            ServedEstate { company_id: company, estate_id: e1, contract_id: Uuid::now_v7() },
            ServedEstate { company_id: PropertyCompanyId::new(), estate_id: e2, contract_id: Uuid::now_v7() },
        ];
        let b = derive_bindings(false, &[post(OrgKind::PropertyCompany, company.0, PostTitle::Manager)], &[], &served);
        assert!(b.iter().any(|b| b.role == Role::PropertyManager && b.scope == Scope::Company(company)));
        assert!(b.iter().any(|b| b.role == Role::PropertyManager && b.scope == Scope::Estate(e1)));
        assert!(!b.iter().any(|b| b.scope == Scope::Estate(e2)), "another company's estate");
    }

    #[test]
    fn party_branch_titles_bind_in_the_community() {
        let community = CommunityId::new();
        let b = derive_bindings(false, &[post(OrgKind::PartyBranch, community.0, PostTitle::Secretary)], &[], &[]);
        assert!(b.iter().any(|b| b.role == Role::PartyBranchSecretary && b.scope == Scope::Community(community)));
        let b = derive_bindings(false, &[post(OrgKind::PartyBranch, community.0, PostTitle::Member)], &[], &[]);
        assert!(b.iter().any(|b| b.role == Role::PartyBranchMember && b.scope == Scope::Community(community)));
    }

    #[test]
    fn a_cross_appointment_binds_its_host_role_and_a_company_post_recuses() {
        let company = PropertyCompanyId::new();
        let community = CommunityId::new();
        let estate = EstateId::new();
        let served = [ServedEstate { company_id: company, estate_id: estate, contract_id: Uuid::now_v7() }];
        let to_company = ActiveAppointment {
            appointment_id: Uuid::now_v7(),
            host_kind: HostKind::PropertyCompany,
            host_id: company.0,
            host_estate: None,
        };
        let home = post(OrgKind::PartyBranch, community.0, PostTitle::Secretary);
        let b = derive_bindings(false, std::slice::from_ref(&home), std::slice::from_ref(&to_company), &served);
        assert!(b.iter().any(|b| b.role == Role::PartyBuildingInstructor && b.scope == Scope::Company(company)));
        assert!(b.iter().any(|b| b.role == Role::Recused && b.scope == Scope::Estate(estate)));
        assert!(!derive_bindings(false, std::slice::from_ref(&home), &[], &served)
            .iter()
            .any(|b| b.role == Role::Recused));

        let to_committees = ActiveAppointment {
            appointment_id: Uuid::now_v7(),
            host_kind: HostKind::CommunityCommittees,
            host_id: community.0,
            host_estate: None,
        };
        let manager = post(OrgKind::PropertyCompany, company.0, PostTitle::Manager);
        let b = derive_bindings(false, &[manager], &[to_committees], &served);
        assert!(b.iter().any(|b| b.role == Role::PartTimeCommitteeMember && b.scope == Scope::Community(community)));
        assert!(
            b.iter().any(|b| b.role == Role::Recused && b.scope == Scope::Estate(estate)),
            "a home post recuses too"
        );
        // In the company itself as well, even when it serves no estate any more: its
        // scorecards lie in its scope after its last contract has ended.
        let b = derive_bindings(false, std::slice::from_ref(&home), std::slice::from_ref(&to_company), &[]);
        assert!(b.iter().any(|b| b.role == Role::Recused && b.scope == Scope::Company(company)));
    }

    #[test]
    fn scopes_round_trip_through_text() {
        let s = Scope::Estate(EstateId::new());
        assert_eq!(s.to_string().parse::<Scope>(), Ok(s));
        assert_eq!("county".parse::<Scope>(), Ok(Scope::County));
        assert_eq!("planet:1".parse::<Scope>(), Err(Code::InvalidScope));
    }
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Allowed.
    Allow,
    /// Denied.
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        })
    }
}

/// A decision about one request, saying which binding and which rule decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Allow or deny.
    pub effect: Effect,
    /// The resource asked about.
    pub resource: Resource,
    /// The action asked about.
    pub action: Action,
    /// The innermost scope of the target.
    pub scope: Scope,
    /// The community the target lies in, if any (its party branch reads the audit row).
    pub community: Option<CommunityId>,
    /// The binding that decided (`role@scope`), if one did.
    pub acting_as: Option<String>,
    /// The policy line that decided, or why nothing did.
    pub rule: String,
}

impl Decision {
    /// Whether the request may go ahead.
    #[must_use]
    pub fn allowed(&self) -> bool {
        self.effect == Effect::Allow
    }
}
