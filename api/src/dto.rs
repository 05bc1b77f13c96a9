//! Request and response bodies. Field names are English snake_case; the domain types
//! never derive poem traits, so each has its DTO here.

use chrono::{DateTime, NaiveDate, Utc};
use domain::registry as reg;
use infra::paging::Page;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::Object;
use uuid::Uuid;

/// A page of results with the cursor for the next one.
macro_rules! page_type {
    ($($name:ident => $item:ty),* $(,)?) => {$(
        #[doc = concat!("A page of `", stringify!($item), "`.")]
        #[derive(Debug, Object)]
        pub struct $name {
            /// The rows, oldest first (the audit log: newest first).
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            #[oai(skip_serializing_if_is_none)]
            pub next_cursor: Option<String>,
        }

        impl<T: Into<$item>> From<Page<T>> for $name {
            fn from(page: Page<T>) -> Self {
                Self { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }
            }
        }
    )*};
}

page_type!(
    CommunityPage => Community,
    GridPage => Grid,
    EstatePage => Estate,
    PropertyCompanyPage => PropertyCompany,
    ServiceContractPage => ServiceContract,
    OwnersCommitteePage => OwnersCommittee,
    DepartmentPage => Department,
    PersonPage => Person,
    PostPage => Post,
    AuditPage => AuditEntry,
);

/// Ending a record: it stays, marked ended.
#[derive(Debug, Object, Default)]
pub struct EndRequest {
    /// Why (optional, up to 500 characters).
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
}

