//! Writes on recycling lots: create and edit an open lot, add and remove items (each
//! through the sanitization gate), ship (every item and everything in it to
//! `in_recycling`, in one transaction and in batches), the custody log, and the recovery
//! report (every item to `recovered`).

use std::collections::HashSet;

use chrono::{Duration, NaiveDate, SubsecRound};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::model::{
    AddItems, CustodyEntry, Lot, LotChange, LotPatch, NewCustody, NewLot, NewReport, RemoveItems, ShipLot, number,
};
use super::query::{contents_of, expected_now, in_lots, item_rows, lot_contents, lot_row};
use crate::assets::{self, repo};
use crate::audit::{self, snapshot};
use crate::context::Ctx;
use crate::db::entities::{asset, custody_event, recovery_report, recycling_lot, recycling_lot_item};
use crate::db::{Db, WriteTxn, check_version, save_versioned};
use crate::error::{AppError, AppResult, Problems};
use crate::ids::{LotId, VendorId};
use crate::lifecycle::{self, pool};
use crate::rules::eol::export_needs_override;
use crate::rules::{Destination, LotStatus, Material, State, TreatmentRoute};
use crate::sanitization::gate::Release;
use crate::text;
use crate::vendors::{self, Vendor};

/// Most items one add names or takes.
pub const MAX_ADD: usize = 20_000;
/// Heaviest weight the scale fields accept, in kg.
const MAX_KG: f64 = 1_000_000.0;
/// Most blockers one refusal names.
const NAMED: usize = 20;

fn named(list: &[String]) -> String {
    let more = if list.len() > NAMED { format!(" and {} more", list.len() - NAMED) } else { String::new() };
    format!("{}{more}", list.iter().take(NAMED).cloned().collect::<Vec<_>>().join("; "))
}

/// The lot, refused unless it is still open.
async fn open_lot(txn: &WriteTxn, id: LotId, version: Option<i32>) -> AppResult<recycling_lot::Model> {
    let lot = lot_row(&**txn, id).await?;
    if lot.status != LotStatus::Open.as_str() {
        return Err(AppError::conflict(
            "shipped",
            None,
            format!("lot {} is {}: a shipped lot's contents and details no longer change", number(&lot.id), lot.status),
        ));
    }
    check_version::<recycling_lot::Entity>(&lot, version)?;
    Ok(lot)
}

/// A vendor for a lot on `day`: refused (409 `uncertified_vendor`) when it holds no valid
/// e-waste certification, unless the caller accepts that (or someone already did).
async fn vendor_for(txn: &WriteTxn, id: VendorId, day: NaiveDate, accepted: bool) -> AppResult<Vendor> {
    let (v, standing) = match vendors::standing_of(&**txn, id, day).await {
        Err(AppError::NotFound { .. }) => {
            return Err(AppError::invalid("vendor_id", format!("no downstream vendor has id {id}")));
        }
        other => other?,
    };
    if !standing.certified && !accepted {
        return Err(AppError::conflict(
            "uncertified_vendor",
            Some("accept_uncertified"),
            format!(
                "{} cannot take the lot as things stand: {}. Confirm (accept_uncertified) to assign it anyway; that is recorded in the audit trail",
                v.name,
                standing.warnings.join("; ")
            ),
        ));
    }
    Ok(v)
}

fn weight(p: &mut Problems, field: &str, v: Option<f64>) -> Option<f64> {
    text::number_in(p, field, v, 0.0, MAX_KG)
}

