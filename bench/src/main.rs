//! `reloop-bench`: generates a synthetic fleet into a fresh database through reloop's own
//! services, then measures reloop's server under concurrent HTTP load and prints a Markdown
//! table and the server's peak RSS. Figures go to docs/benchmarks.md; nothing here is
//! asserted (timings are measured, never tested).
//!
//! The server runs as a child process so its peak RSS is its own: this binary again, as
//! `reloop-bench serve-child` (hidden), which runs reloop's `serve` through the library. So
//! the bench needs no built `reloop` binary, and the product binary links no HTTP client.

/// The same allocator as the `reloop` binary (backend/src/main.rs): the server this bench
/// measures is this binary, as `serve-child`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod donors;
mod fleet;
mod forecast;
mod load;
mod lot;
mod policy;
mod scratch;
mod server;

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use reloop::db::{Db, redact_url};
use reloop::settings::Settings;

use crate::fleet::PARTS;
use crate::scratch::Scratch;

#[derive(Parser, Debug)]
#[command(
    name = "reloop-bench",
    version,
    about = "Measure reloop's insert rate and page latency on a fresh database (see docs/benchmarks.md)",
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true
)]
struct Cli {
    #[command(subcommand)]
    child: Option<Child>,
    #[command(flatten)]
    args: BenchArgs,
}

/// What the bench runs of itself; not for people.
#[derive(Subcommand, Debug)]
enum Child {
    /// The server under load: migrations, then reloop's `serve`, configured by the
    /// environment the bench sets.
    #[command(hide = true)]
    ServeChild,
}

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
    /// Retired donor servers for the harvest bench, 100 parts each, each with an open
    /// dismantle job; every save records one part once, so the default gives the two saving
    /// loads room for 2,000 saves per second each (the bench reports parts left over).
    #[arg(long)]
    pub donors: Option<usize>,
    /// Whole servers (with their 9 parts each) in the recycling lot built and shipped after
    /// the page loads; 0 skips it.
    #[arg(long, default_value_t = 10_000)]
    pub lot: usize,
    /// A PostgreSQL server to bench on (a fresh database is created there and dropped
    /// afterwards), e.g. postgres://postgres@127.0.0.1:5432/postgres. Default: a fresh
    /// SQLite file under RELOOP_DATA_DIR/bench.
    #[arg(long)]
    pub postgres: Option<String>,
    /// Keep the generated database.
    #[arg(long)]
    pub keep: bool,
    /// Items the pure policy engine evaluates on one core (synthetic, no database); 0 skips.
    #[arg(long, default_value_t = 1_000_000)]
    pub engine_items: usize,
    /// Only time the pure policy engine (`--engine-items`), then exit: no database, no server.
    #[arg(long)]
    pub engine_only: bool,
    /// Items the pure forecast engine forecasts on one core over 15 years, and lifespans
    /// the Weibull fit reads (synthetic, no database); 0 skips.
    #[arg(long, default_value_t = 1_000_000)]
    pub forecast_items: usize,
    /// Only time the pure forecast engines (`--forecast-items`), then exit.
    #[arg(long)]
    pub forecast_only: bool,
}

/// Saves per second each saving load is sized for by default (all clients together).
const DONOR_RATE: u64 = 2000;

impl BenchArgs {
    /// `--donors`, or enough for two saving loads at `DONOR_RATE` for their warm-up and
    /// measured seconds.
    fn donor_count(&self) -> usize {
        self.donors.unwrap_or_else(|| {
            let saves = 2 * DONOR_RATE * (self.seconds + 1);
            saves.div_ceil(donors::DONOR_PARTS as u64) as usize
        })
    }
}

fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("reloop-bench: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    reloop::cli::init_logging(&settings.log_filter, settings.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("reloop-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.child {
            Some(Child::ServeChild) => server::serve_child(settings).await,
            None => run(cli.args, &settings).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reloop-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The bench: a fresh database, the fleet, the load, the report; then the database goes
/// (unless `--keep`).
async fn run(args: BenchArgs, settings: &Settings) -> anyhow::Result<()> {
    if args.servers == 0 || args.clients == 0 || args.seconds == 0 {
        bail!("--servers, --clients and --seconds must be at least 1");
    }
    if args.engine_items > 0 {
        let n = args.engine_items;
        let r = tokio::task::spawn_blocking(move || policy::engine(n)).await.context("the engine run")??;
        println!(
            "policy engine, one core: {} items in {:.2} s ({:.0} items/s; {} with an eligible option); a bare pass over the same items: {:.3} s",
            r.items,
            r.engine_s,
            r.items as f64 / r.engine_s,
            r.eligible,
            r.bare_s
        );
    }
    if args.forecast_items > 0 {
        let n = args.forecast_items;
        let r = tokio::task::spawn_blocking(move || forecast::engines(n)).await.context("the forecast engines")??;
        println!(
            "forecast engine, one core: {} items over 15 years in {:.3} s (with four levers: {:.3} s); a bare pass over the same items and parts: {:.3} s",
            r.items, r.baseline_s, r.levers_s, r.bare_s
        );
        println!(
            "Weibull fit over {} censored lifespans: {:.3} s (shape {:.3}); demand model on the shipped table: {:.3} ms (with a lever: {:.3} ms; the whole request through the service, table parsed: {:.3} ms), medians of 101",
            r.items, r.fit_s, r.fit_shape, r.demand_ms, r.demand_with_levers_ms, r.demand_service_ms
        );
    }
    if args.engine_only || args.forecast_only {
        return Ok(());
    }
    let scratch = Scratch::create(args.postgres.as_deref(), &settings.data_dir).await?;
    println!(
        "reloop-bench: {} servers (~{} items), {} clients, {} s per page",
        args.servers,
        args.servers * (PARTS + 1),
        args.clients,
        args.seconds
    );
    println!("database: {}", redact_url(scratch.url()));
    let result = measure(&args, scratch.url()).await;
    if args.keep {
        println!("kept the database at {}", redact_url(scratch.url()));
    } else {
        scratch.remove().await;
    }
    result
}

async fn measure(args: &BenchArgs, url: &str) -> anyhow::Result<()> {
    // One chain key for the generator and the server it starts, as instances sharing a
    // database would have.
    let key = reloop::db::ChainKey::random();
    let db = Db::connect(url, 8).await.context("connecting to the bench database")?.with_chain_key(key.clone());
    db.migrate().await.context("migrating the bench database")?;
    let fleet = fleet::generate(&db, args.servers).await?;
    // What autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would do after a big load:
    // after the fleet (the donors' jobs are opened on a fleet with statistics, as they would
    // be on a live one) and again after the donors.
    db.analyze().await.context("analysing the bench database")?;
    let donors = donors::generate(&db, &fleet, args.donor_count()).await?;
    db.analyze().await.context("analysing the bench database")?;
    let fleet_run = policy::fleet(&db).await.context("the policy engine's fleet run")?;
    println!(
        "fleet view: {} top-level items evaluated and {} due ones written in {:.1} s; a dry run of a draft over the same fleet: {:.1} s ({} top suggestions change)",
        fleet_run.evaluated, fleet_run.due, fleet_run.refresh_s, fleet_run.dry_run_s, fleet_run.dry_changed
    );
    let fc = forecast::service(&db).await.context("the fleet forecast")?;
    println!(
        "fleet forecast through the service ({} top-level items in use; history read and fitted, trees read): {} s (the last two with the facts kept); lifespans page: {:.2} s ({} kinds fitted)",
        fc.items,
        fc.fleet_s.iter().map(|s| format!("{s:.2}")).collect::<Vec<_>>().join(", "),
        fc.lifespans_s,
        fc.kinds_fitted
    );
    db.close().await.ok();

    let server = server::start(url, &key).await?;
    let pid = server.pid().context("the server process has no pid")?;
    let base = format!("http://{}", server.addr());
    let outcome = load::run(args, &base, &fleet, &donors).await;
    let rss = server::peak_rss_kib(pid);
    server.stop().await;
    let outcome = outcome?;
    let lot = if args.lot > 0 {
        let db = Db::connect(url, 8).await.context("connecting to the bench database")?.with_chain_key(key);
        let lot = lot::run(&db, &fleet, args.lot).await;
        db.close().await.ok();
        Some(lot?)
    } else {
        None
    };
    println!();
    println!("| page | requests | req/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in &outcome {
        println!("| {} | {} | {:.0} | {:.1} | {:.1} | {} |", r.name, r.count, r.rate, r.p50_ms, r.p99_ms, r.errors);
    }
    if let Some(l) = lot {
        println!(
            "\nrecycling lot of {} servers: registered in {:.1} s, {} drives sanitized (a record each) in {:.1} s",
            l.servers, l.register_s, l.servers, l.sanitize_s
        );
        println!("| step | items | seconds |");
        println!("|---|---:|---:|");
        println!("| add the servers (one request) | {} | {:.2} |", l.servers, l.add_s);
        println!("| ship (one transaction) | {} | {:.2} |", l.moved, l.ship_s);
    }
    match rss {
        Some(kib) => println!("\nserver peak RSS: {:.1} MiB", kib as f64 / 1024.0),
        None => println!("\nserver peak RSS: unavailable (needs /proc)"),
    }
    Ok(())
}
