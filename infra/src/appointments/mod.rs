//! Cross-appointment use cases: propose, list, get with history, approve, reject, end,
//! revoke, coverage of a community, and CSV export.
//!
//! Status changes follow [`domain::appointment::CrossAppointment::apply`]; each change, its
//! history event and its audit row commit in one transaction, and a stale `version` is refused.

pub mod store;

use crate::actor::Actor;
use crate::authz::{Bindings, Gate};
use crate::entities::{
    community, cross_appointment as ca, estate, owners_committee, person, post, property_company, service_contract,
};
use crate::error::{Error, Result};
use crate::in_force;
use crate::paging::{self, Page, PageRequest};
use crate::timeline::{self, NewEvent, Stream};
use chrono::{DateTime, NaiveDate, Utc};
use domain::appointment::{
    common_community, AppointmentAction, AppointmentStatus, CrossAppointment, HostKind, HostTitle, Proposal,
    ProposerCapacity,
};
use domain::authz::{Action, Resource, Scope};
use domain::clock::Clock;
use domain::ids::{CommunityId, PersonId, PostId};
use domain::registry::{DateRange, OrgKind};
use domain::Code;
use domain::DomainError;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use uuid::Uuid;

/// The most rows one CSV export holds.
pub const MAX_EXPORT_ROWS: u64 = 10_000;

/// A proposal as the client sent it.
#[derive(Debug, Clone)]
pub struct ProposeRequest {
    /// Who.
    pub person_id: PersonId,
    /// Their home post.
    pub home_post_id: PostId,
    /// `community_committees`, `property_company` or `owners_committee`.
    pub host_kind: String,
    /// The host's id (the community's for the community committees).
    pub host_id: Uuid,
    /// The host title.
    pub host_title: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// Meeting or document reference.
    pub basis: String,
    /// The community, when the organizations share more than one.
    pub community_id: Option<CommunityId>,
    /// A note for the history.
    pub note: Option<String>,
}

/// List and export filters.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppointmentFilter {
    /// Appointments decided by this community's party branch.
    pub community_id: Option<CommunityId>,
    /// Appointments whose home or host organization is this one.
    pub organization_id: Option<Uuid>,
    /// This person's appointments.
    pub person_id: Option<PersonId>,
    /// In this (stored) status.
    pub status: Option<AppointmentStatus>,
    /// In force on this day.
    pub active_on: Option<NaiveDate>,
}

/// A cross-appointment as shown: the record, its effective status and the names behind the ids.
#[derive(Debug, Clone)]
pub struct AppointmentView {
    /// The record (its `status` is the stored one).
    pub record: CrossAppointment,
    /// The status as of today (an active one past its term or home post is ended).
    pub effective_status: AppointmentStatus,
    /// Whether it grants its host post's rights today.
    pub in_force: bool,
    /// The person's name.
    pub person_name: String,
    /// The home organization's name.
    pub home_org_name: String,
    /// The home post's title.
    pub home_title: String,
    /// The host's name.
    pub host_name: String,
    /// When proposed.
    pub created_at: DateTime<Utc>,
    /// When last decided.
    pub decided_at: Option<DateTime<Utc>>,
}

/// One event in an appointment's history.
#[derive(Debug, Clone)]
pub struct AppointmentEvent {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// The acting person.
    pub person_id: Option<Uuid>,
    /// The binding they acted as.
    pub acting_as: String,
    /// What they did.
    pub action: String,
    /// Status before.
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: String,
    /// Note or reason.
    pub note: Option<String>,
}

/// One estate or committee in a coverage list.
#[derive(Debug, Clone)]
pub struct CoverageItem {
    /// Estate or committee id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// For estates: the company serving it today.
    pub company_id: Option<Uuid>,
    /// For estates: the company's name.
    pub company_name: Option<String>,
    /// Whether it counts as covered.
    pub covered: bool,
    /// The appointments in force that cover it.
    pub appointment_ids: Vec<Uuid>,
}

