//! The one read model of the engine's facts: an item and its tree, its model, its repair
//! history, its data and what its sanitization records allow, open work, the sites, and
//! the parts the spare pool lacks. Gathered for one item (its page, its API) or for the
//! whole fleet in chunks of top-level items (the fleet run), with the same code.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::engine::{Capacity, DataFacts, Facts, ModelSpecs, PartOffer, SiteFacts, World};
use super::pack::Policy;
use crate::assets::repo;
use crate::catalog::HardwareModel;
use crate::db::entities::{asset, dismantle_job, hardware_model, pool_stay, recycling_lot_item, repair_order};
use crate::error::{AppError, AppResult};
use crate::harvest::embodied::{self, ModelFigures};
use crate::ids::AssetId;
use crate::lifecycle::gate;
use crate::rules::{AssetKind, Destination, FaultCategory, Release, RetailGrade, State, TestResult, WorkloadTier};

/// Top-level items read per chunk of a fleet run.
pub const CHUNK: u64 = 1000;

/// What every item's facts share, read once: the catalog, the sites, the spare pool's
/// shortages. Build it with [`Shared::load`].
pub struct Shared {
    pub world: World,
    models: HashMap<Uuid, (Arc<ModelSpecs>, HardwareModel)>,
    site_index: HashMap<Uuid, usize>,
    /// Open repairs needing a part of (kind, model).
    wanted: HashMap<(AssetKind, Option<Uuid>), u32>,
    /// Tested spares waiting in the spare pool, by (kind, model).
    spares: HashMap<(AssetKind, Option<Uuid>), u32>,
}

fn specs(m: &HardwareModel) -> ModelSpecs {
    ModelSpecs {
        id: m.id.0,
        label: m.label(),
        manufacturer: m.manufacturer.clone(),
        model_number: m.model_number.clone(),
        release_year: m.release_year,
        embodied_kgco2e: m.embodied_kgco2e,
        embodied_source: m.embodied_source.clone(),
        idle_w: m.idle_w,
        max_w: m.max_w,
        perf_value: m.perf_value,
        perf_unit: m.perf_unit.clone(),
        support_ends_on: m.support_ends_on,
        yearly_kwh: ["yearly_energy_kwh", "pcf_yearly_energy_kwh"]
            .iter()
            .find_map(|k| m.specs.get(*k).and_then(serde_json::Value::as_f64))
            .filter(|v| v.is_finite() && *v > 0.0),
    }
}

impl Shared {
    /// Reads what a fleet run shares: the whole catalog, the sites, the spare pool's state;
    /// `policy` names the replacement models looked up in the catalog.
    pub async fn load<C: ConnectionTrait>(conn: &C, policy: &Policy, today: chrono::NaiveDate) -> AppResult<Shared> {
        let rows = hardware_model::Entity::find().all(conn).await?;
        Shared::build(conn, policy, today, rows).await
    }

