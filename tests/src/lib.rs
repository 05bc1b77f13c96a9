//! Test harness: starts the real application on port 0 against a fresh database, seeded
//! with the demo county, and gives typed helpers to call it as the demo accounts.
//!
//! Every test runs twice through [`e2e!`]: on a temporary SQLite file and on a fresh
//! PostgreSQL database made from `TEST_DATABASE_URL` (default: the local server at
//! `postgres://postgres@127.0.0.1:5432/postgres`). A PostgreSQL that cannot be reached fails
//! the test loudly; nothing is skipped.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use api::{Application, Settings};
use infra::clock::OffsetClock;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use std::sync::Arc;

pub use serde_json::json;

/// The databases a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

/// Defines a test that runs on both databases: `e2e!(name, |app| async move { ... })`.
#[macro_export]
macro_rules! e2e {
    ($name:ident, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let owned = $crate::TestApp::spawn($crate::Backend::Sqlite).await;
                let $app = &owned;
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let owned = $crate::TestApp::spawn($crate::Backend::Postgres).await;
                let $app = &owned;
                $body.await;
            }
        }
    };
}

/// A running application.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The clock the application reads; tests move it forward.
    pub clock: Arc<OffsetClock>,
    /// The database behind it.
    pub database_url: String,
    /// The application's state (database pool), for checks the API cannot make.
    pub state: api::state::AppState,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
    _database: DatabaseGuard,
}

/// Removes the test's database when the test ends, passed or panicked.
struct DatabaseGuard {
    /// (server URL, database name) of a PostgreSQL database to drop.
    postgres: Option<(String, String)>,
    /// A SQLite file to remove.
    sqlite: Option<String>,
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        if let Some(path) = self.sqlite.take() {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
        }
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs inside the test's runtime, possibly while unwinding: use a thread
            // with its own small runtime.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async {
                    if let Ok(conn) = Database::connect(&admin).await {
                        let _ = conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A response: status and JSON body (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    /// Status.
    pub status: StatusCode,
    /// Body.
    pub body: Value,
    /// The `x-request-id` header.
    pub request_id: Option<String>,
}

impl Resp {
    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.body);
        self.body
    }

    /// The problem `code` of an error body.
    #[must_use]
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt().with_env_filter("info,sqlx=warn").with_test_writer().try_init();
    }
}

/// The PostgreSQL server tests make their databases on.
#[must_use]
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestApp {
    /// Starts the application on a fresh database seeded with the demo county.
    pub async fn spawn(backend: Backend) -> Self {
        init_logs();
        let name = format!("lj_test_{}", uuid::Uuid::new_v4().simple());
        let (database_url, guard) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db")).display().to_string();
                (format!("sqlite://{path}"), DatabaseGuard { postgres: None, sqlite: Some(path) })
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let conn = Database::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin} is needed for the PostgreSQL half of the tests ({e}); start it or set TEST_DATABASE_URL")
                });
                conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
                conn.close().await.unwrap();
                (with_database(&admin, &name), DatabaseGuard { postgres: Some((admin, name)), sqlite: None })
            }
        };
        let clock = Arc::new(OffsetClock::default());
        let settings = Settings {
            bind: "127.0.0.1:0".to_owned(),
            database_url: database_url.clone(),
            max_connections: 8,
            session_ttl_hours: 12,
            demo: true,
            max_appointment_years: 5,
            deadlines: domain::complaint::DeadlineRules::default(),
            // Tests close expired cases by calling the task's body with a moved clock.
            auto_close_every: None,
            actor_cache_ttl: std::time::Duration::from_millis(500),
            ..Settings::default()
        };
        let app = Application::build(settings, clock.clone()).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state.clone();
        let server = tokio::spawn(async move {
            let _ = app.run_until(std::future::pending()).await;
        });
        Self { address, clock, database_url, state, http: reqwest::Client::new(), server, _database: guard }
    }

    /// Starts a second server on the same database and clock: another replica behind the
    /// same load balancer. The first app owns (and drops) the database.
    pub async fn replica(&self) -> Self {
        let settings = Settings {
            bind: "127.0.0.1:0".to_owned(),
            database_url: self.database_url.clone(),
            max_connections: 8,
            session_ttl_hours: 12,
            demo: false,
            max_appointment_years: 5,
            deadlines: domain::complaint::DeadlineRules::default(),
            auto_close_every: None,
            actor_cache_ttl: std::time::Duration::from_millis(500),
            ..Settings::default()
        };
        let app = Application::build(settings, self.clock.clone()).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state.clone();
        let server = tokio::spawn(async move {
            let _ = app.run_until(std::future::pending()).await;
        });
        Self {
            address,
            clock: self.clock.clone(),
            database_url: self.database_url.clone(),
            state,
            http: reqwest::Client::new(),
            server,
            _database: DatabaseGuard { postgres: None, sqlite: None },
        }
    }

    /// Sends a request; `token` signs it, `body` is sent as JSON.
    pub async fn send(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.address));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        Self::read(resp).await
    }

    /// Sends raw bytes with headers (for malformed input).
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.address)).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Self::read(req.send().await.unwrap()).await
    }

    async fn read(resp: reqwest::Response) -> Resp {
        let status = resp.status();
        let request_id = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(ToOwned::to_owned);
        let bytes = resp.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, body, request_id }
    }

    /// Signs in, returning the response.
    pub async fn login(&self, username: &str, password: &str) -> Resp {
        self.send("POST", "/api/v1/sessions", None, Some(json!({"username": username, "password": password}))).await
    }

    /// A client for a session made elsewhere (on another replica).
    #[must_use]
    pub fn with_token(&self, token: &str) -> Client<'_> {
        Client { app: self, token: token.to_owned() }
    }

    /// Signs in as a demo account.
    pub async fn as_user(&self, username: &str) -> Client<'_> {
        let body = self.login(username, infra::demo::PASSWORD).await.expect(201);
        Client { app: self, token: body["token"].as_str().unwrap().to_owned() }
    }
}

