//! A catalog model as services return it, and the inputs that create and change one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::entities::hardware_model as hm;
use crate::error::{AppError, AppResult};
use crate::ids::ModelId;
use crate::rules::{AssetKind, double_option};
use crate::text;

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct HardwareModel {
    pub id: ModelId,
    pub manufacturer: String,
    pub model_number: String,
    pub kind: AssetKind,
    pub release_year: Option<i32>,
    /// e.g. "2U", "3.5in", "SXM5", "RDIMM".
    pub form_factor: String,
    /// Mass of the item itself in kg, without separately registered parts.
    pub mass_kg: Option<f64>,
    /// Cradle-to-gate (manufacturing) footprint in kgCO2e.
    pub embodied_kgco2e: Option<f64>,
    /// Where the embodied figure comes from.
    pub embodied_source: String,
    pub idle_w: Option<f64>,
    pub max_w: Option<f64>,
    pub cpu_cores: Option<i32>,
    pub memory_gb: Option<f64>,
    pub gpu_vram_gb: Option<f64>,
    pub storage_tb: Option<f64>,
    /// A performance figure in `perf_unit` (e.g. FP16 TFLOPS, SPECrate2017_int_base).
    pub perf_value: Option<f64>,
    pub perf_unit: String,
    /// Key into the material-composition reference (e.g. server_whole, memory_module).
    pub material_profile: String,
    /// UNU-KEY for WEEE reporting and lifespan curves (servers: 0307).
    pub unu_key: String,
    /// When firmware and security updates end (Regulation (EU) 2019/424 window).
    pub support_ends_on: Option<NaiveDate>,
    /// Any further specifications, as a JSON object.
    #[schema(value_type = Object)]
    pub specs: serde_json::Value,
    /// The bill of materials: what a complete item of this model contains.
    pub bom: Vec<BomLine>,
    pub notes: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One line of a model's bill of materials: `count` parts of `kind`, of one catalog model
/// or (without `model_id`) of any model of that kind.
///
/// A bill of materials describes a complete item, parts of parts included: a server's
/// counts the CPUs and DIMMs on its board as well as the board, and the board model's own
/// bill counts them again. Compare it with an item's whole subtree, not its direct parts.
/// Lines are unique by (kind, model); a line's kind fits within the model's kind
/// ([`AssetKind::fits_within`]) and its model is of that kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BomLine {
    pub kind: AssetKind,
    /// A catalog model of `kind`; absent or null: any model of that kind.
    #[serde(default)]
    pub model_id: Option<ModelId>,
    /// How many, 1–1024.
    pub count: u32,
}

impl HardwareModel {
    /// "Dell PowerEdge R740"
    pub fn label(&self) -> String {
        label(&self.manufacturer, &self.model_number)
    }
}

pub fn label(manufacturer: &str, model_number: &str) -> String {
    if model_number.to_lowercase().starts_with(&manufacturer.to_lowercase()) {
        model_number.to_owned()
    } else {
        format!("{manufacturer} {model_number}")
    }
}

