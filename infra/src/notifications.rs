//! Notifications (通知): [`notify`] writes them inside the transaction of the event that gives
//! people work (an outbox: the event and its notices commit together or not at all); the use
//! cases read a person's own inbox, count what is unread, and mark notices read.

use crate::actor::Actor;
use crate::authz::Bindings;
use crate::entities::{notification as nt, post};
use crate::error::Result;
use crate::in_force;
use crate::paging::{self, Page, PageRequest};
use crate::timeline::Stream;
use chrono::{DateTime, Utc};
use domain::authz::{Action, Resource, Scope};
use domain::clock::{local_date, Clock};
use domain::notification::{NoticeKind, Recipient};
use domain::registry::OrgKind;
use domain::DomainError;
use sea_orm::sea_query::Expr;
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
    write_notices(conn, Some(actor.person_id.0), notice, now).await
}

/// Writes a notice for everyone `notice.to` names but `except` (the actor; none for the system).
async fn write_notices<C: ConnectionTrait>(
    conn: &C,
    except: Option<Uuid>,
    notice: Notice<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    let today = local_date(now);
    let mut people: BTreeSet<Uuid> = BTreeSet::new();
    let mut holders = Condition::any();
    let mut any_org = false;
    for r in &notice.to {
        match *r {
            Recipient::Person(p) => {
                people.insert(p);
            }
            Recipient::Organization(kind, id) => {
                any_org = true;
                holders = holders
                    .add(Condition::all().add(post::Column::OrgKind.eq(kind.as_str())).add(post::Column::OrgId.eq(id)));
            }
            Recipient::EstateCommittee(estate) => {
                any_org = true;
                holders = holders.add(
                    Condition::all()
                        .add(post::Column::OrgKind.eq(OrgKind::OwnersCommittee.as_str()))
                        .add(post::Column::EstateId.eq(estate)),
                );
            }
        }
    }
    if any_org {
        let ids: Vec<Uuid> = post::Entity::find()
            .select_only()
            .column(post::Column::PersonId)
            .filter(holders)
            .filter(in_force::post(today))
            .into_tuple()
            .all(conn)
            .await?;
        people.extend(ids);
    }
    if let Some(me) = except {
        people.remove(&me);
    }
    if people.is_empty() {
        return Ok(());
    }
    let text = notice.kind.text(notice.label);
    let rows = people.into_iter().map(|person| nt::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person),
        kind: Set(notice.kind.as_str().to_owned()),
        stream: Set(notice.stream.kind().to_owned()),
        record_id: Set(notice.stream.id()),
        text: Set(text.clone()),
        link: Set(notice.link.clone()),
        created_at: Set(now),
        read_at: Set(None),
    });
    nt::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
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
}

impl Notifications {
    /// The use cases.
    #[must_use]
    pub fn new(db: DatabaseConnection, gate: crate::authz::Gate, clock: Arc<dyn Clock>) -> Self {
        Self { db, gate, clock }
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

    /// Marks one of the caller's notices read (again is harmless) and returns it.
    ///
    /// # Errors
    /// Not found (also another person's notice), forbidden, database errors.
    pub async fn mark_read(&self, actor: &Actor, id: Uuid) -> Result<NoticeView> {
        let decision =
            self.gate.require(actor, Resource::Notification, Action::Update, &[Scope::County], Some(id)).await?;
        let write = self.gate.write(actor, decision, id, Bindings::Same).await?;
        let txn = write.conn();
        let row = nt::Entity::find_by_id(id)
            .filter(Self::mine(actor))
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound { entity: "notification" })?;
        if row.read_at.is_some() {
            return Ok(view(row));
        }
        let now = self.clock.now();
        nt::Entity::update_many()
            .col_expr(nt::Column::ReadAt, Expr::value(Some(now)))
            .filter(nt::Column::Id.eq(id))
            .exec(txn)
            .await?;
        // Read back as stored (PostgreSQL keeps microseconds), so a second read says the same.
        let row = nt::Entity::find_by_id(id).one(txn).await?.ok_or(DomainError::NotFound { entity: "notification" })?;
        write.commit().await?;
        Ok(view(row))
    }

