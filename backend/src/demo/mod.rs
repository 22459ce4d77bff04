//! The demo fleet: a few hundred servers across five sites with six years of backdated
//! history, loaded through the domain services so that every row and ledger entry is one
//! the product itself would have written.
//!
//! - `refdata`: the Boavizta vendor footprint sheets compiled into the binary.
//! - `data`: the demo's data files (`backend/refdata/demo/`: sites, purchase orders,
//!   buyers, parts, server models and configurations), compiled in and validated.
//! - `catalog`: hardware models with their figures and sources, and the bills of
//!   materials of servers and boards (what the demo registers in them).
//! - `plan`: purchase orders and a dated story per server (seeded: every run plans the
//!   same fleet). Orders delivered before the history starts are the legacy kit, already
//!   in service when recording began and registered at an inventory intake.
//! - `exec`: plays the plan in time order through `assets`, `lifecycle` and `sites`.
//!
//! The history ends on 30 October 2026; on a machine whose clock is earlier than that,
//! every time is shifted back by the same amount so nothing lies in the future.
//!
//! Tags: servers `RL-000123`, their parts `RL-000123-MB` (system board), `-GB` (GPU
//! baseboard), `-C1` (CPU), `-D01` (DIMM), `-G1` (GPU), `-M1` (M.2), `-S01` (drive bay),
//! `-P1` (PSU), `-N1` (NIC); spares `RL-SP-000001`; rack batteries `RL-BBU-FRA1-1`. A part
//! keeps its tag when it moves to another server.
//!
//! The services commit step by step, so a load that fails half-way leaves a partial
//! fleet behind (and the next run, seeing assets, does nothing): load into a fresh
//! database.

mod catalog;
mod data;
mod exec;
mod plan;
mod refdata;

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{EntityTrait, PaginatorTrait, QuerySelect};

use crate::catalog::{BomLine, NewModel, model_key};
use crate::context::Ctx;
use crate::db::Db;
use crate::db::entities::{asset, lifecycle_event};
use crate::ids::{ModelId, SiteId};
use crate::sites::{self, NewSite};
use data::{Demo, SiteKey};
use exec::{Exec, ModelInfo};

/// Loads the demo fleet if the database holds no asset. Returns a summary of what was
/// loaded, or `None` when assets already exist.
pub async fn load_if_empty(db: &Db) -> anyhow::Result<Option<String>> {
    let any = asset::Entity::find()
        .select_only()
        .column(asset::Column::Id)
        .limit(1)
        .into_tuple::<uuid::Uuid>()
        .one(db.conn())
        .await?;
    if any.is_some() {
        return Ok(None);
    }
    let started = Instant::now();
    let data = data::demo()?;
    let footprints = refdata::Footprints::embedded()?;
    let defs = catalog::models(&footprints)?;
    let plan = plan::plan(plan::SEED)?;
    let end = plan::history_end()?;
    let shift = shift_for(end, Utc::now());

    let sites = ensure_sites(db, data, plan::history_start()? - shift).await?;
    let models = ensure_models(db, &defs, shift).await?;
    tracing::info!(
        "demo: catalog of {} models and {} sites ready; playing {} steps for {} servers",
        defs.len(),
        sites.len(),
        plan.schedule.len(),
        plan.servers.len()
    );
    let mut exec = Exec::new(db, data, shift, models, sites, plan.servers.len());
    exec.run(&plan).await?;

    let items = asset::Entity::find().count(db.conn()).await?;
    let entries = lifecycle_event::Entity::find().count(db.conn()).await?;
    let summary = format!(
        "{} sites, {} models, {} servers, {} items, {} ledger entries",
        data.sites.len(),
        defs.len(),
        plan.servers.len(),
        thousands(items),
        thousands(entries)
    );
    tracing::info!(
        "demo: loaded in {:.1} s ({summary}; {} part swaps, {} harvested DIMMs reused)",
        started.elapsed().as_secs_f64(),
        exec.swaps,
        exec.reused_dimms
    );
    Ok(Some(summary))
}

