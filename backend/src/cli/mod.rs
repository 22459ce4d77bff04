//! The command line: `serve` (the default), `migrate`, `demo`, `user` (`create`,
//! `reset-password`), `token`, `audit`,
//! `policy` and `forecast` (in `forecast.rs`).

mod backup;
pub mod forecast;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::context::Ctx;
use crate::db::{ChainKey, Db, redact_url};
use crate::ledger::chain::{ChainReport, Checkpoint, VerifyOptions};
use crate::settings::Settings;

#[derive(Parser, Debug)]
#[command(name = "reloop", version, about = "Circular-economy tracker for data-centre hardware")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

// Parsed once at start-up: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run migrations, then serve the web UI and the API (the default).
    Serve(ServeArgs),
    /// Run pending migrations and exit.
    Migrate,
    /// Load the demo fleet into an empty database and exit.
    Demo,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The policy engine.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// E-waste forecasts: the fleet, procurement, generative-AI demand.
    #[command(subcommand)]
    Forecast(forecast::ForecastCommand),
    /// Copy the database to FILE while reloop keeps serving: on SQLite a database file, on
    /// PostgreSQL a pg_dump custom-format archive (pg_dump must be on the PATH).
    Backup {
        file: std::path::PathBuf,
        /// Replace FILE if it exists (only once the new copy is complete).
        #[arg(long)]
        force: bool,
    },
    /// Restore a backup made by `reloop backup` into an empty database, run the migrations
    /// and verify the chain with the chain key. Stop reloop first.
    Restore {
        file: std::path::PathBuf,
        /// Overwrite a database that already holds a registry.
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Re-evaluate the fleet view ("Due for a decision") with the policy in force.
    Refresh,
    /// Check a policy pack file and print its problems (line, field, reason); exit 1 if any.
    Check { file: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read from the terminal (twice), or from the first
    /// line of standard input when it is not a terminal.
    Create {
        #[arg(long)]
        username: String,
        /// admin, asset_manager, refurbisher, sustainability or auditor.
        #[arg(long, default_value = "admin")]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Give a user a temporary password (read like `create`'s) that they must change when
    /// they next sign in: for a forgotten password, or a locked-out admin. Their sessions
    /// end; their API tokens are refused until they choose their own. Audited.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a personal API token for a user and print it (once).
    Create {
        #[arg(long)]
        username: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "command line")]
        name: String,
        /// Days until it expires; it never does without this.
        #[arg(long)]
        expires_days: Option<u32>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the whole hash chain of the audit trail and the ledger, and every asset row
    /// against its ledger; never writes. Exits 1 naming the first broken entry, rows outside
    /// the chain and assets that disagree with their ledger.
    Verify {
        /// A checkpoint printed by `reloop audit anchor` and kept elsewhere: the chain must
        /// still hold it (detects a chain cut back to an earlier head).
        #[arg(long, value_name = "SEQ:HASH")]
        checkpoint: Vec<String>,
        /// Start from the newest checkpoint stored in the database instead of the first entry.
        #[arg(long)]
        incremental: bool,
    },
    /// Verify the chain and, when it holds, store the head as a checkpoint and print it
    /// (SEQ:HASH): keep the printed line somewhere the database's writers cannot reach.
    Anchor,
    /// Seal ledger rows that are outside the chain (written before the chain existed) into
    /// it, after you have checked they are genuine; recorded in the audit trail.
    Seal,
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
    init_logging(&settings.log_filter, settings.log_json);
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

/// Logs to standard output through `filter` (`RELOOP_LOG` syntax); `main` calls it, and so
/// does the load generator (`reloop-bench`) for itself and for the server it starts.
pub fn init_logging(filter: &str, json: bool) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(!json && std::io::stdout().is_terminal());
    // JSON: one object per line, the request span's fields (id, method, route, user) in it.
    let _ = if json { fmt.json().with_current_span(true).with_span_list(false).try_init() } else { fmt.try_init() };
}

/// Connects, runs pending migrations and loads the chain key. Commands that write create
/// the key file on first use; `audit verify` only reads an existing key.
pub async fn open(settings: &Settings, create_key: bool) -> anyhow::Result<Db> {
    let key = chain_key(settings, create_key)?;
    let pool = crate::db::PoolOptions {
        max_connections: settings.db_max_connections,
        acquire_timeout: std::time::Duration::from_millis(settings.db_acquire_timeout_ms),
        slow: (settings.slow_query_ms > 0).then(|| std::time::Duration::from_millis(settings.slow_query_ms)),
    };
    let db = Db::connect_with(&settings.database_url, &pool).await?.with_chain_key(key);
    db.migrate().await?;
    if create_key
        && let Some(from) = crate::audit::integrity::adopt_key(&db, &Ctx::new("reloop"))
            .await
            .map_err(|e| anyhow::anyhow!("keying the audit chain: {e}"))?
    {
        tracing::info!(keyed_from_seq = from, "the audit chain is keyed from this position on");
    }
    Ok(db)
}

/// The chain key: `RELOOP_CHAIN_KEY`, else the key file (created, readable by its owner
/// only, when `create` and it does not exist yet).
pub fn chain_key(settings: &Settings, create: bool) -> anyhow::Result<ChainKey> {
    if let Some(hex) = &settings.chain_key {
        return ChainKey::from_hex(hex).map_err(|e| anyhow::anyhow!("RELOOP_CHAIN_KEY: {e}"));
    }
    let path = &settings.chain_key_file;
    match std::fs::read_to_string(path) {
        Ok(text) => {
            ChainKey::from_hex(&text).map_err(|e| anyhow::anyhow!("the chain key file {}: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let key = ChainKey::random();
            write_secret(path, &key.to_hex())
                .with_context(|| format!("creating the chain key file {}", path.display()))?;
            tracing::warn!(
                path = %path.display(),
                "created a new chain key: back it up apart from the database, and give every instance that shares this database the same key (RELOOP_CHAIN_KEY)"
            );
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
            "no chain key: set RELOOP_CHAIN_KEY, or point RELOOP_CHAIN_KEY_FILE at the key file ({} does not exist); verification needs the key the chain was written with",
            path.display()
        ),
        Err(e) => Err(anyhow::Error::new(e).context(format!("reading the chain key file {}", path.display()))),
    }
}

/// Writes a new file only its owner can read.
fn write_secret(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command {
        None => serve(settings, cli.serve).await,
        Some(Command::Serve(args)) => serve(settings, args).await,
        Some(Command::Migrate) => {
            open(&settings, true).await?;
            println!("migrations applied to {}", redact_url(&settings.database_url));
            Ok(())
        }
        Some(Command::Demo) => {
            let db = open(&settings, true).await?;
            load_demo(&db).await
        }
        Some(Command::User(UserCommand::Create { username, role, display_name })) => {
            let db = open(&settings, true).await?;
            let role = crate::rules::Role::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("--role must be one of {}", crate::rules::Role::expected()))?;
            let password = read_password()?;
            let user = create_user(&db, &username, role, display_name, password).await?;
            println!("created {} ({})", user.username, user.role.label());
            Ok(())
        }
        Some(Command::User(UserCommand::ResetPassword { username })) => {
            let db = open(&settings, true).await?;
            let password = read_password()?;
            let user = set_temporary_password(&db, &username, password).await?;
            println!("{} has a temporary password now and must change it at the next sign-in", user.username);
            Ok(())
        }
        Some(Command::Token(TokenCommand::Create { username, name, expires_days })) => {
            let db = open(&settings, true).await?;
            println!("{}", create_token(&db, &username, &name, expires_days).await?);
            Ok(())
        }
        Some(Command::Audit(AuditCommand::Verify { checkpoint, incremental })) => {
            let db = open(&settings, false).await?;
            let mut all_ok = true;
            let expected: Vec<Checkpoint> = checkpoint
                .iter()
                .map(|c| c.parse::<Checkpoint>().map_err(|e| anyhow::anyhow!("--checkpoint {c}: {e}")))
                .collect::<anyhow::Result<_>>()?;
            let runs: Vec<Option<Checkpoint>> =
                if expected.is_empty() { vec![None] } else { expected.into_iter().map(Some).collect() };
            for expect in runs {
                let r = verify_with(&db, &VerifyOptions { incremental, expect }, true).await?;
                println!("{}", r.summary());
                all_ok &= r.ok;
            }
            if all_ok { Ok(()) } else { Err(anyhow::anyhow!("the audit chain is broken")) }
        }
        Some(Command::Forecast(cmd)) => forecast::run(cmd, &settings).await,
        Some(Command::Backup { file, force }) => backup::backup(&settings, file, force).await,
        Some(Command::Restore { file, replace }) => backup::restore(&settings, file, replace).await,
        Some(Command::Policy(PolicyCommand::Refresh)) => {
            let db = open(&settings, true).await?;
            let started = std::time::Instant::now();
            let run = crate::policy::refresh(&db, chrono::Utc::now(), "cli")
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            println!(
                "fleet evaluated with policy version {} in {:.1} s: {} items, {} due",
                run.policy_version,
                started.elapsed().as_secs_f64(),
                run.evaluated,
                run.due
            );
            Ok(())
        }
        Some(Command::Policy(PolicyCommand::Check { file })) => {
            let db = open(&settings, true).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            match crate::policy::check(db.conn(), &text).await {
                Ok(p) => {
                    println!("{}: valid ({} rules, {} tiers)", file.display(), p.rules.len(), p.tiers.len());
                    Ok(())
                }
                Err(e) => {
                    for f in e.field_errors() {
                        eprintln!("{}: {}: {}", file.display(), f.field, f.message);
                    }
                    anyhow::bail!("{} is not a valid policy pack", file.display())
                }
            }
        }
        Some(Command::Audit(AuditCommand::Anchor)) => {
            let db = open(&settings, true).await?;
            let bar = Progress::new(true);
            let (checkpoint, report) =
                crate::audit::integrity::anchor(&db, &Ctx::new("cli"), &mut |d, t| bar.tick(d, t))
                    .await
                    .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            bar.finish();
            eprintln!("{}", report.summary());
            println!("{checkpoint}");
            Ok(())
        }
        Some(Command::Audit(AuditCommand::Seal)) => {
            let db = open(&settings, true).await?;
            let sealed = crate::audit::integrity::seal_unsealed(&db, &Ctx::new("cli"))
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            println!(
                "sealed {} ledger row(s) into the chain{}",
                sealed.len(),
                if sealed.is_empty() { "" } else { ":" }
            );
            for id in sealed {
                println!("  {id}");
            }
            Ok(())
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (12+ characters): ")?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            anyhow::bail!("the passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// `reloop user create`: the first user may be created this way too (any role after that).
pub async fn create_user(
    db: &Db,
    username: &str,
    role: crate::rules::Role,
    display_name: Option<String>,
    password: String,
) -> anyhow::Result<crate::auth::User> {
    let ctx = crate::context::Ctx::new("cli");
    let input = crate::auth::NewUser { username: username.to_owned(), display_name, role, password };
    crate::auth::users::create(db, &ctx, input).await.map_err(|e| anyhow::anyhow!("{}", describe(&e)))
}

/// `reloop user reset-password`: a temporary password that must be changed at the next
/// sign-in (recorded in the audit trail as done from the command line).
pub async fn set_temporary_password(db: &Db, username: &str, password: String) -> anyhow::Result<crate::auth::User> {
    let row = crate::auth::users::find_by_username(db.conn(), username)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("no user is called {username}"))?;
    let ctx = crate::context::Ctx::new("cli");
    crate::auth::users::set_temporary_password(db, &ctx, row.id.into(), None, password)
        .await
        .map_err(|e| anyhow::anyhow!("{}", describe(&e)))
}

/// `reloop token create`: the token itself, for scripts.
pub async fn create_token(db: &Db, username: &str, name: &str, expires_days: Option<u32>) -> anyhow::Result<String> {
    let row = crate::auth::users::find_by_username(db.conn(), username)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .filter(|u| u.active)
        .ok_or_else(|| anyhow::anyhow!("no active user is called {username}"))?;
    let ctx = crate::context::Ctx::new("cli");
    let input = crate::auth::tokens::NewToken { name: name.to_owned(), expires_in_days: expires_days };
    let created = crate::auth::tokens::create(db, &ctx, row.id.into(), input)
        .await
        .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
    Ok(created.token)
}

/// `reloop audit verify`: the whole chain and every asset; whether it all holds, and a
/// sentence saying what broke.
pub async fn verify_audit(db: &Db) -> anyhow::Result<(bool, String)> {
    let r = verify_with(db, &VerifyOptions::default(), false).await?;
    Ok((r.ok, r.summary()))
}

/// Verification with a progress bar on a terminal.
async fn verify_with(db: &Db, opts: &VerifyOptions, show_progress: bool) -> anyhow::Result<ChainReport> {
    let bar = Progress::new(show_progress);
    let r =
        crate::ledger::chain::verify(db, opts, &mut |d, t| bar.tick(d, t)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish();
    Ok(r)
}

/// The chain walk's progress bar: on a terminal when wanted, nothing otherwise.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(wanted: bool) -> Progress {
        use std::io::IsTerminal;
        if !wanted || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("checking the chain {bar:40} {pos}/{len} entries ({eta})")
        {
            bar.set_style(style);
        }
        Progress(Some(bar))
    }

    fn tick(&self, done: i64, total: i64) {
        if let Some(b) = &self.0 {
            b.set_length(total.max(0) as u64);
            b.set_position(done.max(0) as u64);
        }
    }

    fn finish(self) {
        if let Some(b) = self.0 {
            b.finish_and_clear();
        }
    }
}

fn describe(e: &crate::error::AppError) -> String {
    let fields = e.field_errors();
    if fields.is_empty() {
        e.to_string()
    } else {
        fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
    }
}

async fn load_demo(db: &Db) -> anyhow::Result<()> {
    match crate::demo::load_if_empty(db).await.context("loading the demo fleet")? {
        Some(summary) => {
            println!("demo fleet loaded: {summary}");
            let run = crate::policy::refresh(db, chrono::Utc::now(), "demo")
                .await
                .map_err(|e| anyhow::anyhow!("evaluating the demo fleet: {}", describe(&e)))?;
            println!(
                "fleet evaluated with policy version {}: {} items, {} due for a decision",
                run.policy_version, run.evaluated, run.due
            );
            if crate::auth::users::count(db.conn()).await.map_err(|e| anyhow::anyhow!("{e}"))? == 0 {
                println!(
                    "no accounts yet: open /setup in the browser, or run `reloop user create --username NAME --role admin`"
                );
            }
        }
        None => println!("the database already holds assets; the demo fleet was not loaded"),
    }
    Ok(())
}

async fn serve(settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    let db = open(&settings, true).await?;
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
    if crate::auth::users::count(db.conn()).await.map_err(|e| anyhow::anyhow!("{e}"))? == 0 {
        tracing::info!(
            "no accounts yet: open http://{}/setup to create the first administrator",
            listener.local_addr()?
        );
    }
    let settings = Arc::new(settings);
    let server = crate::web::server(listener, db.clone(), settings.clone())?;
    match settings.metrics_bind {
        Some(addr) => {
            let listener = std::net::TcpListener::bind(addr)
                .with_context(|| format!("binding {addr} for the metrics (RELOOP_METRICS_BIND)"))?;
            tracing::info!(address = %addr, "metrics are served at http://{addr}/metrics");
            let metrics = crate::web::metrics::server(listener, db.clone(), settings.clone())?;
            tokio::try_join!(server, metrics).context("running the HTTP servers")?;
        }
        None => server.await.context("running the HTTP server")?,
    }
    db.close().await.ok();
    Ok(())
}
