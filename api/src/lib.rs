//! The HTTP service: poem-openapi endpoints under `/api/v1`, authentication, problem
//! responses, request ids and the application that wires it all together.

pub mod auth;
pub mod csv;
pub mod dto;
pub mod problem;
pub mod routes;
pub mod state;

use crate::auth::RequestId;
use crate::problem::{ApiError, Lang};
use crate::state::AppState;
use domain::clock::Clock;
use infra::accounts::Accounts;
use infra::appointments::Appointments;
use infra::authz::{Authorizer, Gate};
use infra::complaints::Complaints;
use infra::registry::Registry;
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
    /// How often to close resolved cases nobody answered; `None` runs no background task.
    pub auto_close_every: Option<std::time::Duration>,
    /// How long a session's actor (with its bindings) is kept in memory (500 ms by default); a change made on
    /// another replica is enforced here within this time. Zero turns the cache off.
    pub actor_cache_ttl: std::time::Duration,
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
            auto_close_every: Some(std::time::Duration::from_secs(60)),
            actor_cache_ttl: std::time::Duration::from_millis(500),
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
        let authz = Arc::new(Authorizer::load().await.map_err(|e| format!("policy: {e}"))?);
        let actors = Arc::new(infra::actor::ActorCache::new(settings.actor_cache_ttl));
        let accounts = Accounts::new(
            db.clone(),
            clock.clone(),
            chrono::Duration::hours(settings.session_ttl_hours),
            actors.clone(),
        );
        let gate = Gate::new(authz, db.clone(), clock.clone(), actors);
        let registry = Registry::new(db.clone(), gate.clone(), clock.clone());
        let access = infra::access::Access::new(db.clone(), gate.clone(), clock.clone());
        let appointments = Appointments::new(db.clone(), gate.clone(), clock.clone(), settings.max_appointment_years);
        let complaints = Complaints::new(db.clone(), gate, clock.clone(), settings.deadlines);
        let state = AppState { db: db.clone(), accounts, access, registry, appointments, complaints, clock: clock.clone() };
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
        let app = routes(state.clone()).boxed();
        Ok(Self { port, acceptor, app, state, auto_close_every: settings.auto_close_every })
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
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    match complaints.close_expired().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(closed = n, "closed resolved complaints nobody answered"),
                        Err(e) => tracing::warn!(error = %e, "auto-close failed; will retry"),
                    }
                }
            })
        });
        let served = poem::Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(self.app, shutdown, Some(std::time::Duration::from_secs(10)))
            .await;
        if let Some(task) = closer {
            task.abort();
        }
        served
    }
}

/// The OpenAPI service with every endpoint.
#[must_use]
pub fn openapi(state: &AppState) -> OpenApiService<routes::Apis, ()> {
    OpenApiService::new(
        (
            routes::accounts::AccountsApi { state: state.clone() },
            routes::registry::RegistryApi { state: state.clone() },
            routes::appointments::AppointmentsApi { state: state.clone() },
            routes::complaints::ComplaintsApi { state: state.clone() },
            routes::authz::AuthzApi { state: state.clone() },
        ),
        "党建联建协同服务 Joint-building coordination service",
        env!("CARGO_PKG_VERSION"),
    )
    .description("社区党支部、居委会、物业企业与业主委员会协同：组织登记、交叉任职与联合诉求处理。\nCoordinates community committees, property companies and owners' committees.")
}

/// Every route, wrapped in the request-context middleware.
pub fn routes(state: AppState) -> impl Endpoint<Output = Response> {
    let api = openapi(&state);
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    Route::new()
        .nest("/", api)
        .at("/api/openapi.json", spec)
        .nest("/api/docs", docs)
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .data(state)
        .around(request_context)
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
/// messages, a tracing span, the 1 MiB body limit, and problem JSON for every error.
async fn request_context<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let request_id = req
        .header("x-request-id")
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), ToOwned::to_owned);
    let lang = Lang::from_accept_language(req.header("accept-language"));
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %req.method(), path = %req.uri().path());
    let started = Instant::now();
    let mut resp = lang
        .scope(async {
            if let Err(e) = limit_body(&mut req).await {
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
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "served"
        );
    });
    Ok(resp)
}

/// Refuses bodies over [`MAX_BODY_BYTES`], by `Content-Length` or, without one, by reading.
async fn limit_body(req: &mut Request) -> Result<(), ApiError> {
    let too_large = || ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    if let Some(len) = req.header("content-length") {
        return match len.parse::<usize>() {
            Ok(n) if n <= MAX_BODY_BYTES => Ok(()),
            Ok(n) => {
                // Read and discard a moderately oversized body before answering, so that a
                // client still sending it reads the 413 instead of a broken connection.
                if n <= DRAIN_BODY_BYTES {
                    let mut reader = req.take_body().into_async_read().take(n as u64);
                    let _ = tokio::io::copy(&mut reader, &mut tokio::io::sink()).await;
                }
                Err(too_large())
            }
            Err(_) => Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_request")),
        };
    }
    if req.header("transfer-encoding").is_none() {
        return Ok(());
    }
    let mut buf = Vec::new();
    let mut reader = req.take_body().into_async_read().take(MAX_BODY_BYTES as u64 + 1);
    reader.read_to_end(&mut buf).await.map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad_request"))?;
    if buf.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    req.set_body(buf);
    Ok(())
}
