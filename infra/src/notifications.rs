//! Notifications (通知): [`notify`] writes them inside the transaction of the event that gives
//! people work (an outbox: the event and its notices commit together or not at all); the use
//! cases read a person's own inbox, count what is unread, and mark notices read.

use crate::actor::Actor;
use crate::entities::{notification as nt, owners_committee, post};
use crate::error::Result;
use crate::in_force;
use crate::paging::{self, Page, PageRequest};
use crate::timeline::Stream;
use chrono::{DateTime, Utc};
use domain::authz::{Action, Resource, Scope};
use domain::clock::{local_date, Clock};
use domain::notification::{NoticeKind, Recipient, ReminderLeads};
use domain::registry::OrgKind;
use domain::DomainError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

/// A notice as its recipient sees it.
#[derive(Debug, Clone)]
pub struct NoticeView {
    pub id: Uuid,
    pub kind: NoticeKind,
    pub text: String,
    /// The record's page in the portal.
    pub link: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// One event's notices: what happened, to which record, and who is told.
pub(crate) struct Notice<'a> {
    pub kind: NoticeKind,
    pub stream: Stream,
    /// What the record is called (a case number and title, a meeting's title).
    pub label: &'a str,
    /// The record's page in the portal.
    pub link: String,
    pub to: Vec<Recipient>,
}

/// Writes a notice for everyone `notice.to` names but the actor, in the caller's transaction.
///
/// # Errors
/// Database errors (the caller's transaction then rolls back with the event).
pub(crate) async fn notify<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    notice: Notice<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    write_notices(conn, vec![Sent { except: Some(actor.person_id.0), notice, at: now }]).await
}

/// The notices of several events written together (filings committed in one transaction), each
/// to everyone it names but its own actor: the same rows [`notify`] writes for each, in a
/// handful of statements for all of them.
///
/// # Errors
/// Database errors (the caller's transaction then rolls back with the events).
pub(crate) async fn notify_each<'a, C: ConnectionTrait>(
    conn: &C,
    notices: impl IntoIterator<Item = (&'a Actor, Notice<'a>, DateTime<Utc>)>,
) -> Result<()> {
    let sent = notices.into_iter().map(|(actor, notice, at)| Sent { except: Some(actor.person_id.0), notice, at });
    write_notices(conn, sent.collect()).await
}

/// One event's notice and whom it skips (its actor; none for the system).
struct Sent<'a> {
    except: Option<Uuid>,
    notice: Notice<'a>,
    at: DateTime<Utc>,
}

/// Posts that count today: an owners' committee's only while its term runs (a former
/// committee's members no longer see its estate's cases), any other organization's as they are.
fn committee_in_force(today: chrono::NaiveDate) -> Condition {
    let current_committees = sea_orm::sea_query::Query::select()
        .column(owners_committee::Column::Id)
        .from(owners_committee::Entity)
        .cond_where(in_force::committee(today))
        .to_owned();
    Condition::any()
        .add(post::Column::OrgKind.ne(OrgKind::OwnersCommittee.as_str()))
        .add(post::Column::OrgId.in_subquery(current_committees))
}

/// A post that makes its holder a recipient: whose, and of which organization (or, for an
/// owners' committee, of which estate's).
#[derive(Debug, Clone, Copy)]
struct Holder {
    person: Uuid,
    kind: OrgKind,
    org: Uuid,
    estate: Option<Uuid>,
}

impl Holder {
    fn receives(&self, r: &Recipient) -> bool {
        match *r {
            Recipient::Person(_) => false,
            Recipient::Organization(kind, id) => self.kind == kind && self.org == id,
            Recipient::EstateCommittee(estate) => self.kind == OrgKind::OwnersCommittee && self.estate == Some(estate),
        }
    }
}

