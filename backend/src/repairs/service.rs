//! Writes on repair orders: open, change, remove and install parts, reserve spares, close.
//! Each call is one transaction; the item's and parts' moves go through `lifecycle`.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};

use super::model::{CloseRepair, InstallPart, NewRepair, RemovePart, Repair, RepairPatch, ReserveSpare};
use crate::assets::{self, NewAsset, repo};
use crate::audit::{self, snapshot};
use crate::context::Ctx;
use crate::db::entities::{asset, lifecycle_event, pool_stay, repair_note, repair_order, repair_part};
use crate::db::{Db, WriteTxn, check_version, save_versioned, short_id};
use crate::error::{AppError, AppResult, Problems};
use crate::ids::{AssetId, RepairId};
use crate::ledger::{self, NewEvent};
use crate::lifecycle::pool::{self, NewStay};
use crate::lifecycle::{self, InstallRequest, RemoveRequest, transition::apply};
use crate::rules::{
    Destination, EventKind, FaultCategory, PartAction, PartOrigin, RepairOutcome, State, TestResult, WorkStatus,
};
use crate::text;

fn number(id: uuid::Uuid) -> String {
    format!("R-{}", short_id(&id))
}

/// The order at the version the caller saw, refused when it is closed.
async fn open_order(txn: &WriteTxn, id: RepairId, version: Option<i32>) -> AppResult<repair_order::Model> {
    let row = repair_order::Entity::find_by_id(id.0)
        .one(&**txn)
        .await?
        .ok_or_else(|| AppError::not_found("repair order", id))?;
    check_version::<repair_order::Entity>(&row, version)?;
    if row.status != WorkStatus::Open.as_str() {
        return Err(AppError::conflict(
            "closed",
            None,
            format!("repair {} is closed; it accepts no more changes", number(row.id)),
        ));
    }
    Ok(row)
}

/// Bumps the order's version (every change of its parts counts as a change of the order).
async fn touch(txn: &WriteTxn, ctx: &Ctx, row: &repair_order::Model) -> AppResult<repair_order::Model> {
    save_versioned::<repair_order::Entity, _>(&**txn, ctx.now, row, None, |_| {}).await
}

