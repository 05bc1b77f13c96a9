//! Tasks (任务) that meetings' resolutions assign: listed on every party's desk, reported done
//! by the assigned organization, verified or sent back by the party branch, on their
//! complaint's timeline when they have one, and tallied for oversight.

use super::views::{community_names, org_names, person_names};
use super::{holds, org_ref, Meetings};
use crate::actor::Actor;
use crate::authz::{Bindings, Gate};
use crate::entities::{complaint, event, meeting as mt, meeting_invitee as mi, meeting_task as tk, owners_committee};
use crate::error::{Error, Result};
use crate::export::{Cell, Table};
use crate::notifications::{notify, Notice};
use crate::paging::{self, Page, PageRequest};
use crate::timeline::{self, NewEvent, Stream};
use chrono::{DateTime, NaiveDate, Utc};
use domain::authz::{Action, Resource, Scope};
use domain::meeting::{OrgRef, Task, TaskAction, TaskFacts, TaskStatus, TaskTally};
use domain::notification::{NoticeKind, Recipient};
use domain::registry::OrgKind;
use domain::{Code, DomainError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// A task as the caller sees it.
#[derive(Debug, Clone)]
pub struct TaskView {
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub meeting_title: String,
    pub community_id: Uuid,
    pub community_name: String,
    pub resolution_id: Uuid,
    pub organization: OrgRef,
    pub organization_name: String,
    pub person_id: Option<Uuid>,
    pub person_name: Option<String>,
    pub description: String,
    pub due_on: NaiveDate,
    pub complaint_id: Option<Uuid>,
    pub case_number: Option<String>,
    pub status: TaskStatus,
    /// Open past its due date.
    pub overdue: bool,
    /// When its meeting was published (none before).
    pub assigned_at: Option<DateTime<Utc>>,
    pub reported_at: Option<DateTime<Utc>>,
    pub report_note: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub allowed_actions: Vec<TaskAction>,
}

/// Filters for a task list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only the caller's: tasks of the organizations they hold posts in, or naming them.
    pub mine: bool,
    /// One community.
    pub community_id: Option<Uuid>,
    /// One status.
    pub status: Option<TaskStatus>,
    /// Only open tasks past their due date.
    pub overdue: bool,
}

/// One organization's tasks due in a period, as oversight counts them.
#[derive(Debug, Clone)]
pub struct TaskTallyRow {
    pub organization: OrgRef,
    pub organization_name: String,
    pub tally: TaskTally,
}

fn bad(what: &str, id: Uuid) -> Error {
    Error::Unexpected(format!("task: {what} of {id} is not in the vocabulary"))
}

fn to_domain(t: &tk::Model) -> Result<Task> {
    Ok(Task {
        id: t.id,
        status: t.status.parse().map_err(|_| bad("status", t.id))?,
        due_on: t.due_on,
        reported_at: t.reported_at,
        version: t.version,
    })
}

/// The scopes a task lies in: its community, and the company or department it is assigned
/// to (where recusal binds a company's people).
fn chain(t: &tk::Model) -> Vec<Scope> {
    let mut chain = vec![Scope::Community(t.community_id.into())];
    match t.org_kind.parse::<OrgKind>() {
        Ok(OrgKind::PropertyCompany) => chain.push(Scope::Company(t.org_id.into())),
        Ok(OrgKind::Department) => chain.push(Scope::Department(t.org_id.into())),
        _ => {}
    }
    chain.push(Scope::County);
    chain
}

fn facts(actor: &Actor, t: &tk::Model) -> TaskFacts {
    let org = org_ref(&t.org_kind, t.org_id);
    TaskFacts { in_assigned_org: t.person_id == Some(actor.person_id.0) || org.is_ok_and(|o| holds(actor, o)) }
}

/// The condition "assigned to one of the caller's organizations, or naming them".
fn mine(actor: &Actor) -> Condition {
    actor.posts.iter().filter(|p| p.org_kind != OrgKind::Estate).fold(
        Condition::any().add(tk::Column::PersonId.eq(actor.person_id.0)),
        |c, p| {
            c.add(Condition::all().add(tk::Column::OrgId.eq(p.org_id)).add(tk::Column::OrgKind.eq(p.org_kind.as_str())))
        },
    )
}

