//! The inbox (通知): the caller's notices, newest first; opening one marks it read and goes to
//! its record; all can be marked read at once.

use super::{ctx, ctx_post, finish, form, local_path, page, query, see_other, value, Fail, PageResult};
use crate::view::{time, Chrome};
use askama::Template;
use infra::paging::PageRequest;
use poem::web::Path;
use poem::{handler, Body, Request, Response};
use uuid::Uuid;

struct Row {
    id: Uuid,
    text: String,
    at: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<Row>,
    next: String,
}

/// The caller's notices.
#[handler]
pub async fn inbox(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let page_req = PageRequest::parse(None, value(&q, "cursor")).map_err(|e| Fail::Use(e.into()))?;
        let rows = cx.services().notifications.list(&cx.actor, false, page_req).await?;
        let p = InboxPage {
            c: cx.chrome("/inbox"),
            next: rows.next_cursor.map(|c| format!("/inbox?cursor={c}")).unwrap_or_default(),
            rows: rows
                .items
                .into_iter()
                .map(|n| Row { id: n.id, text: n.text, at: time(n.created_at), unread: n.read_at.is_none() })
                .collect(),
        };
        page(&p)
    }
    .await;
    finish(req, result)
}

/// Marks a notice read and goes to its record.
#[handler]
pub async fn open(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let notice = cx.services().notifications.mark_read(&cx.actor, id).await?;
        Ok(see_other(&local_path(Some(&notice.link))))
    }
    .await;
    finish(req, result)
}

/// Marks every notice read.
#[handler]
pub async fn read_all(req: &Request, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        cx.services().notifications.mark_all_read(&cx.actor).await?;
        Ok(see_other("/inbox"))
    }
    .await;
    finish(req, result)
}
