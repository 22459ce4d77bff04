//! Data sanitization records (NIST SP 800-88 / IEEE 2883 vocabulary) and the sanitization
//! station: what was done to each data-bearing device, by whom, with what, how it was
//! verified, and its certificate.
//!
//! Builds on `lifecycle` (a passing record moves the device to `sanitized` through
//! `transition::apply`, in the record's transaction) and its gate (`lifecycle::gate`),
//! which every release of a device or of an item holding one consults.
//!
//! Invariants:
//! - Records are insert-only, each with a unique certificate id and a snapshot of what its
//!   certificate names; a mistake is answered by a new record, never an edit.
//! - Only an item that holds data (a drive, or an item flagged `holds_data`) gets a record.
//! - A device is sanitized out of service: in stock, in repair, retired or sanitized (not
//!   deployed, and not once dismantled, shipped or gone). A passing record moves a retired
//!   device to `sanitized` (a device in stock or in repair keeps its state; the record is
//!   what the gate reads); a failed one changes nothing but is kept, and the gate keeps
//!   refusing.
//! - A batch (one station run: one method, tool and operator) records each scanned device
//!   once, each with its own record and certificate.

pub mod gate;
pub mod model;
pub mod query;
pub mod service;

pub use model::{Batch, BatchDetail, BatchQuery, BatchScan, NewBatch, NewRecord, Record, RecordQuery};
pub use query::{batch, batches, for_asset, record, records};
pub use service::{close_batch, open_batch, record as add_record, scan};
