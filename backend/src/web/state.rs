//! What every handler can reach, and the one piece of state the edge keeps: the last
//! chain verification, so that asking for it repeatedly cannot load the server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::db::Db;
use crate::error::AppResult;
use crate::ledger::chain::ChainReport;
use crate::settings::Settings;

/// How long a verification result is served again before the chain is checked anew: at
/// least this, and ten times as long as the check took, so that asking for it over and
/// over keeps the server busy with checking at most a tenth of the time.
pub const VERIFY_REUSE: Duration = Duration::from_secs(10);
const VERIFY_REUSE_FACTOR: u32 = 10;

pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    /// Set while a background fleet run is in progress (one at a time per instance).
    refreshing: Arc<std::sync::atomic::AtomicBool>,
    /// One verification at a time; the last result, when it was made and how long it may
    /// be served again.
    verified: Mutex<Option<(Instant, Duration, ChainReport)>>,
    /// The fleet's facts kept between forecasts while the records do not change.
    pub forecast: crate::forecast::FactsCache,
}

impl AppState {
    /// Re-evaluates the fleet view in the background (`policy::refresh`), unless a run is
    /// already in progress here. A failure is logged with its cause chain.
    pub fn refresh_fleet_soon(&self, trigger: &'static str) {
        use std::sync::atomic::Ordering;
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (db, flag) = (self.db.clone(), Arc::clone(&self.refreshing));
        tokio::spawn(async move {
            match crate::policy::refresh(&db, chrono::Utc::now(), trigger).await {
                Ok(run) => tracing::info!(trigger, evaluated = run.evaluated, due = run.due, "fleet view re-evaluated"),
                Err(e) => tracing::error!(trigger, error = ?anyhow::Error::from(e), "fleet view run failed"),
            }
            flag.store(false, Ordering::Release);
        });
    }

    pub fn new(db: Db, settings: Arc<Settings>) -> AppState {
        AppState {
            db,
            settings,
            refreshing: Arc::default(),
            verified: Mutex::new(None),
            forecast: crate::forecast::FactsCache::default(),
        }
    }

    /// The chain checked from the newest stored checkpoint (see `ledger::chain::verify`),
    /// reusing a recent result (see [`VERIFY_REUSE`]). Concurrent callers wait for the one
    /// check in progress instead of starting their own. Returns the report and its age.
    pub async fn verify_chain(&self) -> AppResult<(ChainReport, Duration)> {
        let mut last = self.verified.lock().await;
        if let Some((at, reuse, report)) = last.as_ref()
            && at.elapsed() < *reuse
        {
            return Ok((report.clone(), at.elapsed()));
        }
        let started = Instant::now();
        let report = crate::audit::verify_from_checkpoint(&self.db, &mut |_, _| {}).await?;
        let reuse = VERIFY_REUSE.max(started.elapsed() * VERIFY_REUSE_FACTOR);
        *last = Some((Instant::now(), reuse, report.clone()));
        Ok((report, Duration::ZERO))
    }
}
