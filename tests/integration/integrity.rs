//! Integrity and security regressions: each test reproduces an attack or a race that once
//! succeeded (a forged row sealed by verification, a cut or recomputed chain, an asset row
//! edited behind its ledger, a sign-in burst outrunning the throttle, deadlocking moves,
//! open redirects, NUL bytes, the last-admin race, forged proxy headers, wrong methods,
//! cookies without `Secure`, an expensive verify endpoint) and checks it now fails safely,
//! on SQLite and PostgreSQL.

use clap::Parser;
use reloop::rules::Role;
use reloop_tests::PASSWORD;
use sea_orm::{ConnectionTrait, Statement};

use super::*;

async fn sql(app: &TestApp, statement: &str) {
    app.db.conn().execute_unprepared(statement).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
}

/// The SQL literal for a UUID column on this backend (SQLite keeps UUIDs as 16-byte blobs).
fn uuid_lit(app: &TestApp, id: &str) -> String {
    match app.backend {
        Backend::Sqlite => format!("X'{}'", uuid::Uuid::parse_str(id).expect("uuid").simple()),
        Backend::Postgres => format!("'{id}'"),
    }
}

/// One row of a query, as text columns.
async fn row(app: &TestApp, query: &str, cols: &[&str]) -> Vec<Option<String>> {
    let r = app
        .db
        .conn()
        .query_one_raw(Statement::from_string(app.db.backend(), query.to_owned()))
        .await
        .expect(query)
        .expect("a row");
    cols.iter()
        .map(|c| {
            r.try_get::<Option<String>>("", c)
                .ok()
                .flatten()
                .or_else(|| r.try_get::<Option<i64>>("", c).ok().flatten().map(|n| n.to_string()))
        })
        .collect()
}

/// Runs a `reloop` command line against this test's database, as an operator would.
async fn reloop(app: &TestApp, args: &[&str]) -> anyhow::Result<()> {
    let cli = reloop::cli::Cli::try_parse_from(std::iter::once("reloop").chain(args.iter().copied()))?;
    reloop::cli::run(cli, (*app.settings).clone()).await
}

fn now_lit(app: &TestApp) -> String {
    let t = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ");
    match app.backend {
        Backend::Sqlite => format!("'{t}'"),
        Backend::Postgres => format!("'{t}'::timestamptz"),
    }
}

db_test! {
    async fn a_ledger_row_forged_outside_the_chain_is_reported_not_sealed(app: TestApp) {
        let a = app.asset("FORGE-1", "server", json!({})).await;
        let id = s(&a, "id");
        let forged = uuid::Uuid::now_v7().to_string();
        // "Sold to a friend", inserted behind the application's back without a position.
        sql(app, &format!(
            "INSERT INTO lifecycle_events (id, asset_id, kind, from_value, to_value, actor, reason, payload, occurred_at) \
             VALUES ({}, {}, 'state', 'in_stock', 'transferred_out', 'admin', 'sold to a friend', '{{}}', {})",
            uuid_lit(app, &forged), uuid_lit(app, &id), now_lit(app)
        )).await;
        // The operator's command exits non-zero and names the row; nothing was written.
        assert!(reloop(app, &["audit", "verify"]).await.is_err(), "verify must fail");
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(!ok);
        assert!(msg.contains(&forged) && msg.contains("outside the chain"), "{msg}");
        let unsealed = row(app, "SELECT COUNT(*) AS n FROM lifecycle_events WHERE seq IS NULL", &["n"]).await;
        assert_eq!(unsealed[0].as_deref(), Some("1"), "verification never seals");
        // Opening the database for other commands (or serving) does not seal it either.
        reloop(app, &["migrate"]).await.expect("migrate");
        let unsealed = row(app, "SELECT COUNT(*) AS n FROM lifecycle_events WHERE seq IS NULL", &["n"]).await;
        assert_eq!(unsealed[0].as_deref(), Some("1"));
        let report = app.get("/api/v1/audit/verify").await.json();
        assert_eq!((report["ok"].as_bool(), report["outside_chain"].as_i64()), (Some(false), Some(1)), "{report}");
        assert_eq!(report["outside_chain_ids"][0].as_str(), Some(forged.as_str()));
        // Sealing is a deliberate, audited act; and even then the asset row (still in stock)
        // disagrees with the forged history, which verification names.
        reloop(app, &["audit", "seal"]).await.expect("seal");
        let trail = app.get("/api/v1/audit?action=audit.seal").await.json();
        assert!(trail["items"][0]["after"]["sealed"].to_string().contains(&forged), "{trail}");
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(!ok, "{msg}");
        assert!(msg.contains("FORGE-1 state: row in_stock but ledger transferred_out"), "{msg}");
    }
}

