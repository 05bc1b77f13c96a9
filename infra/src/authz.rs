//! The authorization path: casbin decides whether a role may take an action on a resource;
//! the bindings (which roles a person holds in which scopes) come from the registry.
//!
//! Casbin's `enforce` walks every policy line through its script engine, so it is asked
//! once per (role, resource, action) at start-up and the answers, with the line that
//! decided, are kept in a table. A request then costs a few hash lookups however many
//! people, posts or contracts exist. Policies are code: a change is reviewed, built and
//! deployed; bindings are data and are read fresh on every request.

use crate::actor::{Actor, ActorCache};
use crate::audit::{self, Record};
use crate::db::begin_write;
use crate::error::{Error, Result};
use casbin::{CoreApi, DefaultModel, Enforcer, StringAdapter};
use domain::authz::{Action, Binding, Resource, Role, Scope};
pub use domain::authz::{Decision, Effect};
use domain::clock::Clock;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The casbin model, built into the binary from `policies/`.
pub const MODEL: &str = include_str!("../../policies/model.conf");
/// The permission lines, built into the binary from `policies/`.
pub const POLICIES: &[&str] = &[
    include_str!("../../policies/registry.csv"),
    include_str!("../../policies/cross_appointments.csv"),
    include_str!("../../policies/complaints.csv"),
    include_str!("../../policies/oversight.csv"),
    include_str!("../../policies/meetings.csv"),
    include_str!("../../policies/notifications.csv"),
    include_str!("../../policies/recusal.csv"),
];

/// The outcome of one (role, resource, action) question, with the policy line behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RoleDecision {
    allow: bool,
    rule: String,
}

/// The enforcer's answers for every (role, resource, action).
#[derive(Debug, Clone)]
pub struct Authorizer {
    table: HashMap<(Role, Resource, Action), RoleDecision>,
}

impl Authorizer {
    /// Loads the model and policies from `policies/` (built in) and asks casbin every
    /// (role, resource, action) question, once per process: the policies are part of the
    /// binary, so every later call (another application in the same process, as in the tests)
    /// shares the first one's table. Building it asks casbin thousands of questions (seconds in
    /// a debug build).
    ///
    /// # Errors
    /// The model or a policy line does not parse.
    pub async fn load() -> Result<Arc<Self>> {
        static BUILT_IN: tokio::sync::OnceCell<Arc<Authorizer>> = tokio::sync::OnceCell::const_new();
        BUILT_IN
            .get_or_try_init(|| async { Self::from_text(MODEL, &POLICIES.join("\n")).await.map(Arc::new) })
            .await
            .cloned()
    }

    /// As [`Authorizer::load`], from given texts (used by policy tests).
    ///
    /// # Errors
    /// The model or a policy line does not parse.
    pub async fn from_text(model: &str, policies: &str) -> Result<Self> {
        let model = DefaultModel::from_str(model).await.map_err(|e| Error::Unexpected(format!("casbin model: {e}")))?;
        // casbin's CSV reader does not skip comments or blank lines.
        let lines: String = policies
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let enforcer = Enforcer::new(model, StringAdapter::new(lines))
            .await
            .map_err(|e| Error::Unexpected(format!("casbin policy: {e}")))?;
        let mut table = HashMap::new();
        for &role in Role::ALL {
            for &resource in Resource::ALL {
                for &action in Action::ALL {
                    let (allow, rules) = enforcer
                        .enforce_ex((role.as_str(), resource.as_str(), action.as_str()))
                        .map_err(|e| Error::Unexpected(format!("casbin enforce: {e}")))?;
                    if let Some(rule) = rules.first() {
                        table.insert(
                            (role, resource, action),
                            RoleDecision { allow, rule: format!("p, {}", rule.join(", ")) },
                        );
                    }
                }
            }
        }
        Ok(Self { table })
    }

    /// Decides whether someone with `bindings` may take `action` on `resource` in a target
    /// whose containing scopes are `chain` (innermost first). A deny line that applies
    /// wins over every allow; with no line at all the answer is deny.
    #[must_use]
    pub fn decide(&self, bindings: &[Binding], resource: Resource, action: Action, chain: &[Scope]) -> Decision {
        let scope = chain.first().copied().unwrap_or(Scope::County);
        let community = chain.iter().find_map(|s| match s {
            Scope::Community(c) => Some(*c),
            _ => None,
        });
        let mut allow: Option<(&Binding, &RoleDecision)> = None;
        // Innermost scope first, so that `explain` names the closest binding that decides.
        let applicable = chain.iter().flat_map(|scope| bindings.iter().filter(move |b| b.scope == *scope));
        for binding in applicable {
            let Some(found) = self.table.get(&(binding.role, resource, action)) else { continue };
            if !found.allow {
                return Decision {
                    effect: Effect::Deny,
                    resource,
                    action,
                    scope,
                    community,
                    acting_as: Some(format!("{}@{}", binding.role, binding.scope)),
                    rule: found.rule.clone(),
                };
            }
            allow = allow.or(Some((binding, found)));
        }
        match allow {
            Some((binding, found)) => Decision {
                effect: Effect::Allow,
                resource,
                action,
                scope,
                community,
                acting_as: Some(format!("{}@{}", binding.role, binding.scope)),
                rule: found.rule.clone(),
            },
            None => Decision {
                effect: Effect::Deny,
                resource,
                action,
                scope,
                community,
                acting_as: None,
                rule: "no role bound in this scope allows it".to_owned(),
            },
        }
    }

