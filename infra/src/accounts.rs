//! Accounts, sessions and the actor behind a request.
//!
//! Passwords are hashed with argon2id on the blocking pool, never on the async threads.
//! Session tokens are random, shown once, and stored only as their SHA-256 hash. Five failed
//! logins in a row lock an account for 15 minutes.

use crate::actor::{Actor, ActorCache};
use crate::audit::{self, Record};
use crate::db::begin_write;
use crate::entities::{
    account, cross_appointment, login_attempt, owners_committee, person, post, service_contract, session,
};
use crate::error::{Error, Result};
use crate::in_force;
use argon2::password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::appointment::{AppointmentStatus, HostKind};
use domain::authz::{derive_bindings, ActiveAppointment, ActivePost, Binding, ServedEstate};
use domain::clock::Clock;
use domain::ids::{AccountId, PersonId};
use domain::registry::{OrgKind, PostRecord, PostTitle};
use domain::Code;
use domain::DomainError;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Statement,
};
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};
use uuid::Uuid;

/// Failed logins in a row that lock an account.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;

/// A new session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The bearer token; shown once, stored only as a hash.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Accounts and sessions.
#[derive(Clone)]
pub struct Accounts {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    session_ttl: Duration,
    cache: Arc<ActorCache>,
}

fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_token() -> String {
    // Two v4 UUIDs: 244 bits from the operating system's CSPRNG.
    format!("lj_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// Argon2id takes 19 MiB and tens of milliseconds per hash: at most this many run at once
/// (the others wait their turn), so a burst of logins cannot exhaust memory or threads.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(cores * 2)
    })
}

/// Runs an argon2 job on the blocking pool, holding one of the hashing permits.
async fn with_hashing_permit<T: Send + 'static>(job: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let _permit = hashing_permits().acquire().await.map_err(|e| Error::Unexpected(format!("hashing permits: {e}")))?;
    tokio::task::spawn_blocking(job).await.map_err(|e| Error::Unexpected(format!("hashing task: {e}")))?
}

/// Hashes a password with argon2id on the blocking pool.
///
/// # Errors
/// Hashing failed (it does not for valid input).
pub async fn hash_password(password: String) -> Result<String> {
    with_hashing_permit(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Unexpected(format!("argon2: {e}")))
    })
    .await
}

/// Verifies a password against a stored hash on the blocking pool.
async fn verify_password(password: String, hash: String) -> Result<bool> {
    with_hashing_permit(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| Error::Unexpected(format!("stored hash: {e}")))?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
}

/// A hash to verify against when the username is unknown, so that a wrong username takes
/// as long as a wrong password.
async fn dummy_hash() -> Result<String> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password("not-a-real-password".to_owned()).await?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

