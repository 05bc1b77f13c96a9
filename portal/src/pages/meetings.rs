//! Joint meetings (联席会议): the month's meetings of the communities the caller sees, the form
//! that convenes one, the meeting page (agenda, who came, minutes, resolutions, tasks, and the
//! forms for what the caller may do), the printable minutes, the tasks as CSV, and the task
//! actions (report done, verify, send back) from the meeting page or the desk.

use super::complaints::{choices, Choice};
use super::{
    ctx, ctx_post, finish, form, html, local_path, page, query, see_other, sentence, status_of, value, Ctx, Fail,
    PageResult,
};
use crate::view::{time, Chrome};
use askama::Template;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use domain::authz::Role;
use domain::clock::CHINA_STANDARD_TIME;
use domain::meeting::{AgendaItemInput, Attendance, Invitee, MeetingAction, OrgRef, TaskAction, TaskInput};
use domain::oversight::Month;
use domain::registry::OrgKind;
use infra::meetings::tasks::TaskView;
use infra::meetings::{AttendanceInput, MeetingFilter, MeetingRecord, MeetingRequest, MinutesInput};
use infra::paging::PageRequest;
use poem::http::{header, StatusCode};
use poem::web::Path;
use poem::{handler, Body, Request, Response};
use std::collections::HashMap;
use uuid::Uuid;

/// How many agenda rows and task rows the forms offer.
const AGENDA_ROWS: usize = 3;
const TASK_ROWS: usize = 3;

struct Day {
    date: String,
    meetings: Vec<Row>,
}

struct Row {
    id: Uuid,
    time: String,
    title: String,
    community: String,
    place: String,
    status: &'static str,
    status_key: &'static str,
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct ListPage {
    c: Chrome,
    month: String,
    prev: String,
    next: String,
    /// The community filter, kept by the month links.
    keep: String,
    days: Vec<Day>,
    convene: Vec<(Uuid, String)>,
}

fn parse_month(text: Option<&str>) -> Result<Month, Fail> {
    match text {
        None => Ok(Month::of(Utc::now())),
        Some(t) => t.parse::<Month>().map_err(|_| Fail::BadRequest),
    }
}

/// The first and last day of a month (a parsed month always has both).
fn days_of(month: Month) -> Result<(NaiveDate, NaiveDate), Fail> {
    let first = NaiveDate::from_ymd_opt(month.year, month.month, 1).ok_or(Fail::BadRequest)?;
    let next = month.next();
    let last = NaiveDate::from_ymd_opt(next.year, next.month, 1).and_then(|d| d.pred_opt()).ok_or(Fail::BadRequest)?;
    Ok((first, last))
}

/// The month's meetings the caller may see, day by day (the calendar), with links to the months
/// around it and, for a secretary, to convene one.
#[handler]
pub async fn list(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let month = parse_month(value(&q, "month"))?;
        let (from, to) = days_of(month)?;
        let community = value(&q, "community_id").map(str::parse::<Uuid>).transpose().map_err(|_| Fail::BadRequest)?;
        let filter =
            MeetingFilter { community_id: community, from: Some(from), to: Some(to), ..MeetingFilter::default() };
        let keep = community.map(|c| format!("&community_id={c}")).unwrap_or_default();
        let rows = cx.services().meetings.list(&cx.actor, filter, PageRequest { limit: 200, after: None }).await?;
        let mut items = rows.items;
        items.sort_by_key(|m| m.starts_at);
        let mut days: Vec<Day> = Vec::new();
        for m in items {
            let local = m.starts_at.with_timezone(&CHINA_STANDARD_TIME);
            let date = format!(
                "{} {}",
                local.format("%Y-%m-%d"),
                cx.t.of("weekday", &local.weekday().num_days_from_monday().to_string())
            );
            let row = Row {
                id: m.id,
                time: local.format("%H:%M").to_string(),
                title: m.title,
                community: m.community_name,
                place: m.place,
                status: cx.t.of("meeting_status", m.status.as_str()),
                status_key: m.status.as_str(),
            };
            match days.last_mut() {
                Some(d) if d.date == date => d.meetings.push(row),
                _ => days.push(Day { date, meetings: vec![row] }),
            }
        }
        let communities = cx.where_held(Role::PartyBranchSecretary);
        let names = cx.services().registry.names(&communities).await?;
        let p = ListPage {
            c: cx.chrome("/meetings"),
            month: month.to_string(),
            prev: month.previous().to_string(),
            next: month.next().to_string(),
            keep,
            days,
            convene: communities.into_iter().map(|id| (id, names.get(&id).cloned().unwrap_or_default())).collect(),
        };
        page(&p)
    }
    .await;
    finish(req, result)
}

