//! `lianjian`: serve the API, migrate the database, or create an administrator.

use api::{Application, Settings};
use clap::{Parser, Subcommand};
use infra::clock::SystemClock;
use std::io::Read;
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
        /// Seconds between runs of the task that closes resolved cases nobody answered in 7 days.
        #[arg(long, env = "APP_AUTO_CLOSE_INTERVAL_SECONDS", default_value_t = 60)]
        auto_close_interval_seconds: u64,
        /// Milliseconds a session's bindings are kept in memory (changes on other replicas take
        /// effect here within this time; changes made here take effect at once). 0 turns it off.
        #[arg(long, env = "APP_ACTOR_CACHE_MS", default_value_t = 500)]
        actor_cache_ms: u64,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Create a system administrator; the password is read from standard input.
    CreateAdmin {
        /// Username.
        #[arg(long)]
        username: String,
    },
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let json = std::env::var("APP_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
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

/// glibc raises its mmap threshold after large blocks are freed, after which every argon2id
/// hash (19 MiB) lands in a per-thread arena and stays resident: hundreds of MiB after a burst
/// of logins. A fixed threshold keeps such blocks mmapped and returned to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_large_allocations_out_of_arenas() {
    // SAFETY: mallopt only changes allocator tuning and is called before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_large_allocations_out_of_arenas() {}

fn main() -> std::process::ExitCode {
    keep_large_allocations_out_of_arenas();
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            bind,
            demo,
            max_connections,
            session_ttl_hours,
            max_appointment_years,
            complaint_deadlines,
            auto_close_interval_seconds,
            actor_cache_ms,
        } => {
            let deadlines = match domain::complaint::DeadlineRules::parse(&complaint_deadlines) {
                Ok(rules) => rules,
                Err(_) => {
                    eprintln!(
                        "error: APP_COMPLAINT_DEADLINES must look like urgent=2h/24h,normal=24h/7d,complex=24h/15d"
                    );
                    return std::process::ExitCode::FAILURE;
                }
            };
            let settings = Settings {
                bind,
                database_url: cli.database_url,
                max_connections,
                session_ttl_hours,
                demo,
                max_appointment_years,
                deadlines,
                auto_close_every: Some(std::time::Duration::from_secs(auto_close_interval_seconds.max(1))),
                actor_cache_ttl: std::time::Duration::from_millis(actor_cache_ms),
            };
            serve(settings).await
        }
        Command::Migrate => migrate(&cli.database_url).await,
        Command::CreateAdmin { username } => create_admin(&cli.database_url, &username).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
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
    let db = infra::db::connect(url, 2).await.map_err(|e| format!("database: {e}"))?;
    infra::db::migrate(&db).await.map_err(|e| format!("migrations: {e}"))?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn create_admin(url: &str, username: &str) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password).map_err(|e| format!("reading the password: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    let db = infra::db::connect(url, 2).await.map_err(|e| format!("database: {e}"))?;
    infra::db::migrate(&db).await.map_err(|e| format!("migrations: {e}"))?;
    let cache = Arc::new(infra::actor::ActorCache::new(std::time::Duration::ZERO));
    let accounts = infra::accounts::Accounts::new(db, Arc::new(SystemClock), chrono::Duration::hours(12), cache);
    let id = accounts.create_admin(username, password).await.map_err(|e| format!("creating the administrator: {e}"))?;
    tracing::info!(account = %id, "administrator {username} created");
    Ok(())
}
