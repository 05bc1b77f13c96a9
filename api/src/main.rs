//! `lianjian`: serve the API, migrate the database, or create an administrator.

use api::problem::{message, ApiError, Lang};
use api::{Application, ResetDemoError, Settings};
use clap::{Parser, Subcommand};
use infra::clock::SystemClock;
use std::io::{IsTerminal, Read};
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "lianjian", version, about = "党建联建协同服务 Joint-building coordination service")]
struct Cli {
    /// Database URL: sqlite://data/lianjian.db (default) or postgres://user@host/db.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "sqlite://data/lianjian.db")]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "APP_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Seed the demo county (only into an empty database).
        #[arg(long, env = "APP_DEMO")]
        demo: bool,
        /// With --demo: drop everything and seed the demo afresh, when the database holds the
        /// demo and nothing else (its accounts are exactly the demo's); refused otherwise.
        #[arg(long, requires = "demo")]
        reset_demo: bool,
        /// Database connections in the pool.
        #[arg(long, env = "APP_MAX_CONNECTIONS", default_value_t = 16)]
        max_connections: u32,
        /// Session lifetime in hours.
        #[arg(long, env = "APP_SESSION_TTL_HOURS", default_value_t = 12)]
        session_ttl_hours: i64,
        /// The longest term a cross-appointment may have, in years.
        #[arg(long, env = "APP_MAX_APPOINTMENT_YEARS", default_value_t = 5)]
        max_appointment_years: u32,
        /// Complaint deadlines (respond/resolve) by priority, e.g. `urgent=2h/24h,normal=24h/7d,complex=24h/15d`.
        #[arg(long, env = "APP_COMPLAINT_DEADLINES", default_value = "urgent=2h/24h,normal=24h/7d,complex=24h/15d")]
        complaint_deadlines: String,
        /// A rate over fewer cases than this reads "样本不足"; a company with fewer cases in a
        /// month is left off the 红黑榜.
        #[arg(long, env = "APP_MIN_SAMPLE", default_value_t = domain::oversight::MIN_SAMPLE)]
        min_sample: u64,
        /// Seconds between runs of the task that closes resolved cases nobody answered in 7 days.
        #[arg(long, env = "APP_AUTO_CLOSE_INTERVAL_SECONDS", default_value_t = 60)]
        auto_close_interval_seconds: u64,
        /// How long before a deadline its reminder goes out: `respond=30m,resolve=24h` (units m,
        /// h, d; never more than a quarter of the time a case was given).
        #[arg(long, env = "APP_REMINDER_LEADS", default_value = "respond=30m,resolve=24h")]
        reminder_leads: String,
        /// Seconds between runs of the worker that delivers notices to work-chat robots and
        /// webhooks; 0 runs no worker on this replica.
        #[arg(long, env = "APP_DELIVER_INTERVAL_SECONDS", default_value_t = 5)]
        deliver_interval_seconds: u64,
        /// Milliseconds a session's bindings are kept in memory (changes on other replicas take
        /// effect here within this time; changes made here take effect at once). 0 turns it off.
        #[arg(long, env = "APP_ACTOR_CACHE_MS", default_value_t = 500)]
        actor_cache_ms: u64,
        /// Seconds a client may stay silent while sending its request headers, and may take
        /// to send a whole body (408) [default: 15].
        #[arg(long, env = "APP_READ_TIMEOUT_SECONDS")]
        read_timeout_seconds: Option<u64>,
        /// The address people reach the portal at, e.g. https://lianjian.example.gov.cn; when it
        /// is https, the portal's cookies are Secure and `__Host-` prefixed.
        #[arg(long, env = "APP_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Apply pending migrations and exit, saying which ran. `serve` migrates by itself; this is
    /// for deployments that migrate in a separate step.
    Migrate,
    /// Create a system administrator. The password (8 to 128 characters) is read from standard
    /// input, e.g. `echo 'a-long-password' | lianjian create-admin --username root`.
    CreateAdmin {
        /// Username: 3 to 32 letters, digits, `_`, `-` or `.`.
        #[arg(long)]
        username: String,
    },
}

/// The language of what the command line prints: English when `LC_ALL` (or else
/// `LC_MESSAGES`, or else `LANG`) starts with `en`, Chinese otherwise.
fn cli_lang() -> Lang {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    if locale.to_ascii_lowercase().starts_with("en") {
        Lang::En
    } else {
        Lang::Zh
    }
}

