//! Joint complaint use cases: file, list, get (with the actions the caller may take now),
//! the timeline, every action of the lifecycle, and closing resolved cases nobody answered.
//!
//! Each action, its timeline event and its audit row commit in one transaction; the row is
//! locked and its `version` checked, so of two racing actions exactly one applies.

mod filing;
pub mod store;

pub use filing::FileRequest;

use crate::actor::Actor;
use crate::authz::{Bindings, Gate};
use crate::db::begin_write;
use crate::entities::{complaint as cm, complaint_cosigner as cs, department, estate, person};
use crate::error::{Error, Result};
use crate::notifications::{notify, Notice};
use crate::paging::{self, Page, PageRequest};
use crate::timeline::{self, NewEvent, Stream};
use chrono::{DateTime, Duration, Utc};
use domain::authz::{Action, Resource, Role, Scope};
use domain::clock::Clock;
use domain::complaint::{
    mask_name, ActionInput, ActorFacts, Category, Complaint, ComplaintAction, ComplaintStatus, DeadlineRules, Rating,
    AUTO_CLOSE_AFTER_DAYS, NOTE_MAX_CHARS,
};
use domain::ids::{CommunityId, DepartmentId, EstateId, PropertyCompanyId};
use domain::notification::{NoticeKind, Recipient};
use domain::registry::{mask_phone, OrgKind};
use domain::Code;
use domain::DomainError;
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use uuid::Uuid;

/// List filters.
#[derive(Debug, Clone, Copy, Default)]
pub struct ComplaintFilter {
    /// In this estate.
    pub estate_id: Option<EstateId>,
    /// In this community.
    pub community_id: Option<CommunityId>,
    /// Handled by this company.
    pub company_id: Option<PropertyCompanyId>,
    /// Escalated to this department.
    pub department_id: Option<DepartmentId>,
    /// In this status.
    pub status: Option<ComplaintStatus>,
    /// Of this category.
    pub category: Option<Category>,
    /// Only overdue (or only not overdue).
    pub overdue: Option<bool>,
    /// Only what the caller filed or co-signed.
    pub mine: bool,
}

/// A case as shown to one caller.
#[derive(Debug, Clone)]
pub struct ComplaintView {
    /// The case.
    pub complaint: Complaint,
    /// The estate's name.
    pub estate_name: String,
    /// A deadline has passed (derived from the clock).
    pub overdue: bool,
    /// The filer's name, masked for whoever does not handle the case.
    pub filer_name: String,
    /// The filer's phone, masked likewise.
    pub filer_phone: Option<String>,
    /// Whether the filer's name and phone are masked.
    pub filer_masked: bool,
    /// The actions this caller may take now (filled for single cases, empty in lists).
    pub allowed_actions: Vec<ComplaintAction>,
}

/// The names a case is shown with (read with it, or in a batch for a list).
#[derive(Debug, Clone, Default)]
struct Names {
    filer_name: String,
    filer_phone: Option<String>,
    estate_name: String,
}

/// One event of a case's timeline.
#[derive(Debug, Clone)]
pub struct TimelineEvent {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (absent for the system).
    pub actor_person_id: Option<Uuid>,
    /// Their name, masked where personal.
    pub actor_name: String,
    /// As which binding (`role@scope`), or `system`.
    pub acting_as: String,
    /// What.
    pub action: String,
    /// Status before.
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: String,
    /// Note or reason.
    pub note: Option<String>,
    /// What the action carried: rating, department, new deadline.
    pub detail: Option<String>,
}

/// A community's open cases now.
#[derive(Debug, Clone)]
pub struct CommunityLoad {
    /// The community.
    pub community_id: CommunityId,
    /// Open cases.
    pub open: u32,
    /// Of which overdue.
    pub overdue: u32,
    /// Of which disputed or in mediation.
    pub disputed: u32,
}

/// Complaint use cases.
#[derive(Clone)]
pub struct Complaints {
    db: DatabaseConnection,
    gate: Gate,
    clock: Arc<dyn Clock>,
    rules: DeadlineRules,
    /// Filings that arrive together are written together (see [`filing`]).
    filings: filing::Filings,
    /// Where filings go, kept for a moment.
    places: Arc<filing::Places>,
}

fn bad(what: &str, id: Uuid) -> Error {
    Error::Unexpected(format!("stored {what} of complaint {id} is invalid"))
}

