//! Oversight use cases: a scope's figures over a period (from the event log, through
//! [`domain::oversight::Figures`]), the cases behind a figure, monthly scorecards (drafts
//! computed live, published editions frozen), appeals, and the 红黑榜.
//!
//! Nothing here stores a running total: every figure is recomputed from the events each
//! time it is asked, so a figure always equals a recomputation; a published scorecard is the
//! one thing kept, as a snapshot, because it must not change.

use crate::actor::Actor;
use crate::authz::Gate;
use crate::entities::{complaint as cm, estate, event, property_company as company, service_contract};
use crate::error::{Error, Result};
use crate::in_force;
use crate::timeline::Stream;
use chrono::{DateTime, Utc};
use domain::authz::{Action, Resource, Role, Scope};
use domain::clock::Clock;
use domain::complaint::{Category, ComplaintAction, ComplaintStatus, Priority, Rating};
use domain::ids::{CommunityId, PropertyCompanyId};
use domain::oversight::{appeal_open, CaseEvent, CaseHistory, Figure, Figures, Month, Period, ScoringRules};
use domain::{Code, DomainError};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use uuid::Uuid;

mod scorecards;
mod tables;

pub(crate) use scorecards::{drafts, insert_card};
pub use scorecards::{Appeal, Board, BoardEntry, MonthCards, Scorecard};
pub use tables::{category_label, grade_label, ReportTable};

/// Which cases a figure is asked of, besides the scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct Narrow {
    /// Only this category.
    pub category: Option<Category>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only cases handled by this company (inside the scope).
    pub company: Option<PropertyCompanyId>,
    /// Only cases of this estate (inside the scope).
    pub estate: Option<domain::ids::EstateId>,
}

/// A case loaded for oversight: where it is, and its history.
#[derive(Debug, Clone)]
struct Loaded {
    history: CaseHistory,
    community_id: Uuid,
    estate_id: Uuid,
    category: Category,
    case_number: String,
}

/// Open cases now, and those among them past a deadline (the rule of the case lists),
/// whenever they were filed: counted from the case records, not the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Backlog {
    /// Open now.
    pub open: u64,
    /// Open and overdue now.
    pub overdue: u64,
}

/// Figures with a label: one row of a table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// What the row is: a month (`2026-11`), a community, estate or company id, a category.
    pub key: String,
    /// Its name for people (the place's or company's name; the month or category as is).
    pub label: String,
    /// The figures.
    pub figures: Figures,
    /// The backlog now; none for a month.
    pub backlog: Option<Backlog>,
}

/// The place a report's places are: the communities of the county, or the estates of
/// anything smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// Communities (a county report).
    Community,
    /// Estates.
    Estate,
}

/// A scope's figures over a period, with the tables the dashboard draws.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The scope.
    pub scope: Scope,
    /// First instant of the period.
    pub from: DateTime<Utc>,
    /// First instant after it.
    pub to: DateTime<Utc>,
    /// A rate over fewer cases reads "样本不足".
    pub min_sample: u64,
    /// When the figures were computed (everything is as the events stood then).
    pub as_of: DateTime<Utc>,
    /// The whole period.
    pub totals: Figures,
    /// The scope's backlog now.
    pub backlog: Backlog,
    /// Month by month.
    pub by_month: Vec<Row>,
    /// What the places are.
    pub place_kind: PlaceKind,
    /// Place by place (communities for the county, else estates).
    pub by_place: Vec<Row>,
    /// Category by category.
    pub by_category: Vec<Row>,
    /// Company by company.
    pub by_company: Vec<Row>,
}

/// A case behind a figure: enough to find and open it, and nothing personal.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRef {
    /// The case.
    pub id: Uuid,
    /// Its number.
    pub case_number: String,
    /// Its estate.
    pub estate_id: Uuid,
    /// Its category.
    pub category: Category,
    /// Its state now.
    pub status: ComplaintStatus,
    /// Accept or return by.
    pub respond_by: DateTime<Utc>,
    /// Resolve by.
    pub resolve_by: DateTime<Utc>,
}

/// The oversight use cases.
#[derive(Clone)]
pub struct Oversight {
    db: DatabaseConnection,
    gate: Gate,
    clock: Arc<dyn Clock>,
    min_sample: u64,
}

