//! The command line: `serve` (the default), `migrate`, `demo` and `bench`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::db::{Db, redact_url};
use crate::settings::Settings;

#[derive(Parser, Debug)]
#[command(name = "reloop", version, about = "Circular-economy tracker for data-centre hardware")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run migrations, then serve the web UI and the API (the default).
    Serve(ServeArgs),
    /// Run pending migrations and exit.
    Migrate,
    /// Load the demo fleet into an empty database and exit.
    Demo,
    /// Measure insert rate and page latency on a fresh database (see docs/benchmarks.md).
    Bench(crate::bench::BenchArgs),
}

#[derive(Args, Debug, Default, Clone)]
pub struct ServeArgs {
    /// Load the demo fleet first if the database holds no assets.
    #[arg(long)]
    pub demo: bool,
}

pub fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("reloop: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings.log_filter);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("reloop: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli, settings));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reloop: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

async fn open(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url, settings.db_max_connections).await?;
    db.migrate().await?;
    Ok(db)
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command {
        None => serve(settings, cli.serve).await,
        Some(Command::Serve(args)) => serve(settings, args).await,
        Some(Command::Migrate) => {
            open(&settings).await?;
            println!("migrations applied to {}", redact_url(&settings.database_url));
            Ok(())
        }
        Some(Command::Demo) => {
            let db = open(&settings).await?;
            load_demo(&db).await
        }
        Some(Command::Bench(args)) => crate::bench::run(args, &settings).await,
    }
}

async fn load_demo(db: &Db) -> anyhow::Result<()> {
    match crate::demo::load_if_empty(db).await.context("loading the demo fleet")? {
        Some(summary) => println!("demo fleet loaded: {summary}"),
        None => println!("the database already holds assets; the demo fleet was not loaded"),
    }
    Ok(())
}

async fn serve(settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    let db = open(&settings).await?;
    if args.demo {
        load_demo(&db).await?;
    }
    let listener = std::net::TcpListener::bind(settings.bind)
        .with_context(|| format!("binding {} (set RELOOP_BIND to use another address)", settings.bind))?;
    tracing::info!(
        address = %listener.local_addr()?,
        database = %redact_url(&settings.database_url),
        "reloop is listening: open http://{}/",
        listener.local_addr()?
    );
    let server = crate::web::server(listener, db.clone(), Arc::new(settings))?;
    server.await.context("running the HTTP server")?;
    db.close().await.ok();
    Ok(())
}
