//! People and their posts (职务): list, get, create, update (PATCH) and end. A person is
//! registered with an optional first post, and a post is what gives a person rights in an
//! organization.

use super::{page, Created, Tag};
use crate::auth::Auth;
use crate::dto::{page_type, EndRequest};
use crate::problem::ApiResult;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use domain::registry::{self as reg, PersonInput};
use infra::registry::{self as uc, Filter};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

/// People and their posts.
pub struct PeopleApi {
    pub state: AppState,
}

page_type!(
    PersonPage => Person,
    PostPage => Post,
);

/// A person. The phone is masked (138****5678) unless you are the person, an administrator,
/// or a leader of one of their organizations.
#[derive(Debug, Object)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
    /// Phone, whole or masked.
    #[oai(skip_serializing_if_is_none)]
    pub phone: Option<String>,
    /// Whether `phone` is masked.
    pub phone_masked: bool,
    pub is_party_member: bool,
    pub created_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Person> for Person {
    fn from(p: reg::Person) -> Self {
        Self {
            id: p.id.0,
            name: p.name,
            phone: p.phone,
            phone_masked: p.phone_masked,
            is_party_member: p.is_party_member,
            created_at: p.life.created_at,
            ended_at: p.life.ended_at,
            end_reason: p.life.end_reason,
        }
    }
}

/// A new person, optionally with their first post.
#[derive(Debug, Object)]
pub struct PersonCreate {
    pub name: String,
    #[oai(skip_serializing_if_is_none)]
    pub phone: Option<String>,
    #[oai(default)]
    pub is_party_member: bool,
    /// First post; its organization is where your permission is checked.
    #[oai(skip_serializing_if_is_none)]
    pub post: Option<PostFields>,
}

/// Changes to a person.
#[derive(Debug, Object)]
pub struct PersonPatch {
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    /// Phone; `null` removes it.
    pub phone: MaybeUndefined<String>,
    #[oai(skip_serializing_if_is_none)]
    pub is_party_member: Option<bool>,
}

/// A post (职务).
#[derive(Debug, Object)]
pub struct Post {
    pub id: Uuid,
    pub person_id: Uuid,
    /// Organization kind: party_branch, residents_committee, grid, estate, property_company,
    /// owners_committee, department or county.
    pub org_kind: String,
    /// Organization id (the community's for party_branch and residents_committee; nil for county).
    pub org_id: Uuid,
    /// Title, from the organization kind's list.
    pub title: String,
    pub starts_on: NaiveDate,
    /// Last day, if known.
    #[oai(skip_serializing_if_is_none)]
    pub ends_on: Option<NaiveDate>,
    /// Community of the organization.
    #[oai(skip_serializing_if_is_none)]
    pub community_id: Option<Uuid>,
    /// Estate of the organization.
    #[oai(skip_serializing_if_is_none)]
    pub estate_id: Option<Uuid>,
    /// A company recorded it for someone who serves elsewhere: no role until they accept.
    pub awaiting_acceptance: bool,
    pub created_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub end_reason: Option<String>,
}

impl From<reg::Post> for Post {
    fn from(p: reg::Post) -> Self {
        Self {
            id: p.id.0,
            person_id: p.person_id.0,
            org_kind: p.org_kind.as_str().to_owned(),
            org_id: p.org_id,
            title: p.title.as_str().to_owned(),
            starts_on: p.term.start,
            ends_on: p.term.end,
            community_id: p.community_id.map(|c| c.0),
            estate_id: p.estate_id.map(|e| e.0),
            awaiting_acceptance: p.awaiting_acceptance,
            created_at: p.life.created_at,
            ended_at: p.life.ended_at,
            end_reason: p.life.end_reason,
        }
    }
}

/// Where and what a post is.
#[derive(Debug, Object)]
pub struct PostFields {
    pub org_kind: String,
    pub org_id: Uuid,
    /// Title. party_branch: secretary, deputy_secretary, member; residents_committee and
    /// owners_committee: director, deputy_director, member; grid: grid_worker,
    /// part_time_grid_worker; estate: resident; property_company: manager, staff;
    /// department: head, officer; county: administrator.
    pub title: String,
    pub starts_on: NaiveDate,
    /// Last day, if known.
    #[oai(skip_serializing_if_is_none)]
    pub ends_on: Option<NaiveDate>,
}

impl PostFields {
    /// Validates into the domain input.
    ///
    /// # Errors
    /// Every invalid field.
    pub fn validate(&self) -> Result<reg::PostInput, domain::DomainError> {
        reg::PostInput::validate(&self.org_kind, self.org_id, &self.title, self.starts_on, self.ends_on)
    }
}

/// A new post.
#[derive(Debug, Object)]
pub struct PostCreate {
    pub person_id: Uuid,
    #[oai(flatten)]
    pub post: PostFields,
}

/// Changes to a post.
#[derive(Debug, Object)]
pub struct PostPatch {
    #[oai(skip_serializing_if_is_none)]
    pub title: Option<String>,
    /// Last day; `null` makes the term open.
    pub ends_on: MaybeUndefined<NaiveDate>,
}

#[allow(clippy::too_many_arguments)]
#[OpenApi(prefix_path = "/api/v1")]
impl PeopleApi {
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
