//! The demo's oversight history: two past months of cases with a realistic spread (a prompt
//! company, a slow one, one in between), driven through the state machine; those months'
//! scorecards published by each community's secretary (computed by the same code as a
//! publication through the API), and one pending appeal, so the dashboard, the scorecards
//! and the 红黑榜 are not empty on the first day.

use super::complaints::{write_case, DemoEvent, DemoPlaces};
use super::Seeder;
use crate::entities::{event, scorecard_appeal as ap};
use crate::error::Result;
use crate::timeline::Stream;
use chrono::{DateTime, Duration, Utc};
use domain::complaint::{
    ActionInput, ActorFacts, Category, Complaint, ComplaintAction as A, ComplaintStatus, DeadlineRules, Priority,
    Rating,
};
use domain::ids::CommunityId;
use domain::oversight::{Month, Period, ScoringRules};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// How a company tends to work: hours to accept, days to resolve, and how often it returns
/// a case, is disputed, or leaves the filer unhappy (per 12 cases).
struct Habit {
    accept_hours: [i64; 4],
    resolve_days: [i64; 4],
    returns: usize,
    disputes: usize,
    unhappy: usize,
}

const TITLES: [(&str, Category); 6] = [
    ("楼道照明损坏", Category::Repair),
    ("垃圾清运不及时", Category::Sanitation),
    ("地下车库积水", Category::Parking),
    ("绿化带杂草丛生", Category::Greenery),
    ("电梯异响", Category::Elevator),
    ("夜间装修噪音", Category::Noise),
];