/// The cases of a scope, narrowed to a category and priority.
fn in_scope(select: sea_orm::Select<cm::Entity>, scope: Scope, narrow: Narrow) -> sea_orm::Select<cm::Entity> {
    let mut select = match scope {
        Scope::County => select,
        Scope::Community(c) => select.filter(cm::Column::CommunityId.eq(c.0)),
        Scope::Estate(e) => select.filter(cm::Column::EstateId.eq(e.0)),
        Scope::Company(p) => select.filter(cm::Column::HandlingCompanyId.eq(p.0)),
        Scope::Department(d) => select.filter(cm::Column::DepartmentId.eq(d.0)),
    };
    if let Some(c) = narrow.category {
        select = select.filter(cm::Column::Category.eq(c.as_str()));
    }
    if let Some(p) = narrow.priority {
        select = select.filter(cm::Column::Priority.eq(p.as_str()));
    }
    if let Some(p) = narrow.company {
        select = select.filter(cm::Column::HandlingCompanyId.eq(p.0));
    }
    if let Some(e) = narrow.estate {
        select = select.filter(cm::Column::EstateId.eq(e.0));
    }
    select
}

/// Open now, and open and overdue now: the rule of the case lists
/// (`domain::complaint::Complaint::overdue`), as SQL.
fn open_cases(now: DateTime<Utc>, overdue_only: bool) -> Condition {
    let open: Vec<&str> = ComplaintStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
    let mut c = Condition::all().add(cm::Column::Status.is_in(open));
    if overdue_only {
        c = c.add(
            Condition::any()
                .add(
                    Condition::all()
                        .add(cm::Column::Status.eq(ComplaintStatus::Submitted.as_str()))
                        .add(cm::Column::RespondBy.lt(now)),
                )
                .add(cm::Column::ResolveBy.lt(now)),
        );
    }
    c
}

/// `status IN (…)` for the open statuses, written as in the partial index `ix_complaints_open`
/// (a test checks both against the domain).
const OPEN_STATUSES_SQL: &str =
    "\"complaints\".\"status\" IN ('submitted', 'accepted', 'returned', 'disputed', 'mediating', 'escalated')";

/// An event as oversight reads it: case, action, time, state after, detail.
type EventRow = (Uuid, String, DateTime<Utc>, String, Option<String>);
/// An open case behind the backlog: id, number, estate, category, status, deadlines.
type OpenCaseRow = (Uuid, String, Uuid, String, String, DateTime<Utc>, DateTime<Utc>);

/// One group of the backlog: which place (a community for the county, else an estate),
/// which category, which company, how many open and late.
#[derive(Debug, Clone, Copy)]
struct BacklogGroup {
    place: Uuid,
    category: Option<Category>,
    company_id: Option<Uuid>,
    backlog: Backlog,
}

/// A scope's backlog now, grouped by place, category and company (one grouped count).
async fn backlog<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    narrow: Narrow,
    now: DateTime<Utc>,
) -> Result<Vec<BacklogGroup>> {
    let place = if scope == Scope::County { cm::Column::CommunityId } else { cm::Column::EstateId };
    // One pass over the open cases: each group's count, and how many of them are late.
    use sea_orm::sea_query::ExprTrait;
    let late = sea_orm::sea_query::CaseStatement::new()
        .case(open_cases(now, true), sea_orm::sea_query::Expr::val(1))
        .finally(sea_orm::sea_query::Expr::val(0));
    let rows: Vec<(Uuid, String, Option<Uuid>, i64, i64)> = in_scope(cm::Entity::find(), scope, narrow)
        .select_only()
        .columns([place, cm::Column::Category, cm::Column::HandlingCompanyId])
        // COUNT(*), not COUNT(id): every column read is in the partial index of open cases.
        .column_as(sea_orm::sea_query::Expr::cust("COUNT(*)"), "n")
        .column_as(sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::sum(late)).cast_as("bigint"), "late")
        // The open statuses as literals, so the planner sees the partial index's own
        // predicate (a bound parameter would hide it).
        .filter(sea_orm::sea_query::Expr::cust(OPEN_STATUSES_SQL))
        .group_by(place)
        .group_by(cm::Column::Category)
        .group_by(cm::Column::HandlingCompanyId)
        .into_tuple()
        .all(conn)
        .await?;
    let mut groups: BTreeMap<(Uuid, String, Option<Uuid>), Backlog> = BTreeMap::new();
    for (place, category, company, n, late) in rows {
        let entry = groups.entry((place, category, company)).or_default();
        entry.open += u64::try_from(n).unwrap_or(0);
        entry.overdue += u64::try_from(late).unwrap_or(0);
    }
    Ok(groups
        .into_iter()
        .map(|((place, category, company_id), backlog)| BacklogGroup {
            place,
            category: category.parse().ok(),
            company_id,
            backlog,
        })
        .collect())
}

