//! Writes on dismantle jobs: open (the expected parts become lines), record a part at the
//! bench, close (every part becomes a standalone item in its destination).

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};

use super::model::{CloseJob, FoundPart, Job, NewJob, RecordPart, Recorded};
use super::query::{job_row, line_of_job, line_rows, lines_of, scanned_line, unrecorded};
use crate::assets::{self, NewAsset, repo};
use crate::audit::{self, snapshot};
use crate::catalog;
use crate::context::Ctx;
use crate::db::entities::{asset, dismantle_job, harvest_line, repair_order};
use crate::db::{Db, WriteTxn, check_version, save_versioned, short_id};
use crate::error::{AppError, AppResult, Problems};
use crate::ids::{AssetId, JobId, ModelId};
use crate::ledger::{self, NewEvent};
use crate::lifecycle::gate;
use crate::lifecycle::pool::{self, NewStay};
use crate::lifecycle::transition::apply;
use crate::rules::{
    AssetKind, Destination, EventKind, LineSource, PartOrigin, State, TestResult, WorkStatus, bom_gaps,
};
use crate::text;

fn number(id: uuid::Uuid) -> String {
    format!("J-{}", short_id(&id))
}

/// The parts a model's bill of materials lists, as `(kind, model, count)`.
async fn bom_of(txn: &WriteTxn, model: Option<uuid::Uuid>) -> AppResult<Vec<(AssetKind, Option<ModelId>, u32)>> {
    let Some(m) = model else { return Ok(Vec::new()) };
    let Some(m) = catalog::by_ids(&**txn, &[ModelId(m)]).await?.pop() else { return Ok(Vec::new()) };
    Ok(m.bom.iter().map(|l| (l.kind, l.model_id, l.count)).collect())
}

#[allow(clippy::too_many_arguments)]
fn line(
    job: uuid::Uuid,
    ordinal: i32,
    source: LineSource,
    asset: Option<uuid::Uuid>,
    kind: AssetKind,
    model: Option<uuid::Uuid>,
    position: String,
    ctx: &Ctx,
) -> harvest_line::Model {
    harvest_line::Model {
        id: uuid::Uuid::now_v7(),
        job_id: job,
        asset_id: asset,
        expected_kind: kind.as_str().into(),
        expected_model_id: model,
        source: source.as_str().into(),
        position,
        ordinal,
        test_result: None,
        grade_functional: None,
        grade_cosmetic: None,
        grade_retail: None,
        mass_kg: None,
        destination: None,
        missing: false,
        recorded_by: None,
        recorded_at: None,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    }
}

/// Opens a dismantle job on a retired or sanitized item: one line per part of its tree,
/// and one per part its model's bill of materials expects beyond the tree.
pub async fn open(db: &Db, ctx: &Ctx, input: NewJob) -> AppResult<Job> {
    let txn = db.write().await?;
    let job = open_in(&txn, ctx, input).await?;
    txn.commit().await?;
    Ok(job)
}

