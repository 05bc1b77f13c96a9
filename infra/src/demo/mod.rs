//! The demo county: realistic Chinese data for trying the service, seeded only into an
//! empty database. Dates are relative to today so the demo stays valid as time passes.
//!
//! [`seed_if_empty`] tells the story in order (places, organizations, people and posts,
//! cross-appointments, complaints, oversight, joint meetings, accounts); the submodules hold the row writers:
//! `registry` for places, organizations, people and posts, `appointments` for
//! cross-appointments with their history, `complaints` for the cases and their timelines.

mod appointments;
mod complaints;
mod meetings;
mod oversight;
mod registry;

use crate::accounts::hash_password;
use crate::db::begin_write;
use crate::entities::{account, community};
use crate::error::Result;
use appointments::DemoAppointment;
use chrono::{DateTime, Months, NaiveDate, Utc};
use complaints::{seed_complaints, DemoPlaces};
use domain::appointment::{AppointmentAction, AppointmentStatus, HostKind, HostTitle};
use domain::clock::Clock;
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

/// Writes demo rows in one transaction, all created "now".
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
    oversight::publish_history(&s, &places).await?;
    let table = meetings::DemoTable {
        community: c1,
        secretary: wang,
        anju,
        anju_manager: zhang,
        hongda,
        hongda_manager: liu,
        jinxiu_committee: oc_jinxiu,
        jinxiu_director: chen,
        cuiyuan_committee: oc_cuiyuan,
        housing,
        officer: sun,
    };
    meetings::seed_meetings(&s, &table).await?;

    let people = [admin, wang, li, zhang, liu, chen, zhao, sun, zhou];
    for (((username, _), person_id), hash) in ACCOUNTS.iter().zip(people).zip(&hashes) {
        s.account(person_id, username, hash, *username == "admin").await?;
    }
    txn.commit().await?;
    Ok(true)
}
