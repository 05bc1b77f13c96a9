//! Joint meeting use cases (联席会议): convene, edit, hold, record attendance and minutes,
//! resolve with tasks, publish, cancel, amend; list and read a meeting as the caller may see
//! it. The tasks themselves are in [`tasks`].
//!
//! Who sees a meeting: the community committees (the policy's `read` in the community), the
//! county, and its invitees (`read_own`, with the invitation checked here: the person invited,
//! or someone holding a post in an invited organization). Invitees see minutes, resolutions
//! and tasks once the record is published. Each change, its event and its audit row commit
//! in one transaction, on the version the caller saw.

pub mod tasks;
mod views;

use crate::actor::Actor;
use crate::authz::{Bindings, Gate};
use crate::entities::{
    agenda_item as ai, complaint, cross_appointment, department, estate, meeting as mt, meeting_amendment as ma,
    meeting_invitee as mi, meeting_task as tk, owners_committee, post, resolution as rs, service_contract,
};
use crate::error::{Error, Result};
use crate::in_force;
use crate::notifications::{notify, Notice};
use crate::paging::{self, Page, PageRequest};
use crate::timeline::{self, NewEvent, Stream};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::authz::{Action, Resource, Scope};
use domain::clock::{local_date, Clock};
use domain::meeting::{
    validate_resolution, AgendaItemInput, Attendance, Invitee, Meeting, MeetingAction, MeetingDetails, MeetingFacts,
    MeetingStatus, OrgRef, TaskInput, TaskStatus, MAX_ITEMS, TEXT_MAX_CHARS, TITLE_MAX_CHARS,
};
use domain::notification::{NoticeKind, Recipient};
use domain::registry::OrgKind;
use domain::{Code, DomainError};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

pub(crate) use views::org_names;
pub use views::{AgendaItemView, AmendmentView, InviteeView, MeetingRecord, MeetingSummary, ResolutionView};

/// A meeting as the client asks for it (to convene or to edit).
#[derive(Debug, Clone)]
pub struct MeetingRequest {
    /// The community (convening only; an edit keeps it).
    pub community_id: Uuid,
    /// Title.
    pub title: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// Place.
    pub place: String,
    /// Who runs it: a member of the community's party branch or residents' committee (the
    /// caller when absent).
    pub convener_id: Option<Uuid>,
    /// Agenda items.
    pub agenda: Vec<AgendaItemInput>,
    /// Invitees.
    pub invitees: Vec<Invitee>,
}

/// One invitee's attendance.
#[derive(Debug, Clone)]
pub struct AttendanceInput {
    /// The invitee row.
    pub invitee_id: Uuid,
    /// Present, absent or delegate.
    pub attendance: Attendance,
    /// Who came in their place (required for a delegate).
    pub delegate_name: Option<String>,
}

/// Minutes of one agenda item.
#[derive(Debug, Clone)]
pub struct MinutesInput {
    /// The agenda item.
    pub agenda_item_id: Uuid,
    /// What was said.
    pub minutes: String,
}

/// Filters for a meeting list.
#[derive(Debug, Clone, Default)]
pub struct MeetingFilter {
    /// One community.
    pub community_id: Option<Uuid>,
    /// One status.
    pub status: Option<MeetingStatus>,
    /// Starting on or after this day (China time).
    pub from: Option<NaiveDate>,
    /// Starting on or before this day.
    pub to: Option<NaiveDate>,
}

/// The organizations of a community a meeting may invite.
struct Parties {
    community: Uuid,
    companies: HashSet<Uuid>,
    committees: HashSet<Uuid>,
    departments: HashSet<Uuid>,
}

impl Parties {
    fn holds(&self, org: OrgRef) -> bool {
        match org.kind {
            OrgKind::ResidentsCommittee | OrgKind::PartyBranch => org.id == self.community,
            OrgKind::PropertyCompany => self.companies.contains(&org.id),
            OrgKind::OwnersCommittee => self.committees.contains(&org.id),
            OrgKind::Department => self.departments.contains(&org.id),
            OrgKind::Grid | OrgKind::Estate | OrgKind::County => false,
        }
    }
}

/// Joint meeting use cases.
#[derive(Clone)]
pub struct Meetings {
    db: DatabaseConnection,
    gate: Gate,
    clock: Arc<dyn Clock>,
}

/// What the caller may see of a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sight {
    /// The community committees, the county: everything, drafts of the record included.
    Whole,
    /// An invitee: the meeting, and its record once published.
    Invited,
}

fn bad(what: &str, id: Uuid) -> Error {
    Error::Unexpected(format!("meeting: {what} of {id} is not in the vocabulary"))
}