fn to_domain(m: &cm::Model) -> Result<Complaint> {
    Ok(Complaint {
        id: m.id,
        case_number: m.case_number.clone(),
        estate_id: m.estate_id.into(),
        community_id: m.community_id.into(),
        category: m.category.parse().map_err(|_| bad("category", m.id))?,
        priority: m.priority.parse().map_err(|_| bad("priority", m.id))?,
        title: m.title.clone(),
        description: m.description.clone(),
        filer_id: m.filer_id.into(),
        for_committee: m.for_committee,
        handling_company_id: m.handling_company_id.map(Into::into),
        department_id: m.department_id.map(Into::into),
        reported_in: m.reported_in,
        status: m.status.parse().map_err(|_| bad("status", m.id))?,
        respond_by: m.respond_by,
        resolve_by: m.resolve_by,
        resolved_at: m.resolved_at,
        closed_at: m.closed_at,
        rating: m.rating.as_deref().map(str::parse::<Rating>).transpose().map_err(|_| bad("rating", m.id))?,
        cosign_count: m.cosign_count,
        joint: m.joint,
        filed_at: m.filed_at,
        version: m.version,
    })
}

/// The scopes a case lies in for reading: its estate and community, the company that handles
/// it (which keeps its history), and the department it was escalated to.
fn read_chain(c: &Complaint) -> Vec<Scope> {
    let mut chain = vec![Scope::Estate(c.estate_id), Scope::Community(c.community_id)];
    chain.extend(c.handling_company_id.map(Scope::Company));
    chain.extend(c.department_id.map(Scope::Department));
    chain.push(Scope::County);
    chain
}

/// The scopes for acting: the company acts through its binding to the estate it serves
/// today, so a company whose contract ended no longer acts.
fn act_chain(c: &Complaint) -> Vec<Scope> {
    let mut chain = vec![Scope::Estate(c.estate_id), Scope::Community(c.community_id)];
    chain.extend(c.department_id.map(Scope::Department));
    chain.push(Scope::County);
    chain
}

fn open_statuses() -> Vec<&'static str> {
    ComplaintStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect()
}

/// Overdue at `now`: not accepted by respond-by, or open past resolve-by (as
/// [`Complaint::overdue`] decides for one case).
fn late(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(cm::Column::Status.eq(ComplaintStatus::Submitted.as_str()))
                .add(cm::Column::RespondBy.lt(now)),
        )
        .add(Condition::all().add(cm::Column::Status.is_in(open_statuses())).add(cm::Column::ResolveBy.lt(now)))
}

fn link(id: Uuid) -> String {
    format!("/complaints/{id}")
}

/// Whose turn an action makes it, and what they are told: the company when a case comes (back)
/// to it or is to be redone, the community committees when it is returned, the filer (and the
/// owners' committee, for a case filed for it or co-signed by it) when it is resolved, the party
/// branch when it is disputed or reopened, the department when it is escalated.
fn notice_for(
    action: ComplaintAction,
    c: &Complaint,
    department: Option<DepartmentId>,
) -> Option<(NoticeKind, Vec<Recipient>)> {
    let community = c.community_id.0;
    let company = || c.handling_company_id.map(|p| vec![Recipient::Organization(OrgKind::PropertyCompany, p.0)]);
    match action {
        ComplaintAction::Reassign => company().map(|to| (NoticeKind::CaseReassigned, to)),
        ComplaintAction::Return => Some((
            NoticeKind::CaseReturned,
            vec![
                Recipient::Organization(OrgKind::PartyBranch, community),
                Recipient::Organization(OrgKind::ResidentsCommittee, community),
            ],
        )),
        ComplaintAction::Resolve | ComplaintAction::Answer => {
            let mut to = vec![Recipient::Person(c.filer_id.0)];
            // A case filed for the committee, or one it co-signed, is the committee's to check.
            if c.for_committee || c.joint {
                to.push(Recipient::EstateCommittee(c.estate_id.0));
            }
            Some((NoticeKind::CaseResolved, to))
        }
        ComplaintAction::Dispute | ComplaintAction::Reopen => {
            Some((NoticeKind::CaseDisputed, vec![Recipient::Organization(OrgKind::PartyBranch, community)]))
        }
        ComplaintAction::OrderRedo => company().map(|to| (NoticeKind::CaseRedo, to)),
        ComplaintAction::Escalate => {
            department.map(|d| (NoticeKind::CaseEscalated, vec![Recipient::Organization(OrgKind::Department, d.0)]))
        }
        ComplaintAction::Accept
        | ComplaintAction::Confirm
        | ComplaintAction::Mediate
        | ComplaintAction::Uphold
        | ComplaintAction::ReportIn
        | ComplaintAction::Withdraw
        | ComplaintAction::Urge
        | ComplaintAction::Comment
        | ComplaintAction::Cosign
        | ComplaintAction::AutoClose
        | ComplaintAction::File => None,
    }
}