/// Assigns every task of a meeting being published, each with its `assign` event.
pub(super) async fn assign_all<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    acting_as: &str,
    meeting: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let rows = tk::Entity::find().filter(tk::Column::MeetingId.eq(meeting)).all(txn).await?;
    tk::Entity::update_many()
        .col_expr(tk::Column::AssignedAt, Expr::value(Some(now)))
        .filter(tk::Column::MeetingId.eq(meeting))
        .exec(txn)
        .await?;
    for t in rows {
        let event = NewEvent {
            actor: Some(actor),
            acting_as,
            action: TaskAction::Assign.as_str(),
            from: None,
            to: TaskStatus::Open.as_str(),
            note: Some(t.description.clone()),
            detail: Some(format!("due_on={}", t.due_on)),
        };
        timeline::append(txn, Stream::MeetingTask(t.id), event, now).await?;
        let mut to = vec![Recipient::Organization(org_ref(&t.org_kind, t.org_id)?.kind, t.org_id)];
        to.extend(t.person_id.map(Recipient::Person));
        let label = format!("{}（{} {}）", t.description, "完成期限", t.due_on);
        let notice = Notice {
            kind: NoticeKind::TaskAssigned,
            stream: Stream::MeetingTask(t.id),
            label: &label,
            link: format!("/meetings/{meeting}"),
            to,
        };
        notify(txn, actor, notice, now).await?;
    }
    Ok(())
}

/// The events of the tasks about a complaint, for its timeline: actions read `task_assign`,
/// `task_report_done`, `task_verify`, `task_send_back`. Who did what and when is part of the
/// case's timeline for everyone who sees the case; what the task says (the note and the task's
/// id) only for those who may see the task itself (the community committees, the assigned
/// organization, the meeting's invitees).
///
/// # Errors
/// Database errors.
pub async fn complaint_events<C: ConnectionTrait>(
    conn: &C,
    gate: &Gate,
    actor: &Actor,
    complaint_id: Uuid,
) -> Result<Vec<event::Model>> {
    let tasks = tk::Entity::find()
        .filter(tk::Column::ComplaintId.eq(complaint_id))
        .filter(tk::Column::AssignedAt.is_not_null())
        .all(conn)
        .await?;
    if tasks.is_empty() {
        return Ok(Vec::new());
    }
    let invitees = mi::Entity::find()
        .filter(mi::Column::MeetingId.is_in(tasks.iter().map(|t| t.meeting_id).collect::<BTreeSet<_>>()))
        .all(conn)
        .await?;
    let seen: BTreeSet<Uuid> = tasks
        .iter()
        .filter(|t| {
            let chain = chain(t);
            let of_meeting: Vec<mi::Model> =
                invitees.iter().filter(|i| i.meeting_id == t.meeting_id).cloned().collect();
            gate.allows(actor, Resource::MeetingTask, Action::Read, &chain)
                || (gate.allows(actor, Resource::MeetingTask, Action::ReadOwn, &chain)
                    && (facts(actor, t).in_assigned_org || super::invited(actor, &of_meeting)))
        })
        .map(|t| t.id)
        .collect();
    let events = event::Entity::find()
        .filter(event::Column::Stream.eq(Stream::MeetingTask(Uuid::nil()).kind()))
        .filter(event::Column::StreamId.is_in(tasks.iter().map(|t| t.id).collect::<Vec<_>>()))
        .order_by_asc(event::Column::Id)
        .all(conn)
        .await?;
    Ok(events
        .into_iter()
        .map(|mut e| {
            e.action = format!("task_{}", e.action);
            if seen.contains(&e.stream_id) {
                e.detail = Some(match e.detail.take() {
                    Some(d) => format!("task_id={};{d}", e.stream_id),
                    None => format!("task_id={}", e.stream_id),
                });
            } else {
                e.note = None;
                e.detail = None;
            }
            e
        })
        .collect())
}

/// The estates of the owners' committees some tasks are assigned to: a committee's people are
/// bound in its estate, where they report its tasks done.
async fn committee_estates<C: ConnectionTrait>(conn: &C, rows: &[tk::Model]) -> Result<HashMap<Uuid, Uuid>> {
    let ids: BTreeSet<Uuid> =
        rows.iter().filter(|t| t.org_kind == OrgKind::OwnersCommittee.as_str()).map(|t| t.org_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(owners_committee::Entity::find()
        .filter(owners_committee::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.estate_id))
        .collect())
}

/// The scopes `action` on a task is decided in: the task's, and for reporting an owners'
/// committee's task done, the committee's estate too (only there: recusal, bound in the
/// estates a company serves, must not stop the branch verifying the committee's work).
fn action_chain(t: &tk::Model, action: TaskAction, estates: &HashMap<Uuid, Uuid>) -> Vec<Scope> {
    let mut scopes = chain(t);
    if action == TaskAction::ReportDone {
        if let Some(estate) = estates.get(&t.org_id).filter(|_| t.org_kind == OrgKind::OwnersCommittee.as_str()) {
            scopes.insert(1, Scope::Estate((*estate).into()));
        }
    }
    scopes
}