/// "Two-way entry" coverage of a community.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// The community.
    pub community_id: CommunityId,
    /// The day it was computed for.
    pub as_of: NaiveDate,
    /// Estates whose serving company has an appointment in force with the community
    /// committees (either direction), out of all the community's estates.
    pub estates: Vec<CoverageItem>,
    /// Current owners' committees with a community committee member appointed to them.
    pub committees: Vec<CoverageItem>,
}

/// Cross-appointment use cases.
#[derive(Clone)]
pub struct Appointments {
    db: DatabaseConnection,
    gate: Gate,
    clock: Arc<dyn Clock>,
    max_term_years: u32,
}

fn unexpected(what: &str, id: Uuid) -> Error {
    Error::Unexpected(format!("stored {what} of cross-appointment {id} is invalid"))
}

fn to_domain(m: &ca::Model) -> Result<CrossAppointment> {
    Ok(CrossAppointment {
        id: m.id,
        person_id: m.person_id.into(),
        home_post_id: m.home_post_id.into(),
        home_org_kind: m.home_org_kind.parse().map_err(|_| unexpected("home kind", m.id))?,
        home_org_id: m.home_org_id,
        host_kind: m.host_kind.parse().map_err(|_| unexpected("host kind", m.id))?,
        host_id: m.host_id,
        host_title: m.host_title.parse().map_err(|_| unexpected("host title", m.id))?,
        community_id: m.community_id.into(),
        term: DateRange { start: m.starts_on, end: Some(m.ends_on) },
        basis: m.basis.clone(),
        status: m.status.parse().map_err(|_| unexpected("status", m.id))?,
        end_reason: m.end_reason.clone(),
        version: m.version,
    })
}

impl Appointments {
    /// The use cases; terms may last at most `max_term_years`.
    #[must_use]
    pub fn new(db: DatabaseConnection, gate: Gate, clock: Arc<dyn Clock>, max_term_years: u32) -> Self {
        Self { db, gate, clock, max_term_years }
    }

    /// The communities an organization belongs to today: a company belongs to every
    /// community where it serves an estate under a contract in force.
    async fn communities_of<C: ConnectionTrait>(
        &self,
        conn: &C,
        kind: OrgKind,
        org_id: Uuid,
        post_community: Option<Uuid>,
    ) -> Result<BTreeSet<CommunityId>> {
        Ok(match kind {
            OrgKind::PartyBranch | OrgKind::ResidentsCommittee => BTreeSet::from([org_id.into()]),
            OrgKind::Grid | OrgKind::Estate | OrgKind::OwnersCommittee => {
                post_community.map(Into::into).into_iter().collect()
            }
            OrgKind::PropertyCompany => self.company_communities(conn, org_id).await?,
            OrgKind::Department | OrgKind::County => BTreeSet::new(),
        })
    }

    async fn company_communities<C: ConnectionTrait>(&self, conn: &C, company: Uuid) -> Result<BTreeSet<CommunityId>> {
        let estates = Query::select()
            .column(service_contract::Column::EstateId)
            .from(service_contract::Entity)
            .cond_where(in_force::contract(self.clock.today()))
            .and_where(service_contract::Column::CompanyId.eq(company))
            .to_owned();
        let rows = estate::Entity::find().filter(estate::Column::Id.in_subquery(estates)).all(conn).await?;
        Ok(rows.into_iter().map(|e| e.community_id.into()).collect())
    }