fn on_committee(actor: &Actor, estate: EstateId) -> bool {
    actor.bindings.iter().any(|b| b.role == Role::OwnersCommitteeMember && b.scope == Scope::Estate(estate))
}

fn holds(actor: &Actor, kind: OrgKind, id: Option<Uuid>) -> bool {
    id.is_some_and(|id| actor.posts.iter().any(|p| p.org_kind == kind && p.org_id == id))
}

/// Whether the viewer handles the case, and so sees the filer's name and phone whole. A
/// part-time committee member oversees but does not handle: they see residents masked.
fn handles(actor: &Actor, c: &Complaint) -> bool {
    let committees = actor.bindings.iter().any(|b| {
        b.scope == Scope::Community(c.community_id)
            && matches!(
                b.role,
                Role::PartyBranchSecretary
                    | Role::PartyBranchMember
                    | Role::ResidentsCommitteeMember
                    | Role::GridWorker
            )
    });
    actor.is_admin
        || actor.person_id == c.filer_id
        || committees
        || holds(actor, OrgKind::PropertyCompany, c.handling_company_id.map(|p| p.0))
        || holds(actor, OrgKind::Department, c.department_id.map(|d| d.0))
}

impl Complaints {
    /// The use cases, with deadlines from `rules`.
    #[must_use]
    pub fn new(db: DatabaseConnection, gate: Gate, clock: Arc<dyn Clock>, rules: DeadlineRules) -> Self {
        let filings = filing::writer(db.clone());
        Self { db, gate, clock, rules, filings, places: Arc::default() }
    }

    /// Only someone who may co-sign, or sees only their own cases, can have co-signed a case:
    /// the lookup is skipped for everyone else (staff, committees, departments).
    fn may_have_cosigned(&self, actor: &Actor, c: &Complaint) -> bool {
        let chain = act_chain(c);
        [Action::Cosign, Action::ReadOwn].into_iter().any(|a| self.gate.allows(actor, Resource::Complaint, a, &chain))
    }

    /// What the caller is to the case, given whether they count as one of its co-signers.
    fn facts_given(&self, actor: &Actor, c: &Complaint, cosigned: bool) -> ActorFacts {
        let committee = on_committee(actor, c.estate_id);
        ActorFacts {
            is_filer: actor.person_id == c.filer_id || (c.for_committee && committee),
            in_handling_company: holds(actor, OrgKind::PropertyCompany, c.handling_company_id.map(|p| p.0)),
            in_department: holds(actor, OrgKind::Department, c.department_id.map(|d| d.0)),
            has_cosigned: cosigned,
            on_committee: committee,
        }
    }

    /// Whether the caller may see the case: everything in their scope, or (residents) what
    /// they filed or co-signed.
    fn may_read(&self, actor: &Actor, c: &Complaint, facts: ActorFacts) -> bool {
        let chain = read_chain(c);
        self.gate.allows(actor, Resource::Complaint, Action::Read, &chain)
            || ((facts.is_filer || facts.has_cosigned)
                && self.gate.allows(actor, Resource::Complaint, Action::ReadOwn, &chain))
    }

    /// Refuses, as "not found" and audited, a case the caller may not see.
    async fn ensure_visible(&self, actor: &Actor, c: &Complaint, facts: ActorFacts) -> Result<()> {
        if self.may_read(actor, c, facts) {
            return Ok(());
        }
        self.gate.require_visible(actor, Resource::Complaint, &read_chain(c), c.id, "complaint").await
    }

    /// The actions the caller may take now: allowed by the policy *and* by the state machine.
    fn allowed_actions(&self, actor: &Actor, c: &Complaint, facts: ActorFacts) -> Vec<ComplaintAction> {
        let now = self.clock.now();
        let chain = act_chain(c);
        ComplaintAction::requestable()
            .filter(|a| self.gate.allows(actor, Resource::Complaint, Action::of_complaint(*a), &chain))
            .filter(|a| c.check(*a, facts, now).is_ok())
            .collect()
    }