impl TryFrom<hm::Model> for HardwareModel {
    type Error = AppError;
    fn try_from(m: hm::Model) -> AppResult<Self> {
        Ok(HardwareModel {
            id: m.id.into(),
            kind: AssetKind::parse(&m.kind)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unreadable model kind {:?}", m.kind)))?,
            manufacturer: m.manufacturer,
            model_number: m.model_number,
            release_year: m.release_year,
            form_factor: m.form_factor,
            mass_kg: m.mass_kg,
            embodied_kgco2e: m.embodied_kgco2e,
            embodied_source: m.embodied_source,
            idle_w: m.idle_w,
            max_w: m.max_w,
            cpu_cores: m.cpu_cores,
            memory_gb: m.memory_gb,
            gpu_vram_gb: m.gpu_vram_gb,
            storage_tb: m.storage_tb,
            perf_value: m.perf_value,
            perf_unit: m.perf_unit,
            material_profile: m.material_profile,
            unu_key: m.unu_key,
            support_ends_on: m.support_ends_on,
            bom: serde_json::from_value(m.bom).map_err(|e| {
                AppError::Internal(anyhow::anyhow!("unreadable bill of materials of model {}: {e}", m.id))
            })?,
            specs: m.specs,
            notes: m.notes,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewModel {
    pub manufacturer: String,
    pub model_number: String,
    pub kind: AssetKind,
    #[serde(default)]
    pub release_year: Option<i32>,
    #[serde(default)]
    pub form_factor: Option<String>,
    #[serde(default)]
    pub mass_kg: Option<f64>,
    #[serde(default)]
    pub embodied_kgco2e: Option<f64>,
    #[serde(default)]
    pub embodied_source: Option<String>,
    #[serde(default)]
    pub idle_w: Option<f64>,
    #[serde(default)]
    pub max_w: Option<f64>,
    #[serde(default)]
    pub cpu_cores: Option<i32>,
    #[serde(default)]
    pub memory_gb: Option<f64>,
    #[serde(default)]
    pub gpu_vram_gb: Option<f64>,
    #[serde(default)]
    pub storage_tb: Option<f64>,
    #[serde(default)]
    pub perf_value: Option<f64>,
    #[serde(default)]
    pub perf_unit: Option<String>,
    #[serde(default)]
    pub material_profile: Option<String>,
    #[serde(default)]
    pub unu_key: Option<String>,
    #[serde(default)]
    pub support_ends_on: Option<NaiveDate>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub specs: Option<serde_json::Value>,
    /// The bill of materials, at most 64 lines (default: none).
    #[serde(default)]
    pub bom: Vec<BomLine>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl NewModel {
    /// A model with only its identity; set the figures you know with struct update syntax.
    pub fn new(manufacturer: impl Into<String>, model_number: impl Into<String>, kind: AssetKind) -> Self {
        NewModel {
            manufacturer: manufacturer.into(),
            model_number: model_number.into(),
            kind,
            release_year: None,
            form_factor: None,
            mass_kg: None,
            embodied_kgco2e: None,
            embodied_source: None,
            idle_w: None,
            max_w: None,
            cpu_cores: None,
            memory_gb: None,
            gpu_vram_gb: None,
            storage_tb: None,
            perf_value: None,
            perf_unit: None,
            material_profile: None,
            unu_key: None,
            support_ends_on: None,
            specs: None,
            bom: Vec::new(),
            notes: None,
        }
    }
}

/// A partial update; absent fields stay, `null` clears optional figures.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelPatch {
    pub version: i32,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub model_number: Option<String>,
    #[serde(default)]
    pub kind: Option<AssetKind>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub release_year: Option<Option<i32>>,
    #[serde(default)]
    pub form_factor: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub mass_kg: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub embodied_kgco2e: Option<Option<f64>>,
    #[serde(default)]
    pub embodied_source: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub idle_w: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub max_w: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub cpu_cores: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub memory_gb: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub gpu_vram_gb: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub storage_tb: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub perf_value: Option<Option<f64>>,
    #[serde(default)]
    pub perf_unit: Option<String>,
    #[serde(default)]
    pub material_profile: Option<String>,
    #[serde(default)]
    pub unu_key: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub support_ends_on: Option<Option<NaiveDate>>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub specs: Option<serde_json::Value>,
    /// Replaces the whole bill of materials (`[]` empties it); absent: unchanged.
    #[serde(default)]
    pub bom: Option<Vec<BomLine>>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl ModelPatch {
    /// A patch that replaces every field with `n`'s (blank texts as ""), checked against
    /// `version`: what an edit form that shows every field submits, bill of materials
    /// included. Absent `specs` and `notes` stay as they are.
    pub fn replacing(version: i32, n: NewModel) -> ModelPatch {
        ModelPatch {
            version,
            manufacturer: Some(n.manufacturer),
            model_number: Some(n.model_number),
            kind: Some(n.kind),
            release_year: Some(n.release_year),
            form_factor: Some(n.form_factor.unwrap_or_default()),
            mass_kg: Some(n.mass_kg),
            embodied_kgco2e: Some(n.embodied_kgco2e),
            embodied_source: Some(n.embodied_source.unwrap_or_default()),
            idle_w: Some(n.idle_w),
            max_w: Some(n.max_w),
            cpu_cores: Some(n.cpu_cores),
            memory_gb: Some(n.memory_gb),
            gpu_vram_gb: Some(n.gpu_vram_gb),
            storage_tb: Some(n.storage_tb),
            perf_value: Some(n.perf_value),
            perf_unit: Some(n.perf_unit.unwrap_or_default()),
            material_profile: Some(n.material_profile.unwrap_or_default()),
            unu_key: Some(n.unu_key.unwrap_or_default()),
            support_ends_on: Some(n.support_ends_on),
            specs: n.specs,
            bom: Some(n.bom),
            notes: n.notes,
        }
    }

    /// The model as it would be after this patch, for validation.
    pub(super) fn apply_to(self, c: &HardwareModel) -> NewModel {
        NewModel {
            manufacturer: self.manufacturer.unwrap_or_else(|| c.manufacturer.clone()),
            model_number: self.model_number.unwrap_or_else(|| c.model_number.clone()),
            kind: self.kind.unwrap_or(c.kind),
            release_year: self.release_year.unwrap_or(c.release_year),
            form_factor: Some(self.form_factor.unwrap_or_else(|| c.form_factor.clone())),
            mass_kg: self.mass_kg.unwrap_or(c.mass_kg),
            embodied_kgco2e: self.embodied_kgco2e.unwrap_or(c.embodied_kgco2e),
            embodied_source: Some(self.embodied_source.unwrap_or_else(|| c.embodied_source.clone())),
            idle_w: self.idle_w.unwrap_or(c.idle_w),
            max_w: self.max_w.unwrap_or(c.max_w),
            cpu_cores: self.cpu_cores.unwrap_or(c.cpu_cores),
            memory_gb: self.memory_gb.unwrap_or(c.memory_gb),
            gpu_vram_gb: self.gpu_vram_gb.unwrap_or(c.gpu_vram_gb),
            storage_tb: self.storage_tb.unwrap_or(c.storage_tb),
            perf_value: self.perf_value.unwrap_or(c.perf_value),
            perf_unit: Some(self.perf_unit.unwrap_or_else(|| c.perf_unit.clone())),
            material_profile: Some(self.material_profile.unwrap_or_else(|| c.material_profile.clone())),
            unu_key: Some(self.unu_key.unwrap_or_else(|| c.unu_key.clone())),
            support_ends_on: self.support_ends_on.unwrap_or(c.support_ends_on),
            specs: Some(self.specs.unwrap_or_else(|| c.specs.clone())),
            bom: self.bom.unwrap_or_else(|| c.bom.clone()),
            notes: Some(self.notes.unwrap_or_else(|| c.notes.clone())),
        }
    }
}

/// The uniqueness and search key of a model: "dell poweredge r740". Two models whose
/// labels read the same are the same model.
pub fn model_key(manufacturer: &str, model_number: &str) -> String {
    format!("{} {}", text::key(manufacturer), text::key(model_number))
}
