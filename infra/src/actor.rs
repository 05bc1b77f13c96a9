//! Who is asking: the actor behind a request, with every role binding they hold now, and
//! the short-lived cache of actors by session. A leaf: it imports no other module of this
//! crate, so accounts, the gate and the audit log can all depend on it.

use chrono::{DateTime, Utc};
use domain::authz::Binding;
use domain::ids::{AccountId, PersonId};
use domain::registry::PostRecord;

/// Who is asking, with every role binding they hold right now.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The account.
    pub account_id: AccountId,
    /// The person the account belongs to.
    pub person_id: PersonId,
    /// Login name.
    pub username: String,
    /// System administrator.
    pub is_admin: bool,
    /// Role bindings derived from posts, contracts and the account.
    pub bindings: Vec<Binding>,
    /// The person's posts in force today.
    pub posts: Vec<PostRecord>,
    /// The request id, for the audit log.
    pub request_id: Option<String>,
}

/// The id of the request being served (kept from `X-Request-Id` or made), for the audit log
/// and every answer; the request middleware puts it in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// An actor as cached: loaded at, in which generation, and the actor.
type CachedActor = (DateTime<Utc>, u64, Actor);

/// Who is behind a session token, kept for a moment so that a burst of requests does not
/// reload the same bindings. Any write that can change bindings clears it on this replica at
/// once; another replica's entries expire within `ttl` (500 ms by default), so a change
/// made on one replica is enforced by every replica within that time.
#[derive(Debug)]
pub struct ActorCache {
    ttl: std::time::Duration,
    max_entries: usize,
    generation: std::sync::atomic::AtomicU64,
    entries: std::sync::RwLock<std::collections::HashMap<String, CachedActor>>,
}

impl ActorCache {
    /// A cache whose entries live for `ttl` (zero turns it off).
    #[must_use]
    pub fn new(ttl: std::time::Duration) -> Self {
        Self { ttl, max_entries: 100_000, generation: 0.into(), entries: Default::default() }
    }

    pub(crate) fn current(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Whether what was loaded at `at`, in generation `loaded_in`, may still be used at `now`:
    /// nothing that can change bindings or the registry was written on this replica since,
    /// and it is younger than the ttl. Other registry facts kept in memory (where a filing goes)
    /// follow the same rule, so they are never staler than a cached actor.
    pub(crate) fn fresh(&self, at: DateTime<Utc>, loaded_in: u64, now: DateTime<Utc>) -> bool {
        !self.ttl.is_zero() && loaded_in == self.current() && (now - at).to_std().is_ok_and(|age| age < self.ttl)
    }

    /// A fresh entry as of `now` (the service's clock, so that tests moving time expire it).
    pub(crate) fn get(&self, key: &str, now: DateTime<Utc>) -> Option<Actor> {
        let entries = self.entries.read().ok()?;
        let (at, generation, actor) = entries.get(key)?;
        self.fresh(*at, *generation, now).then(|| actor.clone())
    }

    /// Stores what was loaded, unless the bindings changed while it was being loaded.
    pub(crate) fn put(&self, key: String, actor: &Actor, loaded_in: u64, at: DateTime<Utc>) {
        if self.ttl.is_zero() || loaded_in != self.current() {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= self.max_entries {
                entries.clear();
            }
            entries.insert(key, (at, loaded_in, actor.clone()));
        }
    }

    /// Forgets everything: a post, contract, committee, appointment or session changed.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}
