//! PostgreSQL: `pg_dump` (custom format) in a snapshot reloop exports and reads its summary
//! from; `pg_restore` in one transaction. Both are PostgreSQL's own client tools, found on
//! the PATH; their `--verbose` lines are the progress.

use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, bail};
use sea_orm::{AccessMode, ConnectionTrait, Database, DbBackend, IsolationLevel, TransactionTrait};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::{Contents, Format, RestoreOptions, Restored, Step, Target, check_target, migrate_and_verify, sql};
use crate::db::{ChainKey, Db};

/// Where to turn when a client tool is missing.
fn missing(tool: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{tool} was not found on the PATH: install PostgreSQL's client tools, of the server's major version or newer (Debian: apt install postgresql-client), or back up on the server side instead (pg_basebackup, continuous WAL archiving, or your provider's snapshots; see the README's \"Backup and restore\")"
    )
}

/// The URL without its password, and the password (for `PGPASSWORD`), so neither a
/// process list nor a log shows it.
fn split_password(url: &str) -> anyhow::Result<(String, Option<String>)> {
    let mut u = url::Url::parse(url).context("DATABASE_URL is not a valid URL")?;
    let password =
        u.password().map(decode_password).transpose().context("the password in DATABASE_URL is not valid UTF-8")?;
    if password.is_some() {
        u.set_password(None).map_err(|()| anyhow::anyhow!("DATABASE_URL cannot carry a password"))?;
    }
    Ok((u.to_string(), password))
}

/// A URL's percent-encoded password, decoded (a `+` stays a `+`).
fn decode_password(s: &str) -> anyhow::Result<String> {
    url::form_urlencoded::parse(format!("p={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .context("an empty password")
}

/// Runs `tool` with `args` against `url`, reporting each table its verbose output names
/// (lines containing `marker`) as progress over `total`; the last lines of its output
/// explain a failure.
async fn run_tool(
    tool: &str,
    args: &[String],
    url: &str,
    marker: &str,
    total: u64,
    progress: &(dyn Fn(Step) + Sync),
) -> anyhow::Result<()> {
    let (url, password) = split_password(url)?;
    let mut cmd = Command::new(tool);
    cmd.args(args).arg(format!("--dbname={url}")).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing(tool)),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("starting {tool}"))),
    };
    let stderr = child.stderr.take().context("the tool's output")?;
    let mut lines = BufReader::new(stderr).lines();
    let mut last: VecDeque<String> = VecDeque::with_capacity(8);
    let mut done = 0u64;
    while let Some(line) = lines.next_line().await.with_context(|| format!("reading {tool}'s output"))? {
        if let Some(name) = line.split_once(marker).map(|(_, rest)| rest.trim().trim_matches('"').to_owned()) {
            done += 1;
            progress(Step::Table { done: done.min(total), total, name });
        }
        if last.len() == 8 {
            last.pop_front();
        }
        last.push_back(line);
    }
    let status = child.wait().await.with_context(|| format!("waiting for {tool}"))?;
    if !status.success() {
        let said: Vec<&str> = last.iter().map(String::as_str).filter(|l| !l.contains(marker)).collect();
        bail!("{tool} failed ({status}): {}", said.join(" | "));
    }
    Ok(())
}

pub(super) async fn backup(
    url: &str,
    partial: &Path,
    progress: &(dyn Fn(Step) + Sync),
) -> anyhow::Result<(Format, Contents)> {
    let conn = Database::connect(url).await.context("connecting to the database")?;
    // pg_dump reads the snapshot this transaction exports, so the summary read here is the
    // file's; the transaction stays open until pg_dump is done.
    let txn = conn.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?;
    let r =
        txn.query_one_raw(sql(DbBackend::Postgres, "SELECT pg_export_snapshot() AS s")).await?.context("a snapshot")?;
    let snapshot: String = r.try_get("", "s")?;
    let contents = Contents::read(&txn).await?;
    let r = txn
        .query_one_raw(sql(DbBackend::Postgres, "SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = 'public'"))
        .await?
        .context("a count")?;
    let tables: i64 = r.try_get("", "n")?;
    let target = partial.to_str().with_context(|| format!("{} is not valid UTF-8", partial.display()))?;
    let args = [
        "--format=custom".to_owned(),
        "--no-owner".to_owned(),
        "--no-privileges".to_owned(),
        "--verbose".to_owned(),
        format!("--snapshot={snapshot}"),
        format!("--file={target}"),
    ];
    let dumped = run_tool("pg_dump", &args, url, "dumping contents of table ", tables.max(0) as u64, progress).await;
    txn.commit().await.ok();
    conn.close().await.ok();
    dumped?;
    Ok((Format::PgCustom, contents))
}