pub async fn create(db: &Db, ctx: &Ctx, input: NewLot) -> AppResult<Lot> {
    let mut p = Problems::default();
    let reference = text::optional_line(&mut p, "reference", input.reference.as_deref(), 100).unwrap_or_default();
    let note = text::free_text(&mut p, "note", input.note.as_deref().unwrap_or(""), text::NOTES_MAX);
    p.into_result()?;
    let txn = db.write().await?;
    let mut accepted_by = None;
    let mut warnings = Vec::new();
    if let Some(v) = input.vendor_id {
        let vendor = vendor_for(&txn, v, ctx.now.date_naive(), input.accept_uncertified).await?;
        if !vendor.standing.certified {
            accepted_by = Some(ctx.actor.name.clone());
        }
        warnings = vendor.standing.warnings;
    }
    let id = LotId::new();
    let row = recycling_lot::Model {
        id: id.0,
        reference,
        status: LotStatus::Open.as_str().to_owned(),
        vendor_id: input.vendor_id.map(|v| v.0),
        route: input.route.map(|r| r.as_str().to_owned()),
        planned_ship_on: input.planned_ship_on,
        shipped_on: None,
        shipped_by: None,
        shipped_at: None,
        gross_kg: None,
        tare_kg: None,
        transport_doc: String::new(),
        hazardous: None,
        export_override_reason: String::new(),
        vendor_accepted_by: accepted_by,
        registered_kg: None,
        contents_count: None,
        note,
        created_by: ctx.actor.name.clone(),
        recovered_at: None,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    recycling_lot::Entity::insert(row.clone().into_active_model()).exec_without_returning(&*txn).await?;
    let lot = Lot::try_from(row)?;
    let mut snap = snapshot(&lot);
    if let Some(o) = snap.as_mut().and_then(|v| v.as_object_mut()) {
        o.insert("vendor_warnings".into(), serde_json::json!(warnings));
    }
    audit::record(&txn, ctx, "recycling_lot.create", "recycling_lot", id, None, snap).await?;
    txn.commit().await?;
    Ok(lot)
}

/// Edits an open lot: reference, vendor (checked as at creation), route, planned date,
/// weights, transport document, note.
pub async fn update(db: &Db, ctx: &Ctx, id: LotId, patch: LotPatch) -> AppResult<Lot> {
    let txn = db.write().await?;
    let current = open_lot(&txn, id, Some(patch.version)).await?;
    let mut p = Problems::default();
    let reference = match patch.reference.as_deref() {
        Some(r) => text::optional_line(&mut p, "reference", Some(r), 100).unwrap_or_default(),
        None => current.reference.clone(),
    };
    let gross = patch.gross_kg.map_or(current.gross_kg, |g| weight(&mut p, "gross_kg", g));
    let tare = patch.tare_kg.map_or(current.tare_kg, |t| weight(&mut p, "tare_kg", t));
    if let (Some(g), Some(t)) = (gross, tare)
        && t >= g
        && p.is_empty()
    {
        p.add("tare_kg", format!("must be less than the gross weight ({g} kg)"));
    }
    let doc = match patch.transport_doc.as_deref() {
        Some(d) => text::optional_line(&mut p, "transport_doc", Some(d), 100).unwrap_or_default(),
        None => current.transport_doc.clone(),
    };
    let note = match patch.note.as_deref() {
        Some(n) => text::free_text(&mut p, "note", n, text::NOTES_MAX),
        None => current.note.clone(),
    };
    p.into_result()?;
    let vendor = patch.vendor_id.map_or(current.vendor_id, |v| v.map(|v| v.0));
    let mut accepted_by = current.vendor_accepted_by.clone();
    let mut warnings = Vec::new();
    if vendor != current.vendor_id {
        accepted_by = None;
        if let Some(v) = vendor {
            let vendor = vendor_for(&txn, VendorId(v), ctx.now.date_naive(), patch.accept_uncertified).await?;
            if !vendor.standing.certified {
                accepted_by = Some(ctx.actor.name.clone());
            }
            warnings = vendor.standing.warnings;
        }
    }
    let route = patch.route.map_or(current.route.clone(), |r| r.map(|r| r.as_str().to_owned()));
    let planned = patch.planned_ship_on.unwrap_or(current.planned_ship_on);
    let before = Lot::try_from(current.clone())?;
    let saved = save_versioned::<recycling_lot::Entity, _>(&*txn, ctx.now, &current, None, |am| {
        am.reference = Set(reference);
        am.vendor_id = Set(vendor);
        am.vendor_accepted_by = Set(accepted_by);
        am.route = Set(route);
        am.planned_ship_on = Set(planned);
        am.gross_kg = Set(gross);
        am.tare_kg = Set(tare);
        am.transport_doc = Set(doc);
        am.note = Set(note);
    })
    .await?;
    let after = Lot::try_from(saved)?;
    let mut snap = snapshot(&after);
    if let Some(o) = snap.as_mut().and_then(|v| v.as_object_mut()) {
        o.insert("vendor_warnings".into(), serde_json::json!(warnings));
    }
    audit::record(&txn, ctx, "recycling_lot.update", "recycling_lot", id, snapshot(&before), snap).await?;
    txn.commit().await?;
    Ok(after)
}

/// Adds items to an open lot: each must be standalone, allowed to go to `in_recycling`
/// with everything in it, in no other lot and not on the harvest bench, and pass the
/// sanitization gate. All or nothing, naming every item refused.
pub async fn add_items(db: &Db, ctx: &Ctx, id: LotId, input: AddItems) -> AppResult<LotChange> {
    let mut p = Problems::default();
    let codes: Vec<String> = input
        .codes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| text::optional_line(&mut p, &format!("codes[{i}]"), Some(c), text::SERIAL_MAX))
        .collect();
    if input.asset_ids.len() + codes.len() > MAX_ADD {
        p.add("asset_ids", format!("at most {MAX_ADD} items at a time"));
    }
    p.into_result()?;
    let txn = db.write().await?;
    let lot = open_lot(&txn, id, Some(input.version)).await?;
    let mut ids: Vec<Uuid> = input.asset_ids.iter().map(|a| a.0).collect();
    for (i, code) in codes.iter().enumerate() {
        match assets::find_by_code(&*txn, code).await? {
            Some(a) => ids.push(a.id.0),
            None => {
                return Err(AppError::invalid(format!("codes[{i}]"), format!("no item has the tag or serial {code}")));
            }
        }
    }
    let explicit: HashSet<Uuid> = ids.iter().copied().collect();
    if input.from_recycling_bin {
        let bin: Vec<Uuid> =
            pool::waiting_in(&*txn, Destination::RecyclingBin).await?.iter().map(|s| s.asset_id).collect();
        let taken = in_lots(&*txn, &bin).await?;
        ids.extend(bin.into_iter().filter(|b| !taken.contains_key(b)));
    }
    let mut seen = HashSet::new();
    ids.retain(|i| seen.insert(*i));
    if ids.is_empty() {
        let why = if input.from_recycling_bin {
            "the recycling bin holds nothing that is not in a lot already"
        } else {
            "name at least one item (asset_ids, codes or from_recycling_bin)"
        };
        return Err(AppError::invalid("asset_ids", why));
    }
    let rows: Vec<asset::Model> = repo::find_many(&*txn, &ids).await?;
    if rows.len() < ids.len() {
        let found: HashSet<Uuid> = rows.iter().map(|r| r.id).collect();
        let missing: Vec<String> = ids.iter().filter(|i| !found.contains(i)).map(|i| i.to_string()).collect();
        return Err(AppError::invalid("asset_ids", format!("no asset has id {}", missing.join(", "))));
    }
    let mut blockers = Vec::new();
    let elsewhere = in_lots(&*txn, &ids).await?;
    for r in &rows {
        if let Some(l) = elsewhere.get(&r.id) {
            let which = if *l == lot.id { "this lot".to_owned() } else { format!("lot {}", number(l)) };
            blockers.push(format!("{} is already in {which}", r.asset_tag));
        }
    }
    let mut plan = lifecycle::plan_many(&*txn, &rows, State::InRecycling).await?;
    blockers.extend(plan.blockers.iter().cloned());
    if !blockers.is_empty() {
        let explicit_blocked = rows.iter().any(|r| explicit.contains(&r.id));
        return Err(AppError::conflict(
            "not_addable",
            Some(if explicit_blocked { "asset_ids" } else { "from_recycling_bin" }),
            format!("{} item(s) cannot go into lot {}: {}", blockers.len(), number(&lot.id), named(&blockers)),
        ));
    }
    // The gate on the trees the plan read.
    let what = match rows.as_slice() {
        [one] => one.asset_tag.clone(),
        _ => format!("the {} items", rows.len()),
    };
    plan.gate(&*txn, &what, Release::Recycling).await?;
    let new_rows: Vec<recycling_lot_item::ActiveModel> = rows
        .iter()
        .map(|r| {
            recycling_lot_item::Model {
                id: Uuid::now_v7(),
                lot_id: lot.id,
                asset_id: r.id,
                included_asset_id: Some(r.id),
                added_by: ctx.actor.name.clone(),
                added_at: ctx.now,
                removed_by: None,
                removed_at: None,
                version: 1,
                created_at: ctx.now,
                updated_at: ctx.now,
            }
            .into_active_model()
        })
        .collect();
    let mut new_rows = new_rows;
    while !new_rows.is_empty() {
        let rest = new_rows.split_off(new_rows.len().min(500));
        recycling_lot_item::Entity::insert_many(std::mem::replace(&mut new_rows, rest))
            .exec_without_returning(&*txn)
            .await?;
    }
    let saved = save_versioned::<recycling_lot::Entity, _>(&*txn, ctx.now, &lot, None, |_| {}).await?;
    let tags: Vec<&str> = rows.iter().take(100).map(|r| r.asset_tag.as_str()).collect();
    audit::record(
        &txn,
        ctx,
        "recycling_lot.add_items",
        "recycling_lot",
        id,
        None,
        Some(serde_json::json!({"added": rows.len(), "tags": tags, "from_recycling_bin": input.from_recycling_bin})),
    )
    .await?;
    txn.commit().await?;
    Ok(LotChange { lot: Lot::try_from(saved)?, changed: rows.len() })
}

