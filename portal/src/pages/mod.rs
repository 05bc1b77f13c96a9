//! The pages, one module per area. A handler reads the request, calls the use cases as the
//! signed-in actor, and renders a template; what fails becomes a page in the user's language
//! (sign-in for a lost session, 403, 404, or the page again with the refusal as a sentence).

pub mod account;
pub mod appointments;
pub mod audit;
pub mod channels;
pub mod complaints;
pub mod desk;
pub mod edit;
pub mod meetings;
pub mod notifications;
pub mod organizations;
pub mod oversight;
pub mod registry;

use crate::i18n::Tr;
use crate::session;
use crate::view::Chrome;
use crate::Portal;
use askama::Template;
use infra::actor::Actor;
use poem::http::{header, StatusCode};
use poem::{Request, Response};
use std::collections::HashMap;

/// Why a page was not shown.
pub enum Fail {
    /// No live session: to the sign-in page, and back here after.
    SignIn,
    /// A form without the right CSRF token.
    Csrf,
    /// A use case refused or failed.
    Use(infra::Error),
    /// A request the pages never make (a mangled form or path).
    BadRequest,
}

impl From<infra::Error> for Fail {
    fn from(e: infra::Error) -> Self {
        Self::Use(e)
    }
}

impl From<askama::Error> for Fail {
    fn from(e: askama::Error) -> Self {
        Self::Use(infra::Error::Unexpected(format!("template: {e}")))
    }
}

/// A page's result.
pub type PageResult = Result<Response, Fail>;

/// A signed-in request: the portal, the language, the actor and the frame's parts.
pub struct Ctx {
    pub portal: Portal,
    pub t: Tr,
    pub actor: Actor,
    /// The session token (the CSRF token derives from it; sign-out revokes it).
    pub token: String,
    pub csrf: String,
    /// This page's path and query.
    pub here: String,
    /// The caller's unread notices, for the header.
    pub unread: u64,
}

impl Ctx {
    /// The frame, with `active` the navigation link of this page.
    #[must_use]
    pub fn chrome(&self, active: &str) -> Chrome {
        let mut c = Chrome::signed_in(self.t, &self.here, &self.actor, self.csrf.clone(), active);
        c.unread = self.unread;
        c
    }

    /// The use cases.
    #[must_use]
    pub fn services(&self) -> &infra::services::Services {
        &self.portal.services
    }

    /// The ids of the places where the actor holds `role` (communities for a secretary).
    #[must_use]
    pub fn where_held(&self, role: domain::authz::Role) -> Vec<uuid::Uuid> {
        self.actor.bindings.iter().filter(|b| b.role == role).filter_map(|b| b.scope.id()).collect()
    }
}

fn portal(req: &Request) -> Result<Portal, Fail> {
    req.data::<Portal>().cloned().ok_or_else(|| Fail::Use(infra::Error::Unexpected("portal state missing".into())))
}

fn here(req: &Request) -> String {
    req.uri().path_and_query().map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned())
}

/// A signed-in request, or [`Fail::SignIn`].
///
/// # Errors
/// No live session; database errors.
pub async fn ctx(req: &Request) -> Result<Ctx, Fail> {
    let portal = portal(req)?;
    let Some((actor, token)) = session::signed_in(&portal, req).await? else { return Err(Fail::SignIn) };
    // The header's count is best effort: a page shows with 0 rather than fail for it.
    let unread = portal.services.notifications.unread(&actor).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "unread count failed; the header shows none");
        0
    });
    Ok(Ctx {
        unread,
        t: Tr { lang: session::language(req) },
        csrf: session::csrf_token(&token),
        here: here(req),
        portal,
        actor,
        token,
    })
}

/// A signed-in form post whose CSRF token (`csrf` in the form) matches the session's.
///
/// # Errors
/// As [`ctx`], and [`Fail::Csrf`].
pub async fn ctx_post(req: &Request, form: &HashMap<String, String>) -> Result<Ctx, Fail> {
    let cx = ctx(req).await?;
    match form.get("csrf") {
        Some(sent) if session::same_token(sent, &cx.csrf) => Ok(cx),
        _ => Err(Fail::Csrf),
    }
}

/// An HTML page.
#[must_use]
pub fn html(status: StatusCode, body: String) -> Response {
    Response::builder().status(status).header(header::CONTENT_TYPE, "text/html; charset=utf-8").body(body)
}

/// Renders a template as a 200 page.
///
/// # Errors
/// A template that fails to render.
pub fn page(template: &impl Template) -> PageResult {
    Ok(html(StatusCode::OK, template.render()?))
}

/// After a form post: see the result at `to`.
#[must_use]
pub fn see_other(to: &str) -> Response {
    Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, to).finish()
}

/// A path inside the portal (never another host), for `next` and `back` parameters: it starts
/// with one `/` and holds only the characters of the portal's own paths and queries (no white
/// space or control character, which browsers strip to turn `/\t/host` into `//host`).
#[must_use]
pub fn local_path(path: Option<&str>) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/_.~%?=&-".contains(c);
    match path {
        Some(p) if p.starts_with('/') && !p[1..].starts_with(['/', '\\']) && p.chars().all(allowed) => p.to_owned(),
        _ => "/desk".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    title: &'static str,
    message: String,
}