/// Opens a repair: the item goes to `in_repair` with its parts in the same state.
pub async fn open(db: &Db, ctx: &Ctx, input: NewRepair) -> AppResult<Repair> {
    let mut p = Problems::default();
    let fault = match input.fault_category {
        Some(f) => Some(f),
        None => {
            p.add("fault_category", format!("is required: one of {}", FaultCategory::expected()));
            None
        }
    };
    let description =
        text::free_text(&mut p, "description", input.description.as_deref().unwrap_or(""), text::NOTES_MAX);
    let technician = text::optional_line(&mut p, "technician", input.technician.as_deref(), text::NAME_MAX)
        .unwrap_or_else(|| ctx.actor.name.clone());
    p.into_result()?;
    let fault = fault.unwrap_or(FaultCategory::Other);
    let txn = db.write().await?;
    let item =
        assets::read::resolve(&*txn, input.asset_id, input.asset_code.as_deref(), "asset_id", "asset_code").await?;
    check_version::<asset::Entity>(&item, input.asset_version)?;
    let (_, state) = repo::kind_state(&item)?;
    if let Some(open) =
        repair_order::Entity::find().filter(repair_order::Column::OpenAssetId.eq(item.id)).one(&*txn).await?
    {
        return Err(AppError::conflict(
            "repair_open",
            Some("asset_id"),
            format!("{} already has an open repair, {}", item.asset_tag, number(open.id)),
        ));
    }
    if !state.can_open_repair() {
        return Err(AppError::conflict(
            "illegal_transition",
            Some("asset_id"),
            format!("{} is {}; a repair opens on an item in stock, deployed or redeployed", item.asset_tag, state),
        ));
    }
    let id = RepairId::new();
    let why = format!("repair {} opened: {}", number(id.0), fault.label().to_lowercase());
    let payload = serde_json::json!({"repair_id": id, "fault_category": fault});
    apply(&txn, ctx, item.clone(), State::InRepair, &why, payload.clone(), None).await?;
    ledger::append(
        &txn,
        ctx,
        vec![
            NewEvent::new(AssetId(item.id), EventKind::Repair, None, Some("open".into()))
                .reason(if description.is_empty() { fault.label().to_owned() } else { description.clone() })
                .payload(payload),
        ],
    )
    .await?;
    let row = repair_order::Model {
        id: id.0,
        asset_id: item.id,
        open_asset_id: Some(item.id),
        status: WorkStatus::Open.as_str().into(),
        fault_category: fault.as_str().into(),
        description,
        state_before: state.as_str().into(),
        site_id: item.site_id,
        model_id: item.model_id,
        technician,
        labour_minutes: 0,
        parts_cost: 0.0,
        outcome: None,
        outcome_note: String::new(),
        opened_by: ctx.actor.name.clone(),
        opened_at: ctx.now,
        closed_by: None,
        closed_at: None,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    repair_order::Entity::insert(row.clone().into_active_model()).exec_without_returning(&*txn).await?;
    let repair = Repair::try_from(row)?;
    audit::record(&txn, ctx, "repair.open", "repair_order", id, None, snapshot(&repair)).await?;
    txn.commit().await?;
    Ok(repair)
}

/// Changes technician, labour and parts cost, and adds a diagnosis note.
pub async fn update(db: &Db, ctx: &Ctx, id: RepairId, patch: RepairPatch) -> AppResult<Repair> {
    let mut p = Problems::default();
    let technician = patch.technician.as_deref().map(|t| text::required_line(&mut p, "technician", t, text::NAME_MAX));
    if let Some(m) = patch.labour_minutes
        && !(0..=100_000).contains(&m)
    {
        p.add("labour_minutes", "must be between 0 and 100000 minutes");
    }
    let cost = text::number_in(&mut p, "parts_cost", patch.parts_cost, 0.0, 10_000_000.0);
    let note =
        patch.note.as_deref().map(|n| text::free_text(&mut p, "note", n, text::NOTES_MAX)).filter(|n| !n.is_empty());
    p.into_result()?;
    let txn = db.write().await?;
    let row = open_order(&txn, id, Some(patch.version)).await?;
    let before = Repair::try_from(row.clone())?;
    let saved = save_versioned::<repair_order::Entity, _>(&*txn, ctx.now, &row, None, |am| {
        if let Some(t) = technician {
            am.technician = Set(t);
        }
        if let Some(m) = patch.labour_minutes {
            am.labour_minutes = Set(m);
        }
        if let Some(c) = cost {
            am.parts_cost = Set(c);
        }
    })
    .await?;
    if let Some(body) = &note {
        let n = repair_note::Model {
            id: uuid::Uuid::now_v7(),
            repair_id: id.0,
            author: ctx.actor.name.clone(),
            body: body.clone(),
            created_at: ctx.now,
        };
        repair_note::Entity::insert(n.into_active_model()).exec_without_returning(&*txn).await?;
    }
    let after = Repair::try_from(saved)?;
    let mut snap = snapshot(&after);
    if let (Some(obj), Some(body)) = (snap.as_mut().and_then(|v| v.as_object_mut()), &note) {
        obj.insert("note".into(), serde_json::json!(body));
    }
    audit::record(&txn, ctx, "repair.update", "repair_order", id, snapshot(&before), snap).await?;
    txn.commit().await?;
    Ok(after)
}

/// Adds a diagnosis note (a shorthand for [`update`] with only a note).
pub async fn add_note(db: &Db, ctx: &Ctx, id: RepairId, version: i32, body: String) -> AppResult<Repair> {
    if body.trim().is_empty() {
        return Err(AppError::invalid("note", "is empty: write what you found"));
    }
    update(db, ctx, id, RepairPatch { version, note: Some(body), ..Default::default() }).await
}

/// Whether `part` sits somewhere inside `root`.
async fn inside(conn: &impl sea_orm::ConnectionTrait, part: &asset::Model, root: uuid::Uuid) -> AppResult<bool> {
    Ok(repo::ancestors(conn, part.parent_id).await?.iter().any(|a| a.id == root))
}

/// Removes a part: it keeps its identity and goes to the spare pool (untested) or the
/// recycling bin.
pub async fn remove_part(db: &Db, ctx: &Ctx, id: RepairId, input: RemovePart) -> AppResult<Repair> {
    let destination = match input.destination {
        Some(Destination::Resale) => {
            return Err(AppError::invalid(
                "destination",
                "a part removed in a repair goes to the spare pool or the recycling bin",
            ));
        }
        Some(d) => d,
        None => return Err(AppError::invalid("destination", "is required: spare_pool or recycling_bin")),
    };
    let txn = db.write().await?;
    let row = open_order(&txn, id, Some(input.version)).await?;
    let part = assets::read::resolve(&*txn, input.part_id, input.part_code.as_deref(), "part_id", "part_code").await?;
    if !inside(&*txn, &part, row.asset_id).await? {
        let item = repo::find(&*txn, AssetId(row.asset_id)).await?;
        return Err(AppError::invalid(
            if input.part_id.is_some() { "part_id" } else { "part_code" },
            format!("{} is not installed in {}", part.asset_tag, item.asset_tag),
        ));
    }
    let (kind, state) = repo::kind_state(&part)?;
    let cleared = crate::lifecycle::gate::clears(&*txn, &part, destination).await?;
    if let Some(why) = destination.refusal(kind, TestResult::Untested, cleared) {
        return Err(AppError::conflict(
            "destination_refused",
            Some("destination"),
            format!("{}: {why}", part.asset_tag),
        ));
    }
    let parent = part.parent_id.unwrap_or(row.asset_id);
    let reason =
        input.reason.filter(|r| !r.trim().is_empty()).unwrap_or_else(|| format!("removed in repair {}", number(id.0)));
    let to = destination.state_for(kind, state);
    let change = lifecycle::remove_in(
        &txn,
        ctx,
        AssetId(parent),
        AssetId(part.id),
        RemoveRequest { to_state: Some(to), version: None, reason: Some(reason) },
        false,
    )
    .await?;
    let moved = repo::find(&*txn, change.child.id).await?;
    pool::enter(
        &*txn,
        ctx,
        &moved,
        NewStay {
            pool: destination,
            origin: PartOrigin::RepairRemoval,
            donor_id: Some(AssetId(row.asset_id)),
            job_id: None,
            repair_id: Some(id),
            test_result: TestResult::Untested,
        },
    )
    .await?;
    record_part(&txn, ctx, id, &moved, PartAction::Removed, parent, Some(destination), None).await?;
    let saved = touch(&txn, ctx, &row).await?;
    audit::record(
        &txn,
        ctx,
        "repair.remove_part",
        "repair_order",
        id,
        None,
        Some(serde_json::json!({"part": moved.asset_tag, "destination": destination})),
    )
    .await?;
    txn.commit().await?;
    Repair::try_from(saved)
}

#[allow(clippy::too_many_arguments)]
async fn record_part(
    txn: &WriteTxn,
    ctx: &Ctx,
    id: RepairId,
    part: &asset::Model,
    action: PartAction,
    parent: uuid::Uuid,
    destination: Option<Destination>,
    origin: Option<&str>,
) -> AppResult<()> {
    let row = repair_part::Model {
        id: uuid::Uuid::now_v7(),
        repair_id: id.0,
        asset_id: part.id,
        action: action.as_str().into(),
        parent_id: parent,
        destination: destination.map(|d| d.as_str().to_owned()),
        origin: origin.map(str::to_owned),
        actor: ctx.actor.name.clone(),
        created_at: ctx.now,
    };
    repair_part::Entity::insert(row.into_active_model()).exec_without_returning(&**txn).await?;
    Ok(())
}

/// Installs a part from the spare pool, from stock, or registered on the spot.
pub async fn install_part(db: &Db, ctx: &Ctx, id: RepairId, input: InstallPart) -> AppResult<Repair> {
    let txn = db.write().await?;
    let row = open_order(&txn, id, Some(input.version)).await?;
    let item = repo::find(&*txn, AssetId(row.asset_id)).await?;
    let parent = match input.parent_id {
        None => item.clone(),
        Some(pid) if pid.0 == item.id => item.clone(),
        Some(pid) => {
            let p = match repo::find(&*txn, pid).await {
                Err(AppError::NotFound { .. }) => {
                    return Err(AppError::invalid("parent_id", format!("no asset has id {pid}")));
                }
                other => other?,
            };
            if !inside(&*txn, &p, item.id).await? {
                return Err(AppError::invalid(
                    "parent_id",
                    format!("{} is not part of {}, the item in repair", p.asset_tag, item.asset_tag),
                ));
            }
            p
        }
    };
    let (part, origin) = match input.new_part {
        Some(n) => {
            if input.part_id.is_some() || input.part_code.as_deref().is_some_and(|c| !c.trim().is_empty()) {
                return Err(AppError::invalid("new_part", "give an existing part or a new one, not both"));
            }
            let new = NewAsset {
                asset_tag: n.asset_tag,
                serial: n.serial,
                manufacturer: n.manufacturer,
                kind: n.kind,
                model_id: n.model_id,
                site_id: parent.site_id.map(Into::into),
                state: Some(State::InStock),
                ..Default::default()
            };
            let rows = assets::register_in(&txn, ctx, vec![new], false)
                .await
                .map_err(|e| e.map_fields(|f| format!("new_part.{f}")))?;
            let part =
                rows.into_iter().next().ok_or_else(|| AppError::Internal(anyhow::anyhow!("no row registered")))?;
            (part, "new".to_owned())
        }
        None => {
            let part =
                assets::read::resolve(&*txn, input.part_id, input.part_code.as_deref(), "part_id", "part_code").await?;
            let field = if input.part_id.is_some() { "part_id" } else { "part_code" };
            if let Some(pid) = part.parent_id {
                let holder = repo::find(&*txn, AssetId(pid)).await?;
                return Err(AppError::conflict(
                    "installed_elsewhere",
                    Some(field),
                    format!("{} is installed in {}; remove it there first", part.asset_tag, holder.asset_tag),
                ));
            }
            let (_, s) = repo::kind_state(&part)?;
            let stay = pool::active(&*txn, part.id).await?;
            let origin = match &stay {
                Some(st) if st.pool == Destination::SparePool.as_str() => {
                    if st.origin == PartOrigin::Harvest.as_str() {
                        "harvested"
                    } else {
                        "spare"
                    }
                }
                Some(st) => {
                    let pool = Destination::parse(&st.pool).map(|d| d.label().to_lowercase()).unwrap_or_default();
                    return Err(AppError::conflict(
                        "not_a_spare",
                        Some(field),
                        format!("{} waits in the {pool}, not in the spare pool", part.asset_tag),
                    ));
                }
                None if s == State::InStock => "stock",
                None => {
                    return Err(AppError::conflict(
                        "not_a_spare",
                        Some(field),
                        format!("{} is {s}; only parts in stock or in the spare pool can be installed", part.asset_tag),
                    ));
                }
            };
            (part, origin.to_owned())
        }
    };
    let reason = input
        .reason
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| format!("installed in repair {}", number(id.0)));
    lifecycle::install_in(
        &txn,
        ctx,
        AssetId(parent.id),
        // The bench installs a spare it chose from the pool for this repair: that choice
        // is the confirmation of a site change (recorded in the ledger like any other).
        InstallRequest {
            child_id: Some(AssetId(part.id)),
            child_tag: None,
            version: None,
            reason: Some(reason),
            confirm_site_change: true,
        },
        Some(id.0),
    )
    .await
    .map_err(|e| {
        let ours = if input.part_id.is_some() { "part_id" } else { "part_code" };
        e.map_fields(|f| if f == "child_id" { ours.to_owned() } else { f })
    })?;
    record_part(&txn, ctx, id, &part, PartAction::Installed, parent.id, None, Some(&origin)).await?;
    let saved = touch(&txn, ctx, &row).await?;
    audit::record(
        &txn,
        ctx,
        "repair.install_part",
        "repair_order",
        id,
        None,
        Some(serde_json::json!({"part": part.asset_tag, "into": parent.asset_tag, "origin": origin})),
    )
    .await?;
    txn.commit().await?;
    Repair::try_from(saved)
}

