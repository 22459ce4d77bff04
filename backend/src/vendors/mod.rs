//! Downstream vendors: the refurbishers, recyclers, smelters and brokers a recycling lot
//! goes to, with their country, address, role and certifications (R2v3, e-Stewards,
//! EN 50625, WEEELABEX, ISO 14001), each with its number and expiry.
//!
//! Builds on the kernel and the audit trail only; `recycling` builds on it.
//!
//! Invariants:
//! - A vendor's name is unique (case-insensitively); its country is an ISO 3166-1 alpha-2
//!   code; a certification names a known scheme, a number and an expiry, once per
//!   (scheme, number).
//! - A vendor's standing is computed on the day it is read, never stored: it is
//!   `certified` while at least one e-waste certification (not ISO 14001) is unexpired, and
//!   every expired, soon-expiring or missing certification is a warning.
//! - Every create and edit is one transaction with its audit entry; rows change through
//!   `save_versioned`.

pub mod model;
pub mod query;
pub mod service;

pub use model::{Certification, NewVendor, Standing, Vendor, VendorPatch};
pub use query::{get, list, standing_of};
pub use service::{create, update};