/// How far to move the history back so that it ends before `now`.
fn shift_for(end: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    let latest = now - Duration::days(1);
    if end > latest { end - latest } else { Duration::zero() }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Creates the demo sites, reusing any site that already has the same name.
async fn ensure_sites(db: &Db, data: &Demo, at: DateTime<Utc>) -> anyhow::Result<HashMap<SiteKey, SiteId>> {
    let existing = sites::list(db.conn()).await.map_err(|e| anyhow::anyhow!("listing sites: {e}"))?;
    let ctx = Ctx::at("demo:facilities", at);
    let mut out = HashMap::new();
    for s in &data.sites {
        let id = match existing.iter().find(|e| crate::text::key(&e.name) == crate::text::key(&s.name)) {
            Some(e) => e.id,
            None => {
                let input = NewSite {
                    name: s.name.clone(),
                    country: s.country.clone(),
                    grid_ci_g_per_kwh: Some(s.grid_ci),
                    grid_ci_source: Some(data.grid_ci_source.clone()),
                    pue: s.pue,
                    notes: Some(s.notes.clone()),
                };
                sites::create(db, &ctx, input).await.map_err(|e| anyhow::anyhow!("creating site {}: {e}", s.name))?.id
            }
        };
        out.insert(s.key, id);
    }
    Ok(out)
}

/// Creates the demo catalog (each model dated early in its release year, before any
/// purchase of it), reusing models that already exist under the same name. Parts come
/// first, so a bill of materials names models already in `out`.
async fn ensure_models(
    db: &Db,
    defs: &[catalog::ModelDef],
    shift: Duration,
) -> anyhow::Result<HashMap<&'static str, ModelInfo>> {
    let mut out = HashMap::new();
    for d in defs {
        let m = &d.model;
        let key = model_key(&m.manufacturer, &m.model_number);
        let found = crate::catalog::by_key(db.conn(), &key)
            .await
            .map_err(|e| anyhow::anyhow!("looking up {}: {e}", m.model_number))?;
        let (id, kind, manufacturer, label) = match found {
            Some(x) => {
                if x.kind != m.kind {
                    anyhow::bail!(
                        "the catalog already has {} as a {}, but the demo needs a {}",
                        x.label(),
                        x.kind,
                        m.kind
                    );
                }
                (x.id, x.kind, x.manufacturer.clone(), x.label())
            }
            None => {
                let year = m.release_year.unwrap_or(2019).max(2019);
                let at = plan::catalog_date(year)? - shift;
                let ctx = Ctx::at("demo:procurement", at);
                let input = NewModel { bom: bill(d, &out)?, ..m.clone() };
                let created = crate::catalog::create(db, &ctx, input).await.map_err(|e| {
                    anyhow::anyhow!(
                        "adding {} {} to the catalog: {e} ({:?})",
                        m.manufacturer,
                        m.model_number,
                        e.field_errors()
                    )
                })?;
                (created.id, created.kind, created.manufacturer.clone(), created.label())
            }
        };
        let id: ModelId = id;
        out.insert(d.key, ModelInfo { id, label, manufacturer, kind });
    }
    Ok(out)
}

