//! reloop as a process of its own on the test's database (a second instance beside the
//! in-process one, with the same chain key): killed with SIGKILL in the middle of a burst
//! of transitions and of the demo's bulk registration, it loses no acknowledged write and
//! leaves a chain that verifies; stopped with SIGTERM, it answers the requests it had
//! accepted and exits cleanly. No sleeps: the tests wait for the line the server logs when
//! it listens, for acknowledgements, and for the process to exit.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::*;

/// `reloop-served ARGS` on the app's database, its standard output drained in the
/// background; returns the child and the address it listens on (for `serve`).
async fn spawn(app: &TestApp, dir: &Path, args: &[&str], wait_for_listen: bool) -> (Child, Option<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reloop-served"));
    cmd.args(args)
        .current_dir(dir)
        .env("DATABASE_URL", &app.settings.database_url)
        .env("RELOOP_CHAIN_KEY", app.settings.chain_key.as_deref().unwrap())
        .env("RELOOP_BIND", "127.0.0.1:0")
        .env("RELOOP_DATA_DIR", dir)
        .env("RELOOP_LOG", "info")
        .env("RELOOP_POLICY_REFRESH_MINUTES", "0")
        .env("RELOOP_DB_MAX_CONNECTIONS", "4")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("start reloop-served");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = None;
    if wait_for_listen {
        let found = tokio::time::timeout(Duration::from_secs(120), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.split_once("open http://").map(|(_, r)| r) {
                    return rest.split('/').next().map(str::to_owned);
                }
            }
            None
        })
        .await
        .expect("the server said it listens within two minutes");
        addr = Some(found.expect("the listening line"));
    }
    // Keep reading, so a full pipe never blocks the server.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}

async fn exits(child: &mut Child) -> std::process::ExitStatus {
    tokio::time::timeout(Duration::from_secs(30), child.wait()).await.expect("exits within 30 s").unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let r =
        app.db.conn().query_one_raw(Statement::from_string(app.db.backend(), sql.to_owned())).await.unwrap().unwrap();
    r.try_get_by_index::<i64>(0).unwrap()
}

async fn verified(app: &TestApp) -> String {
    let (ok, msg) = reloop::cli::verify_audit(&app.db).await.unwrap();
    assert!(ok, "{msg}");
    msg
}

db_test! {
    async fn killed_mid_burst_it_keeps_every_acknowledged_write(app: TestApp) {
        let mut ids = Vec::new();
        for i in 0..48 {
            ids.push(s(&app.asset(&format!("KILL-{i:02}"), "server", json!({})).await, "id"));
        }
        let dir = tempfile::tempdir().unwrap();
        let (mut child, addr) = spawn(app, dir.path(), &["serve"], true).await;
        let base = format!("http://{}", addr.unwrap());
        let token = app.admin.token.clone().unwrap();
        let http = reqwest::Client::new();
        // 48 transitions at once; the server is killed when the eighth is acknowledged.
        let acked = Arc::new(AtomicUsize::new(0));
        let (kill_tx, kill_rx) = tokio::sync::oneshot::channel::<()>();
        let kill_tx = Arc::new(std::sync::Mutex::new(Some(kill_tx)));
        let burst = ids.iter().map(|id| {
            let (http, base, token, acked, kill_tx) = (http.clone(), base.clone(), token.clone(), acked.clone(), kill_tx.clone());
            let id = id.clone();
            async move {
                let r = http
                    .post(format!("{base}/api/v1/assets/{id}/transition"))
                    .bearer_auth(token)
                    .json(&json!({"to": "deployed"}))
                    .send()
                    .await;
                let ok = matches!(&r, Ok(resp) if resp.status() == 200);
                if let Ok(resp) = &r {
                    assert!(resp.status() == 200, "{id}: {}", resp.status());
                }
                if ok && acked.fetch_add(1, Ordering::SeqCst) + 1 == 8 && let Some(tx) = kill_tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                (id, ok)
            }
        });
        let killer = async {
            if kill_rx.await.is_ok() {
                child.start_kill().unwrap();
            }
        };
        let (results, ()) = tokio::join!(futures_util::future::join_all(burst), killer);
        let status = exits(&mut child).await;
        assert!(!status.success(), "killed, not exited: {status}");

        // Every acknowledged transition is recorded; the rest either are or are not, whole.
        let acked: Vec<&String> = results.iter().filter(|(_, ok)| *ok).map(|(id, _)| id).collect();
        assert!(acked.len() >= 8, "{} acknowledged", acked.len());
        eprintln!("{} of 48 transitions acknowledged before the kill", acked.len());
        for id in &acked {
            let a = app.get_asset(id).await;
            assert_eq!(a["state"], "deployed", "{id} was acknowledged");
            let states = app.events(id).await.into_iter().filter(|e| e["kind"] == "state").count();
            assert_eq!(states, 1, "{id}: one state entry");
        }
        let deployed = count(app, "SELECT COUNT(*) FROM assets WHERE state = 'deployed'").await;
        let entries = count(app, "SELECT COUNT(*) FROM lifecycle_events WHERE kind = 'state'").await;
        assert_eq!(deployed, entries, "each deployed item has its entry, and no entry lacks its item");
        assert!(verified(app).await.contains("48 assets agree with their ledger"));

        // Restarted, it serves again.
        let (mut again, addr) = spawn(app, dir.path(), &["serve"], true).await;
        let r = http.get(format!("http://{}/readyz", addr.unwrap())).send().await.unwrap();
        assert_eq!(r.status(), 200);
        again.start_kill().unwrap();
        exits(&mut again).await;
    }
}