/// Views of task rows, names and numbers in a few batched queries.
pub(super) async fn views(meetings: &Meetings, actor: &Actor, rows: Vec<tk::Model>) -> Result<Vec<TaskView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let db = meetings.db();
    let gate = meetings.gate();
    let now = meetings.clock().now();
    let orgs: Vec<OrgRef> = rows.iter().filter_map(|t| org_ref(&t.org_kind, t.org_id).ok()).collect();
    let org_names = org_names(db, &orgs).await?;
    let people = person_names(db, rows.iter().filter_map(|t| t.person_id).collect()).await?;
    let communities = community_names(db, rows.iter().map(|t| t.community_id).collect()).await?;
    let titles: HashMap<Uuid, String> = mt::Entity::find()
        .filter(mt::Column::Id.is_in(rows.iter().map(|t| t.meeting_id).collect::<BTreeSet<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.title))
        .collect();
    let estates = committee_estates(db, &rows).await?;
    let complaints: BTreeSet<Uuid> = rows.iter().filter_map(|t| t.complaint_id).collect();
    let numbers: HashMap<Uuid, String> = if complaints.is_empty() {
        HashMap::new()
    } else {
        complaint::Entity::find()
            .filter(complaint::Column::Id.is_in(complaints))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.case_number))
            .collect()
    };
    rows.into_iter()
        .map(|t| {
            let task = to_domain(&t)?;
            let organization = org_ref(&t.org_kind, t.org_id)?;
            let f = facts(actor, &t);
            let allowed_actions = if t.assigned_at.is_some() {
                TaskAction::requestable()
                    .filter(|a| {
                        gate.allows(actor, Resource::MeetingTask, Action::of_task(*a), &action_chain(&t, *a, &estates))
                    })
                    .filter(|a| task.check(*a, f).is_ok())
                    .collect()
            } else {
                Vec::new()
            };
            Ok(TaskView {
                overdue: t.assigned_at.is_some() && task.overdue(now),
                organization_name: org_names.get(&organization).cloned().unwrap_or_default(),
                person_name: t.person_id.and_then(|p| people.get(&p).cloned()),
                community_name: communities.get(&t.community_id).cloned().unwrap_or_default(),
                meeting_title: titles.get(&t.meeting_id).cloned().unwrap_or_default(),
                case_number: t.complaint_id.and_then(|c| numbers.get(&c).cloned()),
                status: task.status,
                organization,
                allowed_actions,
                id: t.id,
                meeting_id: t.meeting_id,
                community_id: t.community_id,
                resolution_id: t.resolution_id,
                person_id: t.person_id,
                description: t.description,
                due_on: t.due_on,
                complaint_id: t.complaint_id,
                assigned_at: t.assigned_at,
                reported_at: t.reported_at,
                report_note: t.report_note,
                verified_at: t.verified_at,
                version: t.version,
            })
        })
        .collect()
}

