//! Test harness: starts the real application on port 0 against a fresh database, seeded
//! with the demo county, and gives typed helpers to call it as the demo accounts.
//!
//! - [`TestApp`]: a running application on its own database; [`TestApp::demo`] gives the demo
//!   county's ids, looked up once per app.
//! - [`Api`] and [`Client`]: requests to a running service, anonymous or signed in. The fault
//!   tests in `api/tests/` use them against the built binary.
//! - [`TestDatabase`]: a fresh SQLite file or PostgreSQL database, removed when dropped.
//!
//! Every test runs twice through [`e2e!`] (or [`e2e_with!`], which changes the settings first): on a temporary SQLite file and on a fresh
//! PostgreSQL database made from `TEST_DATABASE_URL` (default: the local server at
//! `postgres://postgres@127.0.0.1:5432/postgres`). A PostgreSQL that cannot be reached fails
//! the test loudly; nothing is skipped.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use api::{Application, Settings};
use infra::clock::OffsetClock;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

pub use serde_json::json;

pub mod web;

/// Every demo account's password.
pub const DEMO_PASSWORD: &str = infra::demo::PASSWORD;

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
    api: Api,
    demo: tokio::sync::OnceCell<Demo>,
    server: tokio::task::JoinHandle<()>,
    _database: TestDatabase,
}

/// A fresh database for one test, removed when dropped, whether the test passed or panicked.
pub struct TestDatabase {
    /// What the service connects with.
    pub url: String,
    /// (server URL, database name) of a PostgreSQL database to drop.
    postgres: Option<(String, String)>,
    /// A SQLite file to remove.
    sqlite: Option<String>,
}

impl TestDatabase {
    /// Makes an empty database: a file in the temporary directory, or a database on the
    /// server of [`postgres_admin_url`].
    pub async fn create(backend: Backend) -> Self {
        let name = fresh_name();
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db")).display().to_string();
                Self { url: format!("sqlite://{path}"), postgres: None, sqlite: Some(path) }
            }
            Backend::Postgres => Self::create_postgres(name, "").await,
        }
    }

    /// Makes a database that already holds the demo county, as `serve --demo` would have seeded
    /// it. Seeding takes seconds in a debug build, so each test process seeds one database per
    /// backend once ([`DemoTemplate`]) and copies it for every test: a file copy on SQLite,
    /// `CREATE DATABASE .. TEMPLATE ..` on PostgreSQL. The demo's times are relative to when
    /// the template was seeded, at most the length of the test run ago.
    pub async fn demo(backend: Backend) -> Self {
        let name = fresh_name();
        match backend {
            Backend::Sqlite => {
                let template = SQLITE_DEMO.get_or_init(|| DemoTemplate::seed(Backend::Sqlite)).await;
                let path = std::env::temp_dir().join(format!("{name}.db")).display().to_string();
                std::fs::copy(&template.location, &path)
                    .unwrap_or_else(|e| panic!("copying the demo database {} to {path}: {e}", template.location));
                Self { url: format!("sqlite://{path}"), postgres: None, sqlite: Some(path) }
            }
            Backend::Postgres => {
                let template = POSTGRES_DEMO.get_or_init(|| DemoTemplate::seed(Backend::Postgres)).await;
                Self::create_postgres(name, &format!(" TEMPLATE {}", template.location)).await
            }
        }
    }

    /// `CREATE DATABASE {name}{how}` on the server of [`postgres_admin_url`].
    async fn create_postgres(name: String, how: &str) -> Self {
        let (admin, conn) = postgres_admin().await;
        conn.execute_unprepared(&format!("CREATE DATABASE {name}{how}")).await.unwrap();
        conn.close().await.unwrap();
        Self { url: with_database(&admin, &name), postgres: Some((admin, name)), sqlite: None }
    }

    /// Another handle on a database someone else owns; dropping it removes nothing.
    fn borrowed(url: &str) -> Self {
        Self { url: url.to_owned(), postgres: None, sqlite: None }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(path) = self.sqlite.take() {
            remove_sqlite(&path);
        }
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs inside the test's runtime, possibly while unwinding: use a thread
            // with its own small runtime.
            let _ = std::thread::spawn(move || drop_postgres(&admin, &name)).join();
        }
    }
}

/// A connection to the server tests make their databases on, and its URL; fails the test,
/// saying what is missing, when PostgreSQL cannot be reached.
async fn postgres_admin() -> (String, sea_orm::DatabaseConnection) {
    let admin = postgres_admin_url();
    let conn = Database::connect(&admin).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin} is needed for the PostgreSQL half of the tests ({e}); start it or set TEST_DATABASE_URL")
    });
    (admin, conn)
}

