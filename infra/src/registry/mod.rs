//! Registry use cases: list, get, create, update and end communities, grids, estates,
//! property companies, service contracts, owners' committees, departments, people and posts.
//!
//! Every use case authorizes first: the target's chain of scopes (estate, community, county...)
//! is worked out, the caller's bindings are checked against it, a deny is audited at once and
//! an allowed write is audited in the same transaction as the change.

use crate::actor::Actor;
use crate::authz::{Bindings, Gate};
use crate::entities::{
    account, community, department, estate, grid, owners_committee, person, person_origin, post, post_invitation,
    property_company, service_contract,
};
use crate::error::{Error, Result};
use crate::in_force;
use crate::paging::{self, Page, PageRequest};
use chrono::{DateTime, NaiveDate, Utc};
use domain::authz::{post_resource, Action, Decision, Resource, Scope};
use domain::clock::Clock;
use domain::ids::{
    CommunityId, DepartmentId, EstateId, GridId, OwnersCommitteeId, PersonId, PostId, PropertyCompanyId,
    ServiceContractId,
};
use domain::registry::{
    self as reg, ensure_no_overlap, mask_phone, may_see_phone, validate_name, validate_reason, CommunityInput,
    DateRange, EstateInput, Lifecycle, OrgKind, PersonInput, PostInput, PostRecord, PostTitle, PropertyCompanyInput,
    TermInput,
};
use domain::Code;
use domain::DomainError;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PrimaryKeyTrait, QueryFilter,
};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Filters shared by the registry lists. Each list uses the ones that make sense for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    /// Only things in this community.
    pub community_id: Option<CommunityId>,
    /// Only things in (or serving) this estate.
    pub estate_id: Option<EstateId>,
    /// Only things of this company.
    pub company_id: Option<PropertyCompanyId>,
    /// Only things of this department.
    pub department_id: Option<DepartmentId>,
    /// Only posts of this person.
    pub person_id: Option<PersonId>,
    /// Include records that have ended.
    pub include_ended: bool,
}

impl Filter {
    /// Whether the caller named where to look (an estate, community, company or department).
    #[must_use]
    pub fn has_scope(&self) -> bool {
        self.estate_id.is_some()
            || self.community_id.is_some()
            || self.company_id.is_some()
            || self.department_id.is_some()
    }

    /// Posts in the estate, community, company or department the filter names.
    fn posts(&self) -> Condition {
        Condition::all()
            .add_option(self.estate_id.map(|e| post::Column::EstateId.eq(e.0)))
            .add_option(self.community_id.map(|c| post::Column::CommunityId.eq(c.0)))
            .add_option(self.company_id.map(|p| posts_of(OrgKind::PropertyCompany, vec![p.0])))
            .add_option(self.department_id.map(|d| posts_of(OrgKind::Department, vec![d.0])))
    }

    /// Records of the estate, or of an estate of the community, the filter names, by their
    /// `estate` column.
    fn on_estates(&self, estate: impl ColumnTrait) -> Condition {
        Condition::all()
            .add_option(self.estate_id.map(|e| estate.eq(e.0)))
            .add_option(self.community_id.map(|c| estate.in_subquery(estates_of(vec![c.0]))))
    }
}

/// The scopes a caller may read in, split by kind, for lists asked without a scope filter.
#[derive(Debug, Default)]
struct Visible {
    county: bool,
    estates: Vec<Uuid>,
    communities: Vec<Uuid>,
    companies: Vec<Uuid>,
    departments: Vec<Uuid>,
}

impl Visible {
    fn of(scopes: &[Scope]) -> Self {
        let mut v = Self::default();
        for scope in scopes {
            match *scope {
                Scope::County => v.county = true,
                Scope::Estate(e) => v.estates.push(e.0),
                Scope::Community(c) => v.communities.push(c.0),
                Scope::Company(p) => v.companies.push(p.0),
                Scope::Department(d) => v.departments.push(d.0),
            }
        }
        v
    }

    /// Posts in these scopes, as a condition on the post table.
    fn posts(&self) -> Condition {
        Condition::any()
            .add(post::Column::EstateId.is_in(self.estates.clone()))
            .add(post::Column::CommunityId.is_in(self.communities.clone()))
            .add(posts_of(OrgKind::PropertyCompany, self.companies.clone()))
            .add(posts_of(OrgKind::Department, self.departments.clone()))
    }
}

/// Posts in organizations of `kind` among `ids`.
fn posts_of(kind: OrgKind, ids: Vec<Uuid>) -> Condition {
    Condition::all().add(post::Column::OrgKind.eq(kind.as_str())).add(post::Column::OrgId.is_in(ids))
}

