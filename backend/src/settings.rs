//! Run-time settings, read once from the environment (and an optional `.env` file).
//!
//! Every key is documented in `.env.example`. Paths come from here, never from the
//! working directory at the point of use. Settings are plain values: this module knows
//! no feature; features read the policies defined here.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::Duration;

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
    /// How long a request waits for a database connection before it fails with 503
    /// (`RELOOP_DB_ACQUIRE_TIMEOUT_MS`, default 10000).
    pub db_acquire_timeout_ms: u64,
    /// HTTP worker threads (`RELOOP_WORKERS`); 0 means one per core.
    pub workers: usize,
    /// Largest accepted request body for JSON and forms (`RELOOP_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Log filter (`RELOOP_LOG`), tracing-subscriber syntax.
    pub log_filter: String,
    /// Log lines as JSON objects instead of text (`RELOOP_LOG_FORMAT=json`; default `text`).
    pub log_json: bool,
    /// Statements slower than this many milliseconds are logged as warnings with their
    /// duration and their SQL text, never their values (`RELOOP_SLOW_QUERY_MS`; 0: off).
    pub slow_query_ms: u64,
    /// A bearer token that opens `/metrics` on the main address (`RELOOP_METRICS_TOKEN`, at
    /// least 16 characters); without it `/metrics` is not served there.
    pub metrics_token: Option<String>,
    /// A separate address serving only `/metrics`, without a token (`RELOOP_METRICS_BIND`):
    /// bind it to a private interface.
    pub metrics_bind: Option<SocketAddr>,
    /// Mark cookies `Secure` (`RELOOP_SECURE_COOKIES`; default on unless bound to loopback).
    pub secure_cookies: bool,
    /// Idle and absolute session lifetimes (`RELOOP_SESSION_IDLE_MINUTES`, `RELOOP_SESSION_MAX_HOURS`).
    pub session_idle_minutes: i64,
    pub session_max_hours: i64,
    /// Login throttling (`RELOOP_LOGIN_MAX_FAILURES`, `RELOOP_LOGIN_LOCK_MINUTES`, `RELOOP_LOGIN_BACKOFF_MS`).
    pub login_max_failures: i32,
    pub login_lock_minutes: i64,
    pub login_backoff_ms: i64,
    /// Reverse proxies whose `X-Forwarded-For` entries are believed (`RELOOP_TRUSTED_PROXIES`:
    /// addresses or CIDR ranges, comma-separated). The client is the rightmost address that
    /// is not one of them; empty means the peer address is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The chain key as 64 hex characters (`RELOOP_CHAIN_KEY`); when unset, the key file is used.
    pub chain_key: Option<String>,
    /// Where the chain key is kept when `RELOOP_CHAIN_KEY` is unset (`RELOOP_CHAIN_KEY_FILE`,
    /// default `$RELOOP_DATA_DIR/chain.key`; created on first start).
    pub chain_key_file: PathBuf,
    /// The address people reach reloop at (`RELOOP_PUBLIC_URL`; default `http://{bind}`):
    /// absolute http(s), no query or fragment, no trailing slash. QR labels encode
    /// `{public_url}/assets/{id}`.
    pub public_url: String,
    /// How often the server re-evaluates the fleet view with the policy in force
    /// (`RELOOP_POLICY_REFRESH_MINUTES`, default 60; 0: only when a policy is saved or a
    /// refresh is asked for).
    pub policy_refresh_minutes: u64,
}