/// A page for a refusal or failure: 403, 404, 400, or 500, with a sentence.
#[must_use]
pub fn error_page(t: Tr, status: StatusCode, message: Option<String>) -> Response {
    let title = match status {
        StatusCode::FORBIDDEN => t.s("error.forbidden"),
        StatusCode::NOT_FOUND => t.s("error.not_found"),
        StatusCode::METHOD_NOT_ALLOWED | StatusCode::BAD_REQUEST => t.s("error.bad_request"),
        StatusCode::SERVICE_UNAVAILABLE => t.s("error.unavailable"),
        s if s.is_client_error() => t.s("error.bad_request"),
        _ => t.s("error.internal"),
    };
    let page = ErrorPage { c: Chrome::signed_out(t, "/desk"), title, message: message.unwrap_or_default() };
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            Response::builder().status(status).body(title)
        }
    }
}

/// The status a use case's refusal is shown with.
#[must_use]
pub fn status_of(e: &infra::Error) -> StatusCode {
    use domain::DomainError as D;
    match e {
        infra::Error::Domain(D::Validation(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        infra::Error::Domain(D::NotFound { .. }) => StatusCode::NOT_FOUND,
        infra::Error::Domain(_) => StatusCode::CONFLICT,
        infra::Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        infra::Error::Locked(_) => StatusCode::LOCKED,
        infra::Error::Forbidden => StatusCode::FORBIDDEN,
        infra::Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        infra::Error::Database(_) | infra::Error::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A refusal the page can show beside its form (the domain's, or "not your party"), or else a
/// failure for an error page (not found, the database).
///
/// # Errors
/// Everything that is not a refusal to show on the form.
pub fn shown(e: infra::Error) -> Result<infra::Error, Fail> {
    match e {
        infra::Error::Domain(domain::DomainError::NotFound { .. }) => Err(e.into()),
        infra::Error::Domain(_) | infra::Error::Forbidden => Ok(e),
        other => Err(other.into()),
    }
}

/// The sentence for a refusal, logging failures of the machinery whole.
#[must_use]
pub fn sentence(t: &Tr, e: &infra::Error) -> String {
    match e {
        infra::Error::Database(source) | infra::Error::Unavailable(source) => {
            tracing::error!(error = source as &dyn std::error::Error, "database error on a page");
        }
        infra::Error::Unexpected(detail) => tracing::error!(%detail, "unexpected error on a page"),
        _ => {}
    }
    let mut text = t.code(e.code()).to_owned();
    if let infra::Error::Domain(domain::DomainError::Validation(fields)) = e {
        let list: Vec<String> =
            fields.iter().map(|f| format!("{}: {}", field_label(t, &f.field), t.code(f.code))).collect();
        text = format!("{text}（{}）", list.join("；"));
    }
    text
}

/// A form field's label, for messages that name it.
#[must_use]
pub fn field_label(t: &Tr, field: &str) -> String {
    let key = format!("field.{field}");
    let label = t.s(&key);
    if label == "?" {
        field.to_owned()
    } else {
        label.to_owned()
    }
}

/// What a page handler returns, whatever happened.
#[must_use]
pub fn finish(req: &Request, result: PageResult) -> Response {
    let t = Tr { lang: session::language(req) };
    match result {
        Ok(r) => r,
        Err(Fail::SignIn) => see_other(&format!("/login?next={}", crate::view::encode(&here(req)))),
        Err(Fail::Csrf) => error_page(t, StatusCode::FORBIDDEN, Some(t.s("error.csrf").to_owned())),
        Err(Fail::BadRequest) => error_page(t, StatusCode::BAD_REQUEST, None),
        Err(Fail::Use(e)) => {
            let status = status_of(&e);
            error_page(t, status, Some(sentence(&t, &e)))
        }
    }
}

/// A form body as field → value (the last value of a repeated field).
///
/// # Errors
/// A body that is not a form.
pub async fn form(body: poem::Body) -> Result<HashMap<String, String>, Fail> {
    let bytes = body.into_vec().await.map_err(|_| Fail::BadRequest)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| Fail::BadRequest)?;
    Ok(parse_query(text))
}

/// Parses `a=1&b=%E4%B8%AD` (also a query string).
#[must_use]
pub fn parse_query(text: &str) -> HashMap<String, String> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'+' {
            out.push(b' ');
        } else if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(byte);
                i += 3;
                continue;
            }
            out.push(b'%');
        } else {
            out.push(b);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query string of a request as field → value.
#[must_use]
pub fn query(req: &Request) -> HashMap<String, String> {
    parse_query(req.uri().query().unwrap_or_default())
}

/// A form or query value, trimmed; `None` when empty.
#[must_use]
pub fn value<'a>(map: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    map.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_utf8_and_plus() {
        let m = parse_query("title=%E7%94%B5%E6%A2%AF+%E5%9D%8F%E4%BA%86&x=&bad=%zz%4");
        assert_eq!(m.get("title").map(String::as_str), Some("电梯 坏了"));
        assert_eq!(m.get("x").map(String::as_str), Some(""));
        assert_eq!(m.get("bad").map(String::as_str), Some("%zz%4"));
    }

    #[test]
    fn next_paths_stay_on_this_host() {
        assert_eq!(local_path(Some("/complaints?x=1")), "/complaints?x=1");
        for evil in [
            "//evil.example/x",
            "https://evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/%09/evil.example\r\nSet-Cookie: x=1",
        ] {
            assert_eq!(local_path(Some(evil)), "/desk", "{evil}");
        }
        assert_eq!(local_path(None), "/desk");
    }
}
