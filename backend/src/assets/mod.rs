//! The registry of assets: servers, boards and chips, each with its own identity, in a
//! tree (enclosure > server > board > chip).
//!
//! Invariants:
//! - Every asset has a UUIDv7 id that never changes, a unique tag, and a serial unique per
//!   manufacturer (case-insensitive).
//! - Writes check `version` (optimistic locking) and run in one transaction with their
//!   ledger entries; state, parent, site and workload change only with a ledger entry.
//! - Nothing is ever deleted: items leave the fleet through terminal lifecycle states.

pub mod grade;
pub mod kind;
pub mod query;
pub mod repo;
pub mod service;
pub mod tree;
pub mod types;

pub use grade::{CosmeticGrade, FunctionalGrade, Grade, RetailGrade};
pub use kind::AssetKind;
pub use query::AssetQuery;
pub use types::{Asset, AssetPatch, NewAsset, Page};
