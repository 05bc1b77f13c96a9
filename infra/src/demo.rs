//! The demo county: realistic Chinese data for trying the service, seeded only into an
//! empty database. Dates are relative to today so the demo stays valid as time passes.

use crate::accounts::hash_password;
use crate::db::begin_write;
use crate::entities::{
    account, case_counter, community, complaint, complaint_event, cross_appointment, cross_appointment_event,
    department, estate, grid, owners_committee, person, post, property_company, service_contract,
};
use crate::error::Result;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use domain::appointment::{AppointmentAction, AppointmentStatus, HostKind, HostTitle};
use domain::clock::Clock;
use domain::complaint::{ActionInput, ActorFacts, Complaint, ComplaintAction, ComplaintStatus, DeadlineRules, Rating};
use domain::registry::{OrgKind, PostTitle};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// Every demo account's password.
pub const PASSWORD: &str = "demo12345";

/// The demo accounts: username, what they are.
pub const ACCOUNTS: &[(&str, &str)] = &[
    ("admin", "系统管理员 system administrator"),
    ("secretary", "长富路社区党支部书记 party branch secretary, community 1"),
    ("secretary2", "新城社区党支部书记 party branch secretary, community 2"),
    (
        "manager",
        "安居物业项目经理 manager of the company serving 锦绣家园, 阳光花园 (community 1) and 滨河湾 (community 2)",
    ),
    ("manager2", "宏达物业项目经理 manager of the company serving 翠苑小区 (community 1)"),
    ("owner", "锦绣家园业主委员会主任 owners' committee director, 锦绣家园"),
    ("resident", "锦绣家园居民 resident of 锦绣家园"),
    ("officer", "县住房和城乡建设局工作人员 officer, housing department"),
    ("county", "城关街道管理员 street administrator (read-only oversight)"),
];

/// A demo cross-appointment.
#[derive(Clone, Copy)]
struct DemoAppointment<'a> {
    person: Uuid,
    home_post: Uuid,
    home: (OrgKind, Uuid),
    host: (HostKind, Uuid),
    title: HostTitle,
    host_estate: Option<Uuid>,
    community: Uuid,
    basis: &'a str,
    proposed_as: &'a str,
    decided_by: Uuid,
    decided: Option<(AppointmentAction, AppointmentStatus, Option<&'a str>)>,
}

struct Seeder<'a, C: ConnectionTrait> {
    conn: &'a C,
    now: DateTime<Utc>,
    today: NaiveDate,
}

