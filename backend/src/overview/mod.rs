//! The fleet overview: how many items there are, where, in which state, how heavy, and how
//! many were retired this year; the home page and `GET /api/v1/overview`, and the exact
//! counts the asset list shows for its filters.
//!
//! Invariants:
//! - Every figure comes from the counters the database keeps in the transaction of every
//!   write (`fleet_counts`, `fleet_yearly`; triggers of the `create_fleet_counts`
//!   migration), never from a scan of the registry: a page view reads a few hundred
//!   counter rows whatever the fleet's size.
//! - The counters are exact: a test compares them with a full count after a randomised
//!   run of registrations, transitions and moves on both databases, and
//!   [`query::rebuild`] recomputes them from the registry in one transaction.
//! - An item's mass is its own mass (its override, else its model's); items with neither
//!   are counted as of unknown mass, never as zero.
//! - [`model::summarise`] is a pure function of the counter rows, model masses and site
//!   names.

pub mod chart;
pub mod model;
pub mod query;

pub use model::{Counter, Mass, Overview, summarise};
pub use query::{count, load, rebuild};