db_test! {
    async fn a_chain_cut_back_to_an_earlier_head_is_caught_by_the_head_seal_and_by_checkpoints(app: TestApp) {
        for i in 0..3 {
            app.site(&format!("Cut {i}")).await;
        }
        // A genuine earlier head, as someone with database access could have copied it.
        let saved = row(app, "SELECT seq, hash, keyed_from_seq, seal FROM chain_head", &["seq", "hash", "keyed_from_seq", "seal"]).await;
        let saved_seq: i64 = saved[0].as_deref().expect("seq").parse().expect("int");
        for i in 3..5 {
            app.site(&format!("Cut {i}")).await;
        }
        // The operator anchors and keeps the checkpoint elsewhere.
        reloop(app, &["audit", "anchor"]).await.expect("anchor");
        let cp = row(app, "SELECT seq, hash FROM chain_checkpoints ORDER BY seq DESC LIMIT 1", &["seq", "hash"]).await;
        let checkpoint = format!("{}:{}", cp[0].as_deref().expect("seq"), cp[1].as_deref().expect("hash"));
        reloop(app, &["audit", "verify", "--checkpoint", &checkpoint]).await.expect("the checkpoint holds now");

        // A naive cut: the last entries deleted and the head set to the new end, without the key.
        let end = row(app, &format!("SELECT hash FROM audit_log WHERE seq = {}", saved_seq + 1), &["hash"]).await;
        sql(app, &format!("DELETE FROM audit_log WHERE seq > {}", saved_seq + 1)).await;
        sql(app, &format!("DELETE FROM lifecycle_events WHERE seq > {}", saved_seq + 1)).await;
        sql(app, &format!("UPDATE chain_head SET seq = {}, hash = '{}'", saved_seq + 1, end[0].as_deref().expect("hash"))).await;
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(!ok && msg.contains("seal"), "a head edited without the key: {msg}");

        // A replay of the genuine earlier head, seal and all: consistent in itself, so only
        // the checkpoint kept elsewhere can tell.
        sql(app, &format!("DELETE FROM audit_log WHERE seq > {saved_seq}")).await;
        sql(app, &format!("DELETE FROM chain_checkpoints WHERE seq > {saved_seq}")).await;
        sql(app, &format!(
            "UPDATE chain_head SET seq = {saved_seq}, hash = '{}', keyed_from_seq = {}, seal = '{}'",
            saved[1].as_deref().expect("hash"), saved[2].as_deref().expect("keyed"), saved[3].as_deref().expect("seal")
        )).await;
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(ok, "without a checkpoint a replayed genuine head cannot be told apart (documented): {msg}");
        let err = reloop(app, &["audit", "verify", "--checkpoint", &checkpoint]).await.expect_err("cut detected");
        assert!(err.to_string().contains("broken"), "{err}");
    }
}

db_test! {
    async fn a_chain_recomputed_without_the_key_does_not_verify(app: TestApp) {
        let a = app.asset("RECOMP-1", "server", json!({})).await;
        let id = s(&a, "id");
        for to in ["deployed", "in_repair", "deployed"] {
            assert_eq!(app.transition(&id, to).await.status, 200);
        }
        // Rewrite the first transition's reason and recompute every link after it the only
        // way someone without the key can: plain SHA-256, the head's hash included.
        let events = app.events(&id).await;
        let victim = s(&events[1], "id");
        sql(app, &format!("UPDATE lifecycle_events SET reason = 'never happened' WHERE id = {}", uuid_lit(app, &victim))).await;
        let victim_seq: i64 = row(app, &format!("SELECT seq FROM lifecycle_events WHERE id = {}", uuid_lit(app, &victim)), &["seq"]).await[0]
            .as_deref().expect("seq").parse().expect("int");
        relink_plain(app, victim_seq).await;

        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(!ok, "{msg}");
        assert!(msg.contains(&victim) && msg.contains("does not match its hash"), "caught at the rewritten entry: {msg}");
    }
}

