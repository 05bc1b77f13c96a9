//! The registry: organizations, people and the posts that tie them together, with the
//! rules that keep it honest (credit codes, dated contracts and terms, masked phones).

use crate::code::Code;
use crate::error::{DomainError, Validator};
use crate::ids::{
    CommunityId, DepartmentId, EstateId, GridId, OwnersCommitteeId, PersonId, PostId, PropertyCompanyId,
    ServiceContractId,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The 31 characters GB 32100-2015 allows in a unified social credit code, in value order
/// (lower-case letters are accepted too, and upper-cased).
pub const CREDIT_CODE_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The length of a unified social credit code, its check character included.
pub const CREDIT_CODE_LEN: usize = 18;
/// How many digits a phone number has, at least and at most.
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;
/// The longest name of a community, grid, estate or department, in characters.
pub const NAME_MAX_CHARS: usize = 64;
/// The longest community code, in characters.
pub const COMMUNITY_CODE_MAX_CHARS: usize = 16;
/// The longest street name, in characters.
pub const STREET_MAX_CHARS: usize = 64;
/// The longest address of an estate or company, in characters.
pub const ADDRESS_MAX_CHARS: usize = 200;
/// The longest name of a property company, in characters.
pub const COMPANY_NAME_MAX_CHARS: usize = 100;
/// The longest label of a dated record (a contract's reference, an owners' committee's
/// name), in characters.
pub const TERM_LABEL_MAX_CHARS: usize = 100;
/// The longest name of a person, in characters.
pub const PERSON_NAME_MAX_CHARS: usize = 32;
/// The longest reason for ending a record (or note on a cross-appointment), in characters.
pub const REASON_MAX_CHARS: usize = 500;
/// Weights of positions 1..=17 (3^(i-1) mod 31), from GB 32100-2015.
const CREDIT_CODE_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A unified social credit code (统一社会信用代码): 18 characters whose last is a check
/// character computed as GB 32100-2015 specifies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses and checks a code; lower-case letters are accepted and upper-cased.
    ///
    /// # Errors
    /// A stable code: `invalid_length`, `invalid_character` or `invalid_check_character`.
    pub fn parse(raw: &str) -> Result<Self, Code> {
        let code = raw.trim().to_ascii_uppercase();
        if code.chars().count() != CREDIT_CODE_LEN {
            return Err(Code::InvalidLength);
        }
        let values: Vec<u32> = code
            .bytes()
            .map(|b| CREDIT_CODE_CHARSET.iter().position(|&c| c == b).map(|p| p as u32))
            .collect::<Option<_>>()
            .ok_or(Code::InvalidCharacter)?;
        let sum: u32 = values.iter().zip(CREDIT_CODE_WEIGHTS).map(|(v, w)| v * w).sum();
        let expected = (31 - sum % 31) % 31;
        if values[17] != expected {
            return Err(Code::InvalidCheckCharacter);
        }
        Ok(Self(code))
    }

    /// Completes 17 characters with their check character (for generated test data).
    ///
    /// # Errors
    /// As [`CreditCode::parse`].
    pub fn complete(first17: &str) -> Result<Self, Code> {
        let values: Vec<u32> = first17
            .bytes()
            .map(|b| CREDIT_CODE_CHARSET.iter().position(|&c| c == b).map(|p| p as u32))
            .collect::<Option<_>>()
            .ok_or(Code::InvalidCharacter)?;
        if values.len() != CREDIT_CODE_LEN - 1 {
            return Err(Code::InvalidLength);
        }
        let sum: u32 = values.iter().zip(CREDIT_CODE_WEIGHTS).map(|(v, w)| v * w).sum();
        let check = CREDIT_CODE_CHARSET[((31 - sum % 31) % 31) as usize] as char;
        Self::parse(&format!("{first17}{check}"))
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CreditCode {
    type Error = Code;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CreditCode> for String {
    fn from(code: CreditCode) -> Self {
        code.0
    }
}

/// A phone number: stored whole, shown masked to anyone not allowed to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Accepts digits with optional `+`, spaces and hyphens (mobile or landline).
    ///
    /// # Errors
    /// `invalid_phone` when there are not 7 to 15 digits or other characters appear.
    pub fn parse(raw: &str) -> Result<Self, Code> {
        let trimmed = raw.trim();
        let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
        if !body.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' ') {
            return Err(Code::InvalidPhone);
        }
        let digits = body.chars().filter(char::is_ascii_digit).count();
        if !PHONE_DIGITS.contains(&digits) {
            return Err(Code::InvalidPhone);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The number as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but the first three and the last four digits hidden:
    /// `13812345678` becomes `138****5678`.
    #[must_use]
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// Masks a stored phone number (see [`Phone::masked`]).
#[must_use]
pub fn mask_phone(raw: &str) -> String {
    let digits: Vec<char> = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 8 {
        return "****".to_owned();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// An inclusive range of calendar dates, as contracts and terms are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// First day.
    pub start: NaiveDate,
    /// Last day, inclusive; `None` is open-ended.
    pub end: Option<NaiveDate>,
}

impl DateRange {
    /// A range that must not end before it starts.
    ///
    /// # Errors
    /// `ends_before_start`.
    pub fn new(start: NaiveDate, end: Option<NaiveDate>) -> Result<Self, Code> {
        match end {
            Some(end) if end < start => Err(Code::EndsBeforeStart),
            _ => Ok(Self { start, end }),
        }
    }

    /// Whether `day` lies in the range.
    #[must_use]
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|end| day <= end)
    }

    /// Whether two ranges share at least one day.
    #[must_use]
    pub fn overlaps(&self, other: &Self) -> bool {
        let self_before_other = self.end.is_some_and(|end| end < other.start);
        let other_before_self = other.end.is_some_and(|end| end < self.start);
        !(self_before_other || other_before_self)
    }

    /// The range cut short by an early end at `ended_at`: the day it ended no longer counts,
    /// so a successor may start that day.
    #[must_use]
    pub fn cut_by(&self, ended_at: Option<DateTime<Utc>>) -> Option<Self> {
        let Some(ended_at) = ended_at else { return Some(*self) };
        let last = crate::clock::local_date(ended_at).pred_opt()?;
        if last < self.start {
            return None;
        }
        Some(Self { start: self.start, end: Some(self.end.map_or(last, |end| end.min(last))) })
    }
}

/// Whether something dated and endable is in force on `today`: inside its dates and not
/// ended early.
#[must_use]
pub fn in_force(range: &DateRange, ended_at: Option<DateTime<Utc>>, today: NaiveDate) -> bool {
    ended_at.is_none() && range.contains(today)
}

/// Checks that a new dated record does not overlap any existing, not-yet-ended one.
/// Used for service contracts (one per estate on any day) and owners' committee terms
/// (one current committee per estate).
///
/// # Errors
/// [`DomainError::Conflict`] with `code` when an overlap exists.
pub fn ensure_no_overlap(
    candidate: &DateRange,
    existing: impl IntoIterator<Item = (DateRange, Option<DateTime<Utc>>)>,
    code: Code,
) -> Result<(), DomainError> {
    let clash = existing
        .into_iter()
        .filter_map(|(range, ended_at)| range.cut_by(ended_at))
        .any(|range| range.overlaps(candidate));
    if clash {
        Err(DomainError::Conflict { code })
    } else {
        Ok(())
    }
}

/// The kinds of organization a post can be held in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 社区党支部; the organization id is the community's.
    PartyBranch,
    /// 居委会; the organization id is the community's.
    ResidentsCommittee,
    /// 网格.
    Grid,
    /// 小区: residents are registered as holding the `resident` post in their estate.
    Estate,
    /// 物业企业.
    PropertyCompany,
    /// 业主委员会.
    OwnersCommittee,
    /// 职能部门.
    Department,
    /// The county (or street) administration; there is one, its id is the nil UUID.
    County,
}

impl OrgKind {
    /// Every kind, for validation messages and tests.
    pub const ALL: [OrgKind; 8] = [
        Self::PartyBranch,
        Self::ResidentsCommittee,
        Self::Grid,
        Self::Estate,
        Self::PropertyCompany,
        Self::OwnersCommittee,
        Self::Department,
        Self::County,
    ];

    /// The snake_case name used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PartyBranch => "party_branch",
            Self::ResidentsCommittee => "residents_committee",
            Self::Grid => "grid",
            Self::Estate => "estate",
            Self::PropertyCompany => "property_company",
            Self::OwnersCommittee => "owners_committee",
            Self::Department => "department",
            Self::County => "county",
        }
    }

    /// The post titles an organization of this kind has.
    #[must_use]
    pub fn titles(self) -> &'static [PostTitle] {
        use PostTitle as T;
        match self {
            Self::PartyBranch => &[T::Secretary, T::DeputySecretary, T::Member],
            Self::ResidentsCommittee => &[T::Director, T::DeputyDirector, T::Member],
            Self::Grid => &[T::GridWorker, T::PartTimeGridWorker],
            Self::Estate => &[T::Resident],
            Self::PropertyCompany => &[T::Manager, T::Staff],
            Self::OwnersCommittee => &[T::Director, T::DeputyDirector, T::Member],
            Self::Department => &[T::Head, T::Officer],
            Self::County => &[T::Administrator],
        }
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrgKind {
    type Err = Code;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(Code::InvalidOrgKind)
    }
}

