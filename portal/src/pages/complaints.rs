//! Complaints: the list with filters and keyset paging, find by case number, a case with its
//! deadlines, timeline and one form per action the caller may take now, and filing a case.

use super::desk::CaseRow;
use super::{ctx, ctx_post, finish, form, html, query, see_other, sentence, status_of, value, Ctx, Fail, PageResult};
use crate::view::{deadline, encode, time, Chrome};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone, Utc};
use domain::authz::{Role, Scope};
use domain::complaint::{ActionInput, Category, ComplaintAction, ComplaintStatus, Priority, Rating};
use domain::DomainError;
use infra::complaints::{ComplaintFilter, FileRequest};
use infra::paging::{PageRequest, MAX_LIMIT};
use poem::http::StatusCode;
use poem::web::Path;
use poem::{handler, Body, Request, Response};
use std::collections::HashMap;
use uuid::Uuid;

/// A choice in a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Options from (value, label) pairs, the one equal to `current` selected.
pub fn choices<'a>(items: impl Iterator<Item = (&'a str, String)>, current: Option<&str>) -> Vec<Choice> {
    items.map(|(v, label)| Choice { selected: current == Some(v), value: v.to_owned(), label }).collect()
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<CaseRow>,
    statuses: Vec<Choice>,
    categories: Vec<Choice>,
    estates: Vec<Choice>,
    overdue: Vec<Choice>,
    mine: bool,
    community_id: String,
    number: String,
    next: String,
    error: String,
}

fn parse_or<T: std::str::FromStr>(q: &HashMap<String, String>, key: &str) -> Result<Option<T>, Fail> {
    value(q, key).map(str::parse::<T>).transpose().map_err(|_| Fail::BadRequest)
}

/// The estates the caller can see, for the filter.
async fn estate_choices(cx: &Ctx, current: Option<&str>) -> Vec<Choice> {
    let page = PageRequest { limit: MAX_LIMIT, after: None };
    let estates = cx.services().registry.list_estates(&cx.actor, infra::registry::Filter::default(), page).await;
    let items = estates.map(|p| p.items).unwrap_or_default();
    items
        .iter()
        .map(|e| Choice {
            selected: current == Some(&e.id.0.to_string()),
            value: e.id.0.to_string(),
            label: e.name.clone(),
        })
        .collect()
}

