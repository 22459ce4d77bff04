//! The asset as services return it, and the inputs that create and change one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::entities::asset;
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, ModelId, SiteId};
use crate::rules::{AssetKind, CosmeticGrade, FunctionalGrade, Grade, RetailGrade, State, WorkloadTier, double_option};

/// A registered item: a server, a board or a chip.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Asset {
    pub id: AssetId,
    pub asset_tag: String,
    pub manufacturer: String,
    pub serial: Option<String>,
    pub kind: AssetKind,
    pub model_id: Option<ModelId>,
    /// The item this one is installed in (server > board > chip).
    pub parent_id: Option<AssetId>,
    pub site_id: Option<SiteId>,
    /// The current lifecycle state: always the `to` of the item's latest state event.
    pub state: State,
    pub grade: Grade,
    pub custodian: String,
    pub acquired_on: Option<NaiveDate>,
    pub first_deployed_on: Option<NaiveDate>,
    pub workload_tier: Option<WorkloadTier>,
    /// Overrides the catalog mass of the item itself (without installed items).
    pub mass_override_kg: Option<f64>,
    pub notes: String,
    /// Holds user data although its kind does not say so (a BMC, a RAID controller with a
    /// cache): it is sanitized like a drive before it leaves.
    pub holds_data: bool,
    /// Optimistic-locking version: send it back with updates.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn parse_col<T>(v: &str, col: &str, parse: impl Fn(&str) -> Option<T>) -> AppResult<T> {
    parse(v).ok_or_else(|| AppError::Internal(anyhow::anyhow!("unreadable {col} {v:?} in the assets table")))
}

fn parse_opt<T>(v: &Option<String>, col: &str, parse: impl Fn(&str) -> Option<T>) -> AppResult<Option<T>> {
    v.as_deref().map(|s| parse_col(s, col, &parse)).transpose()
}

impl TryFrom<asset::Model> for Asset {
    type Error = AppError;
    fn try_from(m: asset::Model) -> AppResult<Asset> {
        Ok(Asset {
            kind: parse_col(&m.kind, "kind", AssetKind::parse)?,
            state: parse_col(&m.state, "state", State::parse)?,
            grade: Grade {
                functional: parse_opt(&m.grade_functional, "grade_functional", FunctionalGrade::parse)?,
                cosmetic: parse_opt(&m.grade_cosmetic, "grade_cosmetic", CosmeticGrade::parse)?,
                retail: parse_opt(&m.grade_retail, "grade_retail", RetailGrade::parse)?,
            },
            workload_tier: parse_opt(&m.workload_tier, "workload_tier", WorkloadTier::parse)?,
            id: m.id.into(),
            asset_tag: m.asset_tag,
            manufacturer: m.manufacturer,
            serial: m.serial,
            model_id: m.model_id.map(Into::into),
            parent_id: m.parent_id.map(Into::into),
            site_id: m.site_id.map(Into::into),
            custodian: m.custodian,
            acquired_on: m.acquired_on,
            first_deployed_on: m.first_deployed_on,
            mass_override_kg: m.mass_override_kg,
            notes: m.notes,
            holds_data: m.holds_data,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// What it takes to register an item. Everything but the tag can be derived or left blank.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAsset {
    pub asset_tag: String,
    #[serde(default)]
    pub serial: Option<String>,
    /// Defaults to the model's manufacturer.
    #[serde(default)]
    pub manufacturer: Option<String>,
    /// Defaults to the model's kind; required without a model.
    #[serde(default)]
    pub kind: Option<AssetKind>,
    #[serde(default)]
    pub model_id: Option<ModelId>,
    /// Install the new item in this parent (by id)…
    #[serde(default)]
    pub parent_id: Option<AssetId>,
    /// …or in the parent with this asset tag (handy at a barcode scanner and in imports).
    #[serde(default)]
    pub parent_tag: Option<String>,
    /// Defaults to the parent's site.
    #[serde(default)]
    pub site_id: Option<SiteId>,
    /// Defaults to the parent's state when installed in an item in service, else `in_stock`.
    #[serde(default)]
    pub state: Option<State>,
    #[serde(default)]
    pub grade: Grade,
    #[serde(default)]
    pub custodian: Option<String>,
    #[serde(default)]
    pub acquired_on: Option<NaiveDate>,
    #[serde(default)]
    pub first_deployed_on: Option<NaiveDate>,
    #[serde(default)]
    pub workload_tier: Option<WorkloadTier>,
    #[serde(default)]
    pub mass_override_kg: Option<f64>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Holds user data although its kind does not say so.
    #[serde(default)]
    pub holds_data: bool,
}

/// A partial update. Absent fields stay as they are; `null` clears a field that may be
/// empty. State and parent change only through transitions and install/remove.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetPatch {
    /// The version the client last read; a stale one is refused with 409.
    pub version: i32,
    #[serde(default)]
    pub asset_tag: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub serial: Option<Option<String>>,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub kind: Option<AssetKind>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<ModelId>)]
    pub model_id: Option<Option<ModelId>>,
    /// Moving an item moves everything installed in it (each gets a ledger entry).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<SiteId>)]
    pub site_id: Option<Option<SiteId>>,
    #[serde(default)]
    pub grade: Option<Grade>,
    #[serde(default)]
    pub custodian: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub acquired_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub first_deployed_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<WorkloadTier>)]
    pub workload_tier: Option<Option<WorkloadTier>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub mass_override_kg: Option<Option<f64>>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub holds_data: Option<bool>,
    /// Recorded in the ledger with a site or workload change.
    #[serde(default)]
    pub reason: Option<String>,
}

impl Asset {
    /// Whether the item holds user data: a drive, or an item flagged as holding data.
    pub fn is_data_bearing(&self) -> bool {
        self.kind.is_data_bearing() || self.holds_data
    }
}