/// A signed-in caller.
pub struct Client<'a> {
    app: &'a TestApp,
    /// The bearer token.
    pub token: String,
}

impl Client<'_> {
    /// GET.
    pub async fn get(&self, path: &str) -> Resp {
        self.app.send("GET", path, Some(&self.token), None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.app.send("POST", path, Some(&self.token), Some(body)).await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.app.send("PATCH", path, Some(&self.token), Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Resp {
        self.app.send("DELETE", path, Some(&self.token), None).await
    }

    /// The id of the item named `name` in the list at `path` (first page of 200).
    pub async fn id_named(&self, path: &str, name: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        let body = self.get(&format!("{path}{sep}limit=200")).await.expect(200);
        let items = body["items"].as_array().unwrap();
        let item = items.iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("{name} not in {path}: {body}"));
        item["id"].as_str().unwrap().to_owned()
    }
}

/// Polls futures together on the test's runtime, so that requests race for real.
pub async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (slot, out) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

/// Defines a test that runs on both databases against an application whose settings
/// `configure` changes: `e2e_with!(name, |settings| { .. }, |app| async move { ... })`.
#[macro_export]
macro_rules! e2e_with {
    ($name:ident, $configure:expr, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let owned = $crate::TestApp::spawn_with($crate::Backend::Sqlite, $configure).await;
                let $app = &owned;
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let owned = $crate::TestApp::spawn_with($crate::Backend::Postgres, $configure).await;
                let $app = &owned;
                $body.await;
            }
        }
    };
}

impl TestApp {
    /// Like [`TestApp::spawn`], with settings that `configure` changes first.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Self {
        init_logs();
        let name = format!("lj_test_{}", uuid::Uuid::new_v4().simple());
        let (database_url, guard) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db")).display().to_string();
                (format!("sqlite://{path}"), DatabaseGuard { postgres: None, sqlite: Some(path) })
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let conn = Database::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin} is needed for the PostgreSQL half of the tests ({e}); start it or set TEST_DATABASE_URL")
                });
                conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
                conn.close().await.unwrap();
                (with_database(&admin, &name), DatabaseGuard { postgres: Some((admin, name)), sqlite: None })
            }
        };
        let clock = Arc::new(OffsetClock::default());
        let mut settings = Settings {
            bind: "127.0.0.1:0".to_owned(),
            database_url: database_url.clone(),
            max_connections: 8,
            demo: true,
            auto_close_every: None,
            ..Settings::default()
        };
        configure(&mut settings);
        let app = Application::build(settings, clock.clone()).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state.clone();
        let server = tokio::spawn(async move {
            let _ = app.run_until(std::future::pending()).await;
        });
        Self { address, clock, database_url, state, http: reqwest::Client::new(), server, _database: guard }
    }

    /// Sends `request` as raw bytes on a new connection and reads until the server closes it or
    /// `limit` passes.
    pub async fn raw_tcp(&self, request: Vec<u8>, limit: std::time::Duration) -> RawReply {
        use std::io::{ErrorKind, Read, Write};
        let addr = self.address.trim_start_matches("http://").to_owned();
        tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.write_all(&request).unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            let closed = loop {
                let Some(left) = limit.checked_sub(started.elapsed()).filter(|d| !d.is_zero()) else { break false };
                stream.set_read_timeout(Some(left)).unwrap();
                match stream.read(&mut buf) {
                    Ok(0) => break true,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break false,
                    Err(_) => break true,
                }
            };
            RawReply { text: String::from_utf8_lossy(&got).into_owned(), elapsed: started.elapsed(), closed }
        })
        .await
        .unwrap()
    }
}

/// What came back on a raw connection.
#[derive(Debug)]
pub struct RawReply {
    /// Everything the server sent.
    pub text: String,
    /// From connecting until the server closed the connection or the limit passed.
    pub elapsed: std::time::Duration,
    /// Whether the server closed the connection (rather than the limit passing).
    pub closed: bool,
}

impl RawReply {
    /// The status of the HTTP answer, if one came.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        self.text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    }

    /// A header of the answer (name in lower case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.text.split("\r\n\r\n").next()?;
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The JSON body of the answer (`Null` when there is none).
    #[must_use]
    pub fn json(&self) -> Value {
        self.text.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()).unwrap_or(Value::Null)
    }
}