/// Loads the posts a person holds today and the bindings they give.
///
/// # Errors
/// Database errors.
pub async fn load_bindings<C: ConnectionTrait>(
    conn: &C,
    person_id: PersonId,
    is_admin: bool,
    today: NaiveDate,
) -> Result<(Vec<Binding>, Vec<PostRecord>)> {
    let rows = post::Entity::find()
        .filter(post::Column::PersonId.eq(person_id.0))
        .filter(in_force::post(today))
        .all(conn)
        .await?;
    let committee_ids: Vec<Uuid> =
        rows.iter().filter(|p| p.org_kind == OrgKind::OwnersCommittee.as_str()).map(|p| p.org_id).collect();
    let current_committees: Vec<Uuid> = if committee_ids.is_empty() {
        Vec::new()
    } else {
        owners_committee::Entity::find()
            .filter(owners_committee::Column::Id.is_in(committee_ids))
            .filter(in_force::committee(today))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect()
    };
    let mut active = Vec::new();
    for row in rows {
        let (Ok(org_kind), Ok(title)) = (row.org_kind.parse::<OrgKind>(), row.title.parse::<PostTitle>()) else {
            tracing::warn!(post = %row.id, "post with an unknown kind or title ignored");
            continue;
        };
        if org_kind == OrgKind::OwnersCommittee && !current_committees.contains(&row.org_id) {
            continue;
        }
        active.push(ActivePost {
            post_id: row.id,
            org_kind,
            org_id: row.org_id,
            title,
            community_id: row.community_id.map(Into::into),
            estate_id: row.estate_id.map(Into::into),
        });
    }
    let appointments = appointments_in_force(conn, person_id, &active, today).await?;
    let companies: Vec<Uuid> = active
        .iter()
        .filter(|p| p.org_kind == OrgKind::PropertyCompany)
        .map(|p| p.org_id)
        .chain(appointments.iter().filter(|a| a.host_kind == HostKind::PropertyCompany).map(|a| a.host_id))
        .collect();
    let served = if companies.is_empty() {
        Vec::new()
    } else {
        service_contract::Entity::find()
            .filter(service_contract::Column::CompanyId.is_in(companies))
            .filter(in_force::contract(today))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| ServedEstate { company_id: c.company_id.into(), estate_id: c.estate_id.into(), contract_id: c.id })
            .collect()
    };
    let bindings = derive_bindings(is_admin, &active, &appointments, &served);
    let posts =
        active.into_iter().map(|p| PostRecord { org_kind: p.org_kind, org_id: p.org_id, title: p.title }).collect();
    Ok((bindings, posts))
}

/// The person's cross-appointments in force today: approved, inside their term, and with a
/// home post that is still held (`held` is the person's posts in force).
async fn appointments_in_force<C: ConnectionTrait>(
    conn: &C,
    person_id: PersonId,
    held: &[ActivePost],
    today: NaiveDate,
) -> Result<Vec<ActiveAppointment>> {
    let rows = cross_appointment::Entity::find()
        .filter(cross_appointment::Column::PersonId.eq(person_id.0))
        .filter(cross_appointment::Column::Status.eq(AppointmentStatus::Active.as_str()))
        .filter(cross_appointment::Column::StartsOn.lte(today))
        .filter(cross_appointment::Column::EndsOn.gte(today))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|a| held.iter().any(|p| p.post_id == a.home_post_id))
        .filter_map(|a| {
            Some(ActiveAppointment {
                appointment_id: a.id,
                host_kind: a.host_kind.parse().ok()?,
                host_id: a.host_id,
                host_estate: a.host_estate_id.map(Into::into),
            })
        })
        .collect())
}

