//! sea-orm entities: one per table, plain rows. Domain modules turn them into typed
//! domain values; templates and API responses never see them.

pub mod asset;
pub mod hardware_model;
pub mod lifecycle_event;
pub mod site;
