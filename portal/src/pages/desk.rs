//! My desk (工作台): by role, what waits for me, most urgent first, overdue in red.

use super::{ctx, finish, page, see_other, Ctx, Fail, PageResult};
use crate::view::{deadline, Chrome};
use askama::Template;
use domain::authz::{Role, Scope};
use domain::complaint::ComplaintStatus;
use infra::appointments::AppointmentFilter;
use infra::complaints::{ComplaintFilter, ComplaintView};
use infra::paging::PageRequest;
use poem::{handler, Request, Response};
use uuid::Uuid;

/// `/`: the desk for someone signed in, the sign-in page otherwise.
#[handler]
pub fn home() -> Response {
    see_other("/desk")
}

/// A case in a list.
pub struct CaseRow {
    pub id: Uuid,
    pub case_number: String,
    pub title: String,
    pub estate: String,
    pub status: &'static str,
    pub status_key: &'static str,
    /// The deadline that matters now, as a sentence.
    pub due: String,
    pub overdue: bool,
}

impl CaseRow {
    /// A row for `v`, with the deadline that matters in its state.
    #[must_use]
    pub fn of(cx: &Ctx, v: &ComplaintView) -> Self {
        let c = &v.complaint;
        let now = cx.services().clock.now();
        let (due, overdue) = if c.status == ComplaintStatus::Submitted {
            deadline(&cx.t, c.respond_by, now)
        } else if c.status.is_open() {
            deadline(&cx.t, c.resolve_by, now)
        } else {
            (String::new(), false)
        };
        Self {
            id: c.id,
            case_number: c.case_number.clone(),
            title: c.title.clone(),
            estate: v.estate_name.clone(),
            status: cx.t.of("status", c.status.as_str()),
            status_key: c.status.as_str(),
            due,
            overdue,
        }
    }
}

/// One list on the desk, with a link to all of it.
pub struct Section {
    pub title: &'static str,
    pub rows: Vec<CaseRow>,
    pub more: String,
}

struct LoadRow {
    community_id: Uuid,
    name: String,
    open: u32,
    overdue: u32,
    disputed: u32,
}

struct ProposalRow {
    id: Uuid,
    person: String,
    host: String,
    title: &'static str,
}

struct Offer {
    post_id: Uuid,
    org: String,
    title: String,
}

#[derive(Template)]
#[template(path = "desk.html")]
struct DeskPage {
    c: Chrome,
    offers: Vec<Offer>,
    sections: Vec<Section>,
    proposals: Vec<ProposalRow>,
    coverage: Vec<(Uuid, String)>,
    load: Vec<LoadRow>,
    can_file: bool,
    nothing: bool,
    tasks: Vec<super::meetings::TaskRow>,
}

const DESK_ROWS: u64 = 20;

/// The cases in `status` (or overdue) that the actor may read, most urgent first.
async fn section(cx: &Ctx, title: &'static str, filter: ComplaintFilter, more: &str) -> Result<Section, Fail> {
    let page = cx.services().complaints.list(&cx.actor, filter, PageRequest { limit: DESK_ROWS, after: None }).await?;
    let mut views = page.items;
    views.sort_by_key(|v| {
        let c = &v.complaint;
        if c.status == ComplaintStatus::Submitted {
            c.respond_by
        } else {
            c.resolve_by
        }
    });
    Ok(Section { title, rows: views.iter().map(|v| CaseRow::of(cx, v)).collect(), more: more.to_owned() })
}

