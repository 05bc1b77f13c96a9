//! Sessions (sign in and out), `me`, and accounts.

use super::people::{Person, Post};
use super::{Created, Tag};
use crate::auth::Auth;
use crate::problem::ApiResult;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

/// Session endpoints.
pub struct AccountsApi {
    /// Shared state.
    pub state: AppState,
}

/// Credentials.
#[derive(Debug, Object)]
pub struct LoginRequest {
    /// Username.
    pub username: String,
    /// Password.
    #[oai(write_only)]
    pub password: String,
}

/// A new session: send the token as `Authorization: Bearer <token>`.
#[derive(Debug, Object)]
pub struct SessionResponse {
    /// The bearer token (shown once; stored only as a hash).
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// A role held in a scope.
#[derive(Debug, Object)]
pub struct BindingDto {
    /// Role, e.g. `party_branch_secretary`.
    pub role: String,
    /// Scope: `county`, `community:<id>`, `estate:<id>`, `company:<id>` or `department:<id>`.
    pub scope: String,
    /// Where it comes from: `account`, `admin`, `post:<id>`, `post:<id>+contract:<id>`.
    pub source: String,
    /// The scope's name (the community, estate, company or department; "全县" for county).
    pub scope_name: String,
}

/// A post of yours, with its organization's name.
#[derive(Debug, Object)]
pub struct MyPost {
    #[oai(flatten)]
    pub post: Post,
    /// The organization's name (for a party branch or residents' committee: the community's).
    pub org_name: String,
}

/// Who you are and what you may do where.
#[derive(Debug, Object)]
pub struct Me {
    /// Account id.
    pub account_id: Uuid,
    /// Username.
    pub username: String,
    /// System administrator.
    pub is_admin: bool,
    /// Your person record (your own phone is never masked to you).
    pub person: Person,
    /// Posts in force today, with their organizations' names.
    pub posts: Vec<MyPost>,
    /// Posts a company recorded for you while you serve elsewhere: they give you no role
    /// until you accept them (`POST /me/invitations/{post_id}/accept` or `/decline`).
    pub invitations: Vec<Post>,
    /// Role bindings by scope, derived from posts, contracts in force and the account.
    pub bindings: Vec<BindingDto>,
}

/// A new account for a person.
#[derive(Debug, Object)]
pub struct AccountCreate {
    /// The person.
    pub person_id: Uuid,
    /// Username: 3 to 32 letters, digits, `_`, `-` or `.`.
    pub username: String,
    /// Password: 8 to 128 characters.
    #[oai(write_only)]
    pub password: String,
    /// System administrator.
    #[oai(default)]
    pub is_admin: bool,
}

/// An account.
#[derive(Debug, Object)]
pub struct Account {
    /// Id.
    pub id: Uuid,
    /// Person.
    pub person_id: Uuid,
    /// Username.
    pub username: String,
    /// System administrator.
    pub is_admin: bool,
}

/// Signed out.
#[derive(ApiResponse)]
pub enum SignedOut {
    /// The session is revoked.
    #[oai(status = 204)]
    Revoked,
}

#[OpenApi(prefix_path = "/api/v1")]
impl AccountsApi {
    /// Sign in. Five failed attempts in a row lock the account for 15 minutes (423).
    #[oai(path = "/sessions", method = "post", tag = "Tag::Sessions")]
    async fn login(&self, body: Json<LoginRequest>) -> ApiResult<Created<SessionResponse>> {
        let s = self.state.accounts.login(&body.username, &body.password).await?;
        Ok(Created::Created(Json(SessionResponse { token: s.token, expires_at: s.expires_at })))
    }

    /// Sign out: revoke the current session.
    #[oai(path = "/sessions/current", method = "delete", tag = "Tag::Sessions")]
    async fn logout(&self, _auth: Auth, req: &poem::Request) -> ApiResult<SignedOut> {
        let token = req
            .header(poem::http::header::AUTHORIZATION)
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .unwrap_or_default();
        self.state.accounts.logout(token).await?;
        Ok(SignedOut::Revoked)
    }

    /// Who am I: person, posts in force and role bindings by scope.
    #[oai(path = "/me", method = "get", tag = "Tag::Sessions")]
    async fn me(&self, Auth(actor): Auth) -> ApiResult<Json<Me>> {
        let person = self.state.registry.get_person(&actor, actor.person_id).await?;
        let filter = infra::registry::Filter { person_id: Some(actor.person_id), ..Default::default() };
        let page = infra::paging::PageRequest { limit: infra::paging::MAX_LIMIT, after: None };
        let posts = self.state.registry.list_posts(&actor, filter, page).await?;
        let mut ids: Vec<Uuid> = posts.items.iter().map(|p| p.org_id).collect();
        ids.extend(actor.bindings.iter().filter_map(|b| b.scope.id()));
        let names = self.state.registry.names(&ids).await?;
        let name_of = |id: Option<Uuid>| match id {
            Some(id) if !id.is_nil() => names.get(&id).cloned().unwrap_or_default(),
            _ => "全县".to_owned(),
        };
        Ok(Json(Me {
            account_id: actor.account_id.0,
            username: actor.username.clone(),
            is_admin: actor.is_admin,
            person: person.into(),
            posts: posts
                .items
                .into_iter()
                .filter(|p| !p.awaiting_acceptance)
                .map(|p| MyPost { org_name: name_of(Some(p.org_id)), post: p.into() })
                .collect(),
            invitations: self.state.registry.invitations(&actor).await?.into_iter().map(Into::into).collect(),
            bindings: actor
                .bindings
                .iter()
                .map(|b| BindingDto {
                    role: b.role.to_string(),
                    scope: b.scope.to_string(),
                    source: b.source.clone(),
                    scope_name: name_of(b.scope.id()),
                })
                .collect(),
        }))
    }

    /// Accept a post a company recorded for you: it gives its role from now on.
    #[oai(path = "/me/invitations/:post_id/accept", method = "post", tag = "Tag::Sessions")]
    async fn accept_invitation(&self, Auth(actor): Auth, post_id: Path<Uuid>) -> ApiResult<Json<Post>> {
        Ok(Json(self.state.registry.answer_invitation(&actor, post_id.0.into(), true).await?.into()))
    }

    /// Decline a post a company recorded for you: the post ends.
    #[oai(path = "/me/invitations/:post_id/decline", method = "post", tag = "Tag::Sessions")]
    async fn decline_invitation(&self, Auth(actor): Auth, post_id: Path<Uuid>) -> ApiResult<Json<Post>> {
        Ok(Json(self.state.registry.answer_invitation(&actor, post_id.0.into(), false).await?.into()))
    }

    /// Create an account for a person (administrators).
    #[oai(path = "/accounts", method = "post", tag = "Tag::Sessions")]
    async fn create_account(&self, Auth(actor): Auth, body: Json<AccountCreate>) -> ApiResult<Created<Account>> {
        let b = body.0;
        let id =
            self.state.access.create_account(&actor, b.person_id.into(), &b.username, &b.password, b.is_admin).await?;
        Ok(Created::Created(Json(Account {
            id: id.0,
            person_id: b.person_id,
            username: b.username,
            is_admin: b.is_admin,
        })))
    }
}
