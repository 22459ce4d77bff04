use reloop::rules::Role;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::*;

async fn sql(app: &TestApp, statement: &str) {
    app.db.conn().execute_unprepared(statement).await.expect(statement);
}

/// The SQL literal for a UUID column on this backend (SQLite keeps UUIDs as 16-byte blobs).
fn uuid_lit(app: &TestApp, id: &str) -> String {
    match app.backend {
        Backend::Sqlite => format!("X'{}'", uuid::Uuid::parse_str(id).expect("uuid").simple()),
        Backend::Postgres => format!("'{id}'"),
    }
}

db_test! {
    async fn every_change_is_in_the_trail_with_actor_and_before_after(app: TestApp) {
        let manager = app.user("pat", Role::AssetManager).await;
        let a = manager.post_json("/api/v1/assets", &json!({"asset_tag": "AU-1", "kind": "server"})).await.json();
        let id = s(&a, "id");
        manager.patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": 1, "custodian": "Ops"})).await;
        manager.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "deployed", "reason": "go live"})).await;
        let trail = app.get(&format!("/api/v1/audit?target_type=asset&target_id={id}")).await.json();
        let actions: Vec<String> = trail["items"].as_array().expect("items").iter().map(|e| s(e, "action")).collect();
        assert_eq!(actions, ["asset.transition", "asset.update", "asset.create"]);
        let update = &trail["items"][1];
        assert_eq!((update["actor_name"].as_str(), update["before"]["custodian"].as_str(), update["after"]["custodian"].as_str()), (Some("pat"), Some(""), Some("Ops")));
        let tr = &trail["items"][0];
        assert_eq!((tr["before"]["state"].as_str(), tr["after"]["state"].as_str(), tr["after"]["reason"].as_str()), (Some("in_stock"), Some("deployed"), Some("go live")));
        // Filters by actor and action; the ledger entry names the user too.
        let by_pat = app.get("/api/v1/audit?actor=pat&action=asset.update").await.json();
        assert_eq!(by_pat["items"].as_array().map(Vec::len), Some(1));
        let last = app.events(&id).await.pop().expect("event");
        assert_eq!(last["actor"], "pat");
        // Users and tokens are audited too, without secrets.
        let users = app.get("/api/v1/audit?target_type=user").await.text;
        assert!(users.contains("user.create") && !users.contains("argon2"));
        let r = app.post_json("/api/v1/tokens", &json!({"name": "t"})).await.json();
        let tokens = app.get("/api/v1/audit?action=token.create").await.text;
        assert!(!tokens.contains(&s(&r, "token")), "a token never enters the trail");
        // Auditors read it; asset managers do not.
        let auditor = app.user("quinn", Role::Auditor).await;
        assert_eq!(auditor.get("/api/v1/audit").await.status, 200);
        assert_eq!(manager.get("/api/v1/audit").await.status, 403);
        let page = auditor.get("/audit?actor=pat").await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("asset.transition") && !page.text.contains("user.create"));
        assert_eq!(manager.get("/audit").await.status, 403);
        let report = auditor.get("/api/v1/audit/verify").await.json();
        assert_eq!(report["ok"], true, "{report}");
        assert!(report["entries"].as_i64().unwrap_or(0) > 8);
    }
}

db_test! {
    async fn editing_a_ledger_row_behind_the_apps_back_is_caught_at_that_row(app: TestApp) {
        let a = app.asset("TAMPER-1", "server", json!({})).await;
        let id = s(&a, "id");
        for to in ["deployed", "in_repair", "deployed"] {
            assert_eq!(app.transition(&id, to).await.status, 200);
        }
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(ok, "{msg}");
        let events = app.events(&id).await;
        let victim = &events[2];
        sql(app, &format!("UPDATE lifecycle_events SET reason = 'nothing to see' WHERE id = {}", uuid_lit(app, &s(victim, "id")))).await;
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(!ok);
        assert!(msg.contains(&s(victim, "id")) && msg.contains("ledger") && msg.contains("edited"), "{msg}");
        let report = app.get("/api/v1/audit/verify").await.json();
        assert_eq!((report["ok"].as_bool(), report["broken"]["id"].as_str()), (Some(false), victim["id"].as_str()));
        let page = app.get("/audit/verify").await;
        assert!(page.text.contains("The chain is broken") && page.text.contains(&s(victim, "id")));
    }
}

db_test! {
    async fn deleting_or_rewriting_audit_entries_is_caught(app: TestApp) {
        for i in 0..3 {
            app.site(&format!("Site {i}")).await;
        }
        let trail = app.get("/api/v1/audit?action=site.create").await.json();
        let middle = &trail["items"][1];
        // Deleting an entry leaves a gap in the sequence.
        sql(app, &format!("DELETE FROM audit_log WHERE id = {}", uuid_lit(app, &s(middle, "id")))).await;
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(!ok);
        assert!(msg.contains("missing"), "{msg}");
        assert!(msg.contains(&format!("seq {}", middle["seq"])), "names the first broken position: {msg}");
    }
}

db_test! {
    async fn rewriting_a_whole_entry_with_a_fresh_hash_still_breaks_the_next_link(app: TestApp) {
        for i in 0..3 {
            app.site(&format!("Lab {i}")).await;
        }
        let trail = app.get("/api/v1/audit?action=site.create").await.json();
        let newest = &trail["items"][0];
        let older = &trail["items"][1];
        // Someone changes the actor and recomputes that row's own hash. Without the chain
        // key they can only compute a plain SHA-256, which the keyed chain refuses at the
        // forged row itself (before it was keyed, the next entry's prev_hash caught it).
        let row = reloop::db::entities::audit_entry::Entity::find_by_id(uuid::Uuid::parse_str(&s(older, "id")).expect("uuid"))
        .one(app.db.conn())
        .await
        .expect("query")
        .expect("row");
        let mut forged = row.clone();
        forged.actor_name = "someone-else".into();
        let new_hash = reloop::ledger::chain::hash(&reloop::ledger::chain::audit_content(&forged, forged.seq, &forged.prev_hash));
        sql(app, &format!("UPDATE audit_log SET actor_name = 'someone-else', hash = '{new_hash}' WHERE id = {}", uuid_lit(app, &s(older, "id")))).await;
        let (ok, msg) = reloop::cli::verify_audit(&app.db).await.expect("verify");
        assert!(!ok);
        assert!(msg.contains(&s(older, "id")) && msg.contains("does not match its hash"), "{msg}");
        assert!(!msg.contains(&s(newest, "id")), "caught at the forged row, not later: {msg}");
    }
}
