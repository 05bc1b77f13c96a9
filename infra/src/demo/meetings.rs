//! The demo county's joint meetings: in 长富路社区 a published one about a disputed complaint,
//! whose three tasks stand verified, waiting on the branch, and overdue; and a planned one.

use super::Seeder;
use crate::entities::{
    agenda_item, complaint, event, meeting, meeting_invitee, meeting_task, notification, resolution,
};
use crate::error::Result;
use crate::timeline::Stream;
use chrono::{DateTime, Duration, Utc};
use domain::clock::local_date;
use domain::complaint::ComplaintStatus;
use domain::meeting::{Attendance, MeetingAction, MeetingStatus, TaskAction, TaskStatus};
use domain::notification::NoticeKind;
use domain::registry::OrgKind;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// Who takes part: the community, its secretary, and the organizations at the table.
pub(super) struct DemoTable {
    pub(super) community: Uuid,
    pub(super) secretary: Uuid,
    pub(super) anju: Uuid,
    pub(super) anju_manager: Uuid,
    pub(super) hongda: Uuid,
    pub(super) hongda_manager: Uuid,
    pub(super) jinxiu_committee: Uuid,
    pub(super) jinxiu_director: Uuid,
    pub(super) cuiyuan_committee: Uuid,
    pub(super) housing: Uuid,
    pub(super) officer: Uuid,
}

struct Ev<'a> {
    stream: Stream,
    at: DateTime<Utc>,
    who: Uuid,
    acting_as: &'a str,
    action: &'a str,
    from: Option<&'a str>,
    to: &'a str,
    note: Option<&'a str>,
}

async fn event<C: ConnectionTrait>(s: &Seeder<'_, C>, e: Ev<'_>) -> Result<()> {
    event::Entity::insert(event::ActiveModel {
        id: Set(Uuid::now_v7()),
        stream: Set(e.stream.kind().into()),
        stream_id: Set(e.stream.id()),
        at: Set(e.at),
        actor_person_id: Set(Some(e.who)),
        actor_account_id: Set(None),
        acting_as: Set(e.acting_as.into()),
        action: Set(e.action.into()),
        from_status: Set(e.from.map(Into::into)),
        to_status: Set(e.to.into()),
        note: Set(e.note.map(Into::into)),
        detail: Set(None),
    })
    .exec_without_returning(s.conn)
    .await?;
    Ok(())
}

async fn meeting_row<C: ConnectionTrait>(
    s: &Seeder<'_, C>,
    t: &DemoTable,
    title: &str,
    starts_at: DateTime<Utc>,
    status: MeetingStatus,
    published_at: Option<DateTime<Utc>>,
    version: i32,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    meeting::Entity::insert(meeting::ActiveModel {
        id: Set(id),
        community_id: Set(t.community),
        title: Set(title.into()),
        starts_at: Set(starts_at),
        place: Set("长富路社区党群服务中心二楼会议室".into()),
        status: Set(status.as_str().into()),
        convener_id: Set(t.secretary),
        convened_by: Set(t.secretary),
        cancel_reason: Set(None),
        published_at: Set(published_at),
        published_by: Set(published_at.map(|_| t.secretary)),
        version: Set(version),
        created_at: Set(starts_at - Duration::days(2)),
    })
    .exec_without_returning(s.conn)
    .await?;
    Ok(id)
}

async fn invite<C: ConnectionTrait>(
    s: &Seeder<'_, C>,
    meeting: Uuid,
    invitees: &[(OrgKind, Uuid, Option<Attendance>, Option<&str>)],
) -> Result<()> {
    for (position, (kind, org, attendance, delegate)) in invitees.iter().enumerate() {
        meeting_invitee::Entity::insert(meeting_invitee::ActiveModel {
            id: Set(Uuid::now_v7()),
            meeting_id: Set(meeting),
            position: Set(i32::try_from(position).unwrap_or(0)),
            org_kind: Set(Some(kind.as_str().into())),
            org_id: Set(Some(*org)),
            person_id: Set(None),
            attendance: Set(attendance.map(|a| a.as_str().into())),
            delegate_name: Set(delegate.map(Into::into)),
        })
        .exec_without_returning(s.conn)
        .await?;
    }
    Ok(())
}

async fn item<C: ConnectionTrait>(
    s: &Seeder<'_, C>,
    meeting: Uuid,
    position: i32,
    topic: &str,
    complaint: Option<Uuid>,
    minutes: Option<&str>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    agenda_item::Entity::insert(agenda_item::ActiveModel {
        id: Set(id),
        meeting_id: Set(meeting),
        position: Set(position),
        topic: Set(topic.into()),
        complaint_id: Set(complaint),
        appointment_id: Set(None),
        minutes: Set(minutes.map(Into::into)),
    })
    .exec_without_returning(s.conn)
    .await?;
    Ok(id)
}

