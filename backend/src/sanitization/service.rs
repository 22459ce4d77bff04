//! Writes: one device's record, and the station's batches (open, scan, close).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};

use super::model::{Batch, BatchScan, NewBatch, NewRecord, Record};
use crate::assets::{self, repo};
use crate::audit::{self, snapshot};
use crate::catalog;
use crate::context::Ctx;
use crate::db::entities::{asset, sanitization_batch, sanitization_record};
use crate::db::{Db, WriteTxn, id_tail, save_versioned, short_id};
use crate::error::{AppError, AppResult, Problems};
use crate::ids::{AssetId, ModelId};
use crate::lifecycle::gate::holds_data;
use crate::lifecycle::transition::apply;
use crate::rules::{
    MethodClass, SanitizationResult, State, Technique, Verification, WorkStatus, sanitization::record_problem,
};
use crate::text;

/// The random end of a UUIDv7, as a certificate number's suffix.
fn certificate_suffix(id: &uuid::Uuid) -> String {
    id_tail(id, 16)
}

/// How a device was sanitized (a record's fields other than the device).
struct Spec {
    class: MethodClass,
    technique: Technique,
    tool: String,
    tool_version: String,
    operator: String,
    verification: Verification,
    share: Option<f64>,
}

#[allow(clippy::too_many_arguments)]
fn spec(
    ctx: &Ctx,
    class: Option<MethodClass>,
    technique: Option<Technique>,
    tool: Option<&str>,
    tool_version: Option<&str>,
    operator: Option<&str>,
    verification: Option<Verification>,
    share: Option<f64>,
) -> AppResult<Spec> {
    let mut p = Problems::default();
    if class.is_none() {
        p.add("method_class", format!("is required: one of {}", MethodClass::expected()));
    }
    if technique.is_none() {
        p.add("technique", format!("is required: one of {}", Technique::expected()));
    }
    if verification.is_none() {
        p.add("verification", format!("is required: one of {}", Verification::expected()));
    }
    let tool = text::required_line(&mut p, "tool", tool.unwrap_or(""), text::NAME_MAX);
    let tool_version = text::optional_line(&mut p, "tool_version", tool_version, text::NAME_MAX).unwrap_or_default();
    let operator =
        text::optional_line(&mut p, "operator", operator, text::NAME_MAX).unwrap_or_else(|| ctx.actor.name.clone());
    if let (Some(c), Some(t), Some(v)) = (class, technique, verification)
        && let Some((field, why)) = record_problem(c, t, v, share)
    {
        p.add(field, why);
    }
    p.into_result()?;
    match (class, technique, verification) {
        (Some(class), Some(technique), Some(verification)) => {
            Ok(Spec { class, technique, tool, tool_version, operator, verification, share })
        }
        _ => Err(AppError::invalid("method_class", "is required")),
    }
}

