//! The synthetic fleet: sites, models and servers with their parts, registered through
//! reloop's own services (the path the API and imports use), plus a signed-in bench admin.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reloop::assets::NewAsset;
use reloop::catalog::{self, NewModel};
use reloop::context::Ctx;
use reloop::db::Db;
use reloop::ids::{AssetId, ModelId, SiteId};
use reloop::rules::{AssetKind, Role, State, WorkloadTier};
use reloop::sites::{self, NewSite};

/// Items per server in the synthetic fleet, besides the server itself.
pub const PARTS: usize = 9;
/// Servers per registration transaction.
const BATCH_SERVERS: usize = 1000;

pub struct Fleet {
    /// A bench admin's API token and session cookie: every page needs a signed-in caller.
    pub token: String,
    pub cookie: String,
    /// The session's CSRF token, which every UI form must carry.
    pub csrf: String,
    pub sites: Vec<SiteId>,
    pub models: Vec<ModelId>,
    /// A sample of asset ids for the asset-page load.
    pub sample: Vec<AssetId>,
    /// A sample of asset tags for the search load.
    pub tags: Vec<String>,
    /// A sample of the servers' ids (top-level items) for the next-life loads.
    pub servers: Vec<AssetId>,
}

/// Registers the synthetic fleet through the same service as the API, in batches.
pub async fn generate(db: &Db, servers: usize) -> anyhow::Result<Fleet> {
    let ctx = Ctx::new("bench");
    let mut sites = Vec::new();
    for (name, country, ci, pue) in [
        ("Bench North", "SE", 40.0, 1.15),
        ("Bench Central", "DE", 380.0, 1.3),
        ("Bench West", "IE", 290.0, 1.25),
        ("Bench East", "PL", 650.0, 1.5),
    ] {
        let s = sites::create(
            db,
            &ctx,
            NewSite {
                name: name.into(),
                country: country.into(),
                grid_ci_g_per_kwh: Some(ci),
                pue: Some(pue),
                ..Default::default()
            },
        )
        .await
        .with_context(|| format!("creating the site {name}"))?;
        sites.push(s.id);
    }
    let model = |m: &str, n: &str, k: AssetKind, kg: f64| NewModel {
        mass_kg: Some(kg),
        notes: Some("synthetic bench model".into()),
        ..NewModel::new(m, n, k)
    };
    // Figures the policy engine reads (cores, memory, storage, power, release year), so the
    // fleet view has a believable mix; the replacement the default policy names
    // (Dell PowerEdge R7625, NVIDIA DGX H100) is in the catalog with the figures a payback needs.
    let server = |n: &str, kg: f64, year: i32, w: f64, e: f64| NewModel {
        release_year: Some(year),
        max_w: Some(w),
        embodied_kgco2e: Some(e),
        embodied_source: Some("synthetic bench figure".into()),
        ..model("BenchCo", n, AssetKind::Server, kg)
    };
    let mut models = Vec::new();
    for m in [
        server("S-2U server", 15.0, 2017, 450.0, 1300.0),
        server("S-1U server", 11.0, 2020, 350.0, 900.0),
        model("BenchCo", "B-2S board", AssetKind::Board, 2.0),
        NewModel { cpu_cores: Some(32), ..model("BenchCo", "C-32 CPU", AssetKind::Cpu, 0.1) },
        NewModel { memory_gb: Some(64.0), ..model("BenchCo", "M-64 DIMM", AssetKind::Dimm, 0.03) },
        NewModel { storage_tb: Some(3.84), ..model("BenchCo", "N-3.84 NVMe", AssetKind::Nvme, 0.1) },
        model("BenchCo", "P-1100 PSU", AssetKind::Psu, 3.0),
        NewModel {
            release_year: Some(2023),
            max_w: Some(300.0),
            embodied_kgco2e: Some(1300.0),
            embodied_source: Some("synthetic bench figure".into()),
            ..model("Dell", "PowerEdge R7625", AssetKind::Server, 26.3)
        },
        NewModel {
            release_year: Some(2023),
            max_w: Some(10200.0),
            embodied_kgco2e: Some(20000.0),
            embodied_source: Some("synthetic bench figure".into()),
            ..model("NVIDIA", "DGX H100", AssetKind::Server, 130.45)
        },
    ] {
        let label = catalog::label(&m.manufacturer, &m.model_number);
        models.push(catalog::create(db, &ctx, m).await.with_context(|| format!("creating the model {label}"))?.id);
    }
    let mut rng = StdRng::seed_from_u64(7);
    let started = Instant::now();
    let mut items = 0usize;
    let mut sample = Vec::new();
    let mut servers_sample = Vec::new();
    let mut tags = Vec::new();
    let states = [
        (State::Deployed, 60u32),
        (State::InStock, 12),
        (State::InRepair, 5),
        (State::Redeployed, 15),
        (State::Retired, 8),
    ];
    let mut next_report = Instant::now() + Duration::from_secs(5);
    for first in (0..servers).step_by(BATCH_SERVERS) {
        let mut batch = Vec::with_capacity(BATCH_SERVERS * (PARTS + 1));
        for n in first..(first + BATCH_SERVERS).min(servers) {
            let tag = format!("BN-{n:07}");
            let mut roll: u32 = rng.random_range(0..100);
            let state = states.iter().find(|(_, w)| {
                let hit = roll < *w;
                roll = roll.saturating_sub(*w);
                hit
            });
            let state = state.map_or(State::Deployed, |(s, _)| *s);
            let workload = match state {
                State::Redeployed => Some(WorkloadTier::CiBuild),
                State::Deployed => Some(WorkloadTier::GeneralCompute),
                _ => None,
            };
            batch.extend(server_tree(&tag, n, &models, sites[n % sites.len()], state, workload));
            if n % 97 == 0 {
                tags.push(tag);
            }
        }
        items += batch.len();
        let made = reloop::assets::register(db, &ctx, batch, true)
            .await
            .with_context(|| format!("registering servers {first}.."))?;
        if sample.len() < 20_000 {
            sample.extend(made.iter().step_by(7).map(|a| a.id));
        }
        if servers_sample.len() < 20_000 {
            servers_sample.extend(made.iter().filter(|a| a.parent_id.is_none()).step_by(3).map(|a| a.id));
        }
        if Instant::now() >= next_report {
            let secs = started.elapsed().as_secs_f64();
            eprintln!("  … {items} items in {secs:.0} s ({:.0} items/s)", items as f64 / secs);
            next_report = Instant::now() + Duration::from_secs(5);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "inserted {items} items ({servers} servers) with their ledger entries in {secs:.1} s: {:.0} items/s",
        items as f64 / secs
    );
    let (token, cookie, csrf) = bench_user(db, &ctx).await.context("creating the bench admin")?;
    Ok(Fleet { token, cookie, csrf, sites, models, sample, tags, servers: servers_sample })
}

/// A fleet server and its parts (a board with 2 CPUs and 4 DIMMs, an NVMe drive, a PSU),
/// all in `state`, as `register` takes them (parents first). `models` is the fleet's list.
pub fn server_tree(
    tag: &str,
    n: usize,
    models: &[ModelId],
    site: SiteId,
    state: State,
    workload: Option<WorkloadTier>,
) -> Vec<NewAsset> {
    let mut tree = Vec::with_capacity(PARTS + 1);
    // First deployed up to ten years ago, spread evenly (so ages 0–10 years).
    let deployed = Utc::now().date_naive() - chrono::Duration::days((n as i64 * 37) % 3650);
    tree.push(NewAsset {
        asset_tag: tag.to_owned(),
        serial: Some(format!("SV{n:08X}")),
        model_id: Some(models[n % 2]),
        first_deployed_on: (state != State::InStock).then_some(deployed),
        site_id: Some(site),
        state: Some(state),
        workload_tier: workload,
        ..Default::default()
    });
    let part = |suffix: &str, model: ModelId, parent: &str| NewAsset {
        asset_tag: format!("{tag}-{suffix}"),
        serial: Some(format!("{suffix}{n:08X}")),
        model_id: Some(model),
        parent_tag: Some(parent.to_owned()),
        state: Some(state),
        ..Default::default()
    };
    let board = format!("{tag}-B");
    tree.push(part("B", models[2], tag));
    for c in 0..2 {
        tree.push(part(&format!("C{c}"), models[3], &board));
    }
    for d in 0..4 {
        tree.push(part(&format!("M{d}"), models[4], &board));
    }
    tree.push(part("N0", models[5], tag));
    tree.push(part("P0", models[6], tag));
    tree
}

/// An admin for the load generator, with an API token and a session (its cookie and CSRF
/// token).
async fn bench_user(db: &Db, ctx: &Ctx) -> anyhow::Result<(String, String, String)> {
    use reloop::auth::{sessions, tokens, users};
    let password = format!("load generator {}", reloop::auth::secret::random_hex());
    let user = users::create(
        db,
        ctx,
        reloop::auth::NewUser { username: "bench".into(), display_name: None, role: Role::Admin, password },
    )
    .await
    .context("creating the user")?;
    let token = tokens::create(db, ctx, user.id, tokens::NewToken { name: "bench".into(), expires_in_days: Some(1) })
        .await
        .context("creating its API token")?;
    let policy = sessions::SessionPolicy { idle: chrono::Duration::hours(12), absolute: chrono::Duration::hours(12) };
    let started = sessions::start(db, &user, "reloop-bench", "127.0.0.1", policy, Utc::now())
        .await
        .context("starting its session")?;
    Ok((token.token, started.cookie, started.csrf))
}