struct PartyChoice {
    key: String,
    label: String,
    checked: bool,
}

struct AgendaRow {
    n: usize,
    topic: String,
    cases: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "meeting_new.html")]
struct NewPage {
    c: Chrome,
    community_id: Uuid,
    community: String,
    title: String,
    starts_at: String,
    place: String,
    agenda: Vec<AgendaRow>,
    parties: Vec<PartyChoice>,
    error: String,
    errors: HashMap<String, String>,
}

impl NewPage {
    fn err(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }
}

fn party_key(o: OrgRef) -> String {
    format!("invite.{}.{}", o.kind.as_str(), o.id)
}

async fn render_new(cx: &Ctx, community: Uuid, f: &HashMap<String, String>, e: Option<infra::Error>) -> PageResult {
    let parties = cx.services().meetings.parties(&cx.actor, community).await?;
    let cases = cx.services().meetings.linkable_cases(&cx.actor, community).await?;
    let names = cx.services().registry.names(&[community]).await?;
    let (error, errors, code) = match e {
        None => (String::new(), HashMap::new(), StatusCode::OK),
        Some(e) => {
            let errors = match &e {
                infra::Error::Domain(domain::DomainError::Validation(fields)) => {
                    fields.iter().map(|fe| (fe.field.clone(), cx.t.code(fe.code).to_owned())).collect()
                }
                _ => HashMap::new(),
            };
            (sentence(&cx.t, &e), errors, status_of(&e))
        }
    };
    let p = NewPage {
        c: cx.chrome("/meetings"),
        community_id: community,
        community: names.get(&community).cloned().unwrap_or_default(),
        title: value(f, "title").unwrap_or_default().to_owned(),
        starts_at: value(f, "starts_at").unwrap_or_default().to_owned(),
        place: value(f, "place").unwrap_or_default().to_owned(),
        agenda: (0..AGENDA_ROWS)
            .map(|n| {
                let current = value(f, &format!("case{n}"));
                let none =
                    Choice { value: String::new(), label: cx.t.s("meeting.no_case").to_owned(), selected: false };
                AgendaRow {
                    n,
                    topic: value(f, &format!("topic{n}")).unwrap_or_default().to_owned(),
                    cases: std::iter::once(none)
                        .chain(cases.iter().map(|(id, number, title)| Choice {
                            selected: current == Some(id.to_string().as_str()),
                            value: id.to_string(),
                            label: format!("{number} {title}"),
                        }))
                        .collect(),
                }
            })
            .collect(),
        parties: parties
            .into_iter()
            .map(|(o, name)| PartyChoice {
                checked: value(f, &party_key(o)).is_some(),
                key: party_key(o),
                label: format!("{} · {}", cx.t.of("org", o.kind.as_str()), name),
            })
            .collect(),
        error,
        errors,
    };
    Ok(html(code, p.render()?))
}

/// The form that convenes a meeting in one of the caller's communities.
#[handler]
pub async fn new_form(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let community = match value(&q, "community_id") {
            Some(c) => c.parse::<Uuid>().map_err(|_| Fail::BadRequest)?,
            None => *cx.where_held(Role::PartyBranchSecretary).first().ok_or(Fail::Use(infra::Error::Forbidden))?,
        };
        render_new(&cx, community, &HashMap::new(), None).await
    }
    .await;
    finish(req, result)
}