/// Titles of posts (职务).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostTitle {
    /// 书记
    Secretary,
    /// 副书记
    DeputySecretary,
    /// 委员 / 成员
    Member,
    /// 主任
    Director,
    /// 副主任
    DeputyDirector,
    /// 专职网格员
    GridWorker,
    /// 兼职网格员
    PartTimeGridWorker,
    /// 居民
    Resident,
    /// 项目经理 / 负责人
    Manager,
    /// 员工
    Staff,
    /// 部门负责人
    Head,
    /// 工作人员
    Officer,
    /// 管理员
    Administrator,
}

impl PostTitle {
    /// Every title.
    pub const ALL: [PostTitle; 13] = [
        Self::Secretary,
        Self::DeputySecretary,
        Self::Member,
        Self::Director,
        Self::DeputyDirector,
        Self::GridWorker,
        Self::PartTimeGridWorker,
        Self::Resident,
        Self::Manager,
        Self::Staff,
        Self::Head,
        Self::Officer,
        Self::Administrator,
    ];

    /// The snake_case name used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secretary => "secretary",
            Self::DeputySecretary => "deputy_secretary",
            Self::Member => "member",
            Self::Director => "director",
            Self::DeputyDirector => "deputy_director",
            Self::GridWorker => "grid_worker",
            Self::PartTimeGridWorker => "part_time_grid_worker",
            Self::Resident => "resident",
            Self::Manager => "manager",
            Self::Staff => "staff",
            Self::Head => "head",
            Self::Officer => "officer",
            Self::Administrator => "administrator",
        }
    }

    /// Leaders of an organization may see the whole phone numbers of its people.
    #[must_use]
    pub fn is_leader(self) -> bool {
        match self {
            Self::Secretary
            | Self::DeputySecretary
            | Self::Director
            | Self::DeputyDirector
            | Self::Manager
            | Self::Head
            | Self::Administrator => true,
            Self::Member
            | Self::GridWorker
            | Self::PartTimeGridWorker
            | Self::Resident
            | Self::Staff
            | Self::Officer => false,
        }
    }
}