    /// The host's communities, its estate (owners' committees) and the scopes containing it.
    async fn place_host(&self, kind: HostKind, id: Uuid) -> Result<(BTreeSet<CommunityId>, Option<Uuid>, Vec<Scope>)> {
        let unknown = || Error::from(DomainError::field("host_id", Code::UnknownOrganization));
        let ended = || Error::from(DomainError::field("host_id", Code::OrganizationEnded));
        match kind {
            HostKind::CommunityCommittees => {
                let c = community::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(unknown)?;
                if c.ended_at.is_some() {
                    return Err(ended());
                }
                Ok((BTreeSet::from([id.into()]), None, Scope::community_chain(id.into())))
            }
            HostKind::PropertyCompany => {
                let p = property_company::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(unknown)?;
                if p.ended_at.is_some() {
                    return Err(ended());
                }
                Ok((self.company_communities(&self.db, id).await?, None, Scope::company_chain(id.into())))
            }
            HostKind::OwnersCommittee => {
                let oc = owners_committee::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(unknown)?;
                let today = self.clock.today();
                if oc.ended_at.is_some() || oc.term_end < today {
                    return Err(ended());
                }
                let e = estate::Entity::find_by_id(oc.estate_id).one(&self.db).await?.ok_or_else(unknown)?;
                let chain = Scope::estate_chain(e.id.into(), e.community_id.into());
                Ok((BTreeSet::from([e.community_id.into()]), Some(e.id), chain))
            }
        }
    }

    /// The scopes containing an appointment: the community whose party branch decides, and
    /// the home and host organizations.
    fn chain_of(m: &ca::Model) -> Vec<Scope> {
        let mut chain = vec![Scope::Community(m.community_id.into())];
        let org = |kind: &str, id: Uuid| match kind {
            "property_company" => Some(Scope::Company(id.into())),
            "department" => Some(Scope::Department(id.into())),
            _ => None,
        };
        chain.extend(org(&m.home_org_kind, m.home_org_id));
        chain.extend(org(&m.host_kind, m.host_id));
        chain.extend(m.host_estate_id.map(|e| Scope::Estate(e.into())));
        chain.push(Scope::County);
        chain
    }