impl<C: ConnectionTrait> Seeder<'_, C> {
    fn years(&self, n: i32) -> NaiveDate {
        let months = Months::new(n.unsigned_abs() * 12);
        let day = if n >= 0 { self.today.checked_add_months(months) } else { self.today.checked_sub_months(months) };
        day.unwrap_or(self.today)
    }

    async fn community(&self, name: &str, code: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        community::Entity::insert(community::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            code: Set(code.into()),
            street: Set("城关街道".into()),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    async fn grid(&self, community_id: Uuid, name: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        grid::Entity::insert(grid::ActiveModel {
            id: Set(id),
            community_id: Set(community_id),
            name: Set(name.into()),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    async fn estate(&self, community_id: Uuid, grid_id: Uuid, name: &str, address: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        estate::Entity::insert(estate::ActiveModel {
            id: Set(id),
            community_id: Set(community_id),
            grid_id: Set(Some(grid_id)),
            name: Set(name.into()),
            address: Set(address.into()),
            version: Set(0),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    async fn company(&self, name: &str, credit_code: &str, address: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        property_company::Entity::insert(property_company::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            name_key: Set(Some(domain::registry::name_key(name))),
            credit_code: Set(credit_code.into()),
            address: Set(address.into()),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    async fn contract(&self, company_id: Uuid, estate_id: Uuid, from: i32, to: i32, reference: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        service_contract::Entity::insert(service_contract::ActiveModel {
            id: Set(id),
            company_id: Set(company_id),
            estate_id: Set(estate_id),
            starts_on: Set(self.years(from)),
            ends_on: Set(self.years(to)),
            reference: Set(Some(reference.into())),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    async fn committee(&self, estate_id: Uuid, name: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        owners_committee::Entity::insert(owners_committee::ActiveModel {
            id: Set(id),
            estate_id: Set(estate_id),
            name: Set(name.into()),
            term_start: Set(self.years(-1)),
            term_end: Set(self.years(4)),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    async fn department(&self, name: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        department::Entity::insert(department::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    async fn person(&self, name: &str, phone: &str, party_member: bool) -> Result<Uuid> {
        let id = Uuid::now_v7();
        person::Entity::insert(person::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            phone: Set(Some(phone.into())),
            is_party_member: Set(party_member),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    /// A post; `place` is (community, estate) of the organization.
    async fn post(
        &self,
        person_id: Uuid,
        kind: OrgKind,
        org_id: Uuid,
        title: PostTitle,
        place: (Option<Uuid>, Option<Uuid>),
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        post::Entity::insert(post::ActiveModel {
            id: Set(id),
            person_id: Set(person_id),
            org_kind: Set(kind.as_str().into()),
            org_id: Set(org_id),
            title: Set(title.as_str().into()),
            starts_on: Set(self.years(-2)),
            ends_on: Set(None),
            community_id: Set(place.0),
            estate_id: Set(place.1),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    /// A cross-appointment with its history; `decided` is the party branch's decision, if any.
    async fn appointment(&self, a: DemoAppointment<'_>) -> Result<()> {
        let id = Uuid::now_v7();
        let status = a.decided.map_or(AppointmentStatus::Proposed, |(_, to, _)| to);
        cross_appointment::Entity::insert(cross_appointment::ActiveModel {
            id: Set(id),
            person_id: Set(a.person),
            home_post_id: Set(a.home_post),
            home_org_kind: Set(a.home.0.as_str().into()),
            home_org_id: Set(a.home.1),
            host_kind: Set(a.host.0.as_str().into()),
            host_id: Set(a.host.1),
            host_title: Set(a.title.as_str().into()),
            host_estate_id: Set(a.host_estate),
            community_id: Set(a.community),
            starts_on: Set(self.years(-1)),
            ends_on: Set(self.years(2)),
            basis: Set(a.basis.into()),
            status: Set(status.as_str().into()),
            end_reason: Set(a.decided.and_then(|(_, _, reason)| reason.map(Into::into))),
            // One version per decision: approved or rejected is 1, ended or revoked after approval is 2.
            version: Set(match a.decided {
                None => 0,
                Some((AppointmentAction::End | AppointmentAction::Revoke, _, _)) => 2,
                Some(_) => 1,
            }),
            created_at: Set(self.now),
            decided_at: Set(a.decided.map(|_| self.now)),
        })
        .exec_without_returning(self.conn)
        .await?;
        let secretary = format!("party_branch_secretary@community:{}", a.community);
        let mut history = vec![(AppointmentAction::Propose, None, AppointmentStatus::Proposed, None, a.proposed_as)];
        if let Some((action, to, reason)) = a.decided {
            history.push((action, Some(AppointmentStatus::Proposed), to, reason, secretary.as_str()));
            if to != AppointmentStatus::Active && action != AppointmentAction::Reject {
                // Ended or revoked after having been approved.
                history.insert(
                    1,
                    (
                        AppointmentAction::Approve,
                        Some(AppointmentStatus::Proposed),
                        AppointmentStatus::Active,
                        None,
                        secretary.as_str(),
                    ),
                );
                if let Some(last) = history.last_mut() {
                    last.1 = Some(AppointmentStatus::Active);
                }
            }
        }
        for (action, from, to, note, acting_as) in history {
            cross_appointment_event::Entity::insert(cross_appointment_event::ActiveModel {
                id: Set(Uuid::now_v7()),
                appointment_id: Set(id),
                at: Set(self.now),
                account_id: Set(None),
                person_id: Set(Some(a.decided_by)),
                acting_as: Set(acting_as.into()),
                action: Set(action.as_str().into()),
                from_status: Set(from.map(|s| s.as_str().into())),
                to_status: Set(to.as_str().into()),
                note: Set(note.map(Into::into)),
            })
            .exec_without_returning(self.conn)
            .await?;
        }
        Ok(())
    }

    async fn account(&self, person_id: Uuid, username: &str, password_hash: &str, is_admin: bool) -> Result<()> {
        account::Entity::insert(account::ActiveModel {
            id: Set(Uuid::now_v7()),
            person_id: Set(person_id),
            username: Set(username.into()),
            password_hash: Set(password_hash.into()),
            is_admin: Set(is_admin),
            failed_logins: Set(0),
            locked_until: Set(None),
            created_at: Set(self.now),
            disabled_at: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(())
    }
}

/// Seeds the demo county when the database has no communities yet, in one transaction.
/// Returns whether it seeded.
///
/// # Errors
/// Database errors.
pub async fn seed_if_empty(db: &DatabaseConnection, clock: &dyn Clock) -> Result<bool> {
    if community::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    // One salted hash per account, computed before the transaction opens.
    let mut hashes = Vec::new();
    for _ in ACCOUNTS {
        hashes.push(hash_password(PASSWORD.to_owned()).await?);
    }
    let txn = begin_write(db).await?;
    let s = Seeder { conn: &txn, now: clock.now(), today: clock.today() };
    use OrgKind as K;
    use PostTitle as T;

    let c1 = s.community("长富路社区", "CFL").await?;
    let c2 = s.community("新城社区", "XC").await?;
    let g11 = s.grid(c1, "长富路社区第一网格").await?;
    let g12 = s.grid(c1, "长富路社区第二网格").await?;
    let g21 = s.grid(c2, "新城社区第一网格").await?;

    let jinxiu = s.estate(c1, g11, "锦绣家园", "城关街道长富路18号").await?;
    let yangguang = s.estate(c1, g11, "阳光花园", "城关街道长富路66号").await?;
    let cuiyuan = s.estate(c1, g12, "翠苑小区", "城关街道长庆巷3号").await?;
    let heping = s.estate(c1, g12, "和平里小区", "城关街道和平路9号").await?;
    let xincheng = s.estate(c2, g21, "新城佳苑", "城关街道新城大道101号").await?;
    let binhe = s.estate(c2, g21, "滨河湾小区", "城关街道滨河路22号").await?;

    let anju = s.company("某县安居物业服务有限公司", "91610000MA6W1A2B3G", "城关街道人民路12号").await?;
    let hongda = s.company("某县宏达物业管理有限公司", "91610000MA6W1C4D5J", "城关街道建设路45号").await?;
    let xcwy = s.company("某县新城物业服务有限公司", "91610000MA6W1E6F7L", "城关街道新城大道88号").await?;

    s.contract(anju, jinxiu, -2, 3, "物业服务合同〔2024〕第011号").await?;
    s.contract(anju, yangguang, -1, 2, "物业服务合同〔2025〕第003号").await?;
    s.contract(anju, binhe, -2, 1, "物业服务合同〔2024〕第027号").await?;
    s.contract(hongda, cuiyuan, -3, 2, "物业服务合同〔2023〕第015号").await?;
    s.contract(xcwy, xincheng, -1, 4, "物业服务合同〔2025〕第008号").await?;
    // 和平里小区's contract ran out last year: no company serves it today.
    s.contract(xcwy, heping, -5, -1, "物业服务合同〔2021〕第002号").await?;

    let oc_jinxiu = s.committee(jinxiu, "锦绣家园第二届业主委员会").await?;
    let oc_cuiyuan = s.committee(cuiyuan, "翠苑小区第一届业主委员会").await?;
    let oc_xincheng = s.committee(xincheng, "新城佳苑第一届业主委员会").await?;

    let housing = s.department("县住房和城乡建设局").await?;
    s.department("县城市管理局").await?;
    s.department("县市场监督管理局").await?;

    let in_c1 = (Some(c1), None);
    let in_c2 = (Some(c2), None);
    let nowhere = (None, None);

    let admin = s.person("系统管理员", "13900000000", false).await?;
    let wang = s.person("王建国", "13812345678", true).await?;
    s.post(wang, K::PartyBranch, c1, T::Secretary, in_c1).await?;
    s.post(wang, K::ResidentsCommittee, c1, T::Director, in_c1).await?;
    let li = s.person("李秀英", "13923456789", true).await?;
    s.post(li, K::PartyBranch, c2, T::Secretary, in_c2).await?;
    let zhang = s.person("张伟", "13734567890", true).await?;
    let zhang_post = s.post(zhang, K::PropertyCompany, anju, T::Manager, nowhere).await?;
    let liu = s.person("刘洋", "13645678901", false).await?;
    let liu_post = s.post(liu, K::PropertyCompany, hongda, T::Manager, nowhere).await?;
    let chen = s.person("陈静", "13556789012", true).await?;
    s.post(chen, K::OwnersCommittee, oc_jinxiu, T::Director, (Some(c1), Some(jinxiu))).await?;
    s.post(chen, K::Estate, jinxiu, T::Resident, (Some(c1), Some(jinxiu))).await?;
    let zhao = s.person("赵磊", "13467890123", false).await?;
    s.post(zhao, K::Estate, jinxiu, T::Resident, (Some(c1), Some(jinxiu))).await?;
    let sun = s.person("孙丽", "13378901234", true).await?;
    s.post(sun, K::Department, housing, T::Officer, nowhere).await?;
    let zhou = s.person("周敏", "13289012345", true).await?;
    s.post(zhou, K::County, Uuid::nil(), T::Administrator, nowhere).await?;

    // People without accounts, so that lists and masking have something to show.
    let wu = s.person("吴强", "13190123456", true).await?;
    let wu_post = s.post(wu, K::PartyBranch, c1, T::Member, in_c1).await?;
    let zheng = s.person("郑芳", "15801234567", false).await?;
    let zheng_post = s.post(zheng, K::ResidentsCommittee, c1, T::Member, in_c1).await?;
    let qian = s.person("钱勇", "15912345678", true).await?;
    let qian_post = s.post(qian, K::Grid, g11, T::GridWorker, in_c1).await?;
    let feng = s.person("冯涛", "18623456789", false).await?;
    let feng_post = s.post(feng, K::PropertyCompany, anju, T::Staff, nowhere).await?;
    let he = s.person("何琳", "18734567890", false).await?;
    s.post(he, K::OwnersCommittee, oc_jinxiu, T::Member, (Some(c1), Some(jinxiu))).await?;
    let xu = s.person("许海", "18845678901", false).await?;
    s.post(xu, K::OwnersCommittee, oc_cuiyuan, T::Director, (Some(c1), Some(cuiyuan))).await?;
    let ma = s.person("马兰", "18956789012", true).await?;
    s.post(ma, K::OwnersCommittee, oc_xincheng, T::Director, (Some(c2), Some(xincheng))).await?;
    let lu = s.person("卢刚", "13011112222", false).await?;
    let lu_post = s.post(lu, K::PropertyCompany, xcwy, T::Manager, nowhere).await?;

    // Cross-appointments (双向进入、交叉任职): 长富路社区 ends up with half its estates and half
    // its owners' committees covered.
    let basis = "长富路社区党建联建联席会议纪要〔2025〕2号";
    let by_company = |c: Uuid| format!("property_manager@company:{c}");
    let (anju_manager, hongda_manager, xcwy_manager) = (by_company(anju), by_company(hongda), by_company(xcwy));
    let by_branch = format!("party_branch_secretary@community:{c1}");
    let base = DemoAppointment {
        person: zhang,
        home_post: zhang_post,
        home: (K::PropertyCompany, anju),
        host: (HostKind::CommunityCommittees, c1),
        title: HostTitle::PartTimeMember,
        host_estate: None,
        community: c1,
        basis,
        proposed_as: &anju_manager,
        decided_by: wang,
        decided: Some((AppointmentAction::Approve, AppointmentStatus::Active, None)),
    };
    s.appointment(base).await?;
    s.appointment(DemoAppointment {
        person: liu,
        home_post: liu_post,
        home: (K::PropertyCompany, hongda),
        proposed_as: &hongda_manager,
        decided: None,
        ..base
    })
    .await?;
    s.appointment(DemoAppointment {
        person: wu,
        home_post: wu_post,
        home: (K::PartyBranch, c1),
        host: (HostKind::PropertyCompany, anju),
        title: HostTitle::PartyBuildingInstructor,
        proposed_as: &by_branch,
        ..base
    })
    .await?;
    s.appointment(DemoAppointment {
        person: zheng,
        home_post: zheng_post,
        home: (K::ResidentsCommittee, c1),
        host: (HostKind::OwnersCommittee, oc_jinxiu),
        title: HostTitle::Supervisor,
        host_estate: Some(jinxiu),
        proposed_as: &by_branch,
        ..base
    })
    .await?;
    s.appointment(DemoAppointment {
        person: qian,
        home_post: qian_post,
        home: (K::Grid, g11),
        host: (HostKind::PropertyCompany, hongda),
        title: HostTitle::PartyBuildingInstructor,
        proposed_as: &by_branch,
        decided: Some((AppointmentAction::End, AppointmentStatus::Ended, Some("工作调整，提前结束"))),
        ..base
    })
    .await?;
    s.appointment(DemoAppointment {
        person: feng,
        home_post: feng_post,
        proposed_as: &anju_manager,
        decided: Some((AppointmentAction::Revoke, AppointmentStatus::Revoked, Some("未按要求参加联席会议"))),
        ..base
    })
    .await?;
    s.appointment(DemoAppointment {
        person: lu,
        home_post: lu_post,
        home: (K::PropertyCompany, xcwy),
        host: (HostKind::CommunityCommittees, c2),
        community: c2,
        basis: "新城社区党建联建联席会议纪要〔2025〕1号",
        proposed_as: &xcwy_manager,
        decided_by: li,
        ..base
    })
    .await?;

    // Residents of the other estates, who file some of the demo complaints.
    let mut residents = HashMap::new();
    for (name, phone, estate, community) in [
        ("孙桂兰", "13511112222", yangguang, c1),
        ("周建华", "13522223333", cuiyuan, c1),
        ("王德顺", "13533334444", heping, c1),
        ("吴秀珍", "13544445555", xincheng, c2),
        ("郑国强", "13555556666", binhe, c2),
    ] {
        let id = s.person(name, phone, false).await?;
        s.post(id, K::Estate, estate, T::Resident, (Some(community), Some(estate))).await?;
        residents.insert(estate, id);
    }
    let places = DemoPlaces {
        c1: (c1, "CFL", wang),
        c2: (c2, "XC", li),
        company_of: HashMap::from([
            (jinxiu, (anju, zhang)),
            (yangguang, (anju, zhang)),
            (binhe, (anju, zhang)),
            (cuiyuan, (hongda, liu)),
            (xincheng, (xcwy, lu)),
        ]),
        community_of: HashMap::from([
            (jinxiu, c1),
            (yangguang, c1),
            (cuiyuan, c1),
            (heping, c1),
            (xincheng, c2),
            (binhe, c2),
        ]),
        housing,
        officer: sun,
        estates: [jinxiu, yangguang, cuiyuan, heping, xincheng, binhe],
    };
    seed_complaints(&s, &places, zhao, chen, &residents).await?;

    let people = [admin, wang, li, zhang, liu, chen, zhao, sun, zhou];
    for (((username, _), person_id), hash) in ACCOUNTS.iter().zip(people).zip(&hashes) {
        s.account(person_id, username, hash, *username == "admin").await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// Who acts for whom in the demo complaints.
struct DemoPlaces {
    /// (community, code, party branch secretary) of each community.
    c1: (Uuid, &'static str, Uuid),
    c2: (Uuid, &'static str, Uuid),
    /// The serving company and its manager, by estate.
    company_of: HashMap<Uuid, (Uuid, Uuid)>,
    community_of: HashMap<Uuid, Uuid>,
    housing: Uuid,
    officer: Uuid,
    /// 锦绣家园, 阳光花园, 翠苑小区, 和平里小区, 新城佳苑, 滨河湾小区.
    estates: [Uuid; 6],
}

/// The demo cases: (estate, filer, category, priority, title, description, hours ago, actions).
/// Each case is driven through the real state machine, so every timeline is a legal one.
type DemoCase<'a> = (Uuid, Uuid, &'a str, &'a str, &'a str, &'a str, i64, &'a [&'a str]);

async fn seed_complaints<C: ConnectionTrait>(
    s: &Seeder<'_, C>,
    p: &DemoPlaces,
    zhao: Uuid,
    chen: Uuid,
    residents: &HashMap<Uuid, Uuid>,
) -> Result<()> {
    let r = |estate: Uuid| residents.get(&estate).copied().unwrap_or(zhao);
    let [jinxiu, yangguang, cuiyuan, heping, xincheng, binhe] = p.estates;
    let cases: Vec<DemoCase<'_>> = vec![
        (
            jinxiu,
            zhao,
            "elevator",
            "urgent",
            "3号楼电梯困人",
            "3号楼2单元电梯运行中突然停在8楼与9楼之间，有老人被困约20分钟。",
            3,
            &[],
        ),
        (jinxiu, zhao, "repair", "normal", "5号楼屋顶漏水", "连日降雨后5号楼顶层多户天花板渗水，墙皮脱落。", 40, &[]),
        (
            jinxiu,
            chen,
            "public_income",
            "complex",
            "公共收益账目公示不清",
            "小区电梯广告和停车场收益近两年未按季度公示，请物业说明。",
            30,
            &["accept"],
        ),
        (
            jinxiu,
            zhao,
            "sanitation",
            "normal",
            "垃圾分类亭异味严重",
            "东门垃圾分类亭清运不及时，夏季异味大、蚊蝇多。",
            24 * 9,
            &["accept"],
        ),
        (
            jinxiu,
            zhao,
            "parking",
            "normal",
            "消防通道长期被占用",
            "2号楼北侧消防通道常年停放私家车，存在安全隐患。",
            24 * 3,
            &["accept", "resolve"],
        ),
        (
            jinxiu,
            zhao,
            "noise",
            "normal",
            "夜间装修噪音扰民",
            "7号楼有住户晚上10点后仍在电钻施工。",
            24 * 20,
            &["accept", "resolve", "confirm"],
        ),
        (
            jinxiu,
            chen,
            "greenery",
            "normal",
            "中心花园树木修剪",
            "中心花园多棵树木枝叶遮挡低层住户采光。",
            24 * 12,
            &["accept", "resolve", "dispute"],
        ),
        (
            jinxiu,
            zhao,
            "security",
            "urgent",
            "单元门禁损坏",
            "4号楼1单元门禁损坏一周，外来人员随意进出。",
            24 * 15,
            &["accept", "resolve", "dispute", "mediate"],
        ),
        (
            jinxiu,
            chen,
            "fees",
            "complex",
            "物业费上调未经业主大会",
            "物业通知明年起物业费上调20%，未经业主大会表决。",
            24 * 25,
            &["accept", "resolve", "dispute", "mediate", "uphold"],
        ),
        (
            jinxiu,
            zhao,
            "repair",
            "normal",
            "地下车库排水不畅",
            "暴雨后地下车库积水严重，排水泵未启动。",
            24 * 10,
            &["accept", "resolve", "dispute", "mediate", "order-redo"],
        ),
        (
            jinxiu,
            zhao,
            "other",
            "normal",
            "楼道堆放杂物",
            "6号楼楼道堆放纸箱等杂物，已自行清理。",
            24 * 2,
            &["withdraw"],
        ),
        (
            jinxiu,
            zhao,
            "sanitation",
            "normal",
            "绿化带积水",
            "南门绿化带长期积水发臭。",
            24 * 11,
            &["accept", "resolve", "confirm", "reopen"],
        ),
        (
            yangguang,
            r(yangguang),
            "elevator",
            "urgent",
            "电梯年检过期",
            "1号楼电梯年检合格证已过期两个月仍在运行。",
            24 * 6,
            &["accept", "resolve", "confirm"],
        ),
        (
            yangguang,
            r(yangguang),
            "repair",
            "normal",
            "单元门锁损坏",
            "8号楼3单元单元门锁损坏，无法关闭。",
            20,
            &["accept"],
        ),
        (
            yangguang,
            r(yangguang),
            "parking",
            "normal",
            "外来车辆占用业主车位",
            "小区道闸常开，外来车辆长期占用业主车位。",
            24 * 4,
            &["return"],
        ),
        (
            yangguang,
            r(yangguang),
            "noise",
            "normal",
            "广场舞音响声音过大",
            "每晚中心广场广场舞音响声音过大，影响休息。",
            24 * 16,
            &["return", "reassign", "accept", "resolve"],
        ),
        (
            yangguang,
            r(yangguang),
            "security",
            "normal",
            "监控摄像头损坏",
            "北门两处监控摄像头损坏，已发生电动车被盗。",
            24 * 9,
            &["accept", "resolve"],
        ),
        (
            cuiyuan,
            r(cuiyuan),
            "repair",
            "urgent",
            "二次供水水压不足",
            "高层住户早晚用水高峰水压不足，热水器无法启动。",
            5,
            &[],
        ),
        (
            cuiyuan,
            r(cuiyuan),
            "fees",
            "normal",
            "停车费收取标准不明",
            "物业收取临时停车费，未公示收费依据。",
            24 * 8,
            &["return", "escalate"],
        ),
        (
            cuiyuan,
            r(cuiyuan),
            "sanitation",
            "normal",
            "化粪池外溢",
            "3号楼旁化粪池外溢，物业称需市政处理。",
            24 * 14,
            &["return", "escalate", "report-in"],
        ),
        (
            cuiyuan,
            r(cuiyuan),
            "greenery",
            "normal",
            "违规毁绿种菜",
            "多户业主毁坏公共绿地种菜，物业劝阻无效。",
            24 * 22,
            &["accept", "resolve", "dispute", "mediate", "escalate", "report-in", "answer"],
        ),
        (
            cuiyuan,
            r(cuiyuan),
            "noise",
            "normal",
            "空调外机噪音",
            "楼下商铺空调外机夜间噪音大。",
            24 * 40,
            &["accept", "resolve", "confirm"],
        ),
        (
            heping,
            r(heping),
            "repair",
            "urgent",
            "路灯全部不亮",
            "和平里小区无物业管理，小区路灯全部损坏，夜间出行不便。",
            24 * 2,
            &[],
        ),
        (
            heping,
            r(heping),
            "sanitation",
            "normal",
            "无人清运生活垃圾",
            "物业合同到期后无人清运垃圾，已堆积多日。",
            24 * 5,
            &[],
        ),
        (xincheng, r(xincheng), "elevator", "normal", "电梯异响", "2号楼电梯运行时有明显异响。", 10, &[]),
        (
            xincheng,
            r(xincheng),
            "repair",
            "normal",
            "外墙瓷砖脱落",
            "5号楼外墙瓷砖脱落，险些砸到行人。",
            24 * 3,
            &["accept"],
        ),
        (
            xincheng,
            r(xincheng),
            "parking",
            "normal",
            "充电桩安装受阻",
            "业主申请安装充电桩，物业以各种理由拒绝。",
            24 * 18,
            &["accept", "resolve", "dispute"],
        ),
        (
            xincheng,
            r(xincheng),
            "public_income",
            "complex",
            "公共区域出租收益去向",
            "一楼架空层出租给商户，收益去向不明。",
            24 * 30,
            &["accept", "resolve", "confirm"],
        ),
        (binhe, r(binhe), "security", "urgent", "消防栓无水", "消防检查发现多处消防栓无水。", 24, &["accept"]),
        (
            binhe,
            r(binhe),
            "sanitation",
            "normal",
            "小区内流浪狗伤人",
            "小区内多只流浪狗，已有居民被咬伤。",
            24 * 13,
            &["accept", "resolve"],
        ),
    ];
    let rules = DeadlineRules::default();
    let mut counters: HashMap<Uuid, i32> = HashMap::new();
    for (estate, filer, category, priority, title, description, hours_ago, actions) in cases {
        let community = p.community_of.get(&estate).copied().unwrap_or(p.c1.0);
        let (code, secretary) = if community == p.c1.0 { (p.c1.1, p.c1.2) } else { (p.c2.1, p.c2.2) };
        let company = p.company_of.get(&estate).copied();
        let seq = counters.entry(community).or_insert(0);
        *seq += 1;
        let filed_at = s.now - chrono::Duration::hours(hours_ago);
        let year = domain::clock::local_date(s.now).year();
        let priority: domain::complaint::Priority = priority.parse().unwrap_or(domain::complaint::Priority::Normal);
        let (respond_by, resolve_by) = rules.deadlines(priority, filed_at);
        let mut c = Complaint {
            id: Uuid::now_v7(),
            case_number: format!("{code}-{year}-{:06}", *seq),
            estate_id: estate.into(),
            community_id: community.into(),
            category: category.parse().unwrap_or(domain::complaint::Category::Other),
            priority,
            title: title.into(),
            description: description.into(),
            filer_id: filer.into(),
            for_committee: filer == chen,
            handling_company_id: company.map(|(c, _)| c.into()),
            department_id: None,
            reported_in: false,
            status: ComplaintStatus::Submitted,
            respond_by,
            resolve_by,
            resolved_at: None,
            closed_at: None,
            rating: None,
            cosign_count: 0,
            joint: filer == chen,
            filed_at,
            version: 0,
        };
        let manager = company.map_or(secretary, |(_, m)| m);
        let company_scope = company.map_or(String::new(), |_| format!("property_manager@estate:{estate}"));
        let branch_scope = format!("party_branch_secretary@community:{community}");
        let filer_scope = if filer == chen {
            format!("owners_committee_member@estate:{estate}")
        } else {
            format!("resident@estate:{estate}")
        };
        let mut events = vec![(
            filed_at,
            filer,
            filer_scope.clone(),
            ComplaintAction::File,
            None,
            ComplaintStatus::Submitted,
            None::<String>,
            None::<String>,
        )];
        let step =
            chrono::Duration::minutes(hours_ago * 60 / (actions.len() as i64 + 2)).max(chrono::Duration::minutes(1));
        let mut at = filed_at;
        for action in actions {
            at += step;
            let action: ComplaintAction = action.parse().unwrap_or(ComplaintAction::Comment);
            let (who, scope) = match action {
                ComplaintAction::Accept | ComplaintAction::Return | ComplaintAction::Resolve => {
                    (manager, company_scope.clone())
                }
                ComplaintAction::Confirm
                | ComplaintAction::Dispute
                | ComplaintAction::Withdraw
                | ComplaintAction::Reopen => (filer, filer_scope.clone()),
                ComplaintAction::ReportIn | ComplaintAction::Answer => {
                    (p.officer, format!("department_officer@department:{}", p.housing))
                }
                _ => (secretary, branch_scope.clone()),
            };
            let input = ActionInput {
                version: c.version,
                note: None,
                reason: match action {
                    ComplaintAction::Return => Some("该事项不属于物业服务合同约定范围".into()),
                    ComplaintAction::Dispute => Some("处理结果与实际情况不符".into()),
                    _ => None,
                },
                rating: (action == ComplaintAction::Confirm).then_some(Rating::BasicallySatisfied),
                department_id: (action == ComplaintAction::Escalate).then_some(p.housing.into()),
                resolve_by: (action == ComplaintAction::OrderRedo).then_some(s.now + chrono::Duration::days(3)),
            };
            let facts = ActorFacts {
                is_filer: true,
                in_handling_company: true,
                in_department: true,
                has_cosigned: false,
                on_committee: false,
            };
            let t = c.apply(action, &input, facts, &rules, at)?;
            let note = match action {
                ComplaintAction::Accept => Some("已受理，安排维修人员现场查看".to_owned()),
                ComplaintAction::Resolve => Some("已处理完毕，请业主确认".to_owned()),
                ComplaintAction::Mediate => Some("已召集物业、业委会和业主三方协调".to_owned()),
                ComplaintAction::Escalate => Some("超出物业职责范围，吹哨县住建局".to_owned()),
                ComplaintAction::Answer => Some("已联合执法恢复绿地".to_owned()),
                _ => input.reason.clone(),
            };
            let detail = match action {
                ComplaintAction::Confirm => Some("rating=basically_satisfied".to_owned()),
                ComplaintAction::Escalate => Some(format!("department_id={}", p.housing)),
                _ => None,
            };
            events.push((at, who, scope, action, Some(t.from), t.to, note, detail));
        }
        complaint::Entity::insert(complaint::ActiveModel {
            id: Set(c.id),
            case_number: Set(c.case_number.clone()),
            estate_id: Set(estate),
            community_id: Set(community),
            category: Set(c.category.as_str().into()),
            priority: Set(c.priority.as_str().into()),
            title: Set(c.title.clone()),
            description: Set(c.description.clone()),
            filer_id: Set(filer),
            for_committee: Set(c.for_committee),
            joint: Set(c.joint),
            handling_company_id: Set(company.map(|(c, _)| c)),
            department_id: Set(c.department_id.map(|d| d.0)),
            reported_in: Set(c.reported_in),
            status: Set(c.status.as_str().into()),
            respond_by: Set(c.respond_by),
            resolve_by: Set(c.resolve_by),
            resolved_at: Set(c.resolved_at),
            closed_at: Set(c.closed_at),
            rating: Set(c.rating.map(|r| r.as_str().into())),
            cosign_count: Set(0),
            filed_at: Set(filed_at),
            version: Set(c.version),
        })
        .exec_without_returning(s.conn)
        .await?;
        for (at, who, acting_as, action, from, to, note, detail) in events {
            complaint_event::Entity::insert(complaint_event::ActiveModel {
                id: Set(Uuid::now_v7()),
                complaint_id: Set(c.id),
                at: Set(at),
                actor_person_id: Set(Some(who)),
                actor_account_id: Set(None),
                acting_as: Set(acting_as),
                action: Set(action.as_str().into()),
                from_status: Set(from.map(|f| f.as_str().into())),
                to_status: Set(to.as_str().into()),
                note: Set(note),
                detail: Set(detail),
            })
            .exec_without_returning(s.conn)
            .await?;
        }
    }
    let year = domain::clock::local_date(s.now).year();
    for (community, next) in counters {
        case_counter::Entity::insert(case_counter::ActiveModel {
            community_id: Set(community),
            year: Set(year),
            next_value: Set(next),
        })
        .exec_without_returning(s.conn)
        .await?;
    }
    Ok(())
}
