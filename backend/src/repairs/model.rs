//! A repair order as services return it, and the inputs that open, change and close one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::entities::{repair_note, repair_order};
use crate::db::short_id;
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, ModelId, RepairId, SiteId, StayId};
use crate::rules::{AssetKind, Destination, FaultCategory, PartAction, RepairOutcome, State, TestResult, WorkStatus};

/// A repair order.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Repair {
    pub id: RepairId,
    /// How people name it: `R-` and the last eight hex digits of its id.
    pub number: String,
    pub asset_id: AssetId,
    pub status: WorkStatus,
    pub fault_category: FaultCategory,
    pub description: String,
    /// The state the item had when the repair opened (closing returns it there).
    pub state_before: State,
    pub site_id: Option<SiteId>,
    pub model_id: Option<ModelId>,
    pub technician: String,
    pub labour_minutes: i32,
    /// Parts cost, in the organisation's accounting currency.
    pub parts_cost: f64,
    pub outcome: Option<RepairOutcome>,
    pub outcome_note: String,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Optimistic-locking version: send it back with every change.
    pub version: i32,
}

fn parse<T>(v: &str, col: &str, f: impl Fn(&str) -> Option<T>) -> AppResult<T> {
    f(v).ok_or_else(|| AppError::Internal(anyhow::anyhow!("unreadable {col} {v:?} in repair_orders")))
}

impl TryFrom<repair_order::Model> for Repair {
    type Error = AppError;
    fn try_from(m: repair_order::Model) -> AppResult<Repair> {
        Ok(Repair {
            id: RepairId(m.id),
            number: format!("R-{}", short_id(&m.id)),
            asset_id: AssetId(m.asset_id),
            status: parse(&m.status, "status", WorkStatus::parse)?,
            fault_category: parse(&m.fault_category, "fault_category", FaultCategory::parse)?,
            description: m.description,
            state_before: parse(&m.state_before, "state_before", State::parse)?,
            site_id: m.site_id.map(SiteId),
            model_id: m.model_id.map(ModelId),
            technician: m.technician,
            labour_minutes: m.labour_minutes,
            parts_cost: m.parts_cost,
            outcome: m.outcome.as_deref().map(|o| parse(o, "outcome", RepairOutcome::parse)).transpose()?,
            outcome_note: m.outcome_note,
            opened_by: m.opened_by,
            opened_at: m.opened_at,
            closed_by: m.closed_by,
            closed_at: m.closed_at,
            version: m.version,
        })
    }
}

/// A diagnosis note.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RepairNote {
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<repair_note::Model> for RepairNote {
    fn from(m: repair_note::Model) -> Self {
        RepairNote { author: m.author, body: m.body, created_at: m.created_at }
    }
}

/// A part a repair removed or installed.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RepairPart {
    pub action: PartAction,
    pub asset_id: AssetId,
    pub asset_tag: String,
    pub kind: AssetKind,
    pub model: String,
    pub serial: Option<String>,
    /// The item it came out of or went into.
    pub parent_id: AssetId,
    pub parent_tag: String,
    /// Removed parts: where they went.
    pub destination: Option<Destination>,
    /// Installed parts: `harvested` (from the spare pool, harvested in a dismantle job),
    /// `spare` (from the spare pool, removed in a repair), `stock` (a standalone part in
    /// stock) or `new` (registered on the spot).
    pub origin: Option<String>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// A repair with its item, notes and parts.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RepairDetail {
    #[serde(flatten)]
    pub repair: Repair,
    pub asset_tag: String,
    pub asset_kind: AssetKind,
    pub asset_state: State,
    pub model: String,
    pub site: String,
    pub notes: Vec<RepairNote>,
    pub parts: Vec<RepairPart>,
    /// Hours from opening to closing (closed repairs).
    pub hours_to_repair: Option<f64>,
}

