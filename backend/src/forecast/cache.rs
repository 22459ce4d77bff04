//! The fleet's facts, kept between forecasts while the records have not changed, so
//! trying levers or another horizon on a large fleet does not read it again.
//!
//! Invariant: an entry is served only for the same position of the hash chain, the same
//! day and the same filter. Every change to what the facts read (an item registered or
//! moved, a mass or a model edited, a material factor set) is recorded in the ledger or the
//! audit trail, and every record moves the chain's head on (`ledger::chain::head_seq`), so
//! a served entry is exactly what reading again would give. The position is read in the
//! same snapshot as the facts, so an entry is never newer or older than its key says.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use super::facts::{Filter, FleetFacts, History};
use super::fit::{NoFit, WeibullFit};
use crate::rules::AssetKind;

/// Each kind's fit to the history, or why there is none: fitted once per read.
pub type Fits = std::collections::HashMap<AssetKind, Result<WeibullFit, NoFit>>;

/// Entries kept (the latest ones): the whole fleet and a filtered view or two.
const ENTRIES: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Key {
    pub seq: i64,
    pub today: NaiveDate,
    pub filter: Filter,
}

/// What one read produced.
#[derive(Clone)]
pub struct Facts {
    pub fleet: Arc<FleetFacts>,
    /// The history and its fits, when the read asked for them.
    pub history: Option<Arc<(History, Fits)>>,
}

/// The latest facts read, by key. Cheap to share: one per server (`web::state`), or a fresh
/// one for a single run (the command line).
#[derive(Default)]
pub struct FactsCache {
    entries: Mutex<Vec<(Key, Facts)>>,
}

impl FactsCache {
    /// The facts for `key`, if kept; `history` asks for the lifespans too.
    pub fn get(&self, key: &Key, history: bool) -> Option<Facts> {
        let entries = self.entries.lock().ok()?;
        entries.iter().find(|(k, f)| k == key && (!history || f.history.is_some())).map(|(_, f)| f.clone())
    }

    /// Keeps `facts` for `key`, the oldest entry making room.
    pub fn put(&self, key: Key, facts: Facts) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|(k, _)| k != &key);
            entries.push((key, facts));
            let extra = entries.len().saturating_sub(ENTRIES);
            entries.drain(..extra);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_served_for_its_own_key_only() {
        let c = FactsCache::default();
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let key = Key { seq: 10, today: day, filter: Filter::default() };
        let facts = Facts { fleet: Arc::new(FleetFacts::default()), history: None };
        c.put(key, facts);
        assert!(c.get(&key, false).is_some());
        assert!(c.get(&key, true).is_none(), "no history kept");
        assert!(c.get(&Key { seq: 11, ..key }, false).is_none(), "the records changed");
        assert!(c.get(&Key { today: day.succ_opt().unwrap(), ..key }, false).is_none(), "another day");
        for seq in 20..25 {
            c.put(Key { seq, ..key }, Facts { fleet: Arc::new(FleetFacts::default()), history: None });
        }
        assert!(c.get(&key, false).is_none(), "the oldest made room");
        assert!(c.get(&Key { seq: 24, ..key }, false).is_some());
    }
}