/// A `datetime-local` value read as China Standard Time.
fn local_time(text: &str) -> Option<chrono::DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok()?;
    CHINA_STANDARD_TIME.from_local_datetime(&naive).single().map(|t| t.with_timezone(&Utc))
}

/// Convenes the meeting the form describes.
#[handler]
pub async fn create(req: &Request, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let community = value(&f, "community_id").and_then(|c| c.parse::<Uuid>().ok()).ok_or(Fail::BadRequest)?;
        let Some(starts_at) = value(&f, "starts_at").and_then(local_time) else {
            let e = domain::DomainError::field("starts_at", domain::Code::InvalidValue);
            return render_new(&cx, community, &f, Some(e.into())).await;
        };
        let agenda = (0..AGENDA_ROWS)
            .filter_map(|n| {
                let topic = value(&f, &format!("topic{n}")).unwrap_or_default();
                let case = value(&f, &format!("case{n}")).and_then(|c| c.parse::<Uuid>().ok());
                (!topic.trim().is_empty() || case.is_some()).then(|| AgendaItemInput {
                    topic: topic.to_owned(),
                    complaint_id: case,
                    appointment_id: None,
                })
            })
            .collect();
        let invitees = f
            .keys()
            .filter_map(|k| {
                let mut parts = k.strip_prefix("invite.")?.split('.');
                let kind = parts.next()?.parse::<OrgKind>().ok()?;
                let id = parts.next()?.parse::<Uuid>().ok()?;
                Some(Invitee::Organization(OrgRef { kind, id }))
            })
            .collect();
        let req_body = MeetingRequest {
            community_id: community,
            title: value(&f, "title").unwrap_or_default().to_owned(),
            starts_at,
            place: value(&f, "place").unwrap_or_default().to_owned(),
            convener_id: None,
            agenda,
            invitees,
        };
        match cx.services().meetings.convene(&cx.actor, req_body).await {
            Ok(m) => Ok(see_other(&format!("/meetings/{}", m.summary.id))),
            Err(e) => render_new(&cx, community, &f, Some(super::shown(e)?)).await,
        }
    }
    .await;
    finish(req, result)
}

/// A task as the pages show it (the meeting page and the desk).
pub struct TaskRow {
    pub id: Uuid,
    pub description: String,
    pub organization: String,
    pub due_on: String,
    pub status: &'static str,
    pub status_key: &'static str,
    pub overdue: bool,
    pub report_note: String,
    pub case_number: String,
    pub complaint_id: String,
    pub meeting_id: Uuid,
    pub meeting_title: String,
    pub version: i32,
    pub actions: Vec<(&'static str, &'static str, bool)>,
}

impl TaskRow {
    /// The row for `t`, with the actions the caller may take.
    #[must_use]
    pub fn of(cx: &Ctx, t: &TaskView) -> Self {
        Self {
            id: t.id,
            description: t.description.clone(),
            organization: match &t.person_name {
                Some(p) => format!("{} · {p}", t.organization_name),
                None => t.organization_name.clone(),
            },
            due_on: t.due_on.to_string(),
            status: cx.t.of("task", t.status.as_str()),
            status_key: t.status.as_str(),
            overdue: t.overdue,
            report_note: t.report_note.clone().unwrap_or_default(),
            case_number: t.case_number.clone().unwrap_or_default(),
            complaint_id: t.complaint_id.map(|c| c.to_string()).unwrap_or_default(),
            meeting_id: t.meeting_id,
            meeting_title: t.meeting_title.clone(),
            version: t.version,
            actions: t
                .allowed_actions
                .iter()
                .map(|a| (a.as_str(), cx.t.of("task_action", a.as_str()), *a != TaskAction::Verify))
                .collect(),
        }
    }
}

