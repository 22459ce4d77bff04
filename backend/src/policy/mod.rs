//! The policy engine: the best next life for each item, explained, with carbon payback.
//!
//! - `pack`: a policy pack (TOML) parsed and validated, every problem with line, field
//!   and reason. Pure.
//! - `engine`: plain facts in, ranked options out, each with the rules that fired, what
//!   ruled it out and the numbers behind it. Pure.
//! - `facts`: the one read model that gathers an item's facts (or the fleet's, in chunks).
//! - `model`: what the feature returns and takes; `service`: the policy in force and its
//!   versions, suggestions, fleet runs, dry runs, accepting; `query`: the fleet view.
//!
//! The fleet view is precomputed: a run evaluates every top-level item that is not
//! terminal and keeps the due ones with their top suggestion. A run starts when a policy
//! version is saved, when someone asks (page, API, `reloop policy refresh`) and on the
//! schedule (`RELOOP_POLICY_REFRESH_MINUTES`). An item's own page and API always evaluate
//! it afresh, and accepting re-evaluates inside its transaction, so a run that is behind
//! never decides anything: it only lists. Why not incremental: an item's facts depend on
//! its tree, its repairs, its devices' sanitization records, the catalog, the sites and
//! the spare pool, written by a dozen features; one full pass is simple and bounded.
//!
//! Invariants:
//! - The engine and the pack know no database, HTTP or clock (`.ci/layering` checks
//!   their imports): the same facts and policy always give the same answer.
//! - Every option carries the rules that fired for it and the inputs of its figures.
//! - Saved versions are only ever inserted (numbered, audited); a suggestion names the
//!   version that made it, and an accepted one's ledger entries carry it in their payload.
//! - Accepting is refused (409, nothing written) when the item or the policy changed since
//!   the suggestion was made, or when the suggestion no longer stands.

pub mod engine;
pub mod export;
pub mod facts;
pub mod model;
pub mod pack;
pub mod query;
pub mod service;

pub use model::{
    Accept, Accepted, DryRun, FleetQuery, FleetRow, FleetTotals, PolicyDraft, PolicyVersion, RunInfo, Suggestions,
};
pub use service::{accept, active, check, dry_run, refresh, save, suggestions, versions};
