//! Registry use cases: list, get, create, update and end communities, grids, estates,
//! property companies, service contracts, owners' committees, departments, people and posts.
//!
//! Every use case authorizes first: the target's chain of scopes (estate, community, county...)
//! is worked out, the caller's bindings are checked against it, a deny is audited at once and
//! an allowed write is audited in the same transaction as the change.

use domain::Code;
use crate::actor::Actor;
use crate::in_force;
use crate::authz::{Bindings, Gate};
use crate::entities::{
    community, department, estate, grid, owners_committee, person, person_origin, post, post_invitation, property_company,
    service_contract,
};
use crate::error::{Error, Result};
use crate::paging::{self, Page, PageRequest};
use chrono::{DateTime, NaiveDate, Utc};
use domain::authz::{post_resource, Action, Resource, Scope};
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
use domain::DomainError;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
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
        self.estate_id.is_some() || self.community_id.is_some() || self.company_id.is_some() || self.department_id.is_some()
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
            .add(
                Condition::all()
                    .add(post::Column::OrgKind.eq(OrgKind::PropertyCompany.as_str()))
                    .add(post::Column::OrgId.is_in(self.companies.clone())),
            )
            .add(
                Condition::all()
                    .add(post::Column::OrgKind.eq(OrgKind::Department.as_str()))
                    .add(post::Column::OrgId.is_in(self.departments.clone())),
            )
    }
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

