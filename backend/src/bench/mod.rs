//! `reloop bench`: generates a synthetic fleet into a fresh database, then measures the
//! server under concurrent HTTP load. Figures go to docs/benchmarks.md; nothing here is
//! asserted (timings are measured, never tested).
//!
//! The server runs as a child process (`reloop serve`) so its peak RSS is its own.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, Database};

use crate::assets::NewAsset;
use crate::catalog::{self, NewModel};
use crate::context::Ctx;
use crate::db::{Db, redact_url};
use crate::ids::{AssetId, ModelId, SiteId};
use crate::rules::{AssetKind, Role, State, WorkloadTier};
use crate::settings::Settings;
use crate::sites::{self, NewSite};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Servers to generate; each has 9 parts (board, 2 CPUs, 4 DIMMs, SSD, PSU), so the
    /// default makes about a million items.
    #[arg(long, default_value_t = 100_000)]
    pub servers: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Seconds of load per measured page.
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// A PostgreSQL server to bench on (a fresh database is created there and dropped
    /// afterwards), e.g. postgres://postgres@127.0.0.1:5432/postgres. Default: a fresh
    /// SQLite file under RELOOP_DATA_DIR/bench.
    #[arg(long)]
    pub postgres: Option<String>,
    /// Keep the generated database.
    #[arg(long)]
    pub keep: bool,
}

/// Items per server in the synthetic fleet.
const PARTS: usize = 9;
/// Servers per registration transaction.
const BATCH_SERVERS: usize = 1000;

pub async fn run(args: BenchArgs, settings: &Settings) -> anyhow::Result<()> {
    if args.servers == 0 || args.clients == 0 || args.seconds == 0 {
        bail!("--servers, --clients and --seconds must be at least 1");
    }
    let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
    let (url, cleanup) = match &args.postgres {
        Some(admin) => {
            let name = format!("reloop_bench_{stamp}");
            let conn = Database::connect(admin.as_str()).await.context("connecting to --postgres")?;
            conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
            conn.close().await.ok();
            (replace_database(admin, &name), Cleanup::Postgres { admin: admin.clone(), name })
        }
        None => {
            let dir = settings.data_dir.join("bench").join(&stamp);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let dir = dir.canonicalize()?;
            (format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()), Cleanup::Sqlite(dir))
        }
    };
    println!(
        "reloop bench: {} servers (~{} items), {} clients, {} s per page",
        args.servers,
        args.servers * (PARTS + 1),
        args.clients,
        args.seconds
    );
    println!("database: {}", redact_url(&url));
    let result = measure(&args, &url).await;
    if !args.keep {
        cleanup.run().await;
    } else {
        println!("kept the database at {}", redact_url(&url));
    }
    result
}

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { admin: String, name: String },
}