impl fmt::Display for PostTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PostTitle {
    type Err = Code;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or(Code::InvalidTitle)
    }
}

/// Checks that `title` exists in organizations of `kind`.
///
/// # Errors
/// `title_not_in_organization`.
pub fn check_title(kind: OrgKind, title: PostTitle) -> Result<(), Code> {
    if kind.titles().contains(&title) {
        Ok(())
    } else {
        Err(Code::TitleNotInOrganization)
    }
}

/// A post as the rules need it: who, where, what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRecord {
    /// The organization's kind.
    pub org_kind: OrgKind,
    /// The organization's id (the community's for a party branch or residents' committee).
    pub org_id: uuid::Uuid,
    /// The title.
    pub title: PostTitle,
}

/// Whether `viewer` may see the whole phone number of the person who holds `subject_posts`:
/// the person themself, a system administrator, or a leader of one of the person's own
/// organizations.
#[must_use]
pub fn may_see_phone(is_self: bool, is_admin: bool, viewer_posts: &[PostRecord], subject_posts: &[PostRecord]) -> bool {
    is_self
        || is_admin
        || viewer_posts
            .iter()
            .filter(|v| v.title.is_leader())
            .any(|v| subject_posts.iter().any(|s| s.org_kind == v.org_kind && s.org_id == v.org_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn real_credit_codes_pass_their_check_character() {
        for code in ["91330100716105852F", "9144030071526726XG", "91110000802100433B"] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn completing_seventeen_characters_gives_the_published_check_character() {
        assert_eq!(CreditCode::complete("9133010071610585").map(|c| c.as_str().to_owned()), Err(Code::InvalidLength));
        assert_eq!(
            CreditCode::complete("91330100716105852").map(|c| c.as_str().to_owned()),
            Ok("91330100716105852F".to_owned())
        );
    }

    #[test]
    fn a_wrong_check_character_is_rejected() {
        assert_eq!(CreditCode::parse("91330100716105852G"), Err(Code::InvalidCheckCharacter));
    }

    #[test]
    fn credit_codes_of_the_wrong_length_or_alphabet_are_rejected() {
        assert_eq!(CreditCode::parse("9133010071610585"), Err(Code::InvalidLength));
        assert_eq!(CreditCode::parse("91330100716105852I"), Err(Code::InvalidCharacter));
        assert_eq!(CreditCode::parse("9133010071610585中F"), Err(Code::InvalidCharacter));
    }

    #[test]
    fn lower_case_credit_codes_are_normalised() {
        assert_eq!(
            CreditCode::parse("9144030071526726xg").map(|c| c.as_str().to_owned()),
            Ok("9144030071526726XG".to_owned())
        );
    }

    #[test]
    fn mobile_numbers_are_masked_in_the_middle() {
        assert_eq!(Phone::parse("13812345678").map(|p| p.masked()), Ok("138****5678".to_owned()));
        assert_eq!(mask_phone("0571-8888-1234"), "057****1234");
        assert_eq!(mask_phone("12345"), "****");
    }

    #[test]
    fn phones_with_letters_or_too_few_digits_are_rejected() {
        assert_eq!(Phone::parse("1381234abcd"), Err(Code::InvalidPhone));
        assert_eq!(Phone::parse("12345"), Err(Code::InvalidPhone));
    }

    #[test]
    fn ranges_that_share_a_day_overlap() {
        let a = DateRange::new(d("2025-01-01"), Some(d("2025-12-31"))).expect("range");
        let b = DateRange::new(d("2025-12-31"), Some(d("2026-12-31"))).expect("range");
        let c = DateRange::new(d("2026-01-01"), None).expect("range");
        assert!(a.overlaps(&b));
        assert!(!a.overlaps(&c));
        assert!(b.overlaps(&c));
    }

    #[test]
    fn a_range_cannot_end_before_it_starts() {
        assert_eq!(DateRange::new(d("2025-02-01"), Some(d("2025-01-31"))), Err(Code::EndsBeforeStart));
    }

    #[test]
    fn a_contract_ended_early_frees_the_estate_from_that_day() {
        let old = DateRange::new(d("2025-01-01"), Some(d("2027-12-31"))).expect("range");
        let ended = d("2026-03-10").and_hms_opt(4, 0, 0).expect("time").and_utc();
        let successor = DateRange::new(d("2026-03-10"), Some(d("2029-03-09"))).expect("range");
        assert_eq!(ensure_no_overlap(&successor, [(old, Some(ended))], Code::ContractOverlap), Ok(()));
        assert_eq!(
            ensure_no_overlap(&successor, [(old, None)], Code::ContractOverlap),
            Err(DomainError::Conflict { code: Code::ContractOverlap })
        );
    }

    #[test]
    fn in_force_needs_the_dates_and_no_early_end() {
        let r = DateRange::new(d("2025-01-01"), Some(d("2025-12-31"))).expect("range");
        assert!(in_force(&r, None, d("2025-06-01")));
        assert!(!in_force(&r, None, d("2026-01-01")));
        assert!(!in_force(&r, Some(Utc::now()), d("2025-06-01")));
    }

    #[test]
    fn titles_belong_to_their_kind_of_organization() {
        assert_eq!(check_title(OrgKind::PartyBranch, PostTitle::Secretary), Ok(()));
        assert_eq!(check_title(OrgKind::PropertyCompany, PostTitle::Secretary), Err(Code::TitleNotInOrganization));
    }

    #[test]
    fn leaders_of_the_same_organization_see_whole_phones() {
        let org = uuid::Uuid::now_v7();
        let other = uuid::Uuid::now_v7();
        let leader = PostRecord { org_kind: OrgKind::PropertyCompany, org_id: org, title: PostTitle::Manager };
        let staff = PostRecord { org_kind: OrgKind::PropertyCompany, org_id: org, title: PostTitle::Staff };
        let elsewhere = PostRecord { org_kind: OrgKind::PropertyCompany, org_id: other, title: PostTitle::Manager };
        assert!(may_see_phone(false, false, std::slice::from_ref(&leader), std::slice::from_ref(&staff)));
        assert!(!may_see_phone(false, false, std::slice::from_ref(&staff), std::slice::from_ref(&leader)));
        assert!(!may_see_phone(false, false, &[elsewhere], &[staff]));
        assert!(may_see_phone(true, false, &[], &[]));
        assert!(may_see_phone(false, true, &[], &[]));
    }
    #[test]
    fn company_names_compare_after_normalising() {
        let key = name_key("某县安居物业");
        assert_eq!(name_key(" 某县安居物业 "), key);
        assert_eq!(name_key("某县安居\u{200b}物业"), key);
        assert_eq!(name_key("某县安居物业\u{feff}"), key);
        assert_eq!(name_key("ＡＢＣ物业"), name_key("ABC物业"), "full-width letters");
        assert_ne!(name_key("某县宏达物业"), key);
    }
}

// ---------------------------------------------------------------------------------------
// Records as the rest of the service sees them. Validated inputs (`New*`) are built only
// through their `validate` constructors, which list every invalid field at once.
// ---------------------------------------------------------------------------------------

/// When a record was made and whether it has ended (nothing is deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    /// Made at.
    pub created_at: DateTime<Utc>,
    /// Ended at, if it has.
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended.
    pub end_reason: Option<String>,
}

/// A community (社区).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    /// Id.
    pub id: CommunityId,
    /// Name, e.g. 长富路社区.
    pub name: String,
    /// Short unique code used in case numbers, e.g. `CFL`.
    pub code: String,
    /// The street (街道) it belongs to.
    pub street: String,
    /// Lifecycle.
    pub life: Lifecycle,
}

/// A grid (网格).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    /// Id.
    pub id: GridId,
    /// Its community.
    pub community_id: CommunityId,
    /// Name.
    pub name: String,
    /// Lifecycle.
    pub life: Lifecycle,
}