db_test! {
    async fn an_asset_row_changed_behind_its_ledger_is_named(app: TestApp) {
        let site = app.site("Ledger site").await;
        let a = app.asset("ROW-1", "server", json!({"site_id": site["id"]})).await;
        app.asset("ROW-2", "server", json!({})).await;
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(ok, "{msg}");
        sql(app, &format!("UPDATE assets SET state = 'retired', site_id = NULL WHERE id = {}", uuid_lit(app, &s(&a, "id")))).await;
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(!ok);
        assert!(msg.contains("ROW-1 state: row retired but ledger in_stock"), "{msg}");
        assert!(msg.contains("2 asset field(s) disagree"), "state and site: {msg}");
        assert!(!msg.contains("ROW-2"), "{msg}");
        let report = app.get("/api/v1/audit/verify").await.json();
        assert_eq!(report["mismatches"].as_i64(), Some(2), "{report}");
        let fields: Vec<&str> = report["mismatch_list"].as_array().expect("list").iter().filter_map(|m| m["field"].as_str()).collect();
        assert_eq!(fields, ["state", "site_id"]);
    }
}

/// Recomputes every link from position `from` on the way someone without the chain key can:
/// plain SHA-256, the head's hash included. Returns the new head hash.
async fn relink_plain(app: &TestApp, from: i64) -> String {
    use reloop::db::entities::{audit_entry, lifecycle_event};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let evs = lifecycle_event::Entity::find()
        .filter(lifecycle_event::Column::Seq.gte(from))
        .order_by_asc(lifecycle_event::Column::Seq)
        .all(app.db.conn())
        .await
        .expect("events");
    let auds = audit_entry::Entity::find()
        .filter(audit_entry::Column::Seq.gte(from))
        .order_by_asc(audit_entry::Column::Seq)
        .all(app.db.conn())
        .await
        .expect("audit");
    let first_prev = evs
        .iter()
        .find(|e| e.seq == Some(from))
        .and_then(|e| e.prev_hash.clone())
        .or_else(|| auds.iter().find(|a| a.seq == from).map(|a| a.prev_hash.clone()));
    let mut prev = first_prev.expect("an entry at that position");
    let mut all: Vec<(i64, bool, usize)> = evs
        .iter()
        .enumerate()
        .map(|(i, e)| (e.seq.unwrap_or(0), true, i))
        .chain(auds.iter().enumerate().map(|(i, a)| (a.seq, false, i)))
        .collect();
    all.sort();
    for (seq, is_event, i) in all {
        let (table, rid, content) = if is_event {
            let mut e = evs[i].clone();
            e.prev_hash = Some(prev.clone());
            ("lifecycle_events", e.id.to_string(), reloop::ledger::chain::event_content(&e, seq, &prev))
        } else {
            let mut a = auds[i].clone();
            a.prev_hash = prev.clone();
            ("audit_log", a.id.to_string(), reloop::ledger::chain::audit_content(&a, seq, &prev))
        };
        let h = reloop::ledger::chain::hash(&content);
        sql(app, &format!("UPDATE {table} SET prev_hash = '{prev}', hash = '{h}' WHERE id = {}", uuid_lit(app, &rid)))
            .await;
        prev = h;
    }
    sql(app, &format!("UPDATE chain_head SET hash = '{prev}'")).await;
    prev
}

