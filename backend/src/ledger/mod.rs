//! The bottom of the write path: the hash chain and the lifecycle ledger.
//!
//! Invariants:
//! - Ledger entries are only ever inserted, in the same transaction as the registry change
//!   they explain; nothing updates or deletes one.
//! - Every ledger entry and every audit entry takes the next position in one hash chain
//!   ([`chain`]), under a lock on the single head row, so a change made behind the
//!   application's back breaks the chain where it was made.
//! - This module knows rows and the chain; it knows nothing of the features above it or
//!   HTTP. Verification reads the registry columns of the asset rows to compare them with
//!   what their ledger implies ([`agreement`]); nothing else here touches another table.

mod agreement;
pub mod chain;
pub mod events;

pub use chain::{ChainReport, Checkpoint, VerifyOptions, verify};
pub use events::{Event, NewEvent, append, history};