fn sum(groups: &[BacklogGroup], keep: impl Fn(&BacklogGroup) -> bool) -> Backlog {
    groups.iter().filter(|g| keep(g)).fold(Backlog::default(), |a, g| Backlog {
        open: a.open + g.backlog.open,
        overdue: a.overdue + g.backlog.overdue,
    })
}

/// Checks the period a caller asked for.
///
/// # Errors
/// [`Code::InvalidPeriod`] when it runs backwards or is longer than the longest allowed.
pub fn checked(period: Option<Period>) -> Result<Period> {
    match period {
        Some(p) if p.to - p.from <= chrono::Duration::days(domain::oversight::MAX_PERIOD_DAYS) => Ok(p),
        _ => Err(DomainError::field("to", Code::InvalidPeriod).into()),
    }
}

impl Oversight {
    /// The use cases, with the minimum sample for rates and boards.
    #[must_use]
    pub fn new(db: DatabaseConnection, gate: Gate, clock: Arc<dyn Clock>, min_sample: u64) -> Self {
        Self { db, gate, clock, min_sample }
    }

    /// The minimum sample.
    #[must_use]
    pub fn min_sample(&self) -> u64 {
        self.min_sample
    }

    /// The scopes the actor may oversee, each with its name (the county's is empty), for a
    /// page that offers them: the county first, then in the order of the actor's bindings.
    ///
    /// # Errors
    /// Database errors.
    pub async fn scopes(&self, actor: &Actor) -> Result<Vec<(Scope, String)>> {
        let mut scopes = self.gate.scopes_allowing(actor, Resource::Oversight, Action::Read);
        scopes.sort_by_key(|s| !matches!(s, Scope::County));
        let mut out = Vec::new();
        for scope in scopes {
            let name = match scope {
                Scope::County => Some(String::new()),
                Scope::Community(c) => {
                    crate::entities::community::Entity::find_by_id(c.0).one(&self.db).await?.map(|r| r.name)
                }
                Scope::Estate(e) => estate::Entity::find_by_id(e.0).one(&self.db).await?.map(|r| r.name),
                Scope::Company(p) => company::Entity::find_by_id(p.0).one(&self.db).await?.map(|r| r.name),
                Scope::Department(d) => {
                    crate::entities::department::Entity::find_by_id(d.0).one(&self.db).await?.map(|r| r.name)
                }
            };
            if let Some(name) = name {
                out.push((scope, name));
            }
        }
        Ok(out)
    }

    /// Whether the actor may publish a community's month (for showing the button).
    #[must_use]
    pub fn may_publish(&self, actor: &Actor, community: CommunityId) -> bool {
        self.gate.allows(actor, Resource::Scorecard, Action::Publish, &[Scope::Community(community), Scope::County])
    }

    /// Whether the actor may appeal this edition now, and whether they may decide appeals
    /// on it (for showing the forms; the use cases decide again).
    ///
    /// # Errors
    /// Database errors.
    pub async fn may_appeal_or_decide(&self, actor: &Actor, card: &Scorecard) -> Result<(bool, bool)> {
        let chain = self.card_chain(card.community_id, card.company_id).await?;
        let manages = actor
            .bindings
            .iter()
            .any(|b| b.role == Role::PropertyManager && b.scope == Scope::Company(card.company_id));
        let window = card.published_at.is_some_and(|at| appeal_open(at, self.clock.now()));
        let appeal =
            card.current && manages && window && self.gate.allows(actor, Resource::Scorecard, Action::Appeal, &chain);
        Ok((appeal, self.gate.allows(actor, Resource::Scorecard, Action::Decide, &chain)))
    }

    /// The names of estates (for listing cases the caller was already shown).
    ///
    /// # Errors
    /// Database errors.
    pub async fn estate_names(&self, ids: impl Iterator<Item = Uuid>) -> Result<HashMap<Uuid, String>> {
        self.place_names(PlaceKind::Estate, ids).await
    }