pub(crate) fn org_ref(kind: &str, id: Uuid) -> Result<OrgRef> {
    Ok(OrgRef { kind: kind.parse().map_err(|_| bad("org_kind", id))?, id })
}

/// Whether the actor holds a post in the organization (a residents' committee by its
/// community's id, as posts name it).
pub(crate) fn holds(actor: &Actor, org: OrgRef) -> bool {
    actor.posts.iter().any(|p| p.org_kind == org.kind && p.org_id == org.id)
}

fn invited(actor: &Actor, invitees: &[mi::Model]) -> bool {
    invitees.iter().any(|i| {
        i.person_id == Some(actor.person_id.0)
            || match (&i.org_kind, i.org_id) {
                (Some(kind), Some(id)) => org_ref(kind, id).is_ok_and(|org| holds(actor, org)),
                _ => false,
            }
    })
}

/// Tells the invitees of a meeting (as convened, or as changed) of its title and time.
async fn invite<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
    details: &MeetingDetails,
    now: DateTime<Utc>,
) -> Result<()> {
    let to = details
        .invitees
        .iter()
        .map(|i| match i {
            Invitee::Organization(o) => Recipient::Organization(o.kind, o.id),
            Invitee::Person(p) => Recipient::Person(*p),
        })
        .collect();
    let when = details.starts_at.with_timezone(&domain::clock::CHINA_STANDARD_TIME).format("%Y-%m-%d %H:%M");
    let label = format!("{}（{when}）", details.title);
    let notice = Notice {
        kind: NoticeKind::MeetingInvited,
        stream: Stream::Meeting(id),
        label: &label,
        link: format!("/meetings/{id}"),
        to,
    };
    notify(conn, actor, notice, now).await
}

fn chain(community: Uuid) -> Vec<Scope> {
    Scope::community_chain(community.into())
}

fn to_domain(m: &mt::Model, attendance_missing: usize) -> Result<Meeting> {
    Ok(Meeting {
        id: m.id,
        status: m.status.parse().map_err(|_| bad("status", m.id))?,
        starts_at: m.starts_at,
        attendance_missing,
        version: m.version,
    })
}

impl Meetings {
    /// The use cases.
    #[must_use]
    pub fn new(db: DatabaseConnection, gate: Gate, clock: Arc<dyn Clock>) -> Self {
        Self { db, gate, clock }
    }

