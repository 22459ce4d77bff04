//! The server under load, in its own process so its peak RSS is its own: the bench starts
//! this very binary again as `reloop-bench serve-child`, which runs reloop's `serve`
//! (migrations, then the HTTP server) through the library, and waits for its "listening" line.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use reloop::cli::{Cli, Command, ServeArgs};
use reloop::settings::Settings;
use tokio::io::{AsyncBufReadExt, BufReader};

/// What reloop's `serve` logs once its socket is bound (before that, no request can land).
const LISTENING: &str = "reloop is listening";

/// `reloop-bench serve-child`: exactly `reloop serve`, configured by the environment.
pub async fn serve_child(settings: Settings) -> anyhow::Result<()> {
    let serve = Cli { command: Some(Command::Serve(ServeArgs::default())), serve: ServeArgs::default() };
    reloop::cli::run(serve, settings).await
}

pub struct ServerProcess {
    child: tokio::process::Child,
    addr: SocketAddr,
}

impl ServerProcess {
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Kills the server and waits for it to exit.
    pub async fn stop(mut self) {
        if let Err(e) = self.child.kill().await {
            eprintln!("reloop-bench: could not stop the server: {e}");
        }
    }
}

/// Starts the server on `url`, on a port the system picks, and waits for its "listening"
/// line (which names the address). Its output is drained to our standard error from then on,
/// so a chatty server never blocks on a full pipe and its warnings are seen.
pub async fn start(url: &str, key: &reloop::db::ChainKey) -> anyhow::Result<ServerProcess> {
    let exe = std::env::current_exe().context("locating the reloop-bench binary")?;
    let mut child = tokio::process::Command::new(exe)
        .arg("serve-child")
        .env("DATABASE_URL", url)
        .env("RELOOP_CHAIN_KEY", key.to_hex())
        .env("RELOOP_BIND", "127.0.0.1:0")
        .env("RELOOP_LOG", "warn,reloop::cli=info")
        .env("RELOOP_DB_MAX_CONNECTIONS", "16")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("starting the server (reloop-bench serve-child)")?;
    let stdout = child.stdout.take().context("the server's output is not piped")?;
    let mut lines = BufReader::new(stdout).lines();
    let listening = async {
        loop {
            match lines.next_line().await {
                Ok(Some(line)) if line.contains(LISTENING) => return Ok(line),
                Ok(Some(line)) => eprintln!("  server: {line}"),
                Ok(None) => bail!("the server exited before it listened"),
                Err(e) => return Err(anyhow::Error::new(e).context("reading the server's output")),
            }
        }
    };
    let line = match tokio::time::timeout(Duration::from_secs(60), listening).await {
        Ok(line) => line?,
        Err(_) => bail!("the server did not start listening within 60 s"),
    };
    let addr =
        listening_address(&line).with_context(|| format!("no address in the server's listening line: {line:?}"))?;
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("  server: {line}");
        }
    });
    Ok(ServerProcess { child, addr })
}

/// The address in "reloop is listening: open http://127.0.0.1:PORT/".
fn listening_address(line: &str) -> Option<SocketAddr> {
    let after = &line[line.find(LISTENING)?..];
    let host = after.split("http://").nth(1)?;
    host.split('/').next()?.parse().ok()
}

/// The peak resident set size (VmHWM) of process `pid`, in KiB; Linux only.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::listening_address;

    #[test]
    fn finds_the_address_in_the_listening_line() {
        let line = "2026-11-29T10:00:00Z  INFO reloop is listening: open http://127.0.0.1:41234/ \
                    address=127.0.0.1:41234 database=sqlite:///tmp/x/bench.db?mode=rwc";
        assert_eq!(listening_address(line), Some("127.0.0.1:41234".parse().unwrap()));
        assert_eq!(listening_address("INFO something else http://127.0.0.1:1/"), None);
    }
}
