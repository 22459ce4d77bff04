//! Backup and restore: a consistent copy of the whole database taken while reloop keeps
//! serving, and its restoration into an empty database, migrated and verified.
//!
//! SQLite copies itself with `VACUUM INTO` (one read transaction: writers go on, the copy
//! is the database as of one commit). PostgreSQL is copied by `pg_dump` in its custom
//! format, in a snapshot reloop exports and reads its own summary from, so the summary
//! printed describes exactly what the file holds. Restoring uses the same tools the other
//! way (a file copy; `pg_restore` in one transaction).
//!
//! Invariants:
//! - A backup file appears under its name only when complete: it is written beside it as
//!   `NAME.partial`, flushed to disk and renamed; an existing file is never overwritten
//!   unless asked.
//! - Restore never writes into a database that holds a registry (any account or item) or
//!   tables that are not reloop's unless asked to replace it, and refuses a file that is not a reloop
//!   backup for the configured database before touching anything.
//! - Restore needs the chain key the backup was written with, and checks it before it
//!   starts. It then runs the migrations and verifies the whole chain. On SQLite this
//!   happens on the copy, before it replaces the target, so a copy that does not verify
//!   never becomes the database. On PostgreSQL `pg_restore` runs in one transaction, and
//!   the chain is verified afterwards.
//! - A database password never reaches a child's command line or a log: `pg_dump` and
//!   `pg_restore` get it through `PGPASSWORD`.

mod postgres;
mod sqlite;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::db::{ChainKey, Db};
use crate::ledger::chain::{ChainReport, VerifyOptions};

/// What a backup or restore is doing, for a progress display.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Bytes written of about `total` (a SQLite copy).
    Copying { done: u64, total: u64 },
    /// Tables copied of `total` (`pg_dump`, `pg_restore`), and the one in hand.
    Table { done: u64, total: u64, name: String },
    /// Running the migrations on the restored database.
    Migrating,
    /// Checking the chain: entries done of `total`.
    Verifying { done: i64, total: i64 },
}

/// The two file formats, told apart by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A SQLite database file.
    Sqlite,
    /// `pg_dump`'s custom format.
    PgCustom,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Sqlite => "a SQLite database file",
            Format::PgCustom => "a PostgreSQL dump (pg_dump custom format)",
        }
    }

    /// The format of the file at `path`, or why it is not a backup.
    pub fn of_file(path: &Path) -> anyhow::Result<Format> {
        use std::io::Read;
        let mut head = [0u8; 16];
        let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let n = f.read(&mut head).with_context(|| format!("reading {}", path.display()))?;
        if n >= 16 && &head == b"SQLite format 3\0" {
            Ok(Format::Sqlite)
        } else if n >= 5 && &head[..5] == b"PGDMP" {
            Ok(Format::PgCustom)
        } else {
            bail!(
                "{} is not a reloop backup: it is neither a SQLite database nor a pg_dump custom-format file",
                path.display()
            )
        }
    }
}

/// What a backup holds, read in the snapshot it was taken from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contents {
    /// The chain head: entries recorded (ledger and audit together) and the last hash.
    pub head_seq: i64,
    pub head_hash: String,
    pub items: i64,
    pub users: i64,
}

impl Contents {
    pub fn summary(&self) -> String {
        format!(
            "{} item(s), {} user(s), chain head at entry {} ({})",
            self.items,
            self.users,
            self.head_seq,
            short_hash(&self.head_hash)
        )
    }

    /// Reads the counts and the chain head through `conn` (in the caller's snapshot).
    async fn read<C: ConnectionTrait>(conn: &C) -> anyhow::Result<Contents> {
        let count = |table: &str| format!("SELECT COUNT(*) AS n FROM {table}");
        let backend = conn.get_database_backend();
        let one = |sql: String| Statement::from_string(backend, sql);
        let row = conn
            .query_one_raw(one("SELECT seq, hash FROM chain_head WHERE name = 'main'".into()))
            .await?
            .context("the database has no chain head: is it a reloop database?")?;
        let head_seq: i64 = row.try_get("", "seq")?;
        let head_hash: String = row.try_get("", "hash")?;
        let mut n = [0i64; 2];
        for (slot, table) in n.iter_mut().zip(["assets", "users"]) {
            let r = conn.query_one_raw(one(count(table))).await?.context("a count")?;
            *slot = r.try_get("", "n")?;
        }
        Ok(Contents { head_seq, head_hash, items: n[0], users: n[1] })
    }

