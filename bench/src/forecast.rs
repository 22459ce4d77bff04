//! The forecast's figures: the pure engines on one core (a fleet of synthetic items over a
//! 15-year horizon, beside a bare pass over the same items; a Weibull fit over as many
//! censored lifespans; the demand model on the shipped table), and, on the bench database,
//! the fleet forecast and the lifespan fit through the service (reads included).

use std::time::Instant;

use chrono::{Datelike, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reloop::db::Db;
use reloop::forecast::demand::{DemandTable, Scenario};
use reloop::forecast::fit::{self, Obs};
use reloop::forecast::fleet::{self, Fleet, Item, MATERIALS, Piece};
use reloop::forecast::kernel::{Kernel, Weibull};
use reloop::forecast::levers::{Levers, Shift};
use reloop::forecast::refdata;
use reloop::rules::{AssetKind, ChipSupply, DemandScenario, EfficiencyPath};

pub struct EngineRun {
    pub items: usize,
    pub baseline_s: f64,
    pub levers_s: f64,
    pub bare_s: f64,
    pub fit_s: f64,
    pub fit_shape: f64,
    pub demand_ms: f64,
    pub demand_with_levers_ms: f64,
    /// The whole request through the service: the shipped table parsed, checked, run, answered.
    pub demand_service_ms: f64,
}

/// `n` synthetic top-level items: servers (with a board, 8 DIMMs' worth, two drives and a
/// PSU as pieces), GPU servers and storage nodes, started on any day of the last 12 years,
/// under two kernels.
fn synthetic(n: usize) -> anyhow::Result<Fleet> {
    let w = |a, b| Weibull::new(a, b, "").map_err(|e| anyhow::anyhow!("{}", e[0]));
    let mut f = Fleet {
        kernels: vec![Kernel::Weibull(w(1.46, 7.78)?), Kernel::Weibull(w(2.4, 6.5)?)],
        profiles: vec![[0.0; MATERIALS], [0.0; MATERIALS]],
        ..Fleet::default()
    };
    let mut pieces = Vec::with_capacity(n * 5);
    f.profiles[0][0] = 529.0;
    f.profiles[0][2] = 169.0;
    f.profiles[1][3] = 0.855;
    let today = Utc::now().date_naive().num_days_from_ce();
    let mut rng = StdRng::seed_from_u64(17);
    let kinds = [AssetKind::Server, AssetKind::Server, AssetKind::Server, AssetKind::Chassis];
    for i in 0..n {
        let from = pieces.len() as u32;
        let own = rng.random_range(12.0..28.0);
        pieces.push(Piece { kind: AssetKind::Server, profile: Some(0), kg: own });
        pieces.push(Piece { kind: AssetKind::Board, profile: Some(0), kg: 2.1 });
        pieces.push(Piece { kind: AssetKind::Dimm, profile: Some(1), kg: 0.32 });
        pieces.push(Piece { kind: AssetKind::Ssd, profile: None, kg: 0.12 });
        pieces.push(Piece { kind: AssetKind::Psu, profile: None, kg: 2.8 });
        f.items.push(Item {
            kind: kinds[i % kinds.len()],
            kernel: (i % 2) as u16,
            start_day: today - rng.random_range(0..4383),
            pieces: (from, pieces.len() as u32),
        });
    }
    f.pieces = pieces.into();
    Ok(f)
}

/// Times the engines on one core.
pub fn engines(n: usize) -> anyhow::Result<EngineRun> {
    let f = synthetic(n)?;
    let today = Utc::now().date_naive();
    // The bare baseline: one pass over the same items and their pieces, summing masses by
    // start day (what grouping must read), so the difference is the engine's own work.
    let t = Instant::now();
    let mut bare = 0.0f64;
    for it in &f.items {
        for p in &f.pieces[it.pieces.0 as usize..it.pieces.1 as usize] {
            bare += p.kg * f64::from(it.start_day % 7);
        }
    }
    let bare_s = t.elapsed().as_secs_f64();
    std::hint::black_box(bare);
    let t = Instant::now();
    let out = fleet::forecast(&f, today, 15, &Levers::default());
    let baseline_s = t.elapsed().as_secs_f64();
    std::hint::black_box(&out);
    let levers = Levers {
        extension: Some(Shift { years: 2.0, share: 0.5 }),
        redeployment: Some(Shift { years: 3.0, share: 0.2 }),
        harvest: vec![(AssetKind::Dimm, 0.8), (AssetKind::Ssd, 0.5)],
        ..Levers::default()
    };
    let t = Instant::now();
    let out = fleet::forecast(&f, today, 15, &levers);
    let levers_s = t.elapsed().as_secs_f64();
    std::hint::black_box(&out);

    // A fit over as many lifespans: Weibull(1.6, 7) censored at a uniform age in 0..12.
    let mut rng = StdRng::seed_from_u64(5);
    let obs: Vec<Obs> = (0..n)
        .map(|_| {
            let u: f64 = rng.random_range(f64::EPSILON..1.0);
            let life = 7.0 * (-u.ln()).powf(1.0 / 1.6);
            let seen = rng.random_range(0.0..12.0);
            if life <= seen { Obs { years: life, ended: true } } else { Obs { years: seen, ended: false } }
        })
        .collect();
    let t = Instant::now();
    let fitted = fit::fit(&obs).map_err(|e| anyhow::anyhow!("the fit: {e}"))?;
    let fit_s = t.elapsed().as_secs_f64();

    // The demand model on the shipped table: the median of 101 runs.
    let s = Scenario {
        users: DemandScenario::Aggressive,
        chips: ChipSupply::Base,
        efficiency: EfficiencyPath::Base,
        extension_quarters: 0,
        server_mass_kg: refdata::SERVER_MASS_KG,
    };
    let table =
        DemandTable::read("table", refdata::DEMAND_CSV, &s.columns()).map_err(|e| anyhow::anyhow!("{}", e[0]))?;
    let kernel = refdata::genai_kernel().map_err(|e| anyhow::anyhow!(e))?;
    let median_ms = |levers: &Levers| {
        let mut times: Vec<f64> = (0..101)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(reloop::forecast::demand::forecast(&table, &s, &kernel.probs, levers));
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[50]
    };
    let demand_ms = median_ms(&Levers::default());
    let demand_levers = Levers { extension: Some(Shift { years: 1.0, share: 0.5 }), ..Levers::default() };
    let demand_with_levers_ms = median_ms(&demand_levers);
    let mut times: Vec<f64> = (0..101)
        .map(|_| {
            let t = Instant::now();
            let req = reloop::forecast::DemandRequest {
                scenario: None,
                chip_supply: None,
                efficiency: None,
                lifespan_extension_quarters: None,
                server_mass_kg: None,
                demand_csv: None,
                levers: Default::default(),
            };
            std::hint::black_box(reloop::forecast::scenarios::demand_with(req, Utc::now().date_naive(), None).ok());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let demand_service_ms = times[50];
    Ok(EngineRun {
        items: n,
        baseline_s,
        levers_s,
        bare_s,
        fit_s,
        fit_shape: fitted.shape,
        demand_ms,
        demand_with_levers_ms,
        demand_service_ms,
    })
}

pub struct ServiceRun {
    pub items: u64,
    pub fleet_s: Vec<f64>,
    pub lifespans_s: f64,
    pub kinds_fitted: usize,
}

/// The fleet forecast (auto kernels: the registry's history read and fitted, the fleet
/// read with its trees, the engine) three times, and the lifespans page once, through the
/// service on the bench database.
pub async fn service(db: &Db) -> anyhow::Result<ServiceRun> {
    let today = Utc::now().date_naive();
    let mut fleet_s = Vec::new();
    let mut items = 0;
    let cache = reloop::forecast::FactsCache::default();
    for i in 0..4 {
        // The first two read the records afresh; the last two find them kept.
        let fresh = reloop::forecast::FactsCache::default();
        let t = Instant::now();
        let f = reloop::forecast::fleet(
            db,
            if i == 0 { &fresh } else { &cache },
            &reloop::forecast::FleetQuery::default(),
            today,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        fleet_s.push(t.elapsed().as_secs_f64());
        items = f.scope.items;
    }
    let t = Instant::now();
    let l = reloop::forecast::lifespans(db, &reloop::forecast::FactsCache::default(), today)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ServiceRun {
        items,
        fleet_s,
        lifespans_s: t.elapsed().as_secs_f64(),
        kinds_fitted: l.kinds.iter().filter(|k| k.fit.is_some()).count(),
    })
}