    /// Every community in force, by name (community names are public).
    ///
    /// # Errors
    /// Database errors.
    pub async fn community_names(&self) -> Result<Vec<(Uuid, String)>> {
        Ok(crate::entities::community::Entity::find()
            .filter(crate::entities::community::Column::EndedAt.is_null())
            .order_by_asc(crate::entities::community::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect())
    }

    /// The communities whose scorecards the actor may see, by name: every community for the
    /// county, else those of the actor's community, estate and company bindings.
    ///
    /// # Errors
    /// Database errors.
    pub async fn card_communities(&self, actor: &Actor) -> Result<Vec<(CommunityId, String)>> {
        let all = crate::entities::community::Entity::find()
            .filter(crate::entities::community::Column::EndedAt.is_null())
            .order_by_asc(crate::entities::community::Column::Name)
            .all(&self.db)
            .await?;
        // Companies and owners' committees see scorecards in the communities of their estates.
        let mut estates: Vec<Uuid> = Vec::new();
        let mut companies: Vec<Uuid> = Vec::new();
        for b in &actor.bindings {
            match (b.role, b.scope) {
                (Role::OwnersCommitteeMember | Role::PropertyManager | Role::PropertyStaff, Scope::Estate(e)) => {
                    estates.push(e.0)
                }
                (Role::PropertyManager | Role::PropertyStaff, Scope::Company(p)) => companies.push(p.0),
                _ => {}
            }
        }
        if !companies.is_empty() {
            let served: Vec<Uuid> = service_contract::Entity::find()
                .select_only()
                .column(service_contract::Column::EstateId)
                .filter(in_force::contract(self.clock.today()))
                .filter(service_contract::Column::CompanyId.is_in(companies))
                .into_tuple()
                .all(&self.db)
                .await?;
            estates.extend(served);
        }
        let through: Vec<Uuid> = if estates.is_empty() {
            Vec::new()
        } else {
            estate::Entity::find()
                .filter(estate::Column::Id.is_in(estates))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|e| e.community_id)
                .collect()
        };
        let mut out = Vec::new();
        for c in all {
            let id = CommunityId(c.id);
            let chain = [Scope::Community(id), Scope::County];
            let direct = self.gate.allows(actor, Resource::Scorecard, Action::Read, &chain)
                || self.gate.allows(actor, Resource::Scorecard, Action::ReadDraft, &chain);
            if direct || through.contains(&c.id) {
                out.push((id, c.name));
            }
        }
        Ok(out)
    }

    async fn chain(&self, scope: Scope) -> Result<Vec<Scope>> {
        Ok(match scope {
            Scope::County => vec![Scope::County],
            Scope::Estate(e) => {
                let row = estate::Entity::find_by_id(e.0)
                    .one(&self.db)
                    .await?
                    .ok_or(DomainError::NotFound { entity: "estate" })?;
                Scope::estate_chain(e, CommunityId(row.community_id))
            }
            other => vec![other, Scope::County],
        })
    }

    async fn load(&self, scope: Scope, period: Period, narrow: Narrow) -> Result<Vec<Loaded>> {
        load(&self.db, scope, period, narrow).await
    }

    async fn company_names(
        &self,
        ids: impl Iterator<Item = PropertyCompanyId>,
    ) -> Result<HashMap<PropertyCompanyId, String>> {
        company_names(&self.db, ids).await
    }

    async fn drafts(&self, community: CommunityId, month: Month, rules: &ScoringRules) -> Result<Vec<Scorecard>> {
        drafts(&self.db, community, month, rules, self.clock.now()).await
    }
}

