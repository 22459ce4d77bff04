//! The command line: `serve` (the default), `migrate`, `demo`, `user`, `token` and `audit`.

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
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
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
    /// Walk the hash chain of the audit trail and the ledger; exits 1 at the first broken
    /// entry, naming it.
    Verify,
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

/// Logs to standard output through `filter` (`RELOOP_LOG` syntax); `main` calls it, and so
/// does the load generator (`reloop-bench`) for itself and for the server it starts.
pub fn init_logging(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

async fn open(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url, settings.db_max_connections).await?;
    db.migrate().await?;
    let sealed =
        crate::ledger::chain::seal_backlog(&db).await.map_err(|e| anyhow::anyhow!("sealing the ledger: {e}"))?;
    if sealed > 0 {
        tracing::info!(sealed, "ledger entries from before the hash chain were sealed into it");
    }
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
        Some(Command::User(UserCommand::Create { username, role, display_name })) => {
            let db = open(&settings).await?;
            let role = crate::rules::Role::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("--role must be one of {}", crate::rules::Role::expected()))?;
            let password = read_password()?;
            let user = create_user(&db, &username, role, display_name, password).await?;
            println!("created {} ({})", user.username, user.role.label());
            Ok(())
        }
        Some(Command::Token(TokenCommand::Create { username, name, expires_days })) => {
            let db = open(&settings).await?;
            println!("{}", create_token(&db, &username, &name, expires_days).await?);
            Ok(())
        }
        Some(Command::Audit(AuditCommand::Verify)) => {
            let db = open(&settings).await?;
            let (ok, message) = verify_audit(&db).await?;
            println!("{message}");
            if ok { Ok(()) } else { Err(anyhow::anyhow!("the audit chain is broken")) }
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

/// `reloop audit verify`: whether the chain holds, and a sentence saying so.
pub async fn verify_audit(db: &Db) -> anyhow::Result<(bool, String)> {
    let r = crate::ledger::chain::verify(db.conn()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(match &r.broken {
        None => (true, format!("audit chain intact: {} entries verified (head at seq {})", r.entries, r.head_seq)),
        Some(b) => (
            false,
            format!(
                "audit chain BROKEN at {} entry seq {}{}: {} ({} entries before it verify)",
                b.table,
                b.seq,
                b.id.as_ref().map(|i| format!(" (id {i})")).unwrap_or_default(),
                b.reason,
                r.entries
            ),
        ),
    })
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
    if crate::auth::users::count(db.conn()).await.map_err(|e| anyhow::anyhow!("{e}"))? == 0 {
        tracing::info!(
            "no accounts yet: open http://{}/setup to create the first administrator",
            listener.local_addr()?
        );
    }
    let server = crate::web::server(listener, db.clone(), Arc::new(settings))?;
    server.await.context("running the HTTP server")?;
    db.close().await.ok();
    Ok(())
}
