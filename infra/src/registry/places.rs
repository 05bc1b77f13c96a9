//! Places: communities, grids and estates.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Registry {
    // ---- communities ---------------------------------------------------------------

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
        let row = load::<community::Entity, _>(&self.db, id.0).await?;
        self.gate.require(actor, Resource::Community, Action::Read, &Scope::community_chain(id), Some(id.0)).await?;
        Ok(to_community(row))
    }

    /// Creates a community.
    ///
    /// # Errors
    /// Validation, a duplicate code, forbidden, database errors.
    pub async fn create_community(&self, actor: &Actor, input: CommunityInput) -> Result<reg::Community> {
        let id = CommunityId::new();
        let decision =
            self.gate.require(actor, Resource::Community, Action::Create, &[Scope::County], Some(id.0)).await?;
        let row = self
            .create::<community::Entity>(actor, decision, id.0, async |_, new| {
                Ok(community::ActiveModel {
                    name: Set(input.name),
                    code: Set(input.code),
                    street: Set(input.street),
                    ..new
                })
            })
            .await?;
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
        let decision = self
            .gate
            .require(actor, Resource::Community, Action::Update, &Scope::community_chain(id), Some(id.0))
            .await?;
        let row = self
            .update::<community::Entity>(actor, decision, id.0, None, async |_, row| {
                let input = CommunityInput::validate(
                    name.as_deref().unwrap_or(&row.name),
                    code.as_deref().unwrap_or(&row.code),
                    street.as_deref().unwrap_or(&row.street),
                )?;
                let mut active = row.into_active_model();
                active.name = Set(input.name);
                active.code = Set(input.code);
                active.street = Set(input.street);
                Ok(active)
            })
            .await?;
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
        let row = self
            .end::<community::Entity>(actor, decision, id.0, reason, async |txn, now| {
                end_posts_of(txn, &[OrgKind::PartyBranch, OrgKind::ResidentsCommittee], id.0, now, "社区撤销").await
            })
            .await?;
        Ok(to_community(row))
    }

    // ---- grids ---------------------------------------------------------------------

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
        let row = load::<grid::Entity, _>(&self.db, id.0).await?;
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
        let c = load::<community::Entity, _>(&self.db, community_id.0)
            .await
            .map_err(|_| DomainError::field("community_id", Code::UnknownCommunity))?;
        if c.ended_at.is_some() {
            return Err(DomainError::field("community_id", Code::CommunityEnded).into());
        }
        let id = GridId::new();
        let decision = self
            .gate
            .require(actor, Resource::Grid, Action::Create, &Scope::community_chain(community_id), Some(id.0))
            .await?;
        let row = self
            .create::<grid::Entity>(actor, decision, id.0, async |_, new| {
                Ok(grid::ActiveModel { community_id: Set(community_id.0), name: Set(name), ..new })
            })
            .await?;
        Ok(to_grid(row))
    }

    /// Renames a grid.
    ///
    /// # Errors
    /// Validation, not found, ended, forbidden, database errors.
    pub async fn update_grid(&self, actor: &Actor, id: GridId, name: Option<String>) -> Result<reg::Grid> {
        let current = load::<grid::Entity, _>(&self.db, id.0).await?;
        let chain = Scope::community_chain(current.community_id.into());
        let decision = self.gate.require(actor, Resource::Grid, Action::Update, &chain, Some(id.0)).await?;
        let row = self
            .update::<grid::Entity>(actor, decision, id.0, None, async |_, row| {
                let name = validate_name(name.as_deref().unwrap_or(&row.name))?;
                let mut active = row.into_active_model();
                active.name = Set(name);
                Ok(active)
            })
            .await?;
        Ok(to_grid(row))
    }

    /// Ends a grid; its grid workers' posts end with it.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_grid(&self, actor: &Actor, id: GridId, reason: Option<String>) -> Result<reg::Grid> {
        let reason = validate_reason(reason.as_deref())?;
        let current = load::<grid::Entity, _>(&self.db, id.0).await?;
        let chain = Scope::community_chain(current.community_id.into());
        let decision = self.gate.require(actor, Resource::Grid, Action::End, &chain, Some(id.0)).await?;
        let row = self
            .end::<grid::Entity>(actor, decision, id.0, reason, async |txn, now| {
                end_posts_of(txn, &[OrgKind::Grid], id.0, now, "网格撤销").await
            })
            .await?;
        Ok(to_grid(row))
    }

    // ---- estates -------------------------------------------------------------------

    /// The estate and the scopes that contain it.
    pub(super) async fn estate_chain(&self, id: EstateId, field: &str) -> Result<(estate::Model, Vec<Scope>)> {
        let row = match load::<estate::Entity, _>(&self.db, id.0).await {
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
    pub(super) async fn lock_estate<C: ConnectionTrait>(&self, conn: &C, id: EstateId) -> Result<()> {
        estate::Entity::update_many()
            .col_expr(estate::Column::Version, Expr::col(estate::Column::Version).add(1))
            .filter(estate::Column::Id.eq(id.0))
            .exec(conn)
            .await?;
        Ok(())
    }

    /// Checks a grid id belongs to the community.
    pub(super) async fn check_grid(&self, grid_id: Option<GridId>, community_id: Uuid) -> Result<()> {
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
        let row = load::<estate::Entity, _>(&self.db, id.0).await?;
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
        let c = load::<community::Entity, _>(&self.db, community_id.0)
            .await
            .map_err(|_| DomainError::field("community_id", Code::UnknownCommunity))?;
        if c.ended_at.is_some() {
            return Err(DomainError::field("community_id", Code::CommunityEnded).into());
        }
        let id = EstateId::new();
        let decision = self
            .gate
            .require(actor, Resource::Estate, Action::Create, &Scope::community_chain(community_id), Some(id.0))
            .await?;
        self.check_grid(input.grid_id, community_id.0).await?;
        let row = self
            .create::<estate::Entity>(actor, decision, id.0, async |_, new| {
                Ok(estate::ActiveModel {
                    community_id: Set(community_id.0),
                    grid_id: Set(input.grid_id.map(|g| g.0)),
                    name: Set(input.name),
                    address: Set(input.address),
                    version: Set(0),
                    ..new
                })
            })
            .await?;
        Ok(to_estate(row))
    }

    /// Updates an estate's name, address or grid (its community is fixed).
    ///
    /// # Errors
    /// Validation, not found, ended, forbidden, database errors.
    pub async fn update_estate(&self, actor: &Actor, id: EstateId, patch: EstatePatch) -> Result<reg::Estate> {
        let current = load::<estate::Entity, _>(&self.db, id.0).await?;
        let chain = Scope::estate_chain(id, current.community_id.into());
        let decision = self.gate.require(actor, Resource::Estate, Action::Update, &chain, Some(id.0)).await?;
        let grid_id = patch.grid_id.unwrap_or(current.grid_id.map(Into::into));
        let input = EstateInput::validate(
            patch.name.as_deref().unwrap_or(&current.name),
            patch.address.as_deref().unwrap_or(&current.address),
            grid_id,
        )?;
        self.check_grid(input.grid_id, current.community_id).await?;
        let row = self
            .update::<estate::Entity>(actor, decision, id.0, None, async |_, row| {
                let mut active = row.into_active_model();
                active.name = Set(input.name);
                active.address = Set(input.address);
                active.grid_id = Set(input.grid_id.map(|g| g.0));
                Ok(active)
            })
            .await?;
        Ok(to_estate(row))
    }

    /// Ends an estate; its contracts, committees and posts end with it.
    ///
    /// # Errors
    /// Not found, already ended, forbidden, database errors.
    pub async fn end_estate(&self, actor: &Actor, id: EstateId, reason: Option<String>) -> Result<reg::Estate> {
        let reason = validate_reason(reason.as_deref())?;
        let current = load::<estate::Entity, _>(&self.db, id.0).await?;
        let chain = Scope::estate_chain(id, current.community_id.into());
        let decision = self.gate.require(actor, Resource::Estate, Action::End, &chain, Some(id.0)).await?;
        let row = self
            .end::<estate::Entity>(actor, decision, id.0, reason, async |txn, now| {
                let why = || Some("小区撤销".to_owned());
                end_where::<service_contract::Entity, _>(txn, "estate_id", id.0, now, why()).await?;
                end_where::<owners_committee::Entity, _>(txn, "estate_id", id.0, now, why()).await?;
                end_where::<post::Entity, _>(txn, "estate_id", id.0, now, why()).await?;
                Ok(())
            })
            .await?;
        Ok(to_estate(row))
    }
}
