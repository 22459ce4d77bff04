//! Run-time settings, read once from the environment (and an optional `.env` file).
//!
//! Every key is documented in `.env.example`. Paths come from here, never from the
//! working directory at the point of use.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};

#[derive(Clone, Debug)]
pub struct Settings {
    /// Address the HTTP server listens on (`RELOOP_BIND`).
    pub bind: SocketAddr,
    /// Where reloop keeps its files; the default SQLite database lives here.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Largest database pool (`RELOOP_DB_MAX_CONNECTIONS`).
    pub db_max_connections: u32,
    /// HTTP worker threads (`RELOOP_WORKERS`); 0 means one per core.
    pub workers: usize,
    /// Largest accepted request body for JSON and forms (`RELOOP_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Log filter (`RELOOP_LOG`), tracing-subscriber syntax.
    pub log_filter: String,
}

impl Settings {
    /// Reads settings from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get`, so tests can supply their own environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let bind: SocketAddr = non_empty("RELOOP_BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .context("RELOOP_BIND must be an address such as 127.0.0.1:8080")?;
        let data_dir = PathBuf::from(non_empty("RELOOP_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match non_empty("DATABASE_URL") {
            Some(url) => url,
            None => default_sqlite_url(&data_dir)?,
        };
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            bail!("DATABASE_URL must start with sqlite:, postgres:// or postgresql://");
        }
        let parse_num = |k: &str, default: usize| -> anyhow::Result<usize> {
            match non_empty(k) {
                Some(v) => v.trim().parse().with_context(|| format!("{k} must be a whole number, got {v:?}")),
                None => Ok(default),
            }
        };
        let db_max_connections = parse_num("RELOOP_DB_MAX_CONNECTIONS", 16)? as u32;
        if db_max_connections == 0 {
            bail!("RELOOP_DB_MAX_CONNECTIONS must be at least 1");
        }
        Ok(Settings {
            bind,
            data_dir,
            database_url,
            db_max_connections,
            workers: parse_num("RELOOP_WORKERS", 0)?,
            max_body_bytes: parse_num("RELOOP_MAX_BODY_BYTES", 1024 * 1024)?,
            log_filter: non_empty("RELOOP_LOG").unwrap_or_else(|| "info,sqlx::postgres::notice=warn,sea_orm=warn,sqlx=warn".into()),
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn default_sqlite_url(data_dir: &std::path::Path) -> anyhow::Result<String> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let abs = data_dir
        .canonicalize()
        .with_context(|| format!("resolving the data directory {}", data_dir.display()))?;
    Ok(format!("sqlite://{}?mode=rwc", abs.join("reloop.db").display()))
}
