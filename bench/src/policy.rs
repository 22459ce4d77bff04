//! The policy engine's figures: the pure engine over a million synthetic items on one core
//! (against a bare pass over the same items), and, on the bench database, a fleet run and
//! a dry run of a draft through the services.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use reloop::db::Db;
use reloop::policy::engine::{self, Capacity, DataFacts, Facts, ModelSpecs, SiteFacts, World};
use reloop::policy::pack::{self, DEFAULT_PACK};
use reloop::rules::{AssetKind, RetailGrade, State};
use uuid::Uuid;

pub struct EngineRun {
    pub items: usize,
    pub engine_s: f64,
    pub bare_s: f64,
    pub eligible: usize,
}

pub struct FleetRun {
    pub evaluated: i64,
    pub due: i64,
    pub refresh_s: f64,
    pub dry_run_s: f64,
    pub dry_changed: u64,
}

/// `n` varied synthetic items (ages 0–12 years, 0–6 failures, GPU or not, HDD-dense or not,
/// data sanitized or not, five states, four grades) evaluated one after the other on this
/// thread with the default pack.
pub fn engine(n: usize) -> anyhow::Result<EngineRun> {
    let policy = pack::parse(DEFAULT_PACK).map_err(|e| anyhow::anyhow!("the default pack: {}", e[0]))?;
    let today = Utc::now().date_naive();
    let model = |w: f64, e: f64, year: i32| {
        Arc::new(ModelSpecs {
            id: Uuid::now_v7(),
            label: format!("Bench {w} W"),
            release_year: Some(year),
            embodied_kgco2e: Some(e),
            embodied_source: "synthetic".into(),
            max_w: Some(w),
            ..ModelSpecs::default()
        })
    };
    let models = [model(450.0, 1300.0, 2017), model(350.0, 900.0, 2020), model(6500.0, 15000.0, 2020)];
    let site = |name: &str, ci: f64, pue: f64| SiteFacts {
        id: Uuid::now_v7(),
        name: name.into(),
        grid_ci_g_per_kwh: Some(ci),
        grid_ci_source: "synthetic".into(),
        pue: Some(pue),
        hosts_it: true,
    };
    let world = World {
        today,
        sites: vec![site("North", 40.0, 1.15), site("Central", 380.0, 1.3), site("East", 650.0, 1.5)],
        replacements: vec![Some(model(10200.0, 20000.0, 2023)), Some(model(300.0, 1300.0, 2023))],
    };
    let states = [State::Deployed, State::Deployed, State::Redeployed, State::InStock, State::Retired];
    let facts: Vec<Facts> = (0..n)
        .map(|i| {
            let gpu = i % 11 == 0;
            Facts {
                id: Uuid::now_v7(),
                tag: format!("BN-{i:07}"),
                version: 1,
                kind: AssetKind::Server,
                state: states[i % states.len()],
                installed_in: None,
                model: Some(Arc::clone(&models[if gpu { 2 } else { i % 2 }])),
                capacity: Capacity {
                    cores: Some(if i % 3 == 0 { 16 } else { 64 }),
                    memory_gb: Some(if i % 4 == 0 { 32.0 } else { 256.0 }),
                    vram_gb: gpu.then_some(640.0),
                    storage_tb: Some(if i % 13 == 0 { 96.0 } else { 7.68 }),
                },
                first_deployed_on: Some(today - chrono::Duration::days(((i * 37) % 4380) as i64)),
                repairs: (i % 7) as u32,
                failed_tests: 0,
                open_work: None,
                grade: [None, Some(RetailGrade::A), Some(RetailGrade::B), Some(RetailGrade::C)][i % 4],
                data: DataFacts {
                    devices: 2,
                    unsanitized_for_reuse: if i % 5 == 0 { 0 } else { 2 },
                    unsanitized_for_transfer: if i % 5 == 0 { 0 } else { 2 },
                },
                site: Some(i % 3),
                mass_kg: Some(26.3),
                parts: Vec::new(),
                workload: None,
            }
        })
        .collect();
    // The bare baseline: one pass over the same items reading what every evaluation reads
    // first (age and failures), so the difference is the engine's own work.
    let t = Instant::now();
    let mut bare = 0.0f64;
    for f in &facts {
        bare += f.first_deployed_on.map_or(0.0, |d| (today - d).num_days() as f64) + f64::from(f.repairs);
    }
    let bare_s = t.elapsed().as_secs_f64();
    std::hint::black_box(bare);
    let t = Instant::now();
    let mut eligible = 0usize;
    for f in &facts {
        let e = engine::evaluate(&policy, &world, f, false);
        eligible += usize::from(e.top().is_some());
    }
    Ok(EngineRun { items: n, engine_s: t.elapsed().as_secs_f64(), bare_s, eligible })
}

/// A fleet run (every top-level item evaluated, the due ones written) and a dry run of a
/// draft that drops the CI tier, on the bench database, through the services.
pub async fn fleet(db: &Db) -> anyhow::Result<FleetRun> {
    let t = Instant::now();
    let run = reloop::policy::refresh(db, Utc::now(), "bench").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let refresh_s = t.elapsed().as_secs_f64();
    let draft = DEFAULT_PACK.replace("min_cores = 16", "min_cores = 128");
    let t = Instant::now();
    let dry = reloop::policy::dry_run(db, &draft, Utc::now().date_naive())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the dry run")?;
    Ok(FleetRun {
        evaluated: run.evaluated,
        due: run.due,
        refresh_s,
        dry_run_s: t.elapsed().as_secs_f64(),
        dry_changed: dry.changed,
    })
}