/// A residential estate (小区).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estate {
    /// Id.
    pub id: EstateId,
    /// Its community (fixed once created).
    pub community_id: CommunityId,
    /// Its grid, if assigned.
    pub grid_id: Option<GridId>,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Lifecycle.
    pub life: Lifecycle,
}

/// A property-management company (物业企业).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyCompany {
    /// Id.
    pub id: PropertyCompanyId,
    /// Name.
    pub name: String,
    /// Unified social credit code.
    pub credit_code: CreditCode,
    /// Address.
    pub address: String,
    /// Lifecycle.
    pub life: Lifecycle,
}

/// A service contract (物业服务合同): a company serves an estate for a date range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceContract {
    /// Id.
    pub id: ServiceContractId,
    /// The company.
    pub company_id: PropertyCompanyId,
    /// The estate.
    pub estate_id: EstateId,
    /// The dates, inclusive.
    pub term: DateRange,
    /// Contract number or document reference.
    pub reference: Option<String>,
    /// Lifecycle; an early end stops the contract at once.
    pub life: Lifecycle,
}

/// An owners' committee (业主委员会), elected for a term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnersCommittee {
    /// Id.
    pub id: OwnersCommitteeId,
    /// Its estate.
    pub estate_id: EstateId,
    /// Name, e.g. 第二届业主委员会.
    pub name: String,
    /// The term, inclusive.
    pub term: DateRange,
    /// Lifecycle.
    pub life: Lifecycle,
}

