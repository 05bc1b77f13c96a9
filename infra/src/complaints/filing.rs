//! Filing a case: where it goes (the estate's community and the company in force today), and
//! its writes: the case with its number, its first event, the company's notice and the audit
//! row, in one transaction.
//!
//! Filings that arrive together are written together (group commit, [`crate::group_commit`]):
//! one transaction, one statement per table for all of them and one counter update per
//! community, one flush to disk; each caller is answered once that commit is durable. Should
//! the batch fail, each filing is written again alone, so one bad filing fails only itself.

use super::{link, on_committee, to_domain, ComplaintView, Complaints, Names};
use crate::actor::{Actor, ActorCache};
use crate::audit;
use crate::db::begin_write;
use crate::entities::{community, complaint as cm, estate, person};
use crate::error::{Error, Result};
use crate::group_commit::{Answer, GroupCommit};
use crate::in_force;
use crate::notifications::{notify_each, Notice};
use crate::timeline::{self, NewEvent, Stream};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::authz::{Action, Decision, Resource, Scope};
use domain::clock::local_date;
use domain::complaint::{ComplaintAction, ComplaintStatus, NewComplaint};
use domain::ids::EstateId;
use domain::notification::{NoticeKind, Recipient};
use domain::registry::OrgKind;
use domain::Code;
use domain::DomainError;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, IntoActiveModel};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use uuid::Uuid;

/// A case as the client files it.
#[derive(Debug, Clone)]
pub struct FileRequest {
    /// The estate it is about.
    pub estate_id: EstateId,
    /// Category.
    pub category: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Priority (normal when absent).
    pub priority: Option<String>,
    /// Filed on behalf of the owners' committee.
    pub for_committee: bool,
}

