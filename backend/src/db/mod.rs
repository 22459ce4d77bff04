//! Persistence: connecting to SQLite or PostgreSQL, running migrations, write
//! transactions, and the sea-orm entities. Only this module and the services' query code
//! speak SQL; nothing here knows about HTTP.
//!
//! Invariants:
//! - SQLite runs in WAL mode with foreign keys on, a busy timeout and synchronous=NORMAL.
//! - Every write that records (ledger or audit trail) goes through [`Db::write`]: on SQLite
//!   an in-process lock plus `BEGIN IMMEDIATE`, so writers queue instead of failing with
//!   SQLITE_BUSY; on PostgreSQL a transaction that takes the chain head's row lock first.
//!   Every recording writer takes that one lock before any row lock, so writers sharing a
//!   database (one instance or several) can never deadlock, and check-then-act rules (the
//!   last active admin) hold. Housekeeping writes that record nothing (session and token
//!   touches, sign-in throttling) use [`Db::write_light`] and never wait for it.
//! - Mutable rows change only through [`save_versioned`] (compare-and-swap on `version`).
//! - The chain key travels with the handle ([`Db::with_chain_key`]) and with each recording
//!   write transaction, never through the database; a light transaction has none, so it
//!   cannot record.
//! - A write transaction reads (and locks) the chain head once, holds it while entries are
//!   recorded, and writes it back once, at commit.

pub mod entities;
pub mod error;
pub mod key;
pub mod versioned;

pub use key::ChainKey;

pub use versioned::{Versioned, check_version, id_tail, save_versioned, save_versioned_many, short_id};

use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ActiveModelTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, IntoActiveModel, IsolationLevel, QuerySelect, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How the pool is sized and how long a request waits for a connection.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub max_connections: u32,
    /// How long a request waits for a connection before it fails with 503: also how long
    /// requests hang while the database is unreachable (a new connection is retried until
    /// then).
    pub acquire_timeout: Duration,
    /// Log statements slower than this.
    pub slow: Option<Duration>,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions { max_connections: 16, acquire_timeout: Duration::from_secs(10), slow: None }
    }
}

/// The database handle shared by the whole application (cheap to clone).
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// Serialises writers inside this process on SQLite (None on PostgreSQL).
    write_lock: Option<Arc<Mutex<()>>>,
    /// The key that links the hash chain; writes that record need it.
    chain_key: Option<Arc<ChainKey>>,
}