/// The caller's tasks for the desk, the overdue first.
///
/// # Errors
/// Database errors.
pub async fn desk_tasks(cx: &Ctx) -> Result<Vec<TaskRow>, Fail> {
    let tasks = cx.services().meetings.my_tasks(&cx.actor).await?;
    Ok(tasks.iter().map(|t| TaskRow::of(cx, t)).collect())
}

struct InviteeRow {
    id: Uuid,
    name: String,
    attendance: &'static str,
    attendance_key: &'static str,
    delegate: String,
}

struct ItemRow {
    id: Uuid,
    n: usize,
    topic: String,
    case_number: String,
    complaint_id: String,
    minutes: String,
    resolutions: Vec<(String, Vec<TaskRow>)>,
}

struct EventRow {
    at: String,
    who: String,
    action: &'static str,
    note: String,
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct DetailPage {
    c: Chrome,
    id: Uuid,
    title: String,
    community: String,
    starts_at: String,
    place: String,
    convener: String,
    status: &'static str,
    status_key: &'static str,
    version: i32,
    cancel_reason: String,
    published_at: String,
    record_visible: bool,
    invitees: Vec<InviteeRow>,
    items: Vec<ItemRow>,
    amendments: Vec<(String, String, String, String)>,
    events: Vec<EventRow>,
    can: Vec<&'static str>,
    attendances: Vec<Choice>,
    task_orgs: Vec<Choice>,
    task_rows: Vec<usize>,
    today: String,
    error: String,
}

impl DetailPage {
    fn may(&self, action: &str) -> bool {
        self.can.contains(&action)
    }
}

fn item_rows(cx: &Ctx, m: &MeetingRecord) -> Vec<ItemRow> {
    m.agenda
        .iter()
        .enumerate()
        .map(|(n, a)| ItemRow {
            id: a.id,
            n: n + 1,
            topic: a.topic.clone(),
            case_number: a.case_number.clone().unwrap_or_default(),
            complaint_id: a.complaint_id.map(|c| c.to_string()).unwrap_or_default(),
            minutes: a.minutes.clone().unwrap_or_default(),
            resolutions: a
                .resolutions
                .iter()
                .map(|r| (r.text.clone(), r.tasks.iter().map(|t| TaskRow::of(cx, t)).collect()))
                .collect(),
        })
        .collect()
}

fn invitee_rows(cx: &Ctx, m: &MeetingRecord) -> Vec<InviteeRow> {
    m.invitees
        .iter()
        .map(|i| InviteeRow {
            id: i.id,
            name: i.name.clone(),
            attendance: i.attendance.map_or("", |a| cx.t.of("attendance", a.as_str())),
            attendance_key: i.attendance.map_or("", Attendance::as_str),
            delegate: i.delegate_name.clone().unwrap_or_default(),
        })
        .collect()
}

/// Amendments as (when, who, why, what).
fn amendment_rows(m: &MeetingRecord) -> Vec<(String, String, String, String)> {
    m.amendments.iter().map(|a| (time(a.at), a.by_name.clone(), a.reason.clone(), a.text.clone())).collect()
}

async fn render_detail(cx: &Ctx, id: Uuid, error: String, code: StatusCode) -> PageResult {
    let m = cx.services().meetings.get(&cx.actor, id).await?;
    let t = &cx.t;
    let p = DetailPage {
        c: cx.chrome("/meetings"),
        id,
        title: m.summary.title.clone(),
        community: m.summary.community_name.clone(),
        starts_at: time(m.summary.starts_at),
        place: m.summary.place.clone(),
        convener: m.summary.convener_name.clone(),
        status: t.of("meeting_status", m.summary.status.as_str()),
        status_key: m.summary.status.as_str(),
        version: m.summary.version,
        cancel_reason: m.cancel_reason.clone().unwrap_or_default(),
        published_at: m.published_at.map(time).unwrap_or_default(),
        record_visible: m.record_visible,
        invitees: invitee_rows(cx, &m),
        items: item_rows(cx, &m),
        amendments: amendment_rows(&m),
        events: m
            .events
            .iter()
            .map(|e| EventRow {
                at: time(e.at),
                who: e.actor_name.clone(),
                action: t.of("meeting_action", &e.action),
                note: e.note.clone().unwrap_or_default(),
            })
            .collect(),
        can: m.allowed_actions.iter().map(|a| a.as_str()).collect(),
        attendances: choices(
            Attendance::ALL.iter().map(|a| (a.as_str(), t.of("attendance", a.as_str()).to_owned())),
            None,
        ),
        task_orgs: m
            .invitees
            .iter()
            .filter_map(|i| i.organization.map(|o| (format!("{}.{}", o.kind.as_str(), o.id), i.name.clone())))
            .map(|(value, label)| Choice { value, label, selected: false })
            .collect(),
        task_rows: (0..TASK_ROWS).collect(),
        today: (domain::clock::local_date(Utc::now()) + Duration::days(7)).to_string(),
        error,
    };
    Ok(html(code, p.render()?))
}

/// One meeting with what the caller may see and do.
#[handler]
pub async fn detail(req: &Request, Path(id): Path<Uuid>) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        render_detail(&cx, id, String::new(), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

fn version(f: &HashMap<String, String>) -> Result<i32, Fail> {
    value(f, "version").and_then(|v| v.parse::<i32>().ok()).ok_or(Fail::BadRequest)
}

/// Hold, publish, cancel, record, resolve or amend, from the meeting page's forms.
#[handler]
pub async fn act(req: &Request, Path((id, action)): Path<(Uuid, String)>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let action: MeetingAction = action.parse().map_err(|_| Fail::BadRequest)?;
        let v = version(&f)?;
        let meetings = &cx.services().meetings;
        let text = |k: &str| value(&f, k).unwrap_or_default().to_owned();
        let done = match action {
            MeetingAction::Hold | MeetingAction::Publish | MeetingAction::Cancel => {
                meetings
                    .act(&cx.actor, id, action, v, value(&f, "reason").map(str::to_owned).filter(|r| !r.is_empty()))
                    .await
            }
            MeetingAction::Record => {
                let mut attendance = Vec::new();
                let mut notes = Vec::new();
                for (k, val) in &f {
                    if let Some(invitee) = k.strip_prefix("attendance.").and_then(|i| i.parse::<Uuid>().ok()) {
                        if val.is_empty() {
                            continue;
                        }
                        let kind = val.parse::<Attendance>().map_err(|_| Fail::BadRequest)?;
                        let delegate = value(&f, &format!("delegate.{invitee}"))
                            .map(str::to_owned)
                            .filter(|d| !d.trim().is_empty());
                        attendance.push(AttendanceInput {
                            invitee_id: invitee,
                            attendance: kind,
                            delegate_name: if kind == Attendance::Delegate { delegate } else { None },
                        });
                    }
                    if let Some(item) = k.strip_prefix("minutes.").and_then(|i| i.parse::<Uuid>().ok()) {
                        if !val.trim().is_empty() {
                            notes.push(MinutesInput { agenda_item_id: item, minutes: val.clone() });
                        }
                    }
                }
                meetings.record(&cx.actor, id, v, attendance, notes).await
            }
            MeetingAction::Resolve => {
                let item = value(&f, "agenda_item_id").and_then(|i| i.parse::<Uuid>().ok()).ok_or(Fail::BadRequest)?;
                let mut tasks = Vec::new();
                for n in 0..TASK_ROWS {
                    let description = text(&format!("task{n}.description"));
                    if description.trim().is_empty() {
                        continue;
                    }
                    let org = value(&f, &format!("task{n}.org")).and_then(|o| {
                        let (kind, id) = o.split_once('.')?;
                        Some(OrgRef { kind: kind.parse().ok()?, id: id.parse().ok()? })
                    });
                    let due = value(&f, &format!("task{n}.due_on")).and_then(|d| d.parse::<NaiveDate>().ok());
                    let (Some(organization), Some(due_on)) = (org, due) else { return Err(Fail::BadRequest) };
                    tasks.push(TaskInput { description, organization, person_id: None, due_on });
                }
                meetings.resolve(&cx.actor, id, v, item, &text("text"), tasks).await
            }
            MeetingAction::Amend => meetings.amend(&cx.actor, id, v, &text("reason"), &text("text")).await,
            MeetingAction::Convene | MeetingAction::Edit => return Err(Fail::BadRequest),
        };
        match done {
            Ok(_) => Ok(see_other(&format!("/meetings/{id}"))),
            Err(e) => {
                let e = super::shown(e)?;
                render_detail(&cx, id, sentence(&cx.t, &e), status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

/// Report done, verify or send back a task, then back to where the form was (the meeting or
/// the desk); a refusal is shown on the meeting page.
#[handler]
pub async fn task_act(req: &Request, Path((id, action)): Path<(Uuid, String)>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let action: TaskAction = action.parse().map_err(|_| Fail::BadRequest)?;
        let v = version(&f)?;
        let note = value(&f, "note").map(str::to_owned).filter(|n| !n.trim().is_empty());
        match cx.services().meetings.act_on_task(&cx.actor, id, action, v, note).await {
            Ok(t) => {
                let back = match value(&f, "back") {
                    Some(b) => local_path(Some(b)),
                    None => format!("/meetings/{}", t.meeting_id),
                };
                Ok(see_other(&back))
            }
            Err(e) => {
                let e = super::shown(e)?;
                let task = cx.services().meetings.task(&cx.actor, id).await?;
                render_detail(&cx, task.meeting_id, sentence(&cx.t, &e), status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

#[derive(Template)]
#[template(path = "minutes.html")]
struct MinutesPage {
    c: Chrome,
    title: String,
    community: String,
    starts_at: String,
    place: String,
    convener: String,
    published_at: String,
    invitees: Vec<InviteeRow>,
    items: Vec<ItemRow>,
    amendments: Vec<(String, String, String, String)>,
}

/// The published record as minutes, for printing (a clean print stylesheet).
#[handler]
pub async fn minutes(req: &Request, Path(id): Path<Uuid>) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let m = cx.services().meetings.get(&cx.actor, id).await?;
        if m.summary.status != domain::meeting::MeetingStatus::Published {
            return Err(Fail::Use(domain::DomainError::NotFound { entity: "minutes" }.into()));
        }
        let p = MinutesPage {
            c: cx.chrome("/meetings"),
            title: m.summary.title.clone(),
            community: m.summary.community_name.clone(),
            starts_at: time(m.summary.starts_at),
            place: m.summary.place.clone(),
            convener: m.summary.convener_name.clone(),
            published_at: m.published_at.map(time).unwrap_or_default(),
            invitees: invitee_rows(&cx, &m),
            items: item_rows(&cx, &m),
            amendments: amendment_rows(&m),
        };
        page(&p)
    }
    .await;
    finish(req, result)
}

/// A published meeting's tasks as CSV.
#[handler]
pub async fn tasks_csv(req: &Request, Path(id): Path<Uuid>) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let table = cx.services().meetings.tasks_table(&cx.actor, id).await?;
        Ok(Response::builder()
            .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
            .header(header::CONTENT_DISPOSITION, "attachment; filename=\"meeting-tasks.csv\"")
            .body(table.csv()))
    }
    .await;
    finish(req, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_time_is_china_time() {
        let t = local_time("2026-11-10T09:30").expect("parses");
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 10, 1, 30, 0).single().expect("time"));
        assert!(local_time("2026-11-10 09:30").is_none());
    }
}
