//! Connecting to SQLite or PostgreSQL, migrating, and beginning write transactions.

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgSslMode;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use std::time::Duration;

/// Whether a database URL points at PostgreSQL (otherwise SQLite).
#[must_use]
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens a pool for `url`.
///
/// SQLite gets WAL (readers do not block the writer), `synchronous=FULL` (a committed write
/// survives power loss), foreign keys, a busy timeout, and a pool of several connections:
/// sea-orm would otherwise give it one. A missing database file and its folder are created.
///
/// # Errors
/// The database cannot be opened or reached.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5));
    if is_postgres(url) {
        let tls_chosen = tls_chosen(url);
        opts.map_sqlx_postgres_opts(move |o| {
            // Every query here is short: PostgreSQL's JIT compiler costs more than it saves on
            // them (measured: 80 ms of a 150 ms oversight aggregate).
            let o = o.options([("jit", "off")]);
            // TLS between two processes of one machine protects nothing a local root could not
            // read anyway, and costs PostgreSQL a seventh of its CPU time on a filing
            // (BENCHMARKS.md, round four): a loopback server is spoken to in plain unless the URL
            // or the environment says anything about TLS (`sslmode`, a certificate). Any other
            // host keeps sqlx's default (`prefer`).
            if !tls_chosen && is_loopback(o.get_host()) {
                o.ssl_mode(PgSslMode::Disable)
            } else {
                o
            }
        });
    }
    if !is_postgres(url) {
        if let Some(parent) = sqlite_file(url).and_then(|f| std::path::Path::new(f).parent().map(ToOwned::to_owned)) {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(&parent)
                    .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
            }
        }
        opts.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    }
    let db = Database::connect(opts).await?;
    if !is_postgres(url) {
        warn_without_stable_planner(&db).await;
    }
    Ok(db)
}

/// Says in the log when the linked SQLite lacks the query planner stability guarantee, which
/// `.cargo/config.toml` builds it with (a build made outside this workspace loses it): queries
/// then still work, but each paged or single-row query is parsed and planned again every time.
async fn warn_without_stable_planner(db: &DatabaseConnection) {
    let options = sqlite_compile_options(db).await.unwrap_or_default();
    if !options.iter().any(|o| o == "ENABLE_QPSG") {
        tracing::warn!(
            "SQLite is built without ENABLE_QPSG: build from the workspace (its .cargo/config.toml sets \
             LIBSQLITE3_FLAGS), or queries are re-planned on every execution"
        );
    }
}

/// What the linked SQLite was compiled with (`PRAGMA compile_options`, without `SQLITE_`).
async fn sqlite_compile_options(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let rows =
        db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), "PRAGMA compile_options")).await?;
    rows.iter().map(|r| r.try_get_by_index::<String>(0)).collect()
}