/// Takes items out of an open lot (they stay where they are, in no lot).
pub async fn remove_items(db: &Db, ctx: &Ctx, id: LotId, input: RemoveItems) -> AppResult<LotChange> {
    let txn = db.write().await?;
    let lot = open_lot(&txn, id, Some(input.version)).await?;
    if input.asset_ids.is_empty() {
        return Err(AppError::invalid("asset_ids", "name at least one item to take out"));
    }
    let items = item_rows(&*txn, id).await?;
    let mut tags = Vec::new();
    for a in &input.asset_ids {
        let Some(item) = items.iter().find(|i| i.asset_id == a.0) else {
            return Err(AppError::invalid("asset_ids", format!("{a} is not in lot {}", number(&lot.id))));
        };
        save_versioned::<recycling_lot_item::Entity, _>(&*txn, ctx.now, item, None, |am| {
            am.included_asset_id = Set(None);
            am.removed_by = Set(Some(ctx.actor.name.clone()));
            am.removed_at = Set(Some(ctx.now));
        })
        .await?;
        tags.push(repo::find(&*txn, *a).await?.asset_tag);
    }
    let saved = save_versioned::<recycling_lot::Entity, _>(&*txn, ctx.now, &lot, None, |_| {}).await?;
    audit::record(
        &txn,
        ctx,
        "recycling_lot.remove_items",
        "recycling_lot",
        id,
        None,
        Some(serde_json::json!({"removed": tags.len(), "tags": tags})),
    )
    .await?;
    txn.commit().await?;
    Ok(LotChange { lot: Lot::try_from(saved)?, changed: tags.len() })
}

