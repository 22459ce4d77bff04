//! PostgreSQL restarted under load, on a temporary cluster this test starts itself on a
//! port of its own (initdb and pg_ctl from the server package), never the shared server:
//! while it is down, requests fail with 503 after the pool's acquire timeout instead of
//! hanging; when it is back, the same reloop serves again without a restart; every
//! acknowledged write survives, and the chain verifies.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reloop::auth::NewUser;
use reloop::auth::tokens::NewToken;
use reloop::rules::Role;
use reloop::{Ctx, Db};

use super::*;

/// The newest server package's bin directory.
fn pg_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib/postgresql").ok()?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    versions.sort();
    versions.pop().map(|v| v.join("bin")).filter(|b| b.join("pg_ctl").exists())
}

/// A throwaway cluster: initdb'd in a temp dir, run as `postgres` when the test is root
/// (PostgreSQL refuses to run as root), stopped when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    fn run(&self, tool: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args).output().expect(tool)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn start(&self) {
        let opts = format!("-p {} -c listen_addresses=127.0.0.1 -k {}", self.port, self.dir.path().display());
        let log = self.dir.path().join("log").display().to_string();
        let out = self.run("pg_ctl", &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"]);
        assert!(out.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn stop(&self) {
        let out = self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
        assert!(out.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn new(bin: PathBuf) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
        if as_postgres {
            let ok = Command::new("chown").args(["-R", "postgres:"]).arg(dir.path()).status().unwrap().success();
            assert!(ok, "chown the cluster's directory to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let c = Cluster { bin, dir, port, as_postgres };
        let out = c.run("initdb", &["-D", &c.data(), "--auth=trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        c
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_load_gives_503s_then_recovers() {
    let Some(bin) = pg_bin() else {
        assert!(!reloop_tests::strict(), "CI needs the PostgreSQL server package for this test");
        eprintln!("skipped: a_postgres_restart…: no PostgreSQL server package");
        return;
    };
    let cluster = Cluster::new(bin);
    cluster.start();
    let url = cluster.url();
    let key = reloop::db::ChainKey::random();
    let mut settings = reloop_tests::test_settings(url.clone(), std::env::temp_dir());
    settings.chain_key = Some(key.to_hex());
    let pool = reloop::db::PoolOptions { max_connections: 4, acquire_timeout: Duration::from_secs(1), slow: None };
    let db = Db::connect_with(&url, &pool).await.unwrap().with_chain_key(key);
    db.migrate().await.unwrap();
    let ctx = Ctx::new("test");
    let user = reloop::auth::users::create(
        &db,
        &ctx,
        NewUser {
            username: "admin".into(),
            display_name: None,
            role: Role::Admin,
            password: reloop_tests::PASSWORD.into(),
        },
    )
    .await
    .unwrap();
    let token = reloop::auth::tokens::create(&db, &ctx, user.id, NewToken { name: "t".into(), expires_in_days: None })
        .await
        .unwrap()
        .token;
    let running = reloop::web::spawn("127.0.0.1:0", db.clone(), Arc::new(settings)).unwrap();
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let register = {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        move |tag: String| {
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            async move {
                http.post(format!("{base}/api/v1/assets"))
                    .bearer_auth(token)
                    .json(&json!({"asset_tag": tag, "kind": "server"}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            }
        }
    };

    // Load: four writers registering items in a loop until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (stop, register) = (stop.clone(), register.clone());
            tokio::spawn(async move {
                let mut acked = Vec::new();
                let mut refused = 0;
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let tag = format!("W{w}-{i:04}");
                    match register(tag.clone()).await {
                        Ok(201) => acked.push(tag),
                        Ok(503) => refused += 1,
                        Ok(other) => panic!("{tag}: {other}"),
                        Err(e) => panic!("{tag}: the request did not get an answer: {e}"),
                    }
                    i += 1;
                }
                (acked, refused)
            })
        })
        .collect();

    // Let the writers land something, then stop the server under them.
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while db_count(&db).await < 20 {
        tick.tick().await;
    }
    cluster.stop();
    // Down: a request is refused with 503, saying why, instead of hanging.
    let r = http.get(format!("{base}/api/v1/assets")).bearer_auth(&token).send().await.expect("an answer while down");
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("the database is not answering"), "{body}");
    let r = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503, "not ready while the database is down");

    // Back: the same reloop serves again, without a restart of its own.
    cluster.start();
    let mut back = None;
    for _ in 0..20 {
        let r = http.get(format!("{base}/api/v1/assets")).bearer_auth(&token).send().await.unwrap();
        if r.status() == 200 {
            back = Some(());
            break;
        }
        assert_eq!(r.status(), 503);
    }
    back.expect("the pool reconnected by itself");
    stop.store(true, Ordering::SeqCst);
    let mut acked = Vec::new();
    let mut refused = 0;
    for w in writers {
        let (a, r) = w.await.unwrap();
        acked.extend(a);
        refused += r;
    }
    eprintln!("{} registrations acknowledged, {refused} refused with 503 while the database was down", acked.len());
    // Every acknowledged registration survived the restart.
    let after = register("AFTER".into()).await.unwrap();
    assert_eq!(after, 201);
    for tag in &acked {
        let r = http.get(format!("{base}/api/v1/assets/lookup?code={tag}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200, "{tag} was acknowledged");
    }
    let (ok, msg) = reloop::cli::verify_audit(&db).await.unwrap();
    assert!(ok, "{msg}");
    running.handle.stop(false).await;
    db.close().await.ok();
}

async fn db_count(db: &Db) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    match db.conn().query_one_raw(Statement::from_string(db.backend(), "SELECT COUNT(*) FROM assets".to_owned())).await
    {
        Ok(Some(r)) => r.try_get_by_index::<i64>(0).unwrap_or(0),
        _ => 0,
    }
}