/// Writes one device's record in the caller's transaction: checks the device, snapshots
/// what the certificate names, and on a pass moves a retired device to `sanitized`.
#[allow(clippy::too_many_arguments)]
async fn record_in(
    txn: &WriteTxn,
    ctx: &Ctx,
    device: asset::Model,
    s: &Spec,
    started: DateTime<Utc>,
    ended: DateTime<Utc>,
    result: SanitizationResult,
    certificate: Option<String>,
    notes: String,
    batch: Option<uuid::Uuid>,
) -> AppResult<Record> {
    let (kind, state) = repo::kind_state(&device)?;
    if !holds_data(&device) {
        return Err(AppError::invalid(
            "asset_id",
            format!(
                "{} is a {} and holds no data: only drives and items flagged as holding data are sanitized",
                device.asset_tag,
                kind.label().to_lowercase()
            ),
        ));
    }
    if matches!(state, State::Deployed | State::Redeployed) || !state.accepts_parts() {
        return Err(AppError::conflict(
            "illegal_transition",
            Some("asset_id"),
            format!(
                "{} is {state}: a device is sanitized out of service (in stock, in repair or retired), not in use or once gone",
                device.asset_tag
            ),
        ));
    }
    if ended < started {
        return Err(AppError::invalid("ended_at", "must not be before started_at"));
    }
    if ended > ctx.now + chrono::Duration::minutes(5) {
        return Err(AppError::invalid("ended_at", "must not be in the future"));
    }
    let id = uuid::Uuid::now_v7();
    let certificate_id = match certificate {
        Some(c) => {
            let c = c.trim().to_owned();
            if sanitization_record::Entity::find()
                .filter(sanitization_record::Column::CertificateId.eq(c.clone()))
                .one(&**txn)
                .await?
                .is_some()
            {
                return Err(AppError::conflict(
                    "duplicate",
                    Some("certificate_id"),
                    format!("certificate {c} is already recorded"),
                ));
            }
            c
        }
        // The record id's last 16 hex digits: 62 random bits, so a station recording
        // thousands of devices a day never issues one twice (8 digits, 32 bits, did: about
        // one day in a hundred at 10,000 records).
        None => format!("SAN-{}-{}", ended.format("%Y%m%d"), certificate_suffix(&id)),
    };
    let host = match device.parent_id {
        Some(p) => Some(repo::find(&**txn, AssetId(p)).await?),
        None => None,
    };
    let model = match device.model_id {
        Some(m) => catalog::by_ids(&**txn, &[ModelId(m)]).await?.pop(),
        None => None,
    };
    let row = sanitization_record::Model {
        id,
        asset_id: device.id,
        host_id: host.as_ref().map(|h| h.id),
        batch_id: batch,
        certificate_id: certificate_id.clone(),
        device_tag: device.asset_tag.clone(),
        device_serial: device.serial.clone().unwrap_or_default(),
        device_make: device.manufacturer.clone(),
        device_model: model.map(|m| m.label()).unwrap_or_default(),
        device_kind: kind.as_str().into(),
        host_tag: host.map(|h| h.asset_tag).unwrap_or_default(),
        method_class: s.class.as_str().into(),
        technique: s.technique.as_str().into(),
        tool: s.tool.clone(),
        tool_version: s.tool_version.clone(),
        operator: s.operator.clone(),
        started_at: started,
        ended_at: ended,
        verification: s.verification.as_str().into(),
        sample_share: s.share,
        result: result.as_str().into(),
        notes,
        recorded_by: ctx.actor.name.clone(),
        created_at: ctx.now,
    };
    sanitization_record::Entity::insert(row.clone().into_active_model()).exec_without_returning(&**txn).await?;
    if result == SanitizationResult::Passed && state == State::Retired {
        let why = format!(
            "{} ({}) with {}; certificate {certificate_id}",
            s.class,
            s.technique.label().to_lowercase(),
            s.tool
        );
        let payload =
            serde_json::json!({"sanitization_record": id, "certificate_id": certificate_id, "method_class": s.class});
        apply(txn, ctx, device, State::Sanitized, &why, payload, None).await?;
    }
    let record = Record::try_from(row)?;
    audit::record(txn, ctx, "sanitization.record", "sanitization_record", id, None, snapshot(&record)).await?;
    Ok(record)
}