/// The estates of these communities, as a subquery.
fn estates_of(communities: Vec<Uuid>) -> SelectStatement {
    Query::select()
        .column(estate::Column::Id)
        .from(estate::Entity)
        .and_where(estate::Column::CommunityId.is_in(communities))
        .to_owned()
}

/// New values for an estate; `None` keeps the current one.
#[derive(Debug, Clone, Default)]
pub struct EstatePatch {
    /// Name.
    pub name: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Grid; `Some(None)` removes it.
    pub grid_id: Option<Option<GridId>>,
}

/// New values for a dated record (contract or committee); `None` keeps the current one.
#[derive(Debug, Clone, Default)]
pub struct TermPatch {
    /// First day.
    pub starts_on: Option<NaiveDate>,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
    /// Name or reference.
    pub label: Option<String>,
}

/// New values for a person; `None` keeps the current one.
#[derive(Debug, Clone, Default)]
pub struct PersonPatch {
    /// Name.
    pub name: Option<String>,
    /// Phone; `Some(None)` removes it.
    pub phone: Option<Option<String>>,
    /// Party member.
    pub is_party_member: Option<bool>,
}

/// New values for a post; `None` keeps the current one.
#[derive(Debug, Clone, Default)]
pub struct PostPatch {
    /// Title, valid for the organization's kind.
    pub title: Option<String>,
    /// Last day of the term; `Some(None)` makes it open.
    pub ends_on: Option<Option<NaiveDate>>,
}

/// The registry use cases.
#[derive(Clone)]
pub struct Registry {
    db: DatabaseConnection,
    gate: Gate,
    clock: Arc<dyn Clock>,
}

fn life(created_at: DateTime<Utc>, ended_at: Option<DateTime<Utc>>, end_reason: Option<String>) -> Lifecycle {
    Lifecycle { created_at, ended_at, end_reason }
}

/// Refuses a change to a record that has ended (nothing is deleted; an ended record stays as
/// it ended).
fn still_open(ended_at: Option<DateTime<Utc>>, entity: &'static str) -> Result<()> {
    match ended_at {
        Some(_) => Err(DomainError::AlreadyEnded { entity }.into()),
        None => Ok(()),
    }
}

fn not_found(entity: &'static str) -> Error {
    DomainError::NotFound { entity }.into()
}

/// A registry table: rows keyed by a UUID `id` that end (`ended_at`) rather than go away.
trait Record: EntityTrait<PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>> {
    /// The record's name in errors (`not_found`, `already_ended`).
    const NAME: &'static str;

    /// When the record ended, if it has.
    fn ended_at(row: &Self::Model) -> Option<DateTime<Utc>>;

    /// A new record `id` created `at`, open; its other columns are left for the caller.
    fn new_row(id: Uuid, at: DateTime<Utc>) -> Self::ActiveModel;
}

macro_rules! records {
    ($($table:ident),* $(,)?) => {$(
        impl Record for $table::Entity {
            const NAME: &'static str = stringify!($table);

            fn ended_at(row: &$table::Model) -> Option<DateTime<Utc>> {
                row.ended_at
            }

            fn new_row(id: Uuid, at: DateTime<Utc>) -> $table::ActiveModel {
                $table::ActiveModel {
                    id: Set(id),
                    created_at: Set(at),
                    ended_at: Set(None),
                    end_reason: Set(None),
                    ..Default::default()
                }
            }
        }
    )*};
}

records!(community, grid, estate, property_company, service_contract, owners_committee, department, person, post,);

/// Record `id` of `E`; not found when there is none.
async fn load<E: Record, C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<E::Model> {
    E::find_by_id(id).one(conn).await?.ok_or_else(|| not_found(E::NAME))
}

fn to_community(m: community::Model) -> reg::Community {
    reg::Community {
        id: m.id.into(),
        name: m.name,
        code: m.code,
        street: m.street,
        life: life(m.created_at, m.ended_at, m.end_reason),
    }
}

fn to_grid(m: grid::Model) -> reg::Grid {
    reg::Grid {
        id: m.id.into(),
        community_id: m.community_id.into(),
        name: m.name,
        life: life(m.created_at, m.ended_at, m.end_reason),
    }
}

fn to_estate(m: estate::Model) -> reg::Estate {
    reg::Estate {
        id: m.id.into(),
        community_id: m.community_id.into(),
        grid_id: m.grid_id.map(Into::into),
        name: m.name,
        address: m.address,
        life: life(m.created_at, m.ended_at, m.end_reason),
    }
}