/// Ships an open lot: checks the vendor (certification, export rule), the weights and the
/// transport document, runs every item and everything in it through the gate again, then
/// moves them all to `in_recycling` in one transaction, in batches.
pub async fn ship(db: &Db, ctx: &Ctx, id: LotId, input: ShipLot) -> AppResult<Lot> {
    let txn = db.write().await?;
    let lot = open_lot(&txn, id, Some(input.version)).await?;
    let today = ctx.now.date_naive();
    let mut p = Problems::default();
    let gross = weight(&mut p, "gross_kg", input.gross_kg.or(lot.gross_kg));
    let tare = weight(&mut p, "tare_kg", input.tare_kg.or(lot.tare_kg));
    match (gross, tare) {
        (None, _) => p.add("gross_kg", "weigh the lot: the gross weight at the scale is required to ship"),
        (_, None) => p.add("tare_kg", "the tare (pallets and packaging) is required to ship; 0 if none"),
        (Some(g), Some(t)) if t >= g && p.is_empty() => {
            p.add("tare_kg", format!("must be less than the gross weight ({g} kg)"))
        }
        _ => {}
    }
    let doc = match input.transport_doc.as_deref() {
        Some(d) => text::optional_line(&mut p, "transport_doc", Some(d), 100),
        None => Some(lot.transport_doc.clone()).filter(|d| !d.is_empty()),
    };
    if doc.is_none() {
        p.add("transport_doc", "the transport document's number is required to ship");
    }
    let shipped_on = input.shipped_on.unwrap_or(today);
    if shipped_on > today {
        p.add("shipped_on", "is in the future: ship when the truck leaves");
    }
    if lot.vendor_id.is_none() {
        p.add("vendor_id", "assign a downstream vendor before shipping");
    }
    if lot.route.is_none() {
        p.add("route", "choose the treatment route before shipping");
    }
    let override_reason =
        text::optional_line(&mut p, "export_override_reason", input.export_override_reason.as_deref(), 1000);
    p.into_result()?;
    let Some(vendor_id) = lot.vendor_id else { return Err(AppError::invalid("vendor_id", "no vendor")) };
    let accepted = lot.vendor_accepted_by.is_some() || input.accept_uncertified;
    let vendor = vendor_for(&txn, VendorId(vendor_id), shipped_on, accepted).await?;
    let accepted_by = if vendor.standing.certified {
        None
    } else {
        lot.vendor_accepted_by.clone().or_else(|| Some(ctx.actor.name.clone()))
    };

    let items = item_rows(&*txn, id).await?;
    if items.is_empty() {
        return Err(AppError::conflict(
            "empty",
            None,
            format!("lot {} holds no items: add some first", number(&lot.id)),
        ));
    }
    let ids: Vec<Uuid> = items.iter().map(|i| i.asset_id).collect();
    let roots = repo::find_many(&*txn, &ids).await?;
    let mut plan = lifecycle::plan_many(&*txn, &roots, State::InRecycling).await?;
    if let Some(e) = plan.refusal(State::InRecycling) {
        return Err(e);
    }
    // The data gate on the trees just read (`apply_plan` then knows they passed).
    plan.gate(&*txn, &format!("lot {}", number(&lot.id)), Release::Recycling).await?;
    let parts: Vec<asset::Model> =
        plan.rows().iter().filter(|(_, root)| root.is_some()).map(|(r, _)| r.clone()).collect();
    let c = contents_of(&*txn, roots.clone(), parts).await?;
    let hazardous = c.hazardous();
    let needs_override = export_needs_override(&vendor.country, hazardous);
    if needs_override && override_reason.is_none() {
        return Err(AppError::conflict(
            "export_refused",
            Some("export_override_reason"),
            format!(
                "lot {} holds hazardous e-waste (circuit boards, batteries, drives) and {} is in {}, outside Basel Annex VII (OECD, EU, Liechtenstein): e-Stewards forbids the export. Give export_override_reason to ship anyway; it is recorded in the audit trail",
                number(&lot.id),
                vendor.name,
                vendor.country
            ),
        ));
    }
    let reason = format!("shipped in recycling lot {} to {}", number(&lot.id), vendor.name);
    let payload = serde_json::json!({"lot_id": id, "vendor_id": vendor.id});
    let moved = lifecycle::apply_plan(&txn, ctx, &roots, plan, State::InRecycling, &reason, payload).await?;
    let before = Lot::try_from(lot.clone())?;
    let registered = c.registered_kg();
    let override_kept = if needs_override { override_reason.clone().unwrap_or_default() } else { String::new() };
    let saved = save_versioned::<recycling_lot::Entity, _>(&*txn, ctx.now, &lot, None, |am| {
        am.status = Set(LotStatus::Shipped.as_str().to_owned());
        am.shipped_on = Set(Some(shipped_on));
        am.shipped_by = Set(Some(ctx.actor.name.clone()));
        am.shipped_at = Set(Some(ctx.now));
        am.gross_kg = Set(gross);
        am.tare_kg = Set(tare);
        am.transport_doc = Set(doc.clone().unwrap_or_default());
        am.hazardous = Set(Some(hazardous));
        am.export_override_reason = Set(override_kept.clone());
        am.vendor_accepted_by = Set(accepted_by.clone());
        am.registered_kg = Set(Some(registered));
        am.contents_count = Set(Some(moved as i32));
    })
    .await?;
    let after = Lot::try_from(saved)?;
    audit::record(&txn, ctx, "recycling_lot.ship", "recycling_lot", id, snapshot(&before), snapshot(&after)).await?;
    if needs_override {
        audit::record(
            &txn,
            ctx,
            "recycling_lot.export_override",
            "recycling_lot",
            id,
            None,
            Some(serde_json::json!({
                "reason": override_kept, "vendor": vendor.name, "country": vendor.country, "hazardous": hazardous,
            })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(after)
}

/// Appends one hand-off to a shipped lot's chain of custody (entries are never changed):
/// in time order, not before the lot shipped, not in the future.
pub async fn add_custody(db: &Db, ctx: &Ctx, id: LotId, input: NewCustody) -> AppResult<CustodyEntry> {
    let mut p = Problems::default();
    let handed = text::required_line(&mut p, "handed_over_by", &input.handed_over_by, text::NAME_MAX);
    let received = text::required_line(&mut p, "received_by", &input.received_by, text::NAME_MAX);
    let org = text::required_line(&mut p, "organisation", &input.organisation, text::NAME_MAX);
    let place = text::required_line(&mut p, "place", &input.place, text::NAME_MAX);
    let note = text::free_text(&mut p, "note", input.note.as_deref().unwrap_or(""), 2000);
    let at = input.occurred_at.map(|t| t.trunc_subsecs(6));
    match at {
        None => p.add("occurred_at", "when the hand-off happened is required"),
        Some(t) if t > ctx.now + Duration::minutes(10) => p.add("occurred_at", "is in the future"),
        _ => {}
    }
    p.into_result()?;
    let Some(at) = at else { return Err(AppError::invalid("occurred_at", "is required")) };
    let txn = db.write().await?;
    let lot = lot_row(&*txn, id).await?;
    if lot.status == LotStatus::Open.as_str() {
        return Err(AppError::conflict(
            "not_shipped",
            None,
            format!("lot {} has not shipped: its chain of custody begins when it leaves", number(&lot.id)),
        ));
    }
    if let Some(day) = lot.shipped_on
        && at.date_naive() < day
    {
        return Err(AppError::invalid("occurred_at", format!("is before the lot shipped ({day})")));
    }
    let last = custody_event::Entity::find()
        .filter(custody_event::Column::LotId.eq(id.0))
        .order_by_desc(custody_event::Column::Ordinal)
        .one(&*txn)
        .await?;
    if let Some(l) = &last
        && at < l.occurred_at
    {
        return Err(AppError::invalid(
            "occurred_at",
            format!(
                "is before the previous hand-off ({}, {} to {}): the chain of custody runs forward",
                l.occurred_at.format("%Y-%m-%d %H:%M"),
                l.handed_over_by,
                l.received_by
            ),
        ));
    }
    let row = custody_event::Model {
        id: Uuid::now_v7(),
        lot_id: id.0,
        ordinal: last.map(|l| l.ordinal + 1).unwrap_or(1),
        handed_over_by: handed,
        received_by: received,
        organisation: org,
        place,
        occurred_at: at,
        note,
        recorded_by: ctx.actor.name.clone(),
        created_at: ctx.now,
    };
    custody_event::Entity::insert(row.clone().into_active_model()).exec_without_returning(&*txn).await?;
    let entry = CustodyEntry::from(row);
    audit::record(&txn, ctx, "recycling_lot.custody", "recycling_lot", id, None, snapshot(&entry)).await?;
    txn.commit().await?;
    Ok(entry)
}

/// Enters the recycler's report on a shipped lot: the figures must add up to no more than
/// the lot's net weight; every item and everything in it becomes `recovered`.
pub async fn enter_report(db: &Db, ctx: &Ctx, id: LotId, input: NewReport) -> AppResult<Lot> {
    let mut p = Problems::default();
    let cert = text::required_line(&mut p, "certificate_id", &input.certificate_id, 100);
    let note = text::free_text(&mut p, "note", input.note.as_deref().unwrap_or(""), text::NOTES_MAX);
    let today = ctx.now.date_naive();
    match input.certificate_date {
        None => p.add("certificate_date", "the certificate of recycling's date is required"),
        Some(d) if d > today => p.add("certificate_date", "is in the future"),
        _ => {}
    }
    let mut seen: HashSet<Material> = HashSet::new();
    for (i, m) in input.materials.iter().enumerate() {
        text::number_in(&mut p, &format!("materials[{i}].kg"), Some(m.kg), 0.0, MAX_KG);
        if !seen.insert(m.material) {
            p.add(format!("materials[{i}].material"), format!("{} is listed twice", m.material));
        }
    }
    text::number_in(&mut p, "energy_recovery_kg", Some(input.energy_recovery_kg), 0.0, MAX_KG);
    text::number_in(&mut p, "disposal_kg", Some(input.disposal_kg), 0.0, MAX_KG);
    p.into_result()?;
    let txn = db.write().await?;
    let lot = lot_row(&*txn, id).await?;
    match LotStatus::parse(&lot.status) {
        Some(LotStatus::Open) => {
            return Err(AppError::conflict(
                "not_shipped",
                None,
                format!("lot {} has not shipped yet: a recovery report follows the shipment", number(&lot.id)),
            ));
        }
        Some(LotStatus::Recovered) => {
            return Err(AppError::conflict(
                "reported",
                None,
                format!("lot {} already has its recovery report", number(&lot.id)),
            ));
        }
        _ => {}
    }
    check_version::<recycling_lot::Entity>(&lot, Some(input.version))?;
    let net = match (lot.gross_kg, lot.tare_kg) {
        (Some(g), Some(t)) => g - t,
        _ => return Err(AppError::Internal(anyhow::anyhow!("shipped lot {} has no weights", lot.id))),
    };
    let recovered: f64 = input.materials.iter().map(|m| m.kg).sum();
    let mut p = Problems::default();
    if let (Some(shipped), Some(d)) = (lot.shipped_on, input.certificate_date)
        && d < shipped
    {
        p.add("certificate_date", format!("is before the lot shipped ({shipped})"));
    }
    let eps = 1e-9;
    if recovered > net + eps {
        p.add(
            "materials",
            format!("the recovered masses add up to {recovered:.3} kg, more than the lot's net weight of {net:.3} kg"),
        );
    } else if recovered + input.energy_recovery_kg + input.disposal_kg > net + eps {
        p.add(
            "disposal_kg",
            format!(
                "recovered, energy recovery and disposal add up to {:.3} kg, more than the lot's net weight of {net:.3} kg",
                recovered + input.energy_recovery_kg + input.disposal_kg
            ),
        );
    }
    p.into_result()?;
    // The estimate the report is set against, kept with it: what the lot held (its
    // contents as they left, the masses and factors in force now).
    let (_, contents) = lot_contents(&*txn, id).await?;
    let route = lot.route.as_deref().and_then(TreatmentRoute::parse);
    let expected = expected_now(&*txn, route, &contents).await?;
    let expected = serde_json::to_value(&expected).map_err(|e| AppError::Internal(e.into()))?;
    // Items written off while at the recycler (lost) stay as they are.
    let roots: Vec<asset::Model> =
        contents.roots.into_iter().filter(|r| r.state == State::InRecycling.as_str()).collect();
    let reason = format!("recovered: certificate of recycling {cert} ({})", number(&lot.id));
    let payload = serde_json::json!({"lot_id": id, "certificate_id": cert});
    lifecycle::apply_many(&txn, ctx, &roots, State::Recovered, &reason, payload).await?;
    let materials = serde_json::to_value(&input.materials).map_err(|e| AppError::Internal(e.into()))?;
    let report = recovery_report::Model {
        id: Uuid::now_v7(),
        lot_id: id.0,
        certificate_id: cert,
        certificate_date: input.certificate_date.unwrap_or(today),
        materials,
        energy_recovery_kg: input.energy_recovery_kg,
        disposal_kg: input.disposal_kg,
        note,
        expected: Some(expected),
        entered_by: ctx.actor.name.clone(),
        created_at: ctx.now,
    };
    recovery_report::Entity::insert(report.clone().into_active_model()).exec_without_returning(&*txn).await?;
    let saved = save_versioned::<recycling_lot::Entity, _>(&*txn, ctx.now, &lot, None, |am| {
        am.status = Set(LotStatus::Recovered.as_str().to_owned());
        am.recovered_at = Set(Some(ctx.now));
    })
    .await?;
    let after = Lot::try_from(saved)?;
    let report = super::model::RecoveryReport::try_from(report)?;
    audit::record(&txn, ctx, "recycling_lot.recovery", "recycling_lot", id, None, snapshot(&report)).await?;
    txn.commit().await?;
    Ok(after)
}
