//! What a meeting looks like to the one asking: names of organizations and people, the
//! record (minutes, resolutions, tasks) only for those who may see it yet.

use super::tasks::{self, TaskView};
use super::{org_ref, Meetings, Sight};
use crate::actor::Actor;
use crate::entities::{
    agenda_item as ai, community, complaint, department, meeting as mt, meeting_amendment as ma, meeting_invitee as mi,
    meeting_task as tk, owners_committee, person, property_company, resolution as rs,
};
use crate::error::Result;
use chrono::{DateTime, NaiveDate, Utc};
use domain::meeting::{Attendance, MeetingAction, MeetingStatus, OrgRef};
use domain::registry::OrgKind;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// A meeting in a list.
#[derive(Debug, Clone)]
pub struct MeetingSummary {
    pub id: Uuid,
    pub community_id: Uuid,
    pub community_name: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub place: String,
    pub status: MeetingStatus,
    pub convener_id: Uuid,
    pub convener_name: String,
    pub version: i32,
}

/// An invitee and whether they came.
#[derive(Debug, Clone)]
pub struct InviteeView {
    pub id: Uuid,
    /// The organization invited (none for a person).
    pub organization: Option<OrgRef>,
    /// The person invited (none for an organization).
    pub person_id: Option<Uuid>,
    /// The organization's or the person's name.
    pub name: String,
    pub attendance: Option<Attendance>,
    pub delegate_name: Option<String>,
}

/// A resolution and its tasks.
#[derive(Debug, Clone)]
pub struct ResolutionView {
    pub id: Uuid,
    pub text: String,
    pub tasks: Vec<TaskView>,
}

/// An agenda item, with its minutes and resolutions when the caller may see the record.
#[derive(Debug, Clone)]
pub struct AgendaItemView {
    pub id: Uuid,
    pub topic: String,
    pub complaint_id: Option<Uuid>,
    /// The linked complaint's number.
    pub case_number: Option<String>,
    pub appointment_id: Option<Uuid>,
    pub minutes: Option<String>,
    pub resolutions: Vec<ResolutionView>,
}

/// A correction to the published record.
#[derive(Debug, Clone)]
pub struct AmendmentView {
    pub id: Uuid,
    pub by_name: String,
    pub reason: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// One event of a meeting's history.
#[derive(Debug, Clone)]
pub struct MeetingEvent {
    pub at: DateTime<Utc>,
    pub actor_name: String,
    pub acting_as: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
}

/// A meeting as the caller may see it.
#[derive(Debug, Clone)]
pub struct MeetingRecord {
    pub summary: MeetingSummary,
    pub cancel_reason: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub invitees: Vec<InviteeView>,
    pub agenda: Vec<AgendaItemView>,
    pub amendments: Vec<AmendmentView>,
    /// Whether minutes and resolutions are shown: to the community committees and the
    /// county always, to invitees once published.
    pub record_visible: bool,
    pub allowed_actions: Vec<MeetingAction>,
    pub events: Vec<MeetingEvent>,
}

/// Midnight China time of a day, as an instant.
pub(crate) fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(domain::clock::CHINA_STANDARD_TIME).single())
        .map_or_else(|| DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
}

