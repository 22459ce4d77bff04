//! Reads of recycling lots: the list, a lot's contents with their masses and profiles, its
//! page (the estimate against the report, the rates and the warnings), and the parts in
//! the recycling bin that no lot holds yet.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::estimate::{self, Node};
use super::factors;
use super::model::{CustodyEntry, Expected, Lot, LotDetail, LotItem, LotQuery, RecoveryReport, Warning};
use crate::assets::repo;
use crate::catalog::{self, HardwareModel};
use crate::db::entities::{asset, custody_event, recovery_report, recycling_lot, recycling_lot_item};
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, LotId, ModelId};
use crate::lifecycle::pool;
use crate::rules::eol::{export_needs_override, weight_gap_is_large};
use crate::rules::{AssetKind, Destination, LotStatus, Page, TreatmentRoute, WeeeCategory};
use crate::text;
use crate::vendors;

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 500;
/// Most items a lot's page lists (its figures count them all).
pub const ITEMS_LISTED: usize = 500;
const IN_CHUNK: usize = 500;

pub(crate) async fn lot_row<C: ConnectionTrait>(conn: &C, id: LotId) -> AppResult<recycling_lot::Model> {
    recycling_lot::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| AppError::not_found("recycling lot", id))
}

/// The items a lot holds now, in the order they were added.
pub(crate) async fn item_rows<C: ConnectionTrait>(conn: &C, id: LotId) -> AppResult<Vec<recycling_lot_item::Model>> {
    Ok(recycling_lot_item::Entity::find()
        .filter(recycling_lot_item::Column::LotId.eq(id.0))
        .filter(recycling_lot_item::Column::IncludedAssetId.is_not_null())
        .order_by_asc(recycling_lot_item::Column::Id)
        .all(conn)
        .await?)
}

/// Which of `ids` are in a lot already, with that lot's id.
pub(crate) async fn in_lots<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<HashMap<Uuid, Uuid>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(IN_CHUNK) {
        for r in recycling_lot_item::Entity::find()
            .filter(recycling_lot_item::Column::IncludedAssetId.is_in(chunk.to_vec()))
            .all(conn)
            .await?
        {
            out.insert(r.asset_id, r.lot_id);
        }
    }
    Ok(out)
}

/// Lots, newest first, keyset-paginated by id.
pub async fn list<C: ConnectionTrait>(conn: &C, q: &LotQuery) -> AppResult<Page<Lot>> {
    let limit = text::page_limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let mut s = recycling_lot::Entity::find().order_by_desc(recycling_lot::Column::Id).limit(limit + 1);
    if let Some(st) = q.status {
        s = s.filter(recycling_lot::Column::Status.eq(st.as_str()));
    }
    if let Some(v) = q.vendor_id {
        s = s.filter(recycling_lot::Column::VendorId.eq(v.0));
    }
    if let Some(c) = text::page_cursor(q.cursor.as_deref())? {
        s = s.filter(recycling_lot::Column::Id.lt(c));
    }
    let rows: Vec<Lot> = s.all(conn).await?.into_iter().map(Lot::try_from).collect::<AppResult<_>>()?;
    Ok(Page::from_rows(rows, limit as usize, |l| l.id.to_string()))
}

/// What a set of items holds: every row (items and their parts), the models they use,
/// and per item its mass and category.
pub(crate) struct Contents {
    pub roots: Vec<asset::Model>,
    pub parts: Vec<asset::Model>,
    pub models: HashMap<ModelId, HardwareModel>,
    /// Per root: registered mass, parts, rows of unknown mass.
    pub per_root: HashMap<Uuid, (f64, usize, usize)>,
}

impl Contents {
    pub fn own_kg(&self, r: &asset::Model) -> Option<f64> {
        r.mass_override_kg.or_else(|| r.model_id.and_then(|m| self.models.get(&ModelId(m))).and_then(|m| m.mass_kg))
    }

    pub fn profile(&self, r: &asset::Model) -> &str {
        r.model_id.and_then(|m| self.models.get(&ModelId(m))).map(|m| m.material_profile.as_str()).unwrap_or("")
    }

