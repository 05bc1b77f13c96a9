//! Organizations: property companies and their service contracts, owners' committees and
//! departments.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Registry {
    // ---- property companies -------------------------------------------------------

    pub(super) async fn company_row<C: ConnectionTrait>(
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
        let decision = self
            .gate
            .require(actor, Resource::PropertyCompany, Action::Update, &Scope::company_chain(id), Some(id.0))
            .await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        let row = self.company_row(txn, id).await?;
        still_open(row.ended_at, "property_company")?;
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
        let decision = self
            .gate
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

    pub(super) async fn contract_row<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: ServiceContractId,
    ) -> Result<service_contract::Model> {
        service_contract::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| not_found("service_contract"))
    }

    /// The scopes containing a contract: its estate (and community) and its company.
    pub(super) async fn contract_chain(&self, row: &service_contract::Model) -> Result<Vec<Scope>> {
        let estate = self.estate_row(&self.db, row.estate_id.into()).await?;
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
        still_open(row.ended_at, "service_contract")?;
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

    pub(super) async fn committee_row<C: ConnectionTrait>(
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
        still_open(row.ended_at, "owners_committee")?;
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

    pub(super) async fn department_row<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: DepartmentId,
    ) -> Result<department::Model> {
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
        let decision = self
            .gate
            .require(actor, Resource::Department, Action::Update, &Scope::department_chain(id), Some(id.0))
            .await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        let row = self.department_row(txn, id).await?;
        still_open(row.ended_at, "department")?;
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
        let decision = self
            .gate
            .require(actor, Resource::Department, Action::End, &Scope::department_chain(id), Some(id.0))
            .await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Change).await?;
        let txn = write.conn();
        end_row::<department::Entity, _>(txn, id.0, self.now(), reason, "department").await?;
        end_posts_of(txn, &[OrgKind::Department], id.0, self.now(), "部门撤销").await?;
        let row = self.department_row(txn, id).await?;
        write.commit().await?;
        Ok(to_department(row))
    }
}