impl Cleanup {
    async fn run(self) {
        match self {
            Cleanup::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin, name } => {
                if let Ok(conn) = Database::connect(admin.as_str()).await {
                    let _ = conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                }
            }
        }
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let root = base[host_start..].find('/').map_or(base, |i| &base[..host_start + i]);
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

struct Fleet {
    /// A bench admin's API token and session cookie: every page needs a signed-in caller.
    token: String,
    cookie: String,
    sites: Vec<SiteId>,
    models: Vec<ModelId>,
    /// A sample of asset ids for the asset-page load.
    sample: Vec<AssetId>,
    /// A sample of asset tags for the search load.
    tags: Vec<String>,
}

async fn measure(args: &BenchArgs, url: &str) -> anyhow::Result<()> {
    let db = Db::connect(url, 8).await?;
    db.migrate().await?;
    let fleet = generate(&db, args.servers).await?;
    // What autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would do after a big load.
    db.analyze().await?;
    db.close().await.ok();

    let child = start_server(url).await?;
    let pid = child.id().context("server pid")?;
    let base = format!("http://{}", child.addr);
    let outcome = load(args, &base, &fleet).await;
    let rss = peak_rss_kib(pid);
    child.stop().await;
    let outcome = outcome?;
    println!();
    println!("| page | requests | req/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in &outcome {
        println!("| {} | {} | {:.0} | {:.1} | {:.1} | {} |", r.name, r.count, r.rate, r.p50_ms, r.p99_ms, r.errors);
    }
    match rss {
        Some(kib) => println!("\nserver peak RSS: {:.1} MiB", kib as f64 / 1024.0),
        None => println!("\nserver peak RSS: unavailable (needs /proc)"),
    }
    Ok(())
}

/// Registers the synthetic fleet through the same service as the API, in batches.
async fn generate(db: &Db, servers: usize) -> anyhow::Result<Fleet> {
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
        .await?;
        sites.push(s.id);
    }
    let model = |m: &str, n: &str, k: AssetKind, kg: f64| NewModel {
        mass_kg: Some(kg),
        notes: Some("synthetic bench model".into()),
        ..NewModel::new(m, n, k)
    };
    let mut models = Vec::new();
    for m in [
        model("BenchCo", "S-2U server", AssetKind::Server, 15.0),
        model("BenchCo", "S-1U server", AssetKind::Server, 11.0),
        model("BenchCo", "B-2S board", AssetKind::Board, 2.0),
        model("BenchCo", "C-32 CPU", AssetKind::Cpu, 0.1),
        model("BenchCo", "M-64 DIMM", AssetKind::Dimm, 0.03),
        model("BenchCo", "N-3.84 NVMe", AssetKind::Nvme, 0.1),
        model("BenchCo", "P-1100 PSU", AssetKind::Psu, 3.0),
    ] {
        models.push(catalog::create(db, &ctx, m).await?.id);
    }
    let mut rng = StdRng::seed_from_u64(7);
    let started = Instant::now();
    let mut items = 0usize;
    let mut sample = Vec::new();
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
            batch.push(NewAsset {
                asset_tag: tag.clone(),
                serial: Some(format!("SV{n:08X}")),
                model_id: Some(models[n % 2]),
                site_id: Some(sites[n % sites.len()]),
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
            batch.push(part("B", models[2], &tag));
            for c in 0..2 {
                batch.push(part(&format!("C{c}"), models[3], &board));
            }
            for d in 0..4 {
                batch.push(part(&format!("M{d}"), models[4], &board));
            }
            batch.push(part("N0", models[5], &tag));
            batch.push(part("P0", models[6], &tag));
            if n % 97 == 0 {
                tags.push(tag);
            }
        }
        items += batch.len();
        let made = crate::assets::register(db, &ctx, batch, true).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if sample.len() < 20_000 {
            sample.extend(made.iter().step_by(7).map(|a| a.id));
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
    let (token, cookie) = bench_user(db, &ctx).await?;
    Ok(Fleet { token, cookie, sites, models, sample, tags })
}

/// An admin for the load generator, with an API token and a session.
async fn bench_user(db: &Db, ctx: &Ctx) -> anyhow::Result<(String, String)> {
    use crate::auth::{sessions, tokens, users};
    let err = |e: crate::error::AppError| anyhow::anyhow!("{e}");
    let password = format!("load generator {}", crate::auth::secret::random_hex());
    let user = users::create(
        db,
        ctx,
        crate::auth::NewUser { username: "bench".into(), display_name: None, role: Role::Admin, password },
    )
    .await
    .map_err(err)?;
    let token = tokens::create(db, ctx, user.id, tokens::NewToken { name: "bench".into(), expires_in_days: Some(1) })
        .await
        .map_err(err)?;
    let policy = sessions::SessionPolicy { idle: chrono::Duration::hours(12), absolute: chrono::Duration::hours(12) };
    let started = sessions::start(db, &user, "reloop bench", "127.0.0.1", policy, Utc::now()).await.map_err(err)?;
    Ok((token.token, started.cookie))
}

struct ServerProcess {
    child: tokio::process::Child,
    addr: std::net::SocketAddr,
}

impl ServerProcess {
    fn id(&self) -> Option<u32> {
        self.child.id()
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Starts `reloop serve` on a free port and waits for its "listening" line (the socket
/// is bound before that line is written, so no request can arrive too early).
async fn start_server(url: &str) -> anyhow::Result<ServerProcess> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?
    };
    let exe = std::env::current_exe().context("locating the reloop binary")?;
    let mut child = tokio::process::Command::new(exe)
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("RELOOP_BIND", addr.to_string())
        .env("RELOOP_LOG", "warn,reloop::cli=info")
        .env("RELOOP_DB_MAX_CONNECTIONS", "16")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("starting reloop serve")?;
    let stdout = child.stdout.take().context("the server's output")?;
    let mut lines = BufReader::new(stdout).lines();
    let listening = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("reloop is listening") {
                return true;
            }
        }
        false
    };
    match tokio::time::timeout(Duration::from_secs(60), listening).await {
        Ok(true) => {}
        Ok(false) => bail!("the server exited before it listened"),
        Err(_) => bail!("the server did not start listening within 60 s"),
    }
    // Keep draining its output so a chatty server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(ServerProcess { child, addr })
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

struct PageResult {
    name: &'static str,
    count: usize,
    errors: usize,
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// What one request of a page looks like, given a random source.
type UrlFn = Arc<dyn Fn(&mut StdRng) -> String + Send + Sync>;

async fn load(args: &BenchArgs, base: &str, fleet: &Fleet) -> anyhow::Result<Vec<PageResult>> {
    let kinds = ["server", "dimm", "cpu", "nvme"];
    let states = ["deployed", "in_stock", "redeployed", "retired"];
    let sites: Arc<Vec<String>> = Arc::new(fleet.sites.iter().map(|s| s.to_string()).collect());
    let models: Arc<Vec<String>> = Arc::new(fleet.models.iter().map(|m| m.to_string()).collect());
    let sample: Arc<Vec<String>> = Arc::new(fleet.sample.iter().map(|a| a.to_string()).collect());
    let tags: Arc<Vec<String>> = Arc::new(fleet.tags.clone());
    let list_ui: UrlFn = {
        let (sites, models) = (sites.clone(), models.clone());
        Arc::new(move |rng: &mut StdRng| match rng.random_range(0..6) {
            0 => "/assets".to_owned(),
            1 => format!("/assets?kind={}", kinds[rng.random_range(0..kinds.len())]),
            2 => format!(
                "/assets?kind={}&state={}",
                kinds[rng.random_range(0..kinds.len())],
                states[rng.random_range(0..states.len())]
            ),
            3 => format!(
                "/assets?site_id={}&state={}",
                sites[rng.random_range(0..sites.len())],
                states[rng.random_range(0..states.len())]
            ),
            4 => format!("/assets?model_id={}", models[rng.random_range(0..models.len())]),
            _ => format!("/assets?state={}&kind=server", states[rng.random_range(0..states.len())]),
        })
    };
    let search_ui: UrlFn = {
        let tags = tags.clone();
        Arc::new(move |rng: &mut StdRng| {
            let t = &tags[rng.random_range(0..tags.len().max(1)) % tags.len().max(1)];
            format!("/assets?q={}", &t[..t.len().min(7 + rng.random_range(0..4))])
        })
    };
    let list_api: UrlFn = Arc::new(move |rng: &mut StdRng| {
        format!(
            "/api/v1/assets?kind={}&state={}",
            kinds[rng.random_range(0..kinds.len())],
            states[rng.random_range(0..states.len())]
        )
    });
    let asset_ui: UrlFn = {
        let sample = sample.clone();
        Arc::new(move |rng: &mut StdRng| format!("/assets/{}", sample[rng.random_range(0..sample.len())]))
    };
    let asset_api: UrlFn = {
        let sample = sample.clone();
        Arc::new(move |rng: &mut StdRng| format!("/api/v1/assets/{}", sample[rng.random_range(0..sample.len())]))
    };
    let mut out = Vec::new();
    for (name, f) in [
        ("list page (UI, filters)", list_ui),
        ("list page (UI, tag search)", search_ui),
        ("list page (API)", list_api),
        ("asset page (UI)", asset_ui),
        ("asset detail (API)", asset_api),
    ] {
        if name.contains("search") && tags.is_empty() {
            continue;
        }
        out.push(hammer(name, base, fleet, f, args.clients, Duration::from_secs(args.seconds)).await?);
    }
    Ok(out)
}

async fn hammer(
    name: &'static str,
    base: &str,
    fleet: &Fleet,
    url: UrlFn,
    clients: usize,
    dur: Duration,
) -> anyhow::Result<PageResult> {
    let mut headers = reqwest::header::HeaderMap::new();
    if name.contains("API") {
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {}", fleet.token).parse()?);
    } else {
        headers.insert(reqwest::header::COOKIE, format!("reloop_session={}", fleet.cookie).parse()?);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    // A short warm-up fills caches and the connection pool.
    let warm = Instant::now() + Duration::from_secs(1);
    let started = Instant::now() + Duration::from_secs(1);
    let until = started + dur;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, url, base) = (client.clone(), url.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(1000 + c as u64);
            let mut lat = Vec::new();
            let mut errors = 0usize;
            loop {
                let now = Instant::now();
                if now >= until {
                    break;
                }
                let t0 = Instant::now();
                let ok = match client.get(format!("{base}{}", url(&mut rng))).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if t0 >= warm {
                    lat.push(t0.elapsed().as_micros() as u32);
                    if !ok {
                        errors += 1;
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await?;
        all.extend(lat);
        errors += e;
    }
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).map_or(0.0, |v| *v as f64 / 1000.0)
    };
    let secs = dur.as_secs_f64();
    eprintln!("  {name}: {} requests", all.len());
    Ok(PageResult {
        name,
        count: all.len(),
        errors,
        rate: all.len() as f64 / secs,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    })
}