fn to_company(m: property_company::Model) -> Result<reg::PropertyCompany> {
    let credit_code = reg::CreditCode::parse(&m.credit_code)
        .map_err(|e| Error::Unexpected(format!("stored credit code of {} is invalid: {e}", m.id)))?;
    Ok(reg::PropertyCompany {
        id: m.id.into(),
        name: m.name,
        credit_code,
        address: m.address,
        life: life(m.created_at, m.ended_at, m.end_reason),
    })
}

fn to_contract(m: service_contract::Model) -> reg::ServiceContract {
    reg::ServiceContract {
        id: m.id.into(),
        company_id: m.company_id.into(),
        estate_id: m.estate_id.into(),
        term: DateRange { start: m.starts_on, end: Some(m.ends_on) },
        reference: m.reference,
        life: life(m.created_at, m.ended_at, m.end_reason),
    }
}

fn to_committee(m: owners_committee::Model) -> reg::OwnersCommittee {
    reg::OwnersCommittee {
        id: m.id.into(),
        estate_id: m.estate_id.into(),
        name: m.name,
        term: DateRange { start: m.term_start, end: Some(m.term_end) },
        life: life(m.created_at, m.ended_at, m.end_reason),
    }
}

fn to_department(m: department::Model) -> reg::Department {
    reg::Department { id: m.id.into(), name: m.name, life: life(m.created_at, m.ended_at, m.end_reason) }
}

fn to_post(m: post::Model) -> Result<reg::Post> {
    let org_kind = m.org_kind.parse::<OrgKind>().map_err(|e| Error::Unexpected(format!("post {}: {e}", m.id)))?;
    let title = m.title.parse::<PostTitle>().map_err(|e| Error::Unexpected(format!("post {}: {e}", m.id)))?;
    Ok(reg::Post {
        id: m.id.into(),
        person_id: m.person_id.into(),
        org_kind,
        org_id: m.org_id,
        title,
        term: DateRange { start: m.starts_on, end: m.ends_on },
        community_id: m.community_id.map(Into::into),
        estate_id: m.estate_id.map(Into::into),
        awaiting_acceptance: false,
        life: life(m.created_at, m.ended_at, m.end_reason),
    })
}

/// The scopes containing an organization's posts, innermost first.
pub fn post_chain(kind: OrgKind, org_id: Uuid, community: Option<Uuid>, estate: Option<Uuid>) -> Vec<Scope> {
    match (kind, community, estate) {
        (OrgKind::PartyBranch | OrgKind::ResidentsCommittee, _, _) => Scope::community_chain(org_id.into()),
        (OrgKind::Estate | OrgKind::OwnersCommittee, Some(c), Some(e)) => Scope::estate_chain(e.into(), c.into()),
        (OrgKind::Grid, Some(c), _) => Scope::community_chain(c.into()),
        (OrgKind::PropertyCompany, _, _) => Scope::company_chain(org_id.into()),
        (OrgKind::Department, _, _) => Scope::department_chain(org_id.into()),
        _ => vec![Scope::County],
    }
}

/// Ends every open row of `E` whose `column` holds `value`; returns how many ended.
async fn end_where<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    column: &'static str,
    value: Uuid,
    at: DateTime<Utc>,
    reason: Option<String>,
) -> Result<u64> {
    let done = E::update_many()
        .col_expr("ended_at", Expr::value(Some(at)))
        .col_expr("end_reason", Expr::value(reason))
        .filter(ExprTrait::eq(Expr::col(column), value))
        .filter(Expr::col("ended_at").is_null())
        .exec(conn)
        .await?;
    Ok(done.rows_affected)
}

/// Sets `ended_at` and `end_reason` on one row that has not ended yet.
async fn end_row<E: Record, C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    at: DateTime<Utc>,
    reason: Option<String>,
) -> Result<()> {
    if end_where::<E, _>(conn, "id", id, at, reason).await? == 0 {
        return Err(DomainError::AlreadyEnded { entity: E::NAME }.into());
    }
    Ok(())
}

