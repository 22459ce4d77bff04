//! What the process counts for Prometheus: requests by route and status with their
//! latency, requests in flight, how long writers wait for their turn and for a connection,
//! sign-in failures and lock-outs, and the build. Figures read from the database at scrape
//! time (the pool, the chain, the ledger and audit sizes) are passed to [`render`] by the
//! caller, so one process serving several databases never mixes them up.
//!
//! Invariants:
//! - Labels are bounded: a route's pattern (`/assets/{id}`, never a path), a method, a
//!   status code. Nothing a client types becomes a label.
//! - Recording never fails or blocks a request: if the registry could not be built (a
//!   programming error, logged once), every recording is a no-op.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// Latency buckets, in seconds: 1 ms to 10 s.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_seconds: HistogramVec,
    in_flight: IntGauge,
    write_wait: Histogram,
    begin: Histogram,
    sign_in_failures: IntCounter,
    sign_in_throttled: IntCounter,
    lockouts: IntCounter,
}

/// A latency histogram's options: `BUCKETS`, in seconds.
fn seconds(name: &str, help: &str) -> HistogramOpts {
    HistogramOpts::new(name, help).buckets(BUCKETS.to_vec())
}

impl Metrics {
    fn new() -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new("reloop_http_requests_total", "HTTP requests answered, by method, route pattern and status"),
            &["method", "route", "status"],
        )?;
        let http_seconds = HistogramVec::new(
            seconds("reloop_http_request_duration_seconds", "Time to answer, by method, route pattern and status"),
            &["method", "route", "status"],
        )?;
        let in_flight = IntGauge::new("reloop_http_requests_in_flight", "Requests being answered now")?;
        let write_wait = Histogram::with_opts(seconds(
            "reloop_db_write_wait_seconds",
            "Time a recording write waited for its turn: SQLite's in-process writer queue, PostgreSQL's chain head lock",
        ))?;
        let begin = Histogram::with_opts(seconds(
            "reloop_db_begin_seconds",
            "Time to take a pooled connection and begin a transaction (the pool's wait included)",
        ))?;
        let sign_in_failures =
            IntCounter::new("reloop_sign_in_failures_total", "Sign-ins refused for a wrong name or password")?;
        let sign_in_throttled = IntCounter::new(
            "reloop_sign_in_throttled_total",
            "Sign-ins refused because the name or address is locked",
        )?;
        let lockouts = IntCounter::new(
            "reloop_sign_in_lockouts_total",
            "Account names or addresses locked after repeated failures",
        )?;
        let build = IntGaugeVec::new(Opts::new("reloop_build_info", "The running build (always 1)"), &["version"])?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_seconds.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(write_wait.clone()))?;
        registry.register(Box::new(begin.clone()))?;
        registry.register(Box::new(sign_in_failures.clone()))?;
        registry.register(Box::new(sign_in_throttled.clone()))?;
        registry.register(Box::new(lockouts.clone()))?;
        registry.register(Box::new(build))?;
        Ok(Metrics {
            registry,
            http_requests,
            http_seconds,
            in_flight,
            write_wait,
            begin,
            sign_in_failures,
            sign_in_throttled,
            lockouts,
        })
    }
}

static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| match Metrics::new() {
    Ok(m) => Some(m),
    Err(e) => {
        tracing::error!(error = %e, "the metrics registry could not be built; /metrics will be empty");
        None
    }
});

fn with(f: impl FnOnce(&Metrics)) {
    if let Some(m) = METRICS.as_ref() {
        f(m);
    }
}

/// A request has started; call [`request_done`] when it is answered.
pub fn request_started() {
    with(|m| m.in_flight.inc());
}

/// A request was answered with `status` after `elapsed`.
pub fn request_done(method: &str, route: &str, status: u16, elapsed: Duration) {
    with(|m| {
        m.in_flight.dec();
        let status = status.to_string();
        m.http_requests.with_label_values(&[method, route, &status]).inc();
        m.http_seconds.with_label_values(&[method, route, &status]).observe(elapsed.as_secs_f64());
    });
}

