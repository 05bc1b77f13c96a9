//! `explain` (why a request would be allowed or denied) and the audit log.

use super::Tag;
use crate::auth::Auth;
use crate::dto::AuditPage;
use crate::problem::ApiResult;
use crate::state::AppState;
use domain::authz::{Action, Resource, Scope};
use domain::Code;
use domain::DomainError;
use infra::paging::PageRequest;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

/// Authorization endpoints.
pub struct AuthzApi {
    /// Shared state.
    pub state: AppState,
}

/// A decision and the rule behind it.
#[derive(Debug, Object)]
pub struct Explanation {
    /// Whether you may.
    pub allowed: bool,
    /// `allow` or `deny`.
    pub effect: String,
    /// The binding that decided, `role@scope`; absent when no binding applies.
    #[oai(skip_serializing_if_is_none)]
    pub acting_as: Option<String>,
    /// The policy line that decided, or why nothing did.
    pub rule: String,
    /// The scopes that contain the target, innermost first.
    pub chain: Vec<String>,
}

#[OpenApi(prefix_path = "/api/v1")]
impl AuthzApi {
    /// Explain whether you may take an action on a resource in a scope, and which rule decides.
    #[oai(path = "/authz/explain", method = "get", tag = "Tag::Authorization")]
    async fn explain(
        &self,
        Auth(actor): Auth,
        /// Resource, e.g. `service_contract`.
        resource: Query<String>,
        /// Action: read, create, update or end.
        action: Query<String>,
        /// `county`, `community:<id>`, `estate:<id>`, `company:<id>` or `department:<id>`.
        scope: Query<String>,
    ) -> ApiResult<Json<Explanation>> {
        let mut v = domain::error::Validator::new();
        let resource = v.check("resource", resource.0.parse::<Resource>().map_err(|_| Code::InvalidResource));
        let action = v.check("action", action.0.parse::<Action>().map_err(|_| Code::InvalidAction));
        let scope = v.check("scope", scope.0.parse::<Scope>());
        v.finish()?;
        let (Some(resource), Some(action), Some(scope)) = (resource, action, scope) else {
            return Err(DomainError::field("resource", Code::InvalidResource).into());
        };
        let (d, chain) = self.state.access.explain(&actor, resource, action, scope).await?;
        Ok(Json(Explanation {
            allowed: d.allowed(),
            effect: d.effect.to_string(),
            acting_as: d.acting_as,
            rule: d.rule,
            chain: chain.iter().map(ToString::to_string).collect(),
        }))
    }

    /// Read the audit log, newest first: a community's (its party branch) or everything
    /// (administrators).
    #[oai(path = "/audit", method = "get", tag = "Tag::Authorization")]
    async fn audit(
        &self,
        Auth(actor): Auth,
        /// Only decisions about things in this community.
        community_id: Query<Option<Uuid>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<i64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<AuditPage>> {
        let page = PageRequest::parse(limit.0, cursor.0.as_deref())?;
        Ok(Json(self.state.access.audit_log(&actor, community_id.0.map(Into::into), page).await?.into()))
    }
}
