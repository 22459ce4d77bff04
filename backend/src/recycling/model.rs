//! Recycling lots, their contents, custody log and recovery report as services return
//! them; the estimate set against the report; and the inputs that build, ship and close a
//! lot and set reference factors.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::entities::{custody_event, recovery_report, recycling_lot};
use crate::db::short_id;
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, LotId, ModelId, VendorId};
use crate::rules::{AssetKind, FactorKind, LotStatus, Material, State, TreatmentRoute, WeeeCategory, double_option};
use crate::vendors::Vendor;

fn unreadable(col: &str, v: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("unreadable {col} {v:?} in recycling_lots"))
}

/// How people name a lot: `L-` and the last eight hex digits of its id.
pub fn number(id: &uuid::Uuid) -> String {
    format!("L-{}", short_id(id))
}

/// A recycling lot: a shipment of items to a downstream vendor.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Lot {
    pub id: LotId,
    pub number: String,
    /// The organisation's own name for the shipment (e.g. LOT-2026-03).
    pub reference: String,
    pub status: LotStatus,
    pub vendor_id: Option<VendorId>,
    pub route: Option<TreatmentRoute>,
    pub planned_ship_on: Option<NaiveDate>,
    pub shipped_on: Option<NaiveDate>,
    pub shipped_by: Option<String>,
    pub shipped_at: Option<DateTime<Utc>>,
    /// At the scale, with pallets and packaging.
    pub gross_kg: Option<f64>,
    /// Pallets and packaging.
    pub tare_kg: Option<f64>,
    /// Gross less tare: what enters treatment.
    pub net_kg: Option<f64>,
    /// The transport document's number (CMR, waybill, Annex VII form).
    pub transport_doc: String,
    /// Whether the lot held hazardous e-waste when it shipped.
    pub hazardous: Option<bool>,
    /// Why a hazardous lot went outside Basel Annex VII anyway (audited).
    pub export_override_reason: String,
    /// Who accepted the vendor without a valid e-waste certification.
    pub vendor_accepted_by: Option<String>,
    /// The masses registered for everything the lot held, when it shipped.
    pub registered_kg: Option<f64>,
    /// Items and parts the lot held when it shipped.
    pub contents_count: Option<i32>,
    pub note: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub recovered_at: Option<DateTime<Utc>>,
    pub version: i32,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl TryFrom<recycling_lot::Model> for Lot {
    type Error = AppError;
    fn try_from(m: recycling_lot::Model) -> AppResult<Lot> {
        Ok(Lot {
            id: LotId(m.id),
            number: number(&m.id),
            status: LotStatus::parse(&m.status).ok_or_else(|| unreadable("status", &m.status))?,
            route: m
                .route
                .as_deref()
                .map(|r| TreatmentRoute::parse(r).ok_or_else(|| unreadable("route", r)))
                .transpose()?,
            net_kg: m.gross_kg.zip(m.tare_kg).map(|(g, t)| round3(g - t)),
            reference: m.reference,
            vendor_id: m.vendor_id.map(VendorId),
            planned_ship_on: m.planned_ship_on,
            shipped_on: m.shipped_on,
            shipped_by: m.shipped_by,
            shipped_at: m.shipped_at,
            gross_kg: m.gross_kg,
            tare_kg: m.tare_kg,
            transport_doc: m.transport_doc,
            hazardous: m.hazardous,
            export_override_reason: m.export_override_reason,
            vendor_accepted_by: m.vendor_accepted_by,
            registered_kg: m.registered_kg,
            contents_count: m.contents_count,
            note: m.note,
            created_by: m.created_by,
            created_at: m.created_at,
            recovered_at: m.recovered_at,
            version: m.version,
        })
    }
}

/// One item a lot holds (with everything installed in it).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct LotItem {
    pub asset_id: AssetId,
    pub asset_tag: String,
    pub kind: AssetKind,
    pub state: State,
    pub model_id: Option<ModelId>,
    pub model: String,
    /// Its own mass plus its parts' (the known ones).
    pub registered_kg: f64,
    /// Parts installed in it, at any depth.
    pub parts: usize,
    /// It or parts of it whose mass is unknown.
    pub unknown_mass: usize,
    pub category: Option<WeeeCategory>,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
}

/// One hand-off in a lot's chain of custody.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct CustodyEntry {
    pub id: uuid::Uuid,
    /// 1, 2, 3… in the order recorded.
    pub ordinal: i32,
    pub handed_over_by: String,
    pub received_by: String,
    /// The receiving organisation.
    pub organisation: String,
    pub place: String,
    pub occurred_at: DateTime<Utc>,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

