//! The hardware catalog: models with the figures that drive decisions (mass, embodied
//! carbon with its source, power, typed specs) and free JSON for the rest.
//!
//! Invariants: (manufacturer, model number) is unique regardless of case; a model's mass
//! is the mass of the item itself, without parts registered as separate assets (a server
//! model's mass excludes the DIMMs, drives and PSUs you register inside it), so a
//! parent's total mass never counts a part twice.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::assets::types::double_option;
use crate::assets::{AssetKind, Page};
use crate::audit::{self, trail::snapshot};
use crate::context::Ctx;
use crate::db::Db;
use crate::db::entities::hardware_model as hm;
use crate::error::{AppError, AppResult, Problems};
use crate::ids::ModelId;
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
    pub notes: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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
    #[serde(default)]
    pub notes: Option<String>,
}

impl ModelPatch {
    /// The model as it would be after this patch, for validation.
    fn apply_to(self, c: &HardwareModel) -> NewModel {
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
            notes: Some(self.notes.unwrap_or_else(|| c.notes.clone())),
        }
    }
}

/// The uniqueness and search key of a model: "dell poweredge r740". Two models whose
/// labels read the same are the same model.
pub fn model_key(manufacturer: &str, model_number: &str) -> String {
    format!("{} {}", text::key(manufacturer), text::key(model_number))
}

/// Largest `specs` object accepted, serialised.
const SPECS_MAX_BYTES: usize = 16 * 1024;

fn validate(m: NewModel, now: DateTime<Utc>) -> AppResult<hm::ActiveModel> {
    use chrono::Datelike;
    let mut p = Problems::default();
    let manufacturer = text::required_line(&mut p, "manufacturer", &m.manufacturer, text::NAME_MAX);
    let model_number = text::required_line(&mut p, "model_number", &m.model_number, text::NAME_MAX);
    if let Some(y) = m.release_year
        && !(1950..=now.year() + 2).contains(&y)
    {
        p.add("release_year", format!("must be between 1950 and {}", now.year() + 2));
    }
    let line = |p: &mut Problems, f: &str, v: Option<String>, max| {
        text::optional_line(p, f, v.as_deref(), max).unwrap_or_default()
    };
    let form_factor = line(&mut p, "form_factor", m.form_factor, 64);
    let embodied_source = line(&mut p, "embodied_source", m.embodied_source, 500);
    let perf_unit = line(&mut p, "perf_unit", m.perf_unit, 64);
    let material_profile = line(&mut p, "material_profile", m.material_profile, 64);
    let unu_key = line(&mut p, "unu_key", m.unu_key, 8);
    let four_digits = unu_key.len() == 4 && unu_key.chars().all(|c| c.is_ascii_digit());
    if !unu_key.is_empty() && !four_digits {
        p.add("unu_key", "must be a four-digit UNU-KEY such as 0307");
    }
    let mass_kg = text::number_in(&mut p, "mass_kg", m.mass_kg, 0.0, 10_000.0);
    let embodied = text::number_in(&mut p, "embodied_kgco2e", m.embodied_kgco2e, 0.0, 1_000_000.0);
    if embodied.is_some() && embodied_source.is_empty() {
        p.add("embodied_source", "say where the embodied-carbon figure comes from");
    }
    let idle_w = text::number_in(&mut p, "idle_w", m.idle_w, 0.0, 100_000.0);
    let max_w = text::number_in(&mut p, "max_w", m.max_w, 0.0, 100_000.0);
    if let (Some(i), Some(x)) = (idle_w, max_w)
        && i > x
    {
        p.add("idle_w", "must not exceed max_w");
    }
    if let Some(c) = m.cpu_cores
        && !(1..=100_000).contains(&c)
    {
        p.add("cpu_cores", "must be between 1 and 100000");
    }
    let memory_gb = text::number_in(&mut p, "memory_gb", m.memory_gb, 0.0, 1_000_000.0);
    let gpu_vram_gb = text::number_in(&mut p, "gpu_vram_gb", m.gpu_vram_gb, 0.0, 1_000_000.0);
    let storage_tb = text::number_in(&mut p, "storage_tb", m.storage_tb, 0.0, 1_000_000.0);
    let perf_value = text::number_in(&mut p, "perf_value", m.perf_value, 0.0, 1e12);
    if perf_value.is_some() && perf_unit.is_empty() {
        p.add("perf_unit", "give the unit of the performance figure");
    }
    let specs = m.specs.unwrap_or_else(|| serde_json::json!({}));
    if !specs.is_object() {
        p.add("specs", "must be a JSON object");
    } else if serde_json::to_string(&specs).map(|s| s.len()).unwrap_or(usize::MAX) > SPECS_MAX_BYTES {
        p.add("specs", format!("must be at most {SPECS_MAX_BYTES} bytes of JSON"));
    } else if serde_json::to_string(&specs).unwrap_or_default().contains("\\u0000") {
        p.add("specs", "must not contain NUL characters");
    }
    let notes = text::free_text(&mut p, "notes", m.notes.as_deref().unwrap_or(""), text::NOTES_MAX);
    p.into_result()?;
    Ok(hm::ActiveModel {
        model_key: Set(model_key(&manufacturer, &model_number)),
        manufacturer: Set(manufacturer),
        model_number: Set(model_number),
        kind: Set(m.kind.as_str().to_owned()),
        release_year: Set(m.release_year),
        form_factor: Set(form_factor),
        mass_kg: Set(mass_kg),
        embodied_kgco2e: Set(embodied),
        embodied_source: Set(embodied_source),
        idle_w: Set(idle_w),
        max_w: Set(max_w),
        cpu_cores: Set(m.cpu_cores),
        memory_gb: Set(memory_gb),
        gpu_vram_gb: Set(gpu_vram_gb),
        storage_tb: Set(storage_tb),
        perf_value: Set(perf_value),
        perf_unit: Set(perf_unit),
        material_profile: Set(material_profile),
        unu_key: Set(unu_key),
        support_ends_on: Set(m.support_ends_on),
        specs: Set(specs),
        notes: Set(notes),
        ..Default::default()
    })
}

