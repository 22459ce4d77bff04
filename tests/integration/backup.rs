//! `reloop backup` and `reloop restore`, run as an operator would (the command line against
//! the test's database): a copy taken while the server keeps taking writes restores to a
//! chain that verifies and holds every write acknowledged before it began; a quiet copy
//! restores to the same rows in every table and the same chain head; a registry is never
//! overwritten unless asked; files that are not backups of this kind of database are
//! refused before anything is written.

use std::collections::BTreeMap;

use clap::Parser;
use reloop::Settings;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

use super::*;

/// Runs a `reloop` command line with `settings`, as an operator would.
async fn reloop(settings: &Settings, args: &[&str]) -> anyhow::Result<()> {
    let cli = reloop::cli::Cli::try_parse_from(std::iter::once("reloop").chain(args.iter().copied()))?;
    reloop::cli::run(cli, settings.clone()).await
}

/// The app's settings pointed at another database (same chain key).
fn settings_for(app: &TestApp, url: &str) -> Settings {
    let mut s = (*app.settings).clone();
    s.database_url = url.to_owned();
    s
}

/// Every table's rows, each row as one JSON array of its columns, sorted: two databases of
/// one kind that hold the same rows give equal maps.
async fn all_rows(conn: &DatabaseConnection) -> BTreeMap<String, Vec<String>> {
    let backend = conn.get_database_backend();
    let q = |sql: String| Statement::from_string(backend, sql);
    let tables_sql = match backend {
        DbBackend::Sqlite => "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        _ => "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'",
    };
    let mut out = BTreeMap::new();
    for row in conn.query_all_raw(q(tables_sql.into())).await.expect("tables") {
        let table: String = row.try_get("", "t").unwrap();
        let cols_sql = match backend {
            DbBackend::Sqlite => format!("SELECT name AS c FROM pragma_table_info('{table}') ORDER BY cid"),
            _ => format!(
                "SELECT column_name::text AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
            ),
        };
        let cols: Vec<String> = conn
            .query_all_raw(q(cols_sql))
            .await
            .expect("columns")
            .iter()
            .map(|r| format!("\"{}\"", r.try_get::<String>("", "c").unwrap()))
            .collect();
        let rows_sql = match backend {
            // quote(): every value as its SQL literal, blobs included.
            DbBackend::Sqlite => format!(
                "SELECT json_array({}) AS r FROM \"{table}\"",
                cols.iter().map(|c| format!("quote({c})")).collect::<Vec<_>>().join(", ")
            ),
            _ => format!("SELECT json_build_array({})::text AS r FROM \"{table}\"", cols.join(", ")),
        };
        let mut rows: Vec<String> = conn
            .query_all_raw(q(rows_sql))
            .await
            .expect("rows")
            .iter()
            .map(|r| r.try_get::<String>("", "r").unwrap())
            .collect();
        rows.sort();
        out.insert(table, rows);
    }
    out
}

async fn head(conn: &DatabaseConnection) -> (i64, String) {
    let r = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT seq, hash FROM chain_head WHERE name = 'main'".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    (r.try_get("", "seq").unwrap(), r.try_get("", "hash").unwrap())
}

async fn tags_in(conn: &DatabaseConnection) -> Vec<String> {
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), "SELECT asset_tag FROM assets".to_owned()))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "asset_tag").unwrap())
        .collect()
}

