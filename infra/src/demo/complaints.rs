//! The demo complaints: thirty cases across the six estates, each driven through the real
//! state machine so that every timeline is a legal one, plus each community's case counter.

use super::Seeder;
use crate::entities::{case_counter, complaint, event};
use crate::error::Result;
use crate::timeline::Stream;
use chrono::Datelike;
use domain::complaint::{ActionInput, ActorFacts, Complaint, ComplaintAction, ComplaintStatus, DeadlineRules, Rating};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// Who acts for whom in the demo complaints.
pub(super) struct DemoPlaces {
    /// (community, code, party branch secretary) of each community.
    pub(super) c1: (Uuid, &'static str, Uuid),
    pub(super) c2: (Uuid, &'static str, Uuid),
    /// The serving company and its manager, by estate.
    pub(super) company_of: HashMap<Uuid, (Uuid, Uuid)>,
    pub(super) community_of: HashMap<Uuid, Uuid>,
    pub(super) housing: Uuid,
    pub(super) officer: Uuid,
    /// 锦绣家园, 阳光花园, 翠苑小区, 和平里小区, 新城佳苑, 滨河湾小区.
    pub(super) estates: [Uuid; 6],
}

/// The demo cases: (estate, filer, category, priority, title, description, hours ago, actions).
/// Each case is driven through the real state machine, so every timeline is a legal one.
type DemoCase<'a> = (Uuid, Uuid, &'a str, &'a str, &'a str, &'a str, i64, &'a [&'a str]);

pub(super) async fn seed_complaints<C: ConnectionTrait>(
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
    super::oversight::seed_history(s, p, residents, &mut counters).await?;
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
        write_case(s, &c, filer, company.map(|(c, _)| c), events).await?;
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

/// One event of a demo timeline: when, who, acting as, action, from, to, note, detail.
pub(super) type DemoEvent = (
    chrono::DateTime<chrono::Utc>,
    Uuid,
    String,
    ComplaintAction,
    Option<ComplaintStatus>,
    ComplaintStatus,
    Option<String>,
    Option<String>,
);

/// Writes a demo case and its timeline.
pub(super) async fn write_case<C: ConnectionTrait>(
    s: &Seeder<'_, C>,
    c: &Complaint,
    filer: Uuid,
    company: Option<Uuid>,
    events: Vec<DemoEvent>,
) -> Result<()> {
    complaint::Entity::insert(complaint::ActiveModel {
        id: Set(c.id),
        case_number: Set(c.case_number.clone()),
        estate_id: Set(c.estate_id.0),
        community_id: Set(c.community_id.0),
        category: Set(c.category.as_str().into()),
        priority: Set(c.priority.as_str().into()),
        title: Set(c.title.clone()),
        description: Set(c.description.clone()),
        filer_id: Set(filer),
        for_committee: Set(c.for_committee),
        joint: Set(c.joint),
        handling_company_id: Set(company),
        department_id: Set(c.department_id.map(|d| d.0)),
        reported_in: Set(c.reported_in),
        status: Set(c.status.as_str().into()),
        respond_by: Set(c.respond_by),
        resolve_by: Set(c.resolve_by),
        resolved_at: Set(c.resolved_at),
        closed_at: Set(c.closed_at),
        rating: Set(c.rating.map(|r| r.as_str().into())),
        cosign_count: Set(0),
        filed_at: Set(c.filed_at),
        version: Set(c.version),
        last_event_at: Set(Some(events.last().map_or(c.filed_at, |e| e.0))),
    })
    .exec_without_returning(s.conn)
    .await?;
    for (at, who, acting_as, action, from, to, note, detail) in events {
        event::Entity::insert(event::ActiveModel {
            id: Set(Uuid::now_v7()),
            stream: Set(Stream::Complaint(c.id).kind().into()),
            stream_id: Set(c.id),
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
    Ok(())
}