/// A government department (职能部门).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// Id.
    pub id: DepartmentId,
    /// Name, unique.
    pub name: String,
    /// Lifecycle.
    pub life: Lifecycle,
}

/// A person, with the phone number already masked or not for whoever asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Id.
    pub id: PersonId,
    /// Name.
    pub name: String,
    /// Phone, whole or masked (see `phone_masked`).
    pub phone: Option<String>,
    /// Whether `phone` is masked.
    pub phone_masked: bool,
    /// Party member.
    pub is_party_member: bool,
    /// Lifecycle.
    pub life: Lifecycle,
}

/// A post (职务) held by a person in an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// Id.
    pub id: PostId,
    /// Who holds it.
    pub person_id: PersonId,
    /// Organization kind.
    pub org_kind: OrgKind,
    /// Organization id (the community's for a party branch or residents' committee).
    pub org_id: uuid::Uuid,
    /// Title.
    pub title: PostTitle,
    /// Term; the end is open when unknown.
    pub term: DateRange,
    /// The community of the organization, where it has exactly one.
    pub community_id: Option<CommunityId>,
    /// The estate of the organization (estates and owners' committees).
    pub estate_id: Option<EstateId>,
    /// A company recorded it for someone serving elsewhere, who has not accepted it yet: it
    /// gives no role until then.
    pub awaiting_acceptance: bool,
    /// Lifecycle.
    pub life: Lifecycle,
}