    /// Marks every unread notice of the caller read; how many.
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn mark_all_read(&self, actor: &Actor) -> Result<u64> {
        let decision = self.gate.require(actor, Resource::Notification, Action::Update, &[Scope::County], None).await?;
        let write = self.gate.write(actor, decision, actor.person_id.0, Bindings::Same).await?;
        let done = nt::Entity::update_many()
            .col_expr(nt::Column::ReadAt, Expr::value(Some(self.clock.now())))
            .filter(Self::mine(actor))
            .filter(nt::Column::ReadAt.is_null())
            .exec(write.conn())
            .await?;
        write.commit().await?;
        Ok(done.rows_affected)
    }
}

/// How far back a passed deadline is still reminded of (a service down for a while catches up;
/// an old backlog is not scanned on every run).
const CATCH_UP_DAYS: i64 = 7;

impl Notifications {
    /// Sends the deadline reminders due now: before and when a case's respond-by passes while
    /// it waits to be accepted, and before and when its resolve-by passes while it is open, to
    /// whoever's turn it is. Each goes out once per case, reminder and deadline: the reminder's
    /// row and its notices commit together, and a replica racing to send the same one finds the
    /// row there and sends nothing. Returns how many reminders went out.
    ///
    /// # Errors
    /// Database errors (what was sent stays sent; the rest goes on the next run).
    pub async fn send_reminders(&self) -> Result<usize> {
        use crate::entities::{complaint as cm, reminder as rm};
        use domain::notification::handling_party;
        let now = self.clock.now();
        let soon = now + chrono::Duration::hours(domain::notification::RESOLVE_REMINDER_HOURS);
        let since = now - chrono::Duration::days(CATCH_UP_DAYS);
        let open: Vec<&str> =
            domain::complaint::ComplaintStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
        let window = |col: cm::Column| Condition::all().add(col.gte(since)).add(col.lte(soon));
        let candidates = cm::Entity::find()
            .filter(cm::Column::Status.is_in(open))
            .filter(Condition::any().add(window(cm::Column::RespondBy)).add(window(cm::Column::ResolveBy)))
            .limit(2000)
            .all(&self.db)
            .await?;
        let sent: BTreeSet<(Uuid, String, DateTime<Utc>)> = if candidates.is_empty() {
            BTreeSet::new()
        } else {
            rm::Entity::find()
                .filter(rm::Column::ComplaintId.is_in(candidates.iter().map(|c| c.id).collect::<Vec<_>>()))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|r| (r.complaint_id, r.kind, r.deadline))
                .collect()
        };
        let mut count = 0;
        for c in candidates {
            let Ok(status) = c.status.parse::<domain::complaint::ComplaintStatus>() else { continue };
            for kind in NoticeKind::REMINDERS {
                let Some(deadline) = kind.reminder_due(status, c.respond_by, c.resolve_by, now) else { continue };
                if deadline < since || sent.contains(&(c.id, kind.as_str().to_owned(), deadline)) {
                    continue;
                }
                let txn = crate::db::begin_write(&self.db).await?;
                let inserted = rm::Entity::insert(rm::ActiveModel {
                    complaint_id: Set(c.id),
                    kind: Set(kind.as_str().to_owned()),
                    deadline: Set(deadline),
                    sent_at: Set(now),
                })
                .on_conflict(
                    sea_orm::sea_query::OnConflict::columns([
                        rm::Column::ComplaintId,
                        rm::Column::Kind,
                        rm::Column::Deadline,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
                if inserted != 1 {
                    txn.rollback().await?;
                    continue;
                }
                let label = format!("{} {}", c.case_number, c.title);
                let to = handling_party(status, c.community_id, c.handling_company_id, c.department_id);
                let notice = Notice {
                    kind,
                    stream: Stream::Complaint(c.id),
                    label: &label,
                    link: format!("/complaints/{}", c.id),
                    to,
                };
                write_notices(&txn, None, notice, now).await?;
                txn.commit().await?;
                count += 1;
            }
        }
        Ok(count)
    }
}