    /// What one item's evaluation needs: the models of `row`'s tree and the policy's
    /// replacements (not the whole catalog), the sites, the spare pool's state.
    pub async fn for_tree<C: ConnectionTrait>(
        conn: &C,
        policy: &Policy,
        today: chrono::NaiveDate,
        models: Vec<Uuid>,
    ) -> AppResult<Shared> {
        let keys: Vec<String> =
            policy.replacements.iter().map(|r| crate::catalog::model_key(&r.manufacturer, &r.model_number)).collect();
        let rows = hardware_model::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(hardware_model::Column::Id.is_in(models))
                    .add(hardware_model::Column::ModelKey.is_in(keys)),
            )
            .all(conn)
            .await?;
        Shared::build(conn, policy, today, rows).await
    }

    async fn build<C: ConnectionTrait>(
        conn: &C,
        policy: &Policy,
        today: chrono::NaiveDate,
        rows: Vec<hardware_model::Model>,
    ) -> AppResult<Shared> {
        let mut models = HashMap::new();
        for row in rows {
            let m = HardwareModel::try_from(row)?;
            models.insert(m.id.0, (Arc::new(specs(&m)), m));
        }
        let sites: Vec<SiteFacts> = crate::sites::list(conn)
            .await?
            .into_iter()
            .map(|s| SiteFacts {
                id: s.id.0,
                hosts_it: s.pue.is_some(),
                name: s.name,
                grid_ci_g_per_kwh: s.grid_ci_g_per_kwh,
                grid_ci_source: s.grid_ci_source,
                pue: s.pue,
            })
            .collect();
        let site_index = sites.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let replacements = policy
            .replacements
            .iter()
            .map(|r| {
                let key = (crate::text::key(&r.manufacturer), crate::text::key(&r.model_number));
                models
                    .values()
                    .find(|(_, m)| (crate::text::key(&m.manufacturer), crate::text::key(&m.model_number)) == key)
                    .map(|(s, _)| Arc::clone(s))
            })
            .collect();
        let mut shared = Shared {
            world: World { today, sites, replacements },
            models,
            site_index,
            wanted: HashMap::new(),
            spares: HashMap::new(),
        };
        shared.load_pool(conn).await?;
        Ok(shared)
    }

    /// The parts open repairs need (a fault's part kind, of the models the repaired item
    /// holds), and the tested spares the spare pool has of each: a few queries, whatever
    /// the number of repairs or spares.
    async fn load_pool<C: ConnectionTrait>(&mut self, conn: &C) -> AppResult<()> {
        let open =
            repair_order::Entity::find().filter(repair_order::Column::OpenAssetId.is_not_null()).all(conn).await?;
        let needs: Vec<(Uuid, AssetKind)> = open
            .iter()
            .filter_map(|r| {
                FaultCategory::parse(&r.fault_category).and_then(|f| f.part_kind()).map(|k| (r.asset_id, k))
            })
            .collect();
        if !needs.is_empty() {
            let roots: Vec<Uuid> = needs.iter().map(|(a, _)| *a).collect();
            let mut root_of: HashMap<Uuid, Uuid> = roots.iter().map(|r| (*r, *r)).collect();
            let mut held: HashMap<Uuid, Vec<(AssetKind, Option<Uuid>)>> = HashMap::new();
            for p in repo::descendants_of_all(conn, &roots).await? {
                let Some(root) = p.parent_id.and_then(|q| root_of.get(&q).copied()) else { continue };
                root_of.insert(p.id, root);
                if let Some(k) = AssetKind::parse(&p.kind) {
                    held.entry(root).or_default().push((k, p.model_id));
                }
            }
            for (item, need) in needs {
                let mut lines: Vec<(AssetKind, Option<Uuid>)> = held
                    .get(&item)
                    .map(|v| v.iter().copied().filter(|(k, _)| same_need(*k, need)).collect())
                    .unwrap_or_default();
                lines.sort();
                lines.dedup();
                for line in lines {
                    *self.wanted.entry(line).or_default() += 1;
                }
            }
        }
        let waiting = sea_orm::sea_query::Query::select()
            .column(pool_stay::Column::AssetId)
            .from(pool_stay::Entity)
            .and_where(pool_stay::Column::ActiveAssetId.is_not_null())
            .and_where(pool_stay::Column::Pool.eq(Destination::SparePool.as_str()))
            .and_where(pool_stay::Column::TestResult.eq(TestResult::Passed.as_str()))
            .to_owned();
        let counts: Vec<(String, Option<Uuid>, i64)> = asset::Entity::find()
            .select_only()
            .column(asset::Column::Kind)
            .column(asset::Column::ModelId)
            .column_as(asset::Column::Id.count(), "n")
            .filter(asset::Column::Id.in_subquery(waiting))
            .group_by(asset::Column::Kind)
            .group_by(asset::Column::ModelId)
            .into_tuple()
            .all(conn)
            .await?;
        for (kind, model, n) in counts {
            if let Some(k) = AssetKind::parse(&kind) {
                *self.spares.entry((k, model)).or_default() += u32::try_from(n).unwrap_or(u32::MAX);
            }
        }
        Ok(())
    }

    fn model(&self, id: Option<Uuid>) -> Option<&(Arc<ModelSpecs>, HardwareModel)> {
        id.and_then(|m| self.models.get(&m))
    }
}

/// A drive fault wants any drive kind the item holds.
fn same_need(part: AssetKind, need: AssetKind) -> bool {
    part == need || (need == AssetKind::Ssd && matches!(part, AssetKind::Hdd | AssetKind::Nvme))
}

/// Facts of one item, for its page and its API, with what they share (read for this
/// item's tree only). `installed_in` is the tag of its parent.
pub async fn for_item<C: ConnectionTrait>(
    conn: &C,
    policy: &Policy,
    today: chrono::NaiveDate,
    row: asset::Model,
) -> AppResult<(Shared, Facts)> {
    let installed_in = match row.parent_id {
        Some(p) => Some(repo::find(conn, AssetId(p)).await?.asset_tag),
        None => None,
    };
    let tree = repo::descendants_of_all(conn, &[row.id]).await?;
    let models: Vec<Uuid> = std::iter::once(&row).chain(&tree).filter_map(|r| r.model_id).collect();
    let shared = Shared::for_tree(conn, policy, today, models).await?;
    let mut facts = for_rows(conn, &shared, vec![row], tree).await?;
    let mut f = facts.pop().ok_or_else(|| AppError::Internal(anyhow::anyhow!("no facts for an item read")))?;
    f.installed_in = installed_in;
    Ok((shared, f))
}