impl Meetings {
    async fn task_row<C: ConnectionTrait>(&self, conn: &C, id: Uuid) -> Result<tk::Model> {
        tk::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| DomainError::NotFound { entity: "task" }.into())
    }

    /// Refuses, as "not found" and audited, a task the caller may not see: the community
    /// committees and the county see every assigned task, the assigned organization and the
    /// meeting's invitees theirs.
    async fn ensure_task_visible(&self, actor: &Actor, t: &tk::Model) -> Result<()> {
        let chain = chain(t);
        let assigned = t.assigned_at.is_some();
        if assigned && self.gate().allows(actor, Resource::MeetingTask, Action::Read, &chain) {
            return Ok(());
        }
        if assigned && self.gate().allows(actor, Resource::MeetingTask, Action::ReadOwn, &chain) {
            if facts(actor, t).in_assigned_org {
                return Ok(());
            }
            let invitees = mi::Entity::find().filter(mi::Column::MeetingId.eq(t.meeting_id)).all(self.db()).await?;
            if super::invited(actor, &invitees) {
                return Ok(());
            }
        }
        if !assigned {
            return Err(DomainError::NotFound { entity: "task" }.into());
        }
        self.gate().require_visible(actor, Resource::MeetingTask, &chain, t.id, "task").await
    }

    /// One task, with the actions the caller may take.
    ///
    /// # Errors
    /// Not found (also when not the caller's to see), database errors.
    pub async fn task(&self, actor: &Actor, id: Uuid) -> Result<TaskView> {
        let row = self.task_row(self.db(), id).await?;
        self.ensure_task_visible(actor, &row).await?;
        views(self, actor, vec![row]).await?.pop().ok_or_else(|| Error::Unexpected("no task view".into()))
    }

    /// Reports a task done (with what was done), verifies it, or sends it back (with why).
    ///
    /// # Errors
    /// Not found, forbidden (recusal included), conflicts (state, version, not the assignee,
    /// one's own organization's task), validation, database errors.
    #[tracing::instrument(skip_all, fields(task = %id, action = %action))]
    pub async fn act_on_task(
        &self,
        actor: &Actor,
        id: Uuid,
        action: TaskAction,
        version: i32,
        text: Option<String>,
    ) -> Result<TaskView> {
        if !action.is_requestable() {
            return Err(DomainError::field("action", Code::InvalidAction).into());
        }
        let current = self.task_row(self.db(), id).await?;
        self.ensure_task_visible(actor, &current).await?;
        let estates = committee_estates(self.db(), std::slice::from_ref(&current)).await?;
        let scopes = action_chain(&current, action, &estates);
        let decision =
            self.gate().require(actor, Resource::MeetingTask, Action::of_task(action), &scopes, Some(id)).await?;
        let acting_as = decision.acting_as.clone().unwrap_or_default();
        let now = self.clock().now();
        let write = self.gate().write(actor, decision, id, Bindings::Same).await?;
        let txn = write.conn();
        let row = tk::Entity::find_by_id(id)
            .lock_exclusive()
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound { entity: "task" })?;
        let mut task = to_domain(&row)?;
        let from = task.status;
        let to = task.apply(action, version, text.as_deref(), facts(actor, &row), now)?;
        let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let mut update = tk::Entity::update_many()
            .col_expr(tk::Column::Status, Expr::value(to.as_str()))
            .col_expr(tk::Column::Version, Expr::value(task.version));
        update = match action {
            TaskAction::ReportDone => update
                .col_expr(tk::Column::ReportedAt, Expr::value(task.reported_at))
                .col_expr(tk::Column::ReportNote, Expr::value(text.clone())),
            TaskAction::Verify => update.col_expr(tk::Column::VerifiedAt, Expr::value(Some(now))),
            TaskAction::SendBack | TaskAction::Assign => update,
        };
        let done = update.filter(tk::Column::Id.eq(id)).filter(tk::Column::Version.eq(version)).exec(txn).await?;
        if done.rows_affected != 1 {
            return Err(DomainError::StaleVersion { current: row.version }.into());
        }
        let event = NewEvent {
            actor: Some(actor),
            acting_as: &acting_as,
            action: action.as_str(),
            from: Some(from.as_str()),
            to: to.as_str(),
            note: text,
            detail: None,
        };
        timeline::append(txn, Stream::MeetingTask(id), event, now).await?;
        write.commit().await?;
        self.task(actor, id).await
    }

    /// Lists assigned tasks the caller may see, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn tasks(&self, actor: &Actor, filter: TaskFilter, page: PageRequest) -> Result<Page<TaskView>> {
        let mut select = tk::Entity::find().filter(tk::Column::AssignedAt.is_not_null());
        if let Some(s) = filter.status {
            select = select.filter(tk::Column::Status.eq(s.as_str()));
        }
        if filter.overdue {
            select = select
                .filter(tk::Column::Status.eq(TaskStatus::Open.as_str()))
                .filter(tk::Column::DueOn.lt(self.clock().today()));
        }
        if let Some(c) = filter.community_id {
            select = select.filter(tk::Column::CommunityId.eq(c));
        }
        let mut visible = Condition::any().add(mine(actor));
        if !filter.mine {
            for scope in self.gate().scopes_allowing(actor, Resource::MeetingTask, Action::Read) {
                visible = visible.add(match scope {
                    Scope::County => Condition::all().add(Expr::value(true)),
                    Scope::Community(c) => Condition::all().add(tk::Column::CommunityId.eq(c.0)),
                    Scope::Estate(_) | Scope::Company(_) | Scope::Department(_) => {
                        Condition::all().add(Expr::value(false))
                    }
                });
            }
        }
        select = select.filter(visible);
        let rows = paging::fetch(self.db(), select, tk::Column::Id, |t| t.id, page, true).await?;
        let items = views(self, actor, rows.items).await?;
        Ok(Page { items, next_cursor: rows.next_cursor })
    }

    /// The caller's tasks still to do or to be checked, the overdue first, then by due date
    /// (the desk's "my tasks").
    ///
    /// # Errors
    /// Database errors.
    pub async fn my_tasks(&self, actor: &Actor) -> Result<Vec<TaskView>> {
        let rows = tk::Entity::find()
            .filter(tk::Column::AssignedAt.is_not_null())
            .filter(tk::Column::Status.is_in([TaskStatus::Open.as_str(), TaskStatus::Reported.as_str()]))
            .filter(mine(actor))
            .order_by_asc(tk::Column::DueOn)
            .limit(100)
            .all(self.db())
            .await?;
        let mut items = views(self, actor, rows).await?;
        items.sort_by_key(|t| (!t.overdue, t.due_on));
        Ok(items)
    }

    /// A published meeting's tasks as a table (for CSV): who, what, by when, where it stands.
    ///
    /// # Errors
    /// Not found (not visible, or no record to show yet), database errors.
    pub async fn tasks_table(&self, actor: &Actor, meeting_id: Uuid) -> Result<Table> {
        let record = self.get(actor, meeting_id).await?;
        if !record.record_visible {
            return Err(DomainError::NotFound { entity: "meeting" }.into());
        }
        let mut rows = Vec::new();
        for item in &record.agenda {
            for r in &item.resolutions {
                for t in &r.tasks {
                    rows.push(vec![
                        Cell::from(item.topic.as_str()),
                        Cell::from(r.text.as_str()),
                        Cell::from(t.description.as_str()),
                        Cell::from(t.organization_name.as_str()),
                        t.person_name.clone().map_or(Cell::Empty, Cell::from),
                        Cell::from(t.due_on.to_string()),
                        t.case_number.clone().map_or(Cell::Empty, Cell::from),
                        Cell::from(status_label(t.status)),
                        Cell::from(if t.overdue { "是" } else { "否" }),
                        t.report_note.clone().map_or(Cell::Empty, Cell::from),
                    ]);
                }
            }
        }
        Ok(Table {
            title: "任务".to_owned(),
            headers: ["议题", "决议", "任务", "承担单位", "责任人", "完成期限", "诉求编号", "状态", "逾期", "完成情况"]
                .map(str::to_owned)
                .to_vec(),
            rows,
        })
    }

    /// Tasks due from `from` to `to` per assigned organization: done on time, late, and still
    /// outstanding past the due date. A community's (the oversight readers of it), or the
    /// county's (`None`, for county readers).
    ///
    /// # Errors
    /// Forbidden, database errors.
    pub async fn task_tally(
        &self,
        actor: &Actor,
        community_id: Option<Uuid>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<TaskTallyRow>> {
        let chain = community_id.map_or_else(|| vec![Scope::County], |c| Scope::community_chain(c.into()));
        self.gate().require(actor, Resource::Oversight, Action::Read, &chain, community_id).await?;
        let mut select = tk::Entity::find()
            .filter(tk::Column::AssignedAt.is_not_null())
            .filter(tk::Column::DueOn.gte(from))
            .filter(tk::Column::DueOn.lte(to));
        if let Some(c) = community_id {
            select = select.filter(tk::Column::CommunityId.eq(c));
        }
        let now = self.clock().now();
        let mut tallies: BTreeMap<(String, Uuid), TaskTally> = BTreeMap::new();
        for t in select.all(self.db()).await? {
            tallies.entry((t.org_kind.clone(), t.org_id)).or_default().add(&to_domain(&t)?, now);
        }
        let orgs: Vec<OrgRef> = tallies.keys().filter_map(|(k, id)| org_ref(k, *id).ok()).collect();
        let names = org_names(self.db(), &orgs).await?;
        let mut rows: Vec<TaskTallyRow> = orgs
            .into_iter()
            .map(|organization| TaskTallyRow {
                organization_name: names.get(&organization).cloned().unwrap_or_default(),
                tally: tallies
                    .get(&(organization.kind.as_str().to_owned(), organization.id))
                    .copied()
                    .unwrap_or_default(),
                organization,
            })
            .collect();
        rows.sort_by(|a, b| a.organization_name.cmp(&b.organization_name));
        Ok(rows)
    }
}

/// A task's status in Chinese, for exports.
#[must_use]
pub fn status_label(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Open => "待完成",
        TaskStatus::Reported => "待核验",
        TaskStatus::Verified => "已完成",
    }
}