impl From<custody_event::Model> for CustodyEntry {
    fn from(m: custody_event::Model) -> Self {
        CustodyEntry {
            id: m.id,
            ordinal: m.ordinal,
            handed_over_by: m.handed_over_by,
            received_by: m.received_by,
            organisation: m.organisation,
            place: m.place,
            occurred_at: m.occurred_at,
            note: m.note,
            recorded_by: m.recorded_by,
            recorded_at: m.created_at,
        }
    }
}

/// A material and the mass recovered of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recovered {
    pub material: Material,
    pub kg: f64,
}

/// The recycler's figures for a lot.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RecoveryReport {
    pub certificate_id: String,
    pub certificate_date: NaiveDate,
    pub materials: Vec<Recovered>,
    /// Residues sent to energy recovery.
    pub energy_recovery_kg: f64,
    /// Residues sent to disposal (landfill, incineration without energy recovery).
    pub disposal_kg: f64,
    pub note: String,
    pub entered_by: String,
    pub entered_at: DateTime<Utc>,
}

impl TryFrom<recovery_report::Model> for RecoveryReport {
    type Error = AppError;
    fn try_from(m: recovery_report::Model) -> AppResult<Self> {
        Ok(RecoveryReport {
            materials: serde_json::from_value(m.materials)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("unreadable recovery report {}: {e}", m.id)))?,
            certificate_id: m.certificate_id,
            certificate_date: m.certificate_date,
            energy_recovery_kg: m.energy_recovery_kg,
            disposal_kg: m.disposal_kg,
            note: m.note,
            entered_by: m.entered_by,
            entered_at: m.created_at,
        })
    }
}

/// What a lot is expected to contain and yield: computed from the factors in force while
/// the lot has no report, and kept with the report when it is entered (so a later change
/// to a factor or a mass leaves a reported lot's figures as they were).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// Every material, without the reported figures.
    pub materials: Vec<MaterialRow>,
    /// Registered mass without a material profile: not in the estimate.
    pub unprofiled_kg: f64,
}

/// One material: what the lot is expected to contain and yield, and what was reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MaterialRow {
    pub material: Material,
    /// From the items' masses and their profiles' content factors; `None`: no factor.
    pub expected_content_kg: Option<f64>,
    /// The route's yield for the material (a fraction); `None`: no yield figure.
    pub yield_fraction: Option<f64>,
    /// Expected content × yield.
    pub expected_recovery_kg: Option<f64>,
    /// The recycler's figure (0 when the report does not list the material).
    pub reported_kg: Option<f64>,
    /// Reported less expected recovery.
    pub gap_kg: Option<f64>,
    /// Where the content factors and the yield come from.
    pub sources: Vec<String>,
}

/// Registered mass by WEEE category, for the lot's category.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct CategoryMass {
    /// `None`: items whose model has no (known) UNU-KEY.
    pub category: Option<WeeeCategory>,
    pub kg: f64,
    pub items: usize,
}

/// The lot's rates against the WEEE Annex V targets of its category.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Rates {
    /// What entered treatment: the lot's net weight at the scale.
    pub input_kg: f64,
    pub recycled_kg: f64,
    pub energy_recovery_kg: f64,
    pub disposal_kg: f64,
    /// Input not accounted for by the report.
    pub unaccounted_kg: f64,
    /// (Recycled + energy recovery) ÷ input.
    pub recovery_rate: f64,
    /// Prepared for re-use and recycled ÷ input (nothing in a recycling lot is prepared
    /// for re-use, so: recycled ÷ input).
    pub reuse_and_recycling_rate: f64,
    /// The category the lot is held to: the one with the most registered mass.
    pub category: Option<WeeeCategory>,
    pub recovery_target: Option<f64>,
    pub reuse_and_recycling_target: Option<f64>,
    pub meets_recovery: Option<bool>,
    pub meets_reuse_and_recycling: Option<bool>,
}

/// A warning on a lot's page, with a stable code.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Warning {
    pub code: String,
    pub message: String,
}