    /// Proposes a cross-appointment.
    ///
    /// # Errors
    /// Validation (fields, home post not held, same organization, not the same community),
    /// `appointment_overlap`, forbidden, database errors.
    pub async fn propose(&self, actor: &Actor, req: ProposeRequest) -> Result<AppointmentView> {
        let proposal = Proposal::validate(
            &req.host_kind,
            req.host_id,
            &req.host_title,
            req.starts_on,
            req.ends_on,
            &req.basis,
            self.max_term_years,
        )?;
        let note = domain::registry::validate_reason(req.note.as_deref())?;
        let today = self.clock.today();
        let home = post::Entity::find_by_id(req.home_post_id.0)
            .filter(post::Column::PersonId.eq(req.person_id.0))
            .filter(in_force::post(today))
            .one(&self.db)
            .await?
            .ok_or_else(|| DomainError::field("home_post_id", Code::HomePostNotHeld))?;
        let home_kind: OrgKind = home.org_kind.parse().map_err(|_| Error::Unexpected(format!("post {}", home.id)))?;
        // A residence is not an organization one serves in: proposing from it would let
        // anyone sharing the estate name a resident (and read their name back).
        if home_kind == OrgKind::Estate {
            return Err(DomainError::field("home_post_id", Code::HomePostNotHeld).into());
        }
        if proposal.host_kind.is_same_organization(proposal.host_id, home_kind, home.org_id) {
            return Err(DomainError::field("host_id", Code::SameOrganization).into());
        }
        let (host_communities, host_estate, host_chain) = self.place_host(proposal.host_kind, proposal.host_id).await?;
        let home_communities = self.communities_of(&self.db, home_kind, home.org_id, home.community_id).await?;
        let community = common_community(&home_communities, &host_communities, req.community_id)
            .map_err(|code| DomainError::field("community_id", code))?;

        // The caller speaks for the home organization, the host, or the party branch; the
        // chain holds only the scopes of the capacities they have.
        let capacity = ProposerCapacity::of(
            &actor.posts,
            (home_kind, home.org_id),
            (proposal.host_kind, proposal.host_id),
            community,
        );
        let mut chain = Vec::new();
        if capacity.home {
            chain.extend(crate::registry::post_chain(home_kind, home.org_id, home.community_id, home.estate_id));
        }
        if capacity.host {
            chain.extend(host_chain);
        }
        if capacity.party_branch {
            chain.extend(Scope::community_chain(community));
        }
        chain.push(Scope::County);
        chain.dedup();
        let id = Uuid::now_v7();
        let decision = self.gate.require(actor, Resource::CrossAppointment, Action::Propose, &chain, Some(id)).await?;

        let now = self.clock.now();
        let acting_as = decision.acting_as.clone().unwrap_or_default();
        let write = self.gate.write(actor, decision, id, Bindings::Change).await?;
        let txn = write.conn();
        person::Entity::find_by_id(req.person_id.0).lock_exclusive().one(txn).await?;
        self.ensure_no_overlap(
            txn,
            req.person_id.0,
            proposal.host_kind,
            proposal.host_id,
            proposal.host_title,
            &proposal.term,
            None,
        )
        .await?;
        ca::Entity::insert(ca::ActiveModel {
            id: Set(id),
            person_id: Set(req.person_id.0),
            home_post_id: Set(home.id),
            home_org_kind: Set(home.org_kind.clone()),
            home_org_id: Set(home.org_id),
            host_kind: Set(proposal.host_kind.as_str().to_owned()),
            host_id: Set(proposal.host_id),
            host_title: Set(proposal.host_title.as_str().to_owned()),
            host_estate_id: Set(host_estate),
            community_id: Set(community.0),
            starts_on: Set(proposal.term.start),
            ends_on: Set(proposal.term.end.unwrap_or(proposal.term.start)),
            basis: Set(proposal.basis),
            status: Set(AppointmentStatus::Proposed.as_str().to_owned()),
            end_reason: Set(None),
            version: Set(0),
            created_at: Set(now),
            decided_at: Set(None),
        })
        .exec_without_returning(txn)
        .await?;
        let proposed = NewEvent {
            actor: Some(actor),
            acting_as: &acting_as,
            action: AppointmentAction::Propose.as_str(),
            from: None,
            to: AppointmentStatus::Proposed.as_str(),
            note,
            detail: None,
        };
        timeline::append(txn, Stream::CrossAppointment(id), proposed, now).await?;
        let row = ca::Entity::find_by_id(id).one(txn).await?.ok_or_else(|| Error::Unexpected("lost insert".into()))?;
        let view = self.views(txn, vec![row]).await?.pop().ok_or_else(|| Error::Unexpected("no view".into()))?;
        // The party branch decides: it is told a proposal waits.
        let label = view.host_name.clone();
        let notice = crate::notifications::Notice {
            kind: domain::notification::NoticeKind::AppointmentProposed,
            stream: Stream::CrossAppointment(id),
            label: &label,
            link: format!("/appointments/{id}"),
            to: vec![domain::notification::Recipient::Organization(OrgKind::PartyBranch, view.record.community_id.0)],
        };
        crate::notifications::notify(txn, actor, notice, now).await?;
        write.commit().await?;
        Ok(view)
    }

    /// Refuses a term overlapping an active appointment of the same person to the same host post.
    #[allow(clippy::too_many_arguments)]
    async fn ensure_no_overlap<C: ConnectionTrait>(
        &self,
        conn: &C,
        person_id: Uuid,
        host_kind: HostKind,
        host_id: Uuid,
        host_title: HostTitle,
        term: &DateRange,
        except: Option<Uuid>,
    ) -> Result<()> {
        let mut select = ca::Entity::find()
            .filter(ca::Column::PersonId.eq(person_id))
            .filter(ca::Column::HostKind.eq(host_kind.as_str()))
            .filter(ca::Column::HostId.eq(host_id))
            .filter(ca::Column::HostTitle.eq(host_title.as_str()))
            .filter(ca::Column::Status.eq(AppointmentStatus::Active.as_str()))
            .filter(ca::Column::EndsOn.gte(self.clock.today()));
        if let Some(id) = except {
            select = select.filter(ca::Column::Id.ne(id));
        }
        let clash = select
            .all(conn)
            .await?
            .iter()
            .any(|a| DateRange { start: a.starts_on, end: Some(a.ends_on) }.overlaps(term));
        if clash {
            return Err(DomainError::Conflict { code: Code::AppointmentOverlap }.into());
        }
        Ok(())
    }