db_test! {
    async fn a_chain_from_before_keying_is_keyed_once_at_start_and_a_stripped_marker_is_refused(app: TestApp) {
        for i in 0..3 {
            app.site(&format!("Legacy {i}")).await;
        }
        // What an earlier version left: plain SHA-256 links from the first entry, no marker.
        relink_plain(app, 1).await;
        sql(app, "UPDATE chain_head SET keyed_from_seq = NULL, seal = NULL").await;
        let old_head: i64 = row(app, "SELECT seq FROM chain_head", &["seq"]).await[0].as_deref().expect("seq").parse().expect("int");
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(!ok && msg.contains("not keyed yet"), "{msg}");
        // A writing command keys it from the next position on, and says so in the trail.
        reloop(app, &["migrate"]).await.expect("migrate keys the chain");
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(ok, "{msg}");
        let report = app.get("/api/v1/audit/verify").await.json();
        assert_eq!(report["keyed_from_seq"].as_i64(), Some(old_head + 1), "{report}");
        let keyed = app.get("/api/v1/audit?action=chain.keyed").await.json();
        assert_eq!(keyed["items"][0]["seq"].as_i64(), Some(old_head + 1), "the record is the first keyed entry: {keyed}");
        app.site("Keyed").await;
        reloop(app, &["migrate"]).await.expect("a second start changes nothing");
        assert_eq!(app.get("/api/v1/audit?action=chain.keyed").await.json()["items"].as_array().map(Vec::len), Some(1));
        // Someone strips the marker to relink the keyed part without the key: the next start
        // refuses instead of keying again, writes are refused, and verification reports it.
        relink_plain(app, old_head + 1).await;
        sql(app, "UPDATE chain_head SET keyed_from_seq = NULL, seal = NULL").await;
        let err = reloop(app, &["migrate"]).await.expect_err("refused");
        assert!(err.to_string().contains(&format!("keyed at seq {}", old_head + 1)), "{err}");
        let r = app.post_json("/api/v1/sites", &json!({"name": "After the strip", "country": "DE"})).await;
        assert!(r.status >= 500, "a write must not extend a stripped chain: {}", r.text);
        assert_eq!(app.get("/api/v1/sites").await.json().as_array().map(|a| a.iter().any(|s| s["name"] == "After the strip")), Some(false));
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(!ok, "{msg}");
    }
}

/// Signs in through the form with a fresh anonymous client.
async fn attempt(app: &TestApp, username: &str, password: &str, forwarded: Option<&str>) -> Resp {
    let c = app.anon();
    let page = c.get("/login").await;
    let csrf = page
        .text
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let mut rb = c.request(reqwest::Method::POST, "/login").form(&[
        ("csrf_token", csrf.as_str()),
        ("username", username),
        ("password", password),
    ]);
    if let Some(f) = forwarded {
        rb = rb.header("x-forwarded-for", f);
    }
    c.send(rb).await
}

db_test! {
    async fn forty_concurrent_sign_ins_evaluate_at_most_the_limit(app: TestApp) {
        app.user("target", Role::Auditor).await;
        let limit = app.settings.login_max_failures as usize;
        // 39 wrong passwords and the right one, all at once; the right one last.
        let mut tries = Vec::new();
        for i in 0..40 {
            let pw = if i == 39 { PASSWORD.to_owned() } else { format!("wrong guess number {i}") };
            tries.push(async move { attempt(app, "target", &pw, None).await.status });
        }
        let statuses = futures_util::future::join_all(tries).await;
        let wrong_checked = statuses.iter().filter(|s| **s == 401).count();
        let signed_in = statuses.iter().filter(|s| **s == 303).count();
        let throttled = statuses.iter().filter(|s| **s == 429).count();
        // The bound is on guesses that were wrong: the right one may or may not get a slot.
        assert!(wrong_checked <= limit, "{wrong_checked} wrong passwords were checked; the limit is {limit}: {statuses:?}");
        assert!(signed_in <= 1, "{statuses:?}");
        assert_eq!(wrong_checked + signed_in + throttled, 40, "{statuses:?}");
        // The budget left is exactly what the burst did not use (tests run without back-off):
        // that many more wrong guesses are checked, then the name locks, and even the right
        // password waits.
        for i in wrong_checked..limit {
            assert_eq!(attempt(app, "target", "still wrong", None).await.status, 401, "guess {i}: {statuses:?}");
        }
        assert_eq!(attempt(app, "target", PASSWORD, None).await.status, 429, "{statuses:?}");
    }
}

