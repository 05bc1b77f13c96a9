//! The demo county: realistic Chinese data for trying the service, seeded only into an
//! empty database. Dates are relative to today so the demo stays valid as time passes.

use crate::accounts::hash_password;
use crate::db::begin_write;
use crate::entities::{
    account, community, cross_appointment, cross_appointment_event, department, estate, grid, owners_committee, person,
    post, property_company, service_contract,
};
use crate::error::Result;
use chrono::{DateTime, Months, NaiveDate, Utc};
use domain::appointment::{AppointmentAction, AppointmentStatus, HostKind, HostTitle};
use domain::clock::Clock;
use domain::registry::{OrgKind, PostTitle};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};
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

    let people = [admin, wang, li, zhang, liu, chen, zhao, sun, zhou];
    for (((username, _), person_id), hash) in ACCOUNTS.iter().zip(people).zip(&hashes) {
        s.account(person_id, username, hash, *username == "admin").await?;
    }
    txn.commit().await?;
    Ok(true)
}
