//! The web portal (门户): server-rendered pages for property managers, owners' committees,
//! the community committees, departments, residents and the street or county. Pages call the
//! same use cases and the same authorization gate as the JSON API ([`infra::services`]),
//! never the API over HTTP. Templates are checked when the crate compiles (askama); forms
//! work without JavaScript; every text comes from the catalogues in `i18n/`.
//!
//! Sessions are the API's sessions, carried in an HttpOnly, SameSite=Lax cookie (with
//! `Secure` and the `__Host-` prefix when the public address is https). Every form POST
//! carries a CSRF token derived from the session, checked before anything runs.

mod chart;
pub mod i18n;
mod pages;
pub mod session;
mod view;

use i18n::Tr;
use infra::services::Services;
use poem::http::{header, HeaderValue, StatusCode};
use poem::{get, post, Endpoint, EndpointExt, IntoResponse, Response, Route};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// How the portal is served.
#[derive(Debug, Clone, Default)]
pub struct PortalSettings {
    /// The portal is reached over https (`APP_PUBLIC_URL` starts with `https://`): cookies
    /// get `Secure` and the `__Host-` prefix.
    pub https: bool,
}

/// What every page handler reaches.
#[derive(Clone)]
pub struct Portal {
    /// The use cases.
    pub services: Services,
    /// How it is served.
    pub settings: PortalSettings,
}

/// The one stylesheet, and the path it is served at: its content hash is in the name, so it
/// can be cached for a year and a new version is fetched at once.
pub const STYLESHEET: &str = include_str!("../assets/app.css");
static STYLESHEET_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLESHEET.as_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("/assets/app.{short}.css")
});

/// The path of the stylesheet (with its content hash).
#[must_use]
pub fn stylesheet_path() -> &'static str {
    STYLESHEET_PATH.as_str()
}

/// Every page, with the portal's security headers; mount it at `/` beside the API.
pub fn routes(services: Services, settings: PortalSettings) -> impl Endpoint<Output = Response> {
    use pages::{
        account, appointments, audit, channels, complaints, desk, edit, meetings, notifications, organizations,
        oversight, registry,
    };
    Route::new()
        .at("/", get(desk::home))
        .at("/login", get(account::login_form).post(account::login))
        .at("/logout", post(account::logout))
        .at("/lang/:code", get(account::switch_language))
        .at("/me", get(account::me))
        .at("/me/invitations/:post_id/:answer", post(account::answer_invitation))
        .at("/desk", get(desk::desk))
        .at("/complaints", get(complaints::list).post(complaints::file))
        .at("/complaints/new", get(complaints::file_form))
        .at("/complaints/:id", get(complaints::detail))
        .at("/complaints/:id/:action", post(complaints::act))
        .at("/appointments", get(appointments::list).post(appointments::propose))
        .at("/appointments/new", get(appointments::propose_form))
        .at("/appointments/export.csv", get(appointments::export))
        .at("/appointments/:id", get(appointments::detail))
        .at("/appointments/:id/:action", post(appointments::act))
        .at("/communities/:id/coverage", get(appointments::coverage))
        .at("/meetings", get(meetings::list).post(meetings::create))
        .at("/meetings/new", get(meetings::new_form))
        .at("/meetings/:id", get(meetings::detail))
        .at("/meetings/:id/minutes", get(meetings::minutes))
        .at("/meetings/:id/tasks.csv", get(meetings::tasks_csv))
        .at("/meetings/:id/:action", post(meetings::act))
        .at("/tasks/:id/:action", post(meetings::task_act))
        .at("/channels", get(channels::list).post(channels::create))
        .at("/channels/:id/deliveries", get(channels::deliveries))
        .at("/channels/:id/:action", post(channels::act))
        .at("/deliveries/:id/resend", post(channels::resend))
        .at("/inbox", get(notifications::inbox))
        .at("/inbox/read-all", post(notifications::read_all))
        .at("/inbox/:id/open", post(notifications::open))
        .at("/registry", get(registry::communities))
        .at("/registry/communities", post(registry::create_community))
        .at("/registry/communities/:id", get(registry::community_page).post(registry::update_community))
        .at("/registry/communities/:id/estates", post(registry::create_estate))
        .at("/registry/estates/:id/end", post(registry::end_estate))
        .at("/registry/estates/:id/contracts", post(registry::create_contract))
        .at("/registry/estates/:id/committees", post(registry::create_committee))
        .at("/registry/contracts/:id/end", post(registry::end_contract))
        .at("/registry/committees/:id/end", post(registry::end_committee))
        .at("/registry/communities/:id/people", post(registry::create_person))
        .at("/registry/posts/:id/end", post(registry::end_post))
        .at("/registry/communities/:id/posts", post(registry::create_post))
        .at("/registry/communities/:id/grids", post(registry::create_grid))
        .at("/registry/grids/:id/end", post(registry::end_grid))
        .at("/registry/companies", get(organizations::companies).post(organizations::create_company))
        .at("/registry/companies/:id/end", post(organizations::end_company))
        .at("/registry/departments", get(organizations::departments).post(organizations::create_department))
        .at("/registry/departments/:id/end", post(organizations::end_department))
        .at("/registry/edit/:kind/:id", get(edit::edit_form).post(edit::edit))
        .at("/audit", get(audit::log))
        .at("/oversight", get(oversight::home))
        .at("/oversight/dashboard", get(oversight::dashboard))
        .at("/oversight/export", get(oversight::export))
        .at("/oversight/cases", get(oversight::cases))
        .at("/oversight/board", get(oversight::board))
        .at("/oversight/scorecards", get(oversight::scorecards))
        .at("/oversight/scorecards/export", get(oversight::scorecards_export))
        .at("/oversight/scorecards/publish", post(oversight::publish))
        .at("/oversight/scorecards/:id", get(oversight::scorecard))
        .at("/oversight/scorecards/:id/appeals", post(oversight::appeal))
        .at("/oversight/scorecards/:id/appeals/:appeal_id/decide", post(oversight::decide))
        .at(stylesheet_path(), get(stylesheet))
        .data(Portal { services, settings: settings.clone() })
        .around(move |next, req| async move {
            let lang = session::language(&req);
            let mut resp = match next.call(req).await {
                Ok(r) => r.into_response(),
                // Unknown paths and refused methods: a page in the user's language, never a
                // stack trace or the API's JSON.
                Err(e) => pages::error_page(Tr { lang }, e.status(), None),
            };
            security_headers(&mut resp, settings.https);
            Ok(resp)
        })
}

/// The headers on every page: no inline script, no framing, no sniffing, no referrer to
/// other hosts, https only once seen over https, and (everything but the stylesheet) never
/// stored by a cache.
fn security_headers(resp: &mut Response, https: bool) {
    let h = resp.headers_mut();
    if https {
        h.insert("strict-transport-security", HeaderValue::from_static("max-age=31536000"));
    }
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

#[poem::handler]
fn stylesheet() -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/css; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(STYLESHEET)
}