/// A lot with its vendor, contents, masses, custody log, report and the estimate.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LotDetail {
    #[serde(flatten)]
    pub lot: Lot,
    pub vendor: Option<Vendor>,
    pub warnings: Vec<Warning>,
    /// The items (at most 500 listed; `item_count` counts them all).
    pub items: Vec<LotItem>,
    pub item_count: usize,
    /// Items and every part inside them.
    pub contents: usize,
    /// The registered masses of everything the lot holds.
    pub registered_kg: f64,
    /// Items and parts whose mass is unknown (left out of `registered_kg`).
    pub unknown_mass: usize,
    /// Net weight less registered mass (a large gap is warned about).
    pub weight_gap_kg: Option<f64>,
    pub weight_gap_large: bool,
    /// Whether it holds hazardous e-waste (boards, batteries, drives…).
    pub hazardous: bool,
    pub categories: Vec<CategoryMass>,
    /// Registered mass without a material profile: not in the estimate.
    pub unprofiled_kg: f64,
    pub materials: Vec<MaterialRow>,
    /// When the expected figures were frozen: the recovery report's entry (they are the
    /// estimate it was set against). `None`: computed now, from the factors in force.
    pub estimated_at: Option<DateTime<Utc>>,
    pub custody: Vec<CustodyEntry>,
    pub report: Option<RecoveryReport>,
    pub rates: Option<Rates>,
}

/// What an add or a removal did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LotChange {
    pub lot: Lot,
    /// Items added or removed.
    pub changed: usize,
}

/// A reference factor in force.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Factor {
    pub kind: FactorKind,
    /// A material profile (content) or a treatment route (yield).
    pub subject: String,
    pub material: Material,
    pub value: f64,
    /// `g/kg` (content) or `fraction` (yield).
    pub unit: String,
    pub source: String,
    pub default_value: Option<f64>,
    pub default_source: Option<String>,
    pub edited_by: Option<String>,
    pub edited_at: Option<DateTime<Utc>>,
    /// Send it back to set the factor (0: the shipped default, never set).
    pub version: i32,
}

// ------------------------------------------------------------------------------ inputs

#[derive(Clone, Debug, Default, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LotQuery {
    pub status: Option<LotStatus>,
    pub vendor_id: Option<VendorId>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLot {
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub vendor_id: Option<VendorId>,
    #[serde(default)]
    pub route: Option<TreatmentRoute>,
    #[serde(default)]
    pub planned_ship_on: Option<NaiveDate>,
    #[serde(default)]
    pub note: Option<String>,
    /// Assign a vendor without a valid e-waste certification anyway (audited).
    #[serde(default)]
    pub accept_uncertified: bool,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LotPatch {
    pub version: i32,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<VendorId>)]
    pub vendor_id: Option<Option<VendorId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<TreatmentRoute>)]
    pub route: Option<Option<TreatmentRoute>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub planned_ship_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub gross_kg: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub tare_kg: Option<Option<f64>>,
    #[serde(default)]
    pub transport_doc: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub accept_uncertified: bool,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItems {
    pub version: i32,
    #[serde(default)]
    pub asset_ids: Vec<AssetId>,
    /// Tags or serials, as scanned.
    #[serde(default)]
    pub codes: Vec<String>,
    /// Every part waiting in the recycling bin that is in no lot yet.
    #[serde(default)]
    pub from_recycling_bin: bool,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveItems {
    pub version: i32,
    pub asset_ids: Vec<AssetId>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipLot {
    pub version: i32,
    /// Weights and the document may be given here or beforehand with a PATCH.
    #[serde(default)]
    pub gross_kg: Option<f64>,
    #[serde(default)]
    pub tare_kg: Option<f64>,
    #[serde(default)]
    pub transport_doc: Option<String>,
    /// Default: today.
    #[serde(default)]
    pub shipped_on: Option<NaiveDate>,
    #[serde(default)]
    pub accept_uncertified: bool,
    /// Ships a hazardous lot outside Basel Annex VII anyway; the reason is audited.
    #[serde(default)]
    pub export_override_reason: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustody {
    pub handed_over_by: String,
    pub received_by: String,
    /// The receiving organisation.
    pub organisation: String,
    pub place: String,
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// The lot's version.
    pub version: i32,
    pub certificate_id: String,
    pub certificate_date: Option<NaiveDate>,
    #[serde(default)]
    pub materials: Vec<Recovered>,
    #[serde(default)]
    pub energy_recovery_kg: f64,
    #[serde(default)]
    pub disposal_kg: f64,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetFactor {
    pub kind: FactorKind,
    pub subject: String,
    pub material: Material,
    pub value: f64,
    pub source: String,
    /// The factor's version as listed (0 for a shipped default never set).
    pub version: i32,
}
