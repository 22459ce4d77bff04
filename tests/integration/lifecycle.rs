use std::collections::{HashMap, VecDeque};

use super::*;

/// The transition table as the README states it, written out independently of the code so
/// that a change to either is caught here.
const TABLE: &[(&str, &[&str])] = &[
    ("in_stock", &["deployed", "redeployed", "in_repair", "retired", "transferred_out", "lost"]),
    ("deployed", &["in_stock", "in_repair", "redeployed", "retired", "lost"]),
    ("in_repair", &["in_stock", "deployed", "redeployed", "retired", "lost"]),
    ("redeployed", &["in_stock", "in_repair", "retired", "lost"]),
    ("retired", &["in_stock", "sanitized", "dismantled", "in_recycling", "transferred_out", "lost"]),
    ("sanitized", &["in_stock", "dismantled", "in_recycling", "transferred_out", "lost"]),
    ("dismantled", &["in_recycling", "lost"]),
    ("in_recycling", &["recovered", "lost"]),
    ("recovered", &[]),
    ("transferred_out", &[]),
    ("lost", &[]),
];

const REGISTRABLE: &[&str] = &["in_stock", "deployed", "in_repair", "redeployed", "retired"];

fn allowed(from: &str) -> &'static [&'static str] {
    TABLE.iter().find(|(f, _)| *f == from).map(|(_, t)| *t).unwrap_or(&[])
}

/// The shortest way to reach `target` from a state an item can be registered in.
fn route(target: &str) -> (String, Vec<String>) {
    let mut prev: HashMap<String, String> = HashMap::new();
    let mut queue: VecDeque<String> = REGISTRABLE.iter().map(|s| s.to_string()).collect();
    let mut seen: Vec<String> = queue.iter().cloned().collect();
    while let Some(cur) = queue.pop_front() {
        if cur == target {
            let mut path = vec![cur.clone()];
            let mut at = cur;
            while let Some(p) = prev.get(&at) {
                path.push(p.clone());
                at = p.clone();
            }
            path.reverse();
            let start = path.remove(0);
            return (start, path);
        }
        for n in allowed(&cur) {
            if !seen.iter().any(|x| x == n) {
                seen.push(n.to_string());
                prev.insert(n.to_string(), cur.clone());
                queue.push_back(n.to_string());
            }
        }
    }
    panic!("{target} is unreachable")
}

async fn item_in(app: &TestApp, tag: &str, kind: &str, state: &str) -> String {
    let (start, path) = route(state);
    let mut extra = json!({"state": start, "workload_tier": "ci_build"});
    if kind != "server" {
        extra["manufacturer"] = json!("Seagate");
    }
    let a = app.asset(tag, kind, extra).await;
    let id = s(&a, "id");
    for step in path {
        let r = app.transition(&id, &step).await;
        assert_eq!(r.status, 200, "walking {tag} to {state} via {step}: {}", r.text);
    }
    id
}

db_test! {
    async fn every_legal_transition_applies_and_every_illegal_one_is_refused(app: TestApp) {
        let mut n = 0;
        for (from, legal) in TABLE {
            // Illegal moves on one item: refused with the allowed states named, nothing changed.
            let probe = item_in(app, &format!("P-{from}"), "server", from).await;
            let before = app.get_asset(&probe).await;
            let events_before = app.events(&probe).await.len();
            for (to, _) in TABLE {
                if legal.contains(to) {
                    continue;
                }
                let r = app.transition(&probe, to).await;
                assert_eq!(r.status, 409, "{from} -> {to} must be refused: {}", r.text);
                let (code, field, msg) = r.error();
                assert_eq!((code.as_str(), field.as_deref()), ("illegal_transition", Some("to")));
                if legal.is_empty() {
                    assert!(msg.contains("terminal"), "{msg}");
                } else {
                    for l in legal.iter() {
                        assert!(msg.contains(l), "{from} -> {to}: message does not name {l}: {msg}");
                    }
                }
            }
            let after = app.get_asset(&probe).await;
            assert_eq!((after["state"].clone(), after["version"].clone()), (before["state"].clone(), before["version"].clone()));
            assert_eq!(app.events(&probe).await.len(), events_before, "refusals must not touch the ledger");
            assert_eq!(after["allowed_transitions"], json!(legal), "{from}");

            // Each legal move on a fresh item: applied, versioned and in the ledger.
            for to in legal.iter() {
                n += 1;
                let id = item_in(app, &format!("L-{n}"), "server", from).await;
                let v = app.get_asset(&id).await["version"].as_i64().unwrap_or(0);
                let r = app.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": to, "reason": "matrix", "version": v})).await;
                assert_eq!(r.status, 200, "{from} -> {to}: {}", r.text);
                assert_eq!(r.json()["asset"]["state"], *to);
                assert_eq!(r.json()["asset"]["version"].as_i64(), Some(v + 1));
                let ev = app.events(&id).await;
                // Leaving service adds a `workload` entry after the state's (issue 12).
                let last = ev.iter().rev().find(|e| e["kind"] == "state").expect("ledger");
                assert_eq!((last["kind"].as_str(), last["from"].as_str(), last["to"].as_str(), last["reason"].as_str()), (Some("state"), Some(*from), Some(*to), Some("matrix")));
            }
        }
        assert_eq!(n, 35, "legal transitions exercised");
    }
}