fn fresh_name() -> String {
    format!("lj_test_{}", uuid::Uuid::new_v4().simple())
}

fn remove_sqlite(path: &str) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}

/// Drops a PostgreSQL database, outside any runtime. It may run at exit with PostgreSQL down
/// (the fault tests stop it): it gives up after two seconds.
fn drop_postgres(admin: &str, name: &str) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
    rt.block_on(async {
        let mut options = sea_orm::ConnectOptions::new(admin.to_owned());
        options.connect_timeout(std::time::Duration::from_secs(2)).acquire_timeout(std::time::Duration::from_secs(2));
        if let Ok(conn) = Database::connect(options).await {
            let _ = conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            let _ = conn.close().await;
        }
    });
}

static SQLITE_DEMO: tokio::sync::OnceCell<DemoTemplate> = tokio::sync::OnceCell::const_new();
static POSTGRES_DEMO: tokio::sync::OnceCell<DemoTemplate> = tokio::sync::OnceCell::const_new();

/// The demo county seeded once per test process and backend, which [`TestDatabase::demo`]
/// copies. Its name carries the machine's name and the process id ([`template_name`]); it is
/// removed when the process exits, and a template left by a process that was killed is removed
/// by the next run on the same machine.
struct DemoTemplate {
    /// The SQLite file's path, or the PostgreSQL database's name.
    location: String,
}

const TEMPLATE_PREFIX: &str = "lj_demo_template_";

impl DemoTemplate {
    async fn seed(backend: Backend) -> Self {
        let name = template_name(std::process::id());
        let (url, location) = match backend {
            Backend::Sqlite => {
                remove_stale_sqlite_templates();
                let path = std::env::temp_dir().join(format!("{name}.db")).display().to_string();
                remove_sqlite(&path);
                (format!("sqlite://{path}"), path)
            }
            Backend::Postgres => {
                let (admin, conn) = postgres_admin().await;
                remove_stale_postgres_templates(&conn).await;
                conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
                conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
                conn.close().await.unwrap();
                (with_database(&admin, &name), name)
            }
        };
        let db = infra::db::connect(&url, 1).await.unwrap();
        infra::db::migrate(&db).await.unwrap();
        assert!(infra::demo::seed_if_empty(&db, &OffsetClock::default()).await.unwrap(), "the template was not empty");
        if backend == Backend::Sqlite {
            // Everything into the main file, which is what gets copied.
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await.unwrap();
        }
        db.close().await.unwrap();
        remove_templates_at_exit();
        Self { location }
    }
}

/// Removes the templates when the test process exits (the test harness ends with `exit`).
fn remove_templates_at_exit() {
    extern "C" fn remove_templates() {
        if let Some(t) = SQLITE_DEMO.get() {
            remove_sqlite(&t.location);
        }
        if let Some(t) = POSTGRES_DEMO.get() {
            drop_postgres(&postgres_admin_url(), &t.location);
        }
    }
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    // SAFETY: `atexit` only stores the pointer to a function that takes and returns nothing;
    // the function runs once, at `exit`, after the tests have finished.
    REGISTERED.call_once(|| unsafe {
        libc::atexit(remove_templates);
    });
}

/// A template's name: the prefix, this machine's name and the process id. A PostgreSQL server
/// or temporary directory may be shared by several machines or containers; a run only ever
/// removes templates named after its own machine, whose process it can see has ended.
fn template_name(pid: u32) -> String {
    format!("{TEMPLATE_PREFIX}{}_{pid}", this_host())
}

/// This machine's name, reduced to what an unquoted identifier may hold.
fn this_host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name: String =
        name.trim().chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).take(24).collect();
    if name.is_empty() {
        "host".to_owned()
    } else {
        name
    }
}

/// Whether `name` (without any file extension) is a template this machine left behind: named
/// exactly as [`template_name`] names them, by a process that no longer runs.
fn stale_template(name: &str) -> bool {
    let Some(pid) = name.strip_prefix(&format!("{TEMPLATE_PREFIX}{}_", this_host())) else { return false };
    let Ok(pid) = pid.parse::<u32>() else { return false };
    template_name(pid) == name
        && pid != std::process::id()
        && !std::path::Path::new("/proc").join(pid.to_string()).exists()
}

fn remove_stale_sqlite_templates() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.strip_suffix(".db").is_some_and(stale_template) {
            remove_sqlite(&entry.path().display().to_string());
        }
    }
}

