//! The registry of assets: servers, boards and chips, each with its own identity, in a
//! tree (enclosure > server > board > chip).
//!
//! Invariants:
//! - Every asset has a UUIDv7 id that never changes, a unique tag, and a serial unique per
//!   manufacturer (case-insensitive).
//! - Writes are compare-and-swap on `version` ([`repo::save`]) and run in one transaction
//!   with their ledger entries; state, parent, site and workload change only with a ledger
//!   entry. State and parent change through `lifecycle`, which builds on this module.
//! - Nothing is ever deleted: items leave the fleet through terminal lifecycle states.
//! - Registration is one path for one item or a hundred thousand: a batch with one bad
//!   row writes nothing and names the row and field.

pub mod model;
pub mod query;
pub mod read;
pub mod repo;
pub mod service;

pub use model::{Asset, AssetPatch, NewAsset};
pub use query::{AssetPage, AssetQuery, AssetSort, CounterFilter, list};
pub use read::{
    LabelledAsset, MassSummary, Subtree, TreeNode, find_by_code, get, labelled, labelled_by_ids, list_labelled,
    path_to, subtree,
};
pub use service::{create, register, register_in, update};