/// Opens a repair on an item in stock or in service.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRepair {
    /// The item, by id…
    #[serde(default)]
    pub asset_id: Option<AssetId>,
    /// …or by asset tag or serial (a scan).
    #[serde(default)]
    pub asset_code: Option<String>,
    pub fault_category: Option<FaultCategory>,
    #[serde(default)]
    pub description: Option<String>,
    /// Defaults to the person opening the repair.
    #[serde(default)]
    pub technician: Option<String>,
    /// Refused (409) unless the item is still at this version.
    #[serde(default)]
    pub asset_version: Option<i32>,
}

/// Changes the work figures of an open repair.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepairPatch {
    pub version: i32,
    #[serde(default)]
    pub technician: Option<String>,
    #[serde(default)]
    pub labour_minutes: Option<i32>,
    #[serde(default)]
    pub parts_cost: Option<f64>,
    /// A diagnosis note to add.
    #[serde(default)]
    pub note: Option<String>,
}

/// Removes a part from the item in repair (or from a part of it).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemovePart {
    pub version: i32,
    #[serde(default)]
    pub part_id: Option<AssetId>,
    /// The part's tag or serial (a scan).
    #[serde(default)]
    pub part_code: Option<String>,
    /// `spare_pool` (as untested) or `recycling_bin`.
    pub destination: Option<Destination>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A part registered at the bench to be installed at once.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPartOnTheSpot {
    pub asset_tag: String,
    #[serde(default)]
    pub kind: Option<AssetKind>,
    #[serde(default)]
    pub model_id: Option<ModelId>,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub serial: Option<String>,
}

/// Installs a part in the item in repair (or in a part of it).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallPart {
    pub version: i32,
    /// An existing part (from the spare pool, or standalone in stock), by id…
    #[serde(default)]
    pub part_id: Option<AssetId>,
    /// …or by tag or serial…
    #[serde(default)]
    pub part_code: Option<String>,
    /// …or a new part, registered now.
    #[serde(default)]
    pub new_part: Option<NewPartOnTheSpot>,
    /// Where it goes: the item in repair (default) or an item installed in it.
    #[serde(default)]
    pub parent_id: Option<AssetId>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Reserves a waiting spare for this repair (`release: true` gives it back).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveSpare {
    pub version: i32,
    pub part_id: AssetId,
    #[serde(default)]
    pub release: bool,
}

/// Closes a repair.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRepair {
    pub version: i32,
    pub outcome: Option<RepairOutcome>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A spare the repair could install, best first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SpareCandidate {
    pub asset_id: AssetId,
    pub asset_tag: String,
    pub kind: AssetKind,
    pub model_id: Option<ModelId>,
    pub model: String,
    pub serial: Option<String>,
    pub test_result: TestResult,
    pub harvested: bool,
    pub donor_tag: Option<String>,
    pub waiting_days: i64,
    /// Held for this repair.
    pub reserved_here: bool,
    /// The same kind as a part this repair removed (and, with `same_model`, its model).
    pub replaces_removed: bool,
    /// The same model as a part in the item (or one removed from it).
    pub same_model: bool,
    pub stay_id: StayId,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RepairQuery {
    #[serde(default)]
    #[param(value_type = Option<WorkStatus>)]
    pub status: Option<WorkStatus>,
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub asset_id: Option<AssetId>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<u64>,
}

/// Failure statistics: repairs per model and per fault, and time to repair.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RepairStats {
    pub repairs: u64,
    pub open: u64,
    pub items_repaired: u64,
    /// Repairs per item that has had one.
    pub repairs_per_item: f64,
    pub mean_hours_to_repair: Option<f64>,
    pub by_fault: Vec<FaultCount>,
    pub by_model: Vec<ModelRepairs>,
    pub by_outcome: Vec<OutcomeCount>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FaultCount {
    pub fault_category: FaultCategory,
    pub repairs: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OutcomeCount {
    pub outcome: RepairOutcome,
    pub repairs: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ModelRepairs {
    pub model_id: Option<ModelId>,
    pub model: String,
    pub repairs: u64,
    pub items: u64,
    pub mean_hours_to_repair: Option<f64>,
}
