//! Sanitization records and batches as services return them, and their inputs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::entities::{sanitization_batch, sanitization_record};
use crate::db::short_id;
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, SiteId};
use crate::rules::{AssetKind, MethodClass, SanitizationResult, Technique, Verification, WorkStatus};

fn parse<T>(v: &str, col: &str, f: impl Fn(&str) -> Option<T>) -> AppResult<T> {
    f(v).ok_or_else(|| AppError::Internal(anyhow::anyhow!("unreadable {col} {v:?} in the sanitization tables")))
}

/// One device's sanitization, as its certificate states it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[schema(as = SanitizationRecord)]
pub struct Record {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub certificate_id: String,
    pub asset_id: AssetId,
    /// The device as it was when sanitized.
    pub device_tag: String,
    pub device_serial: String,
    pub device_make: String,
    pub device_model: String,
    pub device_kind: AssetKind,
    /// The item the device was installed in, if any.
    pub host_id: Option<AssetId>,
    pub host_tag: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub batch_id: Option<uuid::Uuid>,
    pub method_class: MethodClass,
    pub technique: Technique,
    pub tool: String,
    pub tool_version: String,
    pub operator: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub verification: Verification,
    /// For a sampled verification: the share sampled (0.1 = 10 %).
    pub sample_share: Option<f64>,
    pub result: SanitizationResult,
    pub notes: String,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<sanitization_record::Model> for Record {
    type Error = AppError;
    fn try_from(m: sanitization_record::Model) -> AppResult<Record> {
        Ok(Record {
            device_kind: parse(&m.device_kind, "device_kind", AssetKind::parse)?,
            method_class: parse(&m.method_class, "method_class", MethodClass::parse)?,
            technique: parse(&m.technique, "technique", Technique::parse)?,
            verification: parse(&m.verification, "verification", Verification::parse)?,
            result: parse(&m.result, "result", SanitizationResult::parse)?,
            id: m.id,
            certificate_id: m.certificate_id,
            asset_id: AssetId(m.asset_id),
            device_tag: m.device_tag,
            device_serial: m.device_serial,
            device_make: m.device_make,
            device_model: m.device_model,
            host_id: m.host_id.map(AssetId),
            host_tag: m.host_tag,
            batch_id: m.batch_id,
            tool: m.tool,
            tool_version: m.tool_version,
            operator: m.operator,
            started_at: m.started_at,
            ended_at: m.ended_at,
            sample_share: m.sample_share,
            notes: m.notes,
            recorded_by: m.recorded_by,
            created_at: m.created_at,
        })
    }
}

/// Records one device's sanitization.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSanitizationRecord)]
pub struct NewRecord {
    #[serde(default)]
    pub asset_id: Option<AssetId>,
    /// The device's tag or serial (a scan).
    #[serde(default)]
    pub asset_code: Option<String>,
    pub method_class: Option<MethodClass>,
    pub technique: Option<Technique>,
    #[serde(default)]
    pub tool: Option<String>,
    #[serde(default)]
    pub tool_version: Option<String>,
    /// Defaults to the person recording.
    #[serde(default)]
    pub operator: Option<String>,
    /// Defaults to `ended_at`.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// Defaults to now.
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    pub verification: Option<Verification>,
    #[serde(default)]
    pub sample_share: Option<f64>,
    /// Defaults to `passed`.
    #[serde(default)]
    pub result: Option<SanitizationResult>,
    /// The tool's own certificate or report number; reloop issues one when absent.
    #[serde(default)]
    pub certificate_id: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A sanitization station run: one method, tool and operator for every device scanned.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[schema(as = SanitizationBatch)]
pub struct Batch {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    /// How people name it: `B-` and the last eight hex digits of its id.
    pub number: String,
    pub method_class: MethodClass,
    pub technique: Technique,
    pub tool: String,
    pub tool_version: String,
    pub operator: String,
    pub verification: Verification,
    pub sample_share: Option<f64>,
    pub site_id: Option<SiteId>,
    pub status: WorkStatus,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub version: i32,
}

impl TryFrom<sanitization_batch::Model> for Batch {
    type Error = AppError;
    fn try_from(m: sanitization_batch::Model) -> AppResult<Batch> {
        Ok(Batch {
            number: format!("B-{}", short_id(&m.id)),
            method_class: parse(&m.method_class, "method_class", MethodClass::parse)?,
            technique: parse(&m.technique, "technique", Technique::parse)?,
            verification: parse(&m.verification, "verification", Verification::parse)?,
            status: parse(&m.status, "status", WorkStatus::parse)?,
            id: m.id,
            tool: m.tool,
            tool_version: m.tool_version,
            operator: m.operator,
            sample_share: m.sample_share,
            site_id: m.site_id.map(SiteId),
            started_at: m.started_at,
            closed_at: m.closed_at,
            created_by: m.created_by,
            version: m.version,
        })
    }
}

/// Opens a station batch.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSanitizationBatch)]
pub struct NewBatch {
    pub method_class: Option<MethodClass>,
    pub technique: Option<Technique>,
    #[serde(default)]
    pub tool: Option<String>,
    #[serde(default)]
    pub tool_version: Option<String>,
    /// Defaults to the person opening the batch.
    #[serde(default)]
    pub operator: Option<String>,
    pub verification: Option<Verification>,
    #[serde(default)]
    pub sample_share: Option<f64>,
    #[serde(default)]
    pub site_id: Option<SiteId>,
}

/// One device scanned at the station.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchScan {
    /// The device's serial or tag.
    pub code: String,
    /// Defaults to `passed`.
    #[serde(default)]
    pub result: Option<SanitizationResult>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A batch with its records.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = SanitizationBatchDetail)]
pub struct BatchDetail {
    #[serde(flatten)]
    pub batch: Batch,
    pub records: Vec<Record>,
    pub passed: usize,
    pub failed: usize,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub asset_id: Option<AssetId>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BatchQuery {
    #[serde(default)]
    #[param(value_type = Option<WorkStatus>)]
    pub status: Option<WorkStatus>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<u64>,
}