/// Ends every open post in an organization (the organization itself is ending).
async fn end_posts_of<C: ConnectionTrait>(
    conn: &C,
    kinds: &[OrgKind],
    org_id: Uuid,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<()> {
    post::Entity::update_many()
        .col_expr(post::Column::EndedAt, Expr::value(Some(at)))
        .col_expr(post::Column::EndReason, Expr::value(Some(reason.to_owned())))
        .filter(post::Column::OrgKind.is_in(kinds.iter().map(|k| k.as_str())))
        .filter(post::Column::OrgId.eq(org_id))
        .filter(post::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

macro_rules! unless_ended {
    ($select:expr, $col:expr, $filter:expr) => {
        if $filter.include_ended {
            $select
        } else {
            $select.filter($col.is_null())
        }
    };
}

impl Registry {
    /// The registry over a database.
    #[must_use]
    pub fn new(db: DatabaseConnection, gate: Gate, clock: Arc<dyn Clock>) -> Self {
        Self { db, gate, clock }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The one write path of the registry: in the write `decision` allowed on record `id`,
    /// `change` runs and reads back what it wrote; then [`crate::authz::Write::commit`]
    /// audits the decision, commits and drops cached bindings.
    async fn write<T>(
        &self,
        actor: &Actor,
        decision: Decision,
        id: Uuid,
        change: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T>,
    ) -> Result<T> {
        let write = self.gate.write(actor, decision, id, Bindings::Change).await?;
        let written = change(write.conn()).await?;
        write.commit().await?;
        Ok(written)
    }

    /// Creates record `id` of `E`: `new` fills in the new row (after any checks it runs in
    /// the transaction); it is inserted and read back.
    async fn create<E: Record>(
        &self,
        actor: &Actor,
        decision: Decision,
        id: Uuid,
        new: impl AsyncFnOnce(&DatabaseTransaction, E::ActiveModel) -> Result<E::ActiveModel>,
    ) -> Result<E::Model> {
        let row = E::new_row(id, self.now());
        self.write(actor, decision, id, async |txn| {
            E::insert(new(txn, row).await?).exec_without_returning(txn).await?;
            load::<E, _>(txn, id).await
        })
        .await
    }

    /// Changes record `id` of `E`: reads it in the transaction (after taking the row lock of
    /// `lock`, the estate whose dated records must not overlap), refuses it if it has ended,
    /// and saves what `edit` makes of it.
    async fn update<E: Record>(
        &self,
        actor: &Actor,
        decision: Decision,
        id: Uuid,
        lock: Option<EstateId>,
        edit: impl AsyncFnOnce(&DatabaseTransaction, E::Model) -> Result<E::ActiveModel>,
    ) -> Result<E::Model>
    where
        E::Model: IntoActiveModel<E::ActiveModel>,
    {
        self.write(actor, decision, id, async |txn| {
            if let Some(estate) = lock {
                self.lock_estate(txn, estate).await?;
            }
            let row = load::<E, _>(txn, id).await?;
            still_open(E::ended_at(&row), E::NAME)?;
            Ok(E::update(edit(txn, row).await?).exec(txn).await?)
        })
        .await
    }

    /// Ends record `id` of `E` (not found, or already ended, refused), and with it what
    /// `cascade` ends at the same moment; reads it back.
    async fn end<E: Record>(
        &self,
        actor: &Actor,
        decision: Decision,
        id: Uuid,
        reason: Option<String>,
        cascade: impl AsyncFnOnce(&DatabaseTransaction, DateTime<Utc>) -> Result<()>,
    ) -> Result<E::Model> {
        let now = self.now();
        self.write(actor, decision, id, async |txn| {
            load::<E, _>(txn, id).await?;
            end_row::<E, _>(txn, id, now, reason).await?;
            cascade(txn, now).await?;
            load::<E, _>(txn, id).await
        })
        .await
    }

    /// The names of organizations and places by id (communities, grids, estates, companies,
    /// owners' committees, departments): the public directory every account may read, so
    /// that a client can say "manager of 某县安居物业, serving 锦绣家园" without more calls.
    ///
    /// # Errors
    /// Database errors.
    pub async fn names(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
        let mut names = HashMap::new();
        if ids.is_empty() {
            return Ok(names);
        }
        let ids = ids.to_vec();
        for c in community::Entity::find().filter(community::Column::Id.is_in(ids.clone())).all(&self.db).await? {
            names.insert(c.id, c.name);
        }
        for g in grid::Entity::find().filter(grid::Column::Id.is_in(ids.clone())).all(&self.db).await? {
            names.insert(g.id, g.name);
        }
        for e in estate::Entity::find().filter(estate::Column::Id.is_in(ids.clone())).all(&self.db).await? {
            names.insert(e.id, e.name);
        }
        for p in property_company::Entity::find()
            .filter(property_company::Column::Id.is_in(ids.clone()))
            .all(&self.db)
            .await?
        {
            names.insert(p.id, p.name);
        }
        for o in owners_committee::Entity::find()
            .filter(owners_committee::Column::Id.is_in(ids.clone()))
            .all(&self.db)
            .await?
        {
            names.insert(o.id, o.name);
        }
        for d in department::Entity::find().filter(department::Column::Id.is_in(ids)).all(&self.db).await? {
            names.insert(d.id, d.name);
        }
        Ok(names)
    }
}

mod organizations;
mod people;
mod places;
