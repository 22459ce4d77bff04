//! Recycling lots: shipments of whole items, or harvested parts from the recycling bin, to
//! a downstream vendor along a treatment route, with their weight at the scale, transport
//! document, chain of custody and the recycler's recovery report, set against what reloop
//! expects the lot to contain and yield.
//!
//! Builds on `lifecycle` (batched whole-tree moves, pool stays), `vendors` (standing and
//! country), `sanitization::gate` and the catalog (masses, material profiles, UNU-KEYs).
//!
//! Invariants:
//! - An item is in at most one lot (a unique index on `included_asset_id`); an item goes in
//!   only when standalone, allowed to go to `in_recycling` with everything installed in it,
//!   not on the harvest bench, and through the sanitization gate (`Release::Recycling`),
//!   which shipping runs again. A refusal names every item and part that blocks.
//! - Only an open lot changes (details, contents). Shipping is one transaction: the vendor's
//!   standing (no valid e-waste certification needs an explicit, audited acceptance), the
//!   export rule (a hazardous lot outside Basel Annex VII needs an override with its reason,
//!   audited), then every item and part to `in_recycling` in batches
//!   (`lifecycle::apply_plan`: chunked compare-and-swap, one ledger append, pool stays ended).
//! - The chain of custody is append-only and runs forward in time from the shipment.
//! - A recovery report is entered once; its masses add up to no more than the net weight,
//!   and entering it moves every item and part to `recovered` in the same transaction.
//! - Estimates (`estimate`) are pure and computed from the factors in force (`factors`):
//!   defaults shipped with their sources, overridden by an admin, each change audited.

pub mod estimate;
pub mod factors;
pub mod model;
pub mod query;
pub mod service;

pub use model::{
    AddItems, CategoryMass, CustodyEntry, Factor, Lot, LotChange, LotDetail, LotItem, LotPatch, LotQuery, MaterialRow,
    NewCustody, NewLot, NewReport, Rates, Recovered, RecoveryReport, RemoveItems, SetFactor, ShipLot, Warning,
};
pub use query::{BinPart, bin_parts, custody, detail, list};
pub use service::{add_custody, add_items, create, enter_report, remove_items, ship, update};