async fn remove_stale_postgres_templates(conn: &sea_orm::DatabaseConnection) {
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT datname FROM pg_database WHERE starts_with(datname, '{TEMPLATE_PREFIX}')"),
        ))
        .await
        .unwrap();
    for row in rows {
        let name: String = row.try_get("", "datname").unwrap();
        // Only names `template_name` makes (prefix, letters and digits, a pid) reach the SQL.
        if stale_template(&name) {
            let _ = conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
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
    pub status: StatusCode,
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
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with settings that `configure` changes first.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Self {
        init_logs();
        let clock = Arc::new(OffsetClock::default());
        let mut settings = Settings {
            bind: "127.0.0.1:0".to_owned(),
            // Set below, once `configure` has said whether the demo is wanted.
            database_url: String::new(),
            max_connections: 8,
            session_ttl_hours: 12,
            demo: true,
            max_appointment_years: 5,
            deadlines: domain::complaint::DeadlineRules::default(),
            // Tests close expired cases by calling the task's body with a moved clock.
            auto_close_every: None,
            // Tests deliver by calling the worker's body.
            deliver_every: None,
            actor_cache_ttl: std::time::Duration::from_millis(500),
            ..Settings::default()
        };
        configure(&mut settings);
        let database =
            if settings.demo { TestDatabase::demo(backend).await } else { TestDatabase::create(backend).await };
        settings.database_url.clone_from(&database.url);
        Self::start(settings, clock, database).await
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
            // Tests deliver by calling the worker's body.
            deliver_every: None,
            actor_cache_ttl: std::time::Duration::from_millis(500),
            ..Settings::default()
        };
        Self::start(settings, self.clock.clone(), TestDatabase::borrowed(&self.database_url)).await
    }

    async fn start(settings: Settings, clock: Arc<OffsetClock>, database: TestDatabase) -> Self {
        let database_url = settings.database_url.clone();
        let app = Application::build(settings, clock.clone()).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state.clone();
        let server = tokio::spawn(async move {
            let _ = app.run_until(std::future::pending()).await;
        });
        Self {
            api: Api::new(&address),
            address,
            clock,
            database_url,
            state,
            demo: tokio::sync::OnceCell::new(),
            server,
            _database: database,
        }
    }

    /// Sends a request; `token` signs it, `body` is sent as JSON.
    pub async fn send(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        self.api.send(method, path, token, body).await
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
        self.api.send_raw(method, path, token, headers, body).await
    }

    /// Signs in, returning the response.
    pub async fn login(&self, username: &str, password: &str) -> Resp {
        self.api.login(username, password).await
    }

    /// A client for a session made elsewhere (on another replica).
    #[must_use]
    pub fn with_token(&self, token: &str) -> Client<'_> {
        self.api.with_token(token)
    }

    /// Signs in as a demo account.
    pub async fn as_user(&self, username: &str) -> Client<'_> {
        self.api.as_user(username).await
    }

    /// The demo county's ids, looked up as the administrator on first use. They are not
    /// looked up again: after `api::reset_demo` the demo has new ids ([`Client::id_named`]).
    pub async fn demo(&self) -> &Demo {
        self.demo.get_or_init(|| async { Demo::load(&self.as_user("admin").await).await }).await
    }
}

/// A running service: its address and an HTTP client.
#[derive(Clone)]
pub struct Api {
    address: String,
    http: reqwest::Client,
}

impl Api {
    /// The service at `address`, e.g. `http://127.0.0.1:8080`.
    #[must_use]
    pub fn new(address: &str) -> Self {
        Self { address: address.to_owned(), http: reqwest::Client::new() }
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
        Client { api: self, token: token.to_owned() }
    }

    /// Signs in as a demo account.
    pub async fn as_user(&self, username: &str) -> Client<'_> {
        let body = self.login(username, infra::demo::PASSWORD).await.expect(201);
        Client { api: self, token: body["token"].as_str().unwrap().to_owned() }
    }
}

/// A signed-in caller.
pub struct Client<'a> {
    api: &'a Api,
    /// The bearer token.
    pub token: String,
}

