//! `lianjian-bench`: load a dataset, start the release server on it (and the bare
//! `lianjian-hello` beside it, the ceiling), drive both on 127.0.0.1, and print the table that
//! goes into BENCHMARKS.md. See `bench/README.md`.

mod cpu;
mod dataset;
mod drive;

use clap::{Parser, ValueEnum};
use drive::{Op, Stats};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SizeArg {
    Small,
    Large,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum Db {
    Sqlite,
    Postgres,
}

#[derive(Parser)]
#[command(about = "Load benchmark for the lianjian service")]
struct Args {
    /// Dataset size.
    #[arg(long, value_enum, default_value = "small")]
    size: SizeArg,
    /// Database.
    #[arg(long, value_enum, default_value = "sqlite")]
    db: Db,
    /// PostgreSQL server (a fresh database is made on it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres: String,
    /// Seconds measured per scenario (after a 1 s warm-up).
    #[arg(long, default_value_t = 8)]
    seconds: u64,
    /// Concurrent connections for the read scenarios.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Concurrent clients for the write scenarios.
    #[arg(long, default_value_t = 16)]
    writers: usize,
    /// The server binary.
    #[arg(long, default_value = "target/release/lianjian")]
    server: String,
    /// The ceiling's binary, a bare poem handler [default: `lianjian-hello` beside this binary].
    #[arg(long)]
    hello: Option<PathBuf>,
    /// The server's log filter (`RUST_LOG`), e.g. `warn`. Without it `RUST_LOG` is unset and the
    /// server logs at its default level, as deployed; either way to a file.
    #[arg(long, value_name = "FILTER")]
    log: Option<String>,
    /// Also measure authorization and start-up at 1,000, 100,000 and 1,000,000 role bindings.
    #[arg(long)]
    bindings: bool,
    /// Keep the loaded database afterwards (its URL is printed), to look at queries by hand;
    /// the server's log is kept too.
    #[arg(long)]
    keep_database: bool,
}

/// The portal's session cookie over http (`portal::session::session_cookie(false)`); its value
/// is an API session token, so the bench signs in once through the API.
const SESSION_COOKIE: &str = "lj_session";

/// A process the bench started and drives; killed when dropped.
struct Server {
    child: std::process::Child,
    base: String,
    startup: Duration,
}

impl Server {
    /// The service on `url`, logging to `log` at `filter` (`None`: its default level).
    async fn start(
        binary: &str,
        url: &str,
        log: &Path,
        filter: Option<&str>,
    ) -> Result<Server, Box<dyn std::error::Error>> {
        let port = free_port()?;
        let mut command = Command::new(binary);
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--database-url", url])
            // The README's defaults (a pool of 16), but the auto-close task kept idle.
            .args(["--auto-close-interval-seconds", "3600"])
            // The bench speaks http, so the portal's cookie must not take its https name.
            .env_remove("APP_PUBLIC_URL");
        match filter {
            Some(filter) => command.env("RUST_LOG", filter),
            None => command.env_remove("RUST_LOG"),
        };
        // A real file, as a deployment's log or journald would be: writing it is part of the cost.
        let file = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
        command.stdout(file.try_clone()?).stderr(file);
        Server::spawn(command, port, "/readyz")
            .await
            .map_err(|e| format!("{binary}: {e} (its log: {})", log.display()).into())
    }

    /// The bare poem handler, the ceiling: no middleware, no logging.
    async fn hello(binary: &Path) -> Result<Server, Box<dyn std::error::Error>> {
        let port = free_port()?;
        let mut command = Command::new(binary);
        command.arg(port.to_string()).stdout(Stdio::null()).stderr(Stdio::null());
        Server::spawn(command, port, "/").await.map_err(|e| format!("{}: {e}", binary.display()).into())
    }

    /// Spawns `command` listening on `port`; start-up is until the first `200` from `ready`.
    async fn spawn(mut command: Command, port: u16, ready: &str) -> Result<Server, Box<dyn std::error::Error>> {
        let began = Instant::now();
        // Built before it answers, so that its drop kills it if it never does.
        let mut server =
            Server { child: command.spawn()?, base: format!("http://127.0.0.1:{port}"), startup: Duration::ZERO };
        let ready = format!("{}{ready}", server.base);
        loop {
            if reqwest::get(&ready).await.is_ok_and(|r| r.status() == 200) {
                break;
            }
            if let Some(status) = server.child.try_wait()? {
                return Err(format!("exited before it answered ({status})").into());
            }
            if began.elapsed() > Duration::from_secs(120) {
                return Err("did not become ready in 120 s".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.startup = began.elapsed();
        Ok(server)
    }

    /// Reads this process's CPU time.
    fn cpu(&self, ticks_per_second: f64) -> cpu::Probe {
        cpu::Probe::process(self.child.id(), ticks_per_second)
    }

    /// Current resident memory (VmRSS) in MiB.
    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// Peak resident memory (VmHWM) in MiB.
    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free on 127.0.0.1 a moment ago.
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn login(base: &str, username: &str) -> Result<String, Box<dyn std::error::Error>> {
    let body: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({"username": username, "password": dataset::PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    Ok(body["token"].as_str().ok_or("login failed")?.to_owned())
}

/// `GET url` with no credentials.
fn plain(url: String) -> Op {
    Arc::new(move |client, _, _| {
        let url = url.clone();
        Box::pin(async move { Some(client.get(url).send().await.is_ok_and(|r| r.status().is_success())) })
    })
}

/// A portal page as `token`'s browser opens it: the session cookie.
fn page(url: String, token: &str) -> Op {
    let cookie = format!("{SESSION_COOKIE}={token}");
    Arc::new(move |client, _, _| {
        let (url, cookie) = (url.clone(), cookie.clone());
        Box::pin(async move {
            Some(client.get(url).header("cookie", cookie).send().await.is_ok_and(|r| r.status().is_success()))
        })
    })
}

fn get(url: String, token: String) -> Op {
    Arc::new(move |client, _, _| {
        let (url, token) = (url.clone(), token.clone());
        Box::pin(
            async move { Some(client.get(url).bearer_auth(token).send().await.is_ok_and(|r| r.status().is_success())) },
        )
    })
}

fn row(name: &str, s: &Stats, ceiling: f64) -> String {
    eprintln!("  done: {name}");
    format!(
        "| {name} | {} | {:.0} | {:.2} | {:.2} | {} | {} | {:.3} | {} |",
        s.ops,
        s.per_second,
        s.p50_ms,
        s.p99_ms,
        s.cpu_us_per_op.map_or_else(|| "–".to_owned(), |us| format!("{us:.1}")),
        s.db_cpu_us_per_op.map_or_else(|| "–".to_owned(), |us| format!("{us:.1}")),
        if ceiling > 0.0 { s.per_second / ceiling } else { 0.0 },
        s.errors
    )
}

async fn fresh_database(args: &Args, tag: &str) -> Result<(String, Option<String>), Box<dyn std::error::Error>> {
    let name = format!("lj_bench_{tag}_{}", Uuid::new_v4().simple());
    Ok(match args.db {
        Db::Sqlite => {
            let dir = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&dir)?;
            (format!("sqlite://{}/bench.db", dir.display()), None)
        }
        Db::Postgres => {
            use sea_orm::ConnectionTrait;
            let admin = sea_orm::Database::connect(&args.postgres).await?;
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
            let server = args.postgres.rsplit_once('/').map_or(args.postgres.as_str(), |(s, _)| s);
            (format!("{server}/{name}"), Some(name))
        }
    })
}

async fn drop_database(args: &Args, url: &str, name: Option<String>) {
    use sea_orm::ConnectionTrait;
    match name {
        Some(name) => {
            if let Ok(admin) = sea_orm::Database::connect(&args.postgres).await {
                let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            }
        }
        None => {
            if let Some(dir) = url.strip_prefix("sqlite://").and_then(|p| std::path::Path::new(p).parent()) {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let size = match args.size {
        SizeArg::Small => dataset::Size::SMALL,
        SizeArg::Large => dataset::Size::LARGE,
    };
    let hello_binary = match &args.hello {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("lianjian-hello"),
    };
    let ticks = cpu::ticks_per_second();
    let logs = std::env::temp_dir().join(format!("lj_bench_logs_{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&logs)?;
    let log_level = args.log.as_deref().map_or_else(|| "default".to_owned(), |f| format!("`{f}`"));
    let (url, pg_name) = fresh_database(&args, "load").await?;
    {
        let db = infra::db::connect(&url, 4).await?;
        infra::db::migrate(&db).await?;
        eprintln!("loading the {:?} dataset into {:?}...", args.size, args.db);
        let loaded = dataset::load(&db, size).await?;
        db.close().await?;
        eprintln!("loaded {} rows in {:.1} s", loaded.rows, loaded.seconds);
        let server_log = logs.join("server.log");
        let server = Server::start(&args.server, &url, &server_log, args.log.as_deref()).await?;
        let hello = Server::hello(&hello_binary).await?;
        let base = server.base.clone();
        // On a PostgreSQL on this machine, the database server's processes are read too.
        let local = args
            .postgres
            .parse::<sea_orm::sqlx::postgres::PgConnectOptions>()
            .is_ok_and(|o| infra::db::is_loopback(o.get_host()));
        let database = (matches!(args.db, Db::Postgres) && local).then(|| cpu::Probe::named("postgres", ticks));
        let cpu = cpu::Probes { server: server.cpu(ticks), database };
        let warmup = Duration::from_secs(1);
        let measured = Duration::from_secs(args.seconds);
        let mut out = Vec::new();
        out.push(format!(
            "Dataset `{:?}` on {:?}: {} rows loaded in {:.1} s; server start-up {:.0} ms; server log level: {log_level} (to a file); {} s per scenario after 1 s warm-up; {} connections (writes: {}).",
            args.size,
            args.db,
            loaded.rows,
            loaded.seconds,
            server.startup.as_secs_f64() * 1000.0,
            args.seconds,
            args.connections,
            args.writers
        ));
        out.push(String::new());
        out.push(
            "| scenario | operations | per second | p50 ms | p99 ms | server CPU µs/op | database CPU µs/op | ratio to ceiling | errors |"
                .into(),
        );
        out.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|".into());

        // The ceiling: a bare poem handler in its own process, its own CPU time measured.
        let ceiling = drive::run(
            args.connections,
            warmup,
            measured,
            plain(format!("{}/", hello.base)),
            cpu::Probes { server: hello.cpu(ticks), database: None },
        )
        .await;
        out.push(row("GET / (bare poem handler, ceiling)", &ceiling, ceiling.per_second));
        let c = ceiling.per_second;
        // The same nothing through the service's middleware (request id, limits, log line).
        let healthz = drive::run(args.connections, warmup, measured, plain(format!("{base}/healthz")), cpu).await;
        out.push(row("GET /healthz (the service's middleware)", &healthz, c));

        let login_op: Op = {
            let url = format!("{base}/api/v1/sessions");
            Arc::new(move |client, conn, _| {
                let url = url.clone();
                Box::pin(async move {
                    let body = json!({"username": format!("res{conn}"), "password": dataset::PASSWORD});
                    Some(client.post(url).json(&body).send().await.is_ok_and(|r| r.status().as_u16() == 201))
                })
            })
        };
        eprintln!("  rss after healthz: {:.0} MiB", server.rss_mib());
        let logins = drive::run(args.connections, warmup, measured, login_op, cpu).await;
        eprintln!("  rss after logins: {:.0} MiB (peak {:.0})", server.rss_mib(), server.peak_rss_mib());
        out.push(row("POST /sessions (login, argon2id)", &logins, c));

        let secretary = login(&base, "sec0").await?;
        let ids = Arc::new(loaded.readable.clone());
        let get_one: Op = {
            let (base, token, ids) = (base.clone(), secretary.clone(), ids.clone());
            Arc::new(move |client, conn, i| {
                let id = ids[(conn * 7919 + usize::try_from(i).unwrap_or(0)) % ids.len()];
                let (url, token) = (format!("{base}/api/v1/complaints/{id}"), token.clone());
                Box::pin(async move {
                    Some(client.get(url).bearer_auth(token).send().await.is_ok_and(|r| r.status().is_success()))
                })
            })
        };
        let one = drive::run(args.connections, warmup, measured, get_one, cpu).await;
        eprintln!("  rss after get one: {:.0} MiB (peak {:.0})", server.rss_mib(), server.peak_rss_mib());
        out.push(row("GET /complaints/{id} (session, authz, read, allowed actions)", &one, c));

        // The same cases as the portal's pages (cookie session, timeline, forms, HTML), and the
        // desk: what a party branch secretary has open all day.
        let page_one: Op = {
            let (base, cookie, ids) = (base.clone(), format!("{SESSION_COOKIE}={secretary}"), ids.clone());
            Arc::new(move |client, conn, i| {
                let id = ids[(conn * 7919 + usize::try_from(i).unwrap_or(0)) % ids.len()];
                let (url, cookie) = (format!("{base}/complaints/{id}"), cookie.clone());
                Box::pin(async move {
                    let resp = client.get(url).header("cookie", cookie).send().await;
                    Some(resp.is_ok_and(|r| r.status().is_success()))
                })
            })
        };
        let page_one = drive::run(args.connections, warmup, measured, page_one, cpu).await;
        out.push(row(
            "portal GET /complaints/{id} (page: cookie session, case + timeline + forms, HTML)",
            &page_one,
            c,
        ));
        let desk = drive::run(args.connections, warmup, measured, page(format!("{base}/desk"), &secretary), cpu).await;
        out.push(row("portal GET /desk (page: party branch secretary's lists, proposals, offers)", &desk, c));

        let county = login(&base, "county").await?;
        let first = drive::run(
            args.connections,
            warmup,
            measured,
            get(format!("{base}/api/v1/complaints?limit=20"), county.clone()),
            cpu,
        )
        .await;
        out.push(row("GET /complaints?limit=20 (first page, all cases)", &first, c));
        // A cursor deep in the keyset: the complaint at 90% of the way down, newest first.
        let deep_id = {
            let db = infra::db::connect(&url, 2).await?;
            use sea_orm::{ConnectionTrait, Statement};
            let offset = size.complaints * 9 / 10;
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT id FROM complaints ORDER BY id DESC LIMIT 1 OFFSET {offset}"),
                ))
                .await?
                .ok_or("no complaint")?;
            row.try_get::<Uuid>("", "id")?
        };
        let deep_url = format!("{base}/api/v1/complaints?limit=20&cursor=c{}", deep_id.simple());
        let deep = drive::run(args.connections, warmup, measured, get(deep_url, county.clone()), cpu).await;
        out.push(row(&format!("GET /complaints deep keyset page ({} rows down)", size.complaints * 9 / 10), &deep, c));
        let community = drive::run(
            args.connections,
            warmup,
            measured,
            get(format!("{base}/api/v1/complaints?community_id={}&limit=20", loaded.community), secretary.clone()),
            cpu,
        )
        .await;
        out.push(row("GET /complaints?community_id (first page)", &community, c));

        // Oversight: figures computed from the events when asked.
        let month = domain::oversight::Month::of(chrono::Utc::now());
        let period = domain::oversight::Period::month(month).ok_or("month")?;
        let last_day = (period.to - chrono::Duration::hours(8) - chrono::Duration::seconds(1)).date_naive();
        let first_day = (period.from + chrono::Duration::hours(8)).date_naive();
        let dates = format!("from={first_day}&to={last_day}");
        let report = drive::run(
            args.connections,
            warmup,
            measured,
            get(
                format!("{base}/api/v1/oversight/report?scope=community:{}&{dates}", loaded.community),
                secretary.clone(),
            ),
            cpu,
        )
        .await;
        out.push(row("GET /oversight/report (a community, this month)", &report, c));
        let half_year = drive::run(
            args.connections,
            warmup,
            measured,
            get(
                format!(
                    "{base}/api/v1/oversight/report?scope=community:{}&from={}&to={last_day}",
                    loaded.community,
                    first_day - chrono::Duration::days(150)
                ),
                secretary.clone(),
            ),
            cpu,
        )
        .await;
        out.push(row("GET /oversight/report (a community, six months)", &half_year, c));
        let dashboard_op = page(format!("{base}/oversight/dashboard?scope=community:{}", loaded.community), &secretary);
        let dashboard = drive::run(args.connections, warmup, measured, dashboard_op, cpu).await;
        out.push(row("portal GET /oversight/dashboard (page: a community, six months, charts)", &dashboard, c));
        // The county's month, one request at a time: its latency, not a queue's.
        let county_month = drive::run(
            1,
            warmup,
            measured,
            get(format!("{base}/api/v1/oversight/report?scope=county&{dates}"), county.clone()),
            cpu,
        )
        .await;
        out.push(row("GET /oversight/report (the county, this month; 1 connection)", &county_month, c));

        // Writes: residents of company 0's estates file in their own estate.
        let mut filers = Vec::new();
        for (username, estate) in loaded.residents.iter().take(args.writers) {
            filers.push((login(&base, username).await?, *estate));
        }
        let filers = Arc::new(filers);
        // What the filing scenario creates becomes work for the accept + resolve scenario.
        let filed_ids = Arc::new(std::sync::Mutex::new(loaded.submitted.clone()));
        let file_op: Op = {
            let (base, filers, filed_ids) = (base.clone(), filers.clone(), filed_ids.clone());
            Arc::new(move |client, conn, i| {
                let (token, estate) = filers[conn % filers.len()].clone();
                let url = format!("{base}/api/v1/complaints");
                let filed_ids = filed_ids.clone();
                Box::pin(async move {
                    let body = json!({"estate_id": estate, "category": "repair", "title": format!("压测新诉求{i}"), "description": "写入"});
                    let Ok(resp) = client.post(url).bearer_auth(token).json(&body).send().await else {
                        return Some(false);
                    };
                    if resp.status().as_u16() != 201 {
                        return Some(false);
                    }
                    let id = resp
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|v| v["id"].as_str().and_then(|s| s.parse::<Uuid>().ok()));
                    if let (Some(id), Ok(mut ids)) = (id, filed_ids.lock()) {
                        ids.push(id);
                    }
                    Some(true)
                })
            })
        };
        let filed = drive::run(args.writers, warmup, measured, file_op, cpu).await;
        out.push(row("POST /complaints (file: case, event, audit; one transaction)", &filed, c));

        let manager = login(&base, "mgr0").await?;
        let pool = Arc::new(filed_ids.lock().map(|ids| ids.clone()).unwrap_or_default());
        let next = Arc::new(AtomicUsize::new(0));
        let handle_op: Op = {
            let (base, pool, next, token) = (base.clone(), pool.clone(), next.clone(), manager.clone());
            Arc::new(move |client, _, _| {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let id = pool.get(n).copied();
                let (base, token) = (base.clone(), token.clone());
                Box::pin(async move {
                    let id = id?;
                    let accept = client
                        .post(format!("{base}/api/v1/complaints/{id}/accept"))
                        .bearer_auth(&token)
                        .json(&json!({"version": 0}))
                        .send()
                        .await;
                    if !accept.is_ok_and(|r| r.status().is_success()) {
                        return Some(false);
                    }
                    Some(
                        client
                            .post(format!("{base}/api/v1/complaints/{id}/resolve"))
                            .bearer_auth(&token)
                            .json(&json!({"version": 1}))
                            .send()
                            .await
                            .is_ok_and(|r| r.status().is_success()),
                    )
                })
            })
        };
        let handled = drive::run(args.writers, warmup, measured, handle_op, cpu).await;
        out.push(row(&format!("accept + resolve (pairs; pool of {})", pool.len()), &handled, c));
        out.push(String::new());
        let log_mib = std::fs::metadata(&server_log).map_or(0.0, |m| m.len() as f64 / (1024.0 * 1024.0));
        out.push(format!(
            "Server peak RSS (VmHWM): {:.0} MiB. Server log: {log_mib:.1} MiB written at level {log_level}. \
             Server CPU µs/op is the server's user + system time in the measured window over its operations \
             (the ceiling's: the bare handler's); database CPU µs/op the same for every `postgres` process of a \
             PostgreSQL on this machine.",
            server.peak_rss_mib()
        ));
        println!("{}", out.join("\n"));
        drop(hello);
        drop(server);
    }
    if args.keep_database {
        eprintln!("kept the database: {url}");
    } else {
        drop_database(&args, &url, pg_name).await;
    }
    if args.bindings {
        bindings(&args, &logs).await?;
    }
    if args.keep_database {
        eprintln!("kept the server's log: {}", logs.display());
    } else {
        let _ = std::fs::remove_dir_all(&logs);
    }
    Ok(())
}

/// Authorization cost and start-up time with 1,000, 100,000 and 1,000,000 role bindings.
async fn bindings(args: &Args, logs: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use domain::authz::{Action, Resource, Scope};
    let authz = infra::authz::Authorizer::load().await?;
    println!();
    println!("| role bindings in the database | binding lookup per request (mean, ms) | decision (ns, warm) | server start-up (ms) |");
    println!("|---:|---:|---:|---:|");
    for n in [1_000usize, 100_000, 1_000_000] {
        let (url, pg_name) = fresh_database(args, "bindings").await?;
        let db = infra::db::connect(&url, 4).await?;
        infra::db::migrate(&db).await?;
        // n residents, each one post (one binding) in one of 1,000 estates.
        let size =
            dataset::Size { communities: 100, estates_per_community: 10, companies: 10, residents: n, complaints: 1 };
        let loaded = dataset::load(&db, size).await?;
        // The per-request work of authorization: the caller's bindings from the index, then decisions.
        let people: Vec<Uuid> = {
            use sea_orm::{ConnectionTrait, Statement};
            db.query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT person_id FROM posts LIMIT 2000".to_owned(),
            ))
            .await?
            .iter()
            .filter_map(|r| r.try_get::<Uuid>("", "person_id").ok())
            .collect()
        };
        let today = domain::clock::local_date(chrono::Utc::now());
        let began = Instant::now();
        let mut sample = Vec::new();
        for p in &people {
            let (b, _) = infra::accounts::load_bindings(&db, (*p).into(), false, today).await?;
            sample = b;
        }
        let lookup_ms = began.elapsed().as_secs_f64() * 1000.0 / people.len().max(1) as f64;
        let chain = [Scope::Estate(Uuid::now_v7().into()), Scope::Community(loaded.community.into()), Scope::County];
        let iterations = 2_000_000u32;
        let began = Instant::now();
        let mut allowed = 0u32;
        for i in 0..iterations {
            let action = if i % 2 == 0 { Action::Read } else { Action::Create };
            allowed += u32::from(authz.decide(&sample, Resource::Complaint, action, &chain).allowed());
        }
        let decision_ns = began.elapsed().as_secs_f64() * 1e9 / f64::from(iterations);
        std::hint::black_box(allowed);
        db.close().await?;
        let log = logs.join(format!("server-bindings-{n}.log"));
        let server = Server::start(&args.server, &url, &log, args.log.as_deref()).await?;
        println!("| {n} | {lookup_ms:.3} | {decision_ns:.0} | {:.0} |", server.startup.as_secs_f64() * 1000.0);
        drop(server);
        drop_database(args, &url, pg_name).await;
    }
    Ok(())
}