/// Characters that show nothing: zero-width spaces and joiners, the word joiner, the byte
/// order mark. A name that differs from another only by these is the same name.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{00ad}')
}

fn without_invisible(text: &str) -> String {
    text.chars().filter(|c| !is_invisible(*c)).collect()
}

/// The form two names are compared in: NFKC (full-width letters and digits become
/// ordinary ones), without invisible characters, white space trimmed and runs of it folded
/// into one space. Two companies may not have names with the same key.
#[must_use]
pub fn name_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let normal: String = name.nfkc().filter(|c| !is_invisible(*c)).collect();
    normal.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks a required text: not blank, at most `max` characters. Returns it trimmed.
fn text(v: &mut Validator, field: &str, value: &str, max: usize) -> String {
    v.text(field, value, max);
    value.trim().to_owned()
}

/// Checks an optional text: when present, not blank, at most `max` characters.
fn optional_text(v: &mut Validator, field: &str, value: Option<&str>, max: usize) -> Option<String> {
    value.map(|value| text(v, field, value, max))
}

/// A community to create or its new values.
#[derive(Debug, Clone)]
pub struct CommunityInput {
    /// Name.
    pub name: String,
    /// Code.
    pub code: String,
    /// Street.
    pub street: String,
}

impl CommunityInput {
    /// Validates the fields.
    ///
    /// # Errors
    /// [`DomainError::Validation`] listing every invalid field.
    pub fn validate(name: &str, code: &str, street: &str) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let name = text(&mut v, "name", name, NAME_MAX_CHARS);
        let code = text(&mut v, "code", code, COMMUNITY_CODE_MAX_CHARS).to_ascii_uppercase();
        if !code.is_empty() && !code.chars().all(is_community_code_char) {
            v.add("code", Code::InvalidCode);
        }
        let street = text(&mut v, "street", street, STREET_MAX_CHARS);
        v.finish()?;
        Ok(Self { name, code, street })
    }
}

/// Whether a community code may hold `c` (an ASCII letter or digit; letters are upper-cased).
#[must_use]
pub fn is_community_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// A named thing: grids and departments only need a name.
///
/// # Errors
/// [`DomainError::Validation`] when the name is blank or longer than [`NAME_MAX_CHARS`].
pub fn validate_name(name: &str) -> Result<String, DomainError> {
    let mut v = Validator::new();
    let name = text(&mut v, "name", name, NAME_MAX_CHARS);
    v.finish()?;
    Ok(name)
}

/// An estate's editable fields.
#[derive(Debug, Clone)]
pub struct EstateInput {
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Grid.
    pub grid_id: Option<GridId>,
}

impl EstateInput {
    /// Validates the fields.
    ///
    /// # Errors
    /// [`DomainError::Validation`] listing every invalid field.
    pub fn validate(name: &str, address: &str, grid_id: Option<GridId>) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let name = text(&mut v, "name", name, NAME_MAX_CHARS);
        let address = text(&mut v, "address", address, ADDRESS_MAX_CHARS);
        v.finish()?;
        Ok(Self { name, address, grid_id })
    }
}

