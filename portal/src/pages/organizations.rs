//! Property companies and departments as administrators keep them: the list, a form to
//! register one, and a form to end one with a reason. Every change goes through the same
//! registry use cases, and every refusal comes back as the API's message beside its field.

use super::registry::{readable, Form};
use super::{ctx, ctx_post, finish, form, html, see_other, shown, value, Ctx, PageResult};
use crate::view::Chrome;
use askama::Template;
use domain::registry::PropertyCompanyInput;
use infra::paging::{PageRequest, MAX_LIMIT};
use infra::registry::Filter;
use poem::http::StatusCode;
use poem::web::Path;
use poem::{handler, Body, Request, Response};
use uuid::Uuid;

/// Which kind of organization a page keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Company,
    Department,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Self::Company => "/registry/companies",
            Self::Department => "/registry/departments",
        }
    }
}

struct Row {
    id: Uuid,
    name: String,
    detail: String,
    ended: bool,
}

#[derive(Template)]
#[template(path = "organizations.html")]
struct OrganizationsPage {
    c: Chrome,
    title: &'static str,
    path: &'static str,
    /// The kind's name in edit links.
    kind: &'static str,
    companies: bool,
    rows: Vec<Row>,
    admin: bool,
    form: Form,
}

async fn render(cx: &Ctx, kind: Kind, form: Form, code: StatusCode) -> PageResult {
    let all = PageRequest { limit: MAX_LIMIT, after: None };
    let s = cx.services();
    let rows = match kind {
        Kind::Company => readable(s.registry.list_companies(&cx.actor, Filter::default(), all).await)?
            .into_iter()
            .map(|c| Row {
                id: c.id.0,
                name: c.name,
                detail: format!("{} · {}", c.credit_code.as_str(), c.address),
                ended: c.life.ended_at.is_some(),
            })
            .collect(),
        Kind::Department => readable(s.registry.list_departments(&cx.actor, Filter::default(), all).await)?
            .into_iter()
            .map(|d| Row { id: d.id.0, name: d.name, detail: String::new(), ended: d.life.ended_at.is_some() })
            .collect(),
    };
    let p = OrganizationsPage {
        c: cx.chrome("/registry"),
        title: cx.t.s(if kind == Kind::Company { "registry.companies" } else { "registry.departments" }),
        path: kind.path(),
        kind: if kind == Kind::Company { "companies" } else { "departments" },
        companies: kind == Kind::Company,
        rows,
        admin: cx.actor.is_admin,
        form,
    };
    Ok(html(code, p.render()?))
}

async fn list(req: &Request, kind: Kind) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        render(&cx, kind, Form::default(), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

/// The property companies of the county.
#[handler]
pub async fn companies(req: &Request) -> Response {
    list(req, Kind::Company).await
}

/// The government departments.
#[handler]
pub async fn departments(req: &Request) -> Response {
    list(req, Kind::Department).await
}

async fn create(req: &Request, body: Body, kind: Kind) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let field = |k: &str| value(&f, k).unwrap_or_default();
        let s = cx.services();
        let made = match kind {
            Kind::Company => {
                match PropertyCompanyInput::validate(field("name"), field("credit_code"), field("address")) {
                    Ok(input) => s.registry.create_company(&cx.actor, input).await.map(|_| ()),
                    Err(e) => Err(e.into()),
                }
            }
            Kind::Department => s.registry.create_department(&cx.actor, field("name")).await.map(|_| ()),
        };
        match made {
            Ok(()) => Ok(see_other(kind.path())),
            Err(e) => {
                let e = shown(e)?;
                render(&cx, kind, Form::refused(&cx, f, &e), super::status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

/// Registers a property company (administrators).
#[handler]
pub async fn create_company(req: &Request, body: Body) -> Response {
    create(req, body, Kind::Company).await
}

/// Registers a department (administrators).
#[handler]
pub async fn create_department(req: &Request, body: Body) -> Response {
    create(req, body, Kind::Department).await
}

async fn end(req: &Request, id: Uuid, body: Body, kind: Kind) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let reason = value(&f, "reason").map(str::to_owned);
        let s = cx.services();
        let ended = match kind {
            Kind::Company => s.registry.end_company(&cx.actor, id.into(), reason).await.map(|_| ()),
            Kind::Department => s.registry.end_department(&cx.actor, id.into(), reason).await.map(|_| ()),
        };
        match ended {
            Ok(()) => Ok(see_other(kind.path())),
            Err(e) => {
                let e = shown(e)?;
                render(&cx, kind, Form::refused(&cx, f, &e), super::status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

/// Ends a property company (administrators): its contracts and staff posts end with it.
#[handler]
pub async fn end_company(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    end(req, id, body, Kind::Company).await
}

/// Ends a department (administrators).
#[handler]
pub async fn end_department(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    end(req, id, body, Kind::Department).await
}
