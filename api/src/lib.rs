//! The HTTP service: poem-openapi endpoints under `/api/v1`, authentication, problem
//! responses, request ids and the application that wires it all together.

pub mod auth;
pub mod dto;
pub mod problem;
pub mod routes;
mod spec;
pub mod state;

use crate::auth::RequestId;
use crate::problem::{ApiError, Lang};
use crate::state::AppState;
use domain::clock::Clock;
use infra::authz::Authorizer;
use poem::http::{HeaderValue, StatusCode};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Json;
use poem::{get, handler, Endpoint, EndpointExt, IntoResponse, Request, Response, Route};
use poem_openapi::OpenApiService;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncReadExt;
use tracing::Instrument;

/// Bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Oversized bodies up to this size are read and dropped before the 413 is sent.
const DRAIN_BODY_BYTES: usize = 8 * 1024 * 1024;

/// What the service needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free one.
    pub bind: String,
    /// `sqlite://path?mode=rwc` or `postgres://...`.
    pub database_url: String,
    /// Connections in the pool.
    pub max_connections: u32,
    /// How long a session lasts.
    pub session_ttl_hours: i64,
    /// Seed the demo county when the database is empty.
    pub demo: bool,
    /// The longest term a cross-appointment may have, in years.
    pub max_appointment_years: u32,
    /// Complaint deadlines by priority.
    pub deadlines: domain::complaint::DeadlineRules,
    /// A rate over fewer cases reads "样本不足" (`APP_MIN_SAMPLE`).
    pub min_sample: u64,
    /// How often to close resolved cases nobody answered; `None` runs no background task.
    pub auto_close_every: Option<std::time::Duration>,
    /// How long a session's actor (with its bindings) is kept in memory (500 ms by default); a change made on
    /// another replica is enforced here within this time. Zero turns the cache off.
    pub actor_cache_ttl: std::time::Duration,
    /// How long a client may stay silent while sending a request's headers (the connection is
    /// closed), and how long its whole body may take to arrive (408).
    pub read_timeout: std::time::Duration,
    /// People reach the service over https (`APP_PUBLIC_URL`): the portal's cookies are
    /// `Secure` and `__Host-` prefixed.
    pub https: bool,
    /// The portal's address (`APP_PUBLIC_URL`), put before each record's path in the messages
    /// sent to work-chat robots and webhooks (empty: the path alone).
    pub public_url: String,
    /// How often the delivery worker sends what the outbox holds; `None` runs no worker.
    pub deliver_every: Option<std::time::Duration>,
    /// How long before a deadline its reminder goes out (`APP_REMINDER_LEADS`).
    pub reminder_leads: domain::notification::ReminderLeads,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".to_owned(),
            database_url: "sqlite://data/lianjian.db".to_owned(),
            max_connections: 16,
            session_ttl_hours: 12,
            demo: false,
            max_appointment_years: 5,
            deadlines: domain::complaint::DeadlineRules::default(),
            min_sample: domain::oversight::MIN_SAMPLE,
            auto_close_every: Some(std::time::Duration::from_secs(60)),
            actor_cache_ttl: std::time::Duration::from_millis(500),
            read_timeout: std::time::Duration::from_secs(15),
            https: false,
            public_url: String::new(),
            deliver_every: Some(std::time::Duration::from_secs(5)),
            reminder_leads: domain::notification::ReminderLeads::default(),
        }
    }
}

/// A built application: bound, migrated, ready to serve.
pub struct Application {
    port: u16,
    acceptor: poem::listener::TcpAcceptor,
    app: poem::endpoint::BoxEndpoint<'static>,
    /// The state, for tests and tools.
    pub state: AppState,
    auto_close_every: Option<std::time::Duration>,
    deliverer: Option<(std::time::Duration, infra::delivery::Deliverer)>,
    read_timeout: std::time::Duration,
}