pub(super) async fn restore(
    url: &str,
    key: ChainKey,
    file: &Path,
    opts: &RestoreOptions,
    progress: &(dyn Fn(Step) + Sync),
) -> anyhow::Result<Restored> {
    let path = file.to_str().with_context(|| format!("{} is not valid UTF-8", file.display()))?;
    // The archive is read whole once before anything is written: a damaged file stops here.
    let listed = match Command::new("pg_restore").arg("--list").arg(path).stdin(Stdio::null()).output().await {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing("pg_restore")),
        Err(e) => return Err(anyhow::Error::new(e).context("starting pg_restore")),
    };
    if !listed.status.success() {
        bail!(
            "{} is not a readable pg_dump archive: {}",
            file.display(),
            String::from_utf8_lossy(&listed.stderr).trim()
        );
    }
    let list = String::from_utf8_lossy(&listed.stdout);
    if !list.lines().any(|l| l.contains(" TABLE public chain_head ")) {
        bail!("{} is a pg_dump archive, but not of a reloop database (it has no chain head)", file.display());
    }
    let tables = list.lines().filter(|l| l.contains(" TABLE DATA ")).count() as u64;

    let conn = Database::connect(url).await.context("connecting to the database")?;
    let found = Target::of(&conn).await;
    conn.close().await.ok();
    let found = found?;
    check_target(&found, opts, "the database")?;
    let mut args = vec![
        "--single-transaction".to_owned(),
        "--exit-on-error".to_owned(),
        "--no-owner".to_owned(),
        "--no-privileges".to_owned(),
        "--verbose".to_owned(),
    ];
    if !matches!(found, Target::Empty) {
        // Drops what the archive is about to create, inside the same transaction.
        args.extend(["--clean".to_owned(), "--if-exists".to_owned()]);
    }
    args.push(path.to_owned());
    run_tool("pg_restore", &args, url, "processing data for table ", tables, progress)
        .await
        .context("the database is unchanged (pg_restore runs in one transaction)")?;

    let db = Db::connect(url, 2).await?.with_chain_key(key);
    let checked = migrate_and_verify(&db, progress).await;
    db.close().await.ok();
    let (contents, report) = checked?;
    Ok(Restored { format: Format::PgCustom, contents, report })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url() {
        let (url, pw) = split_password("postgres://reloop:s%40cret+1@db.example:5432/reloop?sslmode=require").unwrap();
        assert_eq!(url, "postgres://reloop@db.example:5432/reloop?sslmode=require");
        assert_eq!(pw.as_deref(), Some("s@cret+1"));
        let (url, pw) = split_password("postgres://postgres@127.0.0.1:5432/postgres").unwrap();
        assert_eq!(url, "postgres://postgres@127.0.0.1:5432/postgres");
        assert_eq!(pw, None);
    }

    #[tokio::test]
    async fn a_missing_tool_says_what_to_install() {
        let e = run_tool("reloop-no-such-pg-dump", &[], "postgres://u:secret@127.0.0.1/x", "x", 1, &|_| {})
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("reloop-no-such-pg-dump was not found on the PATH"), "{e}");
        assert!(e.contains("apt install postgresql-client"), "{e}");
        assert!(!e.contains("secret"), "{e}");
    }
}
