//! Adding models to the catalog and editing them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::model::{BomLine, HardwareModel, ModelPatch, NewModel, model_key};
use crate::audit::{self, snapshot};
use crate::context::Ctx;
use crate::db::entities::{asset, hardware_model as hm};
use crate::db::{Db, check_version, save_versioned};
use crate::error::{AppError, AppResult, Problems};
use crate::ids::ModelId;
use crate::rules::{AssetKind, one_of};
use crate::text::{self, JsonObjectProblem};

/// Largest `specs` object accepted, serialised.
const SPECS_MAX_BYTES: usize = 16 * 1024;

/// Most lines a bill of materials may have.
pub const BOM_MAX_LINES: usize = 64;
/// Largest count on one line of a bill of materials.
pub const BOM_MAX_COUNT: u32 = 1024;

/// Checks a model's content; returns its key ([`model_key`]) and the content as an
/// active model that sets every field but the id, version and timestamps. `this` is the
/// model being edited (none for a new one); `known` holds the kinds of the catalog models
/// its bill of materials names ([`bom_kinds`]).
fn validate(
    m: NewModel,
    now: DateTime<Utc>,
    this: Option<ModelId>,
    known: &HashMap<ModelId, AssetKind>,
) -> AppResult<(String, hm::ActiveModel)> {
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
    match text::json_object_problem(&specs, SPECS_MAX_BYTES) {
        Some(JsonObjectProblem::NotObject) => p.add("specs", "must be a JSON object"),
        Some(JsonObjectProblem::TooLarge) => p.add("specs", format!("must be at most {SPECS_MAX_BYTES} bytes of JSON")),
        Some(JsonObjectProblem::Nul) => p.add("specs", "must not contain NUL characters"),
        None => {}
    }
    check_bom(&mut p, m.kind, &m.bom, this, known);
    let notes = text::free_text(&mut p, "notes", m.notes.as_deref().unwrap_or(""), text::NOTES_MAX);
    p.into_result()?;
    let bom = serde_json::to_value(&m.bom).map_err(|e| AppError::Internal(e.into()))?;
    let key = model_key(&manufacturer, &model_number);
    let content = hm::ActiveModel {
        model_key: Set(key.clone()),
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
        bom: Set(bom),
        notes: Set(notes),
        ..Default::default()
    };
    Ok((key, content))
}

/// The rules of a bill of materials, each problem named by line (`bom[2].count`): at most
/// [`BOM_MAX_LINES`] lines; on each, a count of 1–[`BOM_MAX_COUNT`], a kind that fits
/// within the model's ([`AssetKind::fits_within`]), a catalog model of that kind other
/// than the model itself; no two lines with the same kind and model (the second is named).
fn check_bom(
    p: &mut Problems,
    whole: AssetKind,
    bom: &[BomLine],
    this: Option<ModelId>,
    known: &HashMap<ModelId, AssetKind>,
) {
    if bom.len() > BOM_MAX_LINES {
        p.add("bom", format!("may have at most {BOM_MAX_LINES} lines, not {}", bom.len()));
        return;
    }
    let mut seen = HashSet::new();
    for (i, line) in bom.iter().enumerate() {
        let at = |f: &str| format!("bom[{i}].{f}");
        let itself = line.model_id.is_some() && line.model_id == this;
        if itself {
            p.add(at("model_id"), "is this model itself: a model cannot list itself in its bill of materials");
        } else if !line.kind.fits_within(whole) {
            p.add(at("kind"), misfit(line.kind, whole));
        }
        match line.model_id.filter(|_| !itself).map(|id| known.get(&id)) {
            Some(None) => p.add(at("model_id"), "is not a model in the catalog"),
            Some(Some(&k)) if k != line.kind => p.add(at("model_id"), format!("is a {k} model, not a {}", line.kind)),
            _ => {}
        }
        if !(1..=BOM_MAX_COUNT).contains(&line.count) {
            p.add(at("count"), format!("must be between 1 and {BOM_MAX_COUNT}"));
        }
        if !seen.insert((line.kind, line.model_id)) {
            p.add(
                format!("bom[{i}]"),
                "repeats the kind and model of an earlier line: give them one line with the total count",
            );
        }
    }
}

/// Why a part of `part` kind cannot be on the bill of materials of a `whole` model.
fn misfit(part: AssetKind, whole: AssetKind) -> String {
    let fitting: Vec<&str> = AssetKind::ALL.iter().filter(|k| k.fits_within(whole)).map(|k| k.as_str()).collect();
    if fitting.is_empty() {
        format!("{part} cannot be part of a {whole}: a {whole} holds no parts, so its bill of materials stays empty")
    } else {
        format!("{part} cannot be part of a {whole}: a {whole}'s bill of materials may list {}", one_of(&fitting))
    }
}

/// The kinds of the catalog models a bill of materials names (those that exist).
async fn bom_kinds<C: ConnectionTrait>(conn: &C, bom: &[BomLine]) -> AppResult<HashMap<ModelId, AssetKind>> {
    let ids: HashSet<uuid::Uuid> = bom.iter().filter_map(|l| l.model_id.map(|m| m.0)).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = hm::Entity::find()
        .select_only()
        .column(hm::Column::Id)
        .column(hm::Column::Kind)
        .filter(hm::Column::Id.is_in(ids))
        .into_tuple::<(uuid::Uuid, String)>()
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|(id, kind)| {
            let k = AssetKind::parse(&kind)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unreadable model kind {kind:?}")))?;
            Ok((ModelId::from(id), k))
        })
        .collect()
}