impl Application {
    /// Connects, migrates, optionally seeds the demo, loads the policy and binds.
    ///
    /// # Errors
    /// Any step failing; the message says which.
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self, String> {
        let db = infra::db::connect(&settings.database_url, settings.max_connections)
            .await
            .map_err(|e| format!("database: {e}"))?;
        infra::db::migrate(&db).await.map_err(|e| format!("migrations: {e}"))?;
        let authz = Authorizer::load().await.map_err(|e| format!("policy: {e}"))?;
        let state = AppState::new(
            db.clone(),
            authz,
            clock.clone(),
            &infra::services::ServiceSettings {
                session_ttl: chrono::Duration::hours(settings.session_ttl_hours),
                actor_cache_ttl: settings.actor_cache_ttl,
                max_appointment_years: settings.max_appointment_years,
                deadlines: settings.deadlines,
                min_sample: settings.min_sample,
                reminder_leads: settings.reminder_leads,
            },
        );
        if settings.demo {
            let seeded =
                infra::demo::seed_if_empty(&db, clock.as_ref()).await.map_err(|e| format!("demo data: {e}"))?;
            if seeded {
                tracing::info!("demo county seeded; every demo account's password is {}", infra::demo::PASSWORD);
            } else {
                tracing::info!("database not empty: demo data not seeded");
            }
        }
        let acceptor = TcpListener::bind(settings.bind.clone())
            .into_acceptor()
            .await
            .map_err(|e| format!("bind {}: {e}", settings.bind))?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(std::net::SocketAddr::port))
            .ok_or("no local address")?;
        let app = routes_with(state.clone(), settings.read_timeout, settings.https).boxed();
        let deliverer = match settings.deliver_every {
            Some(every) => Some((
                every,
                infra::delivery::Deliverer::new(db.clone(), clock.clone(), &settings.public_url)
                    .map_err(|e| format!("delivery worker: {e}"))?,
            )),
            None => None,
        };
        Ok(Self {
            port,
            acceptor,
            app,
            state,
            deliverer,
            auto_close_every: settings.auto_close_every,
            read_timeout: settings.read_timeout,
        })
    }

    /// The port it listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the future `shutdown` completes.
    ///
    /// # Errors
    /// The server failed.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()> + Send) -> std::io::Result<()> {
        let closer = self.auto_close_every.map(|every| {
            let complaints = self.state.complaints.clone();
            let notifications = self.state.notifications.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    match complaints.close_expired().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(closed = n, "closed resolved complaints nobody answered"),
                        Err(e) => tracing::warn!(error = %e, "auto-close failed; will retry"),
                    }
                    match notifications.send_reminders().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(sent = n, "sent deadline reminders"),
                        Err(e) => tracing::warn!(error = %e, "deadline reminders failed; will retry"),
                    }
                }
            })
        });
        let sender = self.deliverer.map(|(every, deliverer)| {
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    // Each run in a task of its own: whatever a receiver answers, a run that
                    // fails (even by panicking) is logged and the next one comes.
                    let run = deliverer.clone();
                    match tokio::spawn(async move { run.run_once().await }).await {
                        Ok(Ok(0)) => {}
                        Ok(Ok(n)) => tracing::info!(delivered = n, "delivered notices to channels"),
                        Ok(Err(e)) => tracing::warn!(error = %e, "delivery failed; will retry"),
                        Err(e) => tracing::error!(error = %e, "a delivery run stopped; the next run goes on"),
                    }
                }
            })
        });
        // poem's idle timeout closes a connection that sent nothing, or sits idle between
        // requests, for that long; a head begun must end within it (`wire`), and a body must
        // arrive within it (the request middleware).
        let acceptor = wire::GuardedAcceptor { inner: self.acceptor, head_timeout: self.read_timeout };
        let served = poem::Server::new_with_acceptor(acceptor)
            .idle_timeout(self.read_timeout)
            .run_with_graceful_shutdown(self.app, shutdown, Some(std::time::Duration::from_secs(10)))
            .await;
        for task in [closer, sender].into_iter().flatten() {
            task.abort();
        }
        served
    }
}