/// A filing, all decided before it is written: the case but its number (taken when it is
/// written), who files it, and the decision that allowed it (its audit row).
pub(super) struct Filing {
    id: Uuid,
    actor: Actor,
    decision: Decision,
    community: Uuid,
    community_code: String,
    year: i32,
    estate: Uuid,
    company: Option<Uuid>,
    for_committee: bool,
    input: NewComplaint,
    respond_by: DateTime<Utc>,
    resolve_by: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl Filing {
    /// The case as it is stored, with `case_number`.
    fn row(&self, case_number: String) -> cm::Model {
        cm::Model {
            id: self.id,
            case_number,
            estate_id: self.estate,
            community_id: self.community,
            category: self.input.category.as_str().to_owned(),
            priority: self.input.priority.as_str().to_owned(),
            title: self.input.title.clone(),
            description: self.input.description.clone(),
            filer_id: self.actor.person_id.0,
            for_committee: self.for_committee,
            joint: self.for_committee,
            handling_company_id: self.company,
            department_id: None,
            reported_in: false,
            status: ComplaintStatus::Submitted.as_str().to_owned(),
            respond_by: self.respond_by,
            resolve_by: self.resolve_by,
            resolved_at: None,
            closed_at: None,
            rating: None,
            cosign_count: 0,
            filed_at: self.now,
            last_event_at: Some(self.now),
            version: 0,
        }
    }
}

/// The writer of filings: whatever waits is written together.
pub(super) type Filings = GroupCommit<Filing, String>;

/// A writer of filings on `db` (its task starts with the first filing).
pub(super) fn writer(db: DatabaseConnection) -> Filings {
    GroupCommit::new(Arc::new(move |batch| Box::pin(write_filings(db.clone(), batch))))
}

/// Writes the filings of `batch` together and answers each with its case number. When that
/// fails because the database cannot be had, every filing is told so at once; when it fails
/// otherwise (a filing the database refused), each is written again alone and answered as it
/// goes, so a bad one fails only itself.
async fn write_filings(db: DatabaseConnection, batch: Vec<(Filing, Answer<String>)>) {
    let (filings, answers): (Vec<Filing>, Vec<Answer<String>>) = batch.into_iter().unzip();
    match write_together(&db, &filings).await {
        Ok(numbers) => {
            for (answer, number) in answers.into_iter().zip(numbers) {
                answer.send(Ok(number));
            }
        }
        Err(e) if filings.len() == 1 => {
            if let Some(answer) = answers.into_iter().next() {
                answer.send(Err(e));
            }
        }
        Err(Error::Unavailable(e)) => {
            let why = e.to_string();
            for answer in answers {
                answer.send(Err(Error::Unavailable(sea_orm::DbErr::Custom(why.clone()))));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, filings = filings.len(), "filings written together failed; writing each alone");
            for (filing, answer) in filings.iter().zip(answers) {
                let alone = write_together(&db, std::slice::from_ref(filing)).await;
                answer.send(alone.and_then(|numbers| {
                    numbers.into_iter().next().ok_or_else(|| Error::Unexpected("a filing got no case number".into()))
                }));
            }
        }
    }
}

/// One transaction for all of `filings`: their first events and audit rows, then their case
/// numbers (taken last, so the counter rows stay locked for as little as can be), the cases
/// and the companies' notices. Their case numbers, in order.
async fn write_together(db: &DatabaseConnection, filings: &[Filing]) -> Result<Vec<String>> {
    let txn = begin_write(db).await?;
    let events = filings.iter().map(|f| {
        let filed = NewEvent {
            actor: Some(&f.actor),
            acting_as: f.decision.acting_as.as_deref().unwrap_or_default(),
            action: ComplaintAction::File.as_str(),
            from: None,
            to: ComplaintStatus::Submitted.as_str(),
            note: None,
            detail: None,
        };
        (Stream::Complaint(f.id), filed, f.now)
    });
    timeline::append_all(&txn, events).await?;
    let records =
        filings.iter().map(|f| (audit::Record::decision(&f.actor, &f.decision, Some(f.id.to_string())), f.now));
    audit::write_all(&txn, records).await?;
    let numbers = take_numbers(&txn, filings).await?;
    let cases = filings.iter().zip(&numbers).map(|(f, n)| f.row(n.clone()).into_active_model().reset_all());
    crate::db::insert_all(&txn, cases.collect()).await?;
    // A notice names the case by its number: its title is the resident's own words.
    let notices = filings.iter().zip(&numbers).filter_map(|(f, number)| {
        let company = f.company?;
        let notice = Notice {
            kind: NoticeKind::CaseFiled,
            stream: Stream::Complaint(f.id),
            label: number,
            link: link(f.id),
            to: vec![Recipient::Organization(OrgKind::PropertyCompany, company)],
        };
        Some((&f.actor, notice, f.now))
    });
    notify_each(&txn, notices).await?;
    txn.commit().await?;
    Ok(numbers)
}

/// The case numbers of `filings`, in order: `CODE-YYYY-NNNNNN`, each community's taken from its
/// counter row for the year in one update for all its filings. Counters are updated in the
/// order of their keys, so two writers (replicas) never wait on each other's rows in a cycle.
async fn take_numbers(txn: &DatabaseTransaction, filings: &[Filing]) -> Result<Vec<String>> {
    let mut counters: BTreeMap<(Uuid, i32), Vec<usize>> = BTreeMap::new();
    for (i, f) in filings.iter().enumerate() {
        counters.entry((f.community, f.year)).or_default().push(i);
    }
    let mut numbers = vec![String::new(); filings.len()];
    for ((community, year), taking) in counters {
        let count = i32::try_from(taking.len()).map_err(|_| Error::Unexpected("too many filings at once".into()))?;
        let last = advance_counter(txn, community, year, count).await?;
        for (next, i) in (last - count + 1..).zip(taking) {
            numbers[i] = format!("{}-{year}-{next:06}", filings[i].community_code);
        }
    }
    Ok(numbers)
}

/// Moves a community's counter for `year` on by `count` (making it at `count` the first time)
/// and returns the last number it gave.
async fn advance_counter(txn: &DatabaseTransaction, community: Uuid, year: i32, count: i32) -> Result<i32> {
    use crate::entities::case_counter as cc;
    use sea_orm::sea_query::OnConflict;
    let upsert = Query::insert()
        .into_table(cc::Entity)
        .columns([cc::Column::CommunityId, cc::Column::Year, cc::Column::NextValue])
        .values_panic([community.into(), year.into(), count.into()])
        .on_conflict(
            OnConflict::columns([cc::Column::CommunityId, cc::Column::Year])
                .value(cc::Column::NextValue, Expr::col((cc::Entity, cc::Column::NextValue)).add(count))
                .to_owned(),
        )
        .returning_col(cc::Column::NextValue)
        .to_owned();
    let row = txn.query_one(&upsert).await?.ok_or_else(|| Error::Unexpected("case counter returned nothing".into()))?;
    Ok(row.try_get("", "next_value")?)
}

/// Where a filing goes, and the names its answer shows.
#[derive(Clone)]
struct Place {
    community: Uuid,
    community_code: String,
    company: Option<Uuid>,
    names: Names,
}

/// Where filings go, by estate and filer, kept by the actor cache's rule
/// ([`crate::actor::ActorCache::fresh`]): for its time at most (500 ms by default) and dropped by
/// any write on this replica that may change bindings or the registry (contracts, estates,
/// people and posts all do), so the company in force and the names are those a read shows.
///
/// What is no longer fresh is never served, and is not kept either (the names and phones of
/// filers stay in memory no longer than needed): the entries are dropped when the generation
/// moves, and those past the ttl are swept out whenever the map has doubled since the last sweep.
#[derive(Default)]
pub(super) struct Places {
    entries: RwLock<KeptPlaces>,
}

/// The entries, the generation they were loaded in, and the size at which to sweep next.
#[derive(Default)]
struct KeptPlaces {
    generation: u64,
    sweep_at: usize,
    by_estate_and_filer: HashMap<(Uuid, Uuid), KeptPlace>,
}

/// A place as kept: loaded at, for which day (the contract in force is the day's), and the place.
type KeptPlace = (DateTime<Utc>, NaiveDate, Place);

impl Places {
    /// The fewest entries worth a sweep.
    const SWEEP_FROM: usize = 1_024;

