//! Changing a registry record's fields after it is made: one form per kind of record, filled
//! with what is stored now, saved through the same registry use case as the API's PATCH, with
//! the refusal beside its field. A phone the caller sees masked is never put in the form (it
//! would be saved back masked): the field is left empty and only a new number changes it.

use super::registry::Form;
use super::{ctx, ctx_post, finish, form, html, local_path, query, see_other, shown, value, Ctx, Fail, PageResult};
use crate::view::Chrome;
use askama::Template;
use infra::registry::{EstatePatch, PersonPatch, PostPatch, TermPatch};
use poem::http::StatusCode;
use poem::web::Path;
use poem::{handler, Body, Request, Response};
use std::collections::HashMap;
use uuid::Uuid;

/// The kinds of record this page changes.
#[derive(Clone, Copy)]
enum Kind {
    Estate,
    Company,
    Department,
    Person,
    Contract,
    Committee,
    Post,
    Grid,
}

impl Kind {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "estates" => Self::Estate,
            "companies" => Self::Company,
            "departments" => Self::Department,
            "people" => Self::Person,
            "contracts" => Self::Contract,
            "committees" => Self::Committee,
            "posts" => Self::Post,
            "grids" => Self::Grid,
            _ => return None,
        })
    }
}

/// One input of the form.
struct Field {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    value: String,
    max: usize,
    error: String,
    hint: &'static str,
}

#[derive(Template)]
#[template(path = "edit.html")]
struct EditPage {
    c: Chrome,
    title: String,
    action: String,
    back: String,
    fields: Vec<Field>,
    error: String,
}

fn field(cx: &Ctx, name: &'static str, kind: &'static str, value: String, max: usize) -> Field {
    Field { name, label: cx.t.s(&format!("field.{name}")), kind, value, max, error: String::new(), hint: "" }
}

/// The record's fields as stored now, and its name for the heading.
async fn current(cx: &Ctx, kind: Kind, id: Uuid) -> Result<(String, Vec<Field>), Fail> {
    let r = &cx.services().registry;
    let m = crate::view::LIMITS;
    Ok(match kind {
        Kind::Estate => {
            let e = r.get_estate(&cx.actor, id.into()).await?;
            (
                e.name.clone(),
                vec![field(cx, "name", "text", e.name, m.name), field(cx, "address", "text", e.address, m.address)],
            )
        }
        Kind::Company => {
            let c = r.get_company(&cx.actor, id.into()).await?;
            (
                c.name.clone(),
                vec![
                    field(cx, "name", "text", c.name, m.company),
                    field(cx, "credit_code", "text", c.credit_code.as_str().to_owned(), m.credit_code),
                    field(cx, "address", "text", c.address, m.address),
                ],
            )
        }
        Kind::Department => {
            let d = r.get_department(&cx.actor, id.into()).await?;
            (d.name.clone(), vec![field(cx, "name", "text", d.name, m.name)])
        }
        Kind::Person => {
            let p = r.get_person(&cx.actor, id.into()).await?;
            let mut phone =
                field(cx, "phone", "tel", if p.phone_masked { String::new() } else { p.phone.unwrap_or_default() }, 20);
            if p.phone_masked {
                phone.hint = cx.t.s("edit.phone_masked");
            }
            (p.name.clone(), vec![field(cx, "name", "text", p.name, m.person), phone])
        }
        Kind::Post => {
            let p = r.get_post(&cx.actor, id.into()).await?;
            let ends = p.term.end.map(|d| d.to_string()).unwrap_or_default();
            (
                cx.t.of("title", p.title.as_str()).to_owned(),
                vec![
                    Field {
                        label: cx.t.s("field.title_code"),
                        hint: cx.t.s("edit.title_codes"),
                        ..field(cx, "title", "text", p.title.as_str().to_owned(), 40)
                    },
                    field(cx, "ends_on", "date", ends, 10),
                ],
            )
        }
        Kind::Grid => {
            let g = r.get_grid(&cx.actor, id.into()).await?;
            (g.name.clone(), vec![field(cx, "name", "text", g.name, m.name)])
        }
        Kind::Contract | Kind::Committee => {
            let (heading, term, label, label_field) = if let Kind::Contract = kind {
                let c = r.get_contract(&cx.actor, id.into()).await?;
                (c.reference.clone().unwrap_or_default(), c.term, c.reference.unwrap_or_default(), "reference")
            } else {
                let c = r.get_committee(&cx.actor, id.into()).await?;
                (c.name.clone(), c.term, c.name, "name")
            };
            let ends = term.end.map(|d| d.to_string()).unwrap_or_default();
            (
                heading,
                vec![
                    field(cx, label_field, "text", label, m.label),
                    field(cx, "starts_on", "date", term.start.to_string(), 10),
                    field(cx, "ends_on", "date", ends, 10),
                ],
            )
        }
    })
}

