//! Cross-appointments: the list with filters, one with its history and the party branch's
//! decisions, and a community's coverage with the lists behind it.

use super::complaints::Choice;
use super::{
    ctx, ctx_post, finish, form, html, page, query, see_other, sentence, status_of, value, Ctx, Fail, PageResult,
};
use crate::view::{time, Chrome};
use askama::Template;
use domain::appointment::{AppointmentAction, AppointmentStatus};
use infra::appointments::{AppointmentFilter, AppointmentView};
use infra::paging::PageRequest;
use poem::http::StatusCode;
use poem::web::Path;
use poem::{handler, Body, Request, Response};
use uuid::Uuid;

struct Row {
    id: Uuid,
    person: String,
    home: String,
    host: String,
    title: &'static str,
    term: String,
    status: &'static str,
    status_key: &'static str,
}

fn row(cx: &Ctx, a: &AppointmentView) -> Row {
    let r = &a.record;
    Row {
        id: r.id,
        person: a.person_name.clone(),
        home: format!("{} · {}", a.home_org_name, cx.t.of("title", &a.home_title)),
        host: a.host_name.clone(),
        title: cx.t.of("host_title", r.host_title.as_str()),
        term: format!("{} – {}", r.term.start, r.term.end.map(|d| d.to_string()).unwrap_or_default()),
        status: cx.t.of("appointment", a.effective_status.as_str()),
        status_key: a.effective_status.as_str(),
    }
}

#[derive(Template)]
#[template(path = "appointments.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    statuses: Vec<Choice>,
    next: String,
    export: String,
}

/// Appointments the caller may read, filtered by status.
#[handler]
pub async fn list(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let status =
            value(&q, "status").map(str::parse::<AppointmentStatus>).transpose().map_err(|_| Fail::BadRequest)?;
        let filter = AppointmentFilter { status, ..AppointmentFilter::default() };
        let page_req = PageRequest::parse(None, value(&q, "cursor")).map_err(|e| Fail::Use(e.into()))?;
        let rows = cx.services().appointments.list(&cx.actor, filter, page_req).await?;
        let next = rows.next_cursor.map_or_else(String::new, |c| {
            let s = value(&q, "status").map(|s| format!("status={s}&")).unwrap_or_default();
            format!("/appointments?{s}cursor={c}")
        });
        let p = ListPage {
            c: cx.chrome("/appointments"),
            rows: rows.items.iter().map(|a| row(&cx, a)).collect(),
            statuses: AppointmentStatus::ALL
                .iter()
                .map(|s| Choice {
                    value: s.as_str().to_owned(),
                    label: cx.t.of("appointment", s.as_str()).to_owned(),
                    selected: status == Some(*s),
                })
                .collect(),
            next,
            export: value(&q, "status").map_or_else(
                || "/appointments/export.csv".to_owned(),
                |s| format!("/appointments/export.csv?status={s}"),
            ),
        };
        page(&p)
    }
    .await;
    finish(req, result)
}

struct EventRow {
    at: String,
    action: &'static str,
    to: &'static str,
    note: String,
}

struct DecisionForm {
    action: &'static str,
    label: &'static str,
    reason: bool,
}

#[derive(Template)]
#[template(path = "appointment.html")]
struct DetailPage {
    c: Chrome,
    a: Row,
    version: i32,
    basis: String,
    in_force: bool,
    end_reason: String,
    events: Vec<EventRow>,
    forms: Vec<DecisionForm>,
    error: String,
}

async fn render_detail(cx: &Ctx, id: Uuid, error: String, code: StatusCode) -> PageResult {
    let (view, history) = cx.services().appointments.get(&cx.actor, id).await?;
    let forms = cx
        .services()
        .appointments
        .allowed_actions(&cx.actor, &view)
        .into_iter()
        .map(|a| DecisionForm {
            action: a.as_str(),
            label: cx.t.of("appointment_action", a.as_str()),
            reason: a.needs_reason(),
        })
        .collect();
    let p = DetailPage {
        c: cx.chrome("/appointments"),
        a: row(cx, &view),
        version: view.record.version,
        basis: view.record.basis.clone(),
        in_force: view.in_force,
        end_reason: view.record.end_reason.clone().unwrap_or_default(),
        events: history
            .into_iter()
            .map(|e| EventRow {
                at: time(e.at),
                action: cx.t.of("appointment_action", &e.action),
                to: cx.t.of("appointment", &e.to_status),
                note: e.note.unwrap_or_default(),
            })
            .collect(),
        forms,
        error,
    };
    Ok(html(code, p.render()?))
}