/// Writes each notice for everyone it names but its `except`: who holds the organizations named
/// (posts in force on the notice's day), each organization's channels (the outbox the delivery
/// worker reads), and the inbox rows, in the same few statements however many notices there are.
async fn write_notices<C: ConnectionTrait>(conn: &C, sent: Vec<Sent<'_>>) -> Result<()> {
    // The days the notices fall on: almost always one; a batch across midnight has two.
    let days: BTreeSet<chrono::NaiveDate> = sent.iter().map(|s| local_date(s.at)).collect();
    let mut holders_on: Vec<(chrono::NaiveDate, Vec<Holder>)> = Vec::new();
    let mut committees_on: Vec<(chrono::NaiveDate, Vec<(Uuid, Uuid)>)> = Vec::new();
    for day in days {
        let mut holders = Condition::any();
        let mut any_org = false;
        let mut estates: BTreeSet<Uuid> = BTreeSet::new();
        // Each recipient once, however many of the notices name it.
        let named: std::collections::HashSet<Recipient> =
            sent.iter().filter(|s| local_date(s.at) == day).flat_map(|s| s.notice.to.iter().copied()).collect();
        for r in named {
            match r {
                Recipient::Person(_) => {}
                Recipient::Organization(kind, id) => {
                    any_org = true;
                    holders = holders.add(
                        Condition::all().add(post::Column::OrgKind.eq(kind.as_str())).add(post::Column::OrgId.eq(id)),
                    );
                }
                Recipient::EstateCommittee(estate) => {
                    any_org = true;
                    estates.insert(estate);
                    holders = holders.add(
                        Condition::all()
                            .add(post::Column::OrgKind.eq(OrgKind::OwnersCommittee.as_str()))
                            .add(post::Column::EstateId.eq(estate)),
                    );
                }
            }
        }
        if any_org {
            let rows: Vec<(Uuid, String, Uuid, Option<Uuid>)> = post::Entity::find()
                .select_only()
                .columns([post::Column::PersonId, post::Column::OrgKind, post::Column::OrgId, post::Column::EstateId])
                .filter(holders)
                .filter(committee_in_force(day))
                .filter(in_force::post(day))
                .into_tuple()
                .all(conn)
                .await?;
            let holders = rows
                .into_iter()
                .filter_map(|(person, kind, org, estate)| {
                    Some(Holder { person, kind: kind.parse().ok()?, org, estate })
                })
                .collect();
            holders_on.push((day, holders));
        }
        if !estates.is_empty() {
            // An estate's owners' committee is told through its own channels while its term runs.
            let committees: Vec<(Uuid, Uuid)> = owners_committee::Entity::find()
                .select_only()
                .columns([owners_committee::Column::Id, owners_committee::Column::EstateId])
                .filter(owners_committee::Column::EstateId.is_in(estates))
                .filter(in_force::committee(day))
                .into_tuple()
                .all(conn)
                .await?;
            committees_on.push((day, committees));
        }
    }
    let mut rows = Vec::new();
    let mut outbox = Vec::new();
    for s in &sent {
        let day = local_date(s.at);
        let holders = holders_on.iter().find(|(d, _)| *d == day).map_or(&[][..], |(_, h)| h.as_slice());
        let committees = committees_on.iter().find(|(d, _)| *d == day).map_or(&[][..], |(_, c)| c.as_slice());
        let mut people: BTreeSet<Uuid> = BTreeSet::new();
        // The organizations' work-chat groups and webhooks get the same message, in the same
        // transaction.
        let mut orgs: Vec<domain::meeting::OrgRef> = Vec::new();
        for r in &s.notice.to {
            match *r {
                Recipient::Person(p) => {
                    people.insert(p);
                }
                Recipient::Organization(kind, id) => orgs.push(domain::meeting::OrgRef { kind, id }),
                Recipient::EstateCommittee(estate) => orgs.extend(
                    committees
                        .iter()
                        .filter(|(_, e)| *e == estate)
                        .map(|(id, _)| domain::meeting::OrgRef { kind: OrgKind::OwnersCommittee, id: *id }),
                ),
            }
            people.extend(holders.iter().filter(|h| h.receives(r)).map(|h| h.person));
        }
        if let Some(me) = s.except {
            people.remove(&me);
        }
        let text = s.notice.kind.text(s.notice.label);
        rows.extend(people.into_iter().map(|person| nt::ActiveModel {
            id: Set(Uuid::now_v7()),
            person_id: Set(person),
            kind: Set(s.notice.kind.as_str().to_owned()),
            stream: Set(s.notice.stream.kind().to_owned()),
            record_id: Set(s.notice.stream.id()),
            text: Set(text.clone()),
            link: Set(s.notice.link.clone()),
            created_at: Set(s.at),
            read_at: Set(None),
        }));
        outbox.push(crate::delivery::Outgoing {
            orgs,
            kind: s.notice.kind,
            text,
            link: s.notice.link.clone(),
            at: s.at,
        });
    }
    crate::delivery::enqueue(conn, outbox).await?;
    crate::db::insert_all(conn, rows).await?;
    Ok(())
}