/// Seeds cases in the two months before this one.
pub(super) async fn seed_history<C: ConnectionTrait>(
    s: &Seeder<'_, C>,
    p: &DemoPlaces,
    residents: &HashMap<Uuid, Uuid>,
    counters: &mut HashMap<Uuid, i32>,
) -> Result<()> {
    let [jinxiu, yangguang, cuiyuan, _heping, xincheng, binhe] = p.estates;
    let prompt = Habit { accept_hours: [1, 2, 4, 6], resolve_days: [1, 2, 3, 4], returns: 0, disputes: 1, unhappy: 1 };
    let slow =
        Habit { accept_hours: [6, 20, 30, 40], resolve_days: [4, 6, 8, 10], returns: 2, disputes: 3, unhappy: 4 };
    let middling =
        Habit { accept_hours: [2, 8, 12, 26], resolve_days: [2, 4, 6, 8], returns: 1, disputes: 2, unhappy: 2 };
    // (estate, cases a month, habit): 安居 serves 锦绣家园 and 阳光花园 (12 cases a month in
    // community 1) and 滨河湾 (6 in community 2: under the board's minimum sample there).
    let plan: [(Uuid, usize, &Habit); 5] = [
        (jinxiu, 6, &prompt),
        (yangguang, 6, &prompt),
        (cuiyuan, 12, &slow),
        (xincheng, 11, &middling),
        (binhe, 6, &prompt),
    ];
    let rules = DeadlineRules::default();
    let this_month = Month::of(s.now);
    let months = [this_month.previous().previous(), this_month.previous()];
    for month in months {
        let Some(period) = Period::month(month) else { continue };
        for (estate, count, habit) in plan {
            let Some(&(company, manager)) = p.company_of.get(&estate) else { continue };
            let community = p.community_of.get(&estate).copied().unwrap_or(p.c1.0);
            let (code, secretary) = if community == p.c1.0 { (p.c1.1, p.c1.2) } else { (p.c2.1, p.c2.2) };
            let filer = residents.get(&estate).copied().unwrap_or(secretary);
            for i in 0..count {
                let seq = counters.entry(community).or_insert(0);
                *seq += 1;
                let spacing =
                    (period.to - period.from - Duration::days(12)).num_hours() / i64::try_from(count).unwrap_or(1);
                let filed_at = period.from + Duration::hours(9 + spacing * i64::try_from(i).unwrap_or(0));
                let (title, category) = TITLES[i % TITLES.len()];
                let (respond_by, resolve_by) = rules.deadlines(Priority::Normal, filed_at);
                let mut c = Complaint {
                    id: Uuid::now_v7(),
                    case_number: format!("{code}-{}-{:06}", domain::clock::local_date(filed_at).format("%Y"), *seq),
                    estate_id: estate.into(),
                    community_id: community.into(),
                    category,
                    priority: Priority::Normal,
                    title: title.into(),
                    description: format!("{title}，请尽快处理。"),
                    filer_id: filer.into(),
                    for_committee: false,
                    handling_company_id: Some(company.into()),
                    department_id: None,
                    reported_in: false,
                    status: ComplaintStatus::Submitted,
                    respond_by,
                    resolve_by,
                    resolved_at: None,
                    closed_at: None,
                    rating: None,
                    cosign_count: 0,
                    joint: false,
                    filed_at,
                    version: 0,
                };
                let accept_at = filed_at + Duration::hours(habit.accept_hours[i % 4]);
                let resolve_at = accept_at + Duration::days(habit.resolve_days[(i / 2) % 4]);
                let rating = if i < habit.unhappy {
                    Rating::Dissatisfied
                } else if i % 3 == 0 {
                    Rating::BasicallySatisfied
                } else {
                    Rating::Satisfied
                };
                let mut steps: Vec<(A, DateTime<Utc>)> = Vec::new();
                if i + 1 > count - habit.returns {
                    steps.push((A::Return, accept_at));
                    steps.push((A::Reassign, accept_at + Duration::hours(2)));
                    steps.push((A::Accept, accept_at + Duration::hours(4)));
                } else {
                    steps.push((A::Accept, accept_at));
                }
                steps.push((A::Resolve, resolve_at));
                if i % 5 == 1 && i / 5 < habit.disputes {
                    steps.extend([
                        (A::Dispute, resolve_at + Duration::hours(20)),
                        (A::Mediate, resolve_at + Duration::days(1)),
                        (A::OrderRedo, resolve_at + Duration::days(1) + Duration::hours(1)),
                        (A::Resolve, resolve_at + Duration::days(3)),
                    ]);
                }
                let last = steps.last().map_or(filed_at, |x| x.1);
                steps.push((A::Confirm, last + Duration::hours(18)));

                let company_scope = format!("property_manager@estate:{estate}");
                let branch_scope = format!("party_branch_secretary@community:{community}");
                let filer_scope = format!("resident@estate:{estate}");
                let mut events: Vec<DemoEvent> =
                    vec![(filed_at, filer, filer_scope.clone(), A::File, None, ComplaintStatus::Submitted, None, None)];
                for (action, at) in steps {
                    if at > s.now {
                        break;
                    }
                    let input = ActionInput {
                        version: c.version,
                        note: None,
                        reason: matches!(action, A::Return | A::Dispute).then(|| "处理不到位".to_owned()),
                        rating: (action == A::Confirm).then_some(rating),
                        department_id: None,
                        resolve_by: (action == A::OrderRedo).then_some(at + Duration::days(3)),
                    };
                    let facts = ActorFacts {
                        is_filer: true,
                        in_handling_company: true,
                        in_department: false,
                        has_cosigned: false,
                        on_committee: false,
                    };
                    let t = c.apply(action, &input, facts, &rules, at)?;
                    let (who, scope) = match action {
                        A::Accept | A::Return | A::Resolve => (manager, company_scope.clone()),
                        A::Confirm | A::Dispute => (filer, filer_scope.clone()),
                        _ => (secretary, branch_scope.clone()),
                    };
                    let detail = match action {
                        A::Confirm => Some(format!("rating={rating}")),
                        A::OrderRedo => input.resolve_by.map(|at| format!("resolve_by={}", at.to_rfc3339())),
                        _ => None,
                    };
                    events.push((at, who, scope, action, Some(t.from), t.to, input.reason.clone(), detail));
                }
                write_case(s, &c, filer, Some(company), events).await?;
            }
        }
    }

    Ok(())
}

