//! The throwaway database a bench runs on: a fresh SQLite file under the data directory, or
//! a fresh database on a PostgreSQL server; removed afterwards unless `--keep`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Utc;
use sea_orm::{ConnectionTrait, Database};

pub struct Scratch {
    url: String,
    place: Place,
}

enum Place {
    Sqlite(PathBuf),
    Postgres { admin: String, name: String },
}

impl Scratch {
    /// Creates the database: on `postgres` (an admin URL) when given, else under `data_dir`.
    pub async fn create(postgres: Option<&str>, data_dir: &Path) -> anyhow::Result<Scratch> {
        let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
        match postgres {
            Some(admin) => {
                let name = format!("reloop_bench_{stamp}");
                let conn = Database::connect(admin).await.context("connecting to --postgres")?;
                conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .with_context(|| format!("creating the database {name}"))?;
                conn.close().await.ok();
                Ok(Scratch {
                    url: replace_database(admin, &name),
                    place: Place::Postgres { admin: admin.to_owned(), name },
                })
            }
            None => {
                let dir = data_dir.join("bench").join(&stamp);
                std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                let dir = dir.canonicalize().with_context(|| format!("resolving {}", dir.display()))?;
                Ok(Scratch {
                    url: format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
                    place: Place::Sqlite(dir),
                })
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database (best effort: a leftover is reported, not fatal).
    pub async fn remove(self) {
        match self.place {
            Place::Sqlite(dir) => {
                if let Err(e) = std::fs::remove_dir_all(&dir) {
                    eprintln!("reloop-bench: could not remove {}: {e}", dir.display());
                }
            }
            Place::Postgres { admin, name } => {
                let dropped = match Database::connect(admin.as_str()).await {
                    Ok(conn) => conn
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await
                        .map(|_| ())
                        .map_err(anyhow::Error::from),
                    Err(e) => Err(e.into()),
                };
                if let Err(e) = dropped {
                    eprintln!("reloop-bench: could not drop the database {name}: {e:#}");
                }
            }
        }
    }
}

/// `url` with its database name replaced by `name` (the query string kept).
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let root = base[host_start..].find('/').map_or(base, |i| &base[..host_start + i]);
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn replaces_the_database_name_and_keeps_the_query() {
        assert_eq!(replace_database("postgres://u@h:5432/postgres", "b"), "postgres://u@h:5432/b");
        assert_eq!(replace_database("postgres://u@h:5432", "b"), "postgres://u@h:5432/b");
        assert_eq!(replace_database("postgres://u@h/x?sslmode=disable", "b"), "postgres://u@h/b?sslmode=disable");
    }
}