    /// Approves, rejects, ends early or revokes (the party branch of the appointment's community).
    ///
    /// # Errors
    /// Not found, forbidden, a missing reason, a stale version or a status that does not allow
    /// the action (409), `appointment_overlap` on approval, database errors.
    pub async fn act(
        &self,
        actor: &Actor,
        id: Uuid,
        action: AppointmentAction,
        version: i32,
        note: Option<String>,
    ) -> Result<AppointmentView> {
        let note = domain::registry::validate_reason(note.as_deref())?;
        if action.needs_reason() && note.is_none() {
            return Err(DomainError::field("note", Code::ReasonRequired).into());
        }
        let current = ca::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound { entity: "cross_appointment" })?;
        let chain = Self::chain_of(&current);
        self.gate.require_visible(actor, Resource::CrossAppointment, &chain, id, "cross_appointment").await?;
        let verb = Action::of_appointment(action);
        // Deciding is for the party branch of the appointment's community alone.
        let community_chain = Scope::community_chain(current.community_id.into());
        let decision = self.gate.require(actor, Resource::CrossAppointment, verb, &community_chain, Some(id)).await?;

        let today = self.clock.today();
        let now = self.clock.now();
        let acting_as = decision.acting_as.clone().unwrap_or_default();
        let write = self.gate.write(actor, decision, id, Bindings::Change).await?;
        let txn = write.conn();
        let mut records = store::SqlRecords { txn, actor };
        let record = store::Records::lock(&mut records, id)
            .await?
            .ok_or(DomainError::NotFound { entity: "cross_appointment" })?;
        store::decide(&mut records, record, action, version, note, &acting_as, today, now).await?;
        let row =
            ca::Entity::find_by_id(id).one(txn).await?.ok_or(DomainError::NotFound { entity: "cross_appointment" })?;
        let view = self.views(txn, vec![row]).await?.pop().ok_or_else(|| Error::Unexpected("no view".into()))?;
        write.commit().await?;
        Ok(view)
    }

    /// The decisions the caller may take on an appointment now: allowed by the policy (the
    /// party branch of its community) and by its status as of today.
    #[must_use]
    pub fn allowed_actions(&self, actor: &Actor, view: &AppointmentView) -> Vec<AppointmentAction> {
        let possible: &[AppointmentAction] = match view.effective_status {
            AppointmentStatus::Proposed => &[AppointmentAction::Approve, AppointmentAction::Reject],
            AppointmentStatus::Active => &[AppointmentAction::End, AppointmentAction::Revoke],
            AppointmentStatus::Rejected | AppointmentStatus::Ended | AppointmentStatus::Revoked => &[],
        };
        let chain = Scope::community_chain(view.record.community_id);
        possible
            .iter()
            .copied()
            .filter(|a| self.gate.allows(actor, Resource::CrossAppointment, Action::of_appointment(*a), &chain))
            .collect()
    }

    /// Gets one appointment with its history.
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> Result<(AppointmentView, Vec<AppointmentEvent>)> {
        let row = ca::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound { entity: "cross_appointment" })?;
        if row.person_id != actor.person_id.0 {
            self.gate
                .require_visible(actor, Resource::CrossAppointment, &Self::chain_of(&row), id, "cross_appointment")
                .await?;
        }
        let history = timeline::read(&self.db, Stream::CrossAppointment(id))
            .await?
            .into_iter()
            .map(|e| AppointmentEvent {
                id: e.id,
                at: e.at,
                person_id: e.actor_person_id,
                acting_as: e.acting_as,
                action: e.action,
                from_status: e.from_status,
                to_status: e.to_status,
                // The history shows one note: what was said, with what the action carried.
                note: match (e.note, e.detail) {
                    (Some(n), Some(d)) => Some(format!("{n} ({d})")),
                    (n, d) => n.or(d),
                },
            })
            .collect();
        let view = self.views(&self.db, vec![row]).await?.pop().ok_or_else(|| Error::Unexpected("no view".into()))?;
        Ok((view, history))
    }

    /// The chain a list filter asks about.
    async fn filter_chain(&self, actor: &Actor, filter: &AppointmentFilter) -> Result<Option<Vec<Scope>>> {
        if let Some(c) = filter.community_id {
            return Ok(Some(Scope::community_chain(c)));
        }
        if let Some(org) = filter.organization_id {
            if community::Entity::find_by_id(org).one(&self.db).await?.is_some() {
                return Ok(Some(Scope::community_chain(org.into())));
            }
            if property_company::Entity::find_by_id(org).one(&self.db).await?.is_some() {
                return Ok(Some(Scope::company_chain(org.into())));
            }
            if let Some(oc) = owners_committee::Entity::find_by_id(org).one(&self.db).await? {
                if let Some(e) = estate::Entity::find_by_id(oc.estate_id).one(&self.db).await? {
                    return Ok(Some(Scope::estate_chain(e.id.into(), e.community_id.into())));
                }
            }
            return Err(DomainError::field("organization_id", Code::UnknownOrganization).into());
        }
        if filter.person_id == Some(actor.person_id) {
            return Ok(None);
        }
        Ok(Some(vec![Scope::County]))
    }

    fn filtered(&self, filter: &AppointmentFilter) -> sea_orm::Select<ca::Entity> {
        let mut select = ca::Entity::find();
        if let Some(c) = filter.community_id {
            select = select.filter(ca::Column::CommunityId.eq(c.0));
        }
        if let Some(org) = filter.organization_id {
            select = select.filter(Condition::any().add(ca::Column::HomeOrgId.eq(org)).add(ca::Column::HostId.eq(org)));
        }
        if let Some(p) = filter.person_id {
            select = select.filter(ca::Column::PersonId.eq(p.0));
        }
        if let Some(s) = filter.status {
            select = select.filter(ca::Column::Status.eq(s.as_str()));
        }
        if let Some(day) = filter.active_on {
            let held =
                Query::select().column(post::Column::Id).from(post::Entity).cond_where(in_force::post(day)).to_owned();
            select = select
                .filter(ca::Column::Status.eq(AppointmentStatus::Active.as_str()))
                .filter(ca::Column::StartsOn.lte(day))
                .filter(ca::Column::EndsOn.gte(day))
                .filter(ca::Column::HomePostId.in_subquery(held));
        }
        select
    }

    /// Lists appointments by community, organization, person, status or day in force.
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: AppointmentFilter,
        page: PageRequest,
    ) -> Result<Page<AppointmentView>> {
        let mut select = self.filtered(&filter);
        if filter.community_id.is_none() && filter.organization_id.is_none() && filter.person_id.is_none() {
            // No scope named: the appointments in the scopes where the caller may read them,
            // and their own.
            let scopes = self.gate.scopes_allowing(actor, Resource::CrossAppointment, Action::Read);
            if !scopes.contains(&Scope::County) {
                let mut visible = Condition::any().add(ca::Column::PersonId.eq(actor.person_id.0));
                for scope in scopes {
                    visible = visible.add(match scope {
                        Scope::Community(c) => Condition::all().add(ca::Column::CommunityId.eq(c.0)),
                        Scope::Company(p) => {
                            Condition::any().add(ca::Column::HomeOrgId.eq(p.0)).add(ca::Column::HostId.eq(p.0))
                        }
                        Scope::Estate(e) => Condition::all().add(ca::Column::HostEstateId.eq(e.0)),
                        Scope::Department(d) => Condition::all().add(ca::Column::HomeOrgId.eq(d.0)),
                        Scope::County => Condition::all(),
                    });
                }
                select = select.filter(visible);
            }
        } else if let Some(chain) = self.filter_chain(actor, &filter).await? {
            self.gate.require(actor, Resource::CrossAppointment, Action::Read, &chain, None).await?;
        }
        let rows = paging::fetch(&self.db, select, ca::Column::Id, |m| m.id, page, false).await?;
        let items = self.views(&self.db, rows.items).await?;
        Ok(Page { items, next_cursor: rows.next_cursor })
    }

    /// Everything a list would show, up to [`MAX_EXPORT_ROWS`], for the CSV export.
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn export(&self, actor: &Actor, filter: AppointmentFilter) -> Result<Vec<AppointmentView>> {
        if let Some(chain) = self.filter_chain(actor, &filter).await? {
            self.gate.require(actor, Resource::CrossAppointment, Action::Read, &chain, None).await?;
        }
        let rows = self.filtered(&filter).order_by_asc(ca::Column::Id).limit(MAX_EXPORT_ROWS).all(&self.db).await?;
        self.views(&self.db, rows).await
    }

    /// Turns rows into views: effective status and the names behind the ids, in a few queries.
    async fn views<C: ConnectionTrait>(&self, conn: &C, rows: Vec<ca::Model>) -> Result<Vec<AppointmentView>> {
        let today = self.clock.today();
        let ids = |f: fn(&ca::Model) -> Uuid| rows.iter().map(f).collect::<BTreeSet<Uuid>>();
        let people: HashMap<Uuid, String> = person::Entity::find()
            .filter(person::Column::Id.is_in(ids(|r| r.person_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let home_posts: HashMap<Uuid, post::Model> = post::Entity::find()
            .filter(post::Column::Id.is_in(ids(|r| r.home_post_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let orgs: BTreeSet<Uuid> = rows.iter().flat_map(|r| [r.home_org_id, r.host_id]).collect();
        let mut names: HashMap<Uuid, String> = HashMap::new();
        for c in community::Entity::find().filter(community::Column::Id.is_in(orgs.clone())).all(conn).await? {
            names.insert(c.id, format!("{}两委", c.name));
        }
        for p in
            property_company::Entity::find().filter(property_company::Column::Id.is_in(orgs.clone())).all(conn).await?
        {
            names.insert(p.id, p.name);
        }
        for oc in
            owners_committee::Entity::find().filter(owners_committee::Column::Id.is_in(orgs.clone())).all(conn).await?
        {
            names.insert(oc.id, oc.name);
        }
        for e in estate::Entity::find().filter(estate::Column::Id.is_in(orgs.clone())).all(conn).await? {
            names.insert(e.id, e.name);
        }
        for g in crate::entities::grid::Entity::find()
            .filter(crate::entities::grid::Column::Id.is_in(orgs.clone()))
            .all(conn)
            .await?
        {
            names.insert(g.id, g.name);
        }
        for d in crate::entities::department::Entity::find()
            .filter(crate::entities::department::Column::Id.is_in(orgs))
            .all(conn)
            .await?
        {
            names.insert(d.id, d.name);
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let record = to_domain(&row)?;
            let home = home_posts.get(&row.home_post_id);
            let held = home.is_some_and(|p| {
                domain::registry::in_force(&DateRange { start: p.starts_on, end: p.ends_on }, p.ended_at, today)
            });
            let home_org_name = match record.home_org_kind {
                OrgKind::PartyBranch => names.get(&row.home_org_id).map(|n| n.replace("两委", "党支部")),
                OrgKind::ResidentsCommittee => names.get(&row.home_org_id).map(|n| n.replace("两委", "居委会")),
                _ => names.get(&row.home_org_id).cloned(),
            };
            out.push(AppointmentView {
                effective_status: record.effective_status(today, held),
                in_force: record.in_force(today, held),
                person_name: people.get(&row.person_id).cloned().unwrap_or_default(),
                home_org_name: home_org_name.unwrap_or_default(),
                home_title: home.map(|p| p.title.clone()).unwrap_or_default(),
                host_name: names.get(&row.host_id).cloned().unwrap_or_default(),
                created_at: row.created_at,
                decided_at: row.decided_at,
                record,
            });
        }
        Ok(out)
    }

    /// Two-way-entry coverage of a community as of today.
    ///
    /// # Errors
    /// Unknown community, forbidden, database errors.
    pub async fn coverage(&self, actor: &Actor, community_id: CommunityId) -> Result<Coverage> {
        community::Entity::find_by_id(community_id.0)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound { entity: "community" })?;
        self.gate
            .require(actor, Resource::CrossAppointment, Action::Read, &Scope::community_chain(community_id), None)
            .await?;
        let today = self.clock.today();
        let filter =
            AppointmentFilter { community_id: Some(community_id), active_on: Some(today), ..Default::default() };
        let in_force: Vec<ca::Model> = self.filtered(&filter).all(&self.db).await?;
        let committees_kind = |k: &str| k == OrgKind::PartyBranch.as_str() || k == OrgKind::ResidentsCommittee.as_str();

        let estates = estate::Entity::find()
            .filter(estate::Column::CommunityId.eq(community_id.0))
            .filter(estate::Column::EndedAt.is_null())
            .order_by_asc(estate::Column::Id)
            .all(&self.db)
            .await?;
        let contracts = service_contract::Entity::find()
            .filter(service_contract::Column::EstateId.is_in(estates.iter().map(|e| e.id)))
            .filter(in_force::contract(today))
            .all(&self.db)
            .await?;
        let serving: HashMap<Uuid, Uuid> = contracts.iter().map(|c| (c.estate_id, c.company_id)).collect();
        let companies: HashMap<Uuid, String> = property_company::Entity::find()
            .filter(property_company::Column::Id.is_in(serving.values().copied()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let estate_items = estates
            .iter()
            .map(|e| {
                let company = serving.get(&e.id).copied();
                // Two-way entry, either direction: the company's people on the community
                // committees, or community committee members placed in the company.
                let covering: Vec<Uuid> = company
                    .map(|c| {
                        in_force
                            .iter()
                            .filter(|a| {
                                (a.home_org_id == c && a.host_kind == HostKind::CommunityCommittees.as_str())
                                    || (a.host_id == c && committees_kind(&a.home_org_kind))
                            })
                            .map(|a| a.id)
                            .collect()
                    })
                    .unwrap_or_default();
                CoverageItem {
                    id: e.id,
                    name: e.name.clone(),
                    company_id: company,
                    company_name: company.and_then(|c| companies.get(&c).cloned()),
                    covered: !covering.is_empty(),
                    appointment_ids: covering,
                }
            })
            .collect();

        let committees = owners_committee::Entity::find()
            .filter(owners_committee::Column::EstateId.is_in(estates.iter().map(|e| e.id)))
            .filter(in_force::committee(today))
            .order_by_asc(owners_committee::Column::Id)
            .all(&self.db)
            .await?;
        let committee_items = committees
            .iter()
            .map(|oc| {
                let covering: Vec<Uuid> = in_force
                    .iter()
                    .filter(|a| a.host_id == oc.id && committees_kind(&a.home_org_kind))
                    .map(|a| a.id)
                    .collect();
                CoverageItem {
                    id: oc.id,
                    name: oc.name.clone(),
                    company_id: None,
                    company_name: None,
                    covered: !covering.is_empty(),
                    appointment_ids: covering,
                }
            })
            .collect();
        Ok(Coverage { community_id, as_of: today, estates: estate_items, committees: committee_items })
    }
}