/// Why `serve --demo --reset-demo` left the database alone.
#[derive(Debug)]
pub enum ResetDemoError {
    /// The database holds more than the demo (`not_a_demo_database`).
    NotDemo,
    /// Connecting, dropping or seeding failed; the text says which.
    Failed(String),
}

/// Drops every table and seeds the demo county again, but only when the database holds the
/// demo and nothing else: every table in it is one of this service's, and its accounts are
/// exactly the demo's (by username). Anyone who set the database up for real created their own
/// administrator with `create-admin`, or other accounts, so such a database is refused. An
/// empty database is simply seeded.
///
/// # Errors
/// [`ResetDemoError::NotDemo`] when the database holds anything else; `Failed` otherwise.
pub async fn reset_demo(database_url: &str, clock: &dyn Clock) -> Result<(), ResetDemoError> {
    use migrations::MigratorTrait;
    let failed = |what: &str, e: &dyn std::fmt::Display| ResetDemoError::Failed(format!("{what}: {e}"));
    // One connection: on SQLite, dropping the tables turns foreign keys off for that
    // connection only.
    let db = infra::db::connect(database_url, 1).await.map_err(|e| failed("database", &e))?;
    if !holds_only_demo(&db).await.map_err(|e| failed("reading the database", &e))? {
        let _ = db.close().await;
        return Err(ResetDemoError::NotDemo);
    }
    migrations::Migrator::fresh(&db).await.map_err(|e| failed("dropping and migrating", &e))?;
    let _ = db.close().await;
    let db = infra::db::connect(database_url, 2).await.map_err(|e| failed("database", &e))?;
    infra::demo::seed_if_empty(&db, clock).await.map_err(|e| failed("demo data", &e))?;
    let _ = db.close().await;
    Ok(())
}

/// The tables of `db` (without sea-orm's own bookkeeping table).
async fn tables(db: &sea_orm::DatabaseConnection) -> Result<std::collections::BTreeSet<String>, sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let mut names = std::collections::BTreeSet::new();
    for row in db.query_all_raw(Statement::from_string(backend, sql)).await? {
        names.insert(row.try_get::<String>("", "name")?);
    }
    names.remove("seaql_migrations");
    Ok(names)
}

/// See [`reset_demo`].
async fn holds_only_demo(db: &sea_orm::DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    let present = tables(db).await?;
    if present.is_empty() {
        return Ok(true);
    }
    // This service's tables, as its migrations make them on a scratch database.
    let scratch = infra::db::connect("sqlite::memory:", 1).await?;
    infra::db::migrate(&scratch).await?;
    let ours = tables(&scratch).await?;
    let _ = scratch.close().await;
    if !present.is_subset(&ours) || !present.contains("accounts") {
        return Ok(false);
    }
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(Statement::from_string(backend, "SELECT username FROM accounts")).await?;
    let mut usernames = std::collections::BTreeSet::new();
    for row in rows {
        usernames.insert(row.try_get::<String>("", "username")?);
    }
    let demo: std::collections::BTreeSet<String> = infra::demo::ACCOUNTS.iter().map(|(u, _)| (*u).to_owned()).collect();
    Ok(usernames == demo)
}

/// The OpenAPI service with every endpoint.
#[must_use]
pub fn openapi(state: &AppState) -> OpenApiService<routes::Apis, ()> {
    OpenApiService::new(
        (
            routes::accounts::AccountsApi { state: state.clone() },
            routes::places::PlacesApi { state: state.clone() },
            routes::organizations::OrganizationsApi { state: state.clone() },
            routes::people::PeopleApi { state: state.clone() },
            routes::appointments::AppointmentsApi { state: state.clone() },
            routes::complaints::ComplaintsApi { state: state.clone() },
            routes::oversight::OversightApi { state: state.clone() },
            routes::meetings::MeetingsApi { state: state.clone() },
            routes::notifications::NotificationsApi { state: state.clone() },
            routes::channels::ChannelsApi { state: state.clone() },
            routes::authz::AuthzApi { state: state.clone() },
        ),
        "党建联建协同服务 Joint-building coordination service",
        env!("CARGO_PKG_VERSION"),
    )
    .description("社区党支部、居委会、物业企业与业主委员会协同：组织登记、交叉任职与联合诉求处理。\nCoordinates community committees, property companies and owners' committees.")
}

