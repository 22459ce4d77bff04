//! Sites: data centres, labs and warehouses where items are. A site's grid carbon
//! intensity and PUE feed carbon calculations, so each carries its source.
//!
//! Invariants: names are unique regardless of case; edits are compare-and-swap on
//! `version` (`db::save_versioned`) and audited in the same transaction.

pub mod model;
pub mod repo;
pub mod service;

pub use model::{NewSite, Site, SitePatch};
pub use repo::{by_ids, get, list};
pub use service::{create, update};