    pub fn category(&self, r: &asset::Model) -> Option<WeeeCategory> {
        r.model_id.and_then(|m| self.models.get(&ModelId(m))).and_then(|m| WeeeCategory::for_unu_key(&m.unu_key))
    }

    pub fn rows(&self) -> impl Iterator<Item = &asset::Model> {
        self.roots.iter().chain(self.parts.iter())
    }

    /// Rounded to the gram, like every mass reloop stores: a sum of binary fractions
    /// otherwise carries noise (14.209999999999999) that JSON does not round-trip exactly.
    pub fn registered_kg(&self) -> f64 {
        (self.per_root.values().map(|v| v.0).sum::<f64>() * 1000.0).round() / 1000.0 + 0.0
    }

    pub fn unknown_mass(&self) -> usize {
        self.per_root.values().map(|v| v.2).sum()
    }

    pub fn hazardous(&self) -> bool {
        self.rows().any(|r| AssetKind::parse(&r.kind).is_some_and(AssetKind::is_hazardous_scrap))
    }
}

/// Reads `roots` with everything installed in them and their models.
pub(crate) async fn contents<C: ConnectionTrait>(conn: &C, roots: Vec<asset::Model>) -> AppResult<Contents> {
    let ids: Vec<Uuid> = roots.iter().map(|r| r.id).collect();
    let parts = repo::descendants_of_all(conn, &ids).await?;
    contents_of(conn, roots, parts).await
}

/// [`contents`] of trees already read (`parts` level by level, parents first).
pub(crate) async fn contents_of<C: ConnectionTrait>(
    conn: &C,
    roots: Vec<asset::Model>,
    parts: Vec<asset::Model>,
) -> AppResult<Contents> {
    let mut model_ids: Vec<ModelId> = roots.iter().chain(&parts).filter_map(|r| r.model_id.map(ModelId)).collect();
    model_ids.sort();
    model_ids.dedup();
    let models: HashMap<ModelId, HardwareModel> =
        catalog::by_ids(conn, &model_ids).await?.into_iter().map(|m| (m.id, m)).collect();
    let mut c = Contents { roots, parts, models, per_root: HashMap::new() };
    // Which root each row belongs to (parts come level by level, parents first).
    let mut root_of: HashMap<Uuid, Uuid> = c.roots.iter().map(|r| (r.id, r.id)).collect();
    for p in &c.parts {
        if let Some(root) = p.parent_id.and_then(|x| root_of.get(&x).copied()) {
            root_of.insert(p.id, root);
        }
    }
    let mut per_root: HashMap<Uuid, (f64, usize, usize)> = HashMap::new();
    for r in c.rows() {
        let Some(root) = root_of.get(&r.id).copied() else { continue };
        let slot = per_root.entry(root).or_insert((0.0, 0, 0));
        match c.own_kg(r) {
            Some(kg) => slot.0 += kg,
            None => slot.2 += 1,
        }
        if r.id != root {
            slot.1 += 1;
        }
    }
    for v in per_root.values_mut() {
        v.0 = (v.0 * 1000.0).round() / 1000.0;
    }
    c.per_root = per_root;
    Ok(c)
}

/// A lot's items (as `asset` rows) and when and by whom each was added.
pub(crate) async fn lot_contents<C: ConnectionTrait>(
    conn: &C,
    id: LotId,
) -> AppResult<(Vec<recycling_lot_item::Model>, Contents)> {
    let items = item_rows(conn, id).await?;
    let ids: Vec<Uuid> = items.iter().map(|i| i.asset_id).collect();
    let mut rows = repo::find_many(conn, &ids).await?;
    let order: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|r| order.get(&r.id).copied().unwrap_or(usize::MAX));
    Ok((items, contents(conn, rows).await?))
}

pub async fn custody<C: ConnectionTrait>(conn: &C, id: LotId) -> AppResult<Vec<CustodyEntry>> {
    lot_row(conn, id).await?;
    custody_rows(conn, id).await
}

async fn custody_rows<C: ConnectionTrait>(conn: &C, id: LotId) -> AppResult<Vec<CustodyEntry>> {
    Ok(custody_event::Entity::find()
        .filter(custody_event::Column::LotId.eq(id.0))
        .order_by_asc(custody_event::Column::Ordinal)
        .all(conn)
        .await?
        .into_iter()
        .map(CustodyEntry::from)
        .collect())
}