    async fn row<C: ConnectionTrait>(&self, conn: &C, id: Uuid) -> Result<mt::Model> {
        mt::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| DomainError::NotFound { entity: "meeting" }.into())
    }

    async fn invitees<C: ConnectionTrait>(&self, conn: &C, meeting: Uuid) -> Result<Vec<mi::Model>> {
        Ok(mi::Entity::find()
            .filter(mi::Column::MeetingId.eq(meeting))
            .order_by_asc(mi::Column::Position)
            .all(conn)
            .await?)
    }

    /// What the caller may see of a meeting, or "not found" (audited) when nothing.
    pub(crate) async fn sight(&self, actor: &Actor, m: &mt::Model, invitees: &[mi::Model]) -> Result<Sight> {
        let chain = chain(m.community_id);
        if self.gate.allows(actor, Resource::Meeting, Action::Read, &chain) {
            return Ok(Sight::Whole);
        }
        if invited(actor, invitees) && self.gate.allows(actor, Resource::Meeting, Action::ReadOwn, &chain) {
            return Ok(Sight::Invited);
        }
        self.gate.require_visible(actor, Resource::Meeting, &chain, m.id, "meeting").await?;
        Ok(Sight::Whole)
    }

    fn facts(&self, actor: &Actor, m: &mt::Model) -> MeetingFacts {
        MeetingFacts {
            is_convener: actor.person_id.0 == m.convener_id,
            may_sign_off: self.gate.allows(actor, Resource::Meeting, Action::Publish, &chain(m.community_id)),
        }
    }

    /// The actions the caller may take now, allowed by the policy and by the meeting's rules.
    fn allowed_actions(&self, actor: &Actor, m: &mt::Model, attendance_missing: usize) -> Vec<MeetingAction> {
        let Ok(meeting) = to_domain(m, attendance_missing) else { return Vec::new() };
        let facts = self.facts(actor, m);
        let now = self.clock.now();
        let chain = chain(m.community_id);
        MeetingAction::ALL
            .iter()
            .copied()
            .filter(|a| *a != MeetingAction::Convene)
            .filter(|a| self.gate.allows(actor, Resource::Meeting, Action::of_meeting(*a), &chain))
            .filter(|a| meeting.check(*a, facts, now).is_ok())
            .collect()
    }

    /// The organizations a meeting of `community` may invite, as sets by kind: serving
    /// companies (a contract in force), current owners' committees of its estates, departments.
    async fn community_orgs<C: ConnectionTrait>(&self, conn: &C, community: Uuid) -> Result<Parties> {
        let today = self.clock.today();
        let estates = || {
            Query::select()
                .column(estate::Column::Id)
                .from(estate::Entity)
                .and_where(estate::Column::CommunityId.eq(community))
                .to_owned()
        };
        let companies = service_contract::Entity::find()
            .filter(in_force::contract(today))
            .filter(service_contract::Column::EstateId.in_subquery(estates()))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| c.company_id)
            .collect();
        let committees = owners_committee::Entity::find()
            .filter(in_force::committee(today))
            .filter(owners_committee::Column::EstateId.in_subquery(estates()))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let departments = department::Entity::find()
            .filter(department::Column::EndedAt.is_null())
            .all(conn)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        Ok(Parties { community, companies, committees, departments })
    }

    /// The organizations a meeting of `community` may invite, with their names, for a form:
    /// the residents' committee, serving companies, owners' committees, departments.
    ///
    /// # Errors
    /// Forbidden (not one who convenes there), database errors.
    pub async fn parties(&self, actor: &Actor, community: Uuid) -> Result<Vec<(OrgRef, String)>> {
        self.gate.require(actor, Resource::Meeting, Action::Create, &chain(community), None).await?;
        let p = self.community_orgs(&self.db, community).await?;
        let mut orgs = vec![OrgRef { kind: OrgKind::ResidentsCommittee, id: community }];
        let of =
            |kind: OrgKind, ids: &HashSet<Uuid>| ids.iter().map(move |id| OrgRef { kind, id: *id }).collect::<Vec<_>>();
        orgs.extend(of(OrgKind::PropertyCompany, &p.companies));
        orgs.extend(of(OrgKind::OwnersCommittee, &p.committees));
        orgs.extend(of(OrgKind::Department, &p.departments));
        let names = views::org_names(&self.db, &orgs).await?;
        let mut out: Vec<(OrgRef, String)> =
            orgs.into_iter().map(|o| (o, names.get(&o).cloned().unwrap_or_default())).collect();
        out.sort_by(|a, b| (a.0.kind.as_str(), &a.1).cmp(&(b.0.kind.as_str(), &b.1)));
        Ok(out)
    }

    /// The community's cases a meeting is typically about (disputed, mediating, escalated or
    /// returned), newest first: id, number and title, for a form.
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn linkable_cases(&self, actor: &Actor, community: Uuid) -> Result<Vec<(Uuid, String, String)>> {
        self.gate.require(actor, Resource::Meeting, Action::Create, &chain(community), None).await?;
        Ok(complaint::Entity::find()
            .filter(complaint::Column::CommunityId.eq(community))
            .filter(complaint::Column::Status.is_in(["disputed", "mediating", "escalated", "returned"]))
            .order_by_desc(complaint::Column::FiledAt)
            .limit(100)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.case_number, c.title))
            .collect())
    }

    /// Checks that every invitee, agenda link and the convener belong to the community.
    async fn check_parties<C: ConnectionTrait>(
        &self,
        conn: &C,
        community: Uuid,
        details: &MeetingDetails,
        convener: Uuid,
    ) -> Result<()> {
        let today = self.clock.today();
        let mut v = domain::error::Validator::new();
        let parties = self.community_orgs(conn, community).await?;
        let of_community = |org: OrgRef| parties.holds(org);
        for (i, invitee) in details.invitees.iter().enumerate() {
            let ok = match invitee {
                Invitee::Organization(org) => of_community(*org),
                Invitee::Person(person) => {
                    let posts = post::Entity::find()
                        .filter(post::Column::PersonId.eq(*person))
                        .filter(in_force::post(today))
                        .all(conn)
                        .await?;
                    let held = posts.iter().any(|p| {
                        p.org_kind
                            .parse::<OrgKind>()
                            .is_ok_and(|kind| kind != OrgKind::Estate && of_community(OrgRef { kind, id: p.org_id }))
                    });
                    held || cross_appointment::Entity::find()
                        .filter(cross_appointment::Column::PersonId.eq(*person))
                        .filter(cross_appointment::Column::CommunityId.eq(community))
                        .filter(cross_appointment::Column::Status.eq("active"))
                        .one(conn)
                        .await?
                        .is_some()
                }
            };
            if !ok {
                v.add(&format!("invitees[{i}]"), Code::NotInCommunity);
            }
        }
        for (i, item) in details.agenda.iter().enumerate() {
            if let Some(id) = item.complaint_id {
                let found = complaint::Entity::find_by_id(id).one(conn).await?;
                if found.is_none_or(|c| c.community_id != community) {
                    v.add(&format!("agenda[{i}].complaint_id"), Code::NotInCommunity);
                }
            }
            if let Some(id) = item.appointment_id {
                let found = cross_appointment::Entity::find_by_id(id).one(conn).await?;
                if found.is_none_or(|a| a.community_id != community) {
                    v.add(&format!("agenda[{i}].appointment_id"), Code::NotInCommunity);
                }
            }
        }
        let convenes = post::Entity::find()
            .filter(post::Column::PersonId.eq(convener))
            .filter(post::Column::OrgId.eq(community))
            .filter(post::Column::OrgKind.is_in([OrgKind::PartyBranch.as_str(), OrgKind::ResidentsCommittee.as_str()]))
            .filter(in_force::post(today))
            .one(conn)
            .await?
            .is_some();
        if !convenes {
            v.add("convener_id", Code::NotInCommunity);
        }
        Ok(v.finish()?)
    }

    async fn write_details<C: ConnectionTrait>(&self, txn: &C, id: Uuid, details: &MeetingDetails) -> Result<()> {
        for (position, item) in details.agenda.iter().enumerate() {
            ai::Entity::insert(ai::ActiveModel {
                id: Set(Uuid::now_v7()),
                meeting_id: Set(id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                topic: Set(item.topic.clone()),
                complaint_id: Set(item.complaint_id),
                appointment_id: Set(item.appointment_id),
                minutes: Set(None),
            })
            .exec_without_returning(txn)
            .await?;
        }
        for (position, invitee) in details.invitees.iter().enumerate() {
            let (org, person) = match invitee {
                Invitee::Organization(org) => (Some(*org), None),
                Invitee::Person(p) => (None, Some(*p)),
            };
            mi::Entity::insert(mi::ActiveModel {
                id: Set(Uuid::now_v7()),
                meeting_id: Set(id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                org_kind: Set(org.map(|o| o.kind.as_str().to_owned())),
                org_id: Set(org.map(|o| o.id)),
                person_id: Set(person),
                attendance: Set(None),
                delegate_name: Set(None),
            })
            .exec_without_returning(txn)
            .await?;
        }
        Ok(())
    }

    /// Convenes a meeting in a community.
    ///
    /// # Errors
    /// Validation (fields; invitees, links or the convener outside the community), forbidden,
    /// unknown community, database errors.
    #[tracing::instrument(skip_all, fields(community = %req.community_id))]
    pub async fn convene(&self, actor: &Actor, req: MeetingRequest) -> Result<MeetingRecord> {
        let now = self.clock.now();
        let details = MeetingDetails::validate(&req.title, req.starts_at, &req.place, req.agenda, req.invitees, now)?;
        crate::entities::community::Entity::find_by_id(req.community_id)
            .one(&self.db)
            .await?
            .filter(|c| c.ended_at.is_none())
            .ok_or_else(|| DomainError::field("community_id", Code::UnknownCommunity))?;
        let id = Uuid::now_v7();
        let decision =
            self.gate.require(actor, Resource::Meeting, Action::Create, &chain(req.community_id), Some(id)).await?;
        let convener = req.convener_id.unwrap_or(actor.person_id.0);
        self.check_parties(&self.db, req.community_id, &details, convener).await?;
        let acting_as = decision.acting_as.clone().unwrap_or_default();
        let write = self.gate.write(actor, decision, id, Bindings::Same).await?;
        let txn = write.conn();
        mt::Entity::insert(mt::ActiveModel {
            id: Set(id),
            community_id: Set(req.community_id),
            title: Set(details.title.clone()),
            starts_at: Set(details.starts_at),
            place: Set(details.place.clone()),
            status: Set(MeetingStatus::Planned.as_str().to_owned()),
            convener_id: Set(convener),
            convened_by: Set(actor.person_id.0),
            cancel_reason: Set(None),
            published_at: Set(None),
            published_by: Set(None),
            version: Set(0),
            created_at: Set(now),
        })
        .exec_without_returning(txn)
        .await?;
        self.write_details(txn, id, &details).await?;
        let event = NewEvent {
            actor: Some(actor),
            acting_as: &acting_as,
            action: MeetingAction::Convene.as_str(),
            from: None,
            to: MeetingStatus::Planned.as_str(),
            note: None,
            detail: None,
        };
        timeline::append(txn, Stream::Meeting(id), event, now).await?;
        invite(txn, actor, id, &details, now).await?;
        write.commit().await?;
        self.get(actor, id).await
    }

    /// Locks a meeting for a change: visible to the caller, allowed by the policy for
    /// `action`, then locked, checked against `version` and the meeting's rules.
    async fn begin<'g>(
        &'g self,
        actor: &'g Actor,
        id: Uuid,
        action: MeetingAction,
        version: i32,
    ) -> Result<(crate::authz::Write<'g>, mt::Model, MeetingStatus, String)> {
        let current = self.row(&self.db, id).await?;
        let invitees = self.invitees(&self.db, id).await?;
        self.sight(actor, &current, &invitees).await?;
        let decision = self
            .gate
            .require(actor, Resource::Meeting, Action::of_meeting(action), &chain(current.community_id), Some(id))
            .await?;
        let acting_as = decision.acting_as.clone().unwrap_or_default();
        let write = self.gate.write(actor, decision, id, Bindings::Same).await?;
        let row = mt::Entity::find_by_id(id)
            .lock_exclusive()
            .one(write.conn())
            .await?
            .ok_or(DomainError::NotFound { entity: "meeting" })?;
        if row.version != version {
            return Err(DomainError::StaleVersion { current: row.version }.into());
        }
        let missing = mi::Entity::find()
            .filter(mi::Column::MeetingId.eq(id))
            .filter(mi::Column::Attendance.is_null())
            .all(write.conn())
            .await?
            .len();
        let to = to_domain(&row, missing)?.check(action, self.facts(actor, &row), self.clock.now())?;
        Ok((write, row, to, acting_as))
    }

    /// Bumps the version and status, and appends the event, in the change's transaction.
    #[allow(clippy::too_many_arguments)]
    async fn finish(
        &self,
        write: crate::authz::Write<'_>,
        actor: &Actor,
        row: &mt::Model,
        action: MeetingAction,
        to: MeetingStatus,
        acting_as: &str,
        note: Option<String>,
        extra: Vec<(mt::Column, sea_orm::sea_query::SimpleExpr)>,
    ) -> Result<()> {
        let now = self.clock.now();
        let txn = write.conn();
        let mut update = mt::Entity::update_many()
            .col_expr(mt::Column::Status, Expr::value(to.as_str()))
            .col_expr(mt::Column::Version, Expr::value(row.version + 1));
        for (col, value) in extra {
            update = update.col_expr(col, value);
        }
        let done =
            update.filter(mt::Column::Id.eq(row.id)).filter(mt::Column::Version.eq(row.version)).exec(txn).await?;
        if done.rows_affected != 1 {
            return Err(DomainError::StaleVersion { current: row.version }.into());
        }
        let event = NewEvent {
            actor: Some(actor),
            acting_as,
            action: action.as_str(),
            from: Some(row.status.parse::<MeetingStatus>().map_err(|_| bad("status", row.id))?.as_str()),
            to: to.as_str(),
            note,
            detail: None,
        };
        timeline::append(txn, Stream::Meeting(row.id), event, now).await?;
        write.commit().await
    }

    /// Changes a planned meeting's title, time, place, convener, agenda and invitees (the
    /// agenda and invitees are replaced whole).
    ///
    /// # Errors
    /// As [`Meetings::convene`], plus conflicts (held or later, stale version, not the convener).
    pub async fn edit(&self, actor: &Actor, id: Uuid, version: i32, req: MeetingRequest) -> Result<MeetingRecord> {
        let now = self.clock.now();
        let details = MeetingDetails::validate(&req.title, req.starts_at, &req.place, req.agenda, req.invitees, now)?;
        let current = self.row(&self.db, id).await?;
        let convener = req.convener_id.unwrap_or(current.convener_id);
        let (write, row, to, acting_as) = self.begin(actor, id, MeetingAction::Edit, version).await?;
        let txn = write.conn();
        // Checked inside the write: a second connection while holding this one could wait on
        // a pool that this very request exhausts.
        self.check_parties(txn, row.community_id, &details, convener).await?;
        ai::Entity::delete_many().filter(ai::Column::MeetingId.eq(id)).exec(txn).await?;
        mi::Entity::delete_many().filter(mi::Column::MeetingId.eq(id)).exec(txn).await?;
        self.write_details(txn, id, &details).await?;
        // Everyone now invited hears of the meeting as it now stands.
        invite(txn, actor, id, &details, self.clock.now()).await?;
        let extra = vec![
            (mt::Column::Title, Expr::value(details.title.clone())),
            (mt::Column::StartsAt, Expr::value(details.starts_at)),
            (mt::Column::Place, Expr::value(details.place.clone())),
            (mt::Column::ConvenerId, Expr::value(convener)),
        ];
        self.finish(write, actor, &row, MeetingAction::Edit, to, &acting_as, None, extra).await?;
        self.get(actor, id).await
    }

    /// Holds, publishes or cancels a meeting. Publishing assigns its tasks (each gets an
    /// `assign` event, on its complaint's timeline too); cancelling needs a reason.
    ///
    /// # Errors
    /// Not found, forbidden, conflicts (state, version, convener, not started, attendance
    /// incomplete), a missing reason, database errors.
    #[tracing::instrument(skip_all, fields(meeting = %id, action = %action))]
    pub async fn act(
        &self,
        actor: &Actor,
        id: Uuid,
        action: MeetingAction,
        version: i32,
        reason: Option<String>,
    ) -> Result<MeetingRecord> {
        if !action.is_requestable() {
            return Err(DomainError::field("action", Code::InvalidAction).into());
        }
        let mut v = domain::error::Validator::new();
        if action == MeetingAction::Cancel {
            v.text("reason", reason.as_deref().unwrap_or_default(), TEXT_MAX_CHARS);
        } else {
            v.optional_text("reason", reason.as_deref(), TEXT_MAX_CHARS);
        }
        v.finish()?;
        let (write, row, to, acting_as) = self.begin(actor, id, action, version).await?;
        let now = self.clock.now();
        let mut extra = Vec::new();
        match action {
            MeetingAction::Publish => {
                extra.push((mt::Column::PublishedAt, Expr::value(Some(now))));
                extra.push((mt::Column::PublishedBy, Expr::value(Some(actor.person_id.0))));
                tasks::assign_all(write.conn(), actor, &acting_as, id, now).await?;
            }
            MeetingAction::Cancel => extra.push((mt::Column::CancelReason, Expr::value(reason.clone()))),
            MeetingAction::Hold
            | MeetingAction::Convene
            | MeetingAction::Edit
            | MeetingAction::Record
            | MeetingAction::Resolve
            | MeetingAction::Amend => {}
        }
        self.finish(write, actor, &row, action, to, &acting_as, reason, extra).await?;
        self.get(actor, id).await
    }

    /// Writes attendance and minutes of a held meeting (only the rows named change).
    ///
    /// # Errors
    /// Validation (an invitee or item of another meeting, a delegate without a name, texts),
    /// conflicts, forbidden, database errors.
    pub async fn record(
        &self,
        actor: &Actor,
        id: Uuid,
        version: i32,
        attendance: Vec<AttendanceInput>,
        minutes: Vec<MinutesInput>,
    ) -> Result<MeetingRecord> {
        let mut v = domain::error::Validator::new();
        if attendance.len() > MAX_ITEMS {
            v.add("attendance", Code::TooLong);
        }
        if minutes.len() > MAX_ITEMS {
            v.add("minutes", Code::TooLong);
        }
        for (i, a) in attendance.iter().enumerate() {
            match (a.attendance, a.delegate_name.as_deref()) {
                (Attendance::Delegate, name) => {
                    v.text(&format!("attendance[{i}].delegate_name"), name.unwrap_or_default(), TITLE_MAX_CHARS);
                }
                (Attendance::Present | Attendance::Absent, Some(_)) => {
                    v.add(&format!("attendance[{i}].delegate_name"), Code::InvalidValue);
                }
                (Attendance::Present | Attendance::Absent, None) => {}
            }
        }
        for (i, m) in minutes.iter().enumerate() {
            v.text(&format!("minutes[{i}].minutes"), &m.minutes, TEXT_MAX_CHARS);
        }
        v.finish()?;
        let (write, row, to, acting_as) = self.begin(actor, id, MeetingAction::Record, version).await?;
        let txn = write.conn();
        let mut v = domain::error::Validator::new();
        for (i, a) in attendance.iter().enumerate() {
            let done = mi::Entity::update_many()
                .col_expr(mi::Column::Attendance, Expr::value(Some(a.attendance.as_str())))
                .col_expr(mi::Column::DelegateName, Expr::value(a.delegate_name.as_deref().map(str::trim)))
                .filter(mi::Column::Id.eq(a.invitee_id))
                .filter(mi::Column::MeetingId.eq(id))
                .exec(txn)
                .await?;
            if done.rows_affected != 1 {
                v.add(&format!("attendance[{i}].invitee_id"), Code::NotAnInvitee);
            }
        }
        for (i, m) in minutes.iter().enumerate() {
            let done = ai::Entity::update_many()
                .col_expr(ai::Column::Minutes, Expr::value(Some(m.minutes.trim())))
                .filter(ai::Column::Id.eq(m.agenda_item_id))
                .filter(ai::Column::MeetingId.eq(id))
                .exec(txn)
                .await?;
            if done.rows_affected != 1 {
                v.add(&format!("minutes[{i}].agenda_item_id"), Code::NotOnAgenda);
            }
        }
        // Nothing is written when any row was not this meeting's: the write rolls back.
        v.finish()?;
        self.finish(write, actor, &row, MeetingAction::Record, to, &acting_as, None, Vec::new()).await?;
        self.get(actor, id).await
    }

    /// Adds a resolution on an agenda item of a held meeting, with its tasks (assigned when
    /// the meeting is published). A task points at the item's complaint, if it has one.
    ///
    /// # Errors
    /// Validation (texts, due dates, an organization not invited, a person not in it, an item
    /// of another meeting), conflicts, forbidden, database errors.
    pub async fn resolve(
        &self,
        actor: &Actor,
        id: Uuid,
        version: i32,
        agenda_item_id: Uuid,
        text: &str,
        task_inputs: Vec<TaskInput>,
    ) -> Result<MeetingRecord> {
        // Checked after the gate and the lock, so that one who may not see the meeting learns
        // nothing of it (its day) from a refusal.
        let (write, row, to, acting_as) = self.begin(actor, id, MeetingAction::Resolve, version).await?;
        validate_resolution(text, &task_inputs, local_date(row.starts_at))?;
        let txn = write.conn();
        let item = ai::Entity::find_by_id(agenda_item_id)
            .one(txn)
            .await?
            .filter(|i| i.meeting_id == id)
            .ok_or_else(|| DomainError::field("agenda_item_id", Code::NotOnAgenda))?;
        let invitees = self.invitees(txn, id).await?;
        let today = self.clock.today();
        let mut v = domain::error::Validator::new();
        for (i, t) in task_inputs.iter().enumerate() {
            let is_invited = invitees.iter().any(|m| {
                m.org_id == Some(t.organization.id) && m.org_kind.as_deref() == Some(t.organization.kind.as_str())
            });
            if !is_invited {
                v.add(&format!("tasks[{i}].organization"), Code::NotInvited);
            }
            if let Some(person) = t.person_id {
                let in_org = post::Entity::find()
                    .filter(post::Column::PersonId.eq(person))
                    .filter(post::Column::OrgId.eq(t.organization.id))
                    .filter(post::Column::OrgKind.eq(t.organization.kind.as_str()))
                    .filter(in_force::post(today))
                    .one(txn)
                    .await?
                    .is_some();
                if !in_org {
                    v.add(&format!("tasks[{i}].person_id"), Code::NotInCommunity);
                }
            }
        }
        v.finish()?;
        let now = self.clock.now();
        let resolution_id = Uuid::now_v7();
        rs::Entity::insert(rs::ActiveModel {
            id: Set(resolution_id),
            meeting_id: Set(id),
            agenda_item_id: Set(item.id),
            text: Set(text.trim().to_owned()),
            created_at: Set(now),
        })
        .exec_without_returning(txn)
        .await?;
        for t in &task_inputs {
            tk::Entity::insert(tk::ActiveModel {
                id: Set(Uuid::now_v7()),
                meeting_id: Set(id),
                resolution_id: Set(resolution_id),
                community_id: Set(row.community_id),
                org_kind: Set(t.organization.kind.as_str().to_owned()),
                org_id: Set(t.organization.id),
                person_id: Set(t.person_id),
                description: Set(t.description.trim().to_owned()),
                due_on: Set(t.due_on),
                complaint_id: Set(item.complaint_id),
                status: Set(TaskStatus::Open.as_str().to_owned()),
                assigned_at: Set(None),
                reported_at: Set(None),
                report_note: Set(None),
                verified_at: Set(None),
                version: Set(0),
                created_at: Set(now),
            })
            .exec_without_returning(txn)
            .await?;
        }
        let note = Some(text.trim().to_owned());
        self.finish(write, actor, &row, MeetingAction::Resolve, to, &acting_as, note, Vec::new()).await?;
        self.get(actor, id).await
    }

    /// Adds an amendment to a published record: who, why and what (the record itself stays).
    ///
    /// # Errors
    /// Validation (reason and text required), conflicts, forbidden, database errors.
    pub async fn amend(
        &self,
        actor: &Actor,
        id: Uuid,
        version: i32,
        reason: &str,
        text: &str,
    ) -> Result<MeetingRecord> {
        let mut v = domain::error::Validator::new();
        v.text("reason", reason, TEXT_MAX_CHARS);
        v.text("text", text, TEXT_MAX_CHARS);
        v.finish()?;
        let (write, row, to, acting_as) = self.begin(actor, id, MeetingAction::Amend, version).await?;
        ma::Entity::insert(ma::ActiveModel {
            id: Set(Uuid::now_v7()),
            meeting_id: Set(id),
            person_id: Set(actor.person_id.0),
            reason: Set(reason.trim().to_owned()),
            text: Set(text.trim().to_owned()),
            at: Set(self.clock.now()),
        })
        .exec_without_returning(write.conn())
        .await?;
        let note = Some(reason.trim().to_owned());
        self.finish(write, actor, &row, MeetingAction::Amend, to, &acting_as, note, Vec::new()).await?;
        self.get(actor, id).await
    }

    /// A meeting as the caller may see it, with the actions they may take.
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> Result<MeetingRecord> {
        let row = self.row(&self.db, id).await?;
        let invitees = self.invitees(&self.db, id).await?;
        let sight = self.sight(actor, &row, &invitees).await?;
        let missing = invitees.iter().filter(|i| i.attendance.is_none()).count();
        let allowed = self.allowed_actions(actor, &row, missing);
        views::record(self, actor, row, invitees, sight, allowed).await
    }

    /// Lists meetings the caller may see, newest first: a community's, or (no community
    /// named) those of every community they oversee and those they were invited to.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list(&self, actor: &Actor, filter: MeetingFilter, page: PageRequest) -> Result<Page<MeetingSummary>> {
        let mut v = domain::error::Validator::new();
        for (field, day) in [("from", filter.from), ("to", filter.to)] {
            if day.is_some_and(|d| !domain::oversight::YEARS.contains(&d.year())) {
                v.add(field, Code::InvalidValue);
            }
        }
        v.finish()?;
        let mut select = mt::Entity::find();
        if let Some(s) = filter.status {
            select = select.filter(mt::Column::Status.eq(s.as_str()));
        }
        if let Some(from) = filter.from {
            select = select.filter(mt::Column::StartsAt.gte(views::day_start(from)));
        }
        if let Some(to) = filter.to {
            if let Some(next) = to.succ_opt() {
                select = select.filter(mt::Column::StartsAt.lt(views::day_start(next)));
            }
        }
        let mut whole = Condition::any();
        match filter.community_id {
            Some(c) => {
                select = select.filter(mt::Column::CommunityId.eq(c));
                if self.gate.allows(actor, Resource::Meeting, Action::Read, &chain(c)) {
                    whole = whole.add(Expr::value(true));
                }
            }
            None => {
                for scope in self.gate.scopes_allowing(actor, Resource::Meeting, Action::Read) {
                    whole = whole.add(match scope {
                        Scope::County => Condition::all().add(Expr::value(true)),
                        Scope::Community(c) => Condition::all().add(mt::Column::CommunityId.eq(c.0)),
                        // Meetings live in communities: no other scope holds any.
                        Scope::Estate(_) | Scope::Company(_) | Scope::Department(_) => {
                            Condition::all().add(Expr::value(false))
                        }
                    });
                }
            }
        }
        let mine = Query::select()
            .column(mi::Column::MeetingId)
            .from(mi::Entity)
            .cond_where(actor.posts.iter().filter(|p| p.org_kind != OrgKind::Estate).fold(
                Condition::any().add(mi::Column::PersonId.eq(actor.person_id.0)),
                |c, p| {
                    c.add(
                        Condition::all()
                            .add(mi::Column::OrgId.eq(p.org_id))
                            .add(mi::Column::OrgKind.eq(p.org_kind.as_str())),
                    )
                },
            ))
            .to_owned();
        select = select.filter(whole.add(mt::Column::Id.in_subquery(mine)));
        let rows = paging::fetch(&self.db, select, mt::Column::Id, |m| m.id, page, true).await?;
        let items = views::summaries(&self.db, rows.items).await?;
        Ok(Page { items, next_cursor: rows.next_cursor })
    }

    /// A meeting's events, oldest first.
    pub(crate) async fn events(&self, id: Uuid) -> Result<Vec<crate::entities::event::Model>> {
        timeline::read(&self.db, Stream::Meeting(id)).await
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub(crate) fn gate(&self) -> &Gate {
        &self.gate
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}