/// Holds a spare for this repair, or gives it back.
pub async fn reserve(db: &Db, ctx: &Ctx, id: RepairId, input: ReserveSpare) -> AppResult<Repair> {
    let txn = db.write().await?;
    let row = open_order(&txn, id, Some(input.version)).await?;
    let part = match repo::find(&*txn, input.part_id).await {
        Err(AppError::NotFound { .. }) => {
            return Err(AppError::invalid("part_id", format!("no asset has id {}", input.part_id)));
        }
        other => other?,
    };
    let stay = match pool::active(&*txn, part.id).await? {
        Some(s) if s.pool == Destination::SparePool.as_str() => s,
        _ => {
            return Err(AppError::conflict(
                "not_a_spare",
                Some("part_id"),
                format!("{} is not waiting in the spare pool", part.asset_tag),
            ));
        }
    };
    match (stay.reserved_for, input.release) {
        (Some(other), false) if other != id.0 => {
            return Err(AppError::conflict(
                "reserved",
                Some("part_id"),
                format!("{} is already reserved for repair {}", part.asset_tag, number(other)),
            ));
        }
        (Some(other), true) if other != id.0 => {
            return Err(AppError::conflict(
                "reserved",
                Some("part_id"),
                format!("{} is reserved for repair {}, not this one", part.asset_tag, number(other)),
            ));
        }
        (None, true) => {
            return Err(AppError::conflict(
                "not_reserved",
                Some("part_id"),
                format!("{} is not reserved", part.asset_tag),
            ));
        }
        _ => {}
    }
    let held = if input.release { None } else { Some(id) };
    pool::reserve(&*txn, ctx, &stay, None, held).await?;
    let saved = touch(&txn, ctx, &row).await?;
    let action = if input.release { "repair.release_spare" } else { "repair.reserve_spare" };
    audit::record(&txn, ctx, action, "repair_order", id, None, Some(serde_json::json!({"part": part.asset_tag})))
        .await?;
    txn.commit().await?;
    Repair::try_from(saved)
}

