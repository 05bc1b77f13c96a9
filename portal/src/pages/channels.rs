//! Delivery channels (推送渠道) as an organization's leader keeps them: each organization they
//! lead with its work-chat robots and webhooks, a form to add one, a test-send and a disable
//! button, and each channel's delivery log with a resend button for what failed. An
//! administrator opens any organization's by its kind and id. The use cases decide who may.

use super::registry::Form;
use super::{ctx, ctx_post, finish, form, html, query, see_other, shown, value, Ctx, Fail, PageResult};
use crate::view::{time, Chrome};
use askama::Template;
use domain::channel::ChannelKind;
use domain::meeting::OrgRef;
use domain::registry::OrgKind;
use domain::{Code, DomainError};
use infra::paging::PageRequest;
use poem::http::StatusCode;
use poem::web::Path;
use poem::{handler, Body, Request, Response};
use std::collections::HashMap;
use uuid::Uuid;

struct ChannelRow {
    id: Uuid,
    kind: &'static str,
    url: String,
    secret_last4: String,
    enabled: bool,
    disabled_reason: String,
}

struct OrgSection {
    kind: &'static str,
    id: Uuid,
    /// `kind-id`: a party branch and its residents' committee share the community's id.
    key: String,
    name: String,
    channels: Vec<ChannelRow>,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    c: Chrome,
    orgs: Vec<OrgSection>,
    /// One organization was asked for (a link from a notice, or an administrator's pick).
    one: bool,
    admin: bool,
    kinds: Vec<(&'static str, &'static str)>,
    org_kinds: Vec<(&'static str, &'static str)>,
    form: Form,
}

fn org_from(map: &HashMap<String, String>) -> Result<Option<OrgRef>, Fail> {
    match (value(map, "org_kind"), value(map, "org_id")) {
        (None, None) => Ok(None),
        (Some(kind), Some(id)) => {
            let kind = kind
                .parse::<OrgKind>()
                .map_err(|_| Fail::Use(DomainError::field("org_kind", Code::InvalidOrgKind).into()))?;
            let id =
                id.parse::<Uuid>().map_err(|_| Fail::Use(DomainError::field("org_id", Code::InvalidValue).into()))?;
            Ok(Some(OrgRef { kind, id }))
        }
        _ => Err(Fail::BadRequest),
    }
}

fn kind_label(cx: &Ctx, kind: ChannelKind) -> &'static str {
    cx.t.s(&format!("channels.kind.{}", kind.as_str()))
}

async fn render(cx: &Ctx, org: Option<OrgRef>, form: Form, status: StatusCode) -> PageResult {
    let s = cx.services();
    let orgs = match org {
        Some(o) => vec![s.channels.organization(&cx.actor, o).await?],
        None => s.channels.led_organizations(&cx.actor).await?,
    };
    let mut sections = Vec::with_capacity(orgs.len());
    for (o, name) in orgs {
        let channels = s
            .channels
            .list(&cx.actor, o)
            .await?
            .into_iter()
            .map(|c| ChannelRow {
                id: c.id,
                kind: kind_label(cx, c.kind),
                url: c.url,
                secret_last4: c.secret_last4.unwrap_or_default(),
                enabled: c.enabled,
                disabled_reason: c.disabled_reason.unwrap_or_default(),
            })
            .collect();
        sections.push(OrgSection {
            kind: o.kind.as_str(),
            id: o.id,
            key: format!("{}-{}", o.kind.as_str(), o.id),
            name,
            channels,
        });
    }
    let p = ChannelsPage {
        c: cx.chrome("/channels"),
        orgs: sections,
        one: org.is_some(),
        admin: cx.actor.is_admin,
        kinds: ChannelKind::ALL.iter().map(|k| (k.as_str(), kind_label(cx, *k))).collect(),
        org_kinds: [
            OrgKind::PartyBranch,
            OrgKind::ResidentsCommittee,
            OrgKind::PropertyCompany,
            OrgKind::OwnersCommittee,
            OrgKind::Department,
        ]
        .iter()
        .map(|k| (k.as_str(), cx.t.s(&format!("org.{}", k.as_str()))))
        .collect(),
        form,
    };
    Ok(html(status, p.render()?))
}