async fn ensure_unique<C: ConnectionTrait>(conn: &C, key: &str, except: Option<ModelId>) -> AppResult<()> {
    let mut q = hm::Entity::find().filter(hm::Column::ModelKey.eq(key));
    if let Some(id) = except {
        q = q.filter(hm::Column::Id.ne(id.0));
    }
    if q.one(conn).await?.is_some() {
        return Err(AppError::conflict(
            "duplicate",
            Some("model_number"),
            "this manufacturer already has a model with that number in the catalog",
        ));
    }
    Ok(())
}

pub async fn create(db: &Db, ctx: &Ctx, input: NewModel) -> AppResult<HardwareModel> {
    let mut am = validate(input, ctx.now)?;
    let txn = db.write().await?;
    let key = match &am.model_key {
        sea_orm::ActiveValue::Set(k) => k.clone(),
        _ => String::new(),
    };
    ensure_unique(&*txn, &key, None).await?;
    am.id = Set(ModelId::new().0);
    am.version = Set(1);
    am.created_at = Set(ctx.now);
    am.updated_at = Set(ctx.now);
    let created = HardwareModel::try_from(hm::Entity::insert(am).exec_with_returning(&*txn).await?)?;
    audit::record(&*txn, ctx, "model.create", "model", created.id, None, snapshot(&created)).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, ctx: &Ctx, id: ModelId, patch: ModelPatch) -> AppResult<HardwareModel> {
    let txn = db.write().await?;
    let row =
        hm::Entity::find_by_id(id.0).one(&*txn).await?.ok_or_else(|| AppError::not_found("hardware model", id))?;
    let current = HardwareModel::try_from(row.clone())?;
    if current.version != patch.version {
        return Err(AppError::stale_version("hardware model", current.version, patch.version));
    }
    let new_kind = patch.kind.unwrap_or(current.kind);
    if new_kind != current.kind && in_use(&*txn, id).await? {
        return Err(AppError::invalid(
            "kind",
            "assets of this model are registered; a model in use keeps its kind (create a new model instead)",
        ));
    }
    let given_version = patch.version;
    let fresh = validate(patch.apply_to(&current), ctx.now)?;
    let key = match &fresh.model_key {
        sea_orm::ActiveValue::Set(k) => k.clone(),
        _ => String::new(),
    };
    ensure_unique(&*txn, &key, Some(id)).await?;
    let mut am = row.into_active_model();
    am.set_from_json_like(fresh);
    am.version = Set(current.version + 1);
    am.updated_at = Set(ctx.now);
    let m = match hm::Entity::update(am).validate()?.filter(hm::Column::Version.eq(current.version)).exec(&*txn).await {
        Ok(m) => m,
        Err(DbErr::RecordNotUpdated) => {
            return Err(AppError::stale_version("hardware model", current.version + 1, given_version));
        }
        Err(e) => return Err(e.into()),
    };
    let after = HardwareModel::try_from(m)?;
    audit::record(&*txn, ctx, "model.update", "model", id, snapshot(&current), snapshot(&after)).await?;
    txn.commit().await?;
    Ok(after)
}