    /// How many (role, resource, action) answers the table holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the policy grants nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

/// The one authorization path. Every use case asks it before it reads or writes, through
/// one of three questions, and every answer is logged (target `authz`):
/// - [`Gate::require`]: may the actor do this? A deny is audited at once and becomes 403.
/// - [`Gate::require_visible`]: the same for reading something whose very existence is not
///   the actor's to know: a deny becomes 404.
/// - [`Gate::allows`]: a yes/no for shaping an answer (which buttons, which rows), never to
///   let a write through.
///
/// An allowed write then goes through [`Write`], the one write path: a transaction that
/// audits the decision, commits, and drops cached bindings when the write can change them, in
/// that order and in one place. [`Gate::write`] begins it for a decision already taken;
/// [`Gate::begin`] with [`Gate::grant`] for one taken on what the transaction locked (a
/// complaint action), whose deny is then audited through [`Gate::require`] after the rollback.
#[derive(Clone)]
pub struct Gate {
    authorizer: Arc<Authorizer>,
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    actors: Arc<ActorCache>,
}

/// Whether a write can change who holds which role (posts, contracts, committees,
/// appointments, organizations ending): then every cached actor is dropped at commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bindings {
    /// The write may change role bindings.
    Change,
    /// It cannot.
    Same,
}

/// An allowed write in progress. Dropping it without [`Write::commit`] rolls back.
pub struct Write<'g> {
    txn: DatabaseTransaction,
    gate: &'g Gate,
    actor: &'g Actor,
    audits: Vec<(Decision, Uuid)>,
    bindings: Bindings,
}

impl Write<'_> {
    /// The transaction to write in.
    #[must_use]
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Another allowed decision taken by the same request (a person and their first post),
    /// audited with this write.
    pub fn also(&mut self, decision: Decision, id: Uuid) {
        self.audits.push((decision, id));
    }

    /// Ends the write without writing anything (as dropping it does), waiting for the end: a
    /// refusal found inside the transaction is audited after it, because on SQLite the audit
    /// row needs the write lock this transaction holds.
    ///
    /// # Errors
    /// Database errors.
    pub async fn rollback(self) -> Result<()> {
        Ok(self.txn.rollback().await?)
    }

    /// Audits every decision in the transaction, commits, and drops cached bindings when
    /// the write can change them.
    ///
    /// # Errors
    /// Database errors (then nothing was written).
    pub async fn commit(self) -> Result<()> {
        if self.audits.is_empty() {
            // Every write is some allowed decision's: one with none is a bug, not a write.
            return Err(Error::Unexpected("a write without an allowed decision".to_owned()));
        }
        let now = self.gate.clock.now();
        for (decision, id) in &self.audits {
            audit::write(&self.txn, Record::decision(self.actor, decision, Some(id.to_string())), now).await?;
        }
        self.txn.commit().await?;
        if self.bindings == Bindings::Change {
            self.gate.actors.invalidate();
        }
        Ok(())
    }
}

impl Gate {
    /// The cache of actors, whose generation every write that may change bindings or the
    /// registry moves: what else is kept from the registry is kept by its rule.
    pub(crate) fn actors(&self) -> &ActorCache {
        &self.actors
    }

    /// A gate over the policy table, writing denies to `db`.
    #[must_use]
    pub fn new(
        authorizer: Arc<Authorizer>,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        actors: Arc<ActorCache>,
    ) -> Self {
        Self { authorizer, db, clock, actors }
    }

    fn decide(&self, actor: &Actor, resource: Resource, action: Action, chain: &[Scope]) -> Decision {
        self.authorizer.decide(&actor.bindings, resource, action, chain)
    }

    /// Logs a decision: a deny at info (with its audit row, what an administrator looks for),
    /// an allow at debug (every request has several; the access line and the audit log of
    /// writes say what was done).
    fn log(actor: &Actor, decision: &Decision, question: &'static str) {
        macro_rules! decision {
            ($level:ident) => {
                tracing::$level!(
                    target: "authz",
                    subject = %actor.username,
                    question,
                    acting_as = decision.acting_as.as_deref().unwrap_or("-"),
                    scope = %decision.scope,
                    resource = %decision.resource,
                    action = %decision.action,
                    effect = %decision.effect,
                    rule = %decision.rule,
                )
            };
        }
        if decision.allowed() {
            decision!(debug);
        } else {
            decision!(info);
        }
    }