impl Settings {
    /// Whether `ip` is one of the trusted proxies.
    pub fn is_trusted_proxy(&self, ip: std::net::IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
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
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
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
        let flag = |k: &str, default: bool| -> anyhow::Result<bool> {
            match non_empty(k).map(|v| v.trim().to_lowercase()) {
                None => Ok(default),
                Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
                Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
                Some(v) => bail!("{k} must be true or false, got {v:?}"),
            }
        };
        let positive = |k: &str, default: usize| -> anyhow::Result<i64> {
            let v = parse_num(k, default)?;
            if v == 0 {
                bail!("{k} must be at least 1");
            }
            Ok(v as i64)
        };
        let public_url = public_url(non_empty("RELOOP_PUBLIC_URL"), bind)?;
        let log_json = match non_empty("RELOOP_LOG_FORMAT").map(|v| v.trim().to_lowercase()).as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(v) => bail!("RELOOP_LOG_FORMAT must be text or json, got {v:?}"),
        };
        let metrics_token = non_empty("RELOOP_METRICS_TOKEN").map(|t| t.trim().to_owned());
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            bail!("RELOOP_METRICS_TOKEN must be at least 16 characters (openssl rand -hex 16)");
        }
        let metrics_bind = non_empty("RELOOP_METRICS_BIND")
            .map(|v| v.trim().parse::<SocketAddr>())
            .transpose()
            .context("RELOOP_METRICS_BIND must be an address such as 127.0.0.1:9187")?;
        let db_acquire_timeout_ms = parse_num("RELOOP_DB_ACQUIRE_TIMEOUT_MS", 10000)? as u64;
        if db_acquire_timeout_ms < 100 {
            bail!("RELOOP_DB_ACQUIRE_TIMEOUT_MS must be at least 100");
        }
        Ok(Settings {
            db_acquire_timeout_ms,
            metrics_token,
            metrics_bind,
            log_json,
            slow_query_ms: parse_num("RELOOP_SLOW_QUERY_MS", 500)? as u64,
            public_url,
            policy_refresh_minutes: parse_num("RELOOP_POLICY_REFRESH_MINUTES", 60)? as u64,
            secure_cookies: flag("RELOOP_SECURE_COOKIES", !bind.ip().is_loopback())?,
            session_idle_minutes: positive("RELOOP_SESSION_IDLE_MINUTES", 60)?,
            session_max_hours: positive("RELOOP_SESSION_MAX_HOURS", 12)?,
            login_max_failures: positive("RELOOP_LOGIN_MAX_FAILURES", 5)? as i32,
            login_lock_minutes: positive("RELOOP_LOGIN_LOCK_MINUTES", 15)?,
            login_backoff_ms: parse_num("RELOOP_LOGIN_BACKOFF_MS", 1000)? as i64,
            trusted_proxies: proxies(non_empty("RELOOP_TRUSTED_PROXIES"), non_empty("RELOOP_TRUST_PROXY"))?,
            chain_key: non_empty("RELOOP_CHAIN_KEY"),
            chain_key_file: non_empty("RELOOP_CHAIN_KEY_FILE")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("chain.key")),
            bind,
            data_dir,
            database_url,
            db_max_connections,
            workers: parse_num("RELOOP_WORKERS", 0)?,
            max_body_bytes: parse_num("RELOOP_MAX_BODY_BYTES", 1024 * 1024)?,
            log_filter: non_empty("RELOOP_LOG")
                .unwrap_or_else(|| "info,sqlx::postgres::notice=warn,sea_orm=warn,sqlx=warn".into()),
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    pub fn session_policy(&self) -> SessionPolicy {
        SessionPolicy {
            idle: Duration::minutes(self.session_idle_minutes),
            absolute: Duration::hours(self.session_max_hours),
        }
    }

    pub fn throttle_policy(&self) -> ThrottlePolicy {
        ThrottlePolicy {
            max_failures: self.login_max_failures,
            max_address_failures: self.login_max_failures * 4,
            window: Duration::minutes(self.login_lock_minutes),
            lock: Duration::minutes(self.login_lock_minutes),
            backoff: Duration::milliseconds(self.login_backoff_ms),
            free_failures: 2,
        }
    }
}

/// How long sessions live (`auth::sessions` applies it).
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub absolute: Duration,
}

/// Sign-in throttling (`auth::throttle` applies it).
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    /// Failures for one account name before it locks.
    pub max_failures: i32,
    /// Failures from one address before it locks (several people may share one).
    pub max_address_failures: i32,
    /// Failures older than this are forgotten.
    pub window: Duration,
    /// How long a lock lasts.
    pub lock: Duration,
    /// The first wait, doubling with each further failure; zero turns waiting off.
    pub backoff: Duration,
    /// Failures allowed before waiting starts.
    pub free_failures: i32,
}

/// Parses `RELOOP_TRUSTED_PROXIES`. The old `RELOOP_TRUST_PROXY=true` trusted whatever the
/// client wrote; it is refused with a pointer to the new setting.
fn proxies(list: Option<String>, old: Option<String>) -> anyhow::Result<Vec<ipnet::IpNet>> {
    if old
        .as_deref()
        .map(|v| v.trim().to_lowercase())
        .is_some_and(|v| !["0", "false", "no", "off"].contains(&v.as_str()))
    {
        bail!(
            "RELOOP_TRUST_PROXY is replaced by RELOOP_TRUSTED_PROXIES: list your reverse proxies' addresses \
             (e.g. RELOOP_TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8), so that clients cannot choose their own address"
        );
    }
    let mut out = Vec::new();
    for item in list.iter().flat_map(|l| l.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
        let net = match item.parse::<ipnet::IpNet>() {
            Ok(n) => n,
            Err(_) => match item.parse::<std::net::IpAddr>() {
                Ok(ip) => ipnet::IpNet::from(ip),
                Err(_) => {
                    bail!("RELOOP_TRUSTED_PROXIES: {item:?} is neither an address nor a CIDR range such as 10.0.0.0/8")
                }
            },
        };
        out.push(net);
    }
    Ok(out)
}

/// Longest accepted `RELOOP_PUBLIC_URL`: a label's QR code stays small enough to print at
/// 15–20 mm and scan with a phone.
const MAX_PUBLIC_URL: usize = 200;