/// Tells the leaders of `org` (those holding a leader's post in force) in their inboxes only,
/// inside the caller's transaction: for what concerns the organization's own set-up, such as a
/// channel the robot refused.
///
/// # Errors
/// Database errors.
pub(crate) async fn tell_leaders<C: ConnectionTrait>(
    conn: &C,
    org: domain::meeting::OrgRef,
    notice_kind: NoticeKind,
    stream: Stream,
    label: &str,
    link: String,
    now: DateTime<Utc>,
) -> Result<()> {
    let leaders: Vec<&str> =
        domain::registry::PostTitle::ALL.iter().filter(|t| t.is_leader()).map(|t| t.as_str()).collect();
    let people: Vec<Uuid> = post::Entity::find()
        .select_only()
        .column(post::Column::PersonId)
        .filter(post::Column::OrgKind.eq(org.kind.as_str()))
        .filter(post::Column::OrgId.eq(org.id))
        .filter(post::Column::Title.is_in(leaders))
        .filter(in_force::post(local_date(now)))
        .filter(committee_in_force(local_date(now)))
        .into_tuple()
        .all(conn)
        .await?;
    let to = people.into_iter().map(Recipient::Person).collect();
    write_notices(
        conn,
        vec![Sent { except: None, notice: Notice { kind: notice_kind, stream, label, link, to }, at: now }],
    )
    .await
}

fn view(m: nt::Model) -> NoticeView {
    NoticeView {
        kind: m.kind.parse().unwrap_or(NoticeKind::CaseFiled),
        id: m.id,
        text: m.text,
        link: m.link,
        created_at: m.created_at,
        read_at: m.read_at,
    }
}

/// The inbox use cases: only ever the caller's own notices.
#[derive(Clone)]
pub struct Notifications {
    db: DatabaseConnection,
    gate: crate::authz::Gate,
    clock: Arc<dyn Clock>,
    leads: ReminderLeads,
}

impl Notifications {
    /// The use cases.
    #[must_use]
    pub fn new(db: DatabaseConnection, gate: crate::authz::Gate, clock: Arc<dyn Clock>, leads: ReminderLeads) -> Self {
        Self { db, gate, clock, leads }
    }

    fn mine(actor: &Actor) -> Condition {
        Condition::all().add(nt::Column::PersonId.eq(actor.person_id.0))
    }

    /// The caller's notices, newest first (`unread` for the unread only).
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn list(&self, actor: &Actor, unread: bool, page: PageRequest) -> Result<Page<NoticeView>> {
        self.gate.require(actor, Resource::Notification, Action::Read, &[Scope::County], None).await?;
        let mut select = nt::Entity::find().filter(Self::mine(actor));
        if unread {
            select = select.filter(nt::Column::ReadAt.is_null());
        }
        let rows = paging::fetch(&self.db, select, nt::Column::Id, |m| m.id, page, true).await?;
        Ok(rows.map(view))
    }

    /// How many of the caller's notices are unread (for the portal's header: not audited).
    ///
    /// # Errors
    /// Database errors.
    pub async fn unread(&self, actor: &Actor) -> Result<u64> {
        if !self.gate.allows(actor, Resource::Notification, Action::Read, &[Scope::County]) {
            return Ok(0);
        }
        Ok(nt::Entity::find().filter(Self::mine(actor)).filter(nt::Column::ReadAt.is_null()).count(&self.db).await?)
    }