fn org_path(o: OrgRef) -> String {
    format!("/channels?org_kind={}&org_id={}", o.kind.as_str(), o.id)
}

/// The organizations the caller leads with their channels (or the one asked for).
#[handler]
pub async fn list(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let org = org_from(&query(req))?;
        render(&cx, org, Form::default(), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

/// Adds a channel; a refusal shows beside the organization's form.
#[handler]
pub async fn create(req: &Request, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let Some(org) = org_from(&f)? else { return Err(Fail::BadRequest) };
        let made = match value(&f, "kind").and_then(|k| k.parse::<ChannelKind>().ok()) {
            Some(kind) => {
                let secret = value(&f, "secret").map(str::to_owned);
                cx.services()
                    .channels
                    .create(&cx.actor, org, kind, f.get("url").map_or("", String::as_str), secret)
                    .await
            }
            None => Err(DomainError::field("kind", Code::InvalidValue).into()),
        };
        match made {
            Ok(_) => Ok(see_other(&org_path(org))),
            Err(e) => {
                let e = shown(e)?;
                let mut values = f.clone();
                // Neither the secret nor the address (a robot's key is in it) is sent back.
                values.remove("secret");
                values.remove("url");
                let one = value(&query(req), "one").is_some();
                render(&cx, one.then_some(org), Form::refused(&cx, values, &e), super::status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

/// Test-sends through a channel, or disables it.
#[handler]
pub async fn act(req: &Request, Path((id, action)): Path<(Uuid, String)>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let channels = &cx.services().channels;
        match action.as_str() {
            "test" => {
                channels.test_send(&cx.actor, id).await?;
                Ok(see_other(&format!("/channels/{id}/deliveries")))
            }
            "disable" => {
                let c = channels.disable(&cx.actor, id).await?;
                Ok(see_other(&org_path(c.organization)))
            }
            _ => Err(Fail::Use(DomainError::NotFound { entity: "page" }.into())),
        }
    }
    .await;
    finish(req, result)
}

struct DeliveryRow {
    id: Uuid,
    text: String,
    status: &'static str,
    failed: bool,
    attempts: i32,
    created_at: String,
    next_attempt_at: String,
    delivered_at: String,
    error: String,
}

#[derive(Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    c: Chrome,
    kind: &'static str,
    url: String,
    enabled: bool,
    back: String,
    rows: Vec<DeliveryRow>,
    next: String,
}

/// A channel's delivery log, newest first.
#[handler]
pub async fn deliveries(req: &Request, Path(id): Path<Uuid>) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let page_req = PageRequest::parse(None, value(&q, "cursor")).map_err(|e| Fail::Use(e.into()))?;
        let channels = &cx.services().channels;
        let c = channels.get(&cx.actor, id).await?;
        let rows = channels.deliveries(&cx.actor, id, page_req).await?;
        let p = DeliveriesPage {
            c: cx.chrome("/channels"),
            kind: kind_label(&cx, c.kind),
            url: c.url,
            enabled: c.enabled,
            back: org_path(c.organization),
            next: rows.next_cursor.map(|n| format!("/channels/{id}/deliveries?cursor={n}")).unwrap_or_default(),
            rows: rows
                .items
                .into_iter()
                .map(|d| DeliveryRow {
                    id: d.id,
                    status: cx.t.s(&format!("deliveries.status.{}", d.status)),
                    failed: d.status == "failed",
                    text: d.text,
                    attempts: d.attempts,
                    created_at: time(d.created_at),
                    next_attempt_at: if d.status == "pending" { time(d.next_attempt_at) } else { String::new() },
                    delivered_at: d.delivered_at.map(time).unwrap_or_default(),
                    error: d.last_error.unwrap_or_default(),
                })
                .collect(),
        };
        super::page(&p)
    }
    .await;
    finish(req, result)
}

/// Sends a failed delivery again (the same message id).
#[handler]
pub async fn resend(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let d = cx.services().channels.resend(&cx.actor, id).await?;
        Ok(see_other(&format!("/channels/{}/deliveries", d.channel_id)))
    }
    .await;
    finish(req, result)
}