pub fn write_waited(elapsed: Duration) {
    with(|m| m.write_wait.observe(elapsed.as_secs_f64()));
}

pub fn began(elapsed: Duration) {
    with(|m| m.begin.observe(elapsed.as_secs_f64()));
}

pub fn sign_in_failed() {
    with(|m| m.sign_in_failures.inc());
}

pub fn sign_in_throttled() {
    with(|m| m.sign_in_throttled.inc());
}

pub fn locked_out() {
    with(|m| m.lockouts.inc());
}

/// Figures of one database, read when scraped.
#[derive(Clone, Debug, Default)]
pub struct DatabaseGauges {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    pub pool_open: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
    pub chain_head_seq: i64,
    pub ledger_entries: i64,
    pub audit_entries: i64,
}

/// The text exposition of everything counted, with `db`'s figures.
pub fn render(db: &DatabaseGauges) -> prometheus::Result<String> {
    let mut families = METRICS.as_ref().map(|m| m.registry.gather()).unwrap_or_default();
    let local = Registry::new();
    let pool = IntGaugeVec::new(Opts::new("reloop_db_pool_connections", "Pooled database connections"), &["state"])?;
    pool.with_label_values(&["in_use"]).set(i64::from(db.pool_open.saturating_sub(db.pool_idle)));
    pool.with_label_values(&["idle"]).set(i64::from(db.pool_idle));
    let pool_max =
        IntGauge::new("reloop_db_pool_max_connections", "The pool's size limit (RELOOP_DB_MAX_CONNECTIONS)")?;
    pool_max.set(i64::from(db.pool_max));
    let backend = IntGaugeVec::new(Opts::new("reloop_db_info", "The database in use (always 1)"), &["backend"])?;
    backend.with_label_values(&[db.backend]).set(1);
    let head = IntGauge::new("reloop_chain_head_seq", "Entries in the hash chain (ledger and audit trail together)")?;
    head.set(db.chain_head_seq);
    let ledger = IntGauge::new("reloop_ledger_entries", "Rows in the lifecycle ledger")?;
    ledger.set(db.ledger_entries);
    let audit = IntGauge::new("reloop_audit_entries", "Rows in the audit trail")?;
    audit.set(db.audit_entries);
    local.register(Box::new(pool))?;
    local.register(Box::new(pool_max))?;
    local.register(Box::new(backend))?;
    local.register(Box::new(head))?;
    local.register(Box::new(ledger))?;
    local.register(Box::new(audit))?;
    families.extend(local.gather());
    families.sort_by(|a, b| a.name().cmp(b.name()));
    let mut out = Vec::new();
    TextEncoder::new().encode(&families, &mut out)?;
    String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
}

/// The exposition format's media type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_exposition_format_with_the_database_figures() {
        request_started();
        request_done("GET", "/metrics-test/{id}", 200, Duration::from_millis(3));
        let text = render(&DatabaseGauges {
            backend: "sqlite",
            pool_open: 5,
            pool_idle: 3,
            pool_max: 16,
            chain_head_seq: 42,
            ledger_entries: 30,
            audit_entries: 12,
        })
        .unwrap();
        for line in [
            "reloop_http_requests_total{method=\"GET\",route=\"/metrics-test/{id}\",status=\"200\"} 1",
            "reloop_http_request_duration_seconds_bucket{method=\"GET\",route=\"/metrics-test/{id}\",status=\"200\",le=\"0.005\"} 1",
            "reloop_http_request_duration_seconds_bucket{method=\"GET\",route=\"/metrics-test/{id}\",status=\"200\",le=\"0.0025\"} 0",
            "reloop_db_pool_connections{state=\"in_use\"} 2",
            "reloop_db_pool_connections{state=\"idle\"} 3",
            "reloop_db_pool_max_connections 16",
            "reloop_db_info{backend=\"sqlite\"} 1",
            "reloop_chain_head_seq 42",
            "reloop_ledger_entries 30",
            "reloop_audit_entries 12",
            "# TYPE reloop_db_write_wait_seconds histogram",
            "# TYPE reloop_sign_in_lockouts_total counter",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        assert!(text.contains(&format!("reloop_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"))));
    }
}