impl Db {
    /// Connects to `url` (SQLite or PostgreSQL) with a pool of at most `max_connections`.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        Db::connect_with(url, &PoolOptions { max_connections, ..PoolOptions::default() }).await
    }

    /// [`Db::connect`] with every pool option: with `slow`, every statement slower than it
    /// is logged as a warning with its duration and SQL text (placeholders, never the bound
    /// values), every other statement at debug level.
    pub async fn connect_with(url: &str, o: &PoolOptions) -> anyhow::Result<Db> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(o.max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(o.acquire_timeout);
        match o.slow {
            Some(threshold) => opts
                .sqlx_logging(true)
                .sqlx_logging_level(log::LevelFilter::Debug)
                .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, threshold),
            None => opts.sqlx_logging(false),
        };
        let sqlite = url.starts_with("sqlite:");
        if sqlite {
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .synchronous(SqliteSynchronous::Normal)
                    .create_if_missing(true)
                    .statement_cache_capacity(256)
                    // Keeps the planner's statistics fresh (ANALYZE where it is due).
                    .optimize_on_close(true, None)
            });
        }
        let conn = Database::connect(opts)
            .await
            .with_context(|| format!("connecting to the database ({})", redact_url(url)))?;
        Ok(Db { conn, write_lock: sqlite.then(|| Arc::new(Mutex::new(()))), chain_key: None })
    }

    /// The same handle, linking the chain with `key` from now on.
    pub fn with_chain_key(mut self, key: ChainKey) -> Db {
        self.chain_key = Some(Arc::new(key));
        self
    }

    /// The chain key (recording and verification need it).
    pub fn chain_key(&self) -> Result<&ChainKey, crate::error::AppError> {
        key_or_refuse(self.chain_key.as_deref())
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Starts a write transaction that may record in the ledger or the audit trail (see
    /// the module invariants): on PostgreSQL it takes the chain head's lock first.
    pub async fn write(&self) -> Result<WriteTxn, DbErr> {
        let txn = self.begin(self.chain_key.clone()).await?;
        if self.backend() == DbBackend::Postgres {
            let asked = Instant::now();
            let head = entities::chain_head::Entity::find_by_id(entities::chain_head::MAIN)
                .lock_exclusive()
                .one(&txn.txn)
                .await?;
            crate::metrics::write_waited(asked.elapsed());
            if let Some(row) = head {
                txn.hold_head(HeldHead { row, checked: false, dirty: false });
            }
        }
        Ok(txn)
    }

    /// The pool's figures: open connections, idle ones, and the limit.
    pub fn pool_status(&self) -> (u32, u32, u32) {
        match self.backend() {
            DbBackend::Sqlite => {
                let p = self.conn.get_sqlite_connection_pool();
                (p.size(), p.num_idle() as u32, p.options().get_max_connections())
            }
            DbBackend::Postgres => {
                let p = self.conn.get_postgres_connection_pool();
                (p.size(), p.num_idle() as u32, p.options().get_max_connections())
            }
            _ => (0, 0, 0),
        }
    }

    /// A read-only transaction whose queries all see one consistent snapshot (REPEATABLE
    /// READ on PostgreSQL; on SQLite a read transaction sees one state of the WAL), for
    /// checks that read many rows over a while. It never blocks writers.
    pub async fn read_snapshot(&self) -> Result<DatabaseTransaction, DbErr> {
        match self.backend() {
            DbBackend::Postgres => {
                self.conn.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await
            }
            _ => self.conn.begin().await,
        }
    }

    /// Starts a write transaction for housekeeping that records nothing (session and token
    /// touches, sign-in throttling): it does not wait for the chain head, and it has no
    /// chain key, so recording through it is refused.
    pub async fn write_light(&self) -> Result<WriteTxn, DbErr> {
        self.begin(None).await
    }

    async fn begin(&self, chain_key: Option<Arc<ChainKey>>) -> Result<WriteTxn, DbErr> {
        let asked = Instant::now();
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        if guard.is_some() && chain_key.is_some() {
            crate::metrics::write_waited(asked.elapsed());
        }
        let beginning = Instant::now();
        let txn = self
            .conn
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        crate::metrics::began(beginning.elapsed());
        Ok(WriteTxn { txn, _guard: guard, chain_key, head: std::sync::Mutex::new(None) })
    }

    /// Runs pending migrations in one transaction. On PostgreSQL an advisory lock makes
    /// instances that start together take turns instead of racing.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let txn = self.begin(None).await?;
        if self.backend() == DbBackend::Postgres {
            txn.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                // An arbitrary constant: "reloop" in ASCII.
                "SELECT pg_advisory_xact_lock(114101108111111112)",
            ))
            .await?;
        }
        Migrator::up(&txn.txn, None).await.context("running migrations")?;
        txn.commit().await?;
        if self.backend() == DbBackend::Sqlite {
            // SQLite's documented advice for long-lived connections; PostgreSQL leaves
            // statistics to autovacuum.
            self.analyze().await?;
        }
        Ok(())
    }

    /// Refreshes the query planner's statistics after bulk loads, so that filters pick
    /// the selective index.
    pub async fn analyze(&self) -> Result<(), DbErr> {
        let sql = match self.backend() {
            DbBackend::Sqlite => "PRAGMA optimize=0x10002",
            _ => "ANALYZE",
        };
        self.conn.execute_unprepared(sql).await.map(|_| ())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}

/// A write transaction; dropping it without `commit` rolls it back. Ledger and audit
/// entries are written only through one (`ledger::events::append`, `audit::record` take
/// it), so every recorded change is inside a transaction that holds the chain key.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
    chain_key: Option<Arc<ChainKey>>,
    head: std::sync::Mutex<Option<HeldHead>>,
}

/// The chain head as a write transaction holds it (see `ledger::chain::lock`).
#[derive(Clone, Debug)]
pub struct HeldHead {
    pub row: entities::chain_head::Model,
    /// Whether its seal has been checked against this transaction's key.
    pub checked: bool,
    /// Whether it has moved on and must be written back at commit.
    pub dirty: bool,
}

fn key_or_refuse(key: Option<&ChainKey>) -> Result<&ChainKey, crate::error::AppError> {
    key.ok_or_else(|| {
        crate::error::AppError::Internal(anyhow::anyhow!(
            "this database handle (or transaction) has no chain key, so it cannot record or verify changes"
        ))
    })
}

impl WriteTxn {
    /// The key that links the entries this transaction records.
    pub fn chain_key(&self) -> Result<&ChainKey, crate::error::AppError> {
        key_or_refuse(self.chain_key.as_deref())
    }

    /// The chain head this transaction holds, if it has read it yet.
    pub fn held_head(&self) -> Option<HeldHead> {
        self.head.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Holds `head` for the rest of the transaction (written back at commit when dirty).
    pub fn hold_head(&self, head: HeldHead) {
        *self.head.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(head);
    }

    /// Writes back the chain head if entries moved it, then commits.
    pub async fn commit(self) -> Result<(), DbErr> {
        let head = self.head.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(HeldHead { row, dirty: true, .. }) = head {
            entities::chain_head::Entity::update(row.into_active_model().reset_all()).exec(&self.txn).await?;
        }
        self.txn.commit().await
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// A database URL with any password removed, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => match url[scheme_end + 3..at].split_once(':') {
            Some((user, _password)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:///data/reloop.db?mode=rwc"), "sqlite:///data/reloop.db?mode=rwc");
    }
}
