//! Connecting to SQLite or PostgreSQL, migrating, and beginning write transactions.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use uuid::Uuid;

use crate::config::{Config, MigrateAction};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Opens a connection pool. SQLite gets WAL, a busy timeout and foreign keys, so that concurrent
/// requests wait for the single writer instead of failing. Every statement is cancelled after
/// `statement_timeout`, when given: by PostgreSQL itself, and on SQLite by an interrupt from the
/// connection's progress handler (see `statement_limit`). Waiting for a free connection gives up
/// after five seconds rather than hanging.
pub async fn connect(
    url: &str,
    pool_size: u32,
    statement_timeout: Option<Duration>,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(pool_size.max(1))
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        })
        .map_sqlx_postgres_opts(move |opts| match statement_timeout {
            Some(timeout) => opts.options([("statement_timeout", format!("{}ms", timeout.as_millis()))]),
            None => opts,
        })
        .map_sqlx_sqlite_pool_opts(move |pool| match statement_timeout {
            Some(timeout) => pool.after_connect(move |connection, _| {
                Box::pin(async move { statement_limit::install(connection, timeout).await })
            }),
            None => pool,
        });
    Database::connect(options).await
}

/// A time limit on every SQLite statement, as PostgreSQL's `statement_timeout` gives.
///
/// SQLite has none of its own, but it calls a progress handler every few thousand virtual
/// machine instructions, and a handler that answers "stop" interrupts the statement (it fails
/// with `SQLITE_INTERRUPT`, and a write's transaction rolls back). The handler needs to know
/// when the running statement began: a statement trace records that. Each pooled connection
/// runs its statements on a thread of its own (sqlx's worker), and both callbacks run on that
/// thread inside `sqlite3_step`, so the start time lives in a thread-local.
mod statement_limit {
    use std::cell::Cell;
    use std::ffi::{c_int, c_uint, c_void};
    use std::time::{Duration, Instant};

    use sea_orm::sqlx::SqliteConnection;

    /// Virtual machine instructions between two looks at the clock (microseconds of work).
    const INSTRUCTIONS_PER_CHECK: i32 = 1_000;

    thread_local! {
        static STATEMENT_STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
    }

    /// A statement began (`SQLITE_TRACE_STMT`) or ended (`SQLITE_TRACE_PROFILE`). Between
    /// statements nothing runs against the clock: preparing one, which may also call the
    /// progress handler, is never cut short.
    unsafe extern "C" fn statement_traced(event: c_uint, _: *mut c_void, _: *mut c_void, _: *mut c_void) -> c_int {
        let started = (event == libsqlite3_sys::SQLITE_TRACE_STMT).then(Instant::now);
        STATEMENT_STARTED.with(|cell| cell.set(started));
        0
    }

    pub(super) async fn install(connection: &mut SqliteConnection, timeout: Duration) -> sea_orm::sqlx::Result<()> {
        let mut handle = connection.lock_handle().await?;
        // SAFETY: the handle is locked, so no statement runs on it meanwhile; the callback
        // touches only a thread-local and keeps no pointer (its context is null).
        let traced = unsafe {
            libsqlite3_sys::sqlite3_trace_v2(
                handle.as_raw_handle().as_ptr(),
                libsqlite3_sys::SQLITE_TRACE_STMT | libsqlite3_sys::SQLITE_TRACE_PROFILE,
                Some(statement_traced),
                std::ptr::null_mut(),
            )
        };
        if traced != libsqlite3_sys::SQLITE_OK {
            return Err(sea_orm::sqlx::Error::Configuration("cannot trace SQLite statements".into()));
        }
        handle.set_progress_handler(INSTRUCTIONS_PER_CHECK, move || {
            STATEMENT_STARTED.with(|started| started.get().is_none_or(|at| at.elapsed() < timeout))
        });
        Ok(())
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Begins a transaction that will write to one organization, holding its write lock until it
/// ends.
///
/// SQLite takes its single write lock up front (`BEGIN IMMEDIATE`), so two writers queue on the
/// busy timeout instead of one failing when it upgrades a read lock. PostgreSQL takes the
/// organization's transaction-scoped advisory lock as the first statement: an organization's
/// writers queue in one order, so they cannot deadlock on each other's rows, and the events they
/// log become visible in the order of their `sequence`, which resumable subscriptions rely on
/// (see `events::record`). Other organizations' writers do not wait for it, nor do reads.
pub async fn begin_write(db: &DatabaseConnection, org_id: Uuid) -> Result<DatabaseTransaction, DbErr> {
    let tx = begin_local(db).await?;
    lock_organizations(&tx, [org_id]).await?;
    Ok(tx)
}

/// Takes the write locks of several organizations inside a transaction begun with
/// `begin_local` (PostgreSQL; SQLite's one write lock is already held), before the transaction
/// writes anything, in one order (by key), so that two transactions locking overlapping sets
/// cannot deadlock.
pub async fn lock_organizations(tx: &DatabaseTransaction, orgs: impl IntoIterator<Item = Uuid>) -> Result<(), DbErr> {
    if !is_postgres(tx) {
        return Ok(());
    }
    let mut keys: Vec<i64> = orgs.into_iter().map(write_lock_key).collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Ok(());
    }
    let locks = keys.iter().map(|key| format!("pg_advisory_xact_lock({key})")).collect::<Vec<_>>().join(", ");
    tx.execute_unprepared(&format!("SELECT {locks}")).await?;
    Ok(())
}

/// The key of an organization's PostgreSQL advisory write lock: its ID folded to 64 bits (two
/// organizations sharing a key would only queue together).
fn write_lock_key(org_id: Uuid) -> i64 {
    let (high, low) = org_id.as_u64_pair();
    i64::from_ne_bytes((high ^ low).to_ne_bytes())
}

/// Begins a transaction that will write, without any organization's lock (`BEGIN IMMEDIATE` on
/// SQLite, as `begin_write`): for rows no event's order depends on (webhook deliveries, the
/// cursors along the log), or for a writer that learns which organizations it touches before
/// writing and then calls `lock_organizations` (the deadline scanner).
pub async fn begin_local(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    db.begin_with_options(options).await
}

/// `hindsight migrate up|down|status`.
pub async fn run_migrate_command(config: &Config, action: MigrateAction) -> anyhow::Result<()> {
    let db = connect(&config.database_url, 1, None).await?;
    match action {
        MigrateAction::Up => Migrator::up(&db, None).await?,
        MigrateAction::Down => Migrator::down(&db, Some(1)).await?,
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(&db).await? {
                println!("{:<10} {}", format!("{:?}", migration.status()).to_lowercase(), migration.name());
            }
        }
    }
    Ok(())
}

/// Checks that the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}