db_test! {
    async fn sigterm_answers_what_it_accepted_and_exits_cleanly(app: TestApp) {
        for i in 0..20 {
            app.asset(&format!("TERM-{i:02}"), "server", json!({})).await;
        }
        let dir = tempfile::tempdir().unwrap();
        let (mut child, addr) = spawn(app, dir.path(), &["serve"], true).await;
        let base = format!("http://{}", addr.unwrap());
        let token = app.admin.token.clone().unwrap();
        let http = reqwest::Client::new();
        let pid = child.id().unwrap().to_string();
        let first = Arc::new(tokio::sync::Notify::new());
        let requests = (0..64).map(|_| {
            let (http, base, token, first) = (http.clone(), base.clone(), token.clone(), first.clone());
            async move {
                let r = http.get(format!("{base}/api/v1/assets?limit=20")).bearer_auth(token).send().await;
                first.notify_one();
                match r {
                    Ok(resp) => {
                        let status = resp.status();
                        let body = resp.text().await;
                        assert!(status == 200 && body.is_ok(), "an accepted request was answered whole: {status}");
                        true
                    }
                    // Only a refused connection (after the listener closed) may fail.
                    Err(e) => {
                        assert!(e.is_connect(), "not a refused connection: {e}");
                        false
                    }
                }
            }
        });
        let term = async {
            first.notified().await;
            let ok = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success();
            assert!(ok, "kill -TERM {pid}");
        };
        let (answered, ()) = tokio::join!(futures_util::future::join_all(requests), term);
        assert!(answered.iter().any(|a| *a), "some requests were answered");
        eprintln!("{} of 64 answered before the listener closed", answered.iter().filter(|a| **a).count());
        let status = exits(&mut child).await;
        assert!(status.success(), "a clean exit after SIGTERM: {status}");
        // Stopped: nothing listens there any more.
        let r = http.get(format!("{base}/healthz")).send().await;
        assert!(r.is_err_and(|e| e.is_connect()));
    }
}

db_test! {
    async fn a_bulk_registration_killed_midway_leaves_whole_batches(app: TestApp) {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, _) = spawn(app, dir.path(), &["demo"], false).await;
        // Killed once the first batches have landed (the demo registers about 10,000 items).
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let landed = tokio::time::timeout(Duration::from_secs(120), async {
            loop {
                tick.tick().await;
                let n = count(app, "SELECT COUNT(*) FROM assets").await;
                if n > 0 {
                    return n;
                }
            }
        })
        .await
        .expect("the demo registers items");
        child.start_kill().unwrap();
        let status = exits(&mut child).await;
        let items = count(app, "SELECT COUNT(*) FROM assets").await;
        assert!(items >= landed, "{items} ≥ {landed}");
        if status.success() {
            eprintln!("the demo finished before the kill ({items} items); the check below still holds");
        }
        // Whatever landed is whole: every item with its registration entry, the chain intact.
        let registered = count(app, "SELECT COUNT(DISTINCT asset_id) FROM lifecycle_events WHERE kind = 'registered'").await;
        assert_eq!(registered, items, "every item has its registration entry");
        let msg = verified(app).await;
        assert!(msg.contains(&format!("{items} assets agree with their ledger")), "{msg}");
        eprintln!("bulk registration killed with {items} items landed");
    }
}