db_test! {
    async fn data_bearing_drives_must_be_sanitized_before_reuse_or_transfer(app: TestApp) {
        let blocked = [("in_stock", "transferred_out"), ("retired", "in_stock"), ("retired", "transferred_out")];
        for (i, (from, to)) in blocked.iter().enumerate() {
            let tag = format!("HDD-{i}");
            let id = item_in(app, &tag, "hdd", from).await;
            let r = app.transition(&id, to).await;
            assert_eq!((r.status, r.error().0.as_str()), (409, "not_sanitized"), "{from} -> {to} for a drive: {}", r.text);
            assert!(r.error().2.contains(&format!("{tag} (no passing sanitization record)")), "{}", r.text);
            assert_eq!(r.json()["error"]["blockers"][0]["tag"], tag.as_str(), "the blockers are listed: {}", r.text);
            assert_eq!(app.get_asset(&id).await["state"], *from, "refused, nothing moved");
        }
        // Through a sanitization record (purge), the same moves are allowed.
        let id = item_in(app, "HDD-ok", "hdd", "retired").await;
        assert_eq!(app.sanitize(&id, "purge").await.status, 201);
        assert_eq!(app.get_asset(&id).await["state"], "sanitized", "a passing record sanitizes a retired drive");
        assert_eq!(app.transition(&id, "in_stock").await.status, 200);
        let dimm = item_in(app, "DIMM-ok", "dimm", "retired").await;
        assert_eq!(app.transition(&dimm, "in_stock").await.status, 200, "other parts need no sanitization");
        // Asked for directly, a drive is not made sanitized by a state change.
        let raw = item_in(app, "HDD-raw", "hdd", "retired").await;
        let r = app.transition(&raw, "sanitized").await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "needs_record"), "{}", r.text);
    }
}

db_test! {
    async fn redeployment_needs_a_workload_and_records_it(app: TestApp) {
        let a = app.asset("GPU-SRV", "server", json!({"state": "deployed"})).await;
        let id = s(&a, "id");
        let r = app.transition(&id, "redeployed").await;
        assert_eq!(r.status, 422, "{}", r.text);
        let (_, field, msg) = r.error();
        assert_eq!(field.as_deref(), Some("workload_tier"));
        assert!(msg.contains("small_model_inference"), "{msg}");
        let r = app.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "redeployed", "workload_tier": "batch_inference", "payload": {"ticket": "OPS-1"}})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["asset"]["workload_tier"], "batch_inference");
        let ev = app.events(&id).await;
        let kinds: Vec<_> = ev.iter().map(|e| (s(e, "kind"), e["to"].as_str().map(str::to_owned))).collect();
        assert!(kinds.contains(&("workload".into(), Some("batch_inference".into()))), "{kinds:?}");
        assert!(ev.iter().any(|e| e["payload"]["ticket"] == "OPS-1"));
        // Stale versions are refused on transitions too.
        let r = app.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "retired", "version": 1})).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.error().0, "stale_version");
    }
}