/// The cases of `scope` that the period can touch (a superset: filed before it ends, with an
/// event or a deadline since it began), with their events.
async fn load<C: ConnectionTrait>(conn: &C, scope: Scope, period: Period, narrow: Narrow) -> Result<Vec<Loaded>> {
    {
        let mut select = cm::Entity::find()
            .select_only()
            .columns([
                cm::Column::Id,
                cm::Column::CaseNumber,
                cm::Column::CommunityId,
                cm::Column::EstateId,
                cm::Column::Category,
                cm::Column::HandlingCompanyId,
                cm::Column::RespondBy,
                cm::Column::ResolveBy,
            ])
            // A case the period can touch was filed before it ends, and had an event or a
            // deadline since it began (`last_event_at` is written with every event). The
            // domain then decides exactly which figure each case counts in.
            .filter(cm::Column::FiledAt.lt(period.to))
            .filter(
                Condition::any()
                    .add(cm::Column::LastEventAt.gte(period.from))
                    .add(cm::Column::RespondBy.gte(period.from))
                    .add(cm::Column::ResolveBy.gte(period.from)),
            );
        select = in_scope(select, scope, narrow);
        type CaseRow = (Uuid, String, Uuid, Uuid, String, Option<Uuid>, DateTime<Utc>, DateTime<Utc>);
        let rows: Vec<CaseRow> = select.into_tuple().all(conn).await?;
        let mut cases: Vec<Loaded> = Vec::with_capacity(rows.len());
        let mut index: HashMap<Uuid, usize> = HashMap::with_capacity(rows.len());
        for (id, case_number, community_id, estate_id, category, company, respond_by, resolve_by) in rows {
            index.insert(id, cases.len());
            cases.push(Loaded {
                history: CaseHistory {
                    id,
                    company_id: company.map(PropertyCompanyId),
                    respond_by,
                    resolve_by,
                    events: Vec::new(),
                },
                community_id,
                estate_id,
                category: category.parse().map_err(|_| Error::Unexpected(format!("category {category}")))?,
                case_number,
            });
        }
        let ids: Vec<Uuid> = cases.iter().map(|c| c.history.id).collect();
        for chunk in ids.chunks(5_000) {
            let events: Vec<EventRow> = event::Entity::find()
                .select_only()
                .columns([
                    event::Column::StreamId,
                    event::Column::Action,
                    event::Column::At,
                    event::Column::ToStatus,
                    event::Column::Detail,
                ])
                .filter(event::Column::Stream.eq(Stream::Complaint(Uuid::nil()).kind()))
                .filter(event::Column::StreamId.is_in(chunk.iter().copied()))
                .order_by_asc(event::Column::Id)
                .into_tuple()
                .all(conn)
                .await?;
            for (stream_id, action, at, to, detail) in events {
                let Some(&i) = index.get(&stream_id) else { continue };
                let action: ComplaintAction =
                    action.parse().map_err(|_| Error::Unexpected(format!("event action {action}")))?;
                let to: ComplaintStatus = to.parse().map_err(|_| Error::Unexpected(format!("event status {to}")))?;
                let rating =
                    detail.as_deref().and_then(|d| d.strip_prefix("rating=")).and_then(|r| r.parse::<Rating>().ok());
                cases[i].history.events.push(CaseEvent { action, at, to, rating });
            }
        }
        Ok(cases)
    }
}