async fn render(
    cx: &Ctx,
    kind_path: &str,
    kind: Kind,
    id: Uuid,
    back: &str,
    sent: Option<(&HashMap<String, String>, Form)>,
    code: StatusCode,
) -> PageResult {
    let (name, mut fields) = current(cx, kind, id).await?;
    let mut error = String::new();
    if let Some((values, refused)) = sent {
        for f in &mut fields {
            if let Some(v) = values.get(f.name) {
                f.value.clone_from(v);
            }
            f.error = refused.err(f.name).to_owned();
        }
        error = refused.error;
    }
    let p = EditPage {
        c: cx.chrome("/registry"),
        title: cx.t.f("edit.title", &name),
        action: format!("/registry/edit/{kind_path}/{id}"),
        back: back.to_owned(),
        fields,
        error,
    };
    Ok(html(code, p.render()?))
}

/// The form to change a record, filled with what is stored now.
#[handler]
pub async fn edit_form(req: &Request, Path((kind_path, id)): Path<(String, Uuid)>) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let kind = Kind::parse(&kind_path).ok_or(Fail::BadRequest)?;
        let back = local_path(value(&query(req), "back"));
        render(&cx, &kind_path, kind, id, &back, None, StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

fn date(f: &HashMap<String, String>, key: &str) -> Result<Option<chrono::NaiveDate>, infra::Error> {
    value(f, key)
        .map(|v| {
            v.parse::<chrono::NaiveDate>()
                .map_err(|_| domain::DomainError::field(key, domain::Code::InvalidValue).into())
        })
        .transpose()
}

async fn save(cx: &Ctx, kind: Kind, id: Uuid, f: &HashMap<String, String>) -> infra::error::Result<()> {
    let r = &cx.services().registry;
    let text = |k: &str| value(f, k).map(str::to_owned);
    match kind {
        Kind::Estate => {
            let patch = EstatePatch { name: text("name"), address: text("address"), grid_id: None };
            r.update_estate(&cx.actor, id.into(), patch).await.map(|_| ())
        }
        Kind::Company => {
            r.update_company(&cx.actor, id.into(), text("name"), text("credit_code"), text("address")).await.map(|_| ())
        }
        Kind::Department => r.update_department(&cx.actor, id.into(), text("name")).await.map(|_| ()),
        Kind::Person => {
            // An empty phone field leaves the phone as it is (it may be one the caller sees masked).
            let patch = PersonPatch { name: text("name"), phone: text("phone").map(Some), is_party_member: None };
            r.update_person(&cx.actor, id.into(), patch).await.map(|_| ())
        }
        Kind::Contract => {
            let patch =
                TermPatch { starts_on: date(f, "starts_on")?, ends_on: date(f, "ends_on")?, label: text("reference") };
            r.update_contract(&cx.actor, id.into(), patch).await.map(|_| ())
        }
        Kind::Committee => {
            let patch =
                TermPatch { starts_on: date(f, "starts_on")?, ends_on: date(f, "ends_on")?, label: text("name") };
            r.update_committee(&cx.actor, id.into(), patch).await.map(|_| ())
        }
        Kind::Post => {
            let patch = PostPatch { title: text("title"), ends_on: date(f, "ends_on")?.map(Some) };
            r.update_post(&cx.actor, id.into(), patch).await.map(|_| ())
        }
        Kind::Grid => r.update_grid(&cx.actor, id.into(), text("name")).await.map(|_| ()),
    }
}

/// Saves the form; back to where the caller came from, or the form again with the refusal.
#[handler]
pub async fn edit(req: &Request, Path((kind_path, id)): Path<(String, Uuid)>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let kind = Kind::parse(&kind_path).ok_or(Fail::BadRequest)?;
        let back = local_path(value(&f, "back"));
        match save(&cx, kind, id, &f).await {
            Ok(()) => Ok(see_other(&back)),
            Err(e) => {
                let e = shown(e)?;
                let refused = Form::refused(&cx, f.clone(), &e);
                render(&cx, &kind_path, kind, id, &back, Some((&f, refused)), super::status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}
