//! SQLite: `VACUUM INTO` a partial file (its growing size is the progress); restoring
//! copies the file beside the target, checks, migrates and verifies the copy there, and
//! only then renames it into place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{
    Contents, Format, RestoreOptions, Restored, Step, Target, check_target, migrate_and_verify, partial_of, sql,
};
use crate::db::{ChainKey, Db};

/// The database file a `sqlite:` URL names.
pub(super) fn path_of(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url.strip_prefix("sqlite:").context("not a sqlite: URL")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    if path.is_empty() || path.starts_with(":memory:") || url.contains("mode=memory") {
        bail!("DATABASE_URL names an in-memory SQLite database: there is no file to back up or restore");
    }
    Ok(PathBuf::from(path))
}

/// A read-only connection to the SQLite file at `path`.
async fn open_read_only(path: &Path) -> anyhow::Result<DatabaseConnection> {
    Database::connect(format!("sqlite://{}?mode=ro", path.display()))
        .await
        .with_context(|| format!("opening {}", path.display()))
}

pub(super) async fn backup(
    url: &str,
    partial: &Path,
    progress: &(dyn Fn(Step) + Sync),
) -> anyhow::Result<(Format, Contents)> {
    let source = path_of(url)?;
    if !source.exists() {
        bail!("there is no database at {} to back up", source.display());
    }
    let conn = Database::connect(url).await.with_context(|| format!("opening {}", source.display()))?;
    // About what the copy will hold: every page in use.
    let total = {
        let q = "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()) AS pages, (SELECT page_size FROM pragma_page_size()) AS size";
        let r = conn.query_one_raw(sql(DbBackend::Sqlite, q)).await?.context("the page count")?;
        let pages: i64 = r.try_get("", "pages")?;
        let size: i64 = r.try_get("", "size")?;
        (pages.max(0) * size.max(0)) as u64
    };
    let target = partial.to_str().with_context(|| format!("{} is not valid UTF-8", partial.display()))?;
    {
        let vacuum =
            conn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, "VACUUM INTO ?", [target.into()]));
        tokio::pin!(vacuum);
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                done = &mut vacuum => {
                    done.with_context(|| format!("copying {} to {}", source.display(), partial.display()))?;
                    break;
                }
                _ = tick.tick() => {
                    let done = std::fs::metadata(partial).map(|m| m.len()).unwrap_or(0);
                    progress(Step::Copying { done: done.min(total), total });
                }
            }
        }
    }
    conn.close().await.ok();
    progress(Step::Copying { done: total, total });
    // The summary is read from the copy itself.
    let copy = open_read_only(partial).await?;
    let contents = Contents::read(&copy).await.context("reading the copy")?;
    copy.close().await.ok();
    Ok((Format::Sqlite, contents))
}

pub(super) async fn restore(
    url: &str,
    key: ChainKey,
    file: &Path,
    opts: &RestoreOptions,
    progress: &(dyn Fn(Step) + Sync),
) -> anyhow::Result<Restored> {
    let target = path_of(url)?;
    if target.exists() {
        let conn = open_read_only(&target).await?;
        let found = Target::of(&conn).await;
        conn.close().await.ok();
        check_target(&found?, opts, &format!("the database {}", target.display()))?;
    }
    let partial = partial_of(&target)?;
    remove_with_sidecars(&partial)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    copy_with_progress(file, &partial, progress).await?;

    let checked = check_copy(&partial, key, progress).await;
    let (contents, report) = match checked {
        Ok(c) => c,
        Err(e) => {
            let _ = remove_with_sidecars(&partial);
            return Err(e.context(format!("{} was not restored; the database is unchanged", file.display())));
        }
    };
    // The old database's write-ahead log must not be replayed onto the new file.
    for side in sidecars(&target) {
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    super::publish(&partial, &target)?;
    Ok(Restored { format: Format::Sqlite, contents, report })
}

/// The copy passes SQLite's own check, migrates and verifies; it is closed afterwards with
/// its log folded in, so the file alone is the database.
async fn check_copy(
    partial: &Path,
    key: ChainKey,
    progress: &(dyn Fn(Step) + Sync),
) -> anyhow::Result<(Contents, crate::ledger::chain::ChainReport)> {
    let url = format!("sqlite://{}?mode=rw", partial.display());
    let db = Db::connect(&url, 2).await?.with_chain_key(key);
    let result = async {
        let r = db.conn().query_one_raw(sql(DbBackend::Sqlite, "PRAGMA quick_check")).await?.context("quick_check")?;
        let verdict: String = r.try_get_by_index(0)?;
        if verdict != "ok" {
            bail!("the backup file is damaged (SQLite's quick_check: {verdict})");
        }
        let checked = migrate_and_verify(&db, progress).await?;
        db.conn().execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        Ok(checked)
    }
    .await;
    db.close().await.ok();
    let checked = result?;
    for side in sidecars(partial) {
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    Ok(checked)
}

/// `FILE-wal` and `FILE-shm`.
fn sidecars(path: &Path) -> [PathBuf; 2] {
    let with = |suffix: &str| {
        let mut s = path.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    [with("-wal"), with("-shm")]
}

fn remove_with_sidecars(path: &Path) -> anyhow::Result<()> {
    for p in std::iter::once(path.to_owned()).chain(sidecars(path)) {
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    Ok(())
}

async fn copy_with_progress(from: &Path, to: &Path, progress: &(dyn Fn(Step) + Sync)) -> anyhow::Result<()> {
    let mut src = tokio::fs::File::open(from).await.with_context(|| format!("opening {}", from.display()))?;
    let total = src.metadata().await.map(|m| m.len()).unwrap_or(0);
    let mut dst = tokio::fs::File::create(to).await.with_context(|| format!("creating {}", to.display()))?;
    let mut buf = vec![0u8; 4 << 20];
    let mut done = 0u64;
    loop {
        let n = src.read(&mut buf).await.with_context(|| format!("reading {}", from.display()))?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n]).await.with_context(|| format!("writing {}", to.display()))?;
        done += n as u64;
        progress(Step::Copying { done, total });
    }
    dst.sync_all().await.with_context(|| format!("flushing {}", to.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_comes_from_the_url() {
        assert_eq!(
            path_of("sqlite:///var/lib/reloop/reloop.db?mode=rwc").unwrap(),
            PathBuf::from("/var/lib/reloop/reloop.db")
        );
        assert_eq!(path_of("sqlite://./data/reloop.db?mode=rwc").unwrap(), PathBuf::from("./data/reloop.db"));
        assert_eq!(path_of("sqlite:x.db").unwrap(), PathBuf::from("x.db"));
        assert!(path_of("sqlite::memory:").unwrap_err().to_string().contains("in-memory"));
    }

    #[test]
    fn sidecars_are_the_write_ahead_log_and_its_index() {
        let [wal, shm] = sidecars(Path::new("/d/reloop.db"));
        assert_eq!(wal, PathBuf::from("/d/reloop.db-wal"));
        assert_eq!(shm, PathBuf::from("/d/reloop.db-shm"));
    }
}
