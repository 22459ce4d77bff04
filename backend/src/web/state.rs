//! What every handler can reach.

use std::sync::Arc;

use crate::db::Db;
use crate::settings::Settings;

pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
}
