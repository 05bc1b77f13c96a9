//! Organizations: property-management companies (物业企业), their service contracts with
//! estates (物业服务合同), owners' committees (业主委员会) and government departments
//! (职能部门), with list, get, create, update (PATCH) and end for each.

use super::{page, Created, Tag};
use crate::auth::Auth;
use crate::dto::{page_type, EndRequest, NamePatch};
use crate::problem::ApiResult;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use domain::registry::{self as reg, PropertyCompanyInput, TermInput};
use infra::registry::{self as uc, Filter};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

/// Property companies, service contracts, owners' committees and departments.
pub struct OrganizationsApi {
    pub state: AppState,
}

page_type!(
    PropertyCompanyPage => PropertyCompany,
    ServiceContractPage => ServiceContract,
    OwnersCommitteePage => OwnersCommittee,
    DepartmentPage => Department,
);

/// A property-management company (物业企业).
#[derive(Debug, Object)]
pub struct PropertyCompany {
    pub id: Uuid,
    pub name: String,
    /// Unified social credit code (18 characters).
    pub credit_code: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::PropertyCompany> for PropertyCompany {
    fn from(p: reg::PropertyCompany) -> Self {
        Self {
            id: p.id.0,
            name: p.name,
            credit_code: p.credit_code.as_str().to_owned(),
            address: p.address,
            created_at: p.life.created_at,
            ended_at: p.life.ended_at,
            end_reason: p.life.end_reason,
        }
    }
}

/// A new company.
#[derive(Debug, Object)]
pub struct PropertyCompanyCreate {
    pub name: String,
    /// Unified social credit code; its check character is verified (GB 32100-2015).
    pub credit_code: String,
    pub address: String,
}

/// Changes to a company; absent fields keep their value.
#[derive(Debug, Object)]
pub struct PropertyCompanyPatch {
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub credit_code: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub address: Option<String>,
}

/// A service contract (物业服务合同).
#[derive(Debug, Object)]
pub struct ServiceContract {
    pub id: Uuid,
    pub company_id: Uuid,
    pub estate_id: Uuid,
    pub starts_on: NaiveDate,
    /// Last day (inclusive).
    pub ends_on: NaiveDate,
    /// Contract number.
    #[oai(skip_serializing_if_is_none)]
    pub reference: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Ended early at.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended early.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::ServiceContract> for ServiceContract {
    fn from(c: reg::ServiceContract) -> Self {
        Self {
            id: c.id.0,
            company_id: c.company_id.0,
            estate_id: c.estate_id.0,
            starts_on: c.term.start,
            ends_on: c.term.end.unwrap_or(c.term.start),
            reference: c.reference,
            created_at: c.life.created_at,
            ended_at: c.life.ended_at,
            end_reason: c.life.end_reason,
        }
    }
}

/// A new contract.
#[derive(Debug, Object)]
pub struct ServiceContractCreate {
    pub company_id: Uuid,
    pub estate_id: Uuid,
    pub starts_on: NaiveDate,
    /// Last day (inclusive).
    pub ends_on: NaiveDate,
    /// Contract number.
    #[oai(skip_serializing_if_is_none)]
    pub reference: Option<String>,
}

/// Changes to a contract's dates or reference.
#[derive(Debug, Object)]
pub struct ServiceContractPatch {
    #[oai(skip_serializing_if_is_none)]
    pub starts_on: Option<NaiveDate>,
    #[oai(skip_serializing_if_is_none)]
    pub ends_on: Option<NaiveDate>,
    /// Contract number.
    #[oai(skip_serializing_if_is_none)]
    pub reference: Option<String>,
}

/// An owners' committee (业主委员会).
#[derive(Debug, Object)]
pub struct OwnersCommittee {
    pub id: Uuid,
    pub estate_id: Uuid,
    pub name: String,
    pub term_start: NaiveDate,
    /// Last day of the term (inclusive).
    pub term_end: NaiveDate,
    pub created_at: DateTime<Utc>,
    /// Ended early at.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended early.
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::OwnersCommittee> for OwnersCommittee {
    fn from(c: reg::OwnersCommittee) -> Self {
        Self {
            id: c.id.0,
            estate_id: c.estate_id.0,
            name: c.name,
            term_start: c.term.start,
            term_end: c.term.end.unwrap_or(c.term.start),
            created_at: c.life.created_at,
            ended_at: c.life.ended_at,
            end_reason: c.life.end_reason,
        }
    }
}

/// A newly elected committee.
#[derive(Debug, Object)]
pub struct OwnersCommitteeCreate {
    pub estate_id: Uuid,
    /// Name, e.g. 第二届业主委员会.
    pub name: String,
    pub term_start: NaiveDate,
    /// Last day of the term (inclusive).
    pub term_end: NaiveDate,
}

/// Changes to a committee.
#[derive(Debug, Object)]
pub struct OwnersCommitteePatch {
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub term_start: Option<NaiveDate>,
    #[oai(skip_serializing_if_is_none)]
    pub term_end: Option<NaiveDate>,
}

/// A government department (职能部门).
#[derive(Debug, Object)]
pub struct Department {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Department> for Department {
    fn from(d: reg::Department) -> Self {
        Self {
            id: d.id.0,
            name: d.name,
            created_at: d.life.created_at,
            ended_at: d.life.ended_at,
            end_reason: d.life.end_reason,
        }
    }
}

/// A new department.
#[derive(Debug, Object)]
pub struct DepartmentCreate {
    /// Name, e.g. 县住房和城乡建设局.
    pub name: String,
}

#[allow(clippy::too_many_arguments)]
#[OpenApi(prefix_path = "/api/v1")]
impl OrganizationsApi {
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
}
