//! Reads of repair orders: lists, one order with its notes and parts, an item's repairs,
//! the spares a repair could install, and failure statistics.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::model::{
    FaultCount, ModelRepairs, OutcomeCount, Repair, RepairDetail, RepairNote, RepairPart, RepairQuery, RepairStats,
    SpareCandidate,
};
use crate::assets::{self, repo};
use crate::catalog;
use crate::db::entities::{pool_stay, repair_note, repair_order, repair_part};
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, ModelId, RepairId, StayId};
use crate::rules::{AssetKind, Destination, FaultCategory, Page, PartAction, PartOrigin, RepairOutcome, TestResult};
use crate::text;

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 500;

/// Repairs, newest first, keyset-paginated by id.
pub async fn list<C: ConnectionTrait>(conn: &C, q: &RepairQuery) -> AppResult<Page<Repair>> {
    let limit = text::page_limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let mut s = repair_order::Entity::find().order_by_desc(repair_order::Column::Id).limit(limit + 1);
    if let Some(st) = q.status {
        s = s.filter(repair_order::Column::Status.eq(st.as_str()));
    }
    if let Some(a) = q.asset_id {
        s = s.filter(repair_order::Column::AssetId.eq(a.0));
    }
    if let Some(c) = text::page_cursor(q.cursor.as_deref())? {
        s = s.filter(repair_order::Column::Id.lt(c));
    }
    let rows: Vec<Repair> = s.all(conn).await?.into_iter().map(Repair::try_from).collect::<AppResult<_>>()?;
    Ok(Page::from_rows(rows, limit as usize, |r| r.id.to_string()))
}

/// An item's repairs, newest first.
pub async fn for_asset<C: ConnectionTrait>(conn: &C, asset: AssetId) -> AppResult<Vec<Repair>> {
    repair_order::Entity::find()
        .filter(repair_order::Column::AssetId.eq(asset.0))
        .order_by_desc(repair_order::Column::Id)
        .limit(100)
        .all(conn)
        .await?
        .into_iter()
        .map(Repair::try_from)
        .collect()
}

/// Hours between two instants.
fn hours(from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 3600.0
}

/// One repair order with its item, notes and parts.
pub async fn detail<C: ConnectionTrait>(conn: &C, id: RepairId) -> AppResult<RepairDetail> {
    let row = repair_order::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("repair order", id))?;
    let repair = Repair::try_from(row)?;
    let item = assets::get(conn, repair.asset_id).await?;
    let labelled = assets::read::labelled(conn, vec![item]).await?.pop();
    let notes = repair_note::Entity::find()
        .filter(repair_note::Column::RepairId.eq(id.0))
        .order_by_asc(repair_note::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(RepairNote::from)
        .collect();
    let part_rows = repair_part::Entity::find()
        .filter(repair_part::Column::RepairId.eq(id.0))
        .order_by_asc(repair_part::Column::Id)
        .all(conn)
        .await?;
    let mut ids: Vec<uuid::Uuid> = part_rows.iter().flat_map(|p| [p.asset_id, p.parent_id]).collect();
    ids.sort();
    ids.dedup();
    let found = repo::find_many(conn, &ids).await?;
    let assets: Vec<crate::assets::Asset> = found.into_iter().map(TryInto::try_into).collect::<AppResult<_>>()?;
    let labelled_parts: HashMap<AssetId, crate::assets::LabelledAsset> =
        assets::read::labelled(conn, assets).await?.into_iter().map(|l| (l.asset.id, l)).collect();
    let mut parts = Vec::with_capacity(part_rows.len());
    for p in part_rows {
        let Some(l) = labelled_parts.get(&AssetId(p.asset_id)) else { continue };
        parts.push(RepairPart {
            action: PartAction::parse(&p.action).unwrap_or(PartAction::Installed),
            asset_id: l.asset.id,
            asset_tag: l.asset.asset_tag.clone(),
            kind: l.asset.kind,
            model: l.model.clone(),
            serial: l.asset.serial.clone(),
            parent_id: AssetId(p.parent_id),
            parent_tag: labelled_parts
                .get(&AssetId(p.parent_id))
                .map(|x| x.asset.asset_tag.clone())
                .unwrap_or_default(),
            destination: p.destination.as_deref().and_then(Destination::parse),
            origin: p.origin,
            actor: p.actor,
            at: p.created_at,
        });
    }
    let (asset_tag, asset_kind, asset_state, model, site) = match labelled {
        Some(l) => (l.asset.asset_tag, l.asset.kind, l.asset.state, l.model, l.site),
        None => return Err(AppError::not_found("asset", repair.asset_id)),
    };
    Ok(RepairDetail {
        hours_to_repair: repair.closed_at.map(|c| hours(repair.opened_at, c)),
        repair,
        asset_tag,
        asset_kind,
        asset_state,
        model,
        site,
        notes,
        parts,
    })
}

