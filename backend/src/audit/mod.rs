//! The audit trail: who changed what, when, with the state before and after.
//!
//! Invariants:
//! - Every change (registry, lifecycle, users, tokens, sessions' sign-ins) writes an entry
//!   in the same transaction as the change itself.
//! - Entries are only ever inserted; with the lifecycle ledger they form one hash chain
//!   (`ledger::chain`), so an edit or deletion made behind the application's back is
//!   detected by `reloop audit verify` and named.
//! - Secrets (password hashes, tokens, session ids) never enter an entry.
//!
//! People read it through `readable`: only the fields an entry changed (`diff`), labelled
//! as the UI labels them, with tags and names instead of ids; an item's page shows its
//! field edits (`readable::edits_of`) beside its ledger entries.

pub mod diff;
pub mod integrity;
pub mod readable;
pub mod trail;

pub use diff::{FieldChange, Link, RefKind, Shown};
pub use integrity::verify_from_checkpoint;
pub use readable::{EDIT_ACTIONS, FieldEdit, ReadableEntry};
pub use trail::{AuditEntry, AuditQuery, list, record, snapshot};