/// A small registry: a site, a model, servers with parts, some moved through their states.
async fn registry(app: &TestApp) {
    let site = app.site("Frankfurt").await;
    let model = app.model("Dell", "PowerEdge R740", "server", Some(24.5)).await;
    for i in 0..6 {
        let server = app
            .asset(&format!("SRV-{i}"), "server", json!({"model_id": s(&model, "id"), "site_id": s(&site, "id")}))
            .await;
        app.asset(&format!("DIMM-{i}"), "dimm", json!({"parent_id": s(&server, "id")})).await;
        if i % 2 == 0 {
            let r = app.transition(&s(&server, "id"), "deployed").await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    }
}

db_test! {
    async fn a_copy_taken_under_writes_restores_and_verifies(app: TestApp) {
        registry(app).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(if app.backend == Backend::Sqlite { "live.db" } else { "live.dump" });
        let file_arg = file.to_str().unwrap().to_owned();

        // A writer registers items one after another; the copy starts after its fifth
        // acknowledged write and the writer goes on meanwhile.
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let writer = async {
            let mut started = Some(started_tx);
            for i in 0..30 {
                app.asset(&format!("LIVE-{i:02}"), "server", json!({})).await;
                if i == 4 && let Some(tx) = started.take() {
                    tx.send(()).unwrap();
                }
            }
        };
        let copier = async {
            started_rx.await.unwrap();
            reloop(&app.settings, &["backup", &file_arg]).await
        };
        let ((), copied) = tokio::join!(writer, copier);
        copied.expect("the backup");

        let target = app.scratch_database().await;
        reloop(&settings_for(app, &target.url), &["restore", &file_arg]).await.expect("the restore verifies");
        let restored = Database::connect(&target.url).await.unwrap();
        let tags = tags_in(&restored).await;
        for i in 0..5 {
            assert!(tags.contains(&format!("LIVE-{i:02}")), "LIVE-{i:02} was acknowledged before the copy began: {tags:?}");
        }
        // Registered before the writer: 6 servers and 6 DIMMs; then some of the writer's.
        let live = tags.iter().filter(|t| t.starts_with("LIVE-")).count();
        assert!((5..=30).contains(&live), "{live} of the writer's items");
        assert_eq!(tags.len(), 12 + live);
        let (seq, _) = head(&restored).await;
        let (final_seq, _) = head(app.db.conn()).await;
        assert!(seq <= final_seq, "the copy's head {seq} is not after the source's {final_seq}");
        restored.close().await.ok();
    }
}

db_test! {
    async fn a_quiet_copy_restores_the_same_rows_and_chain_head(app: TestApp) {
        registry(app).await;
        // A user and a token too, so the accounts' tables are not empty.
        app.user("ada", reloop::rules::Role::Refurbisher).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("quiet.backup");
        let file_arg = file.to_str().unwrap();
        reloop(&app.settings, &["backup", file_arg]).await.expect("the backup");
        assert!(!dir.path().join("quiet.backup.partial").exists(), "the partial file was renamed");

        let target = app.scratch_database().await;
        reloop(&settings_for(app, &target.url), &["restore", file_arg]).await.expect("the restore");
        let restored = Database::connect(&target.url).await.unwrap();
        let source = all_rows(app.db.conn()).await;
        let copy = all_rows(&restored).await;
        assert_eq!(source.keys().collect::<Vec<_>>(), copy.keys().collect::<Vec<_>>(), "the same tables");
        for (table, rows) in &source {
            assert_eq!(rows, &copy[table], "table {table} differs");
        }
        assert!(source["assets"].len() == 12 && source["users"].len() == 2, "{} assets", source["assets"].len());
        assert_eq!(head(&restored).await, head(app.db.conn()).await, "the same chain head");
        restored.close().await.ok();

        // The restored registry serves: reloop verifies it as its own.
        let restored_db = reloop::Db::connect(&target.url, 2)
            .await
            .unwrap()
            .with_chain_key(reloop::db::ChainKey::from_hex(app.settings.chain_key.as_deref().unwrap()).unwrap());
        let (ok, msg) = reloop::cli::verify_audit(&restored_db).await.unwrap();
        assert!(ok, "{msg}");
        assert!(msg.contains("12 assets agree with their ledger"), "{msg}");
    }
}

db_test! {
    async fn restore_refuses_a_registry_a_stranger_and_the_other_kind(app: TestApp) {
        registry(app).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("b.backup");
        let file_arg = file.to_str().unwrap();
        reloop(&app.settings, &["backup", file_arg]).await.expect("the backup");

        // An existing file is kept unless --force.
        let e = reloop(&app.settings, &["backup", file_arg]).await.unwrap_err().to_string();
        assert!(e.contains("exists: choose another name, or pass --force"), "{e}");
        reloop(&app.settings, &["backup", "--force", file_arg]).await.expect("--force replaces it");

        // Into the running registry itself: refused, nothing changes.
        let (seq, hash) = head(app.db.conn()).await;
        let e = reloop(&app.settings, &["restore", file_arg]).await.unwrap_err().to_string();
        assert!(e.contains("already holds a registry (12 item(s), 1 user(s), chain head at entry"), "{e}");
        assert!(e.contains("pass --replace"), "{e}");
        assert_eq!(head(app.db.conn()).await, (seq, hash));

        // Not a backup at all.
        let junk = dir.path().join("notes.txt");
        std::fs::write(&junk, "not a database").unwrap();
        let target = app.scratch_database().await;
        let e = reloop(&settings_for(app, &target.url), &["restore", junk.to_str().unwrap()]).await.unwrap_err().to_string();
        assert!(e.contains("is not a reloop backup"), "{e}");

        // A backup of the other kind of database.
        let other = dir.path().join("other");
        let (bytes, says): (&[u8], &str) = match app.backend {
            Backend::Sqlite => (b"PGDMP\x01\x0e\x00", "is a PostgreSQL dump (pg_dump custom format), but DATABASE_URL points at SQLite"),
            Backend::Postgres => (b"SQLite format 3\x00 and more", "is a SQLite database file, but DATABASE_URL points at PostgreSQL"),
        };
        std::fs::write(&other, bytes).unwrap();
        let e = reloop(&settings_for(app, &target.url), &["restore", other.to_str().unwrap()]).await.unwrap_err().to_string();
        assert!(e.contains(says), "{e}");

        // The wrong chain key: the copy does not verify, and says so.
        let mut wrong = settings_for(app, &target.url);
        wrong.chain_key = Some(reloop::db::ChainKey::random().to_hex());
        let e = reloop(&wrong, &["restore", file_arg]).await.unwrap_err();
        let e = format!("{e:#}");
        assert!(e.contains("the restored chain does not verify"), "{e}");
        if app.backend == Backend::Sqlite {
            // On SQLite the copy is checked beside the target, which is never created.
            assert!(e.contains("was not restored; the database is unchanged"), "{e}");
            let path = target.url.trim_start_matches("sqlite://").trim_end_matches("?mode=rwc");
            assert!(!std::path::Path::new(path).exists(), "{path} was created");
        }

        // With the right key, the empty target takes it.
        let scratch = app.scratch_database().await;
        reloop(&settings_for(app, &scratch.url), &["restore", file_arg]).await.expect("the restore");
        // --replace overwrites a registry.
        reloop(&settings_for(app, &scratch.url), &["restore", "--replace", file_arg]).await.expect("--replace");
        let restored = Database::connect(&scratch.url).await.unwrap();
        assert_eq!(head(&restored).await, head(app.db.conn()).await);
        restored.close().await.ok();
    }
}
