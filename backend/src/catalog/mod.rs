//! The hardware catalog: models with the figures that drive decisions (mass, embodied
//! carbon with its source, power, typed specs) and free JSON for the rest.
//!
//! Invariants: (manufacturer, model number) is unique regardless of case; a model's mass
//! is the mass of the item itself, without parts registered as separate assets (a server
//! model's mass excludes the DIMMs, drives and PSUs you register inside it), so a
//! parent's total mass never counts a part twice.

//! Edits are compare-and-swap on `version` and audited in the same transaction; a model
//! that assets use, or that another model's bill of materials lists, keeps its kind.
//!
//! A model's bill of materials ([`BomLine`]) says what a complete item of it contains, at
//! any depth: its lines fit within the model's kind, name models of their own kind (never
//! the model itself), and are unique by (kind, model).

pub mod model;
pub mod query;
pub mod service;

pub use model::{BomLine, HardwareModel, ModelPatch, NewModel, label, model_key};
pub use query::{
    ModelQuery, by_ids, by_key, by_name, contains_pattern, get, ids_matching, list, matching_ids_subquery,
};
pub use service::{BOM_MAX_COUNT, BOM_MAX_LINES, create, update};