    /// Decides whether `actor` may take `action` on `resource` in a target lying in `chain`.
    ///
    /// # Errors
    /// [`Error::Forbidden`] when denied (after auditing the deny); database errors.
    pub async fn require(
        &self,
        actor: &Actor,
        resource: Resource,
        action: Action,
        chain: &[Scope],
        resource_id: Option<Uuid>,
    ) -> Result<Decision> {
        let decision = self.decide(actor, resource, action, chain);
        Self::log(actor, &decision, "require");
        if !decision.allowed() {
            let record = Record::decision(actor, &decision, resource_id.map(|id| id.to_string()));
            audit::write(&self.db, record, self.clock.now()).await?;
            return Err(Error::Forbidden);
        }
        Ok(decision)
    }

    /// As [`Gate::require`] for reading a thing whose very existence is not the caller's to
    /// know: a deny (audited) becomes "not found".
    ///
    /// # Errors
    /// [`domain::DomainError::NotFound`] when denied; database errors.
    pub async fn require_visible(
        &self,
        actor: &Actor,
        resource: Resource,
        chain: &[Scope],
        id: Uuid,
        entity: &'static str,
    ) -> Result<()> {
        match self.require(actor, resource, Action::Read, chain, Some(id)).await {
            Err(Error::Forbidden) => Err(domain::DomainError::NotFound { entity }.into()),
            other => other.map(|_| ()),
        }
    }

    /// Whether the policy lets `actor` take `action` here: for shaping an answer (the
    /// buttons on a case, the rows of a list), never on its own to let a write through.
    /// Logged at debug level: a page asks it many times.
    #[must_use]
    pub fn allows(&self, actor: &Actor, resource: Resource, action: Action, chain: &[Scope]) -> bool {
        let decision = self.decide(actor, resource, action, chain);
        if tracing::enabled!(target: "authz", tracing::Level::DEBUG) {
            tracing::debug!(
                target: "authz",
                subject = %actor.username,
                question = "allows",
                %resource,
                %action,
                effect = %decision.effect,
                rule = %decision.rule,
            );
        }
        decision.allowed()
    }

    /// The decision for a write whose transaction is already open, when it allows (logged as
    /// [`Gate::require`] logs it, to be audited with the write through [`Write::also`]). A deny
    /// is not decided here: the caller ends the transaction and asks [`Gate::require`], which
    /// audits it.
    #[must_use]
    pub fn grant(&self, actor: &Actor, resource: Resource, action: Action, chain: &[Scope]) -> Option<Decision> {
        let decision = self.decide(actor, resource, action, chain);
        decision.allowed().then(|| {
            Self::log(actor, &decision, "require");
            decision
        })
    }

    /// The scopes of the actor's bindings in which they may take `action` on `resource`, for
    /// lists asked without a scope filter: a list then holds what lies in these scopes.
    /// `Scope::County` among them means everything.
    #[must_use]
    pub fn scopes_allowing(&self, actor: &Actor, resource: Resource, action: Action) -> Vec<Scope> {
        let mut scopes: Vec<Scope> = Vec::new();
        for binding in &actor.bindings {
            if !scopes.contains(&binding.scope) && self.allows(actor, resource, action, &[binding.scope]) {
                scopes.push(binding.scope);
            }
        }
        scopes
    }

    /// The decision and the rule behind it, without acting on it: for the explain endpoint
    /// only (see [`crate::access::Access::explain`]).
    pub(crate) fn explain(&self, actor: &Actor, resource: Resource, action: Action, chain: &[Scope]) -> Decision {
        let decision = self.decide(actor, resource, action, chain);
        Self::log(actor, &decision, "explain");
        decision
    }

