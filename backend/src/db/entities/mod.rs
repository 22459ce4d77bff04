//! sea-orm entities: one per table, plain rows. Domain modules turn them into typed
//! domain values; templates and API responses never see them.

pub mod api_token;
pub mod asset;
pub mod audit_entry;
pub mod chain_checkpoint;
pub mod chain_head;
pub mod custody_event;
pub mod dismantle_job;
pub mod downstream_vendor;
pub mod fleet_count;
pub mod fleet_yearly;
pub mod hardware_model;
pub mod harvest_line;
pub mod lifecycle_event;
pub mod login_throttle;
pub mod policy_run;
pub mod policy_suggestion;
pub mod policy_version;
pub mod pool_stay;
pub mod recovery_report;
pub mod recycling_factor;
pub mod recycling_lot;
pub mod recycling_lot_item;
pub mod repair_note;
pub mod repair_order;
pub mod repair_part;
pub mod sanitization_batch;
pub mod sanitization_record;
pub mod session;
pub mod site;
pub mod user;