/// Spares this repair could install, best first: parts held for it; then replacements for
/// what it removed (same kind, the removed part's model first); then parts of a model
/// already in the item; harvested and tested good before untested; longest-waiting first.
/// Only kinds that fit in the item or in a part of it.
pub async fn candidates<C: ConnectionTrait>(conn: &C, id: RepairId, limit: usize) -> AppResult<Vec<SpareCandidate>> {
    let row = repair_order::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("repair order", id))?;
    let item = repo::find(conn, AssetId(row.asset_id)).await?;
    let tree = repo::descendants(conn, AssetId(item.id)).await?;
    let mut containers: HashSet<AssetKind> = HashSet::new();
    let mut models: HashSet<uuid::Uuid> = HashSet::new();
    for r in std::iter::once(&item).chain(tree.iter()) {
        if let Some(k) = AssetKind::parse(&r.kind) {
            containers.insert(k);
        }
        models.extend(r.model_id);
    }
    let removed: Vec<uuid::Uuid> = repair_part::Entity::find()
        .filter(repair_part::Column::RepairId.eq(id.0))
        .filter(repair_part::Column::Action.eq(PartAction::Removed.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| p.asset_id)
        .collect();
    let removed_rows = repo::find_many(conn, &removed).await?;
    let removed_kinds: HashSet<AssetKind> = removed_rows.iter().filter_map(|r| AssetKind::parse(&r.kind)).collect();
    let removed_models: HashSet<uuid::Uuid> = removed_rows.iter().filter_map(|r| r.model_id).collect();
    models.extend(removed_models.iter().copied());

    let stays = pool_stay::Entity::find()
        .filter(pool_stay::Column::ActiveAssetId.is_not_null())
        .filter(pool_stay::Column::Pool.eq(Destination::SparePool.as_str()))
        .order_by_asc(pool_stay::Column::Id)
        .limit(5000)
        .all(conn)
        .await?;
    let stays: Vec<_> =
        stays.into_iter().filter(|s| s.reserved_for.is_none() || s.reserved_for == Some(id.0)).collect();
    let ids: Vec<uuid::Uuid> = stays.iter().map(|s| s.asset_id).collect();
    let rows: HashMap<uuid::Uuid, _> = repo::find_many(conn, &ids).await?.into_iter().map(|r| (r.id, r)).collect();
    let donors: Vec<AssetId> = stays.iter().filter_map(|s| s.donor_id.map(AssetId)).collect();
    let donor_tags = assets::read::tags(conn, &donors).await?;
    let mut model_ids: Vec<ModelId> = rows.values().filter_map(|r| r.model_id.map(ModelId)).collect();
    model_ids.sort();
    model_ids.dedup();
    let labels: HashMap<ModelId, String> =
        catalog::by_ids(conn, &model_ids).await?.into_iter().map(|m| (m.id, m.label())).collect();
    let today = chrono::Utc::now();
    let mut out: Vec<SpareCandidate> = Vec::new();
    for s in &stays {
        let Some(r) = rows.get(&s.asset_id) else { continue };
        let Some(kind) = AssetKind::parse(&r.kind) else { continue };
        if r.parent_id.is_some() || !containers.iter().any(|c| kind.fits_in(*c)) {
            continue;
        }
        out.push(SpareCandidate {
            asset_id: AssetId(r.id),
            asset_tag: r.asset_tag.clone(),
            kind,
            model_id: r.model_id.map(ModelId),
            model: r.model_id.and_then(|m| labels.get(&ModelId(m)).cloned()).unwrap_or_default(),
            serial: r.serial.clone(),
            test_result: TestResult::parse(&s.test_result).unwrap_or(TestResult::Untested),
            harvested: s.origin == PartOrigin::Harvest.as_str(),
            donor_tag: s.donor_id.and_then(|d| donor_tags.get(&AssetId(d)).cloned()),
            waiting_days: (today - s.entered_at).num_days(),
            reserved_here: s.reserved_for == Some(id.0),
            replaces_removed: removed_kinds.contains(&kind),
            same_model: r.model_id.is_some_and(|m| models.contains(&m)),
            stay_id: StayId(s.id),
        });
    }
    let rank = |c: &SpareCandidate| {
        (
            !c.reserved_here,
            !c.replaces_removed,
            !(c.replaces_removed && c.model_id.is_some_and(|m| removed_models.contains(&m.0))),
            !c.same_model,
            !(c.harvested && c.test_result == TestResult::Passed),
            c.test_result != TestResult::Passed,
            -c.waiting_days,
        )
    };
    out.sort_by_key(rank);
    out.truncate(limit);
    Ok(out)
}

