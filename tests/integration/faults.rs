//! Faults under load, in the suite: 64 clients writing to the same few items at once lose no
//! update and leave no ledger entry missing or doubled; two instances on one database share
//! sessions, tokens and sign-in locks, and writers through both lose nothing. Every run ends
//! with the whole chain verified.

use futures_util::future::join_all;
use reloop_tests::PASSWORD;
use sea_orm::{ConnectionTrait, Statement};

use reloop_tests::csrf_of;

use super::*;

async fn count(app: &TestApp, sql: String) -> i64 {
    let r = app.db.conn().query_one_raw(Statement::from_string(app.db.backend(), sql)).await.unwrap().unwrap();
    r.try_get_by_index::<i64>(0).unwrap()
}

async fn verified(app: &TestApp, items: usize) {
    let (ok, msg) = reloop::cli::verify_audit(&app.db).await.unwrap();
    assert!(ok, "{msg}");
    assert!(msg.contains(&format!("{items} assets agree with their ledger")), "{msg}");
}

db_test! {
    async fn sixty_four_clients_lose_no_update(app: TestApp) {
        const ITEMS: usize = 8;
        let mut ids = Vec::new();
        for i in 0..ITEMS {
            ids.push(s(&app.asset(&format!("HOT-{i}"), "server", json!({})).await, "id"));
        }
        // Each client reads an item, then writes what it read the version of: a transition
        // (deployed ⇄ in stock) or an edit of its notes. A write on a stale version is
        // refused (409); nothing else may happen.
        let clients = (0..64usize).map(|c| {
            let ids = &ids;
            async move {
                let mut done = Vec::new();
                for j in 0..6usize {
                    let k = (c + j) % ITEMS;
                    let id = &ids[k];
                    let a = app.get_asset(id).await;
                    let version = a["version"].as_i64().unwrap();
                    let transition = (c + j) % 2 == 0;
                    let r = if transition {
                        let to = if a["state"] == "deployed" { "in_stock" } else { "deployed" };
                        app.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": to, "version": version})).await
                    } else {
                        app.patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": version, "notes": format!("client {c}, write {j}")})).await
                    };
                    assert!(r.status == 200 || r.status == 409, "client {c} write {j}: {} {}", r.status, r.text);
                    if r.status == 409 {
                        let (code, _, _) = r.error();
                        assert!(code == "stale_version" || code == "version_conflict", "client {c} write {j}: {}", r.text);
                    }
                    done.push((k, transition, r.status == 200));
                }
                done
            }
        });
        let writes: Vec<(usize, bool, bool)> = join_all(clients).await.into_iter().flatten().collect();
        assert_eq!(writes.len(), 64 * 6);
        let mut total_ok = 0;
        for (k, id) in ids.iter().enumerate() {
            let moves = writes.iter().filter(|(i, t, ok)| *i == k && *t && *ok).count();
            let edits = writes.iter().filter(|(i, t, ok)| *i == k && !*t && *ok).count();
            total_ok += moves + edits;
            let a = app.get_asset(id).await;
            // Every acknowledged write moved the version on by one: none was lost.
            assert_eq!(a["version"].as_i64().unwrap() as usize, 1 + moves + edits, "HOT-{k}");
            // One ledger entry per acknowledged transition, none more, and the last one is
            // where the item is.
            let states: Vec<Value> = app.events(id).await.into_iter().filter(|e| e["kind"] == "state").collect();
            assert_eq!(states.len(), moves, "HOT-{k}'s state entries");
            let now = states.last().map(|e| e["to"].clone()).unwrap_or(json!("in_stock"));
            assert_eq!(a["state"], now, "HOT-{k}");
            // One audit entry per acknowledged edit.
            let audited = count(app, format!("SELECT COUNT(*) FROM audit_log WHERE action = 'asset.update' AND target_id = '{id}'")).await;
            assert_eq!(audited as usize, edits, "HOT-{k}'s edits");
        }
        assert!(total_ok >= ITEMS, "some writes went through ({total_ok})");
        eprintln!("{total_ok} of {} writes acknowledged, the rest refused as stale", writes.len());
        verified(app, ITEMS).await;
    }
}

/// A second instance of reloop on the first one's database (its own pool and process state,
/// the same chain key), as a second server behind a load balancer would be.
async fn second_instance(app: &TestApp) -> reloop::web::Running {
    let key = reloop::db::ChainKey::from_hex(app.settings.chain_key.as_deref().unwrap()).unwrap();
    let db = reloop::Db::connect(&app.settings.database_url, 5).await.unwrap().with_chain_key(key);
    reloop::web::spawn("127.0.0.1:0", db, app.settings.clone()).expect("a second instance")
}

async fn sign_in(c: &reloop_tests::Client, username: &str, password: &str) -> Resp {
    let csrf = csrf_of(&c.get("/login").await.text);
    c.post_form("/login", &[("csrf_token", &csrf), ("username", username), ("password", password)]).await
}