/// Every route, wrapped in the request-context middleware, with the default read timeout.
pub fn routes(state: AppState) -> impl Endpoint<Output = Response> {
    let defaults = Settings::default();
    routes_with(state, defaults.read_timeout, defaults.https)
}

/// Every route, wrapped in the request-context middleware; a request body must arrive
/// within `read_timeout`.
pub fn routes_with(
    state: AppState,
    read_timeout: std::time::Duration,
    https: bool,
) -> impl Endpoint<Output = Response> {
    let portal = portal::PortalSettings { https };
    let api = openapi(&state);
    let (spec, docs) = spec::endpoints(&api);
    Route::new()
        .nest_no_strip("/api/v1", api)
        .nest("/", portal::routes(state.clone(), portal))
        .at("/api/openapi.json", spec)
        .nest("/api/docs", docs)
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .data(state)
        .around(move |next, req| request_context(next, req, read_timeout))
}

#[handler]
fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

#[handler]
async fn readyz(req: &Request) -> Response {
    let Some(state) = req.data::<AppState>() else {
        return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error").into_response();
    };
    match infra::db::ping(&state.db).await {
        Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable").into_response()
        }
    }
}

/// Per request: a request id (kept from `X-Request-Id` when sane), the language for
/// messages, a tracing span, the body (read whole, within `read_timeout` and the 1 MiB limit,
/// and checked when it is JSON), the `Idempotency-Key` check, problem JSON for every error,
/// and the headers every response carries.
async fn request_context<E: Endpoint>(
    next: E,
    mut req: Request,
    read_timeout: std::time::Duration,
) -> poem::Result<Response> {
    let request_id = req
        .header("x-request-id")
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), ToOwned::to_owned);
    let lang = Lang::from_accept_language(req.header("accept-language"));
    req.extensions_mut().insert(RequestId(request_id.clone()));
    // Everything under /api/v1 may answer for a signed-in caller: no cache may keep it.
    let private = req.uri().path().starts_with("/api/v1/") || req.headers().contains_key("authorization");
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %req.method(), path = %req.uri().path());
    let started = Instant::now();
    let mut resp = lang
        .scope(async {
            if let Err(e) = prepare(&mut req, read_timeout).await {
                return e.into_response();
            }
            match next.call(req).await {
                Ok(r) => r.into_response(),
                // Errors our handlers return already carry their problem response.
                Err(e) if e.is_from_response() => e.into_response(),
                Err(e) => ApiError::from_request_error(e).into_response(),
            }
        })
        .instrument(span.clone())
        .await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    if private {
        resp.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    }
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "served"
        );
    });
    Ok(resp)
}

/// Everything checked before a handler runs: the `Idempotency-Key`, the body's size and
/// arrival time, and a JSON body's keys and strings. Puts the body back for the handler.
async fn prepare(req: &mut Request, read_timeout: std::time::Duration) -> Result<(), ApiError> {
    let idempotency_key = {
        let mut keys = req.headers().get_all("idempotency-key").iter();
        match (keys.next(), keys.next()) {
            (None, _) => None,
            (Some(k), None) if infra::idempotency::is_valid_key(k.as_bytes()) => Some(()),
            // poem would silently read a non-ASCII key as no key, and the action would run twice.
            _ => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_idempotency_key")),
        }
    };
    let body = read_body(req, read_timeout).await?;
    if let Some(bytes) = &body {
        if is_json(req.header("content-type")) {
            body::check_json(bytes)?;
        }
    }
    if idempotency_key.is_some() {
        let fingerprint = infra::idempotency::fingerprint(
            req.method().as_str(),
            req.uri().path(),
            body.as_deref().unwrap_or_default(),
        );
        req.extensions_mut().insert(auth::IdempotencyFingerprint(fingerprint));
    }
    if let Some(bytes) = body {
        req.set_body(bytes);
    }
    Ok(())
}