    /// A single case as `actor` sees it now, with the actions they may take on it.
    fn answered(&self, actor: &Actor, c: Complaint, names: Names, facts: ActorFacts) -> ComplaintView {
        let mut view = self.view_of(actor, c, names, self.clock.now());
        view.allowed_actions = self.allowed_actions(actor, &view.complaint, facts);
        view
    }

    /// A case as `actor` sees it: the filer's name and phone whole only for whoever handles it.
    fn view_of(&self, actor: &Actor, c: Complaint, names: Names, now: DateTime<Utc>) -> ComplaintView {
        let whole = handles(actor, &c);
        let Names { filer_name: name, filer_phone: phone, estate_name } = names;
        ComplaintView {
            estate_name,
            overdue: c.overdue(now),
            filer_name: if whole { name } else { mask_name(&name) },
            filer_phone: if whole { phone } else { phone.map(|p| mask_phone(&p)) },
            filer_masked: !whole,
            allowed_actions: Vec::new(),
            complaint: c,
        }
    }

    /// A case as `actor` reads it, in one query (the read every case page and
    /// `GET /complaints/{id}` starts with): the row, its filer's name and phone and its estate's
    /// name, and what the caller is to it (whether they co-signed it is read with the row).
    async fn read_as(&self, actor: &Actor, id: Uuid) -> Result<(Complaint, Names, ActorFacts)> {
        self.read_in(&self.db, actor, id, false)
            .await?
            .ok_or_else(|| DomainError::NotFound { entity: "complaint" }.into())
    }

    /// [`Complaints::read_as`] on `conn`; with `lock`, the case's row (only it) is locked until
    /// the transaction ends (`FOR UPDATE OF complaints` on PostgreSQL; SQLite's write
    /// transaction already holds the database).
    async fn read_in<C: ConnectionTrait>(
        &self,
        conn: &C,
        actor: &Actor,
        id: Uuid,
        lock: bool,
    ) -> Result<Option<(Complaint, Names, ActorFacts)>> {
        use sea_orm::sea_query::{ExprTrait, LockType};
        use sea_orm::Iterable;
        let cosigned = Query::select()
            .expr(Expr::val(1))
            .from(cs::Entity)
            .and_where(Expr::col((cs::Entity, cs::Column::ComplaintId)).equals((cm::Entity, cm::Column::Id)))
            .and_where(Expr::col((cs::Entity, cs::Column::PersonId)).eq(actor.person_id.0))
            .to_owned();
        let mut query = Query::select()
            .columns(cm::Column::iter().map(|c| (cm::Entity, c)))
            .expr_as(Expr::case(Expr::exists(cosigned), 1).finally(0), "cosigned")
            .from(cm::Entity)
            .and_where(Expr::col((cm::Entity, cm::Column::Id)).eq(id))
            .to_owned();
        with_names(&mut query);
        if lock {
            query.lock_with_tables(LockType::Update, [cm::Entity]);
        }
        let Some(found) = conn.query_one(&query).await? else {
            return Ok(None);
        };
        let (row, names) = named(&found)?;
        let cosigned: i32 = found.try_get("", "cosigned")?;
        let c = to_domain(&row)?;
        let facts = self.facts_given(actor, &c, cosigned != 0 && self.may_have_cosigned(actor, &c));
        Ok(Some((c, names, facts)))
    }