/// A model's bill of materials with its part keys resolved to the models in `made`.
fn bill(d: &catalog::ModelDef, made: &HashMap<&'static str, ModelInfo>) -> anyhow::Result<Vec<BomLine>> {
    d.bom
        .iter()
        .map(|p| {
            let model_id = match p.model {
                Some(k) => {
                    Some(made.get(k).with_context(|| format!("{}'s bill names {k} before it exists", d.key))?.id)
                }
                None => None,
            };
            Ok(BomLine { kind: p.kind, model_id, count: p.count })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(9_876_543), "9,876,543");
    }

    #[test]
    fn history_is_shifted_only_when_the_clock_is_behind() {
        let end = plan::history_end().expect("end");
        assert_eq!(shift_for(end, end + Duration::days(30)), Duration::zero());
        let early = end - Duration::days(10);
        let shift = shift_for(end, early);
        assert!(end - shift < early);
    }

    /// The bench in the demo: open and closed repairs (some installing harvested parts),
    /// open and closed dismantle jobs, stock in the spare pool, and reuse figures that are
    /// not zero and add up.
    async fn bench_work_is_all_there(db: &Db) {
        use crate::harvest::{JobQuery, PoolQuery, ReuseQuery};
        use crate::repairs::RepairQuery;
        use crate::rules::{PartAction, WorkStatus};
        let conn = db.conn();
        let count_repairs = |status| RepairQuery { status: Some(status), limit: Some(500), ..Default::default() };
        let open = crate::repairs::list(conn, &count_repairs(WorkStatus::Open)).await.expect("repairs");
        let closed = crate::repairs::list(conn, &count_repairs(WorkStatus::Closed)).await.expect("repairs");
        assert!(
            !open.items.is_empty() && closed.items.len() > 50,
            "{} open, {} closed",
            open.items.len(),
            closed.items.len()
        );
        let mut harvested_installed = 0;
        for r in closed.items.iter().take(200) {
            let d = crate::repairs::detail(conn, r.id).await.expect("detail");
            harvested_installed += d
                .parts
                .iter()
                .filter(|p| p.action == PartAction::Installed && p.origin.as_deref() == Some("harvested"))
                .count();
        }
        assert!(harvested_installed > 0, "closed repairs installed harvested parts");
        let jobs = |status| JobQuery { status: Some(status), limit: Some(100), cursor: None };
        let open_jobs = crate::harvest::list(conn, &jobs(WorkStatus::Open)).await.expect("jobs").items;
        let closed_jobs = crate::harvest::list(conn, &jobs(WorkStatus::Closed)).await.expect("jobs").items;
        assert_eq!(open_jobs.len(), 2, "two jobs are on the bench");
        assert!(closed_jobs.len() >= 5);
        let sheet = crate::harvest::detail(conn, open_jobs[0].id).await.expect("sheet");
        assert!(sheet.recorded > 0 && sheet.recorded < sheet.lines.len(), "half recorded: {}", sheet.recorded);
        let pool = crate::harvest::pool(conn, &PoolQuery::default()).await.expect("pool");
        assert!(pool.total > 20, "spare pool stock: {}", pool.total);
        let from = chrono::NaiveDate::from_ymd_opt(2015, 1, 1);
        let f = crate::harvest::figures(conn, &ReuseQuery { from, ..Default::default() }).await.expect("figures");
        assert!(
            f.harvested > 0 && f.reused > 0 && f.sold_or_donated > 0 && f.recycled > 0 && f.embodied_kept_kgco2e > 0.0,
            "{f:?}"
        );
        assert_eq!(f.reused + f.sold_or_donated + f.recycled + f.waiting, f.harvested, "{f:?}");
        assert_eq!(f.to_spare_pool + f.to_resale + f.to_recycling, f.harvested, "{f:?}");
        let recs = crate::sanitization::records(
            conn,
            &crate::sanitization::RecordQuery { limit: Some(500), ..Default::default() },
        )
        .await
        .expect("records");
        assert!(recs.items.len() > 50, "sanitized drives with certificates: {}", recs.items.len());
        let failed = recs.items.iter().filter(|r| r.result == crate::rules::SanitizationResult::Failed).count();
        assert_eq!(failed, 1, "one failed sanitization");
        assert!(
            recs.items.iter().any(|r| r.method_class == crate::rules::MethodClass::Destroy),
            "failed drives are shredded"
        );
        let opts = crate::ledger::chain::VerifyOptions::default();
        let report = crate::ledger::chain::verify(db, &opts, &mut |_, _| {}).await.expect("verify");
        assert!(report.ok, "the demo's chain verifies: {report:?}");
    }

    /// End of life in the demo: two vendors (one whose certificate expired), lots that
    /// shipped with their hand-offs and reports, one still waiting for its report, one open
    /// and being filled; every shipped item is in recycling or recovered.
    async fn end_of_life_is_all_there(db: &Db) {
        use crate::recycling::LotQuery;
        use crate::rules::LotStatus;
        let conn = db.conn();
        let vendors = crate::vendors::list(conn).await.expect("vendors");
        assert_eq!(vendors.len(), 2);
        assert!(
            vendors.iter().any(|v| !v.standing.certified && v.standing.warnings.iter().any(|w| w.contains("expired")))
        );
        let lots =
            crate::recycling::list(conn, &LotQuery { limit: Some(100), ..Default::default() }).await.expect("lots");
        let by = |st| lots.items.iter().filter(|l| l.status == st).collect::<Vec<_>>();
        let (open, shipped, recovered) = (by(LotStatus::Open), by(LotStatus::Shipped), by(LotStatus::Recovered));
        assert_eq!(open.len(), 1, "one lot is being filled");
        assert!(
            !shipped.is_empty() && recovered.len() >= 5,
            "{} shipped, {} recovered",
            shipped.len(),
            recovered.len()
        );
        let heaviest = recovered.iter().max_by(|a, b| a.net_kg.unwrap_or(0.0).total_cmp(&b.net_kg.unwrap_or(0.0)));
        let d = crate::recycling::detail(conn, heaviest.expect("a recovered lot").id).await.expect("detail");
        assert_eq!(d.custody.len(), 3, "{:?}", d.custody);
        let rates = d.rates.expect("rates");
        assert!(rates.recovery_rate > 0.0 && rates.recovery_rate <= 1.0, "{rates:?}");
        assert!(d.items.iter().all(|i| i.state == crate::rules::State::Recovered));
        assert!(
            d.materials
                .iter()
                .any(|m| m.material == crate::rules::Material::Gold && m.reported_kg.unwrap_or(0.0) > 0.0)
        );
        let waiting = crate::recycling::detail(conn, shipped[0].id).await.expect("detail");
        assert!(waiting.report.is_none() && waiting.items.iter().all(|i| i.state == crate::rules::State::InRecycling));
        let filling = crate::recycling::detail(conn, open[0].id).await.expect("detail");
        assert!(filling.item_count > 0, "the open lot holds what waited since the last collection");
    }

    /// The fleet view of the demo (a policy run with the shipped pack) is varied: GPU servers
    /// to small-model inference, old CPU nodes to CI runners, HDD-dense nodes to cold
    /// storage, servers whose system board failed for good as parts donors, and kit ten
    /// years or older to recycling.
    async fn fleet_view_is_varied(db: &Db) {
        use crate::policy::{FleetQuery, FleetRow, query};
        use crate::repairs::RepairQuery;
        use crate::rules::{Disposition, FaultCategory, RepairOutcome, WorkloadTier};
        async fn rows(db: &Db, run: uuid::Uuid, d: Disposition) -> Vec<FleetRow> {
            let q = FleetQuery { disposition: Some(d), ..Default::default() };
            query::all(db.conn(), run, &q).await.expect("fleet rows")
        }
        let ran = crate::policy::refresh(db, chrono::Utc::now(), "test").await.expect("fleet run");
        let (run, info) = query::latest_run(db.conn()).await.expect("latest run").expect("a finished run");
        assert_eq!((info.evaluated, info.due), (ran.evaluated, ran.due));
        let redeploy = rows(db, run, Disposition::Redeploy).await;
        for tier in [WorkloadTier::SmallModelInference, WorkloadTier::CiBuild, WorkloadTier::ColdStorage] {
            assert!(redeploy.iter().any(|r| r.tier == Some(tier)), "no redeployment to {tier}: {:?}", info.totals);
        }
        let fired = |r: &FleetRow, rule: &str| r.rules.iter().any(|x| x == rule);
        let donors = rows(db, run, Disposition::PartsDonor).await;
        let mut failed_boards = 0;
        for r in donors.iter().filter(|r| r.failures >= 3 && fired(r, "donor-failing")) {
            let q = RepairQuery { asset_id: Some(r.asset_id), limit: Some(50), ..Default::default() };
            let repairs = crate::repairs::list(db.conn(), &q).await.expect("repairs").items;
            if repairs
                .iter()
                .any(|o| o.fault_category == FaultCategory::NoPost && o.outcome == Some(RepairOutcome::NotRepairable))
            {
                failed_boards += 1;
            }
        }
        assert!(failed_boards > 0, "no parts donor with a failed board: {donors:?}");
        let recycle = rows(db, run, Disposition::Recycle).await;
        assert!(
            recycle.iter().any(|r| r.age_years.is_some_and(|a| a >= 10.0) && fired(r, "recycle-old")),
            "nothing ten years or older to recycle: {:?}",
            info.totals
        );
    }

    /// Loads the whole demo into a fresh SQLite file, twice (the second time refuses).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn loads_once_into_an_empty_database() {
        let dir = std::env::temp_dir().join(format!("reloop-demo-test-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.join("demo.db").display());
        let db = Db::connect(&url, 4).await.expect("connect").with_chain_key(crate::db::ChainKey::random());
        db.migrate().await.expect("migrate");
        let summary = load_if_empty(&db).await.expect("load").expect("loaded");
        assert!(summary.contains("5 sites"), "{summary}");
        assert!(load_if_empty(&db).await.expect("second").is_none());
        bench_work_is_all_there(&db).await;
        end_of_life_is_all_there(&db).await;
        fleet_view_is_varied(&db).await;
        db.close().await.ok();
        std::fs::remove_dir_all(&dir).ok();
    }
}
