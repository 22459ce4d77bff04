//! Repair orders: an item comes to the bench with a fault, parts come out (each keeping
//! its identity, to the spare pool untested or to the recycling bin) and go in (from the
//! spare pool, harvested and tested parts of a fitting kind and model offered first, or
//! new ones registered on the spot), and the order closes with an outcome.
//!
//! Builds on `lifecycle` (every move of the item and its parts is an ordinary ledger
//! transition or tree move, inside the order's own transaction) and its pool stays.
//!
//! Invariants:
//! - Opening moves the item to `in_repair`; closing returns it to the state it had before
//!   (read from the ledger), or retires it when it is not repairable. One transaction each.
//! - One open repair per item (a unique index on `open_asset_id`, set only while open).
//! - Every change of an order is versioned (a stale form or call is a 409), recorded in
//!   the audit trail, and its moves in the item's and parts' ledgers.
//! - A closed order accepts nothing more.

pub mod model;
pub mod query;
pub mod service;

pub use model::{
    CloseRepair, InstallPart, NewPartOnTheSpot, NewRepair, RemovePart, Repair, RepairDetail, RepairNote, RepairPart,
    RepairPatch, RepairQuery, RepairStats, ReserveSpare, SpareCandidate,
};
pub use query::{candidates, detail, for_asset, list, stats};
pub use service::{add_note, close, install_part, open, remove_part, reserve, update};