/// Whether a `Content-Type` names JSON (`application/json` or `application/*+json`).
fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads the whole body, if there is one: at most [`MAX_BODY_BYTES`] (413 beyond, by
/// `Content-Length` or by reading), and within `read_timeout` (408).
async fn read_body(req: &mut Request, read_timeout: std::time::Duration) -> Result<Option<Vec<u8>>, ApiError> {
    let too_large = || ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let timed_out = || ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout");
    match req.header("content-length") {
        Some(len) => match len.parse::<usize>() {
            Ok(0) => return Ok(None),
            Ok(n) if n <= MAX_BODY_BYTES => {}
            Ok(n) => {
                // Read and discard a moderately oversized body before answering, so that a
                // client still sending it reads the 413 instead of a broken connection.
                if n <= DRAIN_BODY_BYTES {
                    let mut reader = req.take_body().into_async_read().take(n as u64);
                    let mut sink = tokio::io::sink();
                    let _ = tokio::time::timeout(read_timeout, tokio::io::copy(&mut reader, &mut sink)).await;
                }
                return Err(too_large());
            }
            Err(_) => return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_request")),
        },
        None if req.header("transfer-encoding").is_none() => return Ok(None),
        None => {}
    }
    let mut buf = Vec::new();
    let mut reader = req.take_body().into_async_read().take(MAX_BODY_BYTES as u64 + 1);
    match tokio::time::timeout(read_timeout, reader.read_to_end(&mut buf)).await {
        Err(_) => return Err(timed_out()),
        Ok(Err(_)) => return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_request")),
        Ok(Ok(_)) => {}
    }
    if buf.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(Some(buf))
}

/// JSON bodies are checked once here, for every endpoint, before poem-openapi reads them:
/// a key repeated in one object (serde would keep the last silently, and two parsers could
/// disagree on what was sent) is refused with 400 `duplicate_json_key`; a string holding a
/// control character other than newline and tab (PostgreSQL cannot even store `\u0000`) is a
/// field error `control_character`, named by its path (`a.b`, `items[0]`). A body that is not
/// JSON at all is left to the handler, which says where it fails.
mod body {
    use crate::problem::ApiError;
    use poem::http::StatusCode;
    use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
    use std::cell::RefCell;
    use std::collections::HashSet;
    use std::fmt;

    #[derive(Default)]
    struct Findings {
        duplicate: Option<String>,
        control: Vec<String>,
    }

    struct Walk<'a> {
        path: String,
        findings: &'a RefCell<Findings>,
    }

    impl Walk<'_> {
        fn child(&self, segment: &str) -> String {
            if self.path.is_empty() {
                segment.to_owned()
            } else {
                format!("{}.{segment}", self.path)
            }
        }

        fn string(&self, s: &str) {
            // The domain's one rule: no control character but newline, carriage return and tab.
            if domain::error::has_control_character(s) {
                let field = if self.path.is_empty() { "body".to_owned() } else { self.path.clone() };
                self.findings.borrow_mut().control.push(field);
            }
        }
    }

    impl<'de> DeserializeSeed<'de> for Walk<'_> {
        type Value = ();

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Walk<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }

        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }

        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }

        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }

        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }

        fn visit_str<E>(self, s: &str) -> Result<(), E> {
            self.string(s);
            Ok(())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0usize;
            loop {
                let path = format!("{}[{i}]", self.path);
                if seq.next_element_seed(Walk { path, findings: self.findings })?.is_none() {
                    return Ok(());
                }
                i += 1;
            }
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                let path = self.child(&key);
                if !seen.insert(key) {
                    self.findings.borrow_mut().duplicate = Some(path);
                    // Stop here: the error is told apart from a syntax error by the finding.
                    return Err(A::Error::custom("duplicate key"));
                }
                map.next_value_seed(Walk { path, findings: self.findings })?;
            }
            Ok(())
        }
    }

    /// Checks a JSON body (see the module's comment).
    pub(crate) fn check_json(bytes: &[u8]) -> Result<(), ApiError> {
        let findings = RefCell::new(Findings::default());
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parsed = Walk { path: String::new(), findings: &findings }.deserialize(&mut de).and_then(|()| de.end());
        let findings = findings.into_inner();
        if let Some(path) = findings.duplicate {
            let mut e = ApiError::new(StatusCode::BAD_REQUEST, "duplicate_json_key");
            if let ApiError::BadRequest(p) = &mut e {
                p.0.message = format!("{}: {path}", p.0.message);
            }
            return Err(e);
        }
        if parsed.is_err() {
            // Not JSON: the handler's parser explains it.
            return Ok(());
        }
        if findings.control.is_empty() {
            return Ok(());
        }
        Err(ApiError::validation(
            findings
                .control
                .into_iter()
                .map(|field| domain::FieldError::new(field, domain::Code::ControlCharacter))
                .collect(),
        ))
    }

    #[cfg(test)]
    mod tests {
        use super::check_json;

        fn code(body: &str) -> Option<(String, Vec<String>)> {
            check_json(body.as_bytes()).err().map(|e| {
                let p = e.problem();
                (p.code.clone(), p.errors.iter().flatten().map(|f| f.field.clone()).collect())
            })
        }

        #[test]
        fn a_key_repeated_at_any_depth_is_refused() {
            assert_eq!(code(r#"{"version":1,"version":2}"#).map(|c| c.0).as_deref(), Some("duplicate_json_key"));
            assert_eq!(code(r#"{"a":[{"b":1,"b":1}]}"#).map(|c| c.0).as_deref(), Some("duplicate_json_key"));
            assert_eq!(code(r#"{"a":{"b":1},"c":{"b":1}}"#), None, "the same key in two objects is fine");
        }

        #[test]
        fn control_characters_are_field_errors_named_by_their_path() {
            let (code, fields) =
                code(r#"{"title":"a\u0000b","x":{"y":["ok","\u001b"]},"n":"line\nand\ttab"}"#).unwrap();
            assert_eq!(code, "validation_failed");
            assert_eq!(fields, ["title", "x.y[1]"]);
        }

        #[test]
        fn bodies_that_are_not_json_are_left_to_the_handler() {
            assert_eq!(code("{\"a\":"), None);
            assert_eq!(code("[1] x"), None);
        }
    }
}

/// Each connection, below poem. Two things poem leaves to hyper, which does neither the way
/// this service needs:
///
/// - hyper answers a request it cannot parse (a request target holding `<`, `>` or `"`, a
///   malformed `Content-Length`, headers over its limits) by itself, before poem or the
///   request middleware see it: an empty 400, 414 or 431 with `connection: close`. Such an
///   answer goes out here as a problem with a request id, like every other error. It is
///   recognised exactly: a status line, `connection: close`, `content-length: 0`, and no
///   `x-request-id`, which every answer of ours carries.
/// - hyper waits for a request's head as long as the client likes (poem sets it no timer, and
///   poem's idle timeout spares a connection whose first request is under way). Here a head
///   must be complete within the read timeout of its first byte, or the connection is closed.
mod wire {
    use poem::listener::Acceptor;
    use poem::web::{LocalAddr, RemoteAddr};
    use std::future::Future;
    use std::io;
    use std::pin::Pin;
    use std::task::{ready, Context, Poll};
    use std::time::Duration;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio::time::Sleep;

    /// An acceptor whose connections are guarded as the module's comment says.
    pub(crate) struct GuardedAcceptor<A> {
        pub(crate) inner: A,
        /// How long a request head may take from its first byte.
        pub(crate) head_timeout: Duration,
    }

    impl<A: Acceptor> Acceptor for GuardedAcceptor<A> {
        type Io = GuardedIo<A::Io>;

        fn local_addr(&self) -> Vec<LocalAddr> {
            self.inner.local_addr()
        }

        async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)> {
            let (io, local, remote, scheme) = self.inner.accept().await?;
            let io = GuardedIo {
                inner: io,
                pending: Vec::new(),
                written: 0,
                head_timeout: self.head_timeout,
                in_head: true,
                newlines: 0,
                deadline: None,
            };
            Ok((io, local, remote, scheme))
        }
    }

    /// A connection; see the module's comment.
    pub(crate) struct GuardedIo<T> {
        inner: T,
        /// A rewritten answer still to be sent, and how much of it is.
        pending: Vec<u8>,
        written: usize,
        head_timeout: Duration,
        /// Reading a request head (until its blank line), rather than a body or nothing.
        in_head: bool,
        /// Where the blank line that ends a head has got to: 1 after `\n`, 2 after `\n\r`.
        newlines: u8,
        /// When the head being read must be complete.
        deadline: Option<Pin<Box<Sleep>>>,
    }

    impl<T> GuardedIo<T> {
        /// Follows the bytes of a request head, starting its deadline at its first byte.
        fn saw(&mut self, bytes: &[u8]) {
            if !self.in_head || bytes.is_empty() {
                return;
            }
            if self.deadline.is_none() {
                self.deadline = Some(Box::pin(tokio::time::sleep(self.head_timeout)));
            }
            for &b in bytes {
                self.newlines = match (b, self.newlines) {
                    (b'\n', 1 | 2) => {
                        // The blank line: what follows is a body, or the next request after
                        // the answer to this one.
                        self.in_head = false;
                        self.newlines = 0;
                        self.deadline = None;
                        return;
                    }
                    (b'\n', _) => 1,
                    (b'\r', 1) => 2,
                    (b'\r', n) => n,
                    _ => 0,
                };
            }
        }

        /// An answer is going out: the next bytes read start another request.
        fn answering(&mut self) {
            if !self.in_head {
                self.in_head = true;
                self.newlines = 0;
            }
        }
    }

    impl<T: AsyncWrite + Unpin> GuardedIo<T> {
        fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            while self.written < self.pending.len() {
                let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                self.written += n;
            }
            self.pending.clear();
            self.written = 0;
            Poll::Ready(Ok(()))
        }

        /// Queues the problem instead of `buf` when `buf` is hyper's own error answer.
        fn substitute(&mut self, buf: &[u8], cx: &mut Context<'_>) -> Option<Poll<io::Result<usize>>> {
            let answer = rewrite(buf)?;
            self.pending = answer;
            self.written = 0;
            Some(match self.drain(cx) {
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                // The rest goes out on the flush hyper makes next.
                _ => Poll::Ready(Ok(buf.len())),
            })
        }
    }

    /// The problem answer for hyper's error answer `buf`, if it is one.
    fn rewrite(buf: &[u8]) -> Option<Vec<u8>> {
        // Every answer passes here: leave at the first bytes unless it is one of the three.
        if buf.len() >= 512 || !may_be_hypers(buf) {
            return None;
        }
        let text = std::str::from_utf8(buf).ok()?;
        let status: u16 = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
        let lower = text.to_ascii_lowercase();
        let hypers = buf.len() < 512
            && lower.ends_with("\r\n\r\n")
            && lower.contains("\r\nconnection: close\r\n")
            && lower.contains("\r\ncontent-length: 0\r\n")
            && !lower.contains("\r\nx-request-id:");
        if !hypers {
            return None;
        }
        let code = match status {
            400 => "bad_request",
            414 => "uri_too_long",
            431 => "headers_too_large",
            _ => return None,
        };
        let reason = poem::http::StatusCode::from_u16(status).ok()?.canonical_reason().unwrap_or_default();
        let body =
            serde_json::json!({ "status": status, "code": code, "message": crate::problem::message(code) }).to_string();
        let request_id = uuid::Uuid::now_v7();
        tracing::info!(%request_id, status, "refused a request that does not parse as HTTP");
        Some(
            format!(
                "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json; charset=utf-8\r\n\
                 x-request-id: {request_id}\r\nx-content-type-options: nosniff\r\ncache-control: no-store\r\n\
                 connection: close\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }

    /// Whether an answer starts like hyper's own 400, 414 or 431.
    fn may_be_hypers(head: &[u8]) -> bool {
        matches!(head.get(..12), Some(b"HTTP/1.1 400" | b"HTTP/1.1 414" | b"HTTP/1.1 431"))
    }

    impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
        fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            let this = &mut *self;
            let before = buf.filled().len();
            match Pin::new(&mut this.inner).poll_read(cx, buf) {
                Poll::Ready(Ok(())) => {
                    this.saw(&buf.filled()[before..]);
                    Poll::Ready(Ok(()))
                }
                Poll::Pending => match this.deadline.as_mut().map(|d| d.as_mut().poll(cx)) {
                    Some(Poll::Ready(())) => {
                        tracing::info!("closing a connection whose request head did not arrive in time");
                        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "request head not received in time")))
                    }
                    _ => Poll::Pending,
                },
                other => other,
            }
        }
    }

    impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
        fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            ready!(self.drain(cx))?;
            self.answering();
            if let Some(done) = self.substitute(buf, cx) {
                return done;
            }
            Pin::new(&mut self.inner).poll_write(cx, buf)
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            ready!(self.drain(cx))?;
            self.answering();
            let total: usize = bufs.iter().map(|b| b.len()).sum();
            if total < 512 && bufs.first().is_some_and(|b| may_be_hypers(b)) {
                let joined: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
                if let Some(done) = self.substitute(&joined, cx) {
                    return done;
                }
            }
            Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
        }

        fn is_write_vectored(&self) -> bool {
            self.inner.is_write_vectored()
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            ready!(self.drain(cx))?;
            Pin::new(&mut self.inner).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            ready!(self.drain(cx))?;
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::{rewrite, GuardedIo};
        use std::time::Duration;

        fn io() -> GuardedIo<()> {
            GuardedIo {
                inner: (),
                pending: Vec::new(),
                written: 0,
                head_timeout: Duration::from_secs(1),
                in_head: true,
                newlines: 0,
                deadline: None,
            }
        }

        #[tokio::test]
        async fn a_head_is_followed_to_its_blank_line_across_reads() {
            let mut io = io();
            io.saw(b"GET / HTTP/1.1\r\nhost: a\r");
            assert!(io.in_head && io.deadline.is_some());
            io.saw(b"\n\r");
            assert!(io.in_head);
            io.saw(b"\n{\"body\":1}");
            assert!(!io.in_head && io.deadline.is_none());
            io.saw(b"more body\r\n\r\n");
            assert!(!io.in_head, "a body is not a head");
            io.answering();
            assert!(io.in_head && io.deadline.is_none(), "the deadline starts at the next head's first byte");
            io.saw(b"GET / HTTP/1.1\nhost: a\n\n");
            assert!(!io.in_head, "bare newlines end a head too");
        }

        #[test]
        fn only_hypers_own_error_answers_are_rewritten() {
            let hyper = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
            let out = String::from_utf8(rewrite(hyper).unwrap()).unwrap();
            assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
            assert!(out.contains("x-request-id: "), "{out}");
            assert!(out.ends_with(r#""status":400}"#) || out.contains(r#""code":"bad_request""#), "{out}");
            let ours = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\nx-request-id: a\r\n\r\n";
            assert!(rewrite(ours).is_none());
            assert!(rewrite(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n").is_none());
            assert!(rewrite(b"{\"a\":1}").is_none());
        }
    }
}