    fn get(&self, actors: &ActorCache, key: (Uuid, Uuid), now: DateTime<Utc>) -> Option<Place> {
        let kept = self.entries.read().ok()?;
        let (at, day, place) = kept.by_estate_and_filer.get(&key)?;
        (*day == local_date(now) && actors.fresh(*at, kept.generation, now)).then(|| place.clone())
    }

    fn put(&self, actors: &ActorCache, key: (Uuid, Uuid), place: &Place, loaded_in: u64, at: DateTime<Utc>) {
        if !actors.fresh(at, loaded_in, at) {
            return;
        }
        let Ok(mut kept) = self.entries.write() else { return };
        if kept.generation != loaded_in {
            kept.by_estate_and_filer.clear();
            kept.generation = loaded_in;
        }
        if kept.by_estate_and_filer.len() >= kept.sweep_at.max(Self::SWEEP_FROM) {
            kept.by_estate_and_filer.retain(|_, (loaded, _, _)| actors.fresh(*loaded, loaded_in, at));
            kept.sweep_at = kept.by_estate_and_filer.len() * 2;
        }
        kept.by_estate_and_filer.insert(key, (at, local_date(at), place.clone()));
    }
}

impl Complaints {
    /// Where a case filed in `estate` by `filer` goes, kept for a moment ([`Places`]) or read.
    async fn place(&self, estate: EstateId, filer: Uuid) -> Result<Option<Place>> {
        let actors = self.gate.actors();
        let now = self.clock.now();
        let key = (estate.0, filer);
        if let Some(place) = self.places.get(actors, key, now) {
            return Ok(Some(place));
        }
        let loaded_in = actors.current();
        let place = self.place_of(estate, filer).await?;
        if let Some(place) = &place {
            self.places.put(actors, key, place, loaded_in, now);
        }
        Ok(place)
    }

    /// Where a case filed in `estate` by `filer` goes, in one query: the estate's community and
    /// the company whose contract is in force today (none when no contract is), with the
    /// estate's name and the filer's name and phone. `None` for an unknown or ended estate.
    async fn place_of(&self, estate: EstateId, filer: Uuid) -> Result<Option<Place>> {
        use crate::entities::service_contract as sc;
        let mut query = Query::select();
        query
            .column((estate::Entity, estate::Column::CommunityId))
            .expr_as(Expr::col((community::Entity, community::Column::Code)), "community_code")
            .expr_as(Expr::col((sc::Entity, sc::Column::CompanyId)), "company_id")
            .expr_as(Expr::col((estate::Entity, estate::Column::Name)), "estate_name")
            .expr_as(Expr::col((person::Entity, person::Column::Name)), "filer_name")
            .expr_as(Expr::col((person::Entity, person::Column::Phone)), "filer_phone")
            .from(estate::Entity)
            .inner_join(
                community::Entity,
                Expr::col((community::Entity, community::Column::Id))
                    .equals((estate::Entity, estate::Column::CommunityId)),
            )
            .left_join(
                sc::Entity,
                Condition::all()
                    .add(Expr::col((sc::Entity, sc::Column::EstateId)).equals((estate::Entity, estate::Column::Id)))
                    .add(in_force::contract(self.clock.today())),
            )
            .left_join(person::Entity, Expr::col((person::Entity, person::Column::Id)).eq(filer))
            .and_where(Expr::col((estate::Entity, estate::Column::Id)).eq(estate.0))
            .and_where(Expr::col((estate::Entity, estate::Column::EndedAt)).is_null())
            .limit(1);
        let Some(row) = self.db.query_one(&query).await? else { return Ok(None) };
        Ok(Some(Place {
            community: row.try_get("", "community_id")?,
            community_code: row.try_get("", "community_code")?,
            company: row.try_get("", "company_id")?,
            names: Names {
                filer_name: row.try_get::<Option<String>>("", "filer_name")?.unwrap_or_default(),
                filer_phone: row.try_get("", "filer_phone")?,
                estate_name: row.try_get("", "estate_name")?,
            },
        }))
    }