/// [`open`] in the caller's transaction.
pub async fn open_in(txn: &WriteTxn, ctx: &Ctx, input: NewJob) -> AppResult<Job> {
    let mut p = Problems::default();
    let note = text::free_text(&mut p, "note", input.note.as_deref().unwrap_or(""), text::NOTES_MAX);
    p.into_result()?;
    let donor =
        assets::read::resolve(&**txn, input.asset_id, input.asset_code.as_deref(), "asset_id", "asset_code").await?;
    let (_, state) = repo::kind_state(&donor)?;
    if let Some(open) =
        dismantle_job::Entity::find().filter(dismantle_job::Column::OpenAssetId.eq(donor.id)).one(&**txn).await?
    {
        return Err(AppError::conflict(
            "job_open",
            Some("asset_id"),
            format!("{} already has an open dismantle job, {}", donor.asset_tag, number(open.id)),
        ));
    }
    if !state.can_dismantle() {
        return Err(AppError::conflict(
            "illegal_transition",
            Some("asset_id"),
            format!(
                "{} is {state}; a dismantle job opens on a retired or sanitized item (retire it first)",
                donor.asset_tag
            ),
        ));
    }
    if let Some(r) = input.repair_id
        && repair_order::Entity::find_by_id(r.0).one(&**txn).await?.is_none()
    {
        return Err(AppError::invalid("repair_id", format!("no repair order has id {r}")));
    }
    let id = JobId::new();
    let levels = repo::descendant_levels(&**txn, AssetId(donor.id)).await?;
    let mut tags: std::collections::HashMap<uuid::Uuid, String> = std::collections::HashMap::new();
    tags.insert(donor.id, donor.asset_tag.clone());
    let mut lines = Vec::new();
    let mut tree = Vec::new();
    for level in &levels {
        for part in level {
            let kind = AssetKind::parse(&part.kind).unwrap_or(AssetKind::Other);
            let position = part.parent_id.and_then(|p| tags.get(&p).cloned()).unwrap_or_default();
            lines.push(line(
                id.0,
                lines.len() as i32,
                LineSource::Tree,
                Some(part.id),
                kind,
                part.model_id,
                position,
                ctx,
            ));
            tree.push((kind, part.model_id.map(ModelId)));
            tags.insert(part.id, part.asset_tag.clone());
        }
    }
    let bom = bom_of(txn, donor.model_id).await?;
    for (kind, model) in bom_gaps(&bom, &tree) {
        lines.push(line(id.0, lines.len() as i32, LineSource::Bom, None, kind, model.map(|m| m.0), String::new(), ctx));
    }
    let row = dismantle_job::Model {
        id: id.0,
        asset_id: donor.id,
        open_asset_id: Some(donor.id),
        status: WorkStatus::Open.as_str().into(),
        site_id: donor.site_id,
        repair_id: input.repair_id.map(|r| r.0),
        note,
        opened_by: ctx.actor.name.clone(),
        opened_at: ctx.now,
        closed_by: None,
        closed_at: None,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    dismantle_job::Entity::insert(row.clone().into_active_model()).exec_without_returning(&**txn).await?;
    for chunk in lines.chunks(500) {
        harvest_line::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
            .exec_without_returning(&**txn)
            .await?;
    }
    let job = Job::try_from(row)?;
    let mut snap = snapshot(&job);
    if let Some(obj) = snap.as_mut().and_then(|v| v.as_object_mut()) {
        obj.insert("donor".into(), serde_json::json!(donor.asset_tag));
        obj.insert("lines".into(), serde_json::json!(lines.len()));
    }
    audit::record(txn, ctx, "dismantle.open", "dismantle_job", id, None, snap).await?;
    Ok(job)
}

async fn open_job(txn: &WriteTxn, id: JobId) -> AppResult<dismantle_job::Model> {
    let job = job_row(&**txn, id).await?;
    if job.status != WorkStatus::Open.as_str() {
        return Err(AppError::conflict(
            "closed",
            None,
            format!("job {} is closed; it accepts no more parts", number(job.id)),
        ));
    }
    Ok(job)
}

/// Registers a part found at the bench inside the donor, and gives it a line: a gap the
/// bill of materials left for its kind (and model) if there is one, else a new line.
async fn register_found(
    txn: &WriteTxn,
    ctx: &Ctx,
    job: &dismantle_job::Model,
    rows: &[harvest_line::Model],
    code: &str,
    found: FoundPart,
) -> AppResult<harvest_line::Model> {
    let kind = found.kind.ok_or_else(|| {
        AppError::invalid("found.kind", format!("is required to register {code}: one of {}", AssetKind::expected()))
    })?;
    let donor = repo::find(&**txn, AssetId(job.asset_id)).await?;
    let mut n = rows.len() + 1;
    let tag = loop {
        let t = format!("{}-P{n:02}", donor.asset_tag);
        if repo::find_by_tag(&**txn, &t).await?.is_none() {
            break t;
        }
        n += 1;
        if n > rows.len() + 1000 {
            return Err(AppError::Internal(anyhow::anyhow!("no free tag for a part of {}", donor.asset_tag)));
        }
    };
    let new = NewAsset {
        asset_tag: tag,
        serial: Some(code.to_owned()),
        manufacturer: found.manufacturer,
        kind: Some(kind),
        model_id: found.model_id,
        parent_id: Some(AssetId(donor.id)),
        state: Some(State::Retired),
        notes: Some(format!("found at the bench in dismantle job {}", number(job.id))),
        ..Default::default()
    };
    let part = assets::register_in(txn, ctx, vec![new], false)
        .await
        .map_err(|e| e.map_fields(|f| format!("found.{f}")))?
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no row registered")))?;
    let gap = rows.iter().find(|l| {
        l.asset_id.is_none()
            && !l.missing
            && l.destination.is_none()
            && l.expected_kind == kind.as_str()
            && (l.expected_model_id.is_none() || l.expected_model_id == part.model_id)
    });
    match gap {
        Some(g) => {
            save_versioned::<harvest_line::Entity, _>(&**txn, ctx.now, g, None, |am| {
                am.asset_id = Set(Some(part.id));
                am.expected_model_id = Set(part.model_id);
                am.position = Set(donor.asset_tag.clone());
            })
            .await
        }
        None => {
            let ordinal = rows.iter().map(|l| l.ordinal).max().unwrap_or(-1) + 1;
            let l = line(job.id, ordinal, LineSource::Found, Some(part.id), kind, part.model_id, donor.asset_tag, ctx);
            harvest_line::Entity::insert(l.clone().into_active_model()).exec_without_returning(&**txn).await?;
            Ok(l)
        }
    }
}

/// Records one part: its test, grades, mass and destination, or that it is missing.
///
/// The common save, a registered part scanned by its serial or tag, reads everything it
/// checks before the write transaction: every other write waits while one is open (on
/// SQLite for the one writer, on PostgreSQL for the chain head's lock), so the
/// transaction only checks that the job is still open and swaps the line on the version
/// it read. If the line changed meanwhile, or anything is out of the ordinary (a refusal to
/// explain, a part found at the bench, a line picked by id, a part marked missing), the
/// save runs whole inside the transaction instead, which says exactly what happened.
pub async fn record(db: &Db, ctx: &Ctx, id: JobId, input: RecordPart) -> AppResult<Recorded> {
    let mut p = Problems::default();
    let mass = text::number_in(&mut p, "mass_kg", input.mass_kg, 0.0, 10_000.0);
    let code = text::optional_line(&mut p, "code", input.code.as_deref(), text::SERIAL_MAX);
    p.into_result()?;
    if input.missing && (input.destination.is_some() || input.found.is_some()) {
        return Err(AppError::invalid(
            "missing",
            "a missing part has no destination and cannot be registered as found",
        ));
    }
    if let (None, Some(code), false) = (input.line_id, code.as_deref(), input.missing)
        && let Some(done) = record_scanned(db, ctx, id, &input, code, mass).await?
    {
        return Ok(done);
    }
    record_in_txn(db, ctx, id, input, code, mass).await
}

/// [`record`]'s quick path; `None` sends the save down the whole path.
async fn record_scanned(
    db: &Db,
    ctx: &Ctx,
    id: JobId,
    input: &RecordPart,
    code: &str,
    mass: Option<f64>,
) -> AppResult<Option<Recorded>> {
    let conn = db.conn();
    if job_row(conn, id).await?.status != WorkStatus::Open.as_str() {
        return Ok(None);
    }
    let Some((row, part)) = scanned_line(conn, id, code).await? else { return Ok(None) };
    let label = part.asset_tag.clone();
    let Ok(outcome) = decide(conn, &label, &row, Some(&part), input).await else { return Ok(None) };
    let txn = db.write().await?;
    open_job(&txn, id).await?;
    let saved = match write_line(&txn, ctx, id, &row, outcome, input, mass, &label, false).await {
        // Recorded by someone else since it was read.
        Err(AppError::Conflict { code: "concurrent_change", .. }) => return Ok(None),
        other => other?,
    };
    txn.commit().await?;
    Ok(Some(shown_after(db, id, saved, false).await?))
}

/// [`record`] read and written inside the write transaction.
async fn record_in_txn(
    db: &Db,
    ctx: &Ctx,
    id: JobId,
    input: RecordPart,
    code: Option<String>,
    mass: Option<f64>,
) -> AppResult<Recorded> {
    let txn = db.write().await?;
    let job = open_job(&txn, id).await?;
    // The scanned part and its line come through the indexes: a save reads a few rows,
    // not the whole sheet (only a part found at the bench needs the sheet, to fill a gap).
    let mut registered = false;
    let (row, part): (harvest_line::Model, Option<asset::Model>) = match (input.line_id, code.as_deref()) {
        (Some(_), Some(_)) => return Err(AppError::invalid("code", "give code or line_id, not both")),
        (Some(lid), None) => {
            let row = line_of_job(&*txn, id, lid).await?.ok_or_else(|| {
                AppError::invalid("line_id", format!("{lid} is not a line of job {}", number(job.id)))
            })?;
            let part = match row.asset_id {
                Some(a) => Some(repo::find(&*txn, AssetId(a)).await?),
                None => None,
            };
            (row, part)
        }
        (None, Some(code)) => match scanned_line(&*txn, id, code).await? {
            Some((row, part)) => (row, Some(part)),
            None => match assets::find_by_code(&*txn, code).await? {
                Some(other) => {
                    let mut msg = format!("{} ({}) is not a part of {}", code, other.asset_tag, number(job.id));
                    if let Some(prev) = harvest_line::Entity::find()
                        .filter(harvest_line::Column::AssetId.eq(other.id.0))
                        .one(&*txn)
                        .await?
                    {
                        msg.push_str(&format!("; it was harvested in job {}", number(prev.job_id)));
                    }
                    return Err(AppError::conflict("not_in_job", Some("code"), msg));
                }
                None => match input.found.clone() {
                    Some(found) => {
                        registered = true;
                        let rows = line_rows(&*txn, id).await?;
                        let row = register_found(&txn, ctx, &job, &rows, code, found).await?;
                        let part = match row.asset_id {
                            Some(a) => Some(repo::find(&*txn, AssetId(a)).await?),
                            None => None,
                        };
                        (row, part)
                    }
                    None => {
                        return Err(AppError::invalid(
                            "code",
                            format!(
                                "no item has the tag or serial {code}; to add it as found, choose its kind (and model) and save again"
                            ),
                        ));
                    }
                },
            },
        },
        (None, None) => return Err(AppError::invalid("code", "scan a part's serial or tag")),
    };
    let label = part.as_ref().map(|p| p.asset_tag.clone()).unwrap_or_else(|| format!("line {}", row.ordinal + 1));
    let outcome = decide(&*txn, &label, &row, part.as_ref(), &input).await?;
    let saved = write_line(&txn, ctx, id, &row, outcome, &input, mass, &label, registered).await?;
    txn.commit().await?;
    shown_after(db, id, saved, registered).await
}

/// The test and destination a save gives `row`: refused if the line was recorded already,
/// if the client saw another version, if a part is needed and not registered, or if the
/// destination is not allowed for the part (the data gate's included).
async fn decide<C: sea_orm::ConnectionTrait>(
    conn: &C,
    label: &str,
    row: &harvest_line::Model,
    part: Option<&asset::Model>,
    input: &RecordPart,
) -> AppResult<(Option<TestResult>, Option<Destination>)> {
    if row.missing || row.destination.is_some() {
        let what = if row.missing {
            "missing".to_owned()
        } else {
            row.destination
                .as_deref()
                .and_then(Destination::parse)
                .map(|d| d.label().to_lowercase())
                .unwrap_or_default()
        };
        let when = row.recorded_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
        return Err(AppError::conflict(
            "already_recorded",
            Some("code"),
            format!(
                "{label} was already recorded ({what}) by {} at {when}",
                row.recorded_by.clone().unwrap_or_default()
            ),
        ));
    }
    check_version::<harvest_line::Entity>(row, input.version)?;
    if input.missing {
        return Ok((None, None));
    }
    let kind = AssetKind::parse(&row.expected_kind).unwrap_or(AssetKind::Other);
    let Some(part) = part else {
        return Err(AppError::invalid(
            "line_id",
            format!(
                "{label} expects a {} that is not registered: scan its serial to register it, or mark it missing",
                kind.label().to_lowercase()
            ),
        ));
    };
    let test = input.test_result.unwrap_or(TestResult::Passed);
    let dest = input.destination.unwrap_or(if test == TestResult::Failed {
        Destination::RecyclingBin
    } else {
        Destination::SparePool
    });
    let (pk, _) = repo::kind_state(part)?;
    if let Some(why) = dest.refusal(pk, test, gate::clears(conn, part, dest).await?) {
        return Err(AppError::conflict("destination_refused", Some("destination"), format!("{label}: {why}")));
    }
    Ok((Some(test), Some(dest)))
}

/// Writes what [`decide`] gave to the line (compare-and-swap on the version read), with
/// its audit entry.
#[allow(clippy::too_many_arguments)]
async fn write_line(
    txn: &WriteTxn,
    ctx: &Ctx,
    id: JobId,
    row: &harvest_line::Model,
    (test, destination): (Option<TestResult>, Option<Destination>),
    input: &RecordPart,
    mass: Option<f64>,
    label: &str,
    registered: bool,
) -> AppResult<harvest_line::Model> {
    let saved = save_versioned::<harvest_line::Entity, _>(&**txn, ctx.now, row, None, |am| {
        am.test_result = Set(test.map(|t| t.as_str().to_owned()));
        am.grade_functional = Set(input.grade.functional.map(|g| g.as_str().to_owned()));
        am.grade_cosmetic = Set(input.grade.cosmetic.map(|g| g.as_str().to_owned()));
        am.grade_retail = Set(input.grade.retail.map(|g| g.as_str().to_owned()));
        am.mass_kg = Set(mass);
        am.destination = Set(destination.map(|d| d.as_str().to_owned()));
        am.missing = Set(input.missing);
        am.recorded_by = Set(Some(ctx.actor.name.clone()));
        am.recorded_at = Set(Some(ctx.now));
    })
    .await?;
    audit::record(
        txn,
        ctx,
        "dismantle.record",
        "dismantle_job",
        id,
        None,
        Some(serde_json::json!({
            "part": label, "test_result": test, "destination": destination, "missing": input.missing,
            "grade": input.grade, "mass_kg": mass, "registered": registered,
        })),
    )
    .await?;
    Ok(saved)
}

/// What the bench shows after a save (the lines left, the saved line's labels), read after
/// the commit, outside the write transaction.
async fn shown_after(db: &Db, id: JobId, saved: harvest_line::Model, registered: bool) -> AppResult<Recorded> {
    let remaining = unrecorded(db.conn(), id).await? as usize;
    let mut lines = lines_of(db.conn(), std::slice::from_ref(&saved)).await?;
    let line = lines.pop().ok_or_else(|| AppError::Internal(anyhow::anyhow!("line vanished")))?;
    Ok(Recorded { line, registered, remaining })
}

/// Closes a job: refused while a line is unrecorded; then every part becomes a standalone
/// item in its destination's state (missing ones `lost`), with a ledger entry naming the
/// job, and waits in its pool; the donor becomes `dismantled`.
pub async fn close(db: &Db, ctx: &Ctx, id: JobId, input: CloseJob) -> AppResult<Job> {
    let txn = db.write().await?;
    let job = open_job(&txn, id).await?;
    check_version::<dismantle_job::Entity>(&job, Some(input.version))?;
    let rows = line_rows(&*txn, id).await?;
    let lines = lines_of(&*txn, &rows).await?;
    let ids: Vec<uuid::Uuid> = rows.iter().filter_map(|l| l.asset_id).collect();
    let parts: std::collections::HashMap<uuid::Uuid, asset::Model> =
        repo::find_many(&*txn, &ids).await?.into_iter().map(|a| (a.id, a)).collect();
    let open: Vec<String> = lines
        .iter()
        .filter(|l| !l.is_recorded())
        .map(|l| l.asset_tag.clone().unwrap_or_else(|| format!("line {} ({})", l.ordinal + 1, l.kind.label())))
        .collect();
    if !open.is_empty() {
        let shown: Vec<&str> = open.iter().take(10).map(String::as_str).collect();
        return Err(AppError::conflict(
            "unrecorded",
            None,
            format!(
                "{} part(s) have no destination yet: {}{}; record each, or mark it missing",
                open.len(),
                shown.join(", "),
                if open.len() > 10 { ", …" } else { "" }
            ),
        ));
    }
    let mut blocked: Vec<String> = Vec::new();
    for l in &lines {
        let (Some(dest), Some(part)) = (l.destination, l.asset_id.and_then(|a| parts.get(&a.0))) else { continue };
        let ok = gate::clears(&*txn, part, dest).await?;
        if let Some(why) = dest.refusal(l.kind, l.test_result.unwrap_or(TestResult::Untested), ok) {
            blocked.push(format!("{}: {why}", l.asset_tag.clone().unwrap_or_default()));
        }
    }
    if !blocked.is_empty() {
        return Err(AppError::conflict("destination_refused", None, blocked.join("; ")));
    }
    let donor = repo::find(&*txn, AssetId(job.asset_id)).await?;
    let why = format!("harvested in dismantle job {}", number(job.id));
    let payload = serde_json::json!({"job_id": id});

    // Every part leaves the tree first (its parents are all inside the donor).
    let mut events = Vec::new();
    for l in &lines {
        let Some(part) = l.asset_id.and_then(|a| parts.get(&a.0)) else { continue };
        let Some(pid) = part.parent_id else { continue };
        let parent_tag = parts.get(&pid).map(|x| x.asset_tag.clone()).unwrap_or_else(|| donor.asset_tag.clone());
        events.push(
            NewEvent::new(AssetId(part.id), EventKind::Parent, Some(pid.to_string()), None)
                .related(AssetId(pid))
                .reason(why.clone())
                .payload(payload.clone()),
        );
        events.push(
            NewEvent::new(AssetId(pid), EventKind::ChildRemoved, Some(part.asset_tag.clone()), None)
                .related(AssetId(part.id))
                .reason(format!("{why} (from {parent_tag})")),
        );
        repo::save(&*txn, ctx, part, |am| am.parent_id = Set(None)).await?;
    }
    ledger::append(&txn, ctx, events).await?;
    let donor = repo::find(&*txn, AssetId(donor.id)).await?;
    apply(
        &txn,
        ctx,
        donor.clone(),
        State::Dismantled,
        &format!("dismantled in job {}", number(job.id)),
        payload.clone(),
        None,
    )
    .await?;

    let mut harvest_events = Vec::new();
    let (mut harvested, mut missing) = (0u32, 0u32);
    for l in &lines {
        let Some(aid) = l.asset_id else { continue };
        let row = repo::find(&*txn, aid).await?;
        let (kind, state) = repo::kind_state(&row)?;
        let target = match (l.missing, l.destination) {
            (true, _) => State::Lost,
            (false, Some(d)) => d.state_for(kind, state),
            (false, None) => continue,
        };
        let reason = if l.missing { format!("missing at dismantling ({})", number(job.id)) } else { why.clone() };
        if target != state {
            apply(&txn, ctx, row, target, &reason, payload.clone(), None).await?;
        }
        if l.missing {
            missing += 1;
            continue;
        }
        harvested += 1;
        let row = repo::find(&*txn, aid).await?;
        let row = repo::save(&*txn, ctx, &row, |am| {
            if let Some(g) = l.grade.functional {
                am.grade_functional = Set(Some(g.as_str().into()));
            }
            if let Some(g) = l.grade.cosmetic {
                am.grade_cosmetic = Set(Some(g.as_str().into()));
            }
            if let Some(g) = l.grade.retail {
                am.grade_retail = Set(Some(g.as_str().into()));
            }
            if let Some(m) = l.mass_kg {
                am.mass_override_kg = Set(Some(m));
            }
        })
        .await?;
        let dest = l.destination.unwrap_or(Destination::RecyclingBin);
        let test = l.test_result.unwrap_or(TestResult::Untested);
        harvest_events.push(
            NewEvent::new(aid, EventKind::Harvest, None, Some(dest.as_str().into()))
                .related(AssetId(donor.id))
                .reason(format!("{} from {}: {}", number(job.id), donor.asset_tag, test.label().to_lowercase()))
                .payload(
                    serde_json::json!({"job_id": id, "test_result": test, "grade": l.grade, "mass_kg": l.mass_kg}),
                ),
        );
        pool::enter(
            &*txn,
            ctx,
            &row,
            NewStay {
                pool: dest,
                origin: PartOrigin::Harvest,
                donor_id: Some(AssetId(donor.id)),
                job_id: Some(id),
                repair_id: None,
                test_result: test,
            },
        )
        .await?;
    }
    ledger::append(&txn, ctx, harvest_events).await?;
    let before = Job::try_from(job.clone())?;
    let saved = save_versioned::<dismantle_job::Entity, _>(&*txn, ctx.now, &job, None, |am| {
        am.status = Set(WorkStatus::Closed.as_str().into());
        am.open_asset_id = Set(None);
        am.closed_by = Set(Some(ctx.actor.name.clone()));
        am.closed_at = Set(Some(ctx.now));
    })
    .await?;
    let after = Job::try_from(saved)?;
    let mut snap = snapshot(&after);
    if let Some(obj) = snap.as_mut().and_then(|v| v.as_object_mut()) {
        obj.insert("harvested".into(), serde_json::json!(harvested));
        obj.insert("missing".into(), serde_json::json!(missing));
    }
    audit::record(&txn, ctx, "dismantle.close", "dismantle_job", id, snapshot(&before), snap).await?;
    txn.commit().await?;
    Ok(after)
}