db_test! {
    async fn opposite_part_moves_never_deadlock(app: TestApp) {
        let s1 = s(&app.asset("MV-S1", "server", json!({})).await, "id");
        let s2 = s(&app.asset("MV-S2", "server", json!({})).await, "id");
        let d1 = s(&app.asset("MV-D1", "dimm", json!({"parent_tag": "MV-S1"})).await, "id");
        let d2 = s(&app.asset("MV-D2", "dimm", json!({"parent_tag": "MV-S2"})).await, "id");
        let mut statuses = Vec::new();
        for round in 0..60 {
            // Swap the two DIMMs between the servers, both moves at the same moment.
            let (to1, to2) = if round % 2 == 0 { (&s2, &s1) } else { (&s1, &s2) };
            let (p1, p2) = (format!("/api/v1/assets/{to1}/children"), format!("/api/v1/assets/{to2}/children"));
            let (b1, b2) = (json!({"child_id": d1}), json!({"child_id": d2}));
            let (a, b) = tokio::join!(app.post_json(&p1, &b1), app.post_json(&p2, &b2));
            assert!(a.status < 500 && b.status < 500, "round {round}: {} {} / {} {}", a.status, a.text, b.status, b.text);
            statuses.push((a.status, b.status));
        }
        assert!(statuses.iter().all(|p| *p == (200, 200)), "every move completes: {statuses:?}");
        assert_eq!(app.get_asset(&d1).await["parent_id"].as_str(), Some(s1.as_str()));
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(ok, "{msg}");
    }
}

