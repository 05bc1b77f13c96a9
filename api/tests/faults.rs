//! Fault tests against the real `lianjian` binary (so they live in this package, where cargo
//! builds the binary for them): a SIGKILL in the middle of a write load leaves nothing
//! half-written, on SQLite and on PostgreSQL; a stopped PostgreSQL gives 503s and the
//! service recovers by itself when it returns.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tests::{Api, Backend, Demo, TestDatabase};
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_lianjian");

/// Tests that stop or kill things share the machine's PostgreSQL: one at a time.
static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server {
    child: Child,
    base: String,
    api: Api,
}

impl Server {
    async fn start(database_url: &str) -> Self {
        let port = free_port();
        let child = Command::new(BIN)
            .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}"), "--database-url", database_url])
            .args(["--auto-close-interval-seconds", "3600"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let server = Self { child, api: Api::new(&base), base };
        server.wait_until(200, Duration::from_secs(60)).await;
        server
    }

    /// Polls `/readyz` until it answers `status`.
    async fn wait_until(&self, status: u16, limit: Duration) {
        let started = Instant::now();
        loop {
            let got = reqwest::get(format!("{}/readyz", self.base)).await.map(|r| r.status().as_u16()).unwrap_or(0);
            if got == status {
                return;
            }
            assert!(started.elapsed() < limit, "/readyz did not answer {status} within {limit:?} (last {got})");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn login(&self, username: &str) -> String {
        self.api.as_user(username).await.token
    }

    fn kill(&mut self) {
        // std's kill is SIGKILL on Unix: no shutdown hook runs.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row =
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Files and accepts complaints from several clients until told to stop; returns the ids the
/// server said it had filed.
async fn write_load(
    base: String,
    resident: String,
    manager: String,
    estate: String,
    stop: Arc<AtomicBool>,
) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut filed = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let body =
            json!({"estate_id": estate, "category": "repair", "title": format!("压测{n}"), "description": "写入负载"});
        let Ok(resp) = client.post(format!("{base}/api/v1/complaints")).bearer_auth(&resident).json(&body).send().await
        else {
            break;
        };
        if resp.status() != 201 {
            continue;
        }
        let Ok(case) = resp.json::<Value>().await else { break };
        let id = case["id"].as_str().unwrap().to_owned();
        filed.push(id.clone());
        let _ = client
            .post(format!("{base}/api/v1/complaints/{id}/accept"))
            .bearer_auth(&manager)
            .json(&json!({"version": 0}))
            .send()
            .await;
    }
    filed
}

async fn kill_mid_write_and_check(database_url: &str) {
    let mut server = Server::start(database_url).await;
    let jinxiu = Demo::load(&server.api.as_user("admin").await).await.jinxiu;
    let (resident, manager) = (server.login("resident").await, server.login("manager").await);
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|_| {
            tokio::spawn(write_load(
                server.base.clone(),
                resident.clone(),
                manager.clone(),
                jinxiu.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    assert!(acknowledged.len() > 10, "the load wrote only {} complaints before the kill", acknowledged.len());

    let restarted = Server::start(database_url).await;
    let db = Database::connect(database_url).await.unwrap();
    let no_filing_event = count(
        &db,
        "SELECT COUNT(*) FROM complaints c WHERE NOT EXISTS \
         (SELECT 1 FROM events e WHERE e.stream = 'complaint' AND e.stream_id = c.id AND e.action = 'file')",
    )
    .await;
    assert_eq!(no_filing_event, 0, "complaints without their filing event");
    let version_mismatch = count(
        &db,
        "SELECT COUNT(*) FROM complaints c WHERE c.version + 1 <> \
         (SELECT COUNT(*) FROM events e WHERE e.stream = 'complaint' AND e.stream_id = c.id)",
    )
    .await;
    assert_eq!(version_mismatch, 0, "complaints whose version does not match their events");

    // Every filing the server acknowledged survived, and every allowed write in the audit log
    // names a complaint that exists.
    let ids: HashSet<String> = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT id FROM complaints".to_owned()))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id").unwrap().to_string())
        .collect();
    for id in &acknowledged {
        assert!(ids.contains(id), "acknowledged complaint {id} is gone after the kill");
    }
    let audited = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT resource_id FROM audit_log WHERE resource = 'complaint' AND decision = 'allow'".to_owned(),
        ))
        .await
        .unwrap();
    assert!(!audited.is_empty());
    for row in audited {
        let id: Option<String> = row.try_get("", "resource_id").unwrap();
        assert!(id.is_some_and(|id| ids.contains(&id)), "an audit row names a complaint that does not exist");
    }
    // And the service works again.
    let resident = restarted.login("resident").await;
    let mine = reqwest::Client::new()
        .get(format!("{}/api/v1/complaints?mine=true&limit=5", restarted.base))
        .bearer_auth(&resident)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_mid_write_leaves_nothing_half_written_on_sqlite() {
    let _one_at_a_time = EXCLUSIVE.lock().await;
    let database = TestDatabase::create(Backend::Sqlite).await;
    kill_mid_write_and_check(&database.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_mid_write_leaves_nothing_half_written_on_postgres() {
    let _one_at_a_time = EXCLUSIVE.lock().await;
    let database = TestDatabase::create(Backend::Postgres).await;
    kill_mid_write_and_check(&database.url).await;
}

/// Starts the machine's PostgreSQL again when dropped, whatever happened in between.
struct RestartPostgres;

fn pg_ctl(action: &str) {
    let version = std::fs::read_dir("/etc/postgresql")
        .expect("a Debian PostgreSQL cluster is needed to stop and restart the database")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .max()
        .unwrap();
    let status = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", action])
        .args(if action == "stop" { &["-m", "fast"][..] } else { &[][..] })
        .status()
        .unwrap();
    assert!(status.success(), "pg_ctlcluster {action} failed");
}

impl Drop for RestartPostgres {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .args(["-c", "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort | tail -n1) main start"])
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_gives_503s_and_the_service_recovers_by_itself() {
    let _one_at_a_time = EXCLUSIVE.lock().await;
    let database = TestDatabase::create(Backend::Postgres).await;
    let server = Server::start(&database.url).await;
    let token = server.login("secretary").await;
    let client = reqwest::Client::new();
    let me = |token: String| {
        let client = client.clone();
        let base = server.base.clone();
        async move { client.get(format!("{base}/api/v1/me")).bearer_auth(token).send().await.unwrap() }
    };
    assert_eq!(me(token.clone()).await.status(), 200);

    let restart = RestartPostgres;
    pg_ctl("stop");
    server.wait_until(503, Duration::from_secs(20)).await;
    let down = me(token.clone()).await;
    assert_eq!(down.status(), 503);
    let problem: Value = down.json().await.unwrap();
    assert_eq!(problem["code"], "database_unavailable");

    pg_ctl("start");
    // Started: nothing left for the guard to do.
    std::mem::forget(restart);
    server.wait_until(200, Duration::from_secs(60)).await;
    let started = Instant::now();
    loop {
        let status = me(token.clone()).await.status();
        if status == 200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "requests did not recover (last {status})");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    drop(server);
    drop(database);
}