db_test! {
    start = super::auth::throttled_app;
    async fn two_instances_share_sessions_locks_and_writes(app: TestApp) {
        let second = second_instance(app).await;
        let base2 = format!("http://{}", second.addr);
        let mut there = app.admin.clone();
        there.base = base2.clone();

        // The token and the session made through the first work on the second.
        assert_eq!(there.get("/api/v1/me").await.json()["username"], "admin");
        let page = there.get("/assets").await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("Sign out"), "signed in on the second instance");

        // Four failures on the first lock the name on the second too.
        app.user("bob", reloop::rules::Role::Auditor).await;
        let first = app.anon();
        for i in 0..4 {
            assert_eq!(sign_in(&first, "bob", "not the password").await.status, 401, "attempt {i}");
        }
        let mut anon2 = app.anon();
        anon2.base = base2.clone();
        let r = sign_in(&anon2, "bob", PASSWORD).await;
        assert_eq!(r.status, 429, "locked on the second instance: {}", r.text);
        assert!(r.text.contains("Too many failed sign-ins"));

        // Writers through both at once: every acknowledged item is there once.
        let writers = (0..32usize).map(|i| {
            let client = if i % 2 == 0 { app.admin.clone() } else { there.clone() };
            async move {
                let r = client.post_json("/api/v1/assets", &json!({"asset_tag": format!("BOTH-{i:02}"), "kind": "server"})).await;
                assert_eq!(r.status, 201, "writer {i}: {}", r.text);
                let id = s(&r.json(), "id");
                let r = client.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "deployed"})).await;
                assert_eq!(r.status, 200, "writer {i}: {}", r.text);
            }
        });
        join_all(writers).await;
        assert_eq!(count(app, "SELECT COUNT(*) FROM assets WHERE asset_tag LIKE 'BOTH-%' AND state = 'deployed'".into()).await, 32);
        assert_eq!(count(app, "SELECT COUNT(*) FROM lifecycle_events WHERE kind = 'state'".into()).await, 32);
        verified(app, 32).await;
        second.handle.stop(false).await;
    }
}

db_test! {
    async fn a_read_only_database_answers_503_and_writes_nothing(app: TestApp) {
        app.asset("RO-1", "server", json!({})).await;
        // A second instance that may only read: SQLite opened read-only; PostgreSQL with
        // read-only transactions by default for new connections.
        let url = match app.backend {
            Backend::Sqlite => app.settings.database_url.replace("mode=rwc", "mode=ro"),
            Backend::Postgres => {
                let name: String = app
                    .db
                    .conn()
                    .query_one_raw(Statement::from_string(app.db.backend(), "SELECT current_database() AS d".to_owned()))
                    .await
                    .unwrap()
                    .unwrap()
                    .try_get("", "d")
                    .unwrap();
                app.db
                    .conn()
                    .execute_unprepared(&format!("ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"))
                    .await
                    .unwrap();
                app.settings.database_url.clone()
            }
        };
        let key = reloop::db::ChainKey::from_hex(app.settings.chain_key.as_deref().unwrap()).unwrap();
        let db = reloop::Db::connect(&url, 2).await.unwrap().with_chain_key(key);
        let ro = reloop::web::spawn("127.0.0.1:0", db, app.settings.clone()).unwrap();
        let mut there = app.admin.clone();
        there.base = format!("http://{}", ro.addr);

        // Reading still works (the token check only reads).
        let r = there.get("/api/v1/assets").await;
        assert_eq!(r.status, 200, "{}", r.text);
        // A write is refused with 503, saying why, and nothing is written.
        let r = there.post_json("/api/v1/assets", &json!({"asset_tag": "RO-2", "kind": "server"})).await;
        assert_eq!(r.status, 503, "{}", r.text);
        let (code, _, message) = r.error();
        assert_eq!(code, "unavailable");
        assert!(message.contains("the database is read-only: nothing was saved"), "{message}");
        assert!(r.header("x-request-id").is_some());
        assert_eq!(count(app, "SELECT COUNT(*) FROM assets".into()).await, 1);
        ro.handle.stop(false).await;
    }
}

/// A small tmpfs for a SQLite database, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a 4 MiB tmpfs, or says why it cannot (mounting needs root).
    fn mount() -> Result<SmallDisk, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(SmallDisk { dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.dir.path()).status();
    }
}

/// SQLite only: a full disk is the file system's, not a PostgreSQL database's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_writes_nothing_and_recovers() {
    let disk = match SmallDisk::mount() {
        Ok(d) => d,
        Err(why) if !reloop_tests::strict() => {
            eprintln!("skipped: a_full_disk_answers_503… (cannot mount a tmpfs: {why})");
            return;
        }
        Err(why) => panic!("CI runs this test as root: cannot mount a tmpfs: {why}"),
    };
    let path = disk.dir.path().to_owned();
    let app = TestApp::start_with(Backend::Sqlite, "a_full_disk", |s| {
        s.database_url = format!("sqlite://{}?mode=rwc", path.join("reloop.db").display());
        s.data_dir = path.clone();
    })
    .await
    .unwrap();
    app.asset("FULL-1", "server", json!({})).await;
    // Fill what is left of the disk.
    let filler = path.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    let mut refused = None;
    // A few registrations: the first ones may still fit in pages the database already has.
    for i in 0..200 {
        let r = app
            .post_json(
                "/api/v1/assets",
                &json!({"asset_tag": format!("FULL-{}", i + 2), "kind": "server", "notes": "x".repeat(2000)}),
            )
            .await;
        if r.status != 201 {
            refused = Some(r);
            break;
        }
    }
    let r = refused.expect("the disk filled up");
    assert_eq!(r.status, 503, "{}", r.text);
    let (code, _, message) = r.error();
    assert_eq!(code, "unavailable");
    assert!(message.contains("the database's disk is full: nothing was saved"), "{message}");
    let before = count(&app, "SELECT COUNT(*) FROM assets".into()).await;
    // Space again: the same server takes writes, and nothing half-done is left behind.
    std::fs::remove_file(&filler).unwrap();
    let r = app.post_json("/api/v1/assets", &json!({"asset_tag": "AFTER", "kind": "server"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM assets".into()).await, before + 1);
    verified(&app, (before + 1) as usize).await;
    drop(app);
}