    /// Whether it holds nothing worth keeping: no item and no account (an instance that
    /// started once has only keyed its chain).
    pub fn is_empty(&self) -> bool {
        self.items == 0 && self.users == 0
    }
}

fn short_hash(h: &str) -> &str {
    h.get(..16).unwrap_or(h)
}

/// A finished backup.
#[derive(Clone, Debug)]
pub struct Backup {
    pub path: PathBuf,
    pub format: Format,
    pub bytes: u64,
    pub contents: Contents,
}

/// A finished restore.
#[derive(Clone, Debug)]
pub struct Restored {
    pub format: Format,
    pub contents: Contents,
    pub report: ChainReport,
}

/// Options of [`restore`].
#[derive(Clone, Debug, Default)]
pub struct RestoreOptions {
    /// Overwrite a database that already holds a registry.
    pub replace: bool,
}

/// Copies the database at `url` to `file` while it keeps serving. `overwrite` allows
/// replacing an existing file (only once the new copy is complete).
pub async fn backup(
    url: &str,
    file: &Path,
    overwrite: bool,
    progress: &(dyn Fn(Step) + Sync),
) -> anyhow::Result<Backup> {
    if file.exists() && !overwrite {
        bail!(
            "{} exists: choose another name, or pass --force to replace it once the new copy is complete",
            file.display()
        );
    }
    let partial = partial_of(file)?;
    if partial.exists() {
        std::fs::remove_file(&partial).with_context(|| format!("removing a leftover {}", partial.display()))?;
    }
    let taken = if url.starts_with("sqlite:") {
        sqlite::backup(url, &partial, progress).await
    } else {
        postgres::backup(url, &partial, progress).await
    };
    let (format, contents) = match taken {
        Ok(t) => t,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    publish(&partial, file)?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(Backup { path: file.to_owned(), format, bytes, contents })
}

/// Restores `file` into the database at `url`, runs the migrations and verifies the chain
/// with `key`.
pub async fn restore(
    url: &str,
    key: ChainKey,
    file: &Path,
    opts: &RestoreOptions,
    progress: &(dyn Fn(Step) + Sync),
) -> anyhow::Result<Restored> {
    let format = Format::of_file(file)?;
    let sqlite_target = url.starts_with("sqlite:");
    match (format, sqlite_target) {
        (Format::Sqlite, true) => sqlite::restore(url, key, file, opts, progress).await,
        (Format::PgCustom, false) => postgres::restore(url, key, file, opts, progress).await,
        (f, _) => bail!(
            "{} is {}, but DATABASE_URL points at {}: restore it into a database of its own kind",
            file.display(),
            f.label(),
            if sqlite_target { "SQLite" } else { "PostgreSQL" }
        ),
    }
}

/// Migrates the restored database and verifies its whole chain; an error unless it holds.
async fn migrate_and_verify(db: &Db, progress: &(dyn Fn(Step) + Sync)) -> anyhow::Result<(Contents, ChainReport)> {
    progress(Step::Migrating);
    db.migrate().await.context("migrating the restored database")?;
    let report = crate::ledger::chain::verify(db, &VerifyOptions::default(), &mut |done, total| {
        progress(Step::Verifying { done, total })
    })
    .await
    .map_err(|e| anyhow::anyhow!("verifying the restored chain: {e}"))?;
    if !report.ok {
        bail!("the restored chain does not verify: {}", report.summary());
    }
    let contents = Contents::read(db.conn()).await?;
    Ok((contents, report))
}

/// What a restore would write into.
#[derive(Clone, Debug)]
enum Target {
    /// No tables at all.
    Empty,
    /// reloop's tables, with what they hold.
    Registry(Contents),
    /// Tables, none of them reloop's chain head.
    Foreign { tables: i64 },
}

impl Target {
    /// What the database at `conn` holds (PostgreSQL: in its `public` schema).
    async fn of<C: ConnectionTrait>(conn: &C) -> anyhow::Result<Target> {
        let backend = conn.get_database_backend();
        let q = match backend {
            DbBackend::Postgres => {
                "SELECT (SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public') AS tables, (SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'chain_head') AS ours"
            }
            _ => {
                "SELECT (SELECT COUNT(*) FROM sqlite_master WHERE type = 'table') AS tables, (SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'chain_head') AS ours"
            }
        };
        let r = conn.query_one_raw(sql(backend, q)).await?.context("reading the schema")?;
        let tables: i64 = r.try_get("", "tables")?;
        let ours: i64 = r.try_get("", "ours")?;
        Ok(match (tables, ours) {
            (0, _) => Target::Empty,
            (n, 0) => Target::Foreign { tables: n },
            _ => Target::Registry(Contents::read(conn).await?),
        })
    }
}

/// Refuses a target that holds a registry, or anything else, unless `replace`.
fn check_target(found: &Target, opts: &RestoreOptions, place: &str) -> anyhow::Result<()> {
    match found {
        Target::Registry(c) if !c.is_empty() && !opts.replace => bail!(
            "{place} already holds a registry ({}): restore into an empty database, or pass --replace to overwrite it",
            c.summary()
        ),
        Target::Foreign { tables } if !opts.replace => bail!(
            "{place} holds {tables} table(s) that are not a reloop registry: restore into an empty database, or pass --replace to overwrite it"
        ),
        _ => Ok(()),
    }
}

/// `NAME.partial` beside `file`.
fn partial_of(file: &Path) -> anyhow::Result<PathBuf> {
    let name = file.file_name().with_context(|| format!("{} names no file", file.display()))?;
    let mut partial = name.to_owned();
    partial.push(".partial");
    Ok(file.with_file_name(partial))
}

/// Flushes `partial` to disk and renames it to `file` (atomic on one file system), then
/// flushes the directory so the new name survives a crash.
fn publish(partial: &Path, file: &Path) -> anyhow::Result<()> {
    std::fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("flushing {}", partial.display()))?;
    std::fs::rename(partial, file).with_context(|| format!("renaming {} to {}", partial.display(), file.display()))?;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

fn sql(backend: DbBackend, text: impl Into<String>) -> Statement {
    Statement::from_string(backend, text.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_formats_apart_by_their_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        assert_eq!(Format::of_file(&write("a.db", b"SQLite format 3\0rest")).unwrap(), Format::Sqlite);
        assert_eq!(Format::of_file(&write("b.dump", b"PGDMP\x01\x0e")).unwrap(), Format::PgCustom);
        let e = Format::of_file(&write("c.txt", b"hello")).unwrap_err().to_string();
        assert!(e.contains("is not a reloop backup"), "{e}");
    }

    #[test]
    fn a_partial_file_sits_beside_the_backup() {
        assert_eq!(partial_of(Path::new("/x/y/reloop.db")).unwrap(), PathBuf::from("/x/y/reloop.db.partial"));
        assert_eq!(partial_of(Path::new("b.dump")).unwrap(), PathBuf::from("b.dump.partial"));
    }

    #[test]
    fn a_registry_is_replaced_only_when_asked() {
        let full = Contents { head_seq: 3, head_hash: "ab".into(), items: 1, users: 1 };
        let empty = Contents { head_seq: 1, head_hash: "00".into(), items: 0, users: 0 };
        let keep = RestoreOptions::default();
        let replace = RestoreOptions { replace: true };
        let e = check_target(&Target::Registry(full.clone()), &keep, "the database").unwrap_err().to_string();
        assert!(e.contains("already holds a registry (1 item(s), 1 user(s), chain head at entry 3"), "{e}");
        assert!(check_target(&Target::Registry(full), &replace, "x").is_ok());
        assert!(check_target(&Target::Registry(empty), &keep, "x").is_ok());
        assert!(check_target(&Target::Empty, &keep, "x").is_ok());
        let e = check_target(&Target::Foreign { tables: 2 }, &keep, "the database").unwrap_err().to_string();
        assert!(e.contains("holds 2 table(s) that are not a reloop registry"), "{e}");
        assert!(check_target(&Target::Foreign { tables: 2 }, &replace, "x").is_ok());
    }
}