    /// Files a case in an estate. It is written with whatever other filings wait, and answered
    /// once that is on disk, as a later read would show it.
    ///
    /// # Errors
    /// Validation, unknown or ended estate, `not_on_committee` for a committee filing by a
    /// non-member, forbidden, database errors.
    #[tracing::instrument(skip_all, fields(estate = %req.estate_id))]
    pub async fn file(&self, actor: &Actor, req: FileRequest) -> Result<ComplaintView> {
        let input = NewComplaint::validate(&req.category, req.priority.as_deref(), &req.title, &req.description)?;
        let place = self
            .place(req.estate_id, actor.person_id.0)
            .await?
            .ok_or_else(|| DomainError::field("estate_id", Code::UnknownEstate))?;
        let chain = Scope::estate_chain(req.estate_id, place.community.into());
        let id = Uuid::now_v7();
        let decision = self.gate.require(actor, Resource::Complaint, Action::Create, &chain, Some(id)).await?;
        if req.for_committee && !on_committee(actor, req.estate_id) {
            return Err(DomainError::field("for_committee", Code::NotOnCommittee).into());
        }
        let now = self.clock.now();
        let (respond_by, resolve_by) = self.rules.deadlines(input.priority, now);
        let filing = Filing {
            id,
            actor: actor.clone(),
            decision,
            community: place.community,
            community_code: place.community_code,
            year: local_date(now).year(),
            estate: req.estate_id.0,
            company: place.company,
            for_committee: req.for_committee,
            input,
            respond_by,
            resolve_by,
            now,
        };
        let mut row = filing.row(String::new());
        row.case_number = self.filings.run(filing).await?;
        // Nobody has co-signed a case just filed.
        let c = to_domain(&row)?;
        let facts = self.facts_given(actor, &c, false);
        Ok(self.answered(actor, c, place.names, facts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn place() -> Place {
        Place { community: Uuid::now_v7(), community_code: "CFL".into(), company: None, names: Names::default() }
    }

    fn kept(places: &Places) -> usize {
        places.entries.read().expect("lock").by_estate_and_filer.len()
    }

    /// A group one of whose filings the database refuses is written again filing by filing:
    /// the others are written, numbered one after another as if the group had never been
    /// tried, and the refused one gets its own error and leaves nothing behind.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_group_the_database_refuses_is_written_again_filing_by_filing() {
        use domain::authz::Effect;
        use domain::clock::Clock;
        use sea_orm::{ConnectionTrait, Statement};
        let db = crate::db::connect("sqlite::memory:", 1).await.expect("database");
        crate::db::migrate(&db).await.expect("migrations");
        let clock = crate::clock::SystemClock;
        crate::demo::seed_if_empty(&db, &clock).await.expect("demo county");
        let one = |sql: &str| {
            let db = db.clone();
            let sql = sql.to_owned();
            async move {
                db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                    .await
                    .expect("query")
                    .expect("a row")
            }
        };
        let estate = one("SELECT e.id AS estate, e.community_id AS community, c.code AS code FROM estates e \
                          JOIN communities c ON c.id = e.community_id LIMIT 1")
        .await;
        let account = one("SELECT id, person_id FROM accounts WHERE username = 'resident'").await;
        let (estate, community, code): (Uuid, Uuid, String) = (
            estate.try_get("", "estate").expect("estate"),
            estate.try_get("", "community").expect("community"),
            estate.try_get("", "code").expect("code"),
        );
        let actor = Actor {
            account_id: account.try_get::<Uuid>("", "id").expect("account").into(),
            person_id: account.try_get::<Uuid>("", "person_id").expect("person").into(),
            username: "resident".into(),
            is_admin: false,
            bindings: Vec::new(),
            posts: Vec::new(),
            request_id: None,
        };
        let now = clock.now();
        let filing = |estate: Uuid| Filing {
            id: Uuid::now_v7(),
            actor: actor.clone(),
            decision: Decision {
                effect: Effect::Allow,
                resource: Resource::Complaint,
                action: Action::Create,
                scope: Scope::Estate(estate.into()),
                community: Some(community.into()),
                acting_as: Some("resident".into()),
                rule: "p, resident, complaint, create, allow".into(),
            },
            community,
            community_code: code.clone(),
            year: local_date(now).year(),
            estate,
            company: None,
            for_committee: false,
            input: NewComplaint::validate("repair", None, "楼道灯不亮", "一周了").expect("valid"),
            respond_by: now,
            resolve_by: now,
            now,
        };
        // The middle one names an estate that does not exist: the database refuses it.
        let batch = vec![filing(estate), filing(Uuid::now_v7()), filing(estate)];
        let ids: Vec<Uuid> = batch.iter().map(|f| f.id).collect();
        let (mut jobs, mut answers) = (Vec::new(), Vec::new());
        for f in batch {
            let (answer, rx) = crate::group_commit::answer();
            jobs.push((f, answer));
            answers.push(rx);
        }
        write_filings(db.clone(), jobs).await;
        let mut outcomes = Vec::new();
        for rx in answers {
            outcomes.push(rx.await.expect("answered"));
        }
        let first = outcomes[0].as_ref().expect("the first is written");
        let third = outcomes[2].as_ref().expect("the third is written");
        let seq = |n: &str| n.rsplit('-').next().and_then(|s| s.parse::<u32>().ok()).expect("a number");
        assert_eq!(seq(third), seq(first) + 1, "numbered one after another: {first}, {third}");
        let refused = outcomes[1].as_ref().expect_err("the refused one fails");
        assert_eq!(refused.code(), Code::ReferencedRecordMissing, "{refused}");
        for (id, written) in ids.iter().zip([1, 0, 1]) {
            for table in ["complaints WHERE id", "events WHERE stream_id", "audit_log WHERE resource_id"] {
                let value = if table.starts_with("audit") { format!("'{id}'") } else { format!("X'{}'", id.simple()) };
                let n: i64 =
                    one(&format!("SELECT count(*) AS n FROM {table} = {value}")).await.try_get("", "n").expect("n");
                assert_eq!(n, written, "{table} = {id}");
            }
        }
    }

    #[test]
    fn a_kept_place_is_served_while_fresh_and_forgotten_after_a_registry_write_or_its_ttl() {
        let actors = ActorCache::new(std::time::Duration::from_millis(500));
        let places = Places::default();
        let now = Utc::now();
        let key = (Uuid::now_v7(), Uuid::now_v7());
        places.put(&actors, key, &place(), actors.current(), now);
        assert!(places.get(&actors, key, now + Duration::milliseconds(100)).is_some(), "fresh");
        assert!(places.get(&actors, (key.0, Uuid::now_v7()), now).is_none(), "another filer's is not theirs");
        assert!(places.get(&actors, key, now + Duration::milliseconds(600)).is_none(), "past the ttl");
        actors.invalidate();
        assert!(places.get(&actors, key, now).is_none(), "a registry write on this replica drops it");
        // The first place kept in the new generation drops what the old one kept.
        places.put(&actors, (Uuid::now_v7(), Uuid::now_v7()), &place(), actors.current(), now);
        assert_eq!(kept(&places), 1);
        // Entries past the ttl are swept out when the map reaches the size for a sweep.
        for _ in 1..Places::SWEEP_FROM {
            places.put(&actors, (Uuid::now_v7(), Uuid::now_v7()), &place(), actors.current(), now);
        }
        places.put(&actors, key, &place(), actors.current(), now + Duration::seconds(5));
        assert_eq!(kept(&places), 1, "only the fresh entry is left");
        // With the cache off nothing is kept.
        let off = ActorCache::new(std::time::Duration::ZERO);
        let nothing = Places::default();
        nothing.put(&off, key, &place(), off.current(), now);
        assert_eq!(kept(&nothing), 0);
    }
}
