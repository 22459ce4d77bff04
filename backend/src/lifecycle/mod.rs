//! Lifecycle: the state machine, the append-only ledger and the transition service.
//!
//! Invariants:
//! - The allowed transitions are one table ([`state::TRANSITIONS`]); an illegal transition
//!   is refused with a message naming the allowed next states, and terminal states accept
//!   nothing.
//! - An asset's state, parent, site and workload change only together with a ledger entry
//!   in the same transaction; nothing updates them without one.
//! - A parent's transition carries over to installed items as [`state::Cascade`] says,
//!   each carried-over item getting its own entry; it is all-or-nothing.

pub mod ledger;
pub mod state;
pub mod transition;
pub mod workload;

pub use ledger::{Event, EventKind, NewEvent};
pub use state::State;
pub use transition::{TransitionOutcome, TransitionRequest, transition};
pub use workload::WorkloadTier;