db_test! {
    async fn sign_in_redirects_only_to_this_site(app: TestApp) {
        app.user("nav", Role::Auditor).await;
        let bypasses = [
            "https://evil.example/", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
            "/\t/evil.example", "/%09/evil.example", "/%2F/evil.example", "/%5Cevil.example", "/ /evil.example",
            "javascript:alert(1)", "/a\r\nSet-Cookie: x=y", "/\u{1}x", "/\u{7f}x", "evil.example", "/.//evil.example",
        ];
        for bad in bypasses {
            let c = app.anon();
            let page = c.get("/login").await;
            let csrf = page.text.split("name=\"csrf_token\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_owned();
            let r = c.post_form("/login", &[("csrf_token", &csrf), ("username", "nav"), ("password", PASSWORD), ("next", bad)]).await;
            // A form may carry tabs and line breaks (notes do), so such a `next` is simply not
            // followed; other control characters are refused at the edge (400) before sign-in.
            let refused_at_edge = bad.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'));
            if refused_at_edge {
                assert_eq!((r.status, r.header("location")), (400, None), "{bad:?}");
                continue;
            }
            assert_eq!((r.status, r.header("location")), (303, Some("/")), "{bad:?}");
            // Signed in, the sign-in page sends a visitor on at once: the same rule applies,
            // and a query value with any control character is refused at the edge.
            let q: String = form_urlencoded::byte_serialize(bad.as_bytes()).collect();
            let r = c.get(&format!("/login?next={q}")).await;
            let expected = if bad.chars().any(char::is_control) { (400, None) } else { (303, Some("/")) };
            assert_eq!((r.status, r.header("location")), expected, "GET {bad:?}");
        }
        let c = app.anon();
        let page = c.get("/login").await;
        let csrf = page.text.split("name=\"csrf_token\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_owned();
        let r = c.post_form("/login", &[("csrf_token", &csrf), ("username", "nav"), ("password", PASSWORD), ("next", "/sites?x=1")]).await;
        assert_eq!(r.header("location"), Some("/sites?x=1"), "a local path is kept");
    }
}

db_test! {
    async fn nul_and_control_characters_are_a_400_naming_the_parameter(app: TestApp) {
        app.asset("NUL-1", "server", json!({})).await;
        for (path, param) in [
            ("/api/v1/assets?q=a%00b", "q"),
            ("/api/v1/assets?kind=server%00", "kind"),
            ("/api/v1/assets/lookup?code=NUL-1%00", "code"),
            ("/api/v1/models?q=%00", "q"),
            ("/api/v1/audit?actor=a%00", "actor"),
            ("/api/v1/assets?cursor=%01", "cursor"),
        ] {
            let r = app.get(path).await;
            assert_eq!(r.status, 400, "{path}: {}", r.text);
            assert_eq!(r.error().1.as_deref(), Some(param), "{path}: {}", r.text);
        }
        for (path, param) in [("/assets?q=a%00b", "q"), ("/models?q=%00", "q"), ("/audit?target_id=%00", "target_id"), ("/scan?code=%00", "code")] {
            let r = app.get(path).await;
            assert_eq!(r.status, 400, "{path}");
            assert!(r.text.contains(&format!("query parameter {param}")), "{path}: {}", r.text);
        }
        let r = app.get("/api/v1/assets/%00").await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.error().1.as_deref(), Some("id"), "{}", r.text);
        let r = app.get("/assets/x%01y/edit").await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains("path segment id"), "{}", r.text);
        // The anonymous sign-in form: refused before anything is looked up, and nobody signs in.
        let r = attempt(app, "ad\u{0}min", PASSWORD, None).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains("form field username"), "{}", r.text);
        // Line breaks in free text stay allowed.
        let a = app.get("/api/v1/assets/lookup?code=NUL-1").await.json();
        let r = app.post_form(&format!("/assets/{}/edit", s(&a, "id")), &[("asset_tag", "NUL-1"), ("kind", "server"), ("notes", "one\r\ntwo\tthree"), ("version", "1")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
    }
}

db_test! {
    async fn two_admins_deactivating_each_other_leave_one_active(app: TestApp) {
        let a = app.user("adm-a", Role::Admin).await;
        let b = app.user("adm-b", Role::Admin).await;
        // The harness's own admin steps down, so only these two remain.
        let me = app.admin.user.clone().expect("admin");
        let r = a.patch_json(&format!("/api/v1/users/{}", me.id), &json!({"version": me.version, "active": false})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let ida = a.user.clone().expect("a").id.to_string();
        let idb = b.user.clone().expect("b").id.to_string();
        for round in 0..6 {
            let users = a.get("/api/v1/users").await;
            let users = if users.status == 200 { users.json() } else { b.get("/api/v1/users").await.json() };
            let v = |id: &str| users.as_array().expect("users").iter().find(|u| u["id"] == id).and_then(|u| u["version"].as_i64()).expect("version");
            let (va, vb) = (v(&ida), v(&idb));
            let (pa, pb) = (format!("/api/v1/users/{idb}"), format!("/api/v1/users/{ida}"));
            let (ba, bb) = (json!({"version": vb, "active": false}), json!({"version": va, "active": false}));
            let (ra, rb) = tokio::join!(a.patch_json(&pa, &ba), b.patch_json(&pb, &bb));
            assert!(ra.status < 500 && rb.status < 500, "round {round}: {} / {}", ra.text, rb.text);
            let admins = reloop::auth::users::list(app.db.conn()).await.expect("users");
            let active: Vec<&str> = admins.iter().filter(|u| u.role == Role::Admin && u.active).map(|u| u.username.as_str()).collect();
            assert_eq!(active.len(), 1, "round {round}: exactly one admin remains active: {active:?} ({} / {})", ra.status, rb.status);
            // The survivor brings the other back for the next round.
            let (survivor, other, other_id) = if active[0] == "adm-a" { (&a, "adm-b", &idb) } else { (&b, "adm-a", &ida) };
            let users = survivor.get("/api/v1/users").await.json();
            let ov = users.as_array().expect("users").iter().find(|u| u["username"] == other).and_then(|u| u["version"].as_i64()).expect("v");
            let r = survivor.patch_json(&format!("/api/v1/users/{other_id}"), &json!({"version": ov, "active": true})).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    }
}

async fn start_behind_proxy(backend: Backend, test: &str) -> Option<TestApp> {
    TestApp::start_with(backend, test, |s| s.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")]).await
}

db_test! {
    start = start_behind_proxy;
    async fn behind_a_trusted_proxy_the_client_is_the_rightmost_untrusted_hop(app: TestApp) {
        app.user("proxied", Role::Auditor).await;
        // The client writes whatever it likes on the left; the proxy (127.0.0.1, trusted)
        // appends the address it saw.
        let r = attempt(app, "proxied", PASSWORD, Some("6.6.6.6, 198.51.100.7")).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let trail = app.get("/api/v1/audit?action=auth.login").await.json();
        assert_eq!(trail["items"][0]["after"]["ip"].as_str(), Some("198.51.100.7"), "{trail}");
        // Rotating the forged left part does not give a fresh throttle budget.
        let limit = app.settings.login_max_failures * 4;
        for i in 0..limit {
            let r = attempt(app, &format!("nobody-{i}"), "wrong", Some(&format!("10.9.{}.{}, 198.51.100.7", i / 250, i % 250))).await;
            assert_eq!(r.status, 401, "attempt {i}");
        }
        let r = attempt(app, "nobody-else", "wrong", Some("1.2.3.4, 198.51.100.7")).await;
        assert_eq!(r.status, 429, "the address 198.51.100.7 is locked, whatever is written before it");
        // A hop that is not an address stops the walk at the proxy that passed it on.
        let r = attempt(app, "proxied", PASSWORD, Some("198.51.100.9, not-an-address")).await;
        assert_eq!(r.status, 303);
        let trail = app.get("/api/v1/audit?action=auth.login").await.json();
        assert_eq!(trail["items"][0]["after"]["ip"].as_str(), Some("127.0.0.1"), "{trail}");
    }
}

db_test! {
    async fn without_trusted_proxies_forwarded_headers_are_ignored(app: TestApp) {
        app.user("direct", Role::Auditor).await;
        let r = attempt(app, "direct", PASSWORD, Some("6.6.6.6")).await;
        assert_eq!(r.status, 303);
        let trail = app.get("/api/v1/audit?action=auth.login").await.json();
        assert_eq!(trail["items"][0]["after"]["ip"].as_str(), Some("127.0.0.1"), "{trail}");
    }
}

db_test! {
    async fn an_unsupported_method_on_a_known_path_is_405_with_allow(app: TestApp) {
        let r = app.anon().send(app.anon().request(reqwest::Method::PUT, "/api/v1/assets")).await;
        assert_eq!(r.status, 405, "{}", r.text);
        assert_eq!(r.header("allow"), Some("GET, POST, HEAD"));
        assert_eq!(r.error().0, "method_not_allowed");
        let r = app.admin.send(app.admin.request(reqwest::Method::DELETE, "/sites")).await;
        assert_eq!(r.status, 405);
        assert_eq!(r.header("allow"), Some("GET, POST, HEAD"));
        assert!(r.text.contains("<html") && r.text.contains("DELETE is not supported here"), "{}", r.text);
        let r = app.admin.send(app.admin.request(reqwest::Method::PATCH, "/api/v1/assets/lookup?code=x")).await;
        assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
    }
}

async fn start_secure(backend: Backend, test: &str) -> Option<TestApp> {
    TestApp::start_with(backend, test, |s| s.secure_cookies = true).await
}

db_test! {
    start = start_secure;
    async fn with_secure_cookies_on_every_cookie_is_secure(app: TestApp) {
        let r = app.post_form("/sites", &[("name", "Secure site"), ("country", "DE")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let cookies: Vec<&str> = r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
        assert!(cookies.iter().any(|c| c.starts_with("reloop_flash=")), "{cookies:?}");
        for c in &cookies {
            assert!(c.contains("; Secure") || c.contains(";Secure"), "not Secure: {c}");
        }
        let page = app.anon().get("/login").await;
        let cookies: Vec<&str> = page.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
        assert!(!cookies.is_empty() && cookies.iter().all(|c| c.contains("Secure")), "{cookies:?}");
    }
}

db_test! {
    async fn the_verify_endpoint_starts_from_the_last_checkpoint_and_reuses_results(app: TestApp) {
        for i in 0..4 {
            app.site(&format!("Verify {i}")).await;
        }
        reloop(app, &["audit", "anchor"]).await.expect("anchor");
        let cp: i64 = row(app, "SELECT seq FROM chain_checkpoints ORDER BY seq DESC LIMIT 1", &["seq"]).await[0].as_deref().expect("seq").parse().expect("int");
        app.site("After the checkpoint").await;
        let head: i64 = row(app, "SELECT seq FROM chain_head", &["seq"]).await[0].as_deref().expect("seq").parse().expect("int");
        let r = app.get("/api/v1/audit/verify").await;
        let report = r.json();
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["started_from"]["seq"].as_i64(), Some(cp), "{report}");
        // Hand count: the anchor's own audit entry and the new site's entry follow the checkpoint.
        assert_eq!(report["entries"].as_i64(), Some(head - cp), "{report}");
        assert_eq!(head - cp, 2);
        assert_eq!(r.header("age"), Some("0"));
        // A second ask within the reuse window gets the same report, not a new walk.
        app.site("Not yet seen").await;
        let again = app.get("/api/v1/audit/verify").await;
        assert_eq!(again.json()["head_seq"], report["head_seq"], "reused");
        assert!(again.header("age").is_some());
    }
}

db_test! {
    async fn verification_during_writes_sees_one_consistent_chain(app: TestApp) {
        // Writers keep extending the chain (and moving assets) while the check walks it: every
        // check must describe one moment, so none may report a break or a mismatch.
        let writes = async {
            for i in 0..40 {
                let a = app.asset(&format!("LIVE-{i}"), "server", json!({})).await;
                assert_eq!(app.transition(&s(&a, "id"), "deployed").await.status, 200);
            }
        };
        let checks = async {
            let mut reports = Vec::new();
            for _ in 0..40 {
                reports.push(reloop::cli::verify_audit(&app.db).await.expect("verify"));
                tokio::task::yield_now().await;
            }
            reports
        };
        let ((), reports) = tokio::join!(writes, checks);
        for (ok, msg) in &reports {
            assert!(*ok, "{msg}");
        }
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(ok && msg.contains("40 assets agree"), "{msg}");
    }
}

/// Every query parameter of every list endpoint, API and UI.
const LIST_PARAMS: &[(&str, &[&str])] = &[
    ("/api/v1/assets", &["kind", "state", "site_id", "model_id", "q", "cursor", "limit"]),
    ("/api/v1/models", &["kind", "q", "cursor", "limit"]),
    ("/api/v1/audit", &["actor", "action", "target_type", "target_id", "cursor", "limit"]),
    ("/api/v1/assets/lookup", &["code"]),
    ("/assets", &["kind", "state", "site_id", "model_id", "q", "cursor"]),
    ("/models", &["kind", "q", "cursor"]),
    ("/audit", &["actor", "action", "target_type", "target_id", "cursor"]),
    ("/scan", &["code"]),
];

db_test! {
    async fn no_list_parameter_value_gives_a_server_error(app: TestApp) {
        use proptest::strategy::{Strategy, ValueTree};
        let a = app.asset("PROP-1", "server", json!({})).await;
        // Any characters, with control characters, NUL, percent signs, quotes and non-ASCII
        // weighted in; also plausible values (wire words, ids, numbers).
        let any_text = proptest::string::string_regex("(.|[\\x00-\\x1f\\x7f%'\"\\\\]|é|💥){0,12}").expect("regex");
        let id = s(&a, "id");
        let plausible = proptest::sample::select(vec![
            "server".to_owned(), "in_stock".to_owned(), id.clone(), "0".to_owned(), "500".to_owned(), "-1".to_owned(),
            "99999999999999999999".to_owned(), String::new(), "PROP".to_owned(),
        ]);
        let value = proptest::prop_oneof![3 => any_text, 1 => plausible];
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let mut checked = 0;
        for (path, params) in LIST_PARAMS {
            for param in *params {
                for _ in 0..16 {
                    let v = value.new_tree(&mut runner).expect("value").current();
                    let q: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
                    let r = app.get(&format!("{path}?{param}={q}")).await;
                    assert!(r.status < 500, "{path}?{param}={v:?} answered {}: {}", r.status, r.text);
                    if v.chars().any(char::is_control) {
                        assert_eq!(r.status, 400, "{path}?{param}={v:?}");
                        let names_it = if path.starts_with("/api/") {
                            r.error().1.as_deref() == Some(param)
                        } else {
                            // Pages name it by its label, as the form shows it.
                            r.text.contains(&format!("query parameter {param}"))
                                || r.text.contains(&format!("query parameter {}", reloop::text::field_label_or_name(param)))
                        };
                        assert!(names_it, "{path}?{param}={v:?} does not name the parameter: {}", r.text);
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 16 * LIST_PARAMS.iter().map(|(_, p)| p.len()).sum::<usize>());
    }
}