    /// Marks one of the caller's notices read (again is harmless) and returns it. Reading one's
    /// own notices is not audited: the decision is logged, the row says when.
    ///
    /// # Errors
    /// Not found (also another person's notice), forbidden, database errors.
    pub async fn mark_read(&self, actor: &Actor, id: Uuid) -> Result<NoticeView> {
        self.gate.require(actor, Resource::Notification, Action::Update, &[Scope::County], Some(id)).await?;
        nt::Entity::update_many()
            .col_expr(nt::Column::ReadAt, Expr::value(Some(self.clock.now())))
            .filter(Self::mine(actor))
            .filter(nt::Column::Id.eq(id))
            .filter(nt::Column::ReadAt.is_null())
            .exec(&self.db)
            .await?;
        let row = nt::Entity::find_by_id(id)
            .filter(Self::mine(actor))
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound { entity: "notification" })?;
        Ok(view(row))
    }

    /// Marks every unread notice of the caller read; how many.
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn mark_all_read(&self, actor: &Actor) -> Result<u64> {
        self.gate.require(actor, Resource::Notification, Action::Update, &[Scope::County], None).await?;
        let done = nt::Entity::update_many()
            .col_expr(nt::Column::ReadAt, Expr::value(Some(self.clock.now())))
            .filter(Self::mine(actor))
            .filter(nt::Column::ReadAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected)
    }
}

/// How far back a passed deadline is still reminded of (a service down for a while catches up;
/// an old backlog is not scanned on every run).
const CATCH_UP_DAYS: i64 = 7;

/// How many cases one query of the reminder job reads.
const REMINDER_BATCH: u64 = 500;

impl Notifications {
    /// Sends the deadline reminders due now: before and when a case's respond-by passes while
    /// it waits to be accepted, and before and when its resolve-by passes while it is open, to
    /// whoever's turn it is. Each goes out once per case, reminder and deadline: the case is
    /// locked and read again, the reminder's row and its notices commit together, and a replica
    /// racing to send the same one finds the row there and sends nothing. Cases are read per
    /// reminder, those already reminded left out, earliest deadline first, in batches until
    /// none is left. Returns how many reminders went out.
    ///
    /// # Errors
    /// Database errors (what was sent stays sent; the rest goes on the next run).
    pub async fn send_reminders(&self) -> Result<usize> {
        let mut count = 0;
        for kind in NoticeKind::REMINDERS {
            let mut skipped: BTreeSet<Uuid> = BTreeSet::new();
            loop {
                let batch = self.reminder_candidates(kind, &skipped).await?;
                let full = batch.len() as u64 == REMINDER_BATCH;
                for id in batch {
                    if self.send_reminder(kind, id).await? {
                        count += 1;
                    } else {
                        // Not due after all, or nobody to tell: not read again in this run.
                        skipped.insert(id);
                    }
                }
                if !full {
                    break;
                }
            }
        }
        Ok(count)
    }