/// The desk: what waits for each of my roles.
#[handler]
pub async fn desk(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let t = cx.t;
        let roles: Vec<Role> = cx.actor.bindings.iter().map(|b| b.role).collect();
        let has = |any: &[Role]| roles.iter().any(|r| any.contains(r));
        // Each list is scoped to where the role is held, so a desk shows nothing of another
        // company, community or department even where the caller may read more.
        let scopes = |any: &[Role]| -> Vec<Scope> {
            let mut found: Vec<Scope> = Vec::new();
            for b in cx.actor.bindings.iter().filter(|b| any.contains(&b.role)) {
                if !found.contains(&b.scope) {
                    found.push(b.scope);
                }
            }
            found
        };
        let mut sections = Vec::new();
        for scope in scopes(&[Role::PropertyManager, Role::PropertyStaff]) {
            let Scope::Company(company) = scope else { continue };
            let f = |s| ComplaintFilter { company_id: Some(company), status: Some(s), ..ComplaintFilter::default() };
            let more = |s: &str| format!("/complaints?status={s}");
            sections
                .push(section(&cx, t.s("desk.to_accept"), f(ComplaintStatus::Submitted), &more("submitted")).await?);
            sections.push(section(&cx, t.s("desk.to_resolve"), f(ComplaintStatus::Accepted), &more("accepted")).await?);
            sections.push(section(&cx, t.s("desk.disputed"), f(ComplaintStatus::Disputed), &more("disputed")).await?);
        }
        for scope in scopes(&[Role::OwnersCommitteeMember]) {
            let Scope::Estate(estate) = scope else { continue };
            let more = |q: &str| format!("/complaints?estate_id={}&{q}", estate.0);
            let resolved = ComplaintFilter {
                estate_id: Some(estate),
                status: Some(ComplaintStatus::Resolved),
                ..ComplaintFilter::default()
            };
            sections.push(section(&cx, t.s("desk.to_check"), resolved, &more("status=resolved")).await?);
            let late = ComplaintFilter { estate_id: Some(estate), overdue: Some(true), ..ComplaintFilter::default() };
            sections.push(section(&cx, t.s("desk.overdue"), late, &more("overdue=yes")).await?);
        }
        for scope in scopes(&[Role::PartyBranchSecretary, Role::PartyBranchMember, Role::ResidentsCommitteeMember]) {
            let Scope::Community(community) = scope else { continue };
            let f =
                |s| ComplaintFilter { community_id: Some(community), status: Some(s), ..ComplaintFilter::default() };
            let more = |s: &str| format!("/complaints?community_id={}&status={s}", community.0);
            sections.push(section(&cx, t.s("desk.to_mediate"), f(ComplaintStatus::Disputed), &more("disputed")).await?);
            sections
                .push(section(&cx, t.s("desk.mediating"), f(ComplaintStatus::Mediating), &more("mediating")).await?);
            sections
                .push(section(&cx, t.s("desk.escalated"), f(ComplaintStatus::Escalated), &more("escalated")).await?);
            let late =
                ComplaintFilter { community_id: Some(community), overdue: Some(true), ..ComplaintFilter::default() };
            sections.push(
                section(
                    &cx,
                    t.s("desk.overdue"),
                    late,
                    &format!("/complaints?community_id={}&overdue=yes", community.0),
                )
                .await?,
            );
        }
        for scope in scopes(&[Role::DepartmentOfficer]) {
            let Scope::Department(department) = scope else { continue };
            let f = ComplaintFilter {
                department_id: Some(department),
                status: Some(ComplaintStatus::Escalated),
                ..ComplaintFilter::default()
            };
            sections.push(section(&cx, t.s("desk.to_report"), f, "/complaints?status=escalated").await?);
        }
        if has(&[Role::Resident]) {
            let mine = ComplaintFilter { mine: true, ..ComplaintFilter::default() };
            sections.push(section(&cx, t.s("desk.mine"), mine, "/complaints?mine=on").await?);
        }
        let mut proposals = Vec::new();
        let mut coverage = Vec::new();
        if has(&[Role::PartyBranchSecretary]) {
            let filter = AppointmentFilter {
                status: Some(domain::appointment::AppointmentStatus::Proposed),
                ..AppointmentFilter::default()
            };
            let page = cx
                .services()
                .appointments
                .list(&cx.actor, filter, PageRequest { limit: DESK_ROWS, after: None })
                .await?;
            proposals = page
                .items
                .into_iter()
                .map(|a| ProposalRow {
                    id: a.record.id,
                    person: a.person_name,
                    host: a.host_name,
                    title: t.of("host_title", a.record.host_title.as_str()),
                })
                .collect();
            let communities = cx.where_held(Role::PartyBranchSecretary);
            let names = cx.services().registry.names(&communities).await?;
            coverage = communities.into_iter().map(|id| (id, names.get(&id).cloned().unwrap_or_default())).collect();
        }
        let mut load = Vec::new();
        if cx.actor.is_admin || has(&[Role::CountyOverseer]) {
            let rows = cx.services().complaints.open_by_community(&cx.actor).await?;
            let names =
                cx.services().registry.names(&rows.iter().map(|r| r.community_id.0).collect::<Vec<_>>()).await?;
            load = rows
                .into_iter()
                .map(|r| LoadRow {
                    community_id: r.community_id.0,
                    name: names.get(&r.community_id.0).cloned().unwrap_or_default(),
                    open: r.open,
                    overdue: r.overdue,
                    disputed: r.disputed,
                })
                .collect();
        }
        let offers = super::account::invitation_rows(&cx)
            .await?
            .into_iter()
            .map(|(post_id, org, title)| Offer { post_id, org, title })
            .collect::<Vec<_>>();
        let tasks = super::meetings::desk_tasks(&cx).await?;
        let nothing =
            sections.is_empty() && proposals.is_empty() && load.is_empty() && offers.is_empty() && tasks.is_empty();
        let p = DeskPage {
            c: cx.chrome("/desk"),
            can_file: has(&[Role::Resident, Role::OwnersCommitteeMember]),
            offers,
            sections,
            proposals,
            coverage,
            load,
            nothing,
            tasks,
        };
        page(&p)
    }
    .await;
    finish(req, result)
}