impl Client<'_> {
    pub async fn get(&self, path: &str) -> Resp {
        self.api.send("GET", path, Some(&self.token), None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.api.send("POST", path, Some(&self.token), Some(body)).await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.api.send("PATCH", path, Some(&self.token), Some(body)).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.api.send("PUT", path, Some(&self.token), Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.api.send("DELETE", path, Some(&self.token), None).await
    }

    /// Ids by name of the items in the list at `path` (its first page of 200).
    pub async fn ids_by_name(&self, path: &str) -> HashMap<String, String> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let body = self.get(&format!("{path}{sep}limit=200")).await.expect(200);
        let items = body["items"].as_array().unwrap_or_else(|| panic!("{path} is not a list: {body}"));
        items.iter().map(|i| (i["name"].as_str().unwrap().to_owned(), i["id"].as_str().unwrap().to_owned())).collect()
    }

    /// The id of the item named `name` in the list at `path` (its first page of 200).
    pub async fn id_named(&self, path: &str, name: &str) -> String {
        let ids = self.ids_by_name(path).await;
        ids.get(name).cloned().unwrap_or_else(|| panic!("{name} not in {path}: {ids:?}"))
    }

    /// The caller's person id and their posts in force (from `/me`).
    pub async fn person_and_posts(&self) -> (String, Vec<Value>) {
        let me = self.get("/api/v1/me").await.expect(200);
        (me["person"]["id"].as_str().unwrap().to_owned(), me["posts"].as_array().unwrap().clone())
    }

    /// The caller's person id and the id of their first post in force.
    pub async fn person_and_first_post(&self) -> (String, String) {
        let (person, posts) = self.person_and_posts().await;
        (person, posts[0]["id"].as_str().unwrap().to_owned())
    }

    /// Files a repair complaint about `estate`, expecting 201.
    pub async fn file_complaint(&self, estate: &str, title: &str) -> Value {
        self.post(
            "/api/v1/complaints",
            json!({"estate_id": estate, "category": "repair", "title": title, "description": "楼道灯不亮已一周"}),
        )
        .await
        .expect(201)
    }

    /// Takes `action` on a complaint with the case's current version plus the fields of
    /// `extra`, expecting 200; returns the case as it is after.
    pub async fn act_on_complaint(&self, case: &Value, action: &str, extra: Value) -> Value {
        let mut body = json!({"version": case["version"]});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        self.post(&format!("/api/v1/complaints/{}/{action}", case["id"].as_str().unwrap()), body).await.expect(200)
    }
}

/// The demo county's ids that tests use (the README's demo table describes the county).
#[derive(Debug)]
pub struct Demo {
    /// 长富路社区, community 1; `secretary` leads its party branch.
    pub c1: String,
    /// 新城社区, community 2; `secretary2` leads its party branch.
    pub c2: String,
    /// 锦绣家园 in community 1, served by 安居物业; `resident` lives there and `owner` directs its
    /// owners' committee.
    pub jinxiu: String,
    /// 翠苑小区 in community 1, served by 宏达物业.
    pub cuiyuan: String,
    /// 和平里小区 in community 1; its contract ran out, so no company serves it today.
    pub heping: String,
    /// 某县安居物业服务有限公司, `manager`'s company.
    pub anju: String,
    /// 某县宏达物业管理有限公司, `manager2`'s company.
    pub hongda: String,
    /// 某县新城物业服务有限公司, which serves estates of community 2 only.
    pub xcwy: String,
    /// 县住房和城乡建设局, `officer`'s department.
    pub housing: String,
    /// 锦绣家园第二届业主委员会, which `owner` directs.
    pub jinxiu_committee: String,
}

impl Demo {
    /// Looks the ids up by name, one list request per record kind.
    pub async fn load(admin: &Client<'_>) -> Self {
        let communities = admin.ids_by_name("/api/v1/communities").await;
        let estates = admin.ids_by_name("/api/v1/estates").await;
        let companies = admin.ids_by_name("/api/v1/property-companies").await;
        let departments = admin.ids_by_name("/api/v1/departments").await;
        let committees = admin.ids_by_name("/api/v1/owners-committees").await;
        let id = |ids: &HashMap<String, String>, name: &str| {
            ids.get(name).cloned().unwrap_or_else(|| panic!("{name} is not in the demo county: {ids:?}"))
        };
        Self {
            c1: id(&communities, "长富路社区"),
            c2: id(&communities, "新城社区"),
            jinxiu: id(&estates, "锦绣家园"),
            cuiyuan: id(&estates, "翠苑小区"),
            heping: id(&estates, "和平里小区"),
            anju: id(&companies, "某县安居物业服务有限公司"),
            hongda: id(&companies, "某县宏达物业管理有限公司"),
            xcwy: id(&companies, "某县新城物业服务有限公司"),
            housing: id(&departments, "县住房和城乡建设局"),
            jinxiu_committee: id(&committees, "锦绣家园第二届业主委员会"),
        }
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

impl TestApp {
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