/// One appointment with its history and the decisions the caller may take.
#[handler]
pub async fn detail(req: &Request, Path(id): Path<Uuid>) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        render_detail(&cx, id, String::new(), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

/// Approve, reject, end or revoke, with a note.
#[handler]
pub async fn act(req: &Request, Path((id, action)): Path<(Uuid, String)>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let action: AppointmentAction = action.parse().map_err(|_| Fail::BadRequest)?;
        if action == AppointmentAction::Propose {
            return Err(Fail::BadRequest);
        }
        let version = value(&f, "version").and_then(|v| v.parse::<i32>().ok()).ok_or(Fail::BadRequest)?;
        let note = value(&f, "note").map(str::to_owned);
        match cx.services().appointments.act(&cx.actor, id, action, version, note).await {
            Ok(_) => Ok(see_other(&format!("/appointments/{id}"))),
            Err(e) => {
                let e = super::shown(e)?;
                let message = sentence(&cx.t, &e);
                render_detail(&cx, id, message, status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

struct CoverageRow {
    name: String,
    company: String,
    covered: bool,
    appointments: Vec<Uuid>,
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    c: Chrome,
    community: String,
    as_of: String,
    estates: Vec<CoverageRow>,
    committees: Vec<CoverageRow>,
    estates_covered: usize,
    committees_covered: usize,
}

/// A community's two-way-entry coverage: which estates and committees are covered, and by what.
#[handler]
pub async fn coverage(req: &Request, Path(id): Path<Uuid>) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let cov = cx.services().appointments.coverage(&cx.actor, id.into()).await?;
        let names = cx.services().registry.names(&[id]).await?;
        let rows = |items: &[infra::appointments::CoverageItem]| -> Vec<CoverageRow> {
            items
                .iter()
                .map(|i| CoverageRow {
                    name: i.name.clone(),
                    company: i.company_name.clone().unwrap_or_default(),
                    covered: i.covered,
                    appointments: i.appointment_ids.clone(),
                })
                .collect()
        };
        let p = CoveragePage {
            c: cx.chrome("/appointments"),
            community: names.get(&id).cloned().unwrap_or_default(),
            as_of: cov.as_of.to_string(),
            estates_covered: cov.estates.iter().filter(|i| i.covered).count(),
            committees_covered: cov.committees.iter().filter(|i| i.covered).count(),
            estates: rows(&cov.estates),
            committees: rows(&cov.committees),
        };
        page(&p)
    }
    .await;
    finish(req, result)
}

struct Option2 {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "propose.html")]
struct ProposePage {
    c: Chrome,
    posts: Vec<Option2>,
    hosts: Vec<Option2>,
    titles: Vec<Option2>,
    starts_on: String,
    ends_on: String,
    basis: String,
    error: String,
}

/// The communities whose people and organizations the caller proposes among: those of their
/// community-wide roles (every community for administrators).
async fn proposing_in(cx: &Ctx) -> Result<Vec<Uuid>, Fail> {
    let mut ids: Vec<Uuid> = cx
        .actor
        .bindings
        .iter()
        .filter_map(|b| if let domain::authz::Scope::Community(c) = b.scope { Some(c.0) } else { None })
        .collect();
    if cx.actor.is_admin {
        let all = PageRequest { limit: infra::paging::MAX_LIMIT, after: None };
        let communities =
            cx.services().registry.list_communities(&cx.actor, infra::registry::Filter::default(), all).await?;
        ids.extend(communities.items.into_iter().map(|c| c.id.0));
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The home posts (person, organization, title) and the hosts of the caller's communities.
async fn propose_choices(cx: &Ctx) -> Result<(Vec<(Option2, Uuid)>, Vec<Option2>), Fail> {
    let s = cx.services();
    let all = PageRequest { limit: infra::paging::MAX_LIMIT, after: None };
    let mut posts = Vec::new();
    let mut hosts = Vec::new();
    for community in proposing_in(cx).await? {
        let filter =
            infra::registry::Filter { community_id: Some(community.into()), ..infra::registry::Filter::default() };
        let community_posts = super::registry::readable(s.registry.list_posts(&cx.actor, filter, all).await)?;
        let people = super::registry::readable(s.registry.list_people(&cx.actor, filter, all).await)?;
        let contracts = super::registry::readable(s.registry.list_contracts(&cx.actor, filter, all).await)?;
        let committees = super::registry::readable(s.registry.list_committees(&cx.actor, filter, all).await)?;
        let mut ids: Vec<Uuid> = community_posts.iter().map(|p| p.org_id).collect();
        ids.extend(contracts.iter().map(|c| c.company_id.0));
        ids.push(community);
        let names = s.registry.names(&ids).await?;
        let name = |id: &Uuid| names.get(id).cloned().unwrap_or_default();
        for p in community_posts
            .iter()
            .filter(|p| p.title != domain::registry::PostTitle::Resident && !p.awaiting_acceptance)
        {
            let person = people.iter().find(|x| x.id == p.person_id).map(|x| x.name.clone()).unwrap_or_default();
            let label = format!("{person} · {} · {}", name(&p.org_id), cx.t.of("title", p.title.as_str()));
            posts.push((Option2 { value: p.id.0.to_string(), label }, p.person_id.0));
        }
        hosts.push(Option2 {
            value: format!("community_committees:{community}"),
            label: format!("{} · {}", name(&community), cx.t.s("host.community_committees")),
        });
        let mut companies: Vec<Uuid> = contracts.iter().map(|c| c.company_id.0).collect();
        companies.sort();
        companies.dedup();
        for company in companies {
            hosts.push(Option2 { value: format!("property_company:{company}"), label: name(&company) });
        }
        for committee in committees {
            hosts.push(Option2 { value: format!("owners_committee:{}", committee.id.0), label: committee.name });
        }
    }
    Ok((posts, hosts))
}

async fn render_propose(
    cx: &Ctx,
    f: &std::collections::HashMap<String, String>,
    error: String,
    code: StatusCode,
) -> PageResult {
    let (posts, hosts) = propose_choices(cx).await?;
    let today = cx.services().clock.today();
    let p = ProposePage {
        c: cx.chrome("/appointments"),
        posts: posts.into_iter().map(|(o, _)| o).collect(),
        hosts,
        titles: domain::appointment::HostTitle::ALL
            .iter()
            .map(|t| Option2 { value: t.as_str().to_owned(), label: cx.t.of("host_title", t.as_str()).to_owned() })
            .collect(),
        starts_on: value(f, "starts_on").map_or_else(|| today.to_string(), str::to_owned),
        ends_on: value(f, "ends_on").map_or_else(
            || {
                today
                    .checked_add_months(chrono::Months::new(36))
                    .map(|d| d.pred_opt().unwrap_or(d))
                    .unwrap_or(today)
                    .to_string()
            },
            str::to_owned,
        ),
        basis: value(f, "basis").unwrap_or_default().to_owned(),
        error,
    };
    Ok(html(code, p.render()?))
}

/// The form to propose a cross-appointment.
#[handler]
pub async fn propose_form(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        // Nothing is filled in from the address: a link cannot put words in someone's mouth.
        render_propose(&cx, &std::collections::HashMap::new(), String::new(), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

/// Proposes a cross-appointment: the person comes with the home post chosen.
#[handler]
pub async fn propose(req: &Request, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let (posts, _) = propose_choices(&cx).await?;
        let post = value(&f, "home_post_id").and_then(|v| v.parse::<Uuid>().ok()).ok_or(Fail::BadRequest)?;
        let Some(person) = posts.iter().find(|(o, _)| o.value == post.to_string()).map(|(_, person)| *person) else {
            return render_propose(
                &cx,
                &f,
                cx.t.code(domain::Code::HomePostNotHeld).to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        };
        let (host_kind, host_id) = value(&f, "host").and_then(|h| h.split_once(':')).ok_or(Fail::BadRequest)?;
        let host_id = host_id.parse::<Uuid>().map_err(|_| Fail::BadRequest)?;
        let date = |key: &str| value(&f, key).and_then(|v| v.parse::<chrono::NaiveDate>().ok()).ok_or(Fail::BadRequest);
        let request = infra::appointments::ProposeRequest {
            person_id: person.into(),
            home_post_id: post.into(),
            host_kind: host_kind.to_owned(),
            host_id,
            host_title: value(&f, "host_title").unwrap_or_default().to_owned(),
            starts_on: date("starts_on")?,
            ends_on: date("ends_on")?,
            basis: value(&f, "basis").unwrap_or_default().to_owned(),
            community_id: None,
            note: value(&f, "note").map(str::to_owned),
        };
        match cx.services().appointments.propose(&cx.actor, request).await {
            Ok(view) => Ok(see_other(&format!("/appointments/{}", view.record.id))),
            Err(e @ (infra::Error::Domain(_) | infra::Error::Forbidden)) => {
                let message = sentence(&cx.t, &e);
                render_propose(&cx, &f, message, status_of(&e)).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(req, result)
}

/// Where an export looks: the whole county for those who read it all, else the first community
/// where the caller holds a community-wide role.
fn export_scope(cx: &Ctx) -> Option<domain::ids::CommunityId> {
    let county = cx.actor.is_admin || cx.actor.bindings.iter().any(|b| b.role == domain::authz::Role::CountyOverseer);
    if county {
        return None;
    }
    cx.actor.bindings.iter().find_map(|b| if let domain::authz::Scope::Community(c) = b.scope { Some(c) } else { None })
}

/// The list as CSV for spreadsheets (UTF-8 with a byte-order mark), with the list's filter.
#[handler]
pub async fn export(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let status =
            value(&q, "status").map(str::parse::<AppointmentStatus>).transpose().map_err(|_| Fail::BadRequest)?;
        let filter = AppointmentFilter { status, community_id: export_scope(&cx), ..AppointmentFilter::default() };
        let rows = cx.services().appointments.export(&cx.actor, filter).await?;
        Ok(Response::builder()
            .status(StatusCode::OK)
            .header(poem::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")
            .header(poem::http::header::CONTENT_DISPOSITION, "attachment; filename=\"cross-appointments.csv\"")
            .body(infra::csv::appointments(&rows)))
    }
    .await;
    finish(req, result)
}