    /// Cases that may be due `kind` and have not had it for their current deadline.
    async fn reminder_candidates(&self, kind: NoticeKind, skipped: &BTreeSet<Uuid>) -> Result<Vec<Uuid>> {
        use crate::entities::{complaint as cm, reminder as rm};
        use domain::complaint::ComplaintStatus;
        use sea_orm::QueryOrder;
        let now = self.clock.now();
        let since = now - chrono::Duration::days(CATCH_UP_DAYS);
        let (column, statuses, from, to): (cm::Column, Vec<&str>, DateTime<Utc>, DateTime<Utc>) = match kind {
            NoticeKind::RespondDueSoon => {
                (cm::Column::RespondBy, vec![ComplaintStatus::Submitted.as_str()], now, now + self.leads.respond)
            }
            NoticeKind::RespondOverdue => {
                (cm::Column::RespondBy, vec![ComplaintStatus::Submitted.as_str()], since, now)
            }
            NoticeKind::ResolveDueSoon => (
                cm::Column::ResolveBy,
                ComplaintStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect(),
                now,
                now + self.leads.resolve,
            ),
            NoticeKind::ResolveOverdue => (
                cm::Column::ResolveBy,
                ComplaintStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect(),
                since,
                now,
            ),
            NoticeKind::CaseFiled
            | NoticeKind::CaseReassigned
            | NoticeKind::CaseReturned
            | NoticeKind::CaseResolved
            | NoticeKind::CaseDisputed
            | NoticeKind::CaseEscalated
            | NoticeKind::CaseRedo
            | NoticeKind::AppointmentProposed
            | NoticeKind::TaskAssigned
            | NoticeKind::MeetingInvited
            | NoticeKind::ChannelDisabled => return Ok(Vec::new()),
        };
        let already = sea_orm::sea_query::Query::select()
            .expr(Expr::val(1))
            .from(rm::Entity)
            .and_where(Expr::col((rm::Entity, rm::Column::ComplaintId)).equals((cm::Entity, cm::Column::Id)))
            .and_where(Expr::col((rm::Entity, rm::Column::Kind)).eq(kind.as_str()))
            .and_where(Expr::col((rm::Entity, rm::Column::Deadline)).equals((cm::Entity, column)))
            .to_owned();
        let mut select = cm::Entity::find()
            .select_only()
            .column(cm::Column::Id)
            .filter(cm::Column::Status.is_in(statuses))
            .filter(column.gte(from))
            .filter(column.lte(to))
            .filter(Condition::all().add(Expr::exists(already)).not());
        if !skipped.is_empty() {
            select = select.filter(cm::Column::Id.is_not_in(skipped.iter().copied()));
        }
        Ok(select.order_by_asc(column).limit(REMINDER_BATCH).into_tuple().all(&self.db).await?)
    }

    /// Sends `kind` for one case if it is still due, as the case stands under its lock; whether
    /// it went out.
    async fn send_reminder(&self, kind: NoticeKind, id: Uuid) -> Result<bool> {
        use crate::entities::{complaint as cm, reminder as rm, service_contract};
        use domain::notification::handling_party;
        let now = self.clock.now();
        let txn = crate::db::begin_write(&self.db).await?;
        let Some(c) = cm::Entity::find_by_id(id).lock_exclusive().one(&txn).await? else {
            txn.rollback().await?;
            return Ok(false);
        };
        let Ok(status) = c.status.parse::<domain::complaint::ComplaintStatus>() else {
            txn.rollback().await?;
            return Ok(false);
        };
        let Some(deadline) = kind.reminder_due(self.leads, status, c.filed_at, c.respond_by, c.resolve_by, now) else {
            txn.rollback().await?;
            return Ok(false);
        };
        // The company counts while it serves the estate under a contract in force.
        let serving = match c.handling_company_id {
            Some(company) => service_contract::Entity::find()
                .filter(service_contract::Column::EstateId.eq(c.estate_id))
                .filter(service_contract::Column::CompanyId.eq(company))
                .filter(in_force::contract(local_date(now)))
                .one(&txn)
                .await?
                .map(|_| company),
            None => None,
        };
        let to = handling_party(status, c.community_id, serving, c.department_id);
        if to.is_empty() {
            txn.rollback().await?;
            return Ok(false);
        }
        let inserted = rm::Entity::insert(rm::ActiveModel {
            complaint_id: Set(c.id),
            kind: Set(kind.as_str().to_owned()),
            deadline: Set(deadline),
            sent_at: Set(now),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([rm::Column::ComplaintId, rm::Column::Kind, rm::Column::Deadline])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if inserted != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        let notice = Notice {
            kind,
            stream: Stream::Complaint(c.id),
            label: &c.case_number,
            link: format!("/complaints/{}", c.id),
            to,
        };
        write_notices(&txn, vec![Sent { except: None, notice, at: now }]).await?;
        txn.commit().await?;
        Ok(true)
    }
}