/// People's names by id.
pub(crate) async fn person_names<C: ConnectionTrait>(conn: &C, ids: BTreeSet<Uuid>) -> Result<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(person::Entity::find()
        .filter(person::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

/// Organizations' names: a residents' committee is its community's, an owners' committee
/// its own.
pub(crate) async fn org_names<C: ConnectionTrait>(conn: &C, orgs: &[OrgRef]) -> Result<HashMap<OrgRef, String>> {
    let ids = |kind: OrgKind| orgs.iter().filter(|o| o.kind == kind).map(|o| o.id).collect::<BTreeSet<_>>();
    let mut out = HashMap::new();
    let rc = ids(OrgKind::ResidentsCommittee);
    let branches = ids(OrgKind::PartyBranch);
    if !rc.is_empty() || !branches.is_empty() {
        let both: BTreeSet<Uuid> = rc.union(&branches).copied().collect();
        for c in community::Entity::find().filter(community::Column::Id.is_in(both)).all(conn).await? {
            if rc.contains(&c.id) {
                out.insert(OrgRef { kind: OrgKind::ResidentsCommittee, id: c.id }, format!("{}居民委员会", c.name));
            }
            if branches.contains(&c.id) {
                out.insert(OrgRef { kind: OrgKind::PartyBranch, id: c.id }, format!("{}党支部", c.name));
            }
        }
    }
    let companies = ids(OrgKind::PropertyCompany);
    if !companies.is_empty() {
        for p in
            property_company::Entity::find().filter(property_company::Column::Id.is_in(companies)).all(conn).await?
        {
            out.insert(OrgRef { kind: OrgKind::PropertyCompany, id: p.id }, p.name);
        }
    }
    let committees = ids(OrgKind::OwnersCommittee);
    if !committees.is_empty() {
        for oc in
            owners_committee::Entity::find().filter(owners_committee::Column::Id.is_in(committees)).all(conn).await?
        {
            out.insert(OrgRef { kind: OrgKind::OwnersCommittee, id: oc.id }, oc.name);
        }
    }
    let departments = ids(OrgKind::Department);
    if !departments.is_empty() {
        for d in department::Entity::find().filter(department::Column::Id.is_in(departments)).all(conn).await? {
            out.insert(OrgRef { kind: OrgKind::Department, id: d.id }, d.name);
        }
    }
    Ok(out)
}

pub(crate) async fn community_names<C: ConnectionTrait>(
    conn: &C,
    ids: BTreeSet<Uuid>,
) -> Result<HashMap<Uuid, String>> {
    Ok(community::Entity::find()
        .filter(community::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// Summaries of meetings, names looked up in two queries.
pub(crate) async fn summaries<C: ConnectionTrait>(conn: &C, rows: Vec<mt::Model>) -> Result<Vec<MeetingSummary>> {
    let communities = community_names(conn, rows.iter().map(|m| m.community_id).collect()).await?;
    let people = person_names(conn, rows.iter().map(|m| m.convener_id).collect()).await?;
    rows.into_iter()
        .map(|m| {
            Ok(MeetingSummary {
                community_name: communities.get(&m.community_id).cloned().unwrap_or_default(),
                convener_name: people.get(&m.convener_id).cloned().unwrap_or_default(),
                status: m.status.parse().map_err(|_| super::bad("status", m.id))?,
                id: m.id,
                community_id: m.community_id,
                title: m.title,
                starts_at: m.starts_at,
                place: m.place,
                convener_id: m.convener_id,
                version: m.version,
            })
        })
        .collect()
}

/// The whole record of a meeting, as `sight` allows.
pub(super) async fn record(
    meetings: &Meetings,
    actor: &Actor,
    row: mt::Model,
    invitees: Vec<mi::Model>,
    sight: Sight,
    allowed_actions: Vec<MeetingAction>,
) -> Result<MeetingRecord> {
    let db = meetings.db();
    let status: MeetingStatus = row.status.parse().map_err(|_| super::bad("status", row.id))?;
    let record_visible = sight == Sight::Whole || status == MeetingStatus::Published;
    let items =
        ai::Entity::find().filter(ai::Column::MeetingId.eq(row.id)).order_by_asc(ai::Column::Position).all(db).await?;
    let (resolutions, task_rows) = if record_visible {
        let r =
            rs::Entity::find().filter(rs::Column::MeetingId.eq(row.id)).order_by_asc(rs::Column::Id).all(db).await?;
        let t =
            tk::Entity::find().filter(tk::Column::MeetingId.eq(row.id)).order_by_asc(tk::Column::Id).all(db).await?;
        (r, t)
    } else {
        (Vec::new(), Vec::new())
    };
    let task_views = tasks::views(meetings, actor, task_rows).await?;
    let amendments =
        ma::Entity::find().filter(ma::Column::MeetingId.eq(row.id)).order_by_asc(ma::Column::Id).all(db).await?;
    let events = meetings.events(row.id).await?;
    let orgs: Vec<OrgRef> = invitees
        .iter()
        .filter_map(|i| match (&i.org_kind, i.org_id) {
            (Some(kind), Some(id)) => org_ref(kind, id).ok(),
            _ => None,
        })
        .collect();
    let org_names = org_names(db, &orgs).await?;
    let people = person_names(
        db,
        invitees
            .iter()
            .filter_map(|i| i.person_id)
            .chain(amendments.iter().map(|a| a.person_id))
            .chain(events.iter().filter_map(|e| e.actor_person_id))
            .collect(),
    )
    .await?;
    let case_numbers: HashMap<Uuid, String> = {
        let ids: BTreeSet<Uuid> = items.iter().filter_map(|i| i.complaint_id).collect();
        if ids.is_empty() {
            HashMap::new()
        } else {
            complaint::Entity::find()
                .filter(complaint::Column::Id.is_in(ids))
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, c.case_number))
                .collect()
        }
    };
    let invitees = invitees
        .into_iter()
        .map(|i| {
            let organization = match (&i.org_kind, i.org_id) {
                (Some(kind), Some(id)) => Some(org_ref(kind, id)?),
                _ => None,
            };
            let name = match (organization, i.person_id) {
                (Some(org), _) => org_names.get(&org).cloned().unwrap_or_default(),
                (None, Some(p)) => people.get(&p).cloned().unwrap_or_default(),
                (None, None) => String::new(),
            };
            // Who came, and who stood in, are part of the record: shown once it is.
            Ok(InviteeView {
                id: i.id,
                organization,
                person_id: i.person_id,
                name,
                attendance: i.attendance.as_deref().filter(|_| record_visible).and_then(|a| a.parse().ok()),
                delegate_name: i.delegate_name.filter(|_| record_visible),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let agenda = items
        .into_iter()
        .map(|item| AgendaItemView {
            resolutions: resolutions
                .iter()
                .filter(|r| r.agenda_item_id == item.id)
                .map(|r| ResolutionView {
                    id: r.id,
                    text: r.text.clone(),
                    tasks: task_views.iter().filter(|t| t.resolution_id == r.id).cloned().collect(),
                })
                .collect(),
            case_number: item.complaint_id.and_then(|c| case_numbers.get(&c).cloned()),
            minutes: if record_visible { item.minutes } else { None },
            id: item.id,
            topic: item.topic,
            complaint_id: item.complaint_id,
            appointment_id: item.appointment_id,
        })
        .collect();
    let amendments = amendments
        .into_iter()
        .map(|a| AmendmentView {
            by_name: people.get(&a.person_id).cloned().unwrap_or_default(),
            id: a.id,
            reason: a.reason,
            text: a.text,
            at: a.at,
        })
        .collect();
    let events = events
        .into_iter()
        .map(|e| MeetingEvent {
            // A resolution's text is part of the record: shown once the record is.
            note: if record_visible || e.action != MeetingAction::Resolve.as_str() { e.note } else { None },
            actor_name: e.actor_person_id.and_then(|p| people.get(&p).cloned()).unwrap_or_else(|| "系统".to_owned()),
            at: e.at,
            acting_as: e.acting_as,
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
        })
        .collect();
    let cancel_reason = row.cancel_reason.clone();
    let published_at = row.published_at;
    let summary = summaries(db, vec![row]).await?.pop().ok_or_else(|| crate::Error::Unexpected("no summary".into()))?;
    Ok(MeetingRecord {
        summary,
        cancel_reason,
        published_at,
        invitees,
        agenda,
        amendments,
        record_visible,
        allowed_actions,
        events,
    })
}
