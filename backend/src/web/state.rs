//! What every handler can reach, and the one piece of state the edge keeps: the last
//! chain verification, so that asking for it repeatedly cannot load the server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::ledger::chain::{self, ChainReport, VerifyOptions};
use crate::settings::Settings;

/// How long a verification result is served again before the chain is checked anew.
pub const VERIFY_REUSE: Duration = Duration::from_secs(10);

pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    /// One verification at a time; the last result and when it was made.
    verified: Mutex<Option<(Instant, ChainReport)>>,
}

impl AppState {
    pub fn new(db: Db, settings: Arc<Settings>) -> AppState {
        AppState { db, settings, verified: Mutex::new(None) }
    }

    /// The chain checked from the newest stored checkpoint (see `ledger::chain::verify`),
    /// reusing a result younger than [`VERIFY_REUSE`]. Concurrent callers wait for the one
    /// check in progress instead of starting their own. Returns the report and its age.
    pub async fn verify_chain(&self) -> AppResult<(ChainReport, Duration)> {
        let mut last = self.verified.lock().await;
        if let Some((at, report)) = last.as_ref()
            && at.elapsed() < VERIFY_REUSE
        {
            return Ok((report.clone(), at.elapsed()));
        }
        let key = self
            .db
            .chain_key()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the server has no chain key")))?
            .clone();
        let opts = VerifyOptions { incremental: true, expect: None };
        let report = chain::verify(self.db.conn(), &key, &opts, &mut |_, _| {}).await?;
        *last = Some((Instant::now(), report.clone()));
        Ok((report, Duration::ZERO))
    }
}