/// A sentence in the command line's language.
fn say(zh: &str, en: &str) -> String {
    match cli_lang() {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// Logs go to standard output through a writer thread of their own, so that requests do not
/// wait on the terminal, pipe or file behind it. Nothing is dropped: with 128k lines queued,
/// the thread logging waits. The guard flushes the queue (for up to a second) when the process
/// ends normally; what is queued at a SIGKILL is lost.
fn init_tracing() -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let json = std::env::var("APP_LOG_FORMAT").is_ok_and(|v| v == "json");
    // Colour only for a person at a terminal (https://no-color.org).
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(128 * 1024)
        .thread_name("log-writer")
        .finish(std::io::stdout());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colour).with_writer(writer);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    guard
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

/// mimalloc: a request allocates and frees many small blocks on whichever thread polls it, and
/// glibc's arenas spent a third of the server's time on that (`perf`, BENCHMARKS.md); mimalloc's
/// per-thread free lists cost a fraction. Large blocks (an argon2id hash's 19 MiB) are mapped
/// and unmapped directly, so a burst of logins does not stay resident.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    let _logs = init_tracing();
    let cli = Cli::parse();
    let result = cli_lang().scope(command(cli)).await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Printed once, as sentences; the log has the details where there are any.
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn command(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve {
            bind,
            demo,
            reset_demo,
            max_connections,
            session_ttl_hours,
            max_appointment_years,
            complaint_deadlines,
            min_sample,
            auto_close_interval_seconds,
            deliver_interval_seconds,
            reminder_leads,
            actor_cache_ms,
            read_timeout_seconds,
            public_url,
        } => {
            let Ok(deadlines) = domain::complaint::DeadlineRules::parse(&complaint_deadlines) else {
                return Err(say(
                    "APP_COMPLAINT_DEADLINES 的格式应为 urgent=2h/24h,normal=24h/7d,complex=24h/15d",
                    "APP_COMPLAINT_DEADLINES must look like urgent=2h/24h,normal=24h/7d,complex=24h/15d",
                ));
            };
            let reminder_leads = domain::notification::ReminderLeads::parse(&reminder_leads).map_err(|e| {
                say(
                    &format!("APP_REMINDER_LEADS 的格式应为 respond=30m,resolve=24h（{e}）"),
                    &format!("APP_REMINDER_LEADS must look like respond=30m,resolve=24h ({e})"),
                )
            })?;
            let defaults = Settings::default();
            let mut settings = Settings {
                bind,
                database_url: cli.database_url,
                max_connections,
                session_ttl_hours,
                demo,
                max_appointment_years,
                deadlines,
                min_sample,
                auto_close_every: Some(std::time::Duration::from_secs(auto_close_interval_seconds.max(1))),
                actor_cache_ttl: std::time::Duration::from_millis(actor_cache_ms),
                read_timeout: read_timeout_seconds
                    .map_or(defaults.read_timeout, |s| std::time::Duration::from_secs(s.max(1))),
                https: public_url.as_deref().is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("https://")),
                public_url: public_url.unwrap_or_default(),
                deliver_every: (deliver_interval_seconds > 0)
                    .then(|| std::time::Duration::from_secs(deliver_interval_seconds)),
                reminder_leads,
            };
            if reset_demo {
                match api::reset_demo(&settings.database_url, &SystemClock).await {
                    Ok(()) => {
                        tracing::info!("demo county dropped and seeded afresh");
                        // Seeded already: the start-up below has nothing more to seed.
                        settings.demo = false;
                    }
                    Err(ResetDemoError::NotDemo) => return Err(message("not_a_demo_database")),
                    Err(ResetDemoError::Failed(e)) => return Err(e),
                }
            }
            serve(settings).await
        }
        Command::Migrate => migrate(&cli.database_url).await,
        Command::CreateAdmin { username } => create_admin(&cli.database_url, &username).await,
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let app = Application::build(settings.clone(), Arc::new(SystemClock)).await?;
    tracing::info!(
        "listening on http://{}:{} (API docs at /api/docs)",
        settings.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h),
        app.port()
    );
    app.run_until(shutdown_signal()).await.map_err(|e| format!("server: {e}"))
}

async fn migrate(url: &str) -> Result<(), String> {
    use migrations::MigratorTrait;
    let db = infra::db::connect(url, 2).await.map_err(|e| format!("database: {e}"))?;
    let pending = migrations::Migrator::get_pending_migrations(&db).await.map_err(|e| format!("migrations: {e}"))?;
    if pending.is_empty() {
        println!("{}", say("数据库结构已是最新，没有要执行的迁移。", "The schema is current: no migrations to apply."));
        return Ok(());
    }
    infra::db::migrate(&db).await.map_err(|e| format!("migrations: {e}"))?;
    let names: Vec<&str> = pending.iter().map(|m| m.name()).collect();
    println!("{}{}", say("已执行迁移：", "Applied migrations: "), names.join(", "));
    Ok(())
}

/// One sentence per problem with a new administrator, in the command line's language.
fn admin_problems(err: infra::Error) -> String {
    match err {
        infra::Error::Domain(e) => {
            let e = ApiError::from(e);
            let p = e.problem();
            match &p.errors {
                Some(fields) => fields.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("\n"),
                None => p.message.clone(),
            }
        }
        other => other.to_string(),
    }
}

async fn create_admin(url: &str, username: &str) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password).map_err(|e| format!("{}: {e}", message("password_missing")))?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(message("password_missing"));
    }
    // Both rules are checked before touching the database, so every problem is told at once.
    let mut problems = Vec::new();
    if let Err(e) = domain::account::validate_username(username) {
        problems.push(admin_problems(e.into()));
    }
    if let Err(e) = domain::account::validate_password(password) {
        problems.push(admin_problems(e.into()));
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let db = infra::db::connect(url, 2).await.map_err(|e| format!("database: {e}"))?;
    infra::db::migrate(&db).await.map_err(|e| format!("migrations: {e}"))?;
    let cache = Arc::new(infra::actor::ActorCache::new(std::time::Duration::ZERO));
    let accounts = infra::accounts::Accounts::new(db, Arc::new(SystemClock), chrono::Duration::hours(12), cache);
    let id = accounts.create_admin(username, password).await.map_err(admin_problems)?;
    tracing::info!(account = %id, "administrator {username} created");
    Ok(())
}
