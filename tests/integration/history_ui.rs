//! History people can read (issue 12): an item's field edits beside its ledger entries, the
//! audit trail field by field with tags and names, leaving service clears the workload, and
//! a move across sites asks first.

use reloop::rules::Role;
use reloop_tests::html_unescape;

use super::*;

/// The page's history section, unescaped.
fn history_of(html: &str) -> String {
    let html = html_unescape(html);
    let start = html.find("id=\"history\"").expect("a history section");
    let end = html[start..].find("</section>").map(|e| start + e).unwrap_or(html.len());
    html[start..end].to_owned()
}

/// One changed field as the history and the trail show it.
fn change(label: &str, from: &str, to: &str) -> String {
    format!("<span class=\"field\">{label}</span>: <span class=\"old\">{from}</span> → <span class=\"new\">{to}</span>")
}

db_test! {
    async fn an_items_field_edits_show_beside_its_ledger_entries(app: TestApp) {
        let site = app.site("Frankfurt").await;
        let model = app.model("Dell", "PowerEdge R740", "server", Some(28.0)).await;
        let manager = app.user("pat", Role::AssetManager).await;
        let r = manager.post_json("/api/v1/assets", &json!({"asset_tag": "HI-1", "kind": "server", "custodian": "Ops team"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = s(&r.json(), "id");
        let r = manager.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "deployed"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = manager
            .patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": 2, "custodian": "Lab crew", "notes": "Fan 3 replaced", "model_id": model["id"]}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        // A site change through the edit form is told by its ledger entry, not repeated as an edit.
        let r = manager.patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": 3, "site_id": site["id"]})).await;
        assert_eq!(r.status, 200, "{}", r.text);

        // The item's page, for the asset manager (who may not open the audit trail) and a
        // read-only role alike: newest first, the edit between the move and the state change.
        assert_eq!(manager.get("/audit").await.status, 403);
        for reader in [&manager, &app.user("sol", Role::Sustainability).await] {
            let page = reader.get(&format!("/assets/{id}")).await;
            assert_eq!(page.status, 200);
            let h = history_of(&page.text);
            let at = |needle: &str| h.find(needle).unwrap_or_else(|| panic!("{needle:?} not in the history: {h}"));
            let (moved, edited, deployed, registered) =
                (at("Moved from no site to Frankfurt"), at("Edited"), at("In stock → Deployed"), at("Registered as In stock"));
            assert!(moved < edited && edited < deployed && deployed < registered, "newest first: {h}");
            let edit = &h[edited..deployed];
            assert!(edit.contains(&change("Custodian", "Ops team", "Lab crew")), "{edit}");
            assert!(edit.contains(&change("Notes", "—", "Fan 3 replaced")), "{edit}");
            let model_id = s(&model, "id");
            assert!(edit.contains(&change("Model", "—", &format!("<a href=\"/models/{model_id}\">Dell PowerEdge R740</a>"))), "{edit}");
            assert!(edit.contains("by pat"), "{edit}");
            assert_eq!(h.matches("Edited").count(), 1, "the site-only edit is the ledger's move: {h}");
        }

        // The API: the same story, edits with their labelled fields, ledger entries decoded.
        let r = manager.get(&format!("/api/v1/assets/{id}/history")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.json()["items"].as_array().cloned().expect("items");
        let sources: Vec<String> = items.iter().map(|i| s(i, "source")).collect();
        assert_eq!(sources, ["ledger", "edit", "ledger", "ledger"], "{items:?}");
        let edit = &items[1];
        assert_eq!(edit["actor"], "pat");
        let fields: Vec<(String, String, Value, Value)> = edit["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .map(|c| (s(c, "field"), s(c, "label"), c["from"]["text"].clone(), c["to"]["text"].clone()))
            .collect();
        assert_eq!(
            fields,
            [
                ("model_id".into(), "Model".into(), Value::Null, json!("Dell PowerEdge R740")),
                // The registry takes the manufacturer from the model.
                ("manufacturer".into(), "Manufacturer".into(), Value::Null, json!("Dell")),
                ("custodian".into(), "Custodian".into(), json!("Ops team"), json!("Lab crew")),
                ("notes".into(), "Notes".into(), Value::Null, json!("Fan 3 replaced")),
            ]
        );
        assert_eq!(edit["changes"][0]["to"]["link"], json!({"type": "model", "id": model["id"]}));
        assert_eq!((items[0]["summary"].as_str(), items[2]["summary"].as_str()), (Some("Moved from no site to Frankfurt"), Some("In stock → Deployed")));

        // Page by page (keyset): one entry a page, the same four in the same order, then no cursor.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let url = match &cursor {
                Some(c) => format!("/api/v1/assets/{id}/history?limit=1&cursor={c}"),
                None => format!("/api/v1/assets/{id}/history?limit=1"),
            };
            let page = manager.get(&url).await.json();
            seen.extend(page["items"].as_array().cloned().unwrap_or_default().iter().map(|i| s(i, "id")));
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        let all: Vec<String> = items.iter().map(|i| s(i, "id")).collect();
        assert_eq!(seen, all);
        assert_eq!(manager.get(&format!("/api/v1/assets/{id}/history?limit=0")).await.status, 422);
        assert_eq!(manager.get(&format!("/api/v1/assets/{}/history", uuid::Uuid::now_v7())).await.status, 404);
    }
}

db_test! {
    async fn the_audit_trail_shows_changed_fields_with_tags_and_filters_by_tag(app: TestApp) {
        let site = app.site("Paris").await;
        let a = app.asset("AU-7", "server", json!({"custodian": "Ops"})).await;
        let id = s(&a, "id");
        app.asset("AU-8", "server", json!({})).await;
        let r = app.patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": 1, "custodian": "Lab", "site_id": site["id"]})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let auditor = app.user("quinn", Role::Auditor).await;

        // The tag in the target filter finds the item's entries, and only its.
        let page = auditor.get("/audit?target_id=AU-7").await;
        assert_eq!(page.status, 200, "{}", page.text);
        let html = html_unescape(&page.text);
        assert!(html.contains(&format!("<a class=\"tag\" href=\"/assets/{id}\">AU-7</a>")), "the target is its tag, linked");
        assert!(html.contains(&change("Custodian", "Ops", "Lab")), "{html}");
        let site_id = s(&site, "id");
        assert!(html.contains(&change("Site", "—", &format!("<a href=\"/sites/{site_id}\">Paris</a>"))), "{html}");
        assert!(!html.contains("AU-8"), "only AU-7's entries");
        assert!(!html.contains("\"asset_tag\":"), "no JSON snapshots");
        // Only the changed fields: the update lists custodian and site, not the tag or kind.
        let update_row = &html[html.find("asset.update").expect("the update")..];
        let update_row = &update_row[..update_row.find("</tr>").expect("row end")];
        assert_eq!(update_row.matches("class=\"field\"").count(), 2, "{update_row}");
        assert_eq!(html.matches("<tr>").count() - 1, 2, "the update and the registration");

        // An unknown tag says so.
        let page = auditor.get("/audit?target_id=NOPE-9").await;
        assert_eq!(page.status, 422);
        assert!(html_unescape(&page.text).contains("no asset has the tag “NOPE-9”"), "{}", page.text);
        let page = auditor.get("/audit?target_type=asset&target_id=NOPE-9").await;
        assert_eq!(page.status, 422);

        // The API reads the same.
        let r = auditor.get("/api/v1/audit?target_id=AU-7").await;
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.json()["items"].as_array().cloned().expect("items");
        assert_eq!(items.iter().map(|e| s(e, "action")).collect::<Vec<_>>(), ["asset.update", "asset.create"]);
        assert!(items.iter().all(|e| e["target_id"] == a["id"] && e["target"]["text"] == "AU-7"));
        let labels: Vec<String> = items[0]["changes"].as_array().expect("changes").iter().map(|c| s(c, "label")).collect();
        assert_eq!(labels, ["Site", "Custodian"]);
        assert_eq!(items[0]["changes"][0]["to"]["text"], "Paris");
        let r = auditor.get("/api/v1/audit?target_id=NOPE-9").await;
        assert_eq!(r.status, 422);
        assert_eq!(r.error().1.as_deref(), Some("target_id"));
        // Users by name.
        let users = auditor.get("/api/v1/audit?target_type=user&action=user.create").await.json();
        assert!(users["items"].as_array().expect("items").iter().any(|e| e["target"]["text"] == "quinn"), "{users}");
    }
}

db_test! {
    async fn leaving_service_clears_the_workload_in_the_ledger(app: TestApp) {
        let server = app.asset("WL-1", "server", json!({"state": "deployed", "workload_tier": "ci_build"})).await;
        let gpu = app.asset("WL-1-GPU", "gpu", json!({"parent_tag": "WL-1", "workload_tier": "ai_inference"})).await;
        let (sid, gid) = (s(&server, "id"), s(&gpu, "id"));
        // Leaving service takes no new workload.
        let r = app.post_json(&format!("/api/v1/assets/{sid}/transition"), &json!({"to": "retired", "workload_tier": "hpc"})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.error().1.as_deref(), Some("workload_tier"));
        assert_eq!(app.get_asset(&sid).await["workload_tier"], "ci_build", "nothing written");

        let r = app.transition(&sid, "retired").await;
        assert_eq!(r.status, 200, "{}", r.text);
        for (id, was) in [(&sid, "ci_build"), (&gid, "ai_inference")] {
            assert_eq!(app.get_asset(id).await["workload_tier"], Value::Null);
            let last = app.events(id).await.pop().expect("events");
            assert_eq!((last["kind"].as_str(), last["from"].as_str(), last["to"].as_str()), (Some("workload"), Some(was), None));
        }
        let h = history_of(&app.get(&format!("/assets/{sid}")).await.text);
        assert!(h.contains("Workload cleared (was CI and build runners)"), "{h}");
        let page = html_unescape(&app.get(&format!("/assets/{sid}")).await.text);
        assert!(!page.contains("<dt>Workload</dt><dd>CI and build runners</dd>"), "the page no longer shows it");

        // Dismantled: a workload set on the retired item ends with the move.
        let r = app.patch_json(&format!("/api/v1/assets/{sid}"), &json!({"version": app.get_asset(&sid).await["version"], "workload_tier": "hpc"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.transition(&sid, "dismantled").await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.get_asset(&sid).await["workload_tier"], Value::Null);
        let kinds: Vec<String> = app.events(&sid).await.iter().rev().take(2).map(|e| s(e, "kind")).collect();
        assert!(kinds.contains(&"workload".to_owned()), "{kinds:?}");
        // The ledger and the rows agree.
        let report = app.get("/api/v1/audit/verify").await.json();
        assert_eq!(report["ok"], true, "{report}");
    }
}

db_test! {
    async fn installing_across_sites_asks_for_confirmation(app: TestApp) {
        let (fra, par) = (app.site("Frankfurt").await, app.site("Paris").await);
        let server = app.asset("XS-1", "server", json!({"site_id": par["id"]})).await;
        let d1 = app.asset("XS-D1", "dimm", json!({"site_id": fra["id"]})).await;
        let d2 = app.asset("XS-D2", "dimm", json!({"site_id": fra["id"]})).await;
        let sid = s(&server, "id");

        // The API refuses without the flag, naming both sites; nothing moves.
        let r = app.post_json(&format!("/api/v1/assets/{sid}/children"), &json!({"child_tag": "XS-D1"})).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let (code, field, message) = r.error();
        assert_eq!((code.as_str(), field.as_deref()), ("site_change", Some("confirm_site_change")));
        assert!(message.contains("XS-D1 is at Frankfurt") && message.contains("from Frankfurt to Paris"), "{message}");
        let still = app.get_asset(&s(&d1, "id")).await;
        assert_eq!((still["site_id"].clone(), still["parent_id"].clone()), (fra["id"].clone(), Value::Null));
        // With it, the part moves and the ledger says so.
        let r = app.post_json(&format!("/api/v1/assets/{sid}/children"), &json!({"child_tag": "XS-D1", "confirm_site_change": true})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["child"]["site_id"].clone(), r.json()["child"]["parent_id"].clone()), (par["id"].clone(), server["id"].clone()));
        let site_events: Vec<Value> = app.events(&s(&d1, "id")).await.into_iter().filter(|e| e["kind"] == "site").collect();
        assert_eq!(site_events.len(), 1);
        assert_eq!((site_events[0]["from"].clone(), site_events[0]["to"].clone()), (fra["id"].clone(), par["id"].clone()));

        // The page re-shows the install form with the message and a checkbox naming both sites.
        let r = app.post_form(&format!("/assets/{sid}/install"), &[("child_tag", "XS-D2"), ("reason", "swap"), ("version", &app.get_asset(&sid).await["version"].to_string())]).await;
        // Post/redirect/get: the refusal comes back on the item's page.
        assert_eq!(r.status, 303, "{}", r.text);
        let r = app.get(r.header("location").unwrap()).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let html = html_unescape(&r.text);
        assert!(html.contains("XS-D2 is at Frankfurt, XS-1 at Paris"), "{html}");
        assert!(html.contains("name=\"confirm_site_change\" value=\"true\" required> Move XS-D2 and its parts from Frankfurt to Paris"), "{html}");
        assert!(html.contains("name=\"child_tag\" value=\"XS-D2\"") && html.contains("value=\"swap\""), "what was typed is kept");
        assert_eq!(app.get_asset(&s(&d2, "id")).await["site_id"], fra["id"]);
        let version = app.get_asset(&sid).await["version"].to_string();
        let r = app
            .post_form(&format!("/assets/{sid}/install"), &[("child_tag", "XS-D2"), ("reason", "swap"), ("version", &version), ("confirm_site_change", "true")])
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let moved = app.get_asset(&s(&d2, "id")).await;
        assert_eq!((moved["site_id"].clone(), moved["parent_id"].clone()), (par["id"].clone(), server["id"].clone()));
        let h = history_of(&app.get(&format!("/assets/{}", s(&d2, "id"))).await.text);
        assert!(h.contains("Moved from Frankfurt to Paris"), "{h}");
        // A part at the parent's site installs without asking.
        app.asset("XS-D3", "dimm", json!({"site_id": par["id"]})).await;
        let r = app.post_json(&format!("/api/v1/assets/{sid}/children"), &json!({"child_tag": "XS-D3"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}
