//! Dismantle jobs, their lines, the pool and the reuse figures as services return them,
//! and the inputs that open, record and close a job.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::entities::{dismantle_job, harvest_line};
use crate::db::short_id;
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, JobId, LineId, ModelId, RepairId, SiteId, StayId};
use crate::rules::{
    AssetKind, CosmeticGrade, Destination, FunctionalGrade, Grade, LineSource, PartOrigin, RetailGrade, State,
    TestResult, WorkStatus,
};

fn parse<T>(v: &str, col: &str, f: impl Fn(&str) -> Option<T>) -> AppResult<T> {
    f(v).ok_or_else(|| AppError::Internal(anyhow::anyhow!("unreadable {col} {v:?} in the bench tables")))
}

fn parse_opt<T>(v: &Option<String>, col: &str, f: impl Fn(&str) -> Option<T>) -> AppResult<Option<T>> {
    v.as_deref().map(|s| parse(s, col, &f)).transpose()
}

/// A dismantle job.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Job {
    pub id: JobId,
    /// How people name it: `J-` and the last eight hex digits of its id.
    pub number: String,
    /// The donor: the item being taken apart.
    pub asset_id: AssetId,
    pub status: WorkStatus,
    pub site_id: Option<SiteId>,
    /// The repair that found the item not repairable, if one did.
    pub repair_id: Option<RepairId>,
    pub note: String,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i32,
}

impl TryFrom<dismantle_job::Model> for Job {
    type Error = AppError;
    fn try_from(m: dismantle_job::Model) -> AppResult<Job> {
        Ok(Job {
            id: JobId(m.id),
            number: format!("J-{}", short_id(&m.id)),
            asset_id: AssetId(m.asset_id),
            status: parse(&m.status, "status", WorkStatus::parse)?,
            site_id: m.site_id.map(SiteId),
            repair_id: m.repair_id.map(RepairId),
            note: m.note,
            opened_by: m.opened_by,
            opened_at: m.opened_at,
            closed_by: m.closed_by,
            closed_at: m.closed_at,
            version: m.version,
        })
    }
}

/// One expected part of a job: a part of the donor's tree, a part its model's bill of
/// materials expects that is not registered (until a scan fills it), or a part found at
/// the bench.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Line {
    pub id: LineId,
    /// Order on the bench sheet (tree order, then bill-of-materials gaps, then finds).
    pub ordinal: i32,
    pub source: LineSource,
    pub asset_id: Option<AssetId>,
    pub asset_tag: Option<String>,
    pub serial: Option<String>,
    pub kind: AssetKind,
    pub model_id: Option<ModelId>,
    pub model: String,
    /// Where in the tree the part sat (its parent's tag).
    pub position: String,
    /// The part's state now.
    pub state: Option<State>,
    pub data_bearing: bool,
    pub test_result: Option<TestResult>,
    pub grade: Grade,
    pub mass_kg: Option<f64>,
    pub destination: Option<Destination>,
    pub missing: bool,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub version: i32,
}

impl Line {
    pub fn is_recorded(&self) -> bool {
        self.missing || self.destination.is_some()
    }
}

/// A line's own columns, typed (labels are added by the read model).
pub(crate) struct LineRow {
    pub id: LineId,
    pub ordinal: i32,
    pub source: LineSource,
    pub asset_id: Option<AssetId>,
    pub kind: AssetKind,
    pub model_id: Option<ModelId>,
    pub position: String,
    pub test_result: Option<TestResult>,
    pub grade: Grade,
    pub mass_kg: Option<f64>,
    pub destination: Option<Destination>,
    pub missing: bool,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub version: i32,
}

impl TryFrom<&harvest_line::Model> for LineRow {
    type Error = AppError;
    fn try_from(m: &harvest_line::Model) -> AppResult<LineRow> {
        Ok(LineRow {
            id: LineId(m.id),
            ordinal: m.ordinal,
            source: parse(&m.source, "source", LineSource::parse)?,
            asset_id: m.asset_id.map(AssetId),
            kind: parse(&m.expected_kind, "expected_kind", AssetKind::parse)?,
            model_id: m.expected_model_id.map(ModelId),
            position: m.position.clone(),
            test_result: parse_opt(&m.test_result, "test_result", TestResult::parse)?,
            grade: Grade {
                functional: parse_opt(&m.grade_functional, "grade_functional", FunctionalGrade::parse)?,
                cosmetic: parse_opt(&m.grade_cosmetic, "grade_cosmetic", CosmeticGrade::parse)?,
                retail: parse_opt(&m.grade_retail, "grade_retail", RetailGrade::parse)?,
            },
            mass_kg: m.mass_kg,
            destination: parse_opt(&m.destination, "destination", Destination::parse)?,
            missing: m.missing,
            recorded_by: m.recorded_by.clone(),
            recorded_at: m.recorded_at,
            version: m.version,
        })
    }
}

/// A job with its donor and lines: the bench sheet.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct JobDetail {
    #[serde(flatten)]
    pub job: Job,
    pub donor_tag: String,
    pub donor_kind: AssetKind,
    pub donor_state: State,
    pub donor_model: String,
    pub site: String,
    pub lines: Vec<Line>,
    /// Lines with a destination or marked missing.
    pub recorded: usize,
}

/// Opens a dismantle job on a retired or sanitized item.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewJob {
    #[serde(default)]
    pub asset_id: Option<AssetId>,
    /// The donor's tag or serial (a scan).
    #[serde(default)]
    pub asset_code: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The repair that found the item not repairable.
    #[serde(default)]
    pub repair_id: Option<RepairId>,
}

