//! A headless Chromium driven through Debian's chromedriver, for the tests that need a
//! real browser (scripts under the Content-Security-Policy, keyboard shortcuts, forms).
//!
//! `RELOOP_CHROMEDRIVER` and `RELOOP_CHROMIUM` override the default paths. Without them
//! the tests print "skipped: …" locally and fail under `CI`/`RELOOP_TEST_REQUIRE_ALL`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use thirtyfour::prelude::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Browser {
    pub driver: WebDriver,
    _chromedriver: Child,
    _profile: tempfile::TempDir,
}

fn path_of(var: &str, default: &str) -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var(var).unwrap_or_else(|_| default.to_owned()));
    p.exists().then_some(p)
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, or says why it cannot.
    pub async fn start(test: &str) -> Option<Browser> {
        let (Some(chromedriver), Some(chromium)) =
            (path_of("RELOOP_CHROMEDRIVER", "/usr/bin/chromedriver"), path_of("RELOOP_CHROMIUM", "/usr/bin/chromium"))
        else {
            if super::strict() {
                panic!("chromedriver or chromium is missing, but CI requires the browser tests to run");
            }
            eprintln!("skipped: {test} in a browser: install Debian's chromium and chromium-driver");
            return None;
        };
        // chromedriver cannot be handed a bound socket: take a free port, then wait for its
        // "started successfully" line rather than polling it.
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let mut child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let stdout = child.stdout.take().expect("chromedriver stdout");
        let ready = async {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("started successfully") {
                    return true;
                }
            }
            false
        };
        assert!(
            tokio::time::timeout(Duration::from_secs(30), ready).await.unwrap_or(false),
            "chromedriver did not start"
        );
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&chromium.display().to_string()).expect("binary");
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ] {
            caps.add_arg(arg).expect("arg");
        }
        let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps).await.expect("start chromium");
        Some(Browser { driver, _chromedriver: child, _profile: profile })
    }

    /// Runs a script in the page and returns its JSON result.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.driver.execute(script, Vec::new()).await.expect("script").json().clone()
    }

    /// Waits (polling the DOM, bounded) for an element.
    pub async fn wait_for(&self, css: &str) -> WebElement {
        self.driver
            .query(By::Css(css))
            .wait(Duration::from_secs(10), Duration::from_millis(50))
            .first()
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    pub async fn quit(self) {
        let _ = self.driver.quit().await;
    }
}