impl Oversight {
    /// A scope's figures over a period, in total and by month, place, category and company,
    /// with the backlog now.
    ///
    /// # Errors
    /// Forbidden (audited) when the caller may not oversee the scope; not found for an
    /// unknown estate; database errors.
    pub async fn report(&self, actor: &Actor, scope: Scope, period: Period, narrow: Narrow) -> Result<Report> {
        let chain = self.chain(scope).await?;
        self.gate.require(actor, Resource::Oversight, Action::Read, &chain, None).await?;
        let now = self.clock.now();
        let started = std::time::Instant::now();
        let cases = self.load(scope, period, narrow).await?;
        let loaded = started.elapsed();
        let groups = backlog(&self.db, scope, narrow, now).await?;
        let counted = started.elapsed();
        let totals = Figures::compute(cases.iter().map(|c| &c.history), period, now);
        // The backlog summed by place and by company in one pass each (a county has many
        // groups: summing per row would be places × groups).
        let add = |map: &mut HashMap<Uuid, Backlog>, key: Uuid, b: Backlog| {
            let e = map.entry(key).or_default();
            e.open += b.open;
            e.overdue += b.overdue;
        };
        let mut backlog_by_place: HashMap<Uuid, Backlog> = HashMap::new();
        let mut backlog_by_company: HashMap<Uuid, Backlog> = HashMap::new();
        for g in &groups {
            add(&mut backlog_by_place, g.place, g.backlog);
            if let Some(p) = g.company_id {
                add(&mut backlog_by_company, p, g.backlog);
            }
        }
        let by_month = period
            .months()
            .into_iter()
            .filter_map(|m| {
                let p = Period::month(m)?;
                let p = Period { from: p.from.max(period.from), to: p.to.min(period.to) };
                Some(Row {
                    key: m.to_string(),
                    label: m.to_string(),
                    figures: Figures::compute(cases.iter().map(|c| &c.history), p, now),
                    backlog: None,
                })
            })
            .collect();
        // Each grouping partitions the cases once, then computes each part.
        let partition = |key: &dyn Fn(&Loaded) -> Option<Uuid>| -> HashMap<Uuid, Vec<&CaseHistory>> {
            let mut parts: HashMap<Uuid, Vec<&CaseHistory>> = HashMap::new();
            for c in &cases {
                if let Some(k) = key(c) {
                    parts.entry(k).or_default().push(&c.history);
                }
            }
            parts
        };
        let place_kind = if scope == Scope::County { PlaceKind::Community } else { PlaceKind::Estate };
        let place_of_case =
            |c: &Loaded| Some(if place_kind == PlaceKind::Community { c.community_id } else { c.estate_id });
        let place_of_group = |g: &BacklogGroup| g.place;
        let mut places = partition(&place_of_case);
        for g in &groups {
            places.entry(place_of_group(g)).or_default();
        }
        let names = self.place_names(place_kind, places.keys().copied()).await?;
        let mut by_place: Vec<Row> = places
            .into_iter()
            .map(|(id, histories)| Row {
                key: id.to_string(),
                label: names.get(&id).cloned().unwrap_or_default(),
                figures: Figures::compute(histories, period, now),
                backlog: Some(backlog_by_place.get(&id).copied().unwrap_or_default()),
            })
            .collect();
        by_place.sort_by(|a, b| a.label.cmp(&b.label).then(a.key.cmp(&b.key)));
        let mut by_category: Vec<Row> = Vec::new();
        for &k in Category::ALL {
            let histories: Vec<&CaseHistory> = cases.iter().filter(|c| c.category == k).map(|c| &c.history).collect();
            let backlog = sum(&groups, |g| g.category == Some(k));
            if histories.is_empty() && backlog == Backlog::default() {
                continue;
            }
            by_category.push(Row {
                key: k.as_str().to_owned(),
                label: k.as_str().to_owned(),
                figures: Figures::compute(histories, period, now),
                backlog: Some(backlog),
            });
        }
        let mut companies = partition(&|c: &Loaded| c.history.company_id.map(|p| p.0));
        for g in &groups {
            if let Some(p) = g.company_id {
                companies.entry(p).or_default();
            }
        }
        let company_names = self.company_names(companies.keys().map(|id| PropertyCompanyId(*id))).await?;
        let mut by_company: Vec<Row> = companies
            .into_iter()
            .map(|(id, histories)| Row {
                key: id.to_string(),
                label: company_names.get(&PropertyCompanyId(id)).cloned().unwrap_or_default(),
                figures: Figures::compute(histories, period, now),
                backlog: Some(backlog_by_company.get(&id).copied().unwrap_or_default()),
            })
            .collect();
        by_company.sort_by(|a, b| a.label.cmp(&b.label).then(a.key.cmp(&b.key)));
        tracing::debug!(
            target: "oversight",
            %scope,
            cases = cases.len(),
            load_ms = loaded.as_millis(),
            backlog_ms = (counted - loaded).as_millis(),
            compute_ms = (started.elapsed() - counted).as_millis(),
            "report"
        );
        Ok(Report {
            scope,
            from: period.from,
            to: period.to,
            min_sample: self.min_sample,
            as_of: now,
            totals,
            backlog: sum(&groups, |_| true),
            by_month,
            place_kind,
            by_place,
            by_category,
            by_company,
        })
    }

    async fn place_names(&self, kind: PlaceKind, ids: impl Iterator<Item = Uuid>) -> Result<HashMap<Uuid, String>> {
        let ids: std::collections::BTreeSet<Uuid> = ids.collect();
        let mut out = HashMap::new();
        for chunk in ids.into_iter().collect::<Vec<_>>().chunks(5_000) {
            let rows: Vec<(Uuid, String)> = match kind {
                PlaceKind::Community => {
                    crate::entities::community::Entity::find()
                        .select_only()
                        .columns([crate::entities::community::Column::Id, crate::entities::community::Column::Name])
                        .filter(crate::entities::community::Column::Id.is_in(chunk.iter().copied()))
                        .into_tuple()
                        .all(&self.db)
                        .await?
                }
                PlaceKind::Estate => {
                    estate::Entity::find()
                        .select_only()
                        .columns([estate::Column::Id, estate::Column::Name])
                        .filter(estate::Column::Id.is_in(chunk.iter().copied()))
                        .into_tuple()
                        .all(&self.db)
                        .await?
                }
            };
            out.extend(rows);
        }
        Ok(out)
    }

