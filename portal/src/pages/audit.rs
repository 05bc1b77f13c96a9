//! The audit log, for administrators (everything) and party branch secretaries (their
//! community), newest first, filterable by community.

use super::{ctx, finish, page, query, value, Fail, PageResult};
use crate::view::{time, Chrome};
use askama::Template;
use domain::authz::Role;
use infra::paging::PageRequest;
use poem::{handler, Request, Response};
use uuid::Uuid;

struct Row {
    at: String,
    acting_as: String,
    action: String,
    resource: String,
    resource_id: String,
    decision: String,
    allowed: bool,
    request_id: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    communities: Vec<(Uuid, String, bool)>,
    rows: Vec<Row>,
    next: String,
}

/// The audit log of a community (a secretary's own by default) or of everything (administrators).
#[handler]
pub async fn log(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let mine = cx.where_held(Role::PartyBranchSecretary);
        let chosen = match value(&q, "community_id") {
            Some(v) => Some(v.parse::<Uuid>().map_err(|_| Fail::BadRequest)?),
            None if cx.actor.is_admin => None,
            None => mine.first().copied(),
        };
        let page_req = PageRequest::parse(None, value(&q, "cursor")).map_err(|e| Fail::Use(e.into()))?;
        let entries = cx.services().access.audit_log(&cx.actor, chosen.map(Into::into), page_req).await?;
        let names = cx.services().registry.names(&mine).await?;
        let next = entries.next_cursor.map_or_else(String::new, |c| {
            let scope = chosen.map(|id| format!("community_id={id}&")).unwrap_or_default();
            format!("/audit?{scope}cursor={c}")
        });
        let p = AuditPage {
            c: cx.chrome("/audit"),
            communities: mine
                .iter()
                .map(|id| (*id, names.get(id).cloned().unwrap_or_default(), chosen == Some(*id)))
                .collect(),
            rows: entries
                .items
                .into_iter()
                .map(|e| Row {
                    at: time(e.at),
                    acting_as: e.acting_as.unwrap_or_default(),
                    action: e.action,
                    resource: e.resource,
                    resource_id: e.resource_id.unwrap_or_default(),
                    allowed: e.decision == "allow",
                    decision: e.decision,
                    request_id: e.request_id.unwrap_or_default(),
                })
                .collect(),
            next,
        };
        page(&p)
    }
    .await;
    finish(req, result)
}