/// A part found at the bench that was never registered: registered now, inside the donor.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FoundPart {
    pub kind: Option<AssetKind>,
    #[serde(default)]
    pub model_id: Option<ModelId>,
    /// Needed with a serial when there is no model.
    #[serde(default)]
    pub manufacturer: Option<String>,
}

/// What the bench records for one part.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordPart {
    /// The part's serial or asset tag, as scanned…
    #[serde(default)]
    pub code: Option<String>,
    /// …or the line, picked from the sheet (a bill-of-materials line has no part yet).
    #[serde(default)]
    pub line_id: Option<LineId>,
    /// Defaults to `passed`.
    #[serde(default)]
    pub test_result: Option<TestResult>,
    #[serde(default)]
    pub grade: Grade,
    /// The part's weighed mass.
    #[serde(default)]
    pub mass_kg: Option<f64>,
    /// Defaults to the spare pool (the recycling bin for a failed part).
    #[serde(default)]
    pub destination: Option<Destination>,
    /// The expected part is not there.
    #[serde(default)]
    pub missing: bool,
    /// Registers a scanned serial that no item has.
    #[serde(default)]
    pub found: Option<FoundPart>,
    /// Refused (409) unless the line is still at this version.
    #[serde(default)]
    pub version: Option<i32>,
}

/// What recording did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Recorded {
    pub line: Line,
    /// The part was registered on the spot.
    pub registered: bool,
    /// Lines still to record.
    pub remaining: usize,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseJob {
    pub version: i32,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    #[serde(default)]
    #[param(value_type = Option<WorkStatus>)]
    pub status: Option<WorkStatus>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PoolQuery {
    /// `spare_pool` (default), `resale` or `recycling_bin`.
    #[serde(default)]
    #[param(value_type = Option<Destination>)]
    pub pool: Option<Destination>,
    #[serde(default)]
    #[param(value_type = Option<AssetKind>)]
    pub kind: Option<AssetKind>,
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub model_id: Option<ModelId>,
}

/// A part waiting in a pool.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PoolEntry {
    pub stay_id: StayId,
    pub asset_id: AssetId,
    pub asset_tag: String,
    pub serial: Option<String>,
    pub kind: AssetKind,
    pub model_id: Option<ModelId>,
    pub model: String,
    pub grade: Grade,
    pub test_result: TestResult,
    pub origin: PartOrigin,
    pub donor_id: Option<AssetId>,
    pub donor_tag: Option<String>,
    pub job_id: Option<JobId>,
    pub job_number: Option<String>,
    pub repair_id: Option<RepairId>,
    pub site: String,
    pub entered_at: DateTime<Utc>,
    pub waiting_days: i64,
    pub reserved_for: Option<RepairId>,
    pub version: i32,
}

/// Parts of one kind, model and grade in a pool.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PoolGroup {
    pub kind: AssetKind,
    pub model_id: Option<ModelId>,
    pub model: String,
    pub retail_grade: Option<RetailGrade>,
    pub test_result: TestResult,
    pub count: usize,
    pub reserved: usize,
    /// The longest any of them has waited.
    pub oldest_days: i64,
}

/// A pool: its groups and its parts.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PoolView {
    pub pool: Destination,
    pub total: usize,
    pub groups: Vec<PoolGroup>,
    pub entries: Vec<PoolEntry>,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReuseQuery {
    /// First day of the period (default: 1 January of this year).
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day of the period, included (default: today).
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Only jobs at this site (the donor's site when the job opened).
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub site_id: Option<SiteId>,
}

/// Embodied carbon kept in use, from one source.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct EmbodiedBySource {
    pub source: String,
    pub parts: u64,
    pub kgco2e: f64,
}

/// Reuse figures for the parts harvested in a period (jobs closed from `from` to `to`),
/// followed to where they are now.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ReuseFigures {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub site_id: Option<SiteId>,
    pub jobs_closed: u64,
    /// Parts taken out with a destination (missing parts are not harvested).
    pub harvested: u64,
    pub missing: u64,
    /// Harvested parts that passed their test.
    pub tested_good: u64,
    /// Where they went at the bench.
    pub to_spare_pool: u64,
    pub to_resale: u64,
    pub to_recycling: u64,
    /// Where they are now: installed again in a repair or a build…
    pub reused: u64,
    /// …sold or donated (transferred out)…
    pub sold_or_donated: u64,
    /// …sent to recycling (the recycling bin, or shipped for recycling)…
    pub recycled: u64,
    /// …or still waiting (spare pool, resale stock, or otherwise not yet reused).
    pub waiting: u64,
    pub mass_harvested_kg: f64,
    pub mass_reused_kg: f64,
    /// Mass kept in use: reused plus sold or donated.
    pub mass_second_life_kg: f64,
    /// Harvested parts without a known mass (left out of the mass figures).
    pub parts_without_mass: u64,
    /// reused ÷ harvested.
    pub reuse_rate: Option<f64>,
    /// Mass reused ÷ mass harvested (parts of known mass).
    pub reuse_rate_by_mass: Option<f64>,
    /// (reused + sold or donated) ÷ harvested.
    pub second_life_rate: Option<f64>,
    /// Embodied carbon of the parts kept in use (reused, sold or donated).
    pub embodied_kept_kgco2e: f64,
    pub embodied_sources: Vec<EmbodiedBySource>,
    /// Parts kept in use without an embodied-carbon figure (left out of the sum).
    pub parts_without_embodied: u64,
    /// Repairs closed in the period, and the parts they installed by origin.
    pub repairs_closed: u64,
    pub repair_parts_from_pool: u64,
    pub repair_parts_new: u64,
}
