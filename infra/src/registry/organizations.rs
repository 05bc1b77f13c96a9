//! Organizations: property companies and their service contracts, owners' committees and
//! departments.

#[allow(clippy::wildcard_imports)]
use super::*;

/// A term, and when the record holding it was ended early (if it was).
type Span = (DateRange, Option<DateTime<Utc>>);

/// A contract's term and when it was ended early, if it was.
fn contract_term(c: &service_contract::Model) -> Span {
    (DateRange { start: c.starts_on, end: Some(c.ends_on) }, c.ended_at)
}

/// A committee's term and when it was ended early, if it was.
fn committee_term(c: &owners_committee::Model) -> Span {
    (DateRange { start: c.term_start, end: Some(c.term_end) }, c.ended_at)
}

/// Refuses `term` on `estate` when it overlaps another contract or committee there (not
/// `except`, the one being changed) that has not ended early: one at a time per estate.
async fn no_overlap<E: Record, C: ConnectionTrait>(
    conn: &C,
    estate: Uuid,
    except: Option<Uuid>,
    term: &DateRange,
    term_of: fn(&E::Model) -> Span,
    code: Code,
) -> Result<()> {
    let mut others = E::find().filter(ExprTrait::eq(Expr::col("estate_id"), estate));
    if let Some(id) = except {
        others = others.filter(ExprTrait::ne(Expr::col("id"), id));
    }
    Ok(ensure_no_overlap(term, others.all(conn).await?.iter().map(term_of), code)?)
}

