//! The audit trail: who changed what, when, with the state before and after.
//!
//! Invariants:
//! - Every change (registry, lifecycle, users, tokens, sessions' sign-ins) writes an entry
//!   in the same transaction as the change itself.
//! - Entries are only ever inserted; with the lifecycle ledger they form one hash chain
//!   (`ledger::chain`), so an edit or deletion made behind the application's back is
//!   detected by `reloop audit verify` and named.
//! - Secrets (password hashes, tokens, session ids) never enter an entry.

pub mod integrity;
pub mod trail;

pub use integrity::verify_from_checkpoint;
pub use trail::{AuditEntry, AuditQuery, list, record, snapshot};
