//! The registry as people browse it: communities, then a community's estates with the company
//! serving each (and its contract) and the owners' committee, and the community's people with
//! phones masked exactly as the API masks them. Changes to the registry are made through the
//! API for now (see the README).

use super::{ctx, ctx_post, finish, form, see_other, shown, value, Ctx, Fail, PageResult};
use crate::view::Chrome;
use askama::Template;
use domain::registry::{CommunityInput, EstateInput};
use infra::paging::{PageRequest, MAX_LIMIT};
use infra::registry::Filter;
use poem::http::StatusCode;
use poem::web::Path;
use poem::{handler, Body, Request, Response};
use std::collections::HashMap;
use uuid::Uuid;

fn all() -> PageRequest {
    PageRequest { limit: MAX_LIMIT, after: None }
}

struct CommunityRow {
    id: Uuid,
    name: String,
    code: String,
    street: String,
}

#[derive(Template)]
#[template(path = "registry.html")]
struct CommunitiesPage {
    c: Chrome,
    rows: Vec<CommunityRow>,
    /// Administrators get the form for a new community.
    admin: bool,
    form: Form,
}

/// What a form sent back, with the message of every invalid field.
#[derive(Default)]
pub(crate) struct Form {
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    pub(crate) error: String,
}

impl Form {
    pub(crate) fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    pub(crate) fn err(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }

    /// The form as sent, with the refusal: field messages beside their fields, or a sentence.
    pub(crate) fn refused(cx: &Ctx, values: HashMap<String, String>, e: &infra::Error) -> Self {
        let errors = match e {
            infra::Error::Domain(domain::DomainError::Validation(fields)) => {
                fields.iter().map(|f| (f.field.clone(), cx.t.code(f.code).to_owned())).collect()
            }
            _ => HashMap::new(),
        };
        Self { values, errors, error: super::sentence(&cx.t, e) }
    }
}

async fn render_communities(cx: &Ctx, form: Form, code: StatusCode) -> PageResult {
    let rows = cx.services().registry.list_communities(&cx.actor, Filter::default(), all()).await?;
    let p = CommunitiesPage {
        c: cx.chrome("/registry"),
        rows: rows
            .items
            .into_iter()
            .map(|c| CommunityRow { id: c.id.0, name: c.name, code: c.code, street: c.street })
            .collect(),
        admin: cx.actor.is_admin,
        form,
    };
    Ok(super::html(code, p.render()?))
}