/// Records one device's sanitization.
pub async fn record(db: &Db, ctx: &Ctx, input: NewRecord) -> AppResult<Record> {
    let s = spec(
        ctx,
        input.method_class,
        input.technique,
        input.tool.as_deref(),
        input.tool_version.as_deref(),
        input.operator.as_deref(),
        input.verification,
        input.sample_share,
    )?;
    let mut p = Problems::default();
    let notes = text::free_text(&mut p, "notes", input.notes.as_deref().unwrap_or(""), text::NOTES_MAX);
    let certificate = text::optional_line(&mut p, "certificate_id", input.certificate_id.as_deref(), text::NAME_MAX);
    p.into_result()?;
    let ended = input.ended_at.unwrap_or(ctx.now);
    let started = input.started_at.unwrap_or(ended);
    let txn = db.write().await?;
    let device =
        assets::read::resolve(&*txn, input.asset_id, input.asset_code.as_deref(), "asset_id", "asset_code").await?;
    let r = record_in(
        &txn,
        ctx,
        device,
        &s,
        started,
        ended,
        input.result.unwrap_or(SanitizationResult::Passed),
        certificate,
        notes,
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(r)
}

/// Opens a station batch: one method, tool, operator and verification for every device
/// scanned into it.
pub async fn open_batch(db: &Db, ctx: &Ctx, input: NewBatch) -> AppResult<Batch> {
    let s = spec(
        ctx,
        input.method_class,
        input.technique,
        input.tool.as_deref(),
        input.tool_version.as_deref(),
        input.operator.as_deref(),
        input.verification,
        input.sample_share,
    )?;
    let txn = db.write().await?;
    if let Some(site) = input.site_id
        && crate::sites::repo::existing(&*txn, &[site]).await?.is_empty()
    {
        return Err(AppError::invalid("site_id", format!("no site has id {site}")));
    }
    let row = sanitization_batch::Model {
        id: uuid::Uuid::now_v7(),
        method_class: s.class.as_str().into(),
        technique: s.technique.as_str().into(),
        tool: s.tool,
        tool_version: s.tool_version,
        operator: s.operator,
        verification: s.verification.as_str().into(),
        sample_share: s.share,
        site_id: input.site_id.map(|x| x.0),
        status: WorkStatus::Open.as_str().into(),
        started_at: ctx.now,
        closed_at: None,
        created_by: ctx.actor.name.clone(),
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    sanitization_batch::Entity::insert(row.clone().into_active_model()).exec_without_returning(&*txn).await?;
    let b = Batch::try_from(row)?;
    audit::record(&txn, ctx, "sanitization.batch_open", "sanitization_batch", b.id, None, snapshot(&b)).await?;
    txn.commit().await?;
    Ok(b)
}

async fn open_batch_row(txn: &WriteTxn, id: uuid::Uuid) -> AppResult<sanitization_batch::Model> {
    let b = sanitization_batch::Entity::find_by_id(id)
        .one(&**txn)
        .await?
        .ok_or_else(|| AppError::NotFound { what: "sanitization batch", id: id.to_string() })?;
    if b.status != WorkStatus::Open.as_str() {
        return Err(AppError::conflict(
            "closed",
            None,
            format!("batch B-{} is closed; open a new one", short_id(&b.id)),
        ));
    }
    Ok(b)
}

/// Records one scanned device in a batch, with the batch's method: it started with the
/// batch (a station wipes its bays together) and ended at the scan.
pub async fn scan(db: &Db, ctx: &Ctx, batch: uuid::Uuid, input: BatchScan) -> AppResult<Record> {
    let mut p = Problems::default();
    let code = text::required_line(&mut p, "code", &input.code, text::SERIAL_MAX);
    let notes = text::free_text(&mut p, "notes", input.notes.as_deref().unwrap_or(""), text::NOTES_MAX);
    p.into_result()?;
    let txn = db.write().await?;
    let b = open_batch_row(&txn, batch).await?;
    let device = match assets::find_by_code(&*txn, &code).await? {
        Some(a) => repo::find(&*txn, a.id).await?,
        None => return Err(AppError::invalid("code", format!("no item has the tag or serial {code}"))),
    };
    if let Some(prev) = sanitization_record::Entity::find()
        .filter(sanitization_record::Column::BatchId.eq(batch))
        .filter(sanitization_record::Column::AssetId.eq(device.id))
        .one(&*txn)
        .await?
    {
        return Err(AppError::conflict(
            "already_recorded",
            Some("code"),
            format!(
                "{} is already in this batch ({}, certificate {})",
                device.asset_tag, prev.result, prev.certificate_id
            ),
        ));
    }
    let s = Spec {
        class: MethodClass::parse(&b.method_class).unwrap_or(MethodClass::Purge),
        technique: Technique::parse(&b.technique).unwrap_or(Technique::Overwrite),
        tool: b.tool.clone(),
        tool_version: b.tool_version.clone(),
        operator: b.operator.clone(),
        verification: Verification::parse(&b.verification).unwrap_or(Verification::Full),
        share: b.sample_share,
    };
    let result = input.result.unwrap_or(SanitizationResult::Passed);
    let started = b.started_at.min(ctx.now);
    let r = record_in(&txn, ctx, device, &s, started, ctx.now, result, None, notes, Some(batch))
        .await
        .map_err(|e| e.map_fields(|f| if f == "asset_id" { "code".into() } else { f }))?;
    save_versioned::<sanitization_batch::Entity, _>(&*txn, ctx.now, &b, None, |_| {}).await?;
    txn.commit().await?;
    Ok(r)
}

/// Closes a batch: it takes no more devices.
pub async fn close_batch(db: &Db, ctx: &Ctx, batch: uuid::Uuid, version: i32) -> AppResult<Batch> {
    let txn = db.write().await?;
    let b = open_batch_row(&txn, batch).await?;
    let saved = save_versioned::<sanitization_batch::Entity, _>(&*txn, ctx.now, &b, Some(version), |am| {
        am.status = Set(WorkStatus::Closed.as_str().into());
        am.closed_at = Set(Some(ctx.now));
    })
    .await?;
    let after = Batch::try_from(saved)?;
    audit::record(
        &txn,
        ctx,
        "sanitization.batch_close",
        "sanitization_batch",
        batch,
        snapshot(&Batch::try_from(b)?),
        snapshot(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::certificate_suffix;

    #[test]
    fn issued_certificate_numbers_carry_sixteen_random_hex_digits() {
        let ids: Vec<uuid::Uuid> = (0..100_000).map(|_| uuid::Uuid::now_v7()).collect();
        let suffixes: std::collections::HashSet<String> = ids.iter().map(certificate_suffix).collect();
        assert_eq!(suffixes.len(), ids.len(), "no suffix issued twice");
        let id = uuid::Uuid::parse_str("01a232d9-72df-73da-a66b-a6b7f8b102dd").unwrap();
        assert_eq!(certificate_suffix(&id), "A66BA6B7F8B102DD");
    }
}