fn warn(out: &mut Vec<Warning>, code: &str, message: impl Into<String>) {
    out.push(Warning { code: code.to_owned(), message: message.into() });
}

/// What `c` is expected to contain and yield by `route`, from the factors in force.
pub(crate) async fn expected_now<C: ConnectionTrait>(
    conn: &C,
    route: Option<TreatmentRoute>,
    c: &Contents,
) -> AppResult<Expected> {
    let table = factors::effective(conn).await?;
    let est = estimate::content(c.rows().map(|r| Node { own_kg: c.own_kg(r), profile: c.profile(r) }), &table);
    Ok(Expected {
        materials: estimate::table(&est, route, &table),
        unprofiled_kg: (est.unprofiled_kg * 1000.0).round() / 1000.0,
    })
}

/// A lot as its page shows it.
pub async fn detail<C: ConnectionTrait>(conn: &C, id: LotId) -> AppResult<LotDetail> {
    let lot = Lot::try_from(lot_row(conn, id).await?)?;
    let vendor = match lot.vendor_id {
        Some(v) => Some(vendors::get(conn, v).await?),
        None => None,
    };
    let (items, c) = lot_contents(conn, id).await?;
    let report_row = recovery_report::Entity::find().filter(recovery_report::Column::LotId.eq(id.0)).one(conn).await?;
    let frozen = match report_row.as_ref().and_then(|r| r.expected.clone().map(|e| (r.id, r.created_at, e))) {
        Some((rid, at, e)) => Some((
            at,
            serde_json::from_value::<Expected>(e).map_err(|e| {
                AppError::Internal(anyhow::anyhow!("unreadable estimate in recovery report {rid}: {e}"))
            })?,
        )),
        None => None,
    };
    let report = report_row.map(RecoveryReport::try_from).transpose()?;
    let (estimated_at, expected) = match frozen {
        Some((at, e)) => (Some(at), e),
        None => (None, expected_now(conn, lot.route, &c).await?),
    };
    let materials = estimate::against(expected.materials, report.as_ref());
    let cats: Vec<(Option<WeeeCategory>, f64)> =
        c.roots.iter().map(|r| (c.category(r), c.per_root.get(&r.id).map(|v| v.0).unwrap_or(0.0))).collect();
    let (lead, categories) = estimate::category(&cats);
    let registered_kg = lot.registered_kg.unwrap_or_else(|| c.registered_kg());
    let hazardous = lot.hazardous.unwrap_or_else(|| c.hazardous());
    let weight_gap_kg = lot.net_kg.map(|n| ((n - registered_kg) * 1000.0).round() / 1000.0);
    let weight_gap_large = lot.net_kg.is_some_and(|n| weight_gap_is_large(n, registered_kg));
    let rates = match (&report, lot.net_kg) {
        (Some(r), Some(net)) => Some(estimate::rates(net, r, lead)),
        _ => None,
    };

    let mut warnings = Vec::new();
    let open = lot.status == LotStatus::Open;
    match &vendor {
        None => warn(&mut warnings, "no_vendor", "no downstream vendor is assigned yet: assign one before shipping"),
        Some(v) => {
            if open || lot.vendor_accepted_by.is_some() {
                for w in &v.standing.warnings {
                    warn(&mut warnings, "certification", format!("{}: {w}", v.name));
                }
            }
            if let Some(by) = &lot.vendor_accepted_by {
                warn(
                    &mut warnings,
                    "uncertified_accepted",
                    format!("{by} accepted {} without a valid e-waste certification", v.name),
                );
            }
            if open && export_needs_override(&v.country, hazardous) {
                warn(
                    &mut warnings,
                    "export",
                    format!(
                        "the lot holds hazardous e-waste and {} is in {}, outside Basel Annex VII (OECD, EU, Liechtenstein): e-Stewards forbids the export; shipping needs an override with its reason",
                        v.name, v.country
                    ),
                );
            }
        }
    }
    if !lot.export_override_reason.is_empty() {
        warn(
            &mut warnings,
            "export_override",
            format!("shipped outside Basel Annex VII under an override: {}", lot.export_override_reason),
        );
    }
    if weight_gap_large && let (Some(n), Some(g)) = (lot.net_kg, weight_gap_kg) {
        warn(
            &mut warnings,
            "weight_gap",
            format!(
                "the scale says {n:.1} kg net but the registered masses add up to {registered_kg:.1} kg ({g:+.1} kg): something is missing or unregistered"
            ),
        );
    }
    let unknown = c.unknown_mass();
    if unknown > 0 {
        warn(&mut warnings, "unknown_mass", format!("{unknown} item(s) or part(s) have no registered mass"));
    }

    let added: HashMap<Uuid, &recycling_lot_item::Model> = items.iter().map(|i| (i.asset_id, i)).collect();
    let mut listed = Vec::new();
    for r in c.roots.iter().take(ITEMS_LISTED) {
        let (kind, state) = repo::kind_state(r)?;
        let (kg, parts, unknown) = c.per_root.get(&r.id).copied().unwrap_or((0.0, 0, 0));
        let item = added.get(&r.id);
        listed.push(LotItem {
            asset_id: AssetId(r.id),
            asset_tag: r.asset_tag.clone(),
            kind,
            state,
            model_id: r.model_id.map(ModelId),
            model: r.model_id.and_then(|m| c.models.get(&ModelId(m))).map(|m| m.label()).unwrap_or_default(),
            registered_kg: kg,
            parts,
            unknown_mass: unknown,
            category: c.category(r),
            added_by: item.map(|i| i.added_by.clone()).unwrap_or_default(),
            added_at: item.map(|i| i.added_at).unwrap_or(lot.created_at),
        });
    }
    Ok(LotDetail {
        vendor,
        warnings,
        items: listed,
        item_count: c.roots.len(),
        contents: c.roots.len() + c.parts.len(),
        registered_kg,
        unknown_mass: unknown,
        weight_gap_kg,
        weight_gap_large,
        hazardous,
        categories,
        unprofiled_kg: expected.unprofiled_kg,
        materials,
        estimated_at,
        custody: custody_rows(conn, id).await?,
        report,
        rates,
        lot,
    })
}