    /// Finds a case by its number (`CFL-2026-000001`), as [`Complaints::get`] would show it:
    /// a case the caller may not see is "not found" like one that does not exist.
    ///
    /// # Errors
    /// Not found, database errors.
    pub async fn find_by_number(&self, actor: &Actor, case_number: &str) -> Result<ComplaintView> {
        let id = cm::Entity::find()
            .filter(cm::Column::CaseNumber.eq(case_number.trim().to_uppercase()))
            .select_only()
            .column(cm::Column::Id)
            .into_tuple::<Uuid>()
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound { entity: "complaint" })?;
        self.get(actor, id).await
    }

    /// Gets a case, with the actions the caller may take now.
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> Result<ComplaintView> {
        let (c, names, facts) = self.read_as(actor, id).await?;
        self.ensure_visible(actor, &c, facts).await?;
        Ok(self.answered(actor, c, names, facts))
    }

    /// Takes an action on a case.
    ///
    /// # Errors
    /// Not found (not the caller's to see), forbidden (not the caller's party), 409 for the
    /// wrong moment, a stale version or the wrong person, validation, database errors.
    #[tracing::instrument(skip_all, fields(complaint = %id, action = %action))]
    pub async fn act(
        &self,
        actor: &Actor,
        id: Uuid,
        action: ComplaintAction,
        mut input: ActionInput,
    ) -> Result<ComplaintView> {
        if !action.is_requestable() {
            return Err(DomainError::field("action", Code::InvalidAction).into());
        }
        let mut v = domain::error::Validator::new();
        v.optional_text("note", input.note.as_deref(), NOTE_MAX_CHARS);
        v.optional_text("reason", input.reason.as_deref(), NOTE_MAX_CHARS);
        v.finish()?;
        // Kept as the databases keep it, so the answer below is what a later read returns.
        input.resolve_by = input.resolve_by.map(domain::clock::stored);
        let verb = Action::of_complaint(action);
        let now = self.clock.now();

        // The case is read once, locked, with its names, and every check is made on what is
        // locked: no second read, and nothing can change between the check and the write. The
        // lock comes before the checks, so a refused request holds it too, briefly (a read and a
        // rollback; on SQLite that is the database's one write lock): no longer than an allowed
        // comment, which any resident may post on their own case.
        let mut write = self.gate.begin(actor, Bindings::Same).await?;
        let (mut c, names, facts) =
            self.read_in(write.conn(), actor, id, true).await?.ok_or(DomainError::NotFound { entity: "complaint" })?;
        let chain = act_chain(&c);
        // Every action, co-signing included, needs the case to be visible to the caller: what
        // one may not see, one is not told the state of either.
        let granted = if self.may_read(actor, &c, facts) {
            self.gate.grant(actor, Resource::Complaint, verb, &chain)
        } else {
            None
        };
        let Some(decision) = granted else {
            // The refusal is audited whatever became of the rollback (dropping the transaction
            // rolls it back too).
            if let Err(e) = write.rollback().await {
                tracing::warn!(error = %e, "rolling back a refused action failed");
            }
            return Err(self.refusal(actor, &c, facts, verb).await);
        };
        let acting_as = decision.acting_as.clone().unwrap_or_default();
        write.also(decision, id);
        let txn = write.conn();
        if let Some(d) = input.department_id {
            let known = department::Entity::find_by_id(d.0).one(txn).await?.is_some_and(|d| d.ended_at.is_none());
            if !known {
                return Err(DomainError::field("department_id", Code::UnknownDepartment).into());
            }
        }
        let notice = notice_for(action, &c, input.department_id);
        let label = c.case_number.clone();
        let change = store::Change { person: actor.person_id, acting_as, facts, action, input };
        store::take(&mut store::SqlCases { txn, actor }, &mut c, change, &self.rules, now).await?;
        if let Some((kind, to)) = notice {
            notify(txn, actor, Notice { kind, stream: Stream::Complaint(id), label: &label, link: link(id), to }, now)
                .await?;
        }
        write.commit().await?;
        // The answer is the case as saved, not read again, shown as a read now would show it.
        let cosigned = (facts.has_cosigned || action == ComplaintAction::Cosign) && self.may_have_cosigned(actor, &c);
        let facts = self.facts_given(actor, &c, cosigned);
        Ok(self.answered(actor, c, names, facts))
    }

    /// Why `actor` may not take `verb` on `c`, audited: "not found" for a case they may not see,
    /// forbidden for one they see but may not act on.
    async fn refusal(&self, actor: &Actor, c: &Complaint, facts: ActorFacts, verb: Action) -> Error {
        if let Err(e) = self.ensure_visible(actor, c, facts).await {
            return e;
        }
        match self.gate.require(actor, Resource::Complaint, verb, &act_chain(c), Some(c.id)).await {
            Err(e) => e,
            // Not reached: the same gate refused this actor the same thing a moment ago, and
            // policies and actors do not change within a request. Refused all the same.
            Ok(_) => {
                tracing::error!(complaint = %c.id, "the gate refused an action, then allowed it");
                Error::Forbidden
            }
        }
    }

    /// A case's timeline, oldest first.
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn timeline(&self, actor: &Actor, id: Uuid) -> Result<Vec<TimelineEvent>> {
        let (c, _, facts) = self.read_as(actor, id).await?;
        self.ensure_visible(actor, &c, facts).await?;
        self.events_of(actor, &c).await
    }

    /// A case with the caller's actions and its timeline, checked once (a case page).
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn detail(&self, actor: &Actor, id: Uuid) -> Result<(ComplaintView, Vec<TimelineEvent>)> {
        let (c, names, facts) = self.read_as(actor, id).await?;
        self.ensure_visible(actor, &c, facts).await?;
        let events = self.events_of(actor, &c).await?;
        Ok((self.answered(actor, c, names, facts), events))
    }

    /// The timeline of a case the caller may see, with residents masked as [`handles`] says.
    async fn events_of(&self, actor: &Actor, c: &Complaint) -> Result<Vec<TimelineEvent>> {
        let mut events = timeline::read(&self.db, Stream::Complaint(c.id)).await?;
        // The tasks joint meetings assigned about the case are part of its timeline.
        events.extend(crate::meetings::tasks::complaint_events(&self.db, &self.gate, actor, c.id).await?);
        events.sort_by_key(|e| e.id);
        let people: HashMap<Uuid, String> = person::Entity::find()
            .filter(person::Column::Id.is_in(events.iter().filter_map(|e| e.actor_person_id).collect::<BTreeSet<_>>()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        // Only a case someone co-signed has co-signers to look up.
        let cosigners: BTreeSet<Uuid> = if c.cosign_count > 0 {
            cs::Entity::find()
                .filter(cs::Column::ComplaintId.eq(c.id))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|c| c.person_id)
                .collect()
        } else {
            BTreeSet::new()
        };
        let whole = handles(actor, c);
        Ok(events
            .into_iter()
            .map(|e| {
                let name = e.actor_person_id.and_then(|p| people.get(&p).cloned()).unwrap_or_else(|| "系统".to_owned());
                // Residents' names are personal data; officials act in their office.
                let private = e.actor_person_id.is_some_and(|p| p == c.filer_id.0 || cosigners.contains(&p));
                let mine = e.actor_person_id == Some(actor.person_id.0);
                let masked = private && !whole && !mine;
                TimelineEvent {
                    id: e.id,
                    at: e.at,
                    // A masked resident's id would lead to their name elsewhere.
                    actor_person_id: if masked { None } else { e.actor_person_id },
                    actor_name: if masked { mask_name(&name) } else { name },
                    acting_as: e.acting_as,
                    action: e.action,
                    from_status: e.from_status,
                    to_status: e.to_status,
                    note: e.note,
                    detail: e.detail,
                }
            })
            .collect())
    }

    /// Lists cases, newest first. `mine` needs no other filter; otherwise the filters decide
    /// the scope the caller must be able to read (residents see only their own there).
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn list(&self, actor: &Actor, filter: ComplaintFilter, page: PageRequest) -> Result<Page<ComplaintView>> {
        let mut select = cm::Entity::find();
        let own = Condition::any().add(cm::Column::FilerId.eq(actor.person_id.0)).add(
            cm::Column::Id.in_subquery(
                Query::select()
                    .column(cs::Column::ComplaintId)
                    .from(cs::Entity)
                    .and_where(cs::Column::PersonId.eq(actor.person_id.0))
                    .to_owned(),
            ),
        );
        let scoped = filter.estate_id.is_some()
            || filter.community_id.is_some()
            || filter.company_id.is_some()
            || filter.department_id.is_some();
        if filter.mine {
            select = select.filter(own);
        } else if !scoped {
            // No scope named: every case the caller may read, by the scopes of their bindings,
            // and (residents) what they filed or co-signed.
            let scopes = self.gate.scopes_allowing(actor, Resource::Complaint, Action::Read);
            if !scopes.contains(&Scope::County) {
                let mut visible = Condition::any();
                for scope in scopes {
                    visible = visible.add(match scope {
                        Scope::Estate(e) => cm::Column::EstateId.eq(e.0),
                        Scope::Community(c) => cm::Column::CommunityId.eq(c.0),
                        Scope::Company(p) => cm::Column::HandlingCompanyId.eq(p.0),
                        Scope::Department(d) => cm::Column::DepartmentId.eq(d.0),
                        Scope::County => cm::Column::Id.is_not_null(),
                    });
                }
                if !self.gate.scopes_allowing(actor, Resource::Complaint, Action::ReadOwn).is_empty() {
                    visible = visible.add(own);
                }
                select = select.filter(visible);
            }
        } else {
            let chain = match (filter.estate_id, filter.community_id, filter.company_id, filter.department_id) {
                (Some(e), _, _, _) => {
                    let row = estate::Entity::find_by_id(e.0)
                        .one(&self.db)
                        .await?
                        .ok_or_else(|| DomainError::field("estate_id", Code::UnknownEstate))?;
                    Scope::estate_chain(e, row.community_id.into())
                }
                (None, Some(c), _, _) => Scope::community_chain(c),
                (None, None, Some(p), _) => Scope::company_chain(p),
                (None, None, None, Some(d)) => Scope::department_chain(d),
                (None, None, None, None) => vec![Scope::County],
            };
            if !self.gate.allows(actor, Resource::Complaint, Action::Read, &chain) {
                // Residents see only what they filed or co-signed in their estate.
                let own_only =
                    filter.estate_id.is_some() && self.gate.allows(actor, Resource::Complaint, Action::ReadOwn, &chain);
                if !own_only {
                    self.gate.require(actor, Resource::Complaint, Action::Read, &chain, None).await?;
                }
                select = select.filter(own);
            }
        }
        if let Some(e) = filter.estate_id {
            select = select.filter(cm::Column::EstateId.eq(e.0));
        }
        if let Some(c) = filter.community_id {
            select = select.filter(cm::Column::CommunityId.eq(c.0));
        }
        if let Some(p) = filter.company_id {
            select = select.filter(cm::Column::HandlingCompanyId.eq(p.0));
        }
        if let Some(d) = filter.department_id {
            select = select.filter(cm::Column::DepartmentId.eq(d.0));
        }
        if let Some(s) = filter.status {
            select = select.filter(cm::Column::Status.eq(s.as_str()));
        }
        if let Some(cat) = filter.category {
            select = select.filter(cm::Column::Category.eq(cat.as_str()));
        }
        if let Some(overdue) = filter.overdue {
            let late = late(self.clock.now());
            select = select.filter(if overdue { late } else { late.not() });
        }
        // One query: the page, each case with its filer's and estate's names.
        let mut query = sea_orm::QueryTrait::into_query(paging::one_more(select, cm::Column::Id, page, true));
        with_names(&mut query);
        let found = self.db.query_all_raw(self.db.get_database_backend().build(&query)).await?;
        let rows = found.iter().map(named).collect::<Result<Vec<_>>>()?;
        let rows = paging::cut(rows, page, |(row, _)| row.id);
        let now = self.clock.now();
        let items = rows
            .items
            .into_iter()
            .map(|(row, names)| Ok(self.view_of(actor, to_domain(&row)?, names, now)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, next_cursor: rows.next_cursor })
    }

    /// Closes resolved cases nobody confirmed or disputed within 7 days, with no rating.
    /// Safe with several replicas: each close is a conditional update on the version, so a
    /// case closes once. Returns how many this call closed.
    ///
    /// # Errors
    /// Database errors.
    pub async fn close_expired(&self) -> Result<usize> {
        let now = self.clock.now();
        let due = cm::Entity::find()
            .filter(cm::Column::Status.eq(ComplaintStatus::Resolved.as_str()))
            .filter(cm::Column::ResolvedAt.lte(now - Duration::days(AUTO_CLOSE_AFTER_DAYS)))
            .order_by_asc(cm::Column::Id)
            .limit(500)
            .all(&self.db)
            .await?;
        let mut closed = 0;
        for row in due {
            // The state machine decides, as for any action: resolved, and due.
            let mut c = to_domain(&row)?;
            let input = ActionInput { version: row.version, ..ActionInput::default() };
            let Ok(transition) = c.apply(ComplaintAction::AutoClose, &input, ActorFacts::default(), &self.rules, now)
            else {
                continue;
            };
            let txn = begin_write(&self.db).await?;
            let done = cm::Entity::update_many()
                .col_expr(cm::Column::Status, Expr::value(c.status.as_str()))
                .col_expr(cm::Column::ClosedAt, Expr::value(c.closed_at))
                .col_expr(cm::Column::Version, Expr::value(c.version))
                .col_expr(cm::Column::LastEventAt, Expr::value(Some(now)))
                .filter(cm::Column::Id.eq(row.id))
                .filter(cm::Column::Version.eq(row.version))
                .exec(&txn)
                .await?;
            if done.rows_affected == 1 {
                let event = NewEvent {
                    actor: None,
                    acting_as: "system",
                    action: ComplaintAction::AutoClose.as_str(),
                    from: Some(transition.from.as_str()),
                    to: transition.to.as_str(),
                    note: Some(format!("办结后{AUTO_CLOSE_AFTER_DAYS}日内未确认或提出异议，自动结案")),
                    detail: None,
                };
                timeline::append(&txn, Stream::Complaint(row.id), event, now).await?;
                txn.commit().await?;
                closed += 1;
            } else {
                txn.rollback().await?;
            }
        }
        Ok(closed)
    }

    /// One row per community the caller may read whole: cases open, overdue and disputed now
    /// (the street's and county's desk). Communities with no open case are left out.
    ///
    /// # Errors
    /// Database errors.
    pub async fn open_by_community(&self, actor: &Actor) -> Result<Vec<CommunityLoad>> {
        let scopes = self.gate.scopes_allowing(actor, Resource::Complaint, Action::Read);
        let mut select = cm::Entity::find().filter(cm::Column::Status.is_in(open_statuses()));
        if !scopes.contains(&Scope::County) {
            let communities: Vec<Uuid> =
                scopes.iter().filter_map(|s| if let Scope::Community(c) = s { Some(c.0) } else { None }).collect();
            select = select.filter(cm::Column::CommunityId.is_in(communities));
        }
        // Counted by the database, with the same "overdue" as the list filter (`late`).
        let count_if = |c: Condition| sea_orm::sea_query::SimpleExpr::from(Func::sum(Expr::case(c, 1).finally(0)));
        let disputed = Condition::any()
            .add(cm::Column::Status.eq(ComplaintStatus::Disputed.as_str()))
            .add(cm::Column::Status.eq(ComplaintStatus::Mediating.as_str()));
        let rows: Vec<(Uuid, i64, i64, i64)> = select
            .select_only()
            .column(cm::Column::CommunityId)
            .column_as(cm::Column::Id.count(), "open")
            .column_as(count_if(late(self.clock.now())), "overdue")
            .column_as(count_if(disputed), "disputed")
            .group_by(cm::Column::CommunityId)
            .order_by_asc(cm::Column::CommunityId)
            .into_tuple()
            .all(&self.db)
            .await?;
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(rows
            .into_iter()
            .map(|(community, open, overdue, disputed)| CommunityLoad {
                community_id: community.into(),
                open: count(open),
                overdue: count(overdue),
                disputed: count(disputed),
            })
            .collect())
    }

    /// The deadline rules in force.
    #[must_use]
    pub fn rules(&self) -> &DeadlineRules {
        &self.rules
    }
}