db_test! {
    async fn installed_parts_follow_their_parent_and_leave_with_it(app: TestApp) {
        let server = app.asset("S1", "server", json!({"state": "deployed"})).await;
        let board = app.asset("S1-B", "board", json!({"parent_tag": "S1"})).await;
        let cpu = app.asset("S1-CPU", "cpu", json!({"parent_tag": "S1-B"})).await;
        let drive = app.asset("S1-HDD", "hdd", json!({"parent_tag": "S1", "manufacturer": "Seagate"})).await;
        for p in [&board, &cpu, &drive] {
            assert_eq!(p["state"], "deployed", "a part registered in a deployed server is deployed");
        }
        let id = s(&server, "id");
        let r = app.transition(&id, "retired").await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["carried"].as_array().map(Vec::len), Some(3));
        for p in [&board, &cpu, &drive] {
            let got = app.get_asset(&s(p, "id")).await;
            assert_eq!(got["state"], "retired");
            let last = app.events(&s(p, "id")).await.pop().expect("event");
            assert_eq!(last["related_asset_id"], server["id"]);
        }
        // Selling the server with an unsanitized drive inside is refused as a whole, naming
        // the drive; so is calling the server sanitized. Nothing changes.
        let r = app.transition(&id, "transferred_out").await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(r.error().2.contains("S1-HDD"), "{}", r.text);
        let r = app.transition(&id, "sanitized").await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(r.error().2.contains("S1-HDD"), "{}", r.text);
        assert_eq!(app.get_asset(&id).await["state"], "retired");
        assert_eq!(app.get_asset(&s(&board, "id")).await["state"], "retired");
        // Once the drive is sanitized (purged), the whole tree leaves together.
        assert_eq!(app.sanitize(&s(&drive, "id"), "purge").await.status, 201);
        assert_eq!(app.transition(&id, "sanitized").await.status, 200);
        let r = app.transition(&id, "transferred_out").await;
        assert_eq!(r.status, 200, "{}", r.text);
        for p in [&board, &cpu, &drive] {
            assert_eq!(app.get_asset(&s(p, "id")).await["state"], "transferred_out");
        }
    }
}

db_test! {
    async fn dismantling_detaches_parts_without_deleting_anything(app: TestApp) {
        let server = app.asset("D1", "server", json!({"state": "retired"})).await;
        let board = app.asset("D1-B", "board", json!({"parent_tag": "D1", "state": "retired"})).await;
        let cpu = app.asset("D1-CPU", "cpu", json!({"parent_tag": "D1-B", "state": "retired"})).await;
        let dimm = app.asset("D1-M", "dimm", json!({"parent_tag": "D1", "state": "retired"})).await;
        let id = s(&server, "id");
        let r = app.transition(&id, "dismantled").await;
        assert_eq!(r.status, 200, "{}", r.text);
        let detached: Vec<String> = r.json()["detached"].as_array().expect("detached").iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect();
        assert_eq!(detached.len(), 2);
        for p in [&board, &dimm] {
            let got = app.get_asset(&s(p, "id")).await;
            assert_eq!(got["parent_id"], Value::Null, "{} is standalone", p["asset_tag"]);
            assert_eq!(got["state"], "retired", "parts keep their state for the harvest");
            let last = app.events(&s(p, "id")).await.pop().expect("event");
            assert_eq!((last["kind"].as_str(), last["from"].as_str()), (Some("parent"), server["id"].as_str()));
        }
        // The board keeps its own CPU: dismantling goes one level.
        assert_eq!(app.get_asset(&s(&cpu, "id")).await["parent_id"], board["id"]);
        let kinds: Vec<String> = app.events(&id).await.iter().map(|e| s(e, "kind")).collect();
        assert_eq!(kinds.iter().filter(|k| *k == "child_removed").count(), 2, "{kinds:?}");
        // A dismantled shell takes no parts.
        let r = app.post_json(&format!("/api/v1/assets/{id}/children"), &json!({"child_tag": "D1-M"})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        // Every item is still there.
        assert_eq!(app.get("/api/v1/assets?limit=10").await.json()["items"].as_array().map(Vec::len), Some(4));
    }
}