/// A part waiting in the recycling bin that no lot holds yet.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BinPart {
    pub asset_id: AssetId,
    pub asset_tag: String,
    pub kind: AssetKind,
    pub model: String,
    pub waiting_days: i64,
}

/// The recycling bin's parts that are in no lot, longest waiting first (at most `limit`),
/// and how many there are in all.
pub async fn bin_parts<C: ConnectionTrait>(conn: &C, limit: usize) -> AppResult<(Vec<BinPart>, usize)> {
    let stays = pool::waiting_in(conn, Destination::RecyclingBin).await?;
    let ids: Vec<Uuid> = stays.iter().map(|s| s.asset_id).collect();
    let taken: HashSet<Uuid> = in_lots(conn, &ids).await?.into_keys().collect();
    let free: Vec<&crate::db::entities::pool_stay::Model> =
        stays.iter().filter(|s| !taken.contains(&s.asset_id)).collect();
    let total = free.len();
    let shown: Vec<Uuid> = free.iter().take(limit).map(|s| s.asset_id).collect();
    let rows: HashMap<Uuid, asset::Model> =
        repo::find_many(conn, &shown).await?.into_iter().map(|r| (r.id, r)).collect();
    let mut mids: Vec<ModelId> = rows.values().filter_map(|r| r.model_id.map(ModelId)).collect();
    mids.sort();
    mids.dedup();
    let labels: HashMap<ModelId, String> =
        catalog::by_ids(conn, &mids).await?.into_iter().map(|m| (m.id, m.label())).collect();
    let now = Utc::now();
    let mut out = Vec::new();
    for s in free.into_iter().take(limit) {
        let Some(r) = rows.get(&s.asset_id) else { continue };
        out.push(BinPart {
            asset_id: AssetId(r.id),
            asset_tag: r.asset_tag.clone(),
            kind: AssetKind::parse(&r.kind).unwrap_or(AssetKind::Other),
            model: r.model_id.and_then(|m| labels.get(&ModelId(m)).cloned()).unwrap_or_default(),
            waiting_days: (now - s.entered_at).num_days(),
        });
    }
    Ok((out, total))
}