/// Failure statistics over every repair: per fault, per outcome, per model (repairs,
/// items, mean time to repair) and overall.
pub async fn stats<C: ConnectionTrait>(conn: &C) -> AppResult<RepairStats> {
    let rows = repair_order::Entity::find().all(conn).await?;
    let mut by_fault: HashMap<FaultCategory, u64> = HashMap::new();
    let mut by_outcome: HashMap<RepairOutcome, u64> = HashMap::new();
    let mut per_model: HashMap<Option<uuid::Uuid>, (u64, HashSet<uuid::Uuid>, f64, u64)> = HashMap::new();
    let mut items: HashSet<uuid::Uuid> = HashSet::new();
    let (mut open, mut total_h, mut closed) = (0u64, 0.0f64, 0u64);
    for r in &rows {
        if let Some(f) = FaultCategory::parse(&r.fault_category) {
            *by_fault.entry(f).or_default() += 1;
        }
        items.insert(r.asset_id);
        let e = per_model.entry(r.model_id).or_default();
        e.0 += 1;
        e.1.insert(r.asset_id);
        match (r.status.as_str(), r.closed_at) {
            ("open", _) => open += 1,
            (_, Some(c)) => {
                let h = hours(r.opened_at, c);
                total_h += h;
                closed += 1;
                e.2 += h;
                e.3 += 1;
                if let Some(o) = r.outcome.as_deref().and_then(RepairOutcome::parse) {
                    *by_outcome.entry(o).or_default() += 1;
                }
            }
            _ => {}
        }
    }
    let ids: Vec<ModelId> = per_model.keys().flatten().map(|m| ModelId(*m)).collect();
    let labels: HashMap<ModelId, String> =
        catalog::by_ids(conn, &ids).await?.into_iter().map(|m| (m.id, m.label())).collect();
    let mut by_model: Vec<ModelRepairs> = per_model
        .into_iter()
        .map(|(m, (n, it, h, c))| ModelRepairs {
            model_id: m.map(ModelId),
            model: m.and_then(|m| labels.get(&ModelId(m)).cloned()).unwrap_or_else(|| "no model".into()),
            repairs: n,
            items: it.len() as u64,
            mean_hours_to_repair: (c > 0).then(|| h / c as f64),
        })
        .collect();
    by_model.sort_by(|a, b| b.repairs.cmp(&a.repairs).then_with(|| a.model.cmp(&b.model)));
    let mut by_fault: Vec<FaultCount> =
        by_fault.into_iter().map(|(fault_category, repairs)| FaultCount { fault_category, repairs }).collect();
    by_fault.sort_by(|a, b| b.repairs.cmp(&a.repairs).then_with(|| a.fault_category.cmp(&b.fault_category)));
    let mut by_outcome: Vec<OutcomeCount> =
        by_outcome.into_iter().map(|(outcome, repairs)| OutcomeCount { outcome, repairs }).collect();
    by_outcome.sort_by_key(|o| o.outcome);
    Ok(RepairStats {
        repairs: rows.len() as u64,
        open,
        items_repaired: items.len() as u64,
        repairs_per_item: if items.is_empty() { 0.0 } else { rows.len() as f64 / items.len() as f64 },
        mean_hours_to_repair: (closed > 0).then(|| total_h / closed as f64),
        by_fault,
        by_model,
        by_outcome,
    })
}