/// Adds a case's filer's name and phone and its estate's name to a select from `complaints`.
fn with_names(query: &mut sea_orm::sea_query::SelectStatement) {
    use sea_orm::sea_query::ExprTrait;
    query
        .expr_as(Expr::col((person::Entity, person::Column::Name)), "filer_name")
        .expr_as(Expr::col((person::Entity, person::Column::Phone)), "filer_phone")
        .expr_as(Expr::col((estate::Entity, estate::Column::Name)), "estate_name")
        .left_join(
            person::Entity,
            Expr::col((person::Entity, person::Column::Id)).equals((cm::Entity, cm::Column::FilerId)),
        )
        .left_join(
            estate::Entity,
            Expr::col((estate::Entity, estate::Column::Id)).equals((cm::Entity, cm::Column::EstateId)),
        );
}

/// A row of a select [`with_names`] made.
fn named(res: &sea_orm::QueryResult) -> Result<(cm::Model, Names)> {
    use sea_orm::FromQueryResult;
    let row = cm::Model::from_query_result(res, "")?;
    let names = Names {
        filer_name: res.try_get::<Option<String>>("", "filer_name")?.unwrap_or_default(),
        filer_phone: res.try_get::<Option<String>>("", "filer_phone")?,
        estate_name: res.try_get::<Option<String>>("", "estate_name")?.unwrap_or_default(),
    };
    Ok((row, names))
}
