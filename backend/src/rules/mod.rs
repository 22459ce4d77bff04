//! The rules floor: reloop's vocabulary and the laws that hold whatever door a request
//! comes through. Lifecycle states and the transition table with its cascades and gates,
//! asset kinds and containment, condition grades, workload tiers, roles and permissions,
//! what a ledger entry records, the bench's and end of life's vocabularies (vendors,
//! lots, materials, WEEE categories and targets, the Basel export rule), the forecast's
//! (stages of use, kernels, demand scenarios), and the page shape every list returns.
//!
//! Invariants:
//! - This module imports nothing of reloop but itself, and nothing outside std and serde:
//!   no database, no HTTP, no OpenAPI, no feature module. `.ci/layering` fails the build
//!   otherwise. Everything else stands on it; engines (policy, forecast) take their
//!   vocabulary from here.
//! - Every rule is a pure function of its inputs, so it is tested here without a database.
//! - The README's transition table and role matrix are generated from [`state::TRANSITIONS`]
//!   and [`role::MATRIX`]; unit tests keep them equal.

// First: the other modules use its macro (textual scope).
#[macro_use]
pub mod text_enum;

pub mod bench;
pub mod eol;
pub mod event;
pub mod forecast;
pub mod grade;
pub mod kind;
pub mod page;
pub mod policy;
pub mod role;
pub mod sanitization;
pub mod state;
pub mod workload;

pub use bench::{
    Destination, FaultCategory, LineSource, PartAction, PartOrigin, RepairOutcome, TestResult, WorkStatus, bom_gaps,
};
pub use eol::{CertScheme, FactorKind, LotStatus, Material, TreatmentRoute, VendorRole, WeeeCategory};
pub use event::EventKind;
pub use forecast::{ChipSupply, DemandScenario, EfficiencyPath, KernelChoice, KernelSource, PomUnit, Stage};
pub use grade::{CosmeticGrade, FunctionalGrade, Grade, RetailGrade};
pub use kind::AssetKind;
pub use page::{Page, double_option};
pub use policy::{Disposition, DueReason};
pub use role::{Permission, Role};
pub use sanitization::{MethodClass, Release, SanitizationResult, Technique, Verification};
pub use state::{Cascade, State};
pub use text_enum::one_of;
pub use workload::WorkloadTier;
