//! The authorization path: casbin decides whether a role may take an action on a resource;
//! the bindings (which roles a person holds in which scopes) come from the registry.
//!
//! Casbin's `enforce` walks every policy line through its script engine, so it is asked
//! once per (role, resource, action) at start-up and the answers, with the line that
//! decided, are kept in a table. A request then costs a few hash lookups however many
//! people, posts or contracts exist. Policies are code: a change is reviewed, built and
//! deployed; bindings are data and are read fresh on every request.

use crate::error::{Error, Result};
use casbin::{CoreApi, DefaultModel, Enforcer, StringAdapter};
use domain::authz::{Action, Binding, Resource, Role, Scope};
use domain::ids::CommunityId;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

/// The casbin model, built into the binary from `policies/`.
pub const MODEL: &str = include_str!("../../policies/model.conf");
/// The permission lines, built into the binary from `policies/`.
pub const POLICIES: &[&str] = &[include_str!("../../policies/registry.csv")];

/// The outcome of one (role, resource, action) question, with the policy line behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RoleDecision {
    allow: bool,
    rule: String,
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Allowed.
    Allow,
    /// Denied.
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        })
    }
}

/// A decision about one request, saying which binding and which rule decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Allow or deny.
    pub effect: Effect,
    /// The resource asked about.
    pub resource: Resource,
    /// The action asked about.
    pub action: Action,
    /// The innermost scope of the target.
    pub scope: Scope,
    /// The community the target lies in, if any (its party branch reads the audit row).
    pub community: Option<CommunityId>,
    /// The binding that decided (`role@scope`), if one did.
    pub acting_as: Option<String>,
    /// The policy line that decided, or why nothing did.
    pub rule: String,
}

impl Decision {
    /// Whether the request may go ahead.
    #[must_use]
    pub fn allowed(&self) -> bool {
        self.effect == Effect::Allow
    }
}

/// The enforcer's answers for every (role, resource, action).
#[derive(Debug, Clone)]
pub struct Authorizer {
    table: HashMap<(Role, Resource, Action), RoleDecision>,
}

impl Authorizer {
    /// Loads the model and policies from `policies/` (built in) and asks casbin every
    /// (role, resource, action) question once.
    ///
    /// # Errors
    /// The model or a policy line does not parse.
    pub async fn load() -> Result<Self> {
        Self::from_text(MODEL, &POLICIES.join("\n")).await
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
                        table.insert((role, resource, action), RoleDecision { allow, rule: format!("p, {}", rule.join(", ")) });
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
        for binding in bindings.iter().filter(|b| chain.contains(&b.scope)) {
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