/// The next chunk of top-level items that are not terminal, after `after` (by id).
pub async fn next_roots<C: ConnectionTrait>(conn: &C, after: Option<Uuid>) -> AppResult<Vec<asset::Model>> {
    let live: Vec<&str> = State::ALL.iter().filter(|s| !s.is_terminal()).map(|s| s.as_str()).collect();
    let mut q = asset::Entity::find()
        .filter(asset::Column::ParentId.is_null())
        .filter(asset::Column::State.is_in(live))
        .order_by_asc(asset::Column::Id)
        .limit(CHUNK);
    if let Some(a) = after {
        q = q.filter(asset::Column::Id.gt(a));
    }
    Ok(q.all(conn).await?)
}

/// Facts of each of `roots` (top-level or not), each with its whole tree.
pub async fn for_roots<C: ConnectionTrait>(
    conn: &C,
    shared: &Shared,
    roots: Vec<asset::Model>,
) -> AppResult<Vec<Facts>> {
    let ids: Vec<Uuid> = roots.iter().map(|r| r.id).collect();
    let below = repo::descendants_of_all(conn, &ids).await?;
    for_rows(conn, shared, roots, below).await
}

/// Facts of `roots` from their rows and everything installed in them (`below`, parents
/// before children).
async fn for_rows<C: ConnectionTrait>(
    conn: &C,
    shared: &Shared,
    roots: Vec<asset::Model>,
    below: Vec<asset::Model>,
) -> AppResult<Vec<Facts>> {
    let ids: Vec<Uuid> = roots.iter().map(|r| r.id).collect();
    // Each part's root, through its parent chain (parents come before children).
    let mut root_of: HashMap<Uuid, Uuid> = ids.iter().map(|i| (*i, *i)).collect();
    let mut trees: HashMap<Uuid, Vec<asset::Model>> = HashMap::new();
    for part in below {
        let Some(root) = part.parent_id.and_then(|p| root_of.get(&p).copied()) else { continue };
        root_of.insert(part.id, root);
        trees.entry(root).or_default().push(part);
    }
    let mut repairs: HashMap<Uuid, u32> = HashMap::new();
    let mut failed: HashMap<Uuid, u32> = HashMap::new();
    let mut work: HashMap<Uuid, &'static str> = HashMap::new();
    for chunk in ids.chunks(500) {
        let c = chunk.to_vec();
        for r in repair_order::Entity::find().filter(repair_order::Column::AssetId.is_in(c.clone())).all(conn).await? {
            *repairs.entry(r.asset_id).or_default() += 1;
            if r.open_asset_id.is_some() {
                work.insert(r.asset_id, "an open repair");
            }
        }
        for s in pool_stay::Entity::find()
            .filter(pool_stay::Column::AssetId.is_in(c.clone()))
            .filter(pool_stay::Column::TestResult.eq(TestResult::Failed.as_str()))
            .all(conn)
            .await?
        {
            *failed.entry(s.asset_id).or_default() += 1;
        }
        for j in
            dismantle_job::Entity::find().filter(dismantle_job::Column::OpenAssetId.is_in(c.clone())).all(conn).await?
        {
            work.insert(j.asset_id, "an open dismantle job");
        }
        for i in recycling_lot_item::Entity::find()
            .filter(recycling_lot_item::Column::IncludedAssetId.is_in(c))
            .all(conn)
            .await?
        {
            work.insert(i.asset_id, "a recycling lot");
        }
    }
    // Data-bearing devices of every tree, and which of them the records let go where.
    let mut devices: Vec<&asset::Model> = roots.iter().filter(|r| gate::holds_data(r)).collect();
    devices.extend(trees.values().flatten().filter(|r| gate::holds_data(r)));
    let mut data: HashMap<Uuid, DataFacts> = HashMap::new();
    for d in &devices {
        data.entry(root_of.get(&d.id).copied().unwrap_or(d.id)).or_default().devices += 1;
    }
    if !devices.is_empty() {
        for b in gate::blockers(conn, &devices, Release::Reuse).await? {
            data.entry(root_of.get(&b.id.0).copied().unwrap_or(b.id.0)).or_default().unsanitized_for_reuse += 1;
        }
        for b in gate::blockers(conn, &devices, Release::Transfer).await? {
            data.entry(root_of.get(&b.id.0).copied().unwrap_or(b.id.0)).or_default().unsanitized_for_transfer += 1;
        }
    }
    let mut out = Vec::with_capacity(roots.len());
    for root in roots {
        let tree = trees.remove(&root.id).unwrap_or_default();
        let kind = AssetKind::parse(&root.kind).unwrap_or(AssetKind::Other);
        let state = State::parse(&root.state)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unreadable state {:?} of {}", root.state, root.id)))?;
        let model = shared.model(root.model_id);
        out.push(Facts {
            id: root.id,
            tag: root.asset_tag.clone(),
            version: root.version,
            kind,
            state,
            installed_in: None,
            model: model.map(|(s, _)| Arc::clone(s)),
            capacity: capacity(shared, model.map(|(_, m)| m), &tree),
            first_deployed_on: root.first_deployed_on,
            repairs: repairs.get(&root.id).copied().unwrap_or(0),
            failed_tests: failed.get(&root.id).copied().unwrap_or(0),
            open_work: work.get(&root.id).copied(),
            grade: root.grade_retail.as_deref().and_then(RetailGrade::parse),
            data: data.get(&root.id).copied().unwrap_or_default(),
            site: root.site_id.and_then(|s| shared.site_index.get(&s).copied()),
            mass_kg: tree_mass(shared, &root, &tree),
            parts: offers(shared, &tree),
            workload: root.workload_tier.as_deref().and_then(WorkloadTier::parse),
        });
    }
    Ok(out)
}

