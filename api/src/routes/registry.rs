//! The registry endpoints: list, get, create, update (PATCH) and end for each record kind.

use super::{Created, Tag};
use crate::auth::Auth;
use crate::dto::*;
use crate::problem::ApiResult;
use crate::state::AppState;
use domain::registry::{CommunityInput, EstateInput, PersonInput, PropertyCompanyInput, TermInput};
use infra::paging::PageRequest;
use infra::registry::{self as uc, Filter};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::OpenApi;
use uuid::Uuid;

/// Registry endpoints.
pub struct RegistryApi {
    /// Shared state.
    pub state: AppState,
}

fn page(limit: Option<i64>, cursor: Option<String>) -> ApiResult<PageRequest> {
    Ok(PageRequest::parse(limit, cursor.as_deref())?)
}

#[allow(clippy::too_many_arguments)]
#[OpenApi(prefix_path = "/api/v1")]
impl RegistryApi {
    // ---- communities -----------------------------------------------------------------

    /// List communities.
    #[oai(path = "/communities", method = "get", tag = "Tag::Places")]
    async fn list_communities(
        &self,
        Auth(actor): Auth,
        /// Include ended records.
        include_ended: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<CommunityPage>> {
        let filter = Filter { include_ended: include_ended.0.unwrap_or(false), ..Filter::default() };
        Ok(Json(self.state.registry.list_communities(&actor, filter, page(limit.0, cursor.0)?).await?.into()))
    }

    /// Get a community.
    #[oai(path = "/communities/:id", method = "get", tag = "Tag::Places")]
    async fn get_community(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Community>> {
        Ok(Json(self.state.registry.get_community(&actor, id.0.into()).await?.into()))
    }

    /// Create a community (administrators).
    #[oai(path = "/communities", method = "post", tag = "Tag::Places")]
    async fn create_community(&self, Auth(actor): Auth, body: Json<CommunityCreate>) -> ApiResult<Created<Community>> {
        let input = CommunityInput::validate(&body.name, &body.code, &body.street)?;
        Ok(Created::Created(Json(self.state.registry.create_community(&actor, input).await?.into())))
    }

    /// Update a community.
    #[oai(path = "/communities/:id", method = "patch", tag = "Tag::Places")]
    async fn update_community(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<CommunityPatch>,
    ) -> ApiResult<Json<Community>> {
        let b = body.0;
        Ok(Json(self.state.registry.update_community(&actor, id.0.into(), b.name, b.code, b.street).await?.into()))
    }

    /// End a community (merged or dissolved); its committees' posts end with it.
    #[oai(path = "/communities/:id/end", method = "post", tag = "Tag::Places")]
    async fn end_community(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<EndRequest>,
    ) -> ApiResult<Json<Community>> {
        Ok(Json(self.state.registry.end_community(&actor, id.0.into(), body.0.reason).await?.into()))
    }

    // ---- grids -----------------------------------------------------------------------

    /// List grids.
    #[oai(path = "/grids", method = "get", tag = "Tag::Places")]
    async fn list_grids(
        &self,
        Auth(actor): Auth,
        /// Only this community's grids.
        community_id: Query<Option<Uuid>>,
        /// Include ended records.
        include_ended: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<GridPage>> {
        let filter = Filter {
            community_id: community_id.0.map(Into::into),
            include_ended: include_ended.0.unwrap_or(false),
            ..Filter::default()
        };
        Ok(Json(self.state.registry.list_grids(&actor, filter, page(limit.0, cursor.0)?).await?.into()))
    }

    /// Get a grid.
    #[oai(path = "/grids/:id", method = "get", tag = "Tag::Places")]
    async fn get_grid(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Grid>> {
        Ok(Json(self.state.registry.get_grid(&actor, id.0.into()).await?.into()))
    }

    /// Create a grid.
    #[oai(path = "/grids", method = "post", tag = "Tag::Places")]
    async fn create_grid(&self, Auth(actor): Auth, body: Json<GridCreate>) -> ApiResult<Created<Grid>> {
        Ok(Created::Created(Json(
            self.state.registry.create_grid(&actor, body.community_id.into(), &body.name).await?.into(),
        )))
    }

    /// Rename a grid.
    #[oai(path = "/grids/:id", method = "patch", tag = "Tag::Places")]
    async fn update_grid(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<NamePatch>) -> ApiResult<Json<Grid>> {
        Ok(Json(self.state.registry.update_grid(&actor, id.0.into(), body.0.name).await?.into()))
    }

    /// End a grid.
    #[oai(path = "/grids/:id/end", method = "post", tag = "Tag::Places")]
    async fn end_grid(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<EndRequest>) -> ApiResult<Json<Grid>> {
        Ok(Json(self.state.registry.end_grid(&actor, id.0.into(), body.0.reason).await?.into()))
    }

    // ---- estates ---------------------------------------------------------------------

    /// List estates.
    #[oai(path = "/estates", method = "get", tag = "Tag::Places")]
    async fn list_estates(
        &self,
        Auth(actor): Auth,
        /// Only this community's estates.
        community_id: Query<Option<Uuid>>,
        /// Only estates this company serves today.
        company_id: Query<Option<Uuid>>,
        /// Include ended records.
        include_ended: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<EstatePage>> {
        let filter = Filter {
            community_id: community_id.0.map(Into::into),
            company_id: company_id.0.map(Into::into),
            include_ended: include_ended.0.unwrap_or(false),
            ..Filter::default()
        };
        Ok(Json(self.state.registry.list_estates(&actor, filter, page(limit.0, cursor.0)?).await?.into()))
    }

    /// Get an estate.
    #[oai(path = "/estates/:id", method = "get", tag = "Tag::Places")]
    async fn get_estate(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Estate>> {
        Ok(Json(self.state.registry.get_estate(&actor, id.0.into()).await?.into()))
    }

    /// Create an estate.
    #[oai(path = "/estates", method = "post", tag = "Tag::Places")]
    async fn create_estate(&self, Auth(actor): Auth, body: Json<EstateCreate>) -> ApiResult<Created<Estate>> {
        let input = EstateInput::validate(&body.name, &body.address, body.grid_id.map(Into::into))?;
        Ok(Created::Created(Json(
            self.state.registry.create_estate(&actor, body.community_id.into(), input).await?.into(),
        )))
    }

    /// Update an estate (its community is fixed).
    #[oai(path = "/estates/:id", method = "patch", tag = "Tag::Places")]
    async fn update_estate(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<EstatePatch>,
    ) -> ApiResult<Json<Estate>> {
        let b = body.0;
        let grid_id: Option<Option<Uuid>> = b.grid_id.into();
        let patch = uc::EstatePatch { name: b.name, address: b.address, grid_id: grid_id.map(|g| g.map(Into::into)) };
        Ok(Json(self.state.registry.update_estate(&actor, id.0.into(), patch).await?.into()))
    }

    /// End an estate; its contracts, committees and posts end with it.
    #[oai(path = "/estates/:id/end", method = "post", tag = "Tag::Places")]
    async fn end_estate(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<EndRequest>) -> ApiResult<Json<Estate>> {
        Ok(Json(self.state.registry.end_estate(&actor, id.0.into(), body.0.reason).await?.into()))
    }

    // ---- property companies ----------------------------------------------------------

    /// List property companies.
    #[oai(path = "/property-companies", method = "get", tag = "Tag::Organizations")]
    async fn list_companies(
        &self,
        Auth(actor): Auth,
        /// Only companies serving an estate of this community today.
        community_id: Query<Option<Uuid>>,
        /// Only the company serving this estate today.
        estate_id: Query<Option<Uuid>>,
        /// Include ended records.
        include_ended: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<PropertyCompanyPage>> {
        let filter = Filter {
            community_id: community_id.0.map(Into::into),
            estate_id: estate_id.0.map(Into::into),
            include_ended: include_ended.0.unwrap_or(false),
            ..Filter::default()
        };
        Ok(Json(self.state.registry.list_companies(&actor, filter, page(limit.0, cursor.0)?).await?.into()))
    }

    /// Get a property company.
    #[oai(path = "/property-companies/:id", method = "get", tag = "Tag::Organizations")]
    async fn get_company(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<PropertyCompany>> {
        Ok(Json(self.state.registry.get_company(&actor, id.0.into()).await?.into()))
    }

    /// Register a property company (administrators). The credit code's check character is verified.
    #[oai(path = "/property-companies", method = "post", tag = "Tag::Organizations")]
    async fn create_company(
        &self,
        Auth(actor): Auth,
        body: Json<PropertyCompanyCreate>,
    ) -> ApiResult<Created<PropertyCompany>> {
        let input = PropertyCompanyInput::validate(&body.name, &body.credit_code, &body.address)?;
        Ok(Created::Created(Json(self.state.registry.create_company(&actor, input).await?.into())))
    }

    /// Update a property company (its manager or administrators).
    #[oai(path = "/property-companies/:id", method = "patch", tag = "Tag::Organizations")]
    async fn update_company(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<PropertyCompanyPatch>,
    ) -> ApiResult<Json<PropertyCompany>> {
        let b = body.0;
        Ok(Json(
            self.state.registry.update_company(&actor, id.0.into(), b.name, b.credit_code, b.address).await?.into(),
        ))
    }

    /// End a property company; its contracts and posts end with it.
    #[oai(path = "/property-companies/:id/end", method = "post", tag = "Tag::Organizations")]
    async fn end_company(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<EndRequest>,
    ) -> ApiResult<Json<PropertyCompany>> {
        Ok(Json(self.state.registry.end_company(&actor, id.0.into(), body.0.reason).await?.into()))
    }

    // ---- service contracts -----------------------------------------------------------

    /// List service contracts by estate, community or company.
    #[oai(path = "/service-contracts", method = "get", tag = "Tag::Organizations")]
    async fn list_contracts(
        &self,
        Auth(actor): Auth,
        /// Only this estate's contracts.
        estate_id: Query<Option<Uuid>>,
        /// Only contracts for estates of this community.
        community_id: Query<Option<Uuid>>,
        /// Only this company's contracts.
        company_id: Query<Option<Uuid>>,
        /// Include contracts ended early.
        include_ended: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<ServiceContractPage>> {
        let filter = Filter {
            estate_id: estate_id.0.map(Into::into),
            community_id: community_id.0.map(Into::into),
            company_id: company_id.0.map(Into::into),
            include_ended: include_ended.0.unwrap_or(false),
            ..Filter::default()
        };
        Ok(Json(self.state.registry.list_contracts(&actor, filter, page(limit.0, cursor.0)?).await?.into()))
    }

    /// Get a service contract.
    #[oai(path = "/service-contracts/:id", method = "get", tag = "Tag::Organizations")]
    async fn get_contract(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<ServiceContract>> {
        Ok(Json(self.state.registry.get_contract(&actor, id.0.into()).await?.into()))
    }

    /// Register a service contract. An estate has at most one contract on any day.
    #[oai(path = "/service-contracts", method = "post", tag = "Tag::Organizations")]
    async fn create_contract(
        &self,
        Auth(actor): Auth,
        body: Json<ServiceContractCreate>,
    ) -> ApiResult<Created<ServiceContract>> {
        let input = TermInput::validate(body.starts_on, body.ends_on, "reference", body.reference.as_deref(), false)?;
        let contract =
            self.state.registry.create_contract(&actor, body.estate_id.into(), body.company_id.into(), input).await?;
        Ok(Created::Created(Json(contract.into())))
    }

    /// Change a contract's dates or reference.
    #[oai(path = "/service-contracts/:id", method = "patch", tag = "Tag::Organizations")]
    async fn update_contract(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<ServiceContractPatch>,
    ) -> ApiResult<Json<ServiceContract>> {
        let b = body.0;
        let patch = uc::TermPatch { starts_on: b.starts_on, ends_on: b.ends_on, label: b.reference };
        Ok(Json(self.state.registry.update_contract(&actor, id.0.into(), patch).await?.into()))
    }

    /// End a contract now: the company loses its rights on the estate from the next request.
    #[oai(path = "/service-contracts/:id/end", method = "post", tag = "Tag::Organizations")]
    async fn end_contract(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<EndRequest>,
    ) -> ApiResult<Json<ServiceContract>> {
        Ok(Json(self.state.registry.end_contract(&actor, id.0.into(), body.0.reason).await?.into()))
    }

    // ---- owners' committees ----------------------------------------------------------

    /// List owners' committees by estate or community.
    #[oai(path = "/owners-committees", method = "get", tag = "Tag::Organizations")]
    async fn list_committees(
        &self,
        Auth(actor): Auth,
        /// Only this estate's committees.
        estate_id: Query<Option<Uuid>>,
        /// Only committees of this community's estates.
        community_id: Query<Option<Uuid>>,
        /// Include ended records.
        include_ended: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<OwnersCommitteePage>> {
        let filter = Filter {
            estate_id: estate_id.0.map(Into::into),
            community_id: community_id.0.map(Into::into),
            include_ended: include_ended.0.unwrap_or(false),
            ..Filter::default()
        };
        Ok(Json(self.state.registry.list_committees(&actor, filter, page(limit.0, cursor.0)?).await?.into()))
    }

    /// Get an owners' committee.
    #[oai(path = "/owners-committees/:id", method = "get", tag = "Tag::Organizations")]
    async fn get_committee(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<OwnersCommittee>> {
        Ok(Json(self.state.registry.get_committee(&actor, id.0.into()).await?.into()))
    }

    /// Record an elected owners' committee. One committee per estate at a time.
    #[oai(path = "/owners-committees", method = "post", tag = "Tag::Organizations")]
    async fn create_committee(
        &self,
        Auth(actor): Auth,
        body: Json<OwnersCommitteeCreate>,
    ) -> ApiResult<Created<OwnersCommittee>> {
        let input = TermInput::validate(body.term_start, body.term_end, "name", Some(&body.name), true)?;
        Ok(Created::Created(Json(
            self.state.registry.create_committee(&actor, body.estate_id.into(), input).await?.into(),
        )))
    }

    /// Change a committee's name or term.
    #[oai(path = "/owners-committees/:id", method = "patch", tag = "Tag::Organizations")]
    async fn update_committee(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<OwnersCommitteePatch>,
    ) -> ApiResult<Json<OwnersCommittee>> {
        let b = body.0;
        let patch = uc::TermPatch { starts_on: b.term_start, ends_on: b.term_end, label: b.name };
        Ok(Json(self.state.registry.update_committee(&actor, id.0.into(), patch).await?.into()))
    }

    /// End a committee early; its members' posts end with it.
    #[oai(path = "/owners-committees/:id/end", method = "post", tag = "Tag::Organizations")]
    async fn end_committee(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<EndRequest>,
    ) -> ApiResult<Json<OwnersCommittee>> {
        Ok(Json(self.state.registry.end_committee(&actor, id.0.into(), body.0.reason).await?.into()))
    }

    // ---- departments -----------------------------------------------------------------

    /// List departments.
    #[oai(path = "/departments", method = "get", tag = "Tag::Organizations")]
    async fn list_departments(
        &self,
        Auth(actor): Auth,
        /// Include ended records.
        include_ended: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<DepartmentPage>> {
        let filter = Filter { include_ended: include_ended.0.unwrap_or(false), ..Filter::default() };
        Ok(Json(self.state.registry.list_departments(&actor, filter, page(limit.0, cursor.0)?).await?.into()))
    }

    /// Get a department.
    #[oai(path = "/departments/:id", method = "get", tag = "Tag::Organizations")]
    async fn get_department(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Department>> {
        Ok(Json(self.state.registry.get_department(&actor, id.0.into()).await?.into()))
    }

    /// Register a department (administrators).
    #[oai(path = "/departments", method = "post", tag = "Tag::Organizations")]
    async fn create_department(
        &self,
        Auth(actor): Auth,
        body: Json<DepartmentCreate>,
    ) -> ApiResult<Created<Department>> {
        Ok(Created::Created(Json(self.state.registry.create_department(&actor, &body.name).await?.into())))
    }

    /// Rename a department.
    #[oai(path = "/departments/:id", method = "patch", tag = "Tag::Organizations")]
    async fn update_department(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<NamePatch>,
    ) -> ApiResult<Json<Department>> {
        Ok(Json(self.state.registry.update_department(&actor, id.0.into(), body.0.name).await?.into()))
    }

    /// End a department; its officers' posts end with it.
    #[oai(path = "/departments/:id/end", method = "post", tag = "Tag::Organizations")]
    async fn end_department(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<EndRequest>,
    ) -> ApiResult<Json<Department>> {
        Ok(Json(self.state.registry.end_department(&actor, id.0.into(), body.0.reason).await?.into()))
    }

    // ---- people ----------------------------------------------------------------------

    /// List people holding posts today in an estate, community, company or department.
    /// Without a filter, a county-wide role is needed.
    #[oai(path = "/people", method = "get", tag = "Tag::People")]
    async fn list_people(
        &self,
        Auth(actor): Auth,
        /// People with a post in this estate (residents, owners' committee).
        estate_id: Query<Option<Uuid>>,
        /// People with a post in this community.
        community_id: Query<Option<Uuid>>,
        /// This company's people.
        company_id: Query<Option<Uuid>>,
        /// This department's people.
        department_id: Query<Option<Uuid>>,
        /// Include ended records.
        include_ended: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<PersonPage>> {
        let filter = Filter {
            estate_id: estate_id.0.map(Into::into),
            community_id: community_id.0.map(Into::into),
            company_id: company_id.0.map(Into::into),
            department_id: department_id.0.map(Into::into),
            include_ended: include_ended.0.unwrap_or(false),
            ..Filter::default()
        };
        Ok(Json(self.state.registry.list_people(&actor, filter, page(limit.0, cursor.0)?).await?.into()))
    }

    /// Get a person. Phones are masked unless you may see them.
    #[oai(path = "/people/:id", method = "get", tag = "Tag::People")]
    async fn get_person(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Person>> {
        Ok(Json(self.state.registry.get_person(&actor, id.0.into()).await?.into()))
    }

    /// Register a person, optionally with a first post.
    #[oai(path = "/people", method = "post", tag = "Tag::People")]
    async fn create_person(&self, Auth(actor): Auth, body: Json<PersonCreate>) -> ApiResult<Created<Person>> {
        let b = body.0;
        let (person, post) = both(
            PersonInput::validate(&b.name, b.phone.as_deref(), b.is_party_member),
            b.post.as_ref().map(PostFields::validate).transpose(),
        )?;
        Ok(Created::Created(Json(self.state.registry.create_person(&actor, person, post).await?.into())))
    }

    /// Update a person.
    #[oai(path = "/people/:id", method = "patch", tag = "Tag::People")]
    async fn update_person(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<PersonPatch>,
    ) -> ApiResult<Json<Person>> {
        let b = body.0;
        let patch = uc::PersonPatch { name: b.name, phone: b.phone.into(), is_party_member: b.is_party_member };
        Ok(Json(self.state.registry.update_person(&actor, id.0.into(), patch).await?.into()))
    }

    /// End a person's record: their posts end and their account can no longer sign in.
    #[oai(path = "/people/:id/end", method = "post", tag = "Tag::People")]
    async fn end_person(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<EndRequest>) -> ApiResult<Json<Person>> {
        Ok(Json(self.state.registry.end_person(&actor, id.0.into(), body.0.reason).await?.into()))
    }

    // ---- posts -----------------------------------------------------------------------

    /// List posts by person, estate, community, company or department.
    #[oai(path = "/posts", method = "get", tag = "Tag::People")]
    async fn list_posts(
        &self,
        Auth(actor): Auth,
        /// This person's posts.
        person_id: Query<Option<Uuid>>,
        /// Posts in this estate.
        estate_id: Query<Option<Uuid>>,
        /// Posts in this community.
        community_id: Query<Option<Uuid>>,
        /// This company's posts.
        company_id: Query<Option<Uuid>>,
        /// This department's posts.
        department_id: Query<Option<Uuid>>,
        /// Include ended posts.
        include_ended: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<PostPage>> {
        let filter = Filter {
            person_id: person_id.0.map(Into::into),
            estate_id: estate_id.0.map(Into::into),
            community_id: community_id.0.map(Into::into),
            company_id: company_id.0.map(Into::into),
            department_id: department_id.0.map(Into::into),
            include_ended: include_ended.0.unwrap_or(false),
        };
        Ok(Json(self.state.registry.list_posts(&actor, filter, page(limit.0, cursor.0)?).await?.into()))
    }

    /// Get a post.
    #[oai(path = "/posts/:id", method = "get", tag = "Tag::People")]
    async fn get_post(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<Post>> {
        Ok(Json(self.state.registry.get_post(&actor, id.0.into()).await?.into()))
    }

    /// Appoint a person to a post.
    #[oai(path = "/posts", method = "post", tag = "Tag::People")]
    async fn create_post(&self, Auth(actor): Auth, body: Json<PostCreate>) -> ApiResult<Created<Post>> {
        let input = body.post.validate()?;
        Ok(Created::Created(Json(self.state.registry.create_post(&actor, body.person_id.into(), input).await?.into())))
    }

    /// Change a post's title or the end of its term.
    #[oai(path = "/posts/:id", method = "patch", tag = "Tag::People")]
    async fn update_post(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<PostPatch>) -> ApiResult<Json<Post>> {
        let b = body.0;
        let patch = uc::PostPatch { title: b.title, ends_on: b.ends_on.into() };
        Ok(Json(self.state.registry.update_post(&actor, id.0.into(), patch).await?.into()))
    }

    /// End a post now; the rights it gave end on the next request.
    #[oai(path = "/posts/:id/end", method = "post", tag = "Tag::People")]
    async fn end_post(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<EndRequest>) -> ApiResult<Json<Post>> {
        Ok(Json(self.state.registry.end_post(&actor, id.0.into(), body.0.reason).await?.into()))
    }
}

/// Two validations, reported together when both fail.
fn both<A, B>(
    a: Result<A, domain::DomainError>,
    b: Result<B, domain::DomainError>,
) -> Result<(A, B), domain::DomainError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(domain::DomainError::Validation(mut x)), Err(domain::DomainError::Validation(y))) => {
            x.extend(y.into_iter().map(|mut f| {
                f.field = format!("post.{}", f.field);
                f
            }));
            Err(domain::DomainError::Validation(x))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}