/// The list of cases, filtered, newest first, a page at a time; or one case by its number.
#[handler]
pub async fn list(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let t = cx.t;
        let q = query(req);
        if let Some(number) = value(&q, "number") {
            return match cx.services().complaints.find_by_number(&cx.actor, number).await {
                Ok(v) => Ok(see_other(&format!("/complaints/{}", v.complaint.id))),
                Err(e) => render_list(&cx, &q, sentence(&t, &e), status_of(&e)).await,
            };
        }
        render_list(&cx, &q, String::new(), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

async fn render_list(cx: &Ctx, q: &HashMap<String, String>, error: String, code: StatusCode) -> PageResult {
    let t = cx.t;
    let filter = ComplaintFilter {
        estate_id: parse_or::<Uuid>(q, "estate_id")?.map(Into::into),
        community_id: parse_or::<Uuid>(q, "community_id")?.map(Into::into),
        status: parse_or::<ComplaintStatus>(q, "status")?,
        category: parse_or::<Category>(q, "category")?,
        overdue: match value(q, "overdue") {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
        mine: value(q, "mine").is_some(),
        ..ComplaintFilter::default()
    };
    let after = value(q, "cursor");
    let page_req = PageRequest::parse(None, after).map_err(|e| Fail::Use(e.into()))?;
    let page_rows = cx.services().complaints.list(&cx.actor, filter, page_req).await?;
    let next = page_rows.next_cursor.map_or_else(String::new, |cursor| {
        let mut params: Vec<String> =
            q.iter().filter(|(k, _)| *k != "cursor").map(|(k, v)| format!("{k}={}", encode(v))).collect();
        params.sort();
        params.push(format!("cursor={}", encode(&cursor)));
        format!("/complaints?{}", params.join("&"))
    });
    let p = ListPage {
        c: cx.chrome("/complaints"),
        rows: page_rows.items.iter().map(|v| CaseRow::of(cx, v)).collect(),
        statuses: choices(
            ComplaintStatus::ALL.iter().map(|s| (s.as_str(), t.of("status", s.as_str()).to_owned())),
            value(q, "status"),
        ),
        categories: choices(
            Category::ALL.iter().map(|s| (s.as_str(), t.of("category", s.as_str()).to_owned())),
            value(q, "category"),
        ),
        estates: estate_choices(cx, value(q, "estate_id")).await,
        overdue: choices(
            [("yes", t.s("filter.overdue_yes").to_owned()), ("no", t.s("filter.overdue_no").to_owned())].into_iter(),
            value(q, "overdue"),
        ),
        mine: filter.mine,
        community_id: value(q, "community_id").unwrap_or_default().to_owned(),
        number: value(q, "number").unwrap_or_default().to_owned(),
        next,
        error,
    };
    Ok(html(code, p.render()?))
}

/// One form on a case: an action with exactly the fields it needs.
struct ActionForm {
    action: &'static str,
    label: &'static str,
    reason: bool,
    rating: bool,
    department: bool,
    deadline: bool,
}

impl ActionForm {
    fn of(t: &crate::i18n::Tr, a: ComplaintAction) -> Self {
        use ComplaintAction as A;
        Self {
            action: a.as_str(),
            label: t.of("action", a.as_str()),
            reason: matches!(a, A::Return | A::Dispute),
            rating: a == A::Confirm,
            department: a == A::Escalate,
            deadline: a == A::OrderRedo,
        }
    }
}

struct EventRow {
    at: String,
    who: String,
    action: &'static str,
    to: &'static str,
    note: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "complaint.html")]
struct DetailPage {
    c: Chrome,
    id: Uuid,
    version: i32,
    case_number: String,
    title: String,
    description: String,
    estate: String,
    category: &'static str,
    priority: &'static str,
    status: &'static str,
    status_key: &'static str,
    filer: String,
    filer_phone: String,
    filed_at: String,
    respond_by: String,
    respond_due: String,
    respond_late: bool,
    resolve_by: String,
    resolve_due: String,
    resolve_late: bool,
    cosigners: i32,
    rating: &'static str,
    events: Vec<EventRow>,
    forms: Vec<ActionForm>,
    ratings: Vec<Choice>,
    departments: Vec<Choice>,
    error: String,
    done: &'static str,
}

async fn render_detail(cx: &Ctx, id: Uuid, error: String, done: Option<&str>, code: StatusCode) -> PageResult {
    let t = cx.t;
    let s = cx.services();
    let (v, events) = s.complaints.detail(&cx.actor, id).await?;
    let c = &v.complaint;
    let now = s.clock.now();
    let (respond_due, respond_late) = deadline(&t, c.respond_by, now);
    let (resolve_due, resolve_late) = deadline(&t, c.resolve_by, now);
    let departments = if v.allowed_actions.contains(&ComplaintAction::Escalate) {
        let page = PageRequest { limit: MAX_LIMIT, after: None };
        s.registry.list_departments(&cx.actor, infra::registry::Filter::default(), page).await?.items
    } else {
        Vec::new()
    };
    let p = DetailPage {
        c: cx.chrome("/complaints"),
        id,
        version: c.version,
        case_number: c.case_number.clone(),
        title: c.title.clone(),
        description: c.description.clone(),
        estate: v.estate_name.clone(),
        category: t.of("category", c.category.as_str()),
        priority: t.of("priority", c.priority.as_str()),
        status: t.of("status", c.status.as_str()),
        status_key: c.status.as_str(),
        filer: v.filer_name.clone(),
        filer_phone: v.filer_phone.clone().unwrap_or_default(),
        filed_at: time(c.filed_at),
        respond_by: time(c.respond_by),
        respond_due: if c.status == ComplaintStatus::Submitted { respond_due } else { String::new() },
        respond_late: c.status == ComplaintStatus::Submitted && respond_late,
        resolve_by: time(c.resolve_by),
        resolve_due: if c.status.is_open() { resolve_due } else { String::new() },
        resolve_late: c.status.is_open() && resolve_late,
        cosigners: c.cosign_count,
        rating: c.rating.map_or("", |r| t.of("rating", r.as_str())),
        events: events
            .into_iter()
            .map(|e| EventRow {
                at: time(e.at),
                who: e.actor_name,
                // A joint meeting's task about the case is part of its timeline.
                action: match e.action.strip_prefix("task_") {
                    Some(task_action) => t.of("task_action", task_action),
                    None => t.of("action", &e.action),
                },
                to: if e.action.starts_with("task_") {
                    t.of("task", &e.to_status)
                } else {
                    t.of("status", &e.to_status)
                },
                note: e.note.unwrap_or_default(),
                detail: e.detail.unwrap_or_default(),
            })
            .collect(),
        forms: v.allowed_actions.iter().map(|a| ActionForm::of(&t, *a)).collect(),
        ratings: choices(Rating::ALL.iter().map(|r| (r.as_str(), t.of("rating", r.as_str()).to_owned())), None),
        departments: departments
            .into_iter()
            .map(|d| Choice { value: d.id.0.to_string(), label: d.name, selected: false })
            .collect(),
        error,
        done: done.and_then(|a| a.parse::<ComplaintAction>().ok()).map_or("", |a| t.of("action", a.as_str())),
    };
    Ok(html(code, p.render()?))
}

/// A case: facts, both deadlines, co-signers, the timeline, and the caller's actions.
#[handler]
pub async fn detail(req: &Request, Path(id): Path<Uuid>) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        render_detail(&cx, id, String::new(), value(&q, "done"), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

/// A `datetime-local` value (China Standard Time) as a UTC time.
fn local_time(text: &str) -> Option<chrono::DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok()?;
    chrono::FixedOffset::east_opt(8 * 3600)?.from_local_datetime(&naive).single().map(|d| d.with_timezone(&Utc))
}

/// Takes an action on a case; a refusal shows the case as it now is, with the reason.
#[handler]
pub async fn act(req: &Request, Path((id, action)): Path<(Uuid, String)>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let action: ComplaintAction = action.parse().map_err(|_| Fail::BadRequest)?;
        let version = value(&f, "version").and_then(|v| v.parse::<i32>().ok()).ok_or(Fail::BadRequest)?;
        let mut problems = domain::error::Validator::new();
        let rating = value(&f, "rating").map(str::parse::<Rating>).transpose().unwrap_or_else(|code| {
            problems.add("rating", code);
            None
        });
        let resolve_by = value(&f, "resolve_by").and_then(|v| {
            let parsed = local_time(v);
            if parsed.is_none() {
                problems.add("resolve_by", domain::Code::InvalidValue);
            }
            parsed
        });
        let department_id = value(&f, "department_id").and_then(|v| {
            let parsed = v.parse::<Uuid>().ok();
            if parsed.is_none() {
                problems.add("department_id", domain::Code::InvalidValue);
            }
            parsed
        });
        let outcome = match problems.finish() {
            Err(e) => Err(infra::Error::Domain(e)),
            Ok(()) => {
                let input = ActionInput {
                    version,
                    note: value(&f, "note").map(str::to_owned),
                    reason: value(&f, "reason").map(str::to_owned),
                    rating,
                    department_id: department_id.map(Into::into),
                    resolve_by,
                };
                cx.services().complaints.act(&cx.actor, id, action, input).await.map(|_| ())
            }
        };
        match outcome {
            Ok(()) => Ok(see_other(&format!("/complaints/{id}?done={}", action.as_str()))),
            Err(e) => {
                let e = super::shown(e)?;
                // Stale version, wrong moment, not yours, bad input: say so, with the case as it is now.
                let message = if matches!(e, infra::Error::Domain(DomainError::StaleVersion { .. })) {
                    cx.t.s("complaint.stale").to_owned()
                } else {
                    sentence(&cx.t, &e)
                };
                render_detail(&cx, id, message, None, status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

#[derive(Template)]
#[template(path = "file.html")]
struct FilePage {
    c: Chrome,
    estates: Vec<Choice>,
    categories: Vec<Choice>,
    priorities: Vec<Choice>,
    title: String,
    description: String,
    committee: bool,
    for_committee: bool,
    errors: HashMap<String, String>,
    error: String,
}

impl FilePage {
    fn err(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }
}

/// The estates the caller may file about: where they live, or whose committee they sit on.
async fn my_estates(cx: &Ctx, current: Option<&str>) -> Result<(Vec<Choice>, bool), Fail> {
    let mut ids = Vec::new();
    let mut committee = false;
    for b in &cx.actor.bindings {
        if let (Role::Resident | Role::OwnersCommitteeMember, Scope::Estate(e)) = (b.role, b.scope) {
            if !ids.contains(&e.0) {
                ids.push(e.0);
            }
            committee |= b.role == Role::OwnersCommitteeMember;
        }
    }
    let names = cx.services().registry.names(&ids).await?;
    let choices = ids
        .into_iter()
        .map(|id| Choice {
            selected: current == Some(&id.to_string()),
            value: id.to_string(),
            label: names.get(&id).cloned().unwrap_or_default(),
        })
        .collect();
    Ok((choices, committee))
}

async fn render_file(
    cx: &Ctx,
    f: &HashMap<String, String>,
    errors: HashMap<String, String>,
    error: String,
    code: StatusCode,
) -> PageResult {
    let t = cx.t;
    let (estates, committee) = my_estates(cx, value(f, "estate_id")).await?;
    let p = FilePage {
        c: cx.chrome("/complaints"),
        estates,
        categories: choices(
            Category::ALL.iter().map(|s| (s.as_str(), t.of("category", s.as_str()).to_owned())),
            value(f, "category"),
        ),
        priorities: choices(
            Priority::ALL.iter().map(|s| (s.as_str(), t.of("priority", s.as_str()).to_owned())),
            Some(value(f, "priority").unwrap_or("normal")),
        ),
        title: value(f, "title").unwrap_or_default().to_owned(),
        description: value(f, "description").unwrap_or_default().to_owned(),
        committee,
        for_committee: value(f, "for_committee").is_some(),
        errors,
        error,
    };
    Ok(html(code, p.render()?))
}

/// The file-a-complaint form.
#[handler]
pub async fn file_form(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        // Nothing is filled in from the address: a link cannot put words in someone's mouth.
        render_file(&cx, &HashMap::new(), HashMap::new(), String::new(), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

/// Files a case; errors come back next to their fields.
#[handler]
pub async fn file(req: &Request, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let Some(estate_id) = value(&f, "estate_id").and_then(|v| v.parse::<Uuid>().ok()) else {
            let errors = HashMap::from([("estate_id".to_owned(), cx.t.code(domain::Code::UnknownEstate).to_owned())]);
            return render_file(&cx, &f, errors, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let request = FileRequest {
            estate_id: estate_id.into(),
            category: value(&f, "category").unwrap_or_default().to_owned(),
            title: value(&f, "title").unwrap_or_default().to_owned(),
            description: value(&f, "description").unwrap_or_default().to_owned(),
            priority: value(&f, "priority").map(str::to_owned),
            for_committee: value(&f, "for_committee").is_some(),
        };
        match cx.services().complaints.file(&cx.actor, request).await {
            Ok(v) => Ok(see_other(&format!("/complaints/{}?done=file", v.complaint.id))),
            Err(infra::Error::Domain(DomainError::Validation(fields))) => {
                let errors = fields.iter().map(|e| (e.field.clone(), cx.t.code(e.code).to_owned())).collect();
                render_file(
                    &cx,
                    &f,
                    errors,
                    cx.t.code(domain::Code::ValidationFailed).to_owned(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(e @ (infra::Error::Forbidden | infra::Error::Domain(_))) => {
                let message = sentence(&cx.t, &e);
                render_file(&cx, &f, HashMap::new(), message, status_of(&e)).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(req, result)
}