fn not_found(entity: &'static str) -> Error {
    DomainError::NotFound { entity }.into()
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

/// Sets `ended_at` and `end_reason` on one row that has not ended yet.
async fn end_row<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    at: DateTime<Utc>,
    reason: Option<String>,
    entity: &'static str,
) -> Result<()> {
    let done = E::update_many()
        .col_expr("ended_at", Expr::value(Some(at)))
        .col_expr("end_reason", Expr::value(reason))
        .filter(ExprTrait::eq(Expr::col("id"), id))
        .filter(Expr::col("ended_at").is_null())
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Err(DomainError::AlreadyEnded { entity }.into());
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

    // ---- communities ---------------------------------------------------------------

    async fn community_row<C: ConnectionTrait>(&self, conn: &C, id: CommunityId) -> Result<community::Model> {
        community::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| not_found("community"))
    }

    /// Lists communities.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_communities(
        &self,
        actor: &Actor,
        filter: Filter,
        page: PageRequest,
    ) -> Result<Page<reg::Community>> {
        self.gate.require(actor, Resource::Community, Action::Read, &[Scope::County], None).await?;
        let select = unless_ended!(community::Entity::find(), community::Column::EndedAt, filter);
        Ok(paging::fetch(&self.db, select, community::Column::Id, |m| m.id, page, false).await?.map(to_community))
    }

    /// Gets one community.
    ///
    /// # Errors
    /// Not found, forbidden, database errors.
    pub async fn get_community(&self, actor: &Actor, id: CommunityId) -> Result<reg::Community> {
        let row = self.community_row(&self.db, id).await?;
        self.gate.require(actor, Resource::Community, Action::Read, &Scope::community_chain(id), Some(id.0)).await?;
        Ok(to_community(row))
    }

    /// Creates a community.
    ///
    /// # Errors
    /// Validation, a duplicate code, forbidden, database errors.
    pub async fn create_community(&self, actor: &Actor, input: CommunityInput) -> Result<reg::Community> {
        let id = CommunityId::new();
        let decision = self.gate.require(actor, Resource::Community, Action::Create, &[Scope::County], Some(id.0)).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        community::Entity::insert(community::ActiveModel {
            id: Set(id.0),
            name: Set(input.name),
            code: Set(input.code),
            street: Set(input.street),
            created_at: Set(self.now()),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(txn)
        .await?;
        let row = self.community_row(txn, id).await?;
        write.commit().await?;
        Ok(to_community(row))
    }

    /// Updates a community's name, code or street.
    ///
    /// # Errors
    /// Validation, not found, ended, forbidden, database errors.
    pub async fn update_community(
        &self,
        actor: &Actor,
        id: CommunityId,
        name: Option<String>,
        code: Option<String>,
        street: Option<String>,
    ) -> Result<reg::Community> {
        let decision =
            self.gate.require(actor, Resource::Community, Action::Update, &Scope::community_chain(id), Some(id.0)).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        let row = self.community_row(txn, id).await?;
        if row.ended_at.is_some() {
            return Err(DomainError::AlreadyEnded { entity: "community" }.into());
        }
        let input = CommunityInput::validate(
            name.as_deref().unwrap_or(&row.name),
            code.as_deref().unwrap_or(&row.code),
            street.as_deref().unwrap_or(&row.street),
        )?;
        let mut active = row.into_active_model();
        active.name = Set(input.name);
        active.code = Set(input.code);
        active.street = Set(input.street);
        let row = community::Entity::update(active).exec(txn).await?;
        write.commit().await?;
        Ok(to_community(row))
    }

    /// Ends a community (merged or dissolved); its committees' posts end with it.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_community(
        &self,
        actor: &Actor,
        id: CommunityId,
        reason: Option<String>,
    ) -> Result<reg::Community> {
        let reason = validate_reason(reason.as_deref())?;
        let decision =
            self.gate.require(actor, Resource::Community, Action::End, &Scope::community_chain(id), Some(id.0)).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        self.community_row(txn, id).await?;
        end_row::<community::Entity, _>(txn, id.0, self.now(), reason, "community").await?;
        end_posts_of(txn, &[OrgKind::PartyBranch, OrgKind::ResidentsCommittee], id.0, self.now(), "社区撤销").await?;
        let row = self.community_row(txn, id).await?;
        write.commit().await?;
        Ok(to_community(row))
    }

    // ---- grids ---------------------------------------------------------------------

    async fn grid_row<C: ConnectionTrait>(&self, conn: &C, id: GridId) -> Result<grid::Model> {
        grid::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| not_found("grid"))
    }

    /// Lists grids, optionally of one community.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_grids(&self, actor: &Actor, filter: Filter, page: PageRequest) -> Result<Page<reg::Grid>> {
        let chain = filter.community_id.map_or_else(|| vec![Scope::County], Scope::community_chain);
        self.gate.require(actor, Resource::Grid, Action::Read, &chain, None).await?;
        let mut select = unless_ended!(grid::Entity::find(), grid::Column::EndedAt, filter);
        if let Some(c) = filter.community_id {
            select = select.filter(grid::Column::CommunityId.eq(c.0));
        }
        Ok(paging::fetch(&self.db, select, grid::Column::Id, |m| m.id, page, false).await?.map(to_grid))
    }

    /// Gets one grid.
    ///
    /// # Errors
    /// Not found, forbidden, database errors.
    pub async fn get_grid(&self, actor: &Actor, id: GridId) -> Result<reg::Grid> {
        let row = self.grid_row(&self.db, id).await?;
        let chain = Scope::community_chain(row.community_id.into());
        self.gate.require(actor, Resource::Grid, Action::Read, &chain, Some(id.0)).await?;
        Ok(to_grid(row))
    }

    /// Creates a grid in a community.
    ///
    /// # Errors
    /// Validation, unknown community, forbidden, database errors.
    pub async fn create_grid(&self, actor: &Actor, community_id: CommunityId, name: &str) -> Result<reg::Grid> {
        let name = validate_name(name)?;
        let c = self
            .community_row(&self.db, community_id)
            .await
            .map_err(|_| DomainError::field("community_id", Code::UnknownCommunity))?;
        if c.ended_at.is_some() {
            return Err(DomainError::field("community_id", Code::CommunityEnded).into());
        }
        let id = GridId::new();
        let decision = self.gate
            .require(actor, Resource::Grid, Action::Create, &Scope::community_chain(community_id), Some(id.0))
            .await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        grid::Entity::insert(grid::ActiveModel {
            id: Set(id.0),
            community_id: Set(community_id.0),
            name: Set(name),
            created_at: Set(self.now()),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(txn)
        .await?;
        let row = self.grid_row(txn, id).await?;
        write.commit().await?;
        Ok(to_grid(row))
    }

    /// Renames a grid.
    ///
    /// # Errors
    /// Validation, not found, ended, forbidden, database errors.
    pub async fn update_grid(&self, actor: &Actor, id: GridId, name: Option<String>) -> Result<reg::Grid> {
        let current = self.grid_row(&self.db, id).await?;
        let chain = Scope::community_chain(current.community_id.into());
        let decision = self.gate.require(actor, Resource::Grid, Action::Update, &chain, Some(id.0)).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        let row = self.grid_row(txn, id).await?;
        if row.ended_at.is_some() {
            return Err(DomainError::AlreadyEnded { entity: "grid" }.into());
        }
        let name = validate_name(name.as_deref().unwrap_or(&row.name))?;
        let mut active = row.into_active_model();
        active.name = Set(name);
        let row = grid::Entity::update(active).exec(txn).await?;
        write.commit().await?;
        Ok(to_grid(row))
    }

    /// Ends a grid; its grid workers' posts end with it.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_grid(&self, actor: &Actor, id: GridId, reason: Option<String>) -> Result<reg::Grid> {
        let reason = validate_reason(reason.as_deref())?;
        let current = self.grid_row(&self.db, id).await?;
        let chain = Scope::community_chain(current.community_id.into());
        let decision = self.gate.require(actor, Resource::Grid, Action::End, &chain, Some(id.0)).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        end_row::<grid::Entity, _>(txn, id.0, self.now(), reason, "grid").await?;
        end_posts_of(txn, &[OrgKind::Grid], id.0, self.now(), "网格撤销").await?;
        let row = self.grid_row(txn, id).await?;
        write.commit().await?;
        Ok(to_grid(row))
    }

    // ---- estates -------------------------------------------------------------------

    async fn estate_row<C: ConnectionTrait>(&self, conn: &C, id: EstateId) -> Result<estate::Model> {
        estate::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| not_found("estate"))
    }

    /// The estate and the scopes that contain it.
    async fn estate_chain(&self, id: EstateId, field: &str) -> Result<(estate::Model, Vec<Scope>)> {
        let row = match self.estate_row(&self.db, id).await {
            Err(Error::Domain(DomainError::NotFound { .. })) => {
                return Err(DomainError::field(field, Code::UnknownEstate).into());
            }
            other => other?,
        };
        let chain = Scope::estate_chain(id, row.community_id.into());
        Ok((row, chain))
    }

    /// Takes the estate's row lock for the rest of the transaction, so that two requests
    /// checking "no overlapping contract / committee" on one estate run one after the other.
    async fn lock_estate<C: ConnectionTrait>(&self, conn: &C, id: EstateId) -> Result<()> {
        estate::Entity::update_many()
            .col_expr(estate::Column::Version, Expr::col(estate::Column::Version).add(1))
            .filter(estate::Column::Id.eq(id.0))
            .exec(conn)
            .await?;
        Ok(())
    }

    /// Checks a grid id belongs to the community.
    async fn check_grid(&self, grid_id: Option<GridId>, community_id: Uuid) -> Result<()> {
        if let Some(g) = grid_id {
            let ok = grid::Entity::find_by_id(g.0)
                .one(&self.db)
                .await?
                .is_some_and(|g| g.community_id == community_id && g.ended_at.is_none());
            if !ok {
                return Err(DomainError::field("grid_id", Code::GridNotInCommunity).into());
            }
        }
        Ok(())
    }

    /// Lists estates, optionally of one community or grid.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_estates(&self, actor: &Actor, filter: Filter, page: PageRequest) -> Result<Page<reg::Estate>> {
        let chain = filter.community_id.map_or_else(|| vec![Scope::County], Scope::community_chain);
        self.gate.require(actor, Resource::Estate, Action::Read, &chain, None).await?;
        let mut select = unless_ended!(estate::Entity::find(), estate::Column::EndedAt, filter);
        if let Some(c) = filter.community_id {
            select = select.filter(estate::Column::CommunityId.eq(c.0));
        }
        if let Some(company) = filter.company_id {
            let served = Query::select()
                .column(service_contract::Column::EstateId)
                .from(service_contract::Entity)
                .cond_where(in_force::contract(self.clock.today()))
                .and_where(service_contract::Column::CompanyId.eq(company.0))
                .to_owned();
            select = select.filter(estate::Column::Id.in_subquery(served));
        }
        Ok(paging::fetch(&self.db, select, estate::Column::Id, |m| m.id, page, false).await?.map(to_estate))
    }

    /// Gets one estate.
    ///
    /// # Errors
    /// Not found, forbidden, database errors.
    pub async fn get_estate(&self, actor: &Actor, id: EstateId) -> Result<reg::Estate> {
        let row = self.estate_row(&self.db, id).await?;
        let chain = Scope::estate_chain(id, row.community_id.into());
        self.gate.require(actor, Resource::Estate, Action::Read, &chain, Some(id.0)).await?;
        Ok(to_estate(row))
    }

    /// Creates an estate in a community.
    ///
    /// # Errors
    /// Validation, unknown community or grid, forbidden, database errors.
    pub async fn create_estate(
        &self,
        actor: &Actor,
        community_id: CommunityId,
        input: EstateInput,
    ) -> Result<reg::Estate> {
        let c = self
            .community_row(&self.db, community_id)
            .await
            .map_err(|_| DomainError::field("community_id", Code::UnknownCommunity))?;
        if c.ended_at.is_some() {
            return Err(DomainError::field("community_id", Code::CommunityEnded).into());
        }
        let id = EstateId::new();
        let decision = self.gate
            .require(actor, Resource::Estate, Action::Create, &Scope::community_chain(community_id), Some(id.0))
            .await?;
        self.check_grid(input.grid_id, community_id.0).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        estate::Entity::insert(estate::ActiveModel {
            id: Set(id.0),
            community_id: Set(community_id.0),
            grid_id: Set(input.grid_id.map(|g| g.0)),
            name: Set(input.name),
            address: Set(input.address),
            version: Set(0),
            created_at: Set(self.now()),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(txn)
        .await?;
        let row = self.estate_row(txn, id).await?;
        write.commit().await?;
        Ok(to_estate(row))
    }

    /// Updates an estate's name, address or grid (its community is fixed).
    ///
    /// # Errors
    /// Validation, not found, ended, forbidden, database errors.
    pub async fn update_estate(&self, actor: &Actor, id: EstateId, patch: EstatePatch) -> Result<reg::Estate> {
        let current = self.estate_row(&self.db, id).await?;
        let chain = Scope::estate_chain(id, current.community_id.into());
        let decision = self.gate.require(actor, Resource::Estate, Action::Update, &chain, Some(id.0)).await?;
        let grid_id = patch.grid_id.unwrap_or(current.grid_id.map(Into::into));
        let input = EstateInput::validate(
            patch.name.as_deref().unwrap_or(&current.name),
            patch.address.as_deref().unwrap_or(&current.address),
            grid_id,
        )?;
        self.check_grid(input.grid_id, current.community_id).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        let row = self.estate_row(txn, id).await?;
        if row.ended_at.is_some() {
            return Err(DomainError::AlreadyEnded { entity: "estate" }.into());
        }
        let mut active = row.into_active_model();
        active.name = Set(input.name);
        active.address = Set(input.address);
        active.grid_id = Set(input.grid_id.map(|g| g.0));
        let row = estate::Entity::update(active).exec(txn).await?;
        write.commit().await?;
        Ok(to_estate(row))
    }

    /// Ends an estate; its contracts, committees and posts end with it.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_estate(&self, actor: &Actor, id: EstateId, reason: Option<String>) -> Result<reg::Estate> {
        let reason = validate_reason(reason.as_deref())?;
        let current = self.estate_row(&self.db, id).await?;
        let chain = Scope::estate_chain(id, current.community_id.into());
        let decision = self.gate.require(actor, Resource::Estate, Action::End, &chain, Some(id.0)).await?;
        let now = self.now();
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        end_row::<estate::Entity, _>(txn, id.0, now, reason, "estate").await?;
        let why = Expr::value(Some("小区撤销".to_owned()));
        service_contract::Entity::update_many()
            .col_expr(service_contract::Column::EndedAt, Expr::value(Some(now)))
            .col_expr(service_contract::Column::EndReason, why.clone())
            .filter(service_contract::Column::EstateId.eq(id.0))
            .filter(service_contract::Column::EndedAt.is_null())
            .exec(txn)
            .await?;
        owners_committee::Entity::update_many()
            .col_expr(owners_committee::Column::EndedAt, Expr::value(Some(now)))
            .col_expr(owners_committee::Column::EndReason, why.clone())
            .filter(owners_committee::Column::EstateId.eq(id.0))
            .filter(owners_committee::Column::EndedAt.is_null())
            .exec(txn)
            .await?;
        post::Entity::update_many()
            .col_expr(post::Column::EndedAt, Expr::value(Some(now)))
            .col_expr(post::Column::EndReason, why)
            .filter(post::Column::EstateId.eq(id.0))
            .filter(post::Column::EndedAt.is_null())
            .exec(txn)
            .await?;
        let row = self.estate_row(txn, id).await?;
        write.commit().await?;
        Ok(to_estate(row))
    }

    // ---- property companies -------------------------------------------------------

    async fn company_row<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: PropertyCompanyId,
    ) -> Result<property_company::Model> {
        property_company::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| not_found("property_company"))
    }

    /// Lists property companies; with an estate or community, those serving it today.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_companies(
        &self,
        actor: &Actor,
        filter: Filter,
        page: PageRequest,
    ) -> Result<Page<reg::PropertyCompany>> {
        self.gate.require(actor, Resource::PropertyCompany, Action::Read, &[Scope::County], None).await?;
        let mut select = unless_ended!(property_company::Entity::find(), property_company::Column::EndedAt, filter);
        if filter.estate_id.is_some() || filter.community_id.is_some() {
            let mut serving = Query::select()
                .column(service_contract::Column::CompanyId)
                .from(service_contract::Entity)
                .cond_where(in_force::contract(self.clock.today()))
                .to_owned();
            if let Some(e) = filter.estate_id {
                serving.and_where(service_contract::Column::EstateId.eq(e.0));
            }
            if let Some(c) = filter.community_id {
                let estates = Query::select()
                    .column(estate::Column::Id)
                    .from(estate::Entity)
                    .and_where(estate::Column::CommunityId.eq(c.0))
                    .to_owned();
                serving.and_where(service_contract::Column::EstateId.in_subquery(estates));
            }
            select = select.filter(property_company::Column::Id.in_subquery(serving));
        }
        let page = paging::fetch(&self.db, select, property_company::Column::Id, |m| m.id, page, false).await?;
        let items = page.items.into_iter().map(to_company).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, next_cursor: page.next_cursor })
    }

    /// Gets one company.
    ///
    /// # Errors
    /// Not found, forbidden, database errors.
    pub async fn get_company(&self, actor: &Actor, id: PropertyCompanyId) -> Result<reg::PropertyCompany> {
        let row = self.company_row(&self.db, id).await?;
        self.gate.require(actor, Resource::PropertyCompany, Action::Read, &Scope::company_chain(id), Some(id.0)).await?;
        to_company(row)
    }

    /// Registers a company.
    ///
    /// # Errors
    /// Validation (credit code check character), duplicate credit code, forbidden, database errors.
    pub async fn create_company(&self, actor: &Actor, input: PropertyCompanyInput) -> Result<reg::PropertyCompany> {
        let id = PropertyCompanyId::new();
        let decision =
            self.gate.require(actor, Resource::PropertyCompany, Action::Create, &[Scope::County], Some(id.0)).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        property_company::Entity::insert(property_company::ActiveModel {
            id: Set(id.0),
            name_key: Set(Some(domain::registry::name_key(&input.name))),
            name: Set(input.name),
            credit_code: Set(input.credit_code.as_str().to_owned()),
            address: Set(input.address),
            created_at: Set(self.now()),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(txn)
        .await?;
        let row = self.company_row(txn, id).await?;
        write.commit().await?;
        to_company(row)
    }

    /// Updates a company's name, credit code or address.
    ///
    /// # Errors
    /// Validation, not found, ended, forbidden, database errors.
    pub async fn update_company(
        &self,
        actor: &Actor,
        id: PropertyCompanyId,
        name: Option<String>,
        credit_code: Option<String>,
        address: Option<String>,
    ) -> Result<reg::PropertyCompany> {
        let decision = self.gate
            .require(actor, Resource::PropertyCompany, Action::Update, &Scope::company_chain(id), Some(id.0))
            .await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        let row = self.company_row(txn, id).await?;
        if row.ended_at.is_some() {
            return Err(DomainError::AlreadyEnded { entity: "property_company" }.into());
        }
        let input = PropertyCompanyInput::validate(
            name.as_deref().unwrap_or(&row.name),
            credit_code.as_deref().unwrap_or(&row.credit_code),
            address.as_deref().unwrap_or(&row.address),
        )?;
        let mut active = row.into_active_model();
        active.name_key = Set(Some(domain::registry::name_key(&input.name)));
        active.name = Set(input.name);
        active.credit_code = Set(input.credit_code.as_str().to_owned());
        active.address = Set(input.address);
        let row = property_company::Entity::update(active).exec(txn).await?;
        write.commit().await?;
        to_company(row)
    }

    /// Ends a company (deregistered); its contracts and posts end with it.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_company(
        &self,
        actor: &Actor,
        id: PropertyCompanyId,
        reason: Option<String>,
    ) -> Result<reg::PropertyCompany> {
        let reason = validate_reason(reason.as_deref())?;
        self.company_row(&self.db, id).await?;
        let decision = self.gate
            .require(actor, Resource::PropertyCompany, Action::End, &Scope::company_chain(id), Some(id.0))
            .await?;
        let now = self.now();
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        end_row::<property_company::Entity, _>(txn, id.0, now, reason, "property_company").await?;
        service_contract::Entity::update_many()
            .col_expr(service_contract::Column::EndedAt, Expr::value(Some(now)))
            .col_expr(service_contract::Column::EndReason, Expr::value(Some("企业注销".to_owned())))
            .filter(service_contract::Column::CompanyId.eq(id.0))
            .filter(service_contract::Column::EndedAt.is_null())
            .exec(txn)
            .await?;
        end_posts_of(txn, &[OrgKind::PropertyCompany], id.0, now, "企业注销").await?;
        let row = self.company_row(txn, id).await?;
        write.commit().await?;
        to_company(row)
    }

    // ---- service contracts --------------------------------------------------------

    async fn contract_row<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: ServiceContractId,
    ) -> Result<service_contract::Model> {
        service_contract::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| not_found("service_contract"))
    }

    /// The scopes containing a contract: its estate (and community) and its company.
    async fn contract_chain(&self, row: &service_contract::Model) -> Result<Vec<Scope>> {
        let estate = self.estate_row(&self.db, row.estate_id.into()).await?;
        Ok(vec![
            Scope::Estate(row.estate_id.into()),
            Scope::Community(estate.community_id.into()),
            Scope::Company(row.company_id.into()),
            Scope::County,
        ])
    }

    /// The chain a list filter asks about; with no filter, the whole county.
    async fn filter_chain(&self, filter: &Filter) -> Result<Vec<Scope>> {
        if let Some(e) = filter.estate_id {
            return Ok(self.estate_chain(e, "estate_id").await?.1);
        }
        Ok(match (filter.community_id, filter.company_id, filter.department_id) {
            (Some(c), _, _) => Scope::community_chain(c),
            (None, Some(p), _) => Scope::company_chain(p),
            (None, None, Some(d)) => Scope::department_chain(d),
            (None, None, None) => vec![Scope::County],
        })
    }

    /// Lists service contracts by estate, community or company (the whole county needs a
    /// county-wide role).
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn list_contracts(
        &self,
        actor: &Actor,
        filter: Filter,
        page: PageRequest,
    ) -> Result<Page<reg::ServiceContract>> {
        let mut select = unless_ended!(service_contract::Entity::find(), service_contract::Column::EndedAt, filter);
        if filter.has_scope() {
            let chain = self.filter_chain(&filter).await?;
            self.gate.require(actor, Resource::ServiceContract, Action::Read, &chain, None).await?;
        } else {
            let v = Visible::of(&self.gate.scopes_allowing(actor, Resource::ServiceContract, Action::Read));
            if !v.county {
                let in_communities = Query::select()
                    .column(estate::Column::Id)
                    .from(estate::Entity)
                    .and_where(estate::Column::CommunityId.is_in(v.communities.clone()))
                    .to_owned();
                select = select.filter(
                    Condition::any()
                        .add(service_contract::Column::EstateId.is_in(v.estates.clone()))
                        .add(service_contract::Column::CompanyId.is_in(v.companies.clone()))
                        .add(service_contract::Column::EstateId.in_subquery(in_communities)),
                );
            }
        }
        if let Some(e) = filter.estate_id {
            select = select.filter(service_contract::Column::EstateId.eq(e.0));
        }
        if let Some(p) = filter.company_id {
            select = select.filter(service_contract::Column::CompanyId.eq(p.0));
        }
        if let Some(c) = filter.community_id {
            let estates = Query::select()
                .column(estate::Column::Id)
                .from(estate::Entity)
                .and_where(estate::Column::CommunityId.eq(c.0))
                .to_owned();
            select = select.filter(service_contract::Column::EstateId.in_subquery(estates));
        }
        Ok(paging::fetch(&self.db, select, service_contract::Column::Id, |m| m.id, page, false).await?.map(to_contract))
    }

    /// Gets one contract.
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn get_contract(&self, actor: &Actor, id: ServiceContractId) -> Result<reg::ServiceContract> {
        let row = self.contract_row(&self.db, id).await?;
        let chain = self.contract_chain(&row).await?;
        self.gate.require_visible(actor, Resource::ServiceContract, &chain, id.0, "service_contract").await?;
        Ok(to_contract(row))
    }

    /// Registers a contract. An estate has at most one contract on any day: overlapping
    /// dates with a contract not ended early are refused.
    ///
    /// # Errors
    /// Validation, `contract_overlap`, unknown estate or company, forbidden, database errors.
    pub async fn create_contract(
        &self,
        actor: &Actor,
        estate_id: EstateId,
        company_id: PropertyCompanyId,
        input: TermInput,
    ) -> Result<reg::ServiceContract> {
        let (estate, chain) = self.estate_chain(estate_id, "estate_id").await?;
        let company = self
            .company_row(&self.db, company_id)
            .await
            .map_err(|_| DomainError::field("company_id", Code::UnknownCompany))?;
        let id = ServiceContractId::new();
        let decision = self.gate.require(actor, Resource::ServiceContract, Action::Create, &chain, Some(id.0)).await?;
        if estate.ended_at.is_some() {
            return Err(DomainError::field("estate_id", Code::EstateEnded).into());
        }
        if company.ended_at.is_some() {
            return Err(DomainError::field("company_id", Code::CompanyEnded).into());
        }
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        self.lock_estate(txn, estate_id).await?;
        let existing = service_contract::Entity::find()
            .filter(service_contract::Column::EstateId.eq(estate_id.0))
            .all(txn)
            .await?;
        ensure_no_overlap(
            &input.term,
            existing.iter().map(|c| (DateRange { start: c.starts_on, end: Some(c.ends_on) }, c.ended_at)),
            Code::ContractOverlap,
        )?;
        service_contract::Entity::insert(service_contract::ActiveModel {
            id: Set(id.0),
            company_id: Set(company_id.0),
            estate_id: Set(estate_id.0),
            starts_on: Set(input.term.start),
            ends_on: Set(input.term.end.unwrap_or(input.term.start)),
            reference: Set(input.label),
            created_at: Set(self.now()),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(txn)
        .await?;
        let row = self.contract_row(txn, id).await?;
        write.commit().await?;
        Ok(to_contract(row))
    }

    /// Changes a contract's dates or reference (an extension, a corrected date), keeping the
    /// one-contract-a-day rule.
    ///
    /// # Errors
    /// Validation, `contract_overlap`, not found, ended, forbidden, database errors.
    pub async fn update_contract(
        &self,
        actor: &Actor,
        id: ServiceContractId,
        patch: TermPatch,
    ) -> Result<reg::ServiceContract> {
        let current = self.contract_row(&self.db, id).await?;
        let chain = self.contract_chain(&current).await?;
        let decision = self.gate.require(actor, Resource::ServiceContract, Action::Update, &chain, Some(id.0)).await?;
        let label = patch.label.or(current.reference.clone());
        let input = TermInput::validate(
            patch.starts_on.unwrap_or(current.starts_on),
            patch.ends_on.unwrap_or(current.ends_on),
            "reference",
            label.as_deref(),
            false,
        )?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        self.lock_estate(txn, current.estate_id.into()).await?;
        let row = self.contract_row(txn, id).await?;
        if row.ended_at.is_some() {
            return Err(DomainError::AlreadyEnded { entity: "service_contract" }.into());
        }
        let others = service_contract::Entity::find()
            .filter(service_contract::Column::EstateId.eq(row.estate_id))
            .filter(service_contract::Column::Id.ne(id.0))
            .all(txn)
            .await?;
        ensure_no_overlap(
            &input.term,
            others.iter().map(|c| (DateRange { start: c.starts_on, end: Some(c.ends_on) }, c.ended_at)),
            Code::ContractOverlap,
        )?;
        let mut active = row.into_active_model();
        active.starts_on = Set(input.term.start);
        active.ends_on = Set(input.term.end.unwrap_or(input.term.start));
        active.reference = Set(input.label);
        let row = service_contract::Entity::update(active).exec(txn).await?;
        write.commit().await?;
        Ok(to_contract(row))
    }

    /// Ends a contract now (terminated early): the company loses its rights on the estate
    /// from the next request.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_contract(
        &self,
        actor: &Actor,
        id: ServiceContractId,
        reason: Option<String>,
    ) -> Result<reg::ServiceContract> {
        let reason = validate_reason(reason.as_deref())?;
        let current = self.contract_row(&self.db, id).await?;
        let chain = self.contract_chain(&current).await?;
        let decision = self.gate.require(actor, Resource::ServiceContract, Action::End, &chain, Some(id.0)).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        end_row::<service_contract::Entity, _>(txn, id.0, self.now(), reason, "service_contract").await?;
        let row = self.contract_row(txn, id).await?;
        write.commit().await?;
        Ok(to_contract(row))
    }

    // ---- owners' committees -------------------------------------------------------

    async fn committee_row<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: OwnersCommitteeId,
    ) -> Result<owners_committee::Model> {
        owners_committee::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| not_found("owners_committee"))
    }

    /// Lists owners' committees by estate or community.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_committees(
        &self,
        actor: &Actor,
        filter: Filter,
        page: PageRequest,
    ) -> Result<Page<reg::OwnersCommittee>> {
        let chain = self.filter_chain(&filter).await?;
        self.gate.require(actor, Resource::OwnersCommittee, Action::Read, &chain, None).await?;
        let mut select = unless_ended!(owners_committee::Entity::find(), owners_committee::Column::EndedAt, filter);
        if let Some(e) = filter.estate_id {
            select = select.filter(owners_committee::Column::EstateId.eq(e.0));
        }
        if let Some(c) = filter.community_id {
            let estates = Query::select()
                .column(estate::Column::Id)
                .from(estate::Entity)
                .and_where(estate::Column::CommunityId.eq(c.0))
                .to_owned();
            select = select.filter(owners_committee::Column::EstateId.in_subquery(estates));
        }
        Ok(paging::fetch(&self.db, select, owners_committee::Column::Id, |m| m.id, page, false)
            .await?
            .map(to_committee))
    }

    /// Gets one owners' committee.
    ///
    /// # Errors
    /// Not found, forbidden, database errors.
    pub async fn get_committee(&self, actor: &Actor, id: OwnersCommitteeId) -> Result<reg::OwnersCommittee> {
        let row = self.committee_row(&self.db, id).await?;
        let (_, chain) = self.estate_chain(row.estate_id.into(), "estate_id").await?;
        self.gate.require(actor, Resource::OwnersCommittee, Action::Read, &chain, Some(id.0)).await?;
        Ok(to_committee(row))
    }

    /// Records an elected owners' committee. One committee per estate at a time: a term
    /// overlapping a committee not ended early is refused.
    ///
    /// # Errors
    /// Validation, `committee_term_overlap`, unknown estate, forbidden, database errors.
    pub async fn create_committee(
        &self,
        actor: &Actor,
        estate_id: EstateId,
        input: TermInput,
    ) -> Result<reg::OwnersCommittee> {
        let (estate, chain) = self.estate_chain(estate_id, "estate_id").await?;
        let id = OwnersCommitteeId::new();
        let decision = self.gate.require(actor, Resource::OwnersCommittee, Action::Create, &chain, Some(id.0)).await?;
        if estate.ended_at.is_some() {
            return Err(DomainError::field("estate_id", Code::EstateEnded).into());
        }
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        self.lock_estate(txn, estate_id).await?;
        let existing = owners_committee::Entity::find()
            .filter(owners_committee::Column::EstateId.eq(estate_id.0))
            .all(txn)
            .await?;
        ensure_no_overlap(
            &input.term,
            existing.iter().map(|c| (DateRange { start: c.term_start, end: Some(c.term_end) }, c.ended_at)),
            Code::CommitteeTermOverlap,
        )?;
        owners_committee::Entity::insert(owners_committee::ActiveModel {
            id: Set(id.0),
            estate_id: Set(estate_id.0),
            name: Set(input.label.unwrap_or_default()),
            term_start: Set(input.term.start),
            term_end: Set(input.term.end.unwrap_or(input.term.start)),
            created_at: Set(self.now()),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(txn)
        .await?;
        let row = self.committee_row(txn, id).await?;
        write.commit().await?;
        Ok(to_committee(row))
    }

    /// Changes a committee's name or term.
    ///
    /// # Errors
    /// Validation, `committee_term_overlap`, not found, ended, forbidden, database errors.
    pub async fn update_committee(
        &self,
        actor: &Actor,
        id: OwnersCommitteeId,
        patch: TermPatch,
    ) -> Result<reg::OwnersCommittee> {
        let current = self.committee_row(&self.db, id).await?;
        let (_, chain) = self.estate_chain(current.estate_id.into(), "estate_id").await?;
        let decision = self.gate.require(actor, Resource::OwnersCommittee, Action::Update, &chain, Some(id.0)).await?;
        let name = patch.label.unwrap_or(current.name.clone());
        let input = TermInput::validate(
            patch.starts_on.unwrap_or(current.term_start),
            patch.ends_on.unwrap_or(current.term_end),
            "name",
            Some(&name),
            true,
        )?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        self.lock_estate(txn, current.estate_id.into()).await?;
        let row = self.committee_row(txn, id).await?;
        if row.ended_at.is_some() {
            return Err(DomainError::AlreadyEnded { entity: "owners_committee" }.into());
        }
        let others = owners_committee::Entity::find()
            .filter(owners_committee::Column::EstateId.eq(row.estate_id))
            .filter(owners_committee::Column::Id.ne(id.0))
            .all(txn)
            .await?;
        ensure_no_overlap(
            &input.term,
            others.iter().map(|c| (DateRange { start: c.term_start, end: Some(c.term_end) }, c.ended_at)),
            Code::CommitteeTermOverlap,
        )?;
        let mut active = row.into_active_model();
        active.name = Set(input.label.unwrap_or_default());
        active.term_start = Set(input.term.start);
        active.term_end = Set(input.term.end.unwrap_or(input.term.start));
        let row = owners_committee::Entity::update(active).exec(txn).await?;
        write.commit().await?;
        Ok(to_committee(row))
    }

    /// Ends a committee early (dissolved or re-elected); its members' posts end with it.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_committee(
        &self,
        actor: &Actor,
        id: OwnersCommitteeId,
        reason: Option<String>,
    ) -> Result<reg::OwnersCommittee> {
        let reason = validate_reason(reason.as_deref())?;
        let current = self.committee_row(&self.db, id).await?;
        let (_, chain) = self.estate_chain(current.estate_id.into(), "estate_id").await?;
        let decision = self.gate.require(actor, Resource::OwnersCommittee, Action::End, &chain, Some(id.0)).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        end_row::<owners_committee::Entity, _>(txn, id.0, self.now(), reason, "owners_committee").await?;
        end_posts_of(txn, &[OrgKind::OwnersCommittee], id.0, self.now(), "业主委员会终止").await?;
        let row = self.committee_row(txn, id).await?;
        write.commit().await?;
        Ok(to_committee(row))
    }

    // ---- departments ---------------------------------------------------------------

    async fn department_row<C: ConnectionTrait>(&self, conn: &C, id: DepartmentId) -> Result<department::Model> {
        department::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| not_found("department"))
    }

    /// Lists departments.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_departments(
        &self,
        actor: &Actor,
        filter: Filter,
        page: PageRequest,
    ) -> Result<Page<reg::Department>> {
        self.gate.require(actor, Resource::Department, Action::Read, &[Scope::County], None).await?;
        let select = unless_ended!(department::Entity::find(), department::Column::EndedAt, filter);
        Ok(paging::fetch(&self.db, select, department::Column::Id, |m| m.id, page, false).await?.map(to_department))
    }

    /// Gets one department.
    ///
    /// # Errors
    /// Not found, forbidden, database errors.
    pub async fn get_department(&self, actor: &Actor, id: DepartmentId) -> Result<reg::Department> {
        let row = self.department_row(&self.db, id).await?;
        self.gate.require(actor, Resource::Department, Action::Read, &Scope::department_chain(id), Some(id.0)).await?;
        Ok(to_department(row))
    }

    /// Registers a department.
    ///
    /// # Errors
    /// Validation, duplicate name, forbidden, database errors.
    pub async fn create_department(&self, actor: &Actor, name: &str) -> Result<reg::Department> {
        let name = validate_name(name)?;
        let id = DepartmentId::new();
        let decision =
            self.gate.require(actor, Resource::Department, Action::Create, &[Scope::County], Some(id.0)).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        department::Entity::insert(department::ActiveModel {
            id: Set(id.0),
            name: Set(name),
            created_at: Set(self.now()),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(txn)
        .await?;
        let row = self.department_row(txn, id).await?;
        write.commit().await?;
        Ok(to_department(row))
    }

    /// Renames a department.
    ///
    /// # Errors
    /// Validation, not found, ended, forbidden, database errors.
    pub async fn update_department(
        &self,
        actor: &Actor,
        id: DepartmentId,
        name: Option<String>,
    ) -> Result<reg::Department> {
        let decision = self.gate
            .require(actor, Resource::Department, Action::Update, &Scope::department_chain(id), Some(id.0))
            .await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        let row = self.department_row(txn, id).await?;
        if row.ended_at.is_some() {
            return Err(DomainError::AlreadyEnded { entity: "department" }.into());
        }
        let name = validate_name(name.as_deref().unwrap_or(&row.name))?;
        let mut active = row.into_active_model();
        active.name = Set(name);
        let row = department::Entity::update(active).exec(txn).await?;
        write.commit().await?;
        Ok(to_department(row))
    }

    /// Ends a department; its officers' posts end with it.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_department(
        &self,
        actor: &Actor,
        id: DepartmentId,
        reason: Option<String>,
    ) -> Result<reg::Department> {
        let reason = validate_reason(reason.as_deref())?;
        self.department_row(&self.db, id).await?;
        let decision =
            self.gate.require(actor, Resource::Department, Action::End, &Scope::department_chain(id), Some(id.0)).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        end_row::<department::Entity, _>(txn, id.0, self.now(), reason, "department").await?;
        end_posts_of(txn, &[OrgKind::Department], id.0, self.now(), "部门撤销").await?;
        let row = self.department_row(txn, id).await?;
        write.commit().await?;
        Ok(to_department(row))
    }

    // ---- people ---------------------------------------------------------------------

    async fn person_row<C: ConnectionTrait>(&self, conn: &C, id: PersonId) -> Result<person::Model> {
        person::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| not_found("person"))
    }

    /// The posts in force today of several people, by person.
    async fn posts_in_force<C: ConnectionTrait>(
        &self,
        conn: &C,
        people: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<post::Model>>> {
        let mut by_person: HashMap<Uuid, Vec<post::Model>> = HashMap::new();
        if people.is_empty() {
            return Ok(by_person);
        }
        let rows = post::Entity::find()
            .filter(post::Column::PersonId.is_in(people.iter().copied()))
            .filter(in_force::post(self.clock.today()))
            .all(conn)
            .await?;
        for row in rows {
            by_person.entry(row.person_id).or_default().push(row);
        }
        Ok(by_person)
    }

    /// The scopes where a person is known: those of every post they hold today.
    fn person_chain(posts: &[post::Model]) -> Vec<Scope> {
        let mut chain: Vec<Scope> = Vec::new();
        for p in posts {
            let Ok(kind) = p.org_kind.parse::<OrgKind>() else { continue };
            for s in post_chain(kind, p.org_id, p.community_id, p.estate_id) {
                if !chain.contains(&s) {
                    chain.push(s);
                }
            }
        }
        if !chain.contains(&Scope::County) {
            chain.push(Scope::County);
        }
        chain
    }

    /// A person as `viewer` may see them: the phone is whole only for the person, an
    /// administrator, or a leader of one of the person's organizations; a resident (someone
    /// whose only posts are residences) shows by a masked name too, unless the viewer is
    /// the person, an administrator, or handles their estate (`sees_resident`).
    fn to_person(viewer: &Actor, m: person::Model, posts: &[post::Model]) -> reg::Person {
        let subject: Vec<PostRecord> = posts
            .iter()
            .filter_map(|p| {
                Some(PostRecord { org_kind: p.org_kind.parse().ok()?, org_id: p.org_id, title: p.title.parse().ok()? })
            })
            .collect();
        let is_self = viewer.person_id.0 == m.id;
        let whole = may_see_phone(is_self, viewer.is_admin, &viewer.posts, &subject);
        let resident_only = !subject.is_empty() && subject.iter().all(|p| p.org_kind == OrgKind::Estate);
        let homes: Vec<(EstateId, CommunityId)> = posts
            .iter()
            .filter_map(|p| Some((EstateId(p.estate_id?), CommunityId(p.community_id?))))
            .collect();
        let name_whole =
            !resident_only || is_self || viewer.is_admin || domain::authz::sees_resident(&viewer.bindings, &homes);
        let phone = m.phone.map(|p| if whole && name_whole { p } else { mask_phone(&p) });
        reg::Person {
            id: m.id.into(),
            name: if name_whole { m.name } else { domain::complaint::mask_name(&m.name) },
            phone_masked: phone.is_some() && !(whole && name_whole),
            phone,
            is_party_member: m.is_party_member,
            life: life(m.created_at, m.ended_at, m.end_reason),
        }
    }

    /// Lists people holding posts today in an estate, community, company or department
    /// (everyone in the county needs a county-wide role).
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn list_people(&self, actor: &Actor, filter: Filter, page: PageRequest) -> Result<Page<reg::Person>> {
        let mut select = unless_ended!(person::Entity::find(), person::Column::EndedAt, filter);
        if !filter.has_scope() {
            // Without a scope: the people holding posts where the caller may read people.
            let v = Visible::of(&self.gate.scopes_allowing(actor, Resource::Person, Action::Read));
            if !v.county {
                let holders = Query::select()
                    .column(post::Column::PersonId)
                    .from(post::Entity)
                    .cond_where(in_force::post(self.clock.today()))
                    .cond_where(v.posts())
                    .to_owned();
                select = select.filter(
                    Condition::any()
                        .add(person::Column::Id.eq(actor.person_id.0))
                        .add(person::Column::Id.in_subquery(holders)),
                );
            }
        } else {
            let chain = self.filter_chain(&filter).await?;
            self.gate.require(actor, Resource::Person, Action::Read, &chain, None).await?;
            let mut holders = Query::select()
                .column(post::Column::PersonId)
                .from(post::Entity)
                .cond_where(in_force::post(self.clock.today()))
                .to_owned();
            if let Some(e) = filter.estate_id {
                holders.and_where(post::Column::EstateId.eq(e.0));
            }
            if let Some(c) = filter.community_id {
                holders.and_where(post::Column::CommunityId.eq(c.0));
            }
            if let Some(p) = filter.company_id {
                holders
                    .and_where(post::Column::OrgKind.eq(OrgKind::PropertyCompany.as_str()))
                    .and_where(post::Column::OrgId.eq(p.0));
            }
            if let Some(d) = filter.department_id {
                holders
                    .and_where(post::Column::OrgKind.eq(OrgKind::Department.as_str()))
                    .and_where(post::Column::OrgId.eq(d.0));
            }
            select = select.filter(person::Column::Id.in_subquery(holders));
        }
        let page = paging::fetch(&self.db, select, person::Column::Id, |m| m.id, page, false).await?;
        let ids: Vec<Uuid> = page.items.iter().map(|p| p.id).collect();
        let posts = self.posts_in_force(&self.db, &ids).await?;
        Ok(page.map(|m| {
            let held = posts.get(&m.id).map(Vec::as_slice).unwrap_or_default();
            Self::to_person(actor, m, held)
        }))
    }

    /// Gets one person (yourself always; others where you may read people in one of the
    /// scopes they hold a post in).
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn get_person(&self, actor: &Actor, id: PersonId) -> Result<reg::Person> {
        let row = self.person_row(&self.db, id).await?;
        let posts = self.posts_in_force(&self.db, &[id.0]).await?.remove(&id.0).unwrap_or_default();
        if actor.person_id != id {
            self.gate.require_visible(actor, Resource::Person, &Self::person_chain(&posts), id.0, "person").await?;
        }
        Ok(Self::to_person(actor, row, &posts))
    }

    /// Registers a person, optionally with a first post (then the post's organization is
    /// where the permission is checked; without one, a county-wide role is needed).
    ///
    /// # Errors
    /// Validation, unknown organization, forbidden, database errors.
    pub async fn create_person(
        &self,
        actor: &Actor,
        input: PersonInput,
        first_post: Option<PostInput>,
    ) -> Result<reg::Person> {
        let id = PersonId::new();
        let placed = match &first_post {
            Some(p) => Some(self.place_post(p).await?),
            None => None,
        };
        let chain = placed.as_ref().map_or_else(|| vec![Scope::County], |(chain, _, _)| chain.clone());
        let decision = self.gate.require(actor, Resource::Person, Action::Create, &chain, Some(id.0)).await?;
        let post_decision = match &first_post {
            Some(p) => {
                Some(self.gate.require(actor, post_resource(p.org_kind), Action::Create, &chain, Some(id.0)).await?)
            }
            None => None,
        };
        let mut write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        person::Entity::insert(person::ActiveModel {
            id: Set(id.0),
            name: Set(input.name),
            phone: Set(input.phone.map(|p| p.as_str().to_owned())),
            is_party_member: Set(input.is_party_member),
            created_at: Set(self.now()),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(write.conn())
        .await?;
        if let (Some(p), Some((_, community, estate)), Some(post_decision)) = (first_post, placed, post_decision) {
            person_origin::Entity::insert(person_origin::ActiveModel {
                person_id: Set(id.0),
                org_kind: Set(p.org_kind.as_str().to_owned()),
                org_id: Set(p.org_id),
            })
            .exec_without_returning(write.conn())
            .await?;
            let post_id = PostId::new();
            self.insert_post(write.conn(), post_id, id, p, community, estate).await?;
            write.also(post_decision, post_id.0);
        }
        let row = self.person_row(write.conn(), id).await?;
        let posts = self.posts_in_force(write.conn(), &[id.0]).await?.remove(&id.0).unwrap_or_default();
        write.commit().await?;
        Ok(Self::to_person(actor, row, &posts))
    }

    /// Updates a person's name, phone or party membership.
    ///
    /// # Errors
    /// Validation, not found, ended, forbidden, database errors.
    pub async fn update_person(&self, actor: &Actor, id: PersonId, patch: PersonPatch) -> Result<reg::Person> {
        let current = self.person_row(&self.db, id).await?;
        let posts = self.posts_in_force(&self.db, &[id.0]).await?.remove(&id.0).unwrap_or_default();
        // A name and phone are changed by the person, an administrator, or the organization
        // whose post created the record; never by one that merely shares a scope with them.
        let decision = if actor.person_id == id {
            self.gate.require(actor, Resource::OwnPerson, Action::Update, &[Scope::County], Some(id.0)).await?
        } else {
            self.gate.require_visible(actor, Resource::Person, &Self::person_chain(&posts), id.0, "person").await?;
            match self.origin_of(&self.db, id).await? {
                Some((kind, org_id)) => {
                    let (chain, ..) = self.place(kind, org_id).await?;
                    self.gate.require(actor, post_resource(kind), Action::Update, &chain, Some(id.0)).await?
                }
                None => self.gate.require(actor, Resource::Person, Action::Update, &[Scope::County], Some(id.0)).await?,
            }
        };
        let phone = patch.phone.unwrap_or(current.phone.clone());
        let input = PersonInput::validate(
            patch.name.as_deref().unwrap_or(&current.name),
            phone.as_deref(),
            patch.is_party_member.unwrap_or(current.is_party_member),
        )?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        let row = self.person_row(txn, id).await?;
        if row.ended_at.is_some() {
            return Err(DomainError::AlreadyEnded { entity: "person" }.into());
        }
        let mut active = row.into_active_model();
        active.name = Set(input.name);
        active.phone = Set(input.phone.map(|p| p.as_str().to_owned()));
        active.is_party_member = Set(input.is_party_member);
        let row = person::Entity::update(active).exec(txn).await?;
        write.commit().await?;
        Ok(Self::to_person(actor, row, &posts))
    }

    /// Ends a person's record (moved away, deceased): their posts end and their account can
    /// no longer sign in.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_person(&self, actor: &Actor, id: PersonId, reason: Option<String>) -> Result<reg::Person> {
        let reason = validate_reason(reason.as_deref())?;
        self.person_row(&self.db, id).await?;
        let posts = self.posts_in_force(&self.db, &[id.0]).await?.remove(&id.0).unwrap_or_default();
        let decision =
            self.gate.require(actor, Resource::Person, Action::End, &Self::person_chain(&posts), Some(id.0)).await?;
        let now = self.now();
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        end_row::<person::Entity, _>(txn, id.0, now, reason, "person").await?;
        post::Entity::update_many()
            .col_expr(post::Column::EndedAt, Expr::value(Some(now)))
            .col_expr(post::Column::EndReason, Expr::value(Some("人员注销".to_owned())))
            .filter(post::Column::PersonId.eq(id.0))
            .filter(post::Column::EndedAt.is_null())
            .exec(txn)
            .await?;
        crate::entities::account::Entity::update_many()
            .col_expr(crate::entities::account::Column::DisabledAt, Expr::value(Some(now)))
            .filter(crate::entities::account::Column::PersonId.eq(id.0))
            .filter(crate::entities::account::Column::DisabledAt.is_null())
            .exec(txn)
            .await?;
        let row = self.person_row(txn, id).await?;
        write.commit().await?;
        Ok(Self::to_person(actor, row, &[]))
    }

    // ---- posts ----------------------------------------------------------------------

    async fn post_row<C: ConnectionTrait>(&self, conn: &C, id: PostId) -> Result<post::Model> {
        post::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| not_found("post"))
    }

    /// Finds an organization: the scopes containing it, its community and its estate (stored
    /// on its posts so lists by community or estate need no joins), and when it ended.
    async fn place(&self, kind: OrgKind, org_id: Uuid) -> Result<(Vec<Scope>, Option<Uuid>, Option<Uuid>, Option<DateTime<Utc>>)> {
        let unknown = || Error::from(DomainError::field("org_id", Code::UnknownOrganization));
        let (community, estate, ended_at) = match kind {
            OrgKind::PartyBranch | OrgKind::ResidentsCommittee => {
                let c = community::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                (Some(c.id), None, c.ended_at)
            }
            OrgKind::Grid => {
                let g = grid::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                (Some(g.community_id), None, g.ended_at)
            }
            OrgKind::Estate => {
                let e = estate::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                (Some(e.community_id), Some(e.id), e.ended_at)
            }
            OrgKind::OwnersCommittee => {
                let oc = owners_committee::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                let e = self.estate_row(&self.db, oc.estate_id.into()).await?;
                (Some(e.community_id), Some(e.id), oc.ended_at)
            }
            OrgKind::PropertyCompany => {
                let p = property_company::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                (None, None, p.ended_at)
            }
            OrgKind::Department => {
                let d = department::Entity::find_by_id(org_id).one(&self.db).await?.ok_or_else(unknown)?;
                (None, None, d.ended_at)
            }
            OrgKind::County => {
                if !org_id.is_nil() {
                    return Err(unknown());
                }
                (None, None, None)
            }
        };
        Ok((post_chain(kind, org_id, community, estate), community, estate, ended_at))
    }

    /// Finds the organization a new post is in, which must not have ended.
    async fn place_post(&self, input: &PostInput) -> Result<(Vec<Scope>, Option<Uuid>, Option<Uuid>)> {
        let (chain, community, estate, ended_at) = self.place(input.org_kind, input.org_id).await?;
        if ended_at.is_some() {
            return Err(DomainError::field("org_id", Code::OrganizationEnded).into());
        }
        Ok((chain, community, estate))
    }

    /// The organization whose post created a person's record, if any.
    async fn origin_of<C: ConnectionTrait>(&self, conn: &C, id: PersonId) -> Result<Option<(OrgKind, Uuid)>> {
        let Some(row) = person_origin::Entity::find_by_id(id.0).one(conn).await? else { return Ok(None) };
        let kind = row.org_kind.parse::<OrgKind>().map_err(|e| Error::Unexpected(format!("origin of {}: {e}", id.0)))?;
        Ok(Some((kind, row.org_id)))
    }

    async fn insert_post<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: PostId,
        person_id: PersonId,
        input: PostInput,
        community: Option<Uuid>,
        estate: Option<Uuid>,
    ) -> Result<()> {
        post::Entity::insert(post::ActiveModel {
            id: Set(id.0),
            person_id: Set(person_id.0),
            org_kind: Set(input.org_kind.as_str().to_owned()),
            org_id: Set(input.org_id),
            title: Set(input.title.as_str().to_owned()),
            starts_on: Set(input.term.start),
            ends_on: Set(input.term.end),
            community_id: Set(community),
            estate_id: Set(estate),
            created_at: Set(self.now()),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(conn)
        .await?;
        Ok(())
    }

    /// Lists posts by person, estate, community, company or department.
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn list_posts(&self, actor: &Actor, filter: Filter, page: PageRequest) -> Result<Page<reg::Post>> {
        let mut select = unless_ended!(post::Entity::find(), post::Column::EndedAt, filter);
        // Someone else's posts: only those in scopes where the caller may read posts.
        let mut only_readable = false;
        match filter.person_id {
            Some(p) if p == actor.person_id => {}
            Some(p) => {
                let posts = self.posts_in_force(&self.db, &[p.0]).await?.remove(&p.0).unwrap_or_default();
                self.gate.require(actor, Resource::Post, Action::Read, &Self::person_chain(&posts), None).await?;
                only_readable = true;
            }
            None if filter.has_scope() => {
                let chain = self.filter_chain(&filter).await?;
                self.gate.require(actor, Resource::Post, Action::Read, &chain, None).await?;
            }
            None => {
                let v = Visible::of(&self.gate.scopes_allowing(actor, Resource::Post, Action::Read));
                if !v.county {
                    select = select
                        .filter(Condition::any().add(post::Column::PersonId.eq(actor.person_id.0)).add(v.posts()));
                }
            }
        }
        if let Some(p) = filter.person_id {
            select = select.filter(post::Column::PersonId.eq(p.0));
        }
        if let Some(e) = filter.estate_id {
            select = select.filter(post::Column::EstateId.eq(e.0));
        }
        if let Some(c) = filter.community_id {
            select = select.filter(post::Column::CommunityId.eq(c.0));
        }
        if let Some(p) = filter.company_id {
            select = select
                .filter(post::Column::OrgKind.eq(OrgKind::PropertyCompany.as_str()))
                .filter(post::Column::OrgId.eq(p.0));
        }
        if let Some(d) = filter.department_id {
            select = select
                .filter(post::Column::OrgKind.eq(OrgKind::Department.as_str()))
                .filter(post::Column::OrgId.eq(d.0));
        }
        let page = paging::fetch(&self.db, select, post::Column::Id, |m| m.id, page, false).await?;
        let rows: Vec<post::Model> = if only_readable {
            page.items
                .into_iter()
                .filter(|row| {
                    row.org_kind.parse::<OrgKind>().is_ok_and(|kind| {
                        let chain = post_chain(kind, row.org_id, row.community_id, row.estate_id);
                        self.gate.allows(actor, Resource::Post, Action::Read, &chain)
                    })
                })
                .collect()
        } else {
            page.items
        };
        let mut items = rows.into_iter().map(to_post).collect::<Result<Vec<_>>>()?;
        self.mark_awaiting(&mut items).await?;
        Ok(Page { items, next_cursor: page.next_cursor })
    }

    /// Marks the posts still waiting for their holder's acceptance.
    async fn mark_awaiting(&self, posts: &mut [reg::Post]) -> Result<()> {
        if posts.is_empty() {
            return Ok(());
        }
        let waiting: Vec<Uuid> = post_invitation::Entity::find()
            .filter(post_invitation::Column::PostId.is_in(posts.iter().map(|p| p.id.0)))
            .filter(post_invitation::Column::AcceptedAt.is_null())
            .all(&self.db)
            .await?
            .into_iter()
            .map(|i| i.post_id)
            .collect();
        for post in posts.iter_mut() {
            post.awaiting_acceptance = waiting.contains(&post.id.0);
        }
        Ok(())
    }

    /// Gets one post.
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn get_post(&self, actor: &Actor, id: PostId) -> Result<reg::Post> {
        let row = self.post_row(&self.db, id).await?;
        if row.person_id != actor.person_id.0 {
            let post = to_post(row.clone())?;
            let chain = post_chain(post.org_kind, post.org_id, row.community_id, row.estate_id);
            self.gate.require_visible(actor, Resource::Post, &chain, id.0, "post").await?;
        }
        let mut post = [to_post(row)?];
        self.mark_awaiting(&mut post).await?;
        let [post] = post;
        Ok(post)
    }

    /// Appoints a person to a post.
    ///
    /// # Errors
    /// Validation (title for the kind, term), unknown person or organization, forbidden,
    /// database errors.
    pub async fn create_post(&self, actor: &Actor, person_id: PersonId, input: PostInput) -> Result<reg::Post> {
        let person = self
            .person_row(&self.db, person_id)
            .await
            .map_err(|_| DomainError::field("person_id", Code::UnknownPerson))?;
        if person.ended_at.is_some() {
            return Err(DomainError::field("person_id", Code::PersonEnded).into());
        }
        let (chain, community, estate) = self.place_post(&input).await?;
        let id = PostId::new();
        let resource = post_resource(input.org_kind);
        let decision = self.gate.require(actor, resource, Action::Create, &chain, Some(id.0)).await?;
        // A company linking someone who already serves elsewhere gives them no role until they
        // accept: otherwise a company could make a secretary its "staff" (recusing them) or read
        // their phone as their "manager".
        let held = self.posts_in_force(&self.db, &[person_id.0]).await?.remove(&person_id.0).unwrap_or_default();
        let needs_acceptance = resource == Resource::StaffPost
            && !actor.is_admin
            && actor.person_id != person_id
            && held.iter().any(|p| !(p.org_kind == input.org_kind.as_str() && p.org_id == input.org_id));
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        self.insert_post(txn, id, person_id, input, community, estate).await?;
        if needs_acceptance {
            post_invitation::Entity::insert(post_invitation::ActiveModel {
                post_id: Set(id.0),
                person_id: Set(person_id.0),
                invited_by: Set(actor.person_id.0),
                created_at: Set(self.now()),
                accepted_at: Set(None),
                declined_at: Set(None),
            })
            .exec_without_returning(txn)
            .await?;
        }
        let row = self.post_row(txn, id).await?;
        write.commit().await?;
        let mut post = to_post(row)?;
        post.awaiting_acceptance = needs_acceptance;
        Ok(post)
    }

    /// The posts waiting for `actor` to accept them (a company recorded them as its staff).
    ///
    /// # Errors
    /// Database errors.
    pub async fn invitations(&self, actor: &Actor) -> Result<Vec<reg::Post>> {
        let waiting: Vec<Uuid> = post_invitation::Entity::find()
            .filter(post_invitation::Column::PersonId.eq(actor.person_id.0))
            .filter(post_invitation::Column::AcceptedAt.is_null())
            .filter(post_invitation::Column::DeclinedAt.is_null())
            .all(&self.db)
            .await?
            .into_iter()
            .map(|i| i.post_id)
            .collect();
        let rows = post::Entity::find()
            .filter(post::Column::Id.is_in(waiting))
            .filter(post::Column::EndedAt.is_null())
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|row| {
                let mut post = to_post(row)?;
                post.awaiting_acceptance = true;
                Ok(post)
            })
            .collect()
    }

    /// Accepts (`accept`) or declines a post someone recorded for the caller; declining ends
    /// the post. Only the person may answer.
    ///
    /// # Errors
    /// Not found (no such invitation for the caller), already answered (409), database errors.
    pub async fn answer_invitation(&self, actor: &Actor, id: PostId, accept: bool) -> Result<reg::Post> {
        let invitation = post_invitation::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .filter(|i| i.person_id == actor.person_id.0)
            .ok_or(DomainError::NotFound { entity: "invitation" })?;
        let decision =
            self.gate.require(actor, Resource::OwnPerson, Action::Update, &[Scope::County], Some(id.0)).await?;
        let now = self.now();
        let write = self.gate.write(actor, decision, invitation.post_id, Bindings::Change).await?;
        let txn = write.conn();
        let column =
            if accept { post_invitation::Column::AcceptedAt } else { post_invitation::Column::DeclinedAt };
        let done = post_invitation::Entity::update_many()
            .col_expr(column, Expr::value(Some(now)))
            .filter(post_invitation::Column::PostId.eq(id.0))
            .filter(post_invitation::Column::AcceptedAt.is_null())
            .filter(post_invitation::Column::DeclinedAt.is_null())
            .exec(txn)
            .await?;
        if done.rows_affected != 1 {
            return Err(DomainError::Conflict { code: Code::AlreadyAnswered }.into());
        }
        if !accept {
            end_row::<post::Entity, _>(txn, id.0, now, Some("本人未接受".to_owned()), "post").await?;
        }
        let row = self.post_row(txn, id).await?;
        write.commit().await?;
        to_post(row)
    }

    /// Changes a post's title (within its organization's titles) or the end of its term.
    ///
    /// # Errors
    /// Validation, not found, ended, forbidden, database errors.
    pub async fn update_post(&self, actor: &Actor, id: PostId, patch: PostPatch) -> Result<reg::Post> {
        let current = to_post(self.post_row(&self.db, id).await?)?;
        let chain = post_chain(
            current.org_kind,
            current.org_id,
            current.community_id.map(|c| c.0),
            current.estate_id.map(|e| e.0),
        );
        if current.person_id != actor.person_id {
            self.gate.require_visible(actor, Resource::Post, &chain, id.0, "post").await?;
        }
        let decision =
            self.gate.require(actor, post_resource(current.org_kind), Action::Update, &chain, Some(id.0)).await?;
        let input = PostInput::validate(
            current.org_kind.as_str(),
            current.org_id,
            patch.title.as_deref().unwrap_or(current.title.as_str()),
            current.term.start,
            patch.ends_on.unwrap_or(current.term.end),
        )?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        let row = self.post_row(txn, id).await?;
        if row.ended_at.is_some() {
            return Err(DomainError::AlreadyEnded { entity: "post" }.into());
        }
        let mut active = row.into_active_model();
        active.title = Set(input.title.as_str().to_owned());
        active.ends_on = Set(input.term.end);
        let row = post::Entity::update(active).exec(txn).await?;
        write.commit().await?;
        to_post(row)
    }

    /// Ends a post now; the rights it gave end on the next request.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_post(&self, actor: &Actor, id: PostId, reason: Option<String>) -> Result<reg::Post> {
        let reason = validate_reason(reason.as_deref())?;
        let current = to_post(self.post_row(&self.db, id).await?)?;
        let chain = post_chain(
            current.org_kind,
            current.org_id,
            current.community_id.map(|c| c.0),
            current.estate_id.map(|e| e.0),
        );
        let own = current.person_id == actor.person_id;
        if !own {
            self.gate.require_visible(actor, Resource::Post, &chain, id.0, "post").await?;
        }
        // A resident may end their own residence (moving away); other posts are ended by
        // whoever records that kind.
        let resource = if own && current.org_kind == OrgKind::Estate {
            Resource::OwnResidence
        } else {
            post_resource(current.org_kind)
        };
        let decision = self.gate.require(actor, resource, Action::End, &chain, Some(id.0)).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        end_row::<post::Entity, _>(txn, id.0, self.now(), reason, "post").await?;
        let row = self.post_row(txn, id).await?;
        write.commit().await?;
        to_post(row)
    }
}
