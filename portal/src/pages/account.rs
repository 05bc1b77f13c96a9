//! Signing in and out, the language switch, and "who am I" with the posts offered to me.

use super::{ctx, ctx_post, finish, form, local_path, page, query, see_other, sentence, value, Fail, PageResult};
use crate::i18n::{Lang, Tr};
use crate::session::{self, LANG_COOKIE};
use crate::view::{time, Chrome};
use crate::Portal;
use askama::Template;
use infra::paging::{PageRequest, MAX_LIMIT};
use poem::http::{header, StatusCode};
use poem::web::Path;
use poem::{handler, Body, Request, Response};
use uuid::Uuid;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    next: String,
    username: String,
    error: String,
}

fn login_page(req: &Request, t: Tr, next: &str, username: String, error: String, status: StatusCode) -> Response {
    let next = local_path(Some(next));
    let https = req.data::<Portal>().is_some_and(|p| p.settings.https);
    // The form is tied to this browser by a random cookie: a page elsewhere cannot sign a
    // victim into the attacker's account, since it cannot read the cookie to make the token.
    let secret = session::login_secret(req, https).map_or_else(|| Uuid::new_v4().simple().to_string(), str::to_owned);
    let mut c = Chrome::signed_out(t, &format!("/login?next={}", crate::view::encode(&next)));
    c.csrf = session::csrf_token(&secret);
    let body = LoginPage { c, next, username, error }.render();
    match body {
        Ok(body) => {
            let mut resp = super::html(status, body);
            if let Ok(v) = session::set_cookie(session::login_cookie(https), &secret, https, None).parse() {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => finish(req, Err(e.into())),
    }
}

/// The sign-in form (or the desk, for someone already signed in).
#[handler]
pub async fn login_form(req: &Request) -> Response {
    let t = Tr { lang: session::language(req) };
    if let Some(p) = req.data::<Portal>() {
        if let Ok(Some(_)) = session::signed_in(p, req).await {
            return see_other(&local_path(value(&query(req), "next")));
        }
    }
    let q = query(req);
    login_page(req, t, value(&q, "next").unwrap_or("/desk"), String::new(), String::new(), StatusCode::OK)
}

/// Signs in with the API's accounts and lockout: a session cookie, then the page asked for.
#[handler]
pub async fn login(req: &Request, body: Body) -> Response {
    let t = Tr { lang: session::language(req) };
    let Ok(f) = form(body).await else { return finish(req, Err(Fail::BadRequest)) };
    let username = value(&f, "username").unwrap_or_default().to_owned();
    let next = value(&f, "next").unwrap_or("/desk").to_owned();
    let Some(portal) = req.data::<Portal>() else { return finish(req, Err(Fail::BadRequest)) };
    let expected = session::login_secret(req, portal.settings.https).map(session::csrf_token);
    let sent = f.get("csrf").map(String::as_str).unwrap_or_default();
    if !expected.is_some_and(|e| session::same_token(&e, sent)) {
        return login_page(req, t, &next, username, t.s("error.csrf").to_owned(), StatusCode::FORBIDDEN);
    }
    let password = f.get("password").map(String::as_str).unwrap_or_default();
    match portal.services.accounts.login(&username, password).await {
        Ok(s) => {
            let https = portal.settings.https;
            // A session this browser already had ends: one person at a shared desk at a time.
            if let Some(old) = session::cookie(req, session::session_cookie(https)) {
                if let Err(e) = portal.services.accounts.logout(old).await {
                    tracing::warn!(error = %e, "could not end the earlier session at sign-in");
                }
            }
            let mut resp = see_other(&local_path(Some(&next)));
            let age = (s.expires_at - portal.services.clock.now()).num_seconds().max(0);
            for c in [
                session::set_cookie(session::session_cookie(https), &s.token, https, Some(age)),
                session::set_cookie(session::login_cookie(https), "", https, Some(0)),
            ] {
                if let Ok(v) = c.parse() {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            resp
        }
        Err(e) => {
            let status = super::status_of(&e);
            let mut message = sentence(&t, &e);
            if let infra::Error::Locked(until) = e {
                message = t.f("login.locked_until", time(until));
            }
            login_page(req, t, &next, username, message, status)
        }
    }
}

/// Signs out: the session is revoked (not only forgotten by the browser).
#[handler]
pub async fn logout(req: &Request, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        cx.services().accounts.logout(&cx.token).await?;
        let https = cx.portal.settings.https;
        let mut resp = see_other("/login");
        if let Ok(v) = session::set_cookie(session::session_cookie(https), "", https, Some(0)).parse() {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
        Ok(resp)
    }
    .await;
    finish(req, result)
}

/// Switches the language (a cookie for a year) and returns to the page.
#[handler]
pub fn switch_language(req: &Request, Path(code): Path<String>) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Zh);
    let back = local_path(value(&query(req), "back"));
    let https = req.data::<Portal>().is_some_and(|p| p.settings.https);
    let mut resp = see_other(&back);
    let value = if lang == Lang::En { "en" } else { "zh" };
    if let Ok(v) = session::set_cookie(LANG_COOKIE, value, https, Some(365 * 24 * 3600)).parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

struct PostRow {
    org: String,
    title: String,
    since: String,
}

struct InvitationRow {
    post_id: Uuid,
    org: String,
    title: String,
}

struct BindingRow {
    role: String,
    scope: String,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    c: Chrome,
    name: String,
    phone: String,
    posts: Vec<PostRow>,
    invitations: Vec<InvitationRow>,
    bindings: Vec<BindingRow>,
}

/// Rows of the posts offered to the actor that await their answer.
pub(crate) async fn invitation_rows(cx: &super::Ctx) -> Result<Vec<(Uuid, String, String)>, Fail> {
    let s = cx.services();
    let offered = s.registry.invitations(&cx.actor).await?;
    let names = s.registry.names(&offered.iter().map(|p| p.org_id).collect::<Vec<_>>()).await?;
    Ok(offered
        .into_iter()
        .map(|p| {
            let org = names.get(&p.org_id).cloned().unwrap_or_default();
            (p.id.0, org, cx.t.of("title", p.title.as_str()).to_owned())
        })
        .collect())
}

/// Who am I: my record, my posts, what they let me do where, and posts offered to me.
#[handler]
pub async fn me(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let s = cx.services();
        let person = s.registry.get_person(&cx.actor, cx.actor.person_id).await?;
        let filter = infra::registry::Filter { person_id: Some(cx.actor.person_id), ..Default::default() };
        let posts = s.registry.list_posts(&cx.actor, filter, PageRequest { limit: MAX_LIMIT, after: None }).await?;
        let mut ids: Vec<Uuid> = posts.items.iter().map(|p| p.org_id).collect();
        ids.extend(cx.actor.bindings.iter().filter_map(|b| b.scope.id()));
        let names = s.registry.names(&ids).await?;
        let name_of = |id: Option<Uuid>| match id {
            Some(id) if !id.is_nil() => names.get(&id).cloned().unwrap_or_default(),
            _ => cx.t.s("scope.county").to_owned(),
        };
        let page_data = MePage {
            c: cx.chrome("/me"),
            name: person.name.clone(),
            phone: person.phone.clone().unwrap_or_default(),
            posts: posts
                .items
                .iter()
                .filter(|p| !p.awaiting_acceptance)
                .map(|p| PostRow {
                    org: name_of(Some(p.org_id)),
                    title: cx.t.of("title", p.title.as_str()).to_owned(),
                    since: p.term.start.to_string(),
                })
                .collect(),
            invitations: invitation_rows(&cx)
                .await?
                .into_iter()
                .map(|(post_id, org, title)| InvitationRow { post_id, org, title })
                .collect(),
            bindings: cx
                .actor
                .bindings
                .iter()
                .filter(|b| b.role != domain::authz::Role::Account)
                .map(|b| BindingRow { role: cx.t.of("role", b.role.as_str()).to_owned(), scope: name_of(b.scope.id()) })
                .collect(),
        };
        page(&page_data)
    }
    .await;
    finish(req, result)
}

/// Accepts or declines a post offered to me, then back to where I was.
#[handler]
pub async fn answer_invitation(req: &Request, Path((post_id, answer)): Path<(Uuid, String)>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let accept = match answer.as_str() {
            "accept" => true,
            "decline" => false,
            _ => return Err(Fail::BadRequest),
        };
        cx.services().registry.answer_invitation(&cx.actor, post_id.into(), accept).await?;
        Ok(see_other(&local_path(value(&f, "back"))))
    }
    .await;
    finish(req, result)
}