async fn ensure_unique<C: ConnectionTrait>(conn: &C, key: &str, except: Option<ModelId>) -> AppResult<()> {
    // Keys are unique (an index), so the one row with this key is either `except` or a clash.
    let holder = super::query::row_by_key(conn, key).await?;
    if holder.is_some_and(|m| except.map(|e| e.0) != Some(m.id)) {
        return Err(AppError::conflict(
            "duplicate",
            Some("model_number"),
            "this manufacturer already has a model with that number in the catalog",
        ));
    }
    Ok(())
}

/// The problems with a model's content, found without writing (a form shows them
/// together with its own, so every error of a submission shows at once).
pub async fn problems<C: ConnectionTrait>(
    conn: &C,
    input: NewModel,
    this: Option<ModelId>,
) -> AppResult<Vec<crate::error::FieldError>> {
    let known = bom_kinds(conn, &input.bom).await?;
    match validate(input, Utc::now(), this, &known) {
        Err(AppError::Invalid(fields)) => Ok(fields),
        Err(e) => Err(e),
        Ok(_) => Ok(Vec::new()),
    }
}

pub async fn create(db: &Db, ctx: &Ctx, input: NewModel) -> AppResult<HardwareModel> {
    let txn = db.write().await?;
    // Read in the transaction, so the kinds checked are the kinds committed with it.
    let known = bom_kinds(&*txn, &input.bom).await?;
    let (key, mut am) = validate(input, ctx.now, None, &known)?;
    ensure_unique(&*txn, &key, None).await?;
    am.id = Set(ModelId::new().0);
    am.version = Set(1);
    am.created_at = Set(ctx.now);
    am.updated_at = Set(ctx.now);
    let created = HardwareModel::try_from(hm::Entity::insert(am).exec_with_returning(&*txn).await?)?;
    audit::record(&txn, ctx, "model.create", "model", created.id, None, snapshot(&created)).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, ctx: &Ctx, id: ModelId, patch: ModelPatch) -> AppResult<HardwareModel> {
    let txn = db.write().await?;
    let row = super::query::row(&*txn, id).await?;
    // Checked first, so a stale version is reported before any problem with the content.
    check_version::<hm::Entity>(&row, Some(patch.version))?;
    let current = HardwareModel::try_from(row.clone())?;
    let new_kind = patch.kind.unwrap_or(current.kind);
    if new_kind != current.kind {
        if in_use(&*txn, id).await? {
            return Err(AppError::invalid(
                "kind",
                "assets of this model are registered; a model in use keeps its kind (create a new model instead)",
            ));
        }
        if listed_in_a_bom(&*txn, id).await? {
            return Err(AppError::invalid(
                "kind",
                "other models' bills of materials list this model; a listed model keeps its kind (create a new model instead)",
            ));
        }
    }
    let next = patch.apply_to(&current);
    let known = bom_kinds(&*txn, &next.bom).await?;
    let (key, fresh) = validate(next, ctx.now, Some(id), &known)?;
    ensure_unique(&*txn, &key, Some(id)).await?;
    // The validated content replaces every field but the row's identity, version and
    // timestamps (save_versioned stamps the version and updated_at; created_at stays). The
    // version the client sent was checked above, against this same row.
    let saved = save_versioned::<hm::Entity, _>(&*txn, ctx.now, &row, None, |am| {
        *am = hm::ActiveModel {
            id: am.id.clone(),
            version: am.version.clone(),
            created_at: am.created_at.clone(),
            updated_at: am.updated_at.clone(),
            ..fresh
        }
    })
    .await?;
    let after = HardwareModel::try_from(saved)?;
    audit::record(&txn, ctx, "model.update", "model", id, snapshot(&current), snapshot(&after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Whether any asset is of this model. The catalog sits below the registry, so this one
/// question reads the assets table directly (an exception ARCHITECTURE.md names).
async fn in_use<C: ConnectionTrait>(conn: &C, id: ModelId) -> AppResult<bool> {
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

/// Whether another model's bill of materials lists this model. Bills are JSON, so this
/// reads the bills of the models that can hold parts; it runs only when a kind changes.
async fn listed_in_a_bom<C: ConnectionTrait>(conn: &C, id: ModelId) -> AppResult<bool> {
    let containers: Vec<&str> = AssetKind::ALL.iter().filter(|k| k.is_container()).map(|k| k.as_str()).collect();
    let bills = hm::Entity::find()
        .select_only()
        .column(hm::Column::Bom)
        .filter(hm::Column::Kind.is_in(containers))
        .filter(hm::Column::Id.ne(id.0))
        .into_tuple::<serde_json::Value>()
        .all(conn)
        .await?;
    for bill in bills {
        let lines: Vec<BomLine> = serde_json::from_value(bill)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("unreadable bill of materials: {e}")))?;
        if lines.iter().any(|l| l.model_id == Some(id)) {
            return Ok(true);
        }
    }
    Ok(false)
}
