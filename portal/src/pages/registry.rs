//! The registry as people browse it: communities, then a community's estates with the company
//! serving each (and its contract) and the owners' committee, and the community's people with
//! phones masked exactly as the API masks them. Changes to the registry are made through the
//! API for now (see the README).

use super::{ctx, finish, page, Ctx, Fail, PageResult};
use crate::view::Chrome;
use askama::Template;
use infra::paging::{PageRequest, MAX_LIMIT};
use infra::registry::Filter;
use poem::web::Path;
use poem::{handler, Request, Response};
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
}

/// The communities of the county.
#[handler]
pub async fn communities(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let rows = cx.services().registry.list_communities(&cx.actor, Filter::default(), all()).await?;
        let p = CommunitiesPage {
            c: cx.chrome("/registry"),
            rows: rows
                .items
                .into_iter()
                .map(|c| CommunityRow { id: c.id.0, name: c.name, code: c.code, street: c.street })
                .collect(),
        };
        page(&p)
    }
    .await;
    finish(req, result)
}

struct EstateRow {
    name: String,
    address: String,
    company: String,
    contract: String,
    committee: String,
}

struct PersonRow {
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
pub async fn community(req: &Request, Path(id): Path<Uuid>) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let s = cx.services();
        let community = s.registry.get_community(&cx.actor, id.into()).await?;
        let filter = Filter { community_id: Some(id.into()), ..Filter::default() };
        let estates = readable(s.registry.list_estates(&cx.actor, filter, all()).await)?;
        let contracts = readable(s.registry.list_contracts(&cx.actor, filter, all()).await)?;
        let committees = readable(s.registry.list_committees(&cx.actor, filter, all()).await)?;
        let companies: Vec<Uuid> = contracts.iter().map(|c| c.company_id.0).collect();
        let names = s.registry.names(&companies).await?;
        let rows = estates
            .into_iter()
            .map(|e| {
                let contract = contracts.iter().find(|c| c.estate_id == e.id);
                EstateRow {
                    company: contract.and_then(|c| names.get(&c.company_id.0).cloned()).unwrap_or_default(),
                    contract: contract
                        .map(|c| {
                            format!("{} – {}", c.term.start, c.term.end.map(|d| d.to_string()).unwrap_or_default())
                        })
                        .unwrap_or_default(),
                    committee: committees
                        .iter()
                        .find(|c| c.estate_id == e.id)
                        .map(|c| c.name.clone())
                        .unwrap_or_default(),
                    name: e.name,
                    address: e.address,
                }
            })
            .collect();
        let people = people_of(&cx, id).await?;
        let p = CommunityPage {
            c: cx.chrome("/registry"),
            id,
            name: community.name,
            estates: rows,
            people_hidden: people.is_none(),
            people: people.unwrap_or_default(),
        };
        page(&p)
    }
    .await;
    finish(req, result)
}
