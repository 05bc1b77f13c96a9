//! Access administration: accounts made by administrators, `explain` (what may I do here,
//! and which rule says so) and reading the audit log. Each goes through the gate like any
//! other use case; `explain` is the only caller of the gate's side-effect-free decision.

use crate::accounts::{insert_account, validated_hash};
use crate::actor::Actor;
use crate::audit::{self, AuditEntry};
use crate::authz::{Bindings, Gate};
use crate::entities::{estate, person};
use crate::error::Result;
use crate::paging::{Page, PageRequest};
use domain::authz::{Action, Decision, Resource, Scope};
use domain::clock::Clock;
use domain::ids::{AccountId, CommunityId, PersonId};
use domain::Code;
use domain::DomainError;
use sea_orm::{DatabaseConnection, EntityTrait};
use std::sync::Arc;

/// Access administration use cases.
#[derive(Clone)]
pub struct Access {
    db: DatabaseConnection,
    gate: Gate,
    clock: Arc<dyn Clock>,
}

impl Access {
    /// The use cases over a database.
    #[must_use]
    pub fn new(db: DatabaseConnection, gate: Gate, clock: Arc<dyn Clock>) -> Self {
        Self { db, gate, clock }
    }

    /// Creates an account for an existing person (administrators); the decision is audited
    /// with the new account.
    ///
    /// # Errors
    /// Forbidden, validation of username and password, an unknown person, a conflict if the
    /// username or the person already has an account.
    pub async fn create_account(
        &self,
        actor: &Actor,
        person_id: PersonId,
        username: &str,
        password: &str,
        is_admin: bool,
    ) -> Result<AccountId> {
        let id = AccountId::new();
        let decision =
            self.gate.require(actor, Resource::Account, Action::Create, &[Scope::County], Some(id.0)).await?;
        let hash = validated_hash(username, password).await?;
        let write = self.gate.write(actor, decision, id.0, Bindings::Same).await?;
        if person::Entity::find_by_id(person_id.0).one(write.conn()).await?.is_none() {
            return Err(DomainError::NotFound { entity: "person" }.into());
        }
        insert_account(write.conn(), id, person_id, username, hash, is_admin, self.clock.now()).await?;
        write.commit().await?;
        Ok(id)
    }

    /// Whether the caller may take `action` on `resource` in `scope`, and the rule that
    /// decides, with the chain of scopes the target lies in.
    ///
    /// # Errors
    /// An unknown estate, database errors.
    pub async fn explain(
        &self,
        actor: &Actor,
        resource: Resource,
        action: Action,
        scope: Scope,
    ) -> Result<(Decision, Vec<Scope>)> {
        let chain = match scope {
            Scope::Estate(e) => {
                let row = estate::Entity::find_by_id(e.0)
                    .one(&self.db)
                    .await?
                    .ok_or_else(|| DomainError::field("scope", Code::UnknownEstate))?;
                Scope::estate_chain(e, row.community_id.into())
            }
            Scope::Community(c) => Scope::community_chain(c),
            Scope::Company(p) => Scope::company_chain(p),
            Scope::Department(d) => Scope::department_chain(d),
            Scope::County => vec![Scope::County],
        };
        Ok((self.gate.explain(actor, resource, action, &chain), chain))
    }

    /// Reads the audit log of one community (its party branch) or of everything
    /// (administrators), newest first.
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn audit_log(
        &self,
        actor: &Actor,
        community: Option<CommunityId>,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>> {
        let chain = community.map_or_else(|| vec![Scope::County], Scope::community_chain);
        self.gate.require(actor, Resource::AuditLog, Action::Read, &chain, None).await?;
        audit::list(&self.db, community, page).await
    }
}