    /// Begins the write that `decision` allowed on the record `id`.
    ///
    /// # Errors
    /// The database is unreachable or busy.
    pub async fn write<'g>(
        &'g self,
        actor: &'g Actor,
        decision: Decision,
        id: Uuid,
        bindings: Bindings,
    ) -> Result<Write<'g>> {
        let mut write = self.begin(actor, bindings).await?;
        write.also(decision, id);
        Ok(write)
    }

    /// Begins a write whose decision is taken inside it, on what the transaction has locked
    /// (see [`Gate::grant`]); a write that reaches [`Write::commit`] without one is refused.
    ///
    /// # Errors
    /// The database is unreachable or busy.
    pub async fn begin<'g>(&'g self, actor: &'g Actor, bindings: Bindings) -> Result<Write<'g>> {
        let txn = begin_write(&self.db).await?;
        Ok(Write { txn, gate: self, actor, audits: Vec::new(), bindings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ids::{CommunityId, DepartmentId, EstateId, PropertyCompanyId};

    /// Where each role is bound in the table test, and what "inside" and "outside" mean.
    struct World {
        inside: Vec<Scope>,
        outside: Vec<Scope>,
        estate: EstateId,
        community: CommunityId,
        company: PropertyCompanyId,
        department: DepartmentId,
    }

    impl World {
        fn new() -> Self {
            let (estate, community, company, department) =
                (EstateId::new(), CommunityId::new(), PropertyCompanyId::new(), DepartmentId::new());
            let inside = vec![
                Scope::Estate(estate),
                Scope::Community(community),
                Scope::Company(company),
                Scope::Department(department),
                Scope::County,
            ];
            let outside = vec![
                Scope::Estate(EstateId::new()),
                Scope::Community(CommunityId::new()),
                Scope::Company(PropertyCompanyId::new()),
                Scope::Department(DepartmentId::new()),
                Scope::County,
            ];
            Self { inside, outside, estate, community, company, department }
        }

        /// The bindings a holder of `role` has, in the scopes the registry would give it.
        fn bindings(&self, role: Role) -> Vec<Binding> {
            let scopes = match role {
                Role::Admin | Role::CountyOverseer | Role::Account => vec![Scope::County],
                Role::PartyBranchSecretary
                | Role::PartyBranchMember
                | Role::ResidentsCommitteeMember
                | Role::GridWorker => {
                    vec![Scope::Community(self.community)]
                }
                Role::PropertyManager | Role::PropertyStaff => {
                    vec![Scope::Company(self.company), Scope::Estate(self.estate)]
                }
                Role::OwnersCommitteeMember | Role::Resident | Role::OwnersCommitteeSupervisor | Role::Recused => {
                    vec![Scope::Estate(self.estate)]
                }
                Role::DepartmentOfficer => vec![Scope::Department(self.department)],
                Role::PartTimeCommitteeMember => vec![Scope::Community(self.community)],
                Role::PartyBuildingInstructor => vec![Scope::Company(self.company)],
            };
            scopes.into_iter().map(|scope| Binding { role, scope, source: "test".into() }).collect()
        }
    }

    #[tokio::test]
    async fn every_row_of_the_expected_decision_table_holds() {
        let authz = Authorizer::load().await.expect("policy loads");
        let world = World::new();
        let table = include_str!("../../policies/expected_decisions.csv");
        let mut checked = 0;
        for (n, line) in table.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            let [role, place, resource, action, expected] = cols[..] else {
                panic!("line {}: five columns expected", n + 1)
            };
            let roles: Vec<Role> =
                role.split('+').map(|r| r.trim().parse().unwrap_or_else(|e| panic!("line {}: {e}", n + 1))).collect();
            let resource: Resource = resource.parse().unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
            let action: Action = action.parse().unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
            let chain = match place {
                "inside" => &world.inside,
                "outside" => &world.outside,
                other => panic!("line {}: scope must be inside or outside, not {other}", n + 1),
            };
            let bindings: Vec<Binding> = roles.iter().flat_map(|r| world.bindings(*r)).collect();
            let decision = authz.decide(&bindings, resource, action, chain);
            assert_eq!(
                decision.effect.to_string(),
                expected,
                "line {}: {role} {place} {resource} {action} (rule: {})",
                n + 1,
                decision.rule
            );
            checked += 1;
        }
        assert!(checked >= 1_200, "the table has {checked} rows");
    }

    #[tokio::test]
    async fn a_deny_line_beats_an_allow_from_another_binding() {
        let policy = "p, admin, *, *, allow\np, account, person, update, deny\n";
        let authz = Authorizer::from_text(MODEL, policy).await.expect("policy loads");
        let bindings = vec![
            Binding { role: Role::Admin, scope: Scope::County, source: "admin".into() },
            Binding { role: Role::Account, scope: Scope::County, source: "account".into() },
        ];
        assert!(authz.decide(&bindings[..1], Resource::Person, Action::Update, &[Scope::County]).allowed());
        let d = authz.decide(&bindings, Resource::Person, Action::Update, &[Scope::County]);
        assert!(!d.allowed());
        assert_eq!(d.rule, "p, account, person, update, deny");
    }

    #[tokio::test]
    async fn nothing_is_allowed_outside_the_bound_scopes() {
        let authz = Authorizer::load().await.expect("policy loads");
        let world = World::new();
        let d = authz.decide(&world.bindings(Role::PropertyManager), Resource::Person, Action::Read, &world.outside);
        assert!(!d.allowed());
        assert_eq!(d.acting_as, None);
    }
}