fn own_mass(shared: &Shared, row: &asset::Model) -> Option<f64> {
    row.mass_override_kg.or_else(|| shared.model(row.model_id).and_then(|(_, m)| m.mass_kg))
}

/// The tree's mass: every item's own mass (catalog masses exclude registered parts).
fn tree_mass(shared: &Shared, root: &asset::Model, tree: &[asset::Model]) -> Option<f64> {
    let masses: Vec<Option<f64>> = std::iter::once(root).chain(tree).map(|r| own_mass(shared, r)).collect();
    if masses.iter().all(Option::is_none) { None } else { Some(masses.into_iter().flatten().sum()) }
}

/// The model's own figures where it has them, else the parts' added up.
fn capacity(shared: &Shared, model: Option<&HardwareModel>, tree: &[asset::Model]) -> Capacity {
    let sum = |kinds: &[AssetKind], f: &dyn Fn(&HardwareModel) -> Option<f64>| -> Option<f64> {
        let v: Vec<f64> = tree
            .iter()
            .filter(|p| AssetKind::parse(&p.kind).is_some_and(|k| kinds.contains(&k)))
            .filter_map(|p| shared.model(p.model_id).and_then(|(_, m)| f(m)))
            .collect();
        if v.is_empty() { None } else { Some(v.iter().sum()) }
    };
    Capacity {
        cores: model
            .and_then(|m| m.cpu_cores)
            .map(|c| c.max(0) as u32)
            .or_else(|| sum(&[AssetKind::Cpu], &|m| m.cpu_cores.map(f64::from)).map(|c| c as u32)),
        memory_gb: model.and_then(|m| m.memory_gb).or_else(|| sum(&[AssetKind::Dimm], &|m| m.memory_gb)),
        vram_gb: model.and_then(|m| m.gpu_vram_gb).or_else(|| sum(&[AssetKind::Gpu], &|m| m.gpu_vram_gb)),
        storage_tb: model
            .and_then(|m| m.storage_tb)
            .or_else(|| sum(&[AssetKind::Hdd, AssetKind::Ssd, AssetKind::Nvme], &|m| m.storage_tb)),
    }
}

/// The tree's parts grouped by (kind, model), with what they weigh and embody and whom
/// they would serve.
fn offers(shared: &Shared, tree: &[asset::Model]) -> Vec<PartOffer> {
    let mut out: Vec<PartOffer> = Vec::new();
    for p in tree {
        let Some(kind) = AssetKind::parse(&p.kind) else { continue };
        let model = shared.model(p.model_id);
        let mass = own_mass(shared, p).unwrap_or(0.0);
        let figures = model.map(|(_, m)| ModelFigures::from(m));
        let fig = embodied::for_part(kind, figures.as_ref(), own_mass(shared, p));
        match out.iter_mut().find(|o| o.kind == kind && o.model_id == p.model_id) {
            Some(o) => {
                o.count += 1;
                o.mass_kg += mass;
                o.embodied_kgco2e += fig.as_ref().map_or(0.0, |f| f.kgco2e);
            }
            None => out.push(PartOffer {
                kind,
                model_id: p.model_id,
                label: model.map_or_else(|| kind.label().to_owned(), |(s, _)| s.label.clone()),
                count: 1,
                wanted_by: shared.wanted.get(&(kind, p.model_id)).copied().unwrap_or(0),
                spares: shared.spares.get(&(kind, p.model_id)).copied().unwrap_or(0),
                mass_kg: mass,
                embodied_kgco2e: fig.as_ref().map_or(0.0, |f| f.kgco2e),
                embodied_source: fig.map(|f| f.source).unwrap_or_default(),
            }),
        }
    }
    out
}