/// A community (社区).
#[derive(Debug, Object)]
pub struct Community {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Short code used in case numbers.
    pub code: String,
    /// Street (街道).
    pub street: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Ended at.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Community> for Community {
    fn from(c: reg::Community) -> Self {
        Self {
            id: c.id.0,
            name: c.name,
            code: c.code,
            street: c.street,
            created_at: c.life.created_at,
            ended_at: c.life.ended_at,
            end_reason: c.life.end_reason,
        }
    }
}

/// A new community.
#[derive(Debug, Object)]
pub struct CommunityCreate {
    /// Name, e.g. 长富路社区.
    pub name: String,
    /// Unique short code (letters and digits), e.g. CFL.
    pub code: String,
    /// Street (街道), e.g. 城关街道.
    pub street: String,
}

/// Changes to a community; absent fields keep their value.
#[derive(Debug, Object)]
pub struct CommunityPatch {
    /// Name.
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    /// Code.
    #[oai(skip_serializing_if_is_none)]
    pub code: Option<String>,
    /// Street.
    #[oai(skip_serializing_if_is_none)]
    pub street: Option<String>,
}

/// A grid (网格).
#[derive(Debug, Object)]
pub struct Grid {
    /// Id.
    pub id: Uuid,
    /// Community.
    pub community_id: Uuid,
    /// Name.
    pub name: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Ended at.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Grid> for Grid {
    fn from(g: reg::Grid) -> Self {
        Self {
            id: g.id.0,
            community_id: g.community_id.0,
            name: g.name,
            created_at: g.life.created_at,
            ended_at: g.life.ended_at,
            end_reason: g.life.end_reason,
        }
    }
}

/// A new grid.
#[derive(Debug, Object)]
pub struct GridCreate {
    /// Community.
    pub community_id: Uuid,
    /// Name, e.g. 第一网格.
    pub name: String,
}

/// A new name (grids, departments).
#[derive(Debug, Object)]
pub struct NamePatch {
    /// Name.
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
}

/// A residential estate (小区).
#[derive(Debug, Object)]
pub struct Estate {
    /// Id.
    pub id: Uuid,
    /// Community.
    pub community_id: Uuid,
    /// Grid.
    #[oai(skip_serializing_if_is_none)]
    pub grid_id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Ended at.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Estate> for Estate {
    fn from(e: reg::Estate) -> Self {
        Self {
            id: e.id.0,
            community_id: e.community_id.0,
            grid_id: e.grid_id.map(|g| g.0),
            name: e.name,
            address: e.address,
            created_at: e.life.created_at,
            ended_at: e.life.ended_at,
            end_reason: e.life.end_reason,
        }
    }
}

/// A new estate.
#[derive(Debug, Object)]
pub struct EstateCreate {
    /// Community (fixed once created).
    pub community_id: Uuid,
    /// Grid in that community.
    #[oai(skip_serializing_if_is_none)]
    pub grid_id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
}

/// Changes to an estate; absent fields keep their value.
#[derive(Debug, Object)]
pub struct EstatePatch {
    /// Name.
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    /// Address.
    #[oai(skip_serializing_if_is_none)]
    pub address: Option<String>,
    /// Grid; `null` removes it.
    pub grid_id: MaybeUndefined<Uuid>,
}

/// A property-management company (物业企业).
#[derive(Debug, Object)]
pub struct PropertyCompany {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Unified social credit code (18 characters).
    pub credit_code: String,
    /// Address.
    pub address: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Ended at.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::PropertyCompany> for PropertyCompany {
    fn from(p: reg::PropertyCompany) -> Self {
        Self {
            id: p.id.0,
            name: p.name,
            credit_code: p.credit_code.as_str().to_owned(),
            address: p.address,
            created_at: p.life.created_at,
            ended_at: p.life.ended_at,
            end_reason: p.life.end_reason,
        }
    }
}

/// A new company.
#[derive(Debug, Object)]
pub struct PropertyCompanyCreate {
    /// Name.
    pub name: String,
    /// Unified social credit code; its check character is verified (GB 32100-2015).
    pub credit_code: String,
    /// Address.
    pub address: String,
}

/// Changes to a company; absent fields keep their value.
#[derive(Debug, Object)]
pub struct PropertyCompanyPatch {
    /// Name.
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    /// Credit code.
    #[oai(skip_serializing_if_is_none)]
    pub credit_code: Option<String>,
    /// Address.
    #[oai(skip_serializing_if_is_none)]
    pub address: Option<String>,
}

/// A service contract (物业服务合同).
#[derive(Debug, Object)]
pub struct ServiceContract {
    /// Id.
    pub id: Uuid,
    /// Company.
    pub company_id: Uuid,
    /// Estate.
    pub estate_id: Uuid,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day (inclusive).
    pub ends_on: NaiveDate,
    /// Contract number.
    #[oai(skip_serializing_if_is_none)]
    pub reference: Option<String>,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Ended early at.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended early.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::ServiceContract> for ServiceContract {
    fn from(c: reg::ServiceContract) -> Self {
        Self {
            id: c.id.0,
            company_id: c.company_id.0,
            estate_id: c.estate_id.0,
            starts_on: c.term.start,
            ends_on: c.term.end.unwrap_or(c.term.start),
            reference: c.reference,
            created_at: c.life.created_at,
            ended_at: c.life.ended_at,
            end_reason: c.life.end_reason,
        }
    }
}

/// A new contract.
#[derive(Debug, Object)]
pub struct ServiceContractCreate {
    /// Company.
    pub company_id: Uuid,
    /// Estate.
    pub estate_id: Uuid,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day (inclusive).
    pub ends_on: NaiveDate,
    /// Contract number.
    #[oai(skip_serializing_if_is_none)]
    pub reference: Option<String>,
}

/// Changes to a contract's dates or reference.
#[derive(Debug, Object)]
pub struct ServiceContractPatch {
    /// First day.
    #[oai(skip_serializing_if_is_none)]
    pub starts_on: Option<NaiveDate>,
    /// Last day.
    #[oai(skip_serializing_if_is_none)]
    pub ends_on: Option<NaiveDate>,
    /// Contract number.
    #[oai(skip_serializing_if_is_none)]
    pub reference: Option<String>,
}

/// An owners' committee (业主委员会).
#[derive(Debug, Object)]
pub struct OwnersCommittee {
    /// Id.
    pub id: Uuid,
    /// Estate.
    pub estate_id: Uuid,
    /// Name.
    pub name: String,
    /// First day of the term.
    pub term_start: NaiveDate,
    /// Last day of the term.
    pub term_end: NaiveDate,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Ended early at.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended early.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::OwnersCommittee> for OwnersCommittee {
    fn from(c: reg::OwnersCommittee) -> Self {
        Self {
            id: c.id.0,
            estate_id: c.estate_id.0,
            name: c.name,
            term_start: c.term.start,
            term_end: c.term.end.unwrap_or(c.term.start),
            created_at: c.life.created_at,
            ended_at: c.life.ended_at,
            end_reason: c.life.end_reason,
        }
    }
}

/// A newly elected committee.
#[derive(Debug, Object)]
pub struct OwnersCommitteeCreate {
    /// Estate.
    pub estate_id: Uuid,
    /// Name, e.g. 第二届业主委员会.
    pub name: String,
    /// First day of the term.
    pub term_start: NaiveDate,
    /// Last day of the term.
    pub term_end: NaiveDate,
}

/// Changes to a committee.
#[derive(Debug, Object)]
pub struct OwnersCommitteePatch {
    /// Name.
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    /// First day of the term.
    #[oai(skip_serializing_if_is_none)]
    pub term_start: Option<NaiveDate>,
    /// Last day of the term.
    #[oai(skip_serializing_if_is_none)]
    pub term_end: Option<NaiveDate>,
}

/// A government department (职能部门).
#[derive(Debug, Object)]
pub struct Department {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Ended at.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Department> for Department {
    fn from(d: reg::Department) -> Self {
        Self {
            id: d.id.0,
            name: d.name,
            created_at: d.life.created_at,
            ended_at: d.life.ended_at,
            end_reason: d.life.end_reason,
        }
    }
}

/// A new department.
#[derive(Debug, Object)]
pub struct DepartmentCreate {
    /// Name, e.g. 县住房和城乡建设局.
    pub name: String,
}

/// A person. The phone is masked (138****5678) unless you are the person, an administrator,
/// or a leader of one of their organizations.
#[derive(Debug, Object)]
pub struct Person {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Phone, whole or masked.
    #[oai(skip_serializing_if_is_none)]
    pub phone: Option<String>,
    /// Whether `phone` is masked.
    pub phone_masked: bool,
    /// Party member.
    pub is_party_member: bool,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Ended at.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Person> for Person {
    fn from(p: reg::Person) -> Self {
        Self {
            id: p.id.0,
            name: p.name,
            phone: p.phone,
            phone_masked: p.phone_masked,
            is_party_member: p.is_party_member,
            created_at: p.life.created_at,
            ended_at: p.life.ended_at,
            end_reason: p.life.end_reason,
        }
    }
}

/// A new person, optionally with their first post.
#[derive(Debug, Object)]
pub struct PersonCreate {
    /// Name.
    pub name: String,
    /// Phone.
    #[oai(skip_serializing_if_is_none)]
    pub phone: Option<String>,
    /// Party member.
    #[oai(default)]
    pub is_party_member: bool,
    /// First post; its organization is where your permission is checked.
    #[oai(skip_serializing_if_is_none)]
    pub post: Option<PostFields>,
}

/// Changes to a person.
#[derive(Debug, Object)]
pub struct PersonPatch {
    /// Name.
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    /// Phone; `null` removes it.
    pub phone: MaybeUndefined<String>,
    /// Party member.
    #[oai(skip_serializing_if_is_none)]
    pub is_party_member: Option<bool>,
}

/// A post (职务).
#[derive(Debug, Object)]
pub struct Post {
    /// Id.
    pub id: Uuid,
    /// Person.
    pub person_id: Uuid,
    /// Organization kind: party_branch, residents_committee, grid, estate, property_company,
    /// owners_committee, department or county.
    pub org_kind: String,
    /// Organization id (the community's for party_branch and residents_committee; nil for county).
    pub org_id: Uuid,
    /// Title, from the organization kind's list.
    pub title: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, if known.
    #[oai(skip_serializing_if_is_none)]
    pub ends_on: Option<NaiveDate>,
    /// Community of the organization.
    #[oai(skip_serializing_if_is_none)]
    pub community_id: Option<Uuid>,
    /// Estate of the organization.
    #[oai(skip_serializing_if_is_none)]
    pub estate_id: Option<Uuid>,
    /// A company recorded it for someone who serves elsewhere: no role until they accept.
    pub awaiting_acceptance: bool,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Ended at.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Post> for Post {
    fn from(p: reg::Post) -> Self {
        Self {
            id: p.id.0,
            person_id: p.person_id.0,
            org_kind: p.org_kind.as_str().to_owned(),
            org_id: p.org_id,
            title: p.title.as_str().to_owned(),
            starts_on: p.term.start,
            ends_on: p.term.end,
            community_id: p.community_id.map(|c| c.0),
            estate_id: p.estate_id.map(|e| e.0),
            awaiting_acceptance: p.awaiting_acceptance,
            created_at: p.life.created_at,
            ended_at: p.life.ended_at,
            end_reason: p.life.end_reason,
        }
    }
}

/// Where and what a post is.
#[derive(Debug, Object)]
pub struct PostFields {
    /// Organization kind.
    pub org_kind: String,
    /// Organization id.
    pub org_id: Uuid,
    /// Title. party_branch: secretary, deputy_secretary, member; residents_committee and
    /// owners_committee: director, deputy_director, member; grid: grid_worker,
    /// part_time_grid_worker; estate: resident; property_company: manager, staff;
    /// department: head, officer; county: administrator.
    pub title: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, if known.
    #[oai(skip_serializing_if_is_none)]
    pub ends_on: Option<NaiveDate>,
}

impl PostFields {
    /// Validates into the domain input.
    ///
    /// # Errors
    /// Every invalid field.
    pub fn validate(&self) -> Result<reg::PostInput, domain::DomainError> {
        reg::PostInput::validate(&self.org_kind, self.org_id, &self.title, self.starts_on, self.ends_on)
    }
}

/// A new post.
#[derive(Debug, Object)]
pub struct PostCreate {
    /// Person.
    pub person_id: Uuid,
    /// The post.
    #[oai(flatten)]
    pub post: PostFields,
}

/// Changes to a post.
#[derive(Debug, Object)]
pub struct PostPatch {
    /// Title.
    #[oai(skip_serializing_if_is_none)]
    pub title: Option<String>,
    /// Last day; `null` makes the term open.
    pub ends_on: MaybeUndefined<NaiveDate>,
}

/// One audit row.
#[derive(Debug, Object)]
pub struct AuditEntry {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Account.
    #[oai(skip_serializing_if_is_none)]
    pub account_id: Option<Uuid>,
    /// Person.
    #[oai(skip_serializing_if_is_none)]
    pub person_id: Option<Uuid>,
    /// The binding that decided, `role@scope`.
    #[oai(skip_serializing_if_is_none)]
    pub acting_as: Option<String>,
    /// Scope of the target.
    pub scope: String,
    /// Action.
    pub action: String,
    /// Resource.
    pub resource: String,
    /// Target id.
    #[oai(skip_serializing_if_is_none)]
    pub resource_id: Option<String>,
    /// allow or deny.
    pub decision: String,
    /// The rule that decided.
    pub rule: String,
    /// Request id.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
}

impl From<infra::audit::AuditEntry> for AuditEntry {
    fn from(a: infra::audit::AuditEntry) -> Self {
        Self {
            id: a.id,
            at: a.at,
            account_id: a.account_id,
            person_id: a.person_id,
            acting_as: a.acting_as,
            scope: a.scope,
            action: a.action,
            resource: a.resource,
            resource_id: a.resource_id,
            decision: a.decision,
            rule: a.rule,
            request_id: a.request_id,
        }
    }
}