/// Parses `RELOOP_PUBLIC_URL` (default `http://{bind}`): an absolute http or https URL with
/// a host, without credentials, query or fragment; returned normalised (scheme and host
/// lowercased) without a trailing slash.
fn public_url(value: Option<String>, bind: SocketAddr) -> anyhow::Result<String> {
    let Some(raw) = value else { return Ok(format!("http://{bind}")) };
    let raw = raw.trim();
    let bad = |why: &str| anyhow::anyhow!("RELOOP_PUBLIC_URL {why}, such as https://reloop.example.com; got {raw:?}");
    let url = url::Url::parse(raw).map_err(|_| bad("must be an absolute http(s) URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad("must be an absolute http(s) URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() || raw.contains(['?', '#']) {
        return Err(bad("must not have a query (?…) or a fragment (#…)"));
    }
    let out = url.as_str().trim_end_matches('/').to_owned();
    if out.len() > MAX_PUBLIC_URL {
        return Err(bad(&format!("must be at most {MAX_PUBLIC_URL} characters")));
    }
    Ok(out)
}

fn default_sqlite_url(data_dir: &std::path::Path) -> anyhow::Result<String> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let abs =
        data_dir.canonicalize().with_context(|| format!("resolving the data directory {}", data_dir.display()))?;
    Ok(format!("sqlite://{}?mode=rwc", abs.join("reloop.db").display()))
}

#[cfg(test)]
mod tests {
    use super::Settings;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let env: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_are_safe_and_loopback_cookies_are_not_secure() {
        let s = from(&[("DATABASE_URL", "sqlite://x.db")]).expect("defaults");
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert!(!s.secure_cookies, "plain http on loopback must keep its cookies");
        let s = from(&[("DATABASE_URL", "sqlite://x.db"), ("RELOOP_BIND", "0.0.0.0:80")]).expect("public");
        assert!(s.secure_cookies, "a public bind gets Secure cookies by default");
        let s =
            from(&[("DATABASE_URL", "sqlite://x.db"), ("RELOOP_BIND", "0.0.0.0:80"), ("RELOOP_SECURE_COOKIES", "off")])
                .expect("override");
        assert!(!s.secure_cookies);
        let s = from(&[("DATABASE_URL", "sqlite://x.db")]).expect("defaults");
        assert_eq!((s.log_json, s.slow_query_ms), (false, 500));
        let s =
            from(&[("DATABASE_URL", "sqlite://x.db"), ("RELOOP_LOG_FORMAT", "JSON"), ("RELOOP_SLOW_QUERY_MS", "0")])
                .expect("json, no slow-query log");
        assert_eq!((s.log_json, s.slow_query_ms), (true, 0));
    }

    #[test]
    fn bad_values_name_the_key() {
        for (k, v) in [
            ("RELOOP_BIND", "nowhere"),
            ("RELOOP_WORKERS", "many"),
            ("RELOOP_SECURE_COOKIES", "maybe"),
            ("RELOOP_LOG_FORMAT", "xml"),
            ("RELOOP_METRICS_TOKEN", "short"),
            ("RELOOP_METRICS_BIND", "9187"),
            ("RELOOP_DB_ACQUIRE_TIMEOUT_MS", "5"),
            ("RELOOP_SLOW_QUERY_MS", "soon"),
            ("DATABASE_URL", "mysql://x"),
            ("RELOOP_SESSION_IDLE_MINUTES", "0"),
            ("RELOOP_PUBLIC_URL", "reloop.example.com"),
            ("RELOOP_PUBLIC_URL", "ftp://reloop.example.com"),
            ("RELOOP_PUBLIC_URL", "https://reloop.example.com/?x=1"),
            ("RELOOP_PUBLIC_URL", "https://reloop.example.com/#top"),
            ("RELOOP_PUBLIC_URL", "https://user:pw@reloop.example.com"),
            ("RELOOP_PUBLIC_URL", "https://"),
        ] {
            let err = from(&[("DATABASE_URL", "sqlite://x.db"), (k, v)]).expect_err(k).to_string();
            assert!(err.contains(k), "{k}: {err}");
        }
    }

    #[test]
    fn the_public_url_defaults_to_the_bind_address_and_loses_its_trailing_slash() {
        let s = from(&[("DATABASE_URL", "sqlite://x.db"), ("RELOOP_BIND", "0.0.0.0:9000")]).expect("default");
        assert_eq!(s.public_url, "http://0.0.0.0:9000");
        for (given, want) in [
            ("https://Reloop.Example.com/", "https://reloop.example.com"),
            ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
            ("https://example.com/reloop//", "https://example.com/reloop"),
        ] {
            let s = from(&[("DATABASE_URL", "sqlite://x.db"), ("RELOOP_PUBLIC_URL", given)]).expect(given);
            assert_eq!(s.public_url, want, "{given}");
        }
    }
}