/// A property company's editable fields.
#[derive(Debug, Clone)]
pub struct PropertyCompanyInput {
    /// Name.
    pub name: String,
    /// Credit code.
    pub credit_code: CreditCode,
    /// Address.
    pub address: String,
}

impl PropertyCompanyInput {
    /// Validates the fields, including the credit code's check character.
    ///
    /// # Errors
    /// [`DomainError::Validation`] listing every invalid field.
    pub fn validate(name: &str, credit_code: &str, address: &str) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let name = text(&mut v, "name", &without_invisible(name), COMPANY_NAME_MAX_CHARS);
        let credit_code = v.check("credit_code", CreditCode::parse(credit_code));
        let address = text(&mut v, "address", address, ADDRESS_MAX_CHARS);
        v.finish()?;
        match credit_code {
            Some(credit_code) => Ok(Self { name, credit_code, address }),
            None => Err(DomainError::field("credit_code", Code::InvalidCreditCode)),
        }
    }
}

/// A dated record's term and optional reference (contracts, committees).
#[derive(Debug, Clone)]
pub struct TermInput {
    /// The dates.
    pub term: DateRange,
    /// Name or reference.
    pub label: Option<String>,
}

impl TermInput {
    /// Validates a term that must be closed (contracts and committee terms end).
    ///
    /// # Errors
    /// [`DomainError::Validation`] listing every invalid field.
    pub fn validate(
        start: NaiveDate,
        end: NaiveDate,
        label_field: &str,
        label: Option<&str>,
        label_required: bool,
    ) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let term = v.check("ends_on", DateRange::new(start, Some(end)));
        if label_required && label.is_none() {
            v.add(label_field, Code::Required);
        }
        let label = optional_text(&mut v, label_field, label, TERM_LABEL_MAX_CHARS);
        v.finish()?;
        match term {
            Some(term) => Ok(Self { term, label }),
            None => Err(DomainError::field("ends_on", Code::EndsBeforeStart)),
        }
    }
}

/// A person's editable fields.
#[derive(Debug, Clone)]
pub struct PersonInput {
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<Phone>,
    /// Party member.
    pub is_party_member: bool,
}

impl PersonInput {
    /// Validates the fields.
    ///
    /// # Errors
    /// [`DomainError::Validation`] listing every invalid field.
    pub fn validate(name: &str, phone: Option<&str>, is_party_member: bool) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let name = text(&mut v, "name", name, PERSON_NAME_MAX_CHARS);
        let phone = phone.and_then(|p| v.check("phone", Phone::parse(p)));
        v.finish()?;
        Ok(Self { name, phone, is_party_member })
    }
}

/// A post to create.
#[derive(Debug, Clone)]
pub struct PostInput {
    /// Organization kind.
    pub org_kind: OrgKind,
    /// Organization id.
    pub org_id: uuid::Uuid,
    /// Title, valid for the kind.
    pub title: PostTitle,
    /// Term.
    pub term: DateRange,
}

impl PostInput {
    /// Validates the organization kind, the title for that kind and the term.
    ///
    /// # Errors
    /// [`DomainError::Validation`] listing every invalid field.
    pub fn validate(
        org_kind: &str,
        org_id: uuid::Uuid,
        title: &str,
        starts_on: NaiveDate,
        ends_on: Option<NaiveDate>,
    ) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let kind = v.check("org_kind", org_kind.parse::<OrgKind>());
        let title = v.check("title", title.parse::<PostTitle>());
        if let (Some(kind), Some(title)) = (kind, title) {
            v.check("title", check_title(kind, title));
        }
        let term = v.check("ends_on", DateRange::new(starts_on, ends_on));
        v.finish()?;
        match (kind, title, term) {
            (Some(org_kind), Some(title), Some(term)) => Ok(Self { org_kind, org_id, title, term }),
            _ => Err(DomainError::field("org_kind", Code::InvalidOrgKind)),
        }
    }
}

/// Checks an end request's reason: optional, but not blank or huge when given.
///
/// # Errors
/// [`DomainError::Validation`] for the `reason` field.
pub fn validate_reason(reason: Option<&str>) -> Result<Option<String>, DomainError> {
    let mut v = Validator::new();
    let reason = optional_text(&mut v, "reason", reason, REASON_MAX_CHARS);
    v.finish()?;
    Ok(reason)
}
