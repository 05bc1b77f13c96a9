//! Places: communities (社区), their grids (网格) and the residential estates (小区) in them,
//! with list, get, create, update (PATCH) and end for each.

use super::{page, Created, Tag};
use crate::auth::Auth;
use crate::dto::{page_type, EndRequest, NamePatch};
use crate::problem::ApiResult;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use domain::registry::{self as reg, CommunityInput, EstateInput};
use infra::registry::{self as uc, Filter};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

/// Communities, grids and estates.
pub struct PlacesApi {
    pub state: AppState,
}

page_type!(
    CommunityPage => Community,
    GridPage => Grid,
    EstatePage => Estate,
);

/// A community (社区).
#[derive(Debug, Object)]
pub struct Community {
    pub id: Uuid,
    pub name: String,
    /// Short code used in case numbers.
    pub code: String,
    /// Street (街道).
    pub street: String,
    pub created_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Community> for Community {
    fn from(c: reg::Community) -> Self {
        Self {
            id: c.id.0,
            name: c.name,
            code: c.code,
            street: c.street,
            created_at: c.life.created_at,
            ended_at: c.life.ended_at,
            end_reason: c.life.end_reason,
        }
    }
}

/// A new community.
#[derive(Debug, Object)]
pub struct CommunityCreate {
    /// Name, e.g. 长富路社区.
    pub name: String,
    /// Unique short code (letters and digits), e.g. CFL.
    pub code: String,
    /// Street (街道), e.g. 城关街道.
    pub street: String,
}

/// Changes to a community; absent fields keep their value.
#[derive(Debug, Object)]
pub struct CommunityPatch {
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub code: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub street: Option<String>,
}

/// A grid (网格).
#[derive(Debug, Object)]
pub struct Grid {
    pub id: Uuid,
    pub community_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Grid> for Grid {
    fn from(g: reg::Grid) -> Self {
        Self {
            id: g.id.0,
            community_id: g.community_id.0,
            name: g.name,
            created_at: g.life.created_at,
            ended_at: g.life.ended_at,
            end_reason: g.life.end_reason,
        }
    }
}

/// A new grid.
#[derive(Debug, Object)]
pub struct GridCreate {
    pub community_id: Uuid,
    /// Name, e.g. 第一网格.
    pub name: String,
}

/// A residential estate (小区).
#[derive(Debug, Object)]
pub struct Estate {
    pub id: Uuid,
    pub community_id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub grid_id: Option<Uuid>,
    pub name: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Estate> for Estate {
    fn from(e: reg::Estate) -> Self {
        Self {
            id: e.id.0,
            community_id: e.community_id.0,
            grid_id: e.grid_id.map(|g| g.0),
            name: e.name,
            address: e.address,
            created_at: e.life.created_at,
            ended_at: e.life.ended_at,
            end_reason: e.life.end_reason,
        }
    }
}

/// A new estate.
#[derive(Debug, Object)]
pub struct EstateCreate {
    /// Community (fixed once created).
    pub community_id: Uuid,
    /// Grid in that community.
    #[oai(skip_serializing_if_is_none)]
    pub grid_id: Option<Uuid>,
    pub name: String,
    pub address: String,
}

/// Changes to an estate; absent fields keep their value.
#[derive(Debug, Object)]
pub struct EstatePatch {
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub address: Option<String>,
    /// Grid; `null` removes it.
    pub grid_id: MaybeUndefined<Uuid>,
}

#[OpenApi(prefix_path = "/api/v1")]
impl PlacesApi {
    // ---- communities -----------------------------------------------------------------

    /// List communities.
    #[oai(path = "/communities", method = "get", tag = "Tag::Places")]
    async fn list_communities(
        &self,
        Auth(actor): Auth,
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
}