    /// The cases behind a figure of a scope's period, oldest first (at most `limit`). The
    /// backlog's cases (open, overdue) are read from the case records, whenever filed.
    ///
    /// # Errors
    /// As [`Oversight::report`].
    pub async fn cases(
        &self,
        actor: &Actor,
        scope: Scope,
        period: Period,
        narrow: Narrow,
        figure: Figure,
        limit: usize,
    ) -> Result<Vec<CaseRef>> {
        let chain = self.chain(scope).await?;
        self.gate.require(actor, Resource::Oversight, Action::Read, &chain, None).await?;
        let now = self.clock.now();
        if matches!(figure, Figure::OpenNow | Figure::OverdueNow) {
            let rows: Vec<OpenCaseRow> = in_scope(cm::Entity::find(), scope, narrow)
                .select_only()
                .columns([
                    cm::Column::Id,
                    cm::Column::CaseNumber,
                    cm::Column::EstateId,
                    cm::Column::Category,
                    cm::Column::Status,
                    cm::Column::RespondBy,
                    cm::Column::ResolveBy,
                ])
                .filter(open_cases(now, figure == Figure::OverdueNow))
                .order_by_asc(cm::Column::Id)
                .limit(u64::try_from(limit).unwrap_or(u64::MAX))
                .into_tuple()
                .all(&self.db)
                .await?;
            return rows
                .into_iter()
                .map(|(id, case_number, estate_id, category, status, respond_by, resolve_by)| {
                    Ok(CaseRef {
                        id,
                        case_number,
                        estate_id,
                        category: category.parse().map_err(|_| Error::Unexpected(format!("category {category}")))?,
                        status: status.parse().map_err(|_| Error::Unexpected(format!("status {status}")))?,
                        respond_by,
                        resolve_by,
                    })
                })
                .collect();
        }
        let cases = self.load(scope, period, narrow).await?;
        let behind = Figures::cases_behind(figure, cases.iter().map(|c| &c.history), period, now);
        let by_id: HashMap<Uuid, &Loaded> = cases.iter().map(|c| (c.history.id, c)).collect();
        let mut out: Vec<CaseRef> = behind
            .iter()
            .filter_map(|id| by_id.get(id))
            .map(|c| CaseRef {
                id: c.history.id,
                case_number: c.case_number.clone(),
                estate_id: c.estate_id,
                category: c.category,
                status: c.history.status().unwrap_or(ComplaintStatus::Submitted),
                respond_by: c.history.respond_by,
                resolve_by: c.history.resolve_by,
            })
            .collect();
        out.sort_by_key(|c| c.id);
        out.truncate(limit);
        Ok(out)
    }
}

async fn company_names<C: ConnectionTrait>(
    conn: &C,
    ids: impl Iterator<Item = PropertyCompanyId>,
) -> Result<HashMap<PropertyCompanyId, String>> {
    let ids: std::collections::BTreeSet<Uuid> = ids.map(|c| c.0).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(company::Entity::find()
        .filter(company::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (PropertyCompanyId(c.id), c.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use domain::complaint::ComplaintStatus;

    /// The partial index `ix_complaints_open` (migration m20261201_000006) names the open
    /// statuses in SQL; it must name exactly the domain's.
    #[test]
    fn the_open_cases_index_names_the_open_statuses() {
        let open: Vec<&str> = ComplaintStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
        assert_eq!(open, ["submitted", "accepted", "returned", "disputed", "mediating", "escalated"]);
        let migration = include_str!("../../../migrations/src/m20261201_000006_oversight.rs");
        let listed = open.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
        assert!(migration.contains(&format!("WHERE status IN ({listed})")), "the index lists {listed}");
        assert!(super::OPEN_STATUSES_SQL.ends_with(&format!("IN ({listed})")), "the backlog query lists {listed}");
    }
}