impl Accounts {
    /// Accounts over a database, with sessions lasting `session_ttl`.
    #[must_use]
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, session_ttl: Duration, cache: Arc<ActorCache>) -> Self {
        Self { db, clock, session_ttl, cache }
    }

    /// Logs in. A wrong username and a wrong password give the same answer.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] (`invalid_credentials`), [`Error::Locked`] while locked or
    /// on the login that locks it, database errors.
    #[tracing::instrument(skip_all, fields(username = %username))]
    pub async fn login(&self, username: &str, password: &str) -> Result<NewSession> {
        let now = self.clock.now();
        // The attempt counts as a failure before anything is verified, so that parallel
        // guesses cannot all be verified before the first failure is recorded; unknown
        // usernames are counted and locked the same way, so a lock tells nothing.
        if domain::account::validate_username(username).is_err() {
            // No account can have this name: nothing to count or lock (and nothing stored).
            verify_password(password.to_owned(), dummy_hash().await?).await?;
            return Err(Error::Unauthenticated(Code::InvalidCredentials));
        }
        let attempt = self.count_attempt(username, now).await?;
        let found = account::Entity::find()
            .filter(account::Column::Username.eq(username))
            .filter(account::Column::DisabledAt.is_null())
            .one(&self.db)
            .await?;
        let verified = match &found {
            Some(acc) => verify_password(password.to_owned(), acc.password_hash.clone()).await?,
            None => {
                verify_password(password.to_owned(), dummy_hash().await?).await?;
                false
            }
        };
        let Some(acc) = found.filter(|_| verified) else {
            return self.record_failure(username, attempt, now).await;
        };
        let token = new_token();
        let expires_at = now + self.session_ttl;
        let txn = begin_write(&self.db).await?;
        login_attempt::Entity::update_many()
            .col_expr(login_attempt::Column::Failed, Expr::value(0))
            .filter(login_attempt::Column::Username.eq(username))
            .filter(login_attempt::Column::LockedUntil.is_null())
            .exec(&txn)
            .await?;
        session::Entity::insert(session::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: Set(acc.id),
            token_hash: Set(hash_token(&token)),
            created_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(NewSession { token, expires_at })
    }

    /// Counts an attempt for `username` and returns how many in a row it makes; refuses with
    /// [`Error::Locked`] when the username is locked or already has its fill of attempts in
    /// flight. One atomic statement, so any number of parallel requests get distinct counts.
    async fn count_attempt(&self, username: &str, now: DateTime<Utc>) -> Result<i32> {
        // A lock that has run out is lifted.
        login_attempt::Entity::update_many()
            .col_expr(login_attempt::Column::Failed, Expr::value(0))
            .col_expr(login_attempt::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(login_attempt::Column::Username.eq(username))
            .filter(login_attempt::Column::LockedUntil.lte(now))
            .exec(&self.db)
            .await?;
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "INSERT INTO login_attempts (username, failed) VALUES ($1, 1) \
                 ON CONFLICT (username) DO UPDATE SET failed = login_attempts.failed + 1 \
                 WHERE login_attempts.failed < $2 AND login_attempts.locked_until IS NULL RETURNING failed"
            }
            _ => {
                "INSERT INTO login_attempts (username, failed) VALUES (?, 1) \
                 ON CONFLICT (username) DO UPDATE SET failed = login_attempts.failed + 1 \
                 WHERE login_attempts.failed < ? AND login_attempts.locked_until IS NULL RETURNING failed"
            }
        };
        let stmt = Statement::from_sql_and_values(backend, sql, [username.into(), MAX_FAILED_LOGINS.into()]);
        if let Some(row) = self.db.query_one_raw(stmt).await? {
            return Ok(row.try_get("", "failed")?);
        }
        // Five attempts counted and no lock time: either the fifth is still being verified,
        // or it never finished (a dropped connection). Either way the lock starts now, so it
        // also runs out.
        let until = now + Duration::minutes(LOCK_MINUTES);
        login_attempt::Entity::update_many()
            .col_expr(login_attempt::Column::LockedUntil, Expr::value(Some(until)))
            .filter(login_attempt::Column::Username.eq(username))
            .filter(login_attempt::Column::LockedUntil.is_null())
            .exec(&self.db)
            .await?;
        let until = login_attempt::Entity::find_by_id(username.to_owned())
            .one(&self.db)
            .await?
            .and_then(|r| r.locked_until)
            .unwrap_or(until);
        Err(Error::Locked(until))
    }

    /// A failed login: the one that makes `MAX_FAILED_LOGINS` in a row locks the username for
    /// `LOCK_MINUTES` (audited when an account has it).
    async fn record_failure<T>(&self, username: &str, attempt: i32, now: DateTime<Utc>) -> Result<T> {
        if attempt < MAX_FAILED_LOGINS {
            return Err(Error::Unauthenticated(Code::InvalidCredentials));
        }
        let until = now + Duration::minutes(LOCK_MINUTES);
        let txn = begin_write(&self.db).await?;
        login_attempt::Entity::update_many()
            .col_expr(login_attempt::Column::LockedUntil, Expr::value(Some(until)))
            .filter(login_attempt::Column::Username.eq(username))
            .filter(login_attempt::Column::LockedUntil.is_null())
            .exec(&txn)
            .await?;
        let account = account::Entity::find().filter(account::Column::Username.eq(username)).one(&txn).await?;
        if let Some(acc) = account {
            let record = Record {
                actor: None,
                account_id: Some(acc.id),
                acting_as: None,
                scope: "county".to_owned(),
                community_id: None,
                action: "lock".to_owned(),
                resource: "account".to_owned(),
                resource_id: Some(acc.id.to_string()),
                decision: "deny".to_owned(),
                rule: format!("{MAX_FAILED_LOGINS} failed logins in a row: locked for {LOCK_MINUTES} minutes"),
            };
            audit::write(&txn, record, now).await?;
            tracing::warn!(target: "authz", account = %acc.id, "account locked after {MAX_FAILED_LOGINS} failed logins");
        }
        txn.commit().await?;
        Err(Error::Locked(until))
    }

    /// Resolves a bearer token to the actor behind it, with bindings as of now.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] for an unknown, expired or revoked token or a disabled
    /// account; database errors.
    pub async fn authenticate(&self, token: &str, request_id: Option<String>) -> Result<Actor> {
        let key = hash_token(token);
        let now = self.clock.now();
        if let Some(mut actor) = self.cache.get(&key, now) {
            actor.request_id = request_id;
            return Ok(actor);
        }
        let generation = self.cache.current();
        let found = session::Entity::find()
            .filter(session::Column::TokenHash.eq(key.clone()))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await?;
        let Some(sess) = found else { return Err(Error::Unauthenticated(Code::InvalidToken)) };
        let acc = account::Entity::find_by_id(sess.account_id)
            .filter(account::Column::DisabledAt.is_null())
            .one(&self.db)
            .await?
            .ok_or(Error::Unauthenticated(Code::InvalidToken))?;
        let (bindings, posts) = load_bindings(&self.db, acc.person_id.into(), acc.is_admin, self.clock.today()).await?;
        let actor = Actor {
            account_id: acc.id.into(),
            person_id: acc.person_id.into(),
            username: acc.username,
            is_admin: acc.is_admin,
            bindings,
            posts,
            request_id: None,
        };
        // A session never outlives its expiry in the cache either.
        if sess.expires_at > now + Duration::seconds(2) {
            self.cache.put(key, &actor, generation, now);
        }
        Ok(Actor { request_id, ..actor })
    }

    /// Revokes the session of `token`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn logout(&self, token: &str) -> Result<()> {
        let revoked = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(Some(self.clock.now())))
            .filter(session::Column::TokenHash.eq(hash_token(token)))
            .filter(session::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await;
        self.cache.invalidate();
        revoked?;
        Ok(())
    }

    /// Creates a system administrator and the person behind it (the `create-admin` command).
    ///
    /// # Errors
    /// As [`Accounts::create`].
    pub async fn create_admin(&self, username: &str, password: &str) -> Result<AccountId> {
        let hash = validated_hash(username, password).await?;
        let person_id = PersonId::new();
        let txn = begin_write(&self.db).await?;
        person::Entity::insert(person::ActiveModel {
            id: Set(person_id.0),
            name: Set(format!("系统管理员 {username}")),
            phone: Set(None),
            is_party_member: Set(false),
            created_at: Set(self.clock.now()),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        let id = AccountId::new();
        insert_account(&txn, id, person_id, username, hash, true, self.clock.now()).await?;
        txn.commit().await?;
        Ok(id)
    }
}

/// Validates a username and password together (both errors at once) and hashes the password.
pub(crate) async fn validated_hash(username: &str, password: &str) -> Result<String> {
    let mut errors = Vec::new();
    for check in [domain::account::validate_username(username), domain::account::validate_password(password)] {
        if let Err(DomainError::Validation(mut fields)) = check {
            errors.append(&mut fields);
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors).into());
    }
    hash_password(password.to_owned()).await
}

/// Inserts an account row.
pub(crate) async fn insert_account<C: ConnectionTrait>(
    conn: &C,
    id: AccountId,
    person_id: PersonId,
    username: &str,
    password_hash: String,
    is_admin: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    account::Entity::insert(account::ActiveModel {
        id: Set(id.0),
        person_id: Set(person_id.0),
        username: Set(username.to_owned()),
        password_hash: Set(password_hash),
        is_admin: Set(is_admin),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        disabled_at: Set(None),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