/// A demo notice, unread.
async fn notice<C: ConnectionTrait>(
    s: &Seeder<'_, C>,
    person: Uuid,
    kind: NoticeKind,
    stream: Stream,
    label: &str,
    link: String,
    at: DateTime<Utc>,
) -> Result<()> {
    notification::Entity::insert(notification::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person),
        kind: Set(kind.as_str().into()),
        stream: Set(stream.kind().into()),
        record_id: Set(stream.id()),
        text: Set(kind.text(label)),
        link: Set(link),
        created_at: Set(at),
        read_at: Set(None),
    })
    .exec_without_returning(s.conn)
    .await?;
    Ok(())
}

/// Seeds the two meetings, and the notices they gave: the assigned organizations' people told
/// of their tasks, the planned meeting's invitees told of it, the branch of the dispute.
pub(super) async fn seed_meetings<C: ConnectionTrait>(s: &Seeder<'_, C>, t: &DemoTable) -> Result<()> {
    let disputed = complaint::Entity::find()
        .filter(complaint::Column::CommunityId.eq(t.community))
        .filter(complaint::Column::HandlingCompanyId.eq(t.anju))
        .filter(
            complaint::Column::Status.is_in([ComplaintStatus::Disputed.as_str(), ComplaintStatus::Mediating.as_str()]),
        )
        .order_by_asc(complaint::Column::FiledAt)
        .one(s.conn)
        .await?;
    let branch = format!("party_branch_secretary@community:{}", t.community);
    let day = |n: i64| s.now - Duration::days(n);

    // Held five days ago, published four days ago.
    let held = meeting_row(s, t, "锦绣家园诉求纠纷联席会议", day(5), MeetingStatus::Published, Some(day(4)), 4).await?;
    invite(
        s,
        held,
        &[
            (OrgKind::ResidentsCommittee, t.community, Some(Attendance::Present), None),
            (OrgKind::PropertyCompany, t.anju, Some(Attendance::Present), None),
            (OrgKind::OwnersCommittee, t.jinxiu_committee, Some(Attendance::Delegate), Some("业委会委员 何琳")),
            (OrgKind::Department, t.housing, Some(Attendance::Absent), None),
        ],
    )
    .await?;
    let topic = disputed
        .as_ref()
        .map_or_else(|| "锦绣家园诉求纠纷".to_owned(), |c| format!("{}（{}）", c.title, c.case_number));
    let first = item(
        s,
        held,
        0,
        &topic,
        disputed.as_ref().map(|c| c.id),
        Some("物业认可维修不彻底；业委会要求现场验收；住建局书面意见另行提供。"),
    )
    .await?;
    item(s, held, 1, "下季度联席会议安排", None, Some("下次会议讨论翠苑小区停车管理。")).await?;
    let resolution_id = Uuid::now_v7();
    resolution::Entity::insert(resolution::ActiveModel {
        id: Set(resolution_id),
        meeting_id: Set(held),
        agenda_item_id: Set(first),
        text: Set("物业重新维修，业委会组织验收，住建局就维修资金使用出具意见。".into()),
        created_at: Set(day(5)),
    })
    .exec_without_returning(s.conn)
    .await?;
    let ev = |stream, at, action, from, to, note| Ev {
        stream,
        at,
        who: t.secretary,
        acting_as: &branch,
        action,
        from,
        to,
        note,
    };
    let (p, h) = (MeetingStatus::Planned.as_str(), MeetingStatus::Held.as_str());
    for e in [
        ev(Stream::Meeting(held), day(7), MeetingAction::Convene.as_str(), None, p, None),
        ev(Stream::Meeting(held), day(5), MeetingAction::Hold.as_str(), Some(p), h, None),
        ev(Stream::Meeting(held), day(5), MeetingAction::Record.as_str(), Some(h), h, None),
        ev(
            Stream::Meeting(held),
            day(5),
            MeetingAction::Resolve.as_str(),
            Some(h),
            h,
            Some("物业重新维修，业委会组织验收，住建局就维修资金使用出具意见。"),
        ),
        ev(
            Stream::Meeting(held),
            day(4),
            MeetingAction::Publish.as_str(),
            Some(h),
            MeetingStatus::Published.as_str(),
            None,
        ),
    ] {
        event(s, e).await?;
    }
    // Three tasks: done on time, waiting on the branch, overdue.
    let tasks: [(OrgKind, Uuid, Uuid, &str, i64, TaskStatus, &str); 3] = [
        (
            OrgKind::PropertyCompany,
            t.anju,
            t.anju_manager,
            "重新维修并提交维修记录",
            2,
            TaskStatus::Verified,
            "property_manager",
        ),
        (
            OrgKind::Department,
            t.housing,
            t.officer,
            "就维修资金使用出具书面意见",
            -5,
            TaskStatus::Reported,
            "department_officer",
        ),
        (
            OrgKind::OwnersCommittee,
            t.jinxiu_committee,
            t.jinxiu_director,
            "组织业主代表现场验收",
            1,
            TaskStatus::Open,
            "owners_committee_member",
        ),
    ];
    for (kind, org, doer, description, due_days_ago, status, role) in tasks {
        let id = Uuid::now_v7();
        let due_on = local_date(day(due_days_ago));
        let reported_at = (status != TaskStatus::Open).then(|| day(3));
        meeting_task::Entity::insert(meeting_task::ActiveModel {
            id: Set(id),
            meeting_id: Set(held),
            resolution_id: Set(resolution_id),
            community_id: Set(t.community),
            org_kind: Set(kind.as_str().into()),
            org_id: Set(org),
            person_id: Set(None),
            description: Set(description.into()),
            due_on: Set(due_on),
            complaint_id: Set(disputed.as_ref().map(|c| c.id)),
            status: Set(status.as_str().into()),
            assigned_at: Set(Some(day(4))),
            reported_at: Set(reported_at),
            report_note: Set(reported_at.map(|_| "已按决议完成，附照片".into())),
            verified_at: Set((status == TaskStatus::Verified).then(|| day(2))),
            version: Set(match status {
                TaskStatus::Open => 0,
                TaskStatus::Reported => 1,
                TaskStatus::Verified => 2,
            }),
            created_at: Set(day(5)),
        })
        .exec_without_returning(s.conn)
        .await?;
        let (open, reported) = (TaskStatus::Open.as_str(), TaskStatus::Reported.as_str());
        event(s, ev(Stream::MeetingTask(id), day(4), TaskAction::Assign.as_str(), None, open, Some(description)))
            .await?;
        if status != TaskStatus::Open {
            let acting_as = format!(
                "{role}@{}",
                match kind {
                    OrgKind::PropertyCompany => format!("company:{org}"),
                    _ => format!("department:{org}"),
                }
            );
            let report = Ev {
                who: doer,
                acting_as: &acting_as,
                ..ev(
                    Stream::MeetingTask(id),
                    day(3),
                    TaskAction::ReportDone.as_str(),
                    Some(open),
                    reported,
                    Some("已按决议完成，附照片"),
                )
            };
            event(s, report).await?;
        }
        let link = format!("/meetings/{held}");
        notice(s, doer, NoticeKind::TaskAssigned, Stream::MeetingTask(id), description, link, day(4)).await?;
        if status == TaskStatus::Verified {
            let verified = TaskStatus::Verified.as_str();
            event(s, ev(Stream::MeetingTask(id), day(2), TaskAction::Verify.as_str(), Some(reported), verified, None))
                .await?;
        }
    }

    // Planned for three days from now.
    let planned =
        meeting_row(s, t, "翠苑小区停车管理联席会议", s.now + Duration::days(3), MeetingStatus::Planned, None, 0)
            .await?;
    invite(
        s,
        planned,
        &[
            (OrgKind::ResidentsCommittee, t.community, None, None),
            (OrgKind::PropertyCompany, t.hongda, None, None),
            (OrgKind::OwnersCommittee, t.cuiyuan_committee, None, None),
        ],
    )
    .await?;
    item(s, planned, 0, "翠苑小区停车位分配与收费", None, None).await?;
    let link = format!("/meetings/{planned}");
    notice(
        s,
        t.hongda_manager,
        NoticeKind::MeetingInvited,
        Stream::Meeting(planned),
        "翠苑小区停车管理联席会议",
        link,
        day(1),
    )
    .await?;
    if let Some(c) = &disputed {
        let label = format!("{} {}", c.case_number, c.title);
        let link = format!("/complaints/{}", c.id);
        notice(s, t.secretary, NoticeKind::CaseDisputed, Stream::Complaint(c.id), &label, link, day(6)).await?;
    }
    event(s, ev(Stream::Meeting(planned), day(1), MeetingAction::Convene.as_str(), None, p, None)).await
}