/// The communities of the county.
#[handler]
pub async fn communities(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        render_communities(&cx, Form::default(), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

/// Registers a community (administrators).
#[handler]
pub async fn create_community(req: &Request, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let made = match CommunityInput::validate(
            value(&f, "name").unwrap_or_default(),
            value(&f, "code").unwrap_or_default(),
            value(&f, "street").unwrap_or_default(),
        ) {
            Ok(input) => cx.services().registry.create_community(&cx.actor, input).await,
            Err(e) => Err(e.into()),
        };
        match made {
            Ok(c) => Ok(see_other(&format!("/registry/communities/{}", c.id.0))),
            Err(e) => {
                let e = shown(e)?;
                render_communities(&cx, Form::refused(&cx, f, &e), super::status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

struct EstateRow {
    id: Uuid,
    ended: bool,
    contract_id: Option<Uuid>,
    committee_id: Option<Uuid>,
    name: String,
    address: String,
    company: String,
    contract: String,
    committee: String,
}

struct PersonRow {
    post_id: Uuid,
    person_id: Uuid,
    name: String,
    phone: String,
    title: String,
    org: String,
}

#[derive(Template)]
#[template(path = "community.html")]
struct CommunityPage {
    c: Chrome,
    id: Uuid,
    name: String,
    street: String,
    /// Administrators and the community's party branch secretary get the forms.
    keeper: bool,
    /// Administrators may also rename the community.
    admin: bool,
    form: Form,
    companies: Vec<(Uuid, String)>,
    /// Where a new person's first post can be: `kind:id` and a label.
    organizations: Vec<(String, String)>,
    titles: Vec<(&'static str, &'static str)>,
    today: String,
    grids: Vec<(Uuid, String)>,
    /// Everyone with a post here, for "another post" (id, name).
    persons: Vec<(Uuid, String)>,
    estates: Vec<EstateRow>,
    people: Vec<PersonRow>,
    people_hidden: bool,
}

/// What the caller may read of a list, or nothing when the list is not theirs to read.
pub(crate) fn readable<T>(r: infra::error::Result<infra::paging::Page<T>>) -> Result<Vec<T>, Fail> {
    match r {
        Ok(p) => Ok(p.items),
        Err(infra::Error::Forbidden) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

async fn people_of(cx: &Ctx, community_id: Uuid) -> Result<Option<Vec<PersonRow>>, Fail> {
    let s = cx.services();
    let filter = Filter { community_id: Some(community_id.into()), ..Filter::default() };
    let posts = match s.registry.list_posts(&cx.actor, filter, all()).await {
        Ok(p) => p.items,
        Err(infra::Error::Forbidden) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let people = readable(s.registry.list_people(&cx.actor, filter, all()).await)?;
    let by_id: HashMap<Uuid, (String, String)> =
        people.into_iter().map(|p| (p.id.0, (p.name, p.phone.unwrap_or_default()))).collect();
    let names = s.registry.names(&posts.iter().map(|p| p.org_id).collect::<Vec<_>>()).await?;
    Ok(Some(
        posts
            .into_iter()
            .filter_map(|p| {
                let (name, phone) = by_id.get(&p.person_id.0)?.clone();
                Some(PersonRow {
                    post_id: p.id.0,
                    person_id: p.person_id.0,
                    name,
                    phone,
                    title: cx.t.of("title", p.title.as_str()).to_owned(),
                    org: names.get(&p.org_id).cloned().unwrap_or_default(),
                })
            })
            .collect(),
    ))
}

/// A community: its estates, who serves each, its owners' committees, its people.
#[handler]
pub async fn community_page(req: &Request, Path(id): Path<Uuid>) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        render_community(&cx, id, Form::default(), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

async fn render_community(cx: &Ctx, id: Uuid, form: Form, code: StatusCode) -> PageResult {
    let s = cx.services();
    let record = s.registry.get_community(&cx.actor, id.into()).await?;
    let filter = Filter { community_id: Some(id.into()), ..Filter::default() };
    let estates = readable(s.registry.list_estates(&cx.actor, filter, all()).await)?;
    let contracts = readable(s.registry.list_contracts(&cx.actor, filter, all()).await)?;
    let committees = readable(s.registry.list_committees(&cx.actor, filter, all()).await)?;
    let companies: Vec<Uuid> = contracts.iter().map(|c| c.company_id.0).collect();
    let names = s.registry.names(&companies).await?;
    let today = cx.services().clock.today();
    let rows = estates
        .into_iter()
        .map(|e| {
            // The contract in force today, else the latest one (shown, with a form for a new one).
            let in_force = contracts.iter().find(|c| c.estate_id == e.id && c.term.contains(today));
            let contract =
                in_force.or_else(|| contracts.iter().filter(|c| c.estate_id == e.id).max_by_key(|c| c.term.start));
            let committee = committees.iter().find(|c| c.estate_id == e.id && c.term.contains(today));
            EstateRow {
                id: e.id.0,
                ended: e.life.ended_at.is_some(),
                contract_id: in_force.map(|c| c.id.0),
                committee_id: committee.map(|c| c.id.0),
                company: contract.and_then(|c| names.get(&c.company_id.0).cloned()).unwrap_or_default(),
                contract: contract
                    .map(|c| format!("{} – {}", c.term.start, c.term.end.map(|d| d.to_string()).unwrap_or_default()))
                    .unwrap_or_default(),
                committee: committee.map(|c| c.name.clone()).unwrap_or_default(),
                name: e.name,
                address: e.address,
            }
        })
        .collect::<Vec<_>>();
    let people = people_of(cx, id).await?;
    let grids: Vec<(Uuid, String)> = readable(s.registry.list_grids(&cx.actor, filter, all()).await)?
        .into_iter()
        .map(|g| (g.id.0, g.name))
        .collect();
    let mut persons: Vec<(Uuid, String)> = people.iter().flatten().map(|p| (p.person_id, p.name.clone())).collect();
    persons.sort();
    persons.dedup();
    let companies: Vec<(Uuid, String)> =
        readable(s.registry.list_companies(&cx.actor, Filter::default(), all()).await)?
            .into_iter()
            .filter(|c| c.life.ended_at.is_none())
            .map(|c| (c.id.0, c.name))
            .collect();
    let t = cx.t;
    let mut organizations = vec![
        (format!("party_branch:{id}"), format!("{} · {}", record.name, t.s("org.party_branch"))),
        (format!("residents_committee:{id}"), format!("{} · {}", record.name, t.s("org.residents_committee"))),
    ];
    for e in rows.iter().filter(|e| !e.ended) {
        organizations.push((format!("estate:{}", e.id), format!("{} · {}", e.name, t.s("org.estate"))));
        if let Some(committee) = e.committee_id {
            organizations.push((format!("owners_committee:{committee}"), e.committee.clone()));
        }
    }
    for (company, name) in companies.iter().filter(|(c, _)| contracts.iter().any(|k| k.company_id.0 == *c)) {
        organizations.push((format!("property_company:{company}"), name.clone()));
    }
    let p = CommunityPage {
        c: cx.chrome("/registry"),
        id,
        name: record.name,
        street: record.street,
        keeper: cx.actor.is_admin || cx.where_held(domain::authz::Role::PartyBranchSecretary).contains(&id),
        admin: cx.actor.is_admin,
        form,
        companies,
        organizations,
        titles: domain::registry::PostTitle::ALL.iter().map(|p| (p.as_str(), t.of("title", p.as_str()))).collect(),
        today: today.to_string(),
        grids,
        persons,
        estates: rows,
        people_hidden: people.is_none(),
        people: people.unwrap_or_default(),
    };
    Ok(super::html(code, p.render()?))
}

/// Registers an estate in the community (administrators).
#[handler]
pub async fn create_estate(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let made = match EstateInput::validate(
            value(&f, "name").unwrap_or_default(),
            value(&f, "address").unwrap_or_default(),
            None,
        ) {
            Ok(input) => cx.services().registry.create_estate(&cx.actor, id.into(), input).await.map(|_| ()),
            Err(e) => Err(e.into()),
        };
        match made {
            Ok(()) => Ok(see_other(&format!("/registry/communities/{id}"))),
            Err(e) => {
                let e = shown(e)?;
                render_community(&cx, id, Form::refused(&cx, f, &e), super::status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

/// Renames a community or changes its street (administrators).
#[handler]
pub async fn update_community(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let name = value(&f, "community_name").map(str::to_owned);
        let street = value(&f, "street").map(str::to_owned);
        match cx.services().registry.update_community(&cx.actor, id.into(), name, None, street).await {
            Ok(_) => Ok(see_other(&format!("/registry/communities/{id}"))),
            Err(e) => {
                let e = shown(e)?;
                render_community(&cx, id, Form::refused(&cx, f, &e), super::status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

/// Where to go back to after a change in a community: its page, or the form again with the refusal.
async fn back_to(cx: &Ctx, community: Uuid, f: HashMap<String, String>, done: infra::error::Result<()>) -> PageResult {
    match done {
        Ok(()) => Ok(see_other(&format!("/registry/communities/{community}"))),
        Err(e) => {
            let e = shown(e)?;
            render_community(cx, community, Form::refused(cx, f, &e), super::status_of(&e)).await
        }
    }
}

fn date(f: &HashMap<String, String>, key: &str) -> Option<chrono::NaiveDate> {
    value(f, key).and_then(|v| v.parse().ok())
}

/// The term of a contract or committee from a form: both dates, and the label (the contract's
/// number, the committee's name).
fn term(f: &HashMap<String, String>, label: &str, required: bool) -> infra::error::Result<domain::registry::TermInput> {
    let (Some(start), Some(end)) = (date(f, "starts_on"), date(f, "ends_on")) else {
        return Err(domain::DomainError::field("ends_on", domain::Code::InvalidValue).into());
    };
    Ok(domain::registry::TermInput::validate(start, end, label, value(f, label), required)?)
}

/// Registers a service contract for an estate.
#[handler]
pub async fn create_contract(req: &Request, Path(estate): Path<Uuid>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let home = cx.services().registry.get_estate(&cx.actor, estate.into()).await?.community_id.0;
        let company = value(&f, "company_id").and_then(|v| v.parse::<Uuid>().ok()).ok_or(Fail::BadRequest)?;
        let done = match term(&f, "reference", false) {
            Ok(t) => {
                cx.services().registry.create_contract(&cx.actor, estate.into(), company.into(), t).await.map(|_| ())
            }
            Err(e) => Err(e),
        };
        back_to(&cx, home, f, done).await
    }
    .await;
    finish(req, result)
}

/// Files an estate's owners' committee (its name and term).
#[handler]
pub async fn create_committee(req: &Request, Path(estate): Path<Uuid>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let home = cx.services().registry.get_estate(&cx.actor, estate.into()).await?.community_id.0;
        let done = match term(&f, "name", true) {
            Ok(t) => cx.services().registry.create_committee(&cx.actor, estate.into(), t).await.map(|_| ()),
            Err(e) => Err(e),
        };
        back_to(&cx, home, f, done).await
    }
    .await;
    finish(req, result)
}

/// Registers a person with their first post in the community.
#[handler]
pub async fn create_person(req: &Request, Path(community): Path<Uuid>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let (kind, org) = value(&f, "org").and_then(|o| o.split_once(':')).ok_or(Fail::BadRequest)?;
        let org = org.parse::<Uuid>().map_err(|_| Fail::BadRequest)?;
        let person = domain::registry::PersonInput::validate(
            value(&f, "name").unwrap_or_default(),
            value(&f, "phone"),
            value(&f, "party_member").is_some(),
        );
        let first = date(&f, "starts_on")
            .ok_or_else(|| domain::DomainError::field("starts_on", domain::Code::InvalidValue))
            .and_then(|start| {
                domain::registry::PostInput::validate(kind, org, value(&f, "title").unwrap_or_default(), start, None)
            });
        let done = match (person, first) {
            (Ok(p), Ok(post)) => cx.services().registry.create_person(&cx.actor, p, Some(post)).await.map(|_| ()),
            (Err(domain::DomainError::Validation(mut a)), Err(domain::DomainError::Validation(b))) => {
                a.extend(b);
                Err(domain::DomainError::Validation(a).into())
            }
            (Err(e), _) | (_, Err(e)) => Err(e.into()),
        };
        back_to(&cx, community, f, done).await
    }
    .await;
    finish(req, result)
}

/// A record of a community that ends with a reason.
#[derive(Clone, Copy)]
enum Ending {
    /// An estate: its contract and committee end with it.
    Estate(Uuid),
    Contract(Uuid),
    /// An owners' committee: its members' posts end with it.
    Committee(Uuid),
    Post(Uuid),
    Grid(Uuid),
}

impl Ending {
    /// The community whose page shows the record.
    async fn community(self, cx: &Ctx) -> Result<Uuid, Fail> {
        let r = &cx.services().registry;
        let estate = match self {
            Self::Estate(id) => id.into(),
            Self::Contract(id) => r.get_contract(&cx.actor, id.into()).await?.estate_id,
            Self::Committee(id) => r.get_committee(&cx.actor, id.into()).await?.estate_id,
            Self::Post(id) => {
                return r.get_post(&cx.actor, id.into()).await?.community_id.map(|c| c.0).ok_or(Fail::BadRequest)
            }
            Self::Grid(id) => return Ok(r.get_grid(&cx.actor, id.into()).await?.community_id.0),
        };
        Ok(r.get_estate(&cx.actor, estate).await?.community_id.0)
    }

    async fn end(self, cx: &Ctx, reason: Option<String>) -> infra::error::Result<()> {
        let r = &cx.services().registry;
        match self {
            Self::Estate(id) => r.end_estate(&cx.actor, id.into(), reason).await.map(|_| ()),
            Self::Contract(id) => r.end_contract(&cx.actor, id.into(), reason).await.map(|_| ()),
            Self::Committee(id) => r.end_committee(&cx.actor, id.into(), reason).await.map(|_| ()),
            Self::Post(id) => r.end_post(&cx.actor, id.into(), reason).await.map(|_| ()),
            Self::Grid(id) => r.end_grid(&cx.actor, id.into(), reason).await.map(|_| ()),
        }
    }
}

/// Ends a record with the form's reason, then back to its community's page.
async fn end_record(req: &Request, body: Body, what: Ending) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let home = what.community(&cx).await?;
        let done = what.end(&cx, value(&f, "reason").map(str::to_owned)).await;
        back_to(&cx, home, f, done).await
    }
    .await;
    finish(req, result)
}

/// Ends an estate (its contract and committee end with it).
#[handler]
pub async fn end_estate(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    end_record(req, body, Ending::Estate(id)).await
}

/// Ends a service contract.
#[handler]
pub async fn end_contract(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    end_record(req, body, Ending::Contract(id)).await
}

/// Ends an owners' committee (its members' posts end with it).
#[handler]
pub async fn end_committee(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    end_record(req, body, Ending::Committee(id)).await
}

/// Ends a post.
#[handler]
pub async fn end_post(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    end_record(req, body, Ending::Post(id)).await
}

/// Ends a grid.
#[handler]
pub async fn end_grid(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    end_record(req, body, Ending::Grid(id)).await
}

/// Draws a new grid in the community.
#[handler]
pub async fn create_grid(req: &Request, Path(community): Path<Uuid>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let name = value(&f, "name").unwrap_or_default();
        let done = cx.services().registry.create_grid(&cx.actor, community.into(), name).await.map(|_| ());
        back_to(&cx, community, f, done).await
    }
    .await;
    finish(req, result)
}

/// Gives a person already registered another post (a company's post for someone serving
/// elsewhere waits for their acceptance, as in the API).
#[handler]
pub async fn create_post(req: &Request, Path(community): Path<Uuid>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let person = value(&f, "person_id").and_then(|v| v.parse::<Uuid>().ok()).ok_or(Fail::BadRequest)?;
        let (kind, org) = value(&f, "org").and_then(|o| o.split_once(':')).ok_or(Fail::BadRequest)?;
        let org = org.parse::<Uuid>().map_err(|_| Fail::BadRequest)?;
        let post = date(&f, "starts_on")
            .ok_or_else(|| domain::DomainError::field("starts_on", domain::Code::InvalidValue))
            .and_then(|start| {
                domain::registry::PostInput::validate(kind, org, value(&f, "title").unwrap_or_default(), start, None)
            });
        let done = match post {
            Ok(p) => cx.services().registry.create_post(&cx.actor, person.into(), p).await.map(|_| ()),
            Err(e) => Err(e.into()),
        };
        back_to(&cx, community, f, done).await
    }
    .await;
    finish(req, result)
}