/// Each secretary publishes the two months before this one, a day after each ended (or an
/// hour ago, for a month that ended since), once every demo case is written; 宏达物业 appeals
/// last month's scorecard.
pub(super) async fn publish_history<C: ConnectionTrait>(s: &Seeder<'_, C>, p: &DemoPlaces) -> Result<()> {
    let cuiyuan = p.estates[2];
    let this_month = Month::of(s.now);
    let months = [this_month.previous().previous(), this_month.previous()];
    let rules = ScoringRules::default();
    let rules_text = serde_json::to_string(&rules).map_err(|e| crate::error::Error::Unexpected(e.to_string()))?;
    let mut appeal_target = None;
    for month in months {
        let Some(period) = Period::month(month) else { continue };
        let published_at = (period.to + Duration::days(1)).min(s.now - Duration::hours(1));
        for (community, secretary) in [(p.c1.0, p.c1.2), (p.c2.0, p.c2.2)] {
            let cards = crate::oversight::drafts(s.conn, CommunityId(community), month, &rules, s.now).await?;
            for card in cards {
                let id = Uuid::now_v7();
                crate::oversight::insert_card(s.conn, id, &card, 1, published_at, secretary, &rules_text, None, None)
                    .await?;
                insert_event(
                    s,
                    id,
                    published_at,
                    secretary,
                    format!("party_branch_secretary@community:{community}"),
                    ("publish", None, "published"),
                    None,
                    Some(format!("score={}", card.score)),
                )
                .await?;
                if month == this_month.previous()
                    && p.company_of.get(&cuiyuan).is_some_and(|(c, _)| card.company_id.0 == *c)
                {
                    appeal_target = Some((id, card.company_id.0, community, published_at));
                }
            }
        }
    }
    // 宏达物业 appeals last month's scorecard; the secretary has not decided yet.
    if let (Some((scorecard, company, community, published_at)), Some(&(_, manager))) =
        (appeal_target, p.company_of.get(&cuiyuan))
    {
        let id = Uuid::now_v7();
        let at = (published_at + Duration::minutes(30)).min(s.now);
        let reason = "两件超时系业主长期不在家、无法入户维修所致，请核减扣分。";
        ap::Entity::insert(ap::ActiveModel {
            id: Set(id),
            scorecard_id: Set(scorecard),
            company_id: Set(company),
            community_id: Set(community),
            filed_by: Set(manager),
            filed_at: Set(at),
            reason: Set(reason.to_owned()),
            status: Set("pending".to_owned()),
            decided_by: Set(None),
            decided_at: Set(None),
            decision_note: Set(None),
            corrected_scorecard_id: Set(None),
        })
        .exec_without_returning(s.conn)
        .await?;
        insert_event(
            s,
            scorecard,
            at,
            manager,
            format!("property_manager@company:{company}"),
            ("appeal", Some("published"), "appealed"),
            Some(reason.to_owned()),
            Some(format!("appeal_id={id}")),
        )
        .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_event<C: ConnectionTrait>(
    s: &Seeder<'_, C>,
    scorecard: Uuid,
    at: DateTime<Utc>,
    who: Uuid,
    acting_as: String,
    (action, from, to): (&str, Option<&str>, &str),
    note: Option<String>,
    detail: Option<String>,
) -> Result<()> {
    event::Entity::insert(event::ActiveModel {
        id: Set(Uuid::now_v7()),
        stream: Set(Stream::Scorecard(scorecard).kind().into()),
        stream_id: Set(scorecard),
        at: Set(at),
        actor_person_id: Set(Some(who)),
        actor_account_id: Set(None),
        acting_as: Set(acting_as),
        action: Set(action.into()),
        from_status: Set(from.map(Into::into)),
        to_status: Set(to.into()),
        note: Set(note),
        detail: Set(detail),
    })
    .exec_without_returning(s.conn)
    .await?;
    Ok(())
}