/// Whether the URL or the environment (`PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`)
/// says anything about TLS: then a loopback server gets what was asked for.
#[must_use]
pub fn tls_chosen(url: &str) -> bool {
    names_tls(url)
        || ["PGSSLMODE", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY"].iter().any(|v| std::env::var_os(v).is_some())
}

/// Whether a PostgreSQL URL says anything about TLS: a query parameter whose name starts with
/// `ssl` (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`, ...).
fn names_tls(url: &str) -> bool {
    // Decoded as sqlx decodes it: `%73slmode=...` is `sslmode` to sqlx, so it is here too. A URL
    // that does not parse names nothing (sqlx refuses it anyway).
    url::Url::parse(url).is_ok_and(|u| u.query_pairs().any(|(k, _)| k.to_ascii_lowercase().starts_with("ssl")))
}

/// Whether a PostgreSQL host is this machine: `localhost` or a loopback address.
#[must_use]
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The file path inside a `sqlite:` URL, if it names a file.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Applies every pending migration.
///
/// # Errors
/// A migration failed.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes cannot fail half-way
/// when another writer commits first; PostgreSQL ignores the mode.
///
/// # Errors
/// The database is unreachable or the lock could not be had within the busy timeout.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// The most values one statement binds: PostgreSQL takes 65,535, the bundled SQLite 32,766.
const MAX_BOUND_VALUES: usize = 30_000;

/// Inserts `rows` of one table in as few statements as the databases' limits on bound values
/// allow (one, unless there are thousands of values), inside the caller's transaction.
///
/// # Errors
/// Database errors.
pub async fn insert_all<A, C>(conn: &C, rows: Vec<A>) -> Result<(), DbErr>
where
    A: sea_orm::ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    use sea_orm::{EntityTrait, Iterable};
    let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter().count().max(1);
    let per_statement = (MAX_BOUND_VALUES / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        <A::Entity as EntityTrait>::insert_many(chunk).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Checks that the database answers.
///
/// # Errors
/// It does not.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `.cargo/config.toml` builds the bundled SQLite with the query planner stability
    /// guarantee and without STAT4; without them every `LIMIT ?` (each page, each `.one()`)
    /// is parsed and planned again on each execution. A build that lost the setting fails here.
    #[tokio::test]
    async fn sqlite_is_built_with_a_stable_query_planner() {
        let db = connect("sqlite::memory:", 1).await.expect("in-memory database");
        let options = sqlite_compile_options(&db).await.expect("compile options");
        assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "SQLite built without ENABLE_QPSG: {options:?}");
        assert!(!options.iter().any(|o| o == "ENABLE_STAT4"), "SQLite built with ENABLE_STAT4: {options:?}");
    }

    /// Rows with more values than one statement may bind are inserted in several statements,
    /// all of them.
    #[tokio::test]
    async fn insert_all_splits_what_one_statement_cannot_bind() {
        use crate::entities::event;
        use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};
        let db = connect("sqlite::memory:", 1).await.expect("in-memory database");
        migrate(&db).await.expect("migrations");
        let columns = <event::Column as sea_orm::Iterable>::iter().count();
        let rows = MAX_BOUND_VALUES / columns * 2 + 7;
        let stream = uuid::Uuid::now_v7();
        let events = (0..rows)
            .map(|_| event::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                stream: Set("complaint".into()),
                stream_id: Set(stream),
                at: Set(chrono::Utc::now()),
                actor_person_id: Set(None),
                actor_account_id: Set(None),
                acting_as: Set("system".into()),
                action: Set("comment".into()),
                from_status: Set(None),
                to_status: Set("submitted".into()),
                note: Set(None),
                detail: Set(None),
            })
            .collect();
        insert_all(&db, events).await.expect("inserted in three statements");
        assert_eq!(event::Entity::find().count(&db).await.expect("count"), rows as u64);
        insert_all(&db, Vec::<event::ActiveModel>::new()).await.expect("nothing to insert is no statement");
    }

    #[test]
    fn a_url_names_tls_by_any_ssl_parameter() {
        assert!(names_tls("postgres://u@127.0.0.1/db?sslmode=require"));
        assert!(names_tls("postgres://u@127.0.0.1/db?application_name=x&sslrootcert=/ca.pem"));
        assert!(names_tls("postgres://u@127.0.0.1/db?%73slmode=verify-full"), "decoded as sqlx decodes it");
        assert!(!names_tls("postgres://u@127.0.0.1/db"));
        assert!(!names_tls("postgres://u:sslmode=x@127.0.0.1/db?application_name=lianjian"));
    }

    #[test]
    fn loopback_hosts_are_this_machine_and_no_other() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.0.0.2", "::1", "[::1]"] {
            assert!(is_loopback(host), "{host} is this machine");
        }
        for host in ["db", "10.0.0.5", "192.168.1.2", "::2", "localhost.example.org", ""] {
            assert!(!is_loopback(host), "{host} is not this machine");
        }
    }
}
