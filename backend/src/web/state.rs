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
    /// One verification at a time; the last result, when it was made and how long it may
    /// be served again.
    verified: Mutex<Option<(Instant, Duration, ChainReport)>>,
}

impl AppState {
    pub fn new(db: Db, settings: Arc<Settings>) -> AppState {
        AppState { db, settings, verified: Mutex::new(None) }
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