trait MergeSet {
    fn set_from_json_like(&mut self, other: hm::ActiveModel);
}

impl MergeSet for hm::ActiveModel {
    /// Copies every field `other` sets (the validated content) onto `self`.
    fn set_from_json_like(&mut self, o: hm::ActiveModel) {
        macro_rules! take {
            ($($f:ident),*) => { $( if o.$f.is_set() { self.$f = o.$f; } )* };
        }
        take!(
            manufacturer,
            model_number,
            model_key,
            kind,
            release_year,
            form_factor,
            mass_kg,
            embodied_kgco2e,
            embodied_source,
            idle_w,
            max_w,
            cpu_cores,
            memory_gb,
            gpu_vram_gb,
            storage_tb,
            perf_value,
            perf_unit,
            material_profile,
            unu_key,
            support_ends_on,
            specs,
            notes
        );
    }
}

async fn in_use<C: ConnectionTrait>(conn: &C, id: ModelId) -> AppResult<bool> {
    use crate::db::entities::asset;
    Ok(asset::Entity::find()
        .select_only()
        .column(asset::Column::Id)
        .filter(asset::Column::ModelId.eq(id.0))
        .limit(1)
        .into_tuple::<uuid::Uuid>()
        .one(conn)
        .await?
        .is_some())
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: ModelId) -> AppResult<HardwareModel> {
    hm::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| AppError::not_found("hardware model", id))?.try_into()
}

/// Models by id, for labelling lists.
pub async fn by_ids<C: ConnectionTrait>(conn: &C, ids: &[ModelId]) -> AppResult<Vec<HardwareModel>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<_> = ids.iter().map(|i| i.0).collect();
    hm::Entity::find()
        .filter(hm::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(HardwareModel::try_from)
        .collect()
}

/// A LIKE pattern matching `needle` anywhere, with LIKE's wildcards escaped.
pub(crate) fn contains_pattern(needle: &str) -> LikeExpr {
    let escaped = needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ModelQuery {
    /// Only models of this kind.
    pub kind: Option<AssetKind>,
    /// Text contained in the manufacturer or model number (case-insensitive).
    pub q: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<u64>,
}

/// The catalog ordered by manufacturer and model number, keyset-paginated.
pub async fn list<C: ConnectionTrait>(conn: &C, query: &ModelQuery) -> AppResult<Page<HardwareModel>> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 500"));
    }
    let mut q = hm::Entity::find();
    if let Some(k) = query.kind {
        q = q.filter(hm::Column::Kind.eq(k.as_str()));
    }
    if let Some(needle) = query.q.as_deref().map(text::key).filter(|s| !s.is_empty()) {
        q = q.filter(Condition::all().add(Expr::col(hm::Column::ModelKey).like(contains_pattern(&needle))));
    }
    if let Some(c) = query.cursor.as_deref().filter(|c| !c.is_empty()) {
        q = q.filter(hm::Column::ModelKey.gt(c));
    }
    let rows = q.order_by_asc(hm::Column::ModelKey).limit(limit + 1).all(conn).await?;
    let more = rows.len() as u64 > limit;
    let cursor = if more { rows.get(limit as usize - 1).map(|r| r.model_key.clone()) } else { None };
    let items = rows.into_iter().take(limit as usize).map(HardwareModel::try_from).collect::<AppResult<_>>()?;
    Ok(Page { items, next_cursor: cursor })
}

/// Ids of models whose manufacturer or number contains `needle`, at most `cap` (+1 so
/// callers can tell the cap was hit).
pub async fn ids_matching<C: ConnectionTrait>(conn: &C, needle: &str, cap: u64) -> AppResult<Vec<uuid::Uuid>> {
    Ok(hm::Entity::find()
        .select_only()
        .column(hm::Column::Id)
        .filter(Expr::col(hm::Column::ModelKey).like(contains_pattern(&text::key(needle))))
        .limit(cap + 1)
        .into_tuple::<uuid::Uuid>()
        .all(conn)
        .await?)
}