impl Registry {
    // ---- property companies -------------------------------------------------------

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
            let serving = Query::select()
                .column(service_contract::Column::CompanyId)
                .from(service_contract::Entity)
                .cond_where(in_force::contract(self.clock.today()))
                .cond_where(filter.on_estates(service_contract::Column::EstateId))
                .to_owned();
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
        let row = load::<property_company::Entity, _>(&self.db, id.0).await?;
        self.gate
            .require(actor, Resource::PropertyCompany, Action::Read, &Scope::company_chain(id), Some(id.0))
            .await?;
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
        let row = self
            .create::<property_company::Entity>(actor, decision, id.0, async |_, new| {
                Ok(property_company::ActiveModel {
                    name_key: Set(Some(domain::registry::name_key(&input.name))),
                    name: Set(input.name),
                    credit_code: Set(input.credit_code.as_str().to_owned()),
                    address: Set(input.address),
                    ..new
                })
            })
            .await?;
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
        let decision = self
            .gate
            .require(actor, Resource::PropertyCompany, Action::Update, &Scope::company_chain(id), Some(id.0))
            .await?;
        let row = self
            .update::<property_company::Entity>(actor, decision, id.0, None, async |_, row| {
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
                Ok(active)
            })
            .await?;
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
        load::<property_company::Entity, _>(&self.db, id.0).await?;
        let decision = self
            .gate
            .require(actor, Resource::PropertyCompany, Action::End, &Scope::company_chain(id), Some(id.0))
            .await?;
        let row = self
            .end::<property_company::Entity>(actor, decision, id.0, reason, async |txn, now| {
                let why = Some("企业注销".to_owned());
                end_where::<service_contract::Entity, _>(txn, "company_id", id.0, now, why).await?;
                end_posts_of(txn, &[OrgKind::PropertyCompany], id.0, now, "企业注销").await
            })
            .await?;
        to_company(row)
    }

    // ---- service contracts --------------------------------------------------------

    /// The scopes containing a contract: its estate (and community) and its company.
    pub(super) async fn contract_chain(&self, row: &service_contract::Model) -> Result<Vec<Scope>> {
        let estate = load::<estate::Entity, _>(&self.db, row.estate_id).await?;
        Ok(vec![
            Scope::Estate(row.estate_id.into()),
            Scope::Community(estate.community_id.into()),
            Scope::Company(row.company_id.into()),
            Scope::County,
        ])
    }

    /// The chain a list filter asks about; with no filter, the whole county.
    pub(super) async fn filter_chain(&self, filter: &Filter) -> Result<Vec<Scope>> {
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
                select = select.filter(
                    Condition::any()
                        .add(service_contract::Column::EstateId.is_in(v.estates))
                        .add(service_contract::Column::CompanyId.is_in(v.companies))
                        .add(service_contract::Column::EstateId.in_subquery(estates_of(v.communities))),
                );
            }
        }
        select = select.filter(filter.on_estates(service_contract::Column::EstateId));
        if let Some(p) = filter.company_id {
            select = select.filter(service_contract::Column::CompanyId.eq(p.0));
        }
        Ok(paging::fetch(&self.db, select, service_contract::Column::Id, |m| m.id, page, false).await?.map(to_contract))
    }

    /// Gets one contract.
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn get_contract(&self, actor: &Actor, id: ServiceContractId) -> Result<reg::ServiceContract> {
        let row = load::<service_contract::Entity, _>(&self.db, id.0).await?;
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
        let company = load::<property_company::Entity, _>(&self.db, company_id.0)
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
        let row = self
            .create::<service_contract::Entity>(actor, decision, id.0, async |txn, new| {
                self.lock_estate(txn, estate_id).await?;
                no_overlap::<service_contract::Entity, _>(
                    txn,
                    estate_id.0,
                    None,
                    &input.term,
                    contract_term,
                    Code::ContractOverlap,
                )
                .await?;
                Ok(service_contract::ActiveModel {
                    company_id: Set(company_id.0),
                    estate_id: Set(estate_id.0),
                    starts_on: Set(input.term.start),
                    ends_on: Set(input.term.end.unwrap_or(input.term.start)),
                    reference: Set(input.label),
                    ..new
                })
            })
            .await?;
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
        let current = load::<service_contract::Entity, _>(&self.db, id.0).await?;
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
        let lock = Some(current.estate_id.into());
        let row = self
            .update::<service_contract::Entity>(actor, decision, id.0, lock, async |txn, row| {
                no_overlap::<service_contract::Entity, _>(
                    txn,
                    row.estate_id,
                    Some(id.0),
                    &input.term,
                    contract_term,
                    Code::ContractOverlap,
                )
                .await?;
                let mut active = row.into_active_model();
                active.starts_on = Set(input.term.start);
                active.ends_on = Set(input.term.end.unwrap_or(input.term.start));
                active.reference = Set(input.label);
                Ok(active)
            })
            .await?;
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
        let current = load::<service_contract::Entity, _>(&self.db, id.0).await?;
        let chain = self.contract_chain(&current).await?;
        let decision = self.gate.require(actor, Resource::ServiceContract, Action::End, &chain, Some(id.0)).await?;
        let row = self.end::<service_contract::Entity>(actor, decision, id.0, reason, async |_, _| Ok(())).await?;
        Ok(to_contract(row))
    }

    // ---- owners' committees -------------------------------------------------------

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
        select = select.filter(filter.on_estates(owners_committee::Column::EstateId));
        Ok(paging::fetch(&self.db, select, owners_committee::Column::Id, |m| m.id, page, false)
            .await?
            .map(to_committee))
    }

    /// Gets one owners' committee.
    ///
    /// # Errors
    /// Not found, forbidden, database errors.
    pub async fn get_committee(&self, actor: &Actor, id: OwnersCommitteeId) -> Result<reg::OwnersCommittee> {
        let row = load::<owners_committee::Entity, _>(&self.db, id.0).await?;
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
        let row = self
            .create::<owners_committee::Entity>(actor, decision, id.0, async |txn, new| {
                self.lock_estate(txn, estate_id).await?;
                no_overlap::<owners_committee::Entity, _>(
                    txn,
                    estate_id.0,
                    None,
                    &input.term,
                    committee_term,
                    Code::CommitteeTermOverlap,
                )
                .await?;
                Ok(owners_committee::ActiveModel {
                    estate_id: Set(estate_id.0),
                    name: Set(input.label.unwrap_or_default()),
                    term_start: Set(input.term.start),
                    term_end: Set(input.term.end.unwrap_or(input.term.start)),
                    ..new
                })
            })
            .await?;
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
        let current = load::<owners_committee::Entity, _>(&self.db, id.0).await?;
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
        let lock = Some(current.estate_id.into());
        let row = self
            .update::<owners_committee::Entity>(actor, decision, id.0, lock, async |txn, row| {
                no_overlap::<owners_committee::Entity, _>(
                    txn,
                    row.estate_id,
                    Some(id.0),
                    &input.term,
                    committee_term,
                    Code::CommitteeTermOverlap,
                )
                .await?;
                let mut active = row.into_active_model();
                active.name = Set(input.label.unwrap_or_default());
                active.term_start = Set(input.term.start);
                active.term_end = Set(input.term.end.unwrap_or(input.term.start));
                Ok(active)
            })
            .await?;
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
        let current = load::<owners_committee::Entity, _>(&self.db, id.0).await?;
        let (_, chain) = self.estate_chain(current.estate_id.into(), "estate_id").await?;
        let decision = self.gate.require(actor, Resource::OwnersCommittee, Action::End, &chain, Some(id.0)).await?;
        let row = self
            .end::<owners_committee::Entity>(actor, decision, id.0, reason, async |txn, now| {
                end_posts_of(txn, &[OrgKind::OwnersCommittee], id.0, now, "业主委员会终止").await
            })
            .await?;
        Ok(to_committee(row))
    }

    // ---- departments ---------------------------------------------------------------

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
        let row = load::<department::Entity, _>(&self.db, id.0).await?;
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
        let row = self
            .create::<department::Entity>(actor, decision, id.0, async |_, new| {
                Ok(department::ActiveModel { name: Set(name), ..new })
            })
            .await?;
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
        let decision = self
            .gate
            .require(actor, Resource::Department, Action::Update, &Scope::department_chain(id), Some(id.0))
            .await?;
        let row = self
            .update::<department::Entity>(actor, decision, id.0, None, async |_, row| {
                let name = validate_name(name.as_deref().unwrap_or(&row.name))?;
                let mut active = row.into_active_model();
                active.name = Set(name);
                Ok(active)
            })
            .await?;
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
        load::<department::Entity, _>(&self.db, id.0).await?;
        let decision = self
            .gate
            .require(actor, Resource::Department, Action::End, &Scope::department_chain(id), Some(id.0))
            .await?;
        let row = self
            .end::<department::Entity>(actor, decision, id.0, reason, async |txn, now| {
                end_posts_of(txn, &[OrgKind::Department], id.0, now, "部门撤销").await
            })
            .await?;
        Ok(to_department(row))
    }
}