/// The state the item had before its latest move into `in_repair`, as its ledger says.
async fn state_before_repair(txn: &WriteTxn, item: uuid::Uuid) -> AppResult<Option<State>> {
    let last = lifecycle_event::Entity::find()
        .filter(lifecycle_event::Column::AssetId.eq(item))
        .filter(lifecycle_event::Column::Kind.eq(EventKind::State.as_str()))
        .filter(lifecycle_event::Column::ToValue.eq(State::InRepair.as_str()))
        .order_by_desc(lifecycle_event::Column::Id)
        .one(&**txn)
        .await?;
    Ok(last.and_then(|e| e.from_value).as_deref().and_then(State::parse))
}

/// Closes a repair with its outcome: the item returns to the state it had before the
/// repair (its parts in repair with it), or is retired when it is not repairable. Spares
/// still reserved for the order are released.
pub async fn close(db: &Db, ctx: &Ctx, id: RepairId, input: CloseRepair) -> AppResult<Repair> {
    let outcome = input
        .outcome
        .ok_or_else(|| AppError::invalid("outcome", format!("is required: one of {}", RepairOutcome::expected())))?;
    let mut p = Problems::default();
    let note = text::free_text(&mut p, "note", input.note.as_deref().unwrap_or(""), text::NOTES_MAX);
    p.into_result()?;
    let txn = db.write().await?;
    let row = open_order(&txn, id, Some(input.version)).await?;
    let item = repo::find(&*txn, AssetId(row.asset_id)).await?;
    let (_, state) = repo::kind_state(&item)?;
    let before =
        state_before_repair(&txn, item.id).await?.or_else(|| State::parse(&row.state_before)).unwrap_or(State::InStock);
    let target = outcome.closing_state(before);
    let why = format!("repair {} closed: {}", number(id.0), outcome.label().to_lowercase());
    let payload = serde_json::json!({"repair_id": id, "outcome": outcome});
    if state == State::InRepair {
        apply(&txn, ctx, item.clone(), target, &why, payload.clone(), None).await?;
    }
    ledger::append(
        &txn,
        ctx,
        vec![
            NewEvent::new(AssetId(item.id), EventKind::Repair, Some("open".into()), Some(outcome.as_str().into()))
                .reason(if note.is_empty() { why.clone() } else { note.clone() })
                .payload(payload),
        ],
    )
    .await?;
    for stay in pool_stay::Entity::find().filter(pool_stay::Column::ReservedFor.eq(id.0)).all(&*txn).await? {
        if stay.active_asset_id.is_some() {
            pool::reserve(&*txn, ctx, &stay, None, None).await?;
        }
    }
    let before_snap = Repair::try_from(row.clone())?;
    let saved = save_versioned::<repair_order::Entity, _>(&*txn, ctx.now, &row, None, |am| {
        am.status = Set(WorkStatus::Closed.as_str().into());
        am.open_asset_id = Set(None);
        am.outcome = Set(Some(outcome.as_str().into()));
        am.outcome_note = Set(note);
        am.closed_by = Set(Some(ctx.actor.name.clone()));
        am.closed_at = Set(Some(ctx.now));
    })
    .await?;
    let after = Repair::try_from(saved)?;
    audit::record(&txn, ctx, "repair.close", "repair_order", id, snapshot(&before_snap), snapshot(&after)).await?;
    txn.commit().await?;
    Ok(after)
}
