//! The fleet overview and its counters: exact after any mix of writes, on both databases;
//! the home page and the API show the figures a hand count gives.

use std::collections::BTreeMap;

use chrono::Datelike;
use reloop::overview;

use super::*;

/// A small deterministic generator (the run is random but repeatable).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

type Key = (String, String, Option<String>, Option<String>, bool);

/// Counts every item of the registry through the API (parts included), by counter key,
/// with (items, items with their own mass, those masses in grams).
async fn full_count(app: &TestApp) -> BTreeMap<Key, (i64, i64, i64)> {
    let mut out: BTreeMap<Key, (i64, i64, i64)> = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/assets?limit=500&cursor={c}"),
            None => "/api/v1/assets?limit=500".to_owned(),
        };
        let page = app.get(&path).await.json();
        for a in page["items"].as_array().unwrap() {
            let key = (
                s(a, "kind"),
                s(a, "state"),
                a["site_id"].as_str().map(str::to_owned),
                a["model_id"].as_str().map(str::to_owned),
                a["parent_id"].is_null(),
            );
            let e = out.entry(key).or_default();
            e.0 += 1;
            if let Some(kg) = a["mass_override_kg"].as_f64() {
                e.1 += 1;
                e.2 += (kg * 1000.0).round() as i64;
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    out
}

async fn counted(app: &TestApp) -> BTreeMap<Key, (i64, i64, i64)> {
    overview::query::counters(app.db.conn())
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.items != 0)
        .map(|c| {
            let key = (
                c.kind.as_str().to_owned(),
                c.state.as_str().to_owned(),
                c.site.map(|s| s.to_string()),
                c.model.map(|m| m.to_string()),
                c.top_level,
            );
            (key, (c.items, c.mass_overridden, c.override_g))
        })
        .collect()
}

db_test! {
    async fn counters_equal_a_full_count_after_a_random_run(app: TestApp) {
        let sites = [s(&app.site("North").await, "id"), s(&app.site("South").await, "id")];
        let models = [
            s(&app.model("Dell", "R740", "server", Some(28.0)).await, "id"),
            s(&app.model("Samsung", "M393", "dimm", Some(0.05)).await, "id"),
        ];
        let mut rng = Lcg(0x5eed_1234);
        let mut ids: Vec<(String, &str)> = Vec::new();
        let mut retirements = 0;
        let states = ["deployed", "in_stock", "in_repair", "retired", "redeployed", "lost", "sanitized", "dismantled"];
        for step in 0..120 {
            match rng.next(6) {
                // Register: a server or a DIMM, with or without site, model and own mass.
                0 | 1 => {
                    let kind = if rng.next(2) == 0 { "server" } else { "dimm" };
                    let mut extra = json!({"state": if rng.next(2) == 0 { "deployed" } else { "in_stock" }});
                    if rng.next(3) > 0 {
                        extra["site_id"] = json!(sites[rng.next(2)]);
                    }
                    if rng.next(2) == 0 {
                        extra["model_id"] = json!(models[if kind == "server" { 0 } else { 1 }]);
                    }
                    if rng.next(3) == 0 {
                        extra["mass_override_kg"] = json!([0.5, 12.345, 30.0][rng.next(3)]);
                    }
                    let a = app.asset(&format!("RND-{step}"), kind, extra).await;
                    ids.push((s(&a, "id"), kind));
                }
                // A transition (many are refused by the state machine; that is fine).
                2 if !ids.is_empty() => {
                    let (id, _) = &ids[rng.next(ids.len())];
                    let to = states[rng.next(states.len())];
                    let r = app.transition(id, to).await;
                    if r.status == 200 && to == "retired" {
                        retirements += 1;
                    }
                }
                // Install a DIMM into a server, or take one out.
                3 if !ids.is_empty() => {
                    let servers: Vec<&String> = ids.iter().filter(|i| i.1 == "server").map(|i| &i.0).collect();
                    let dimms: Vec<&String> = ids.iter().filter(|i| i.1 == "dimm").map(|i| &i.0).collect();
                    if servers.is_empty() || dimms.is_empty() {
                        continue;
                    }
                    let server = servers[rng.next(servers.len())];
                    let dimm = dimms[rng.next(dimms.len())];
                    app.post_json(&format!("/api/v1/assets/{server}/children"), &json!({"child_id": dimm, "confirm_site_change": true})).await;
                }
                4 if !ids.is_empty() => {
                    let (child, _) = &ids[rng.next(ids.len())];
                    let a = app.get_asset(child).await;
                    if let Some(parent) = a["parent_id"].as_str() {
                        app.delete_json(&format!("/api/v1/assets/{parent}/children/{child}"), &json!({})).await;
                    }
                }
                // Move to another site, change the model or the own mass.
                _ if !ids.is_empty() => {
                    let (id, kind) = &ids[rng.next(ids.len())];
                    let a = app.get_asset(id).await;
                    let patch = match rng.next(3) {
                        0 => json!({"version": a["version"], "site_id": if rng.next(3) == 0 { json!(null) } else { json!(sites[rng.next(2)]) }}),
                        1 => json!({"version": a["version"], "model_id": if rng.next(2) == 0 { json!(null) } else { json!(models[if *kind == "server" { 0 } else { 1 }]) }}),
                        _ => json!({"version": a["version"], "mass_override_kg": if rng.next(2) == 0 { json!(null) } else { json!(7.25) }}),
                    };
                    app.patch_json(&format!("/api/v1/assets/{id}"), &patch).await;
                }
                _ => {}
            }
        }
        let full = full_count(app).await;
        let items: i64 = full.values().map(|v| v.0).sum();
        assert_eq!(items, ids.len() as i64, "every registered item is counted once");
        assert!(full.keys().any(|k| !k.4), "the run installed at least one part");
        assert_eq!(counted(app).await, full, "the counters equal a full count");

        // The overview's year figure counts the run's retirements.
        let o = app.get("/api/v1/overview").await.json();
        assert_eq!(o["retired_this_year"], json!(retirements));
        assert_eq!(o["year"], json!(chrono::Utc::now().year()));
        assert_eq!(o["items"], json!(items));

        // Rebuilding from the registry changes nothing.
        overview::rebuild(&app.db).await.unwrap();
        assert_eq!(counted(app).await, full, "a rebuild gives the same counters");
        assert_eq!(app.get("/api/v1/overview").await.json()["retired_this_year"], json!(retirements));
    }
}

db_test! {
    async fn the_home_page_shows_the_fleet_as_counted_by_hand(app: TestApp) {
        let north = s(&app.site("North").await, "id");
        let r740 = s(&app.model("Dell", "R740", "server", Some(28.0)).await, "id");
        let dimm = s(&app.model("Samsung", "M393", "dimm", Some(0.05)).await, "id");
        // Three deployed servers at North, one weighed at 25.5 kg, with 4 DIMMs in the first.
        let s1 = app.asset("HS-1", "server", json!({"state": "deployed", "site_id": north, "model_id": r740})).await;
        app.asset("HS-2", "server", json!({"state": "deployed", "site_id": north, "model_id": r740})).await;
        app.asset("HS-3", "server", json!({"state": "deployed", "site_id": north, "model_id": r740, "mass_override_kg": 25.5})).await;
        for i in 0..4 {
            let d = app.asset(&format!("HD-{i}"), "dimm", json!({"state": "in_stock", "model_id": dimm})).await;
            let r = app.post_json(&format!("/api/v1/assets/{}/children", s(&s1, "id")), &json!({"child_id": s(&d, "id")})).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        // Two servers in stock without a site or model, and one retired.
        app.asset("HS-4", "server", json!({"state": "in_stock"})).await;
        app.asset("HS-5", "server", json!({"state": "in_stock"})).await;
        let gone = app.asset("HS-6", "server", json!({"state": "deployed", "model_id": r740})).await;
        assert_eq!(app.transition(&s(&gone, "id"), "retired").await.status, 200);

        // By hand: in service = 3 servers + 4 DIMMs = 7 items, 28 + 28 + 25.5 + 4 × 0.05 =
        // 81.7 kg; in stock = 2 servers of unknown mass; 6 top-level items, 10 in all.
        let o = app.get("/api/v1/overview").await.json();
        assert_eq!((o["items"].as_i64(), o["top_level_items"].as_i64()), (Some(10), Some(6)));
        assert_eq!(o["in_service"], json!({"items": 7, "kg": 81.7, "unknown_mass_items": 0}));
        assert_eq!(o["in_stock"], json!({"items": 2, "kg": 0.0, "unknown_mass_items": 2}));
        assert_eq!(o["retired_this_year"], json!(1));
        let north_row = o["by_site"].as_array().unwrap().iter().find(|b| b["label"] == "North").cloned().unwrap();
        assert_eq!(north_row["items"], json!(7), "the DIMMs took their server's site");

        let page = app.get("/").await;
        assert_eq!(page.status, 200);
        let html = reloop_tests::html_unescape(&page.text);
        assert!(html.contains("<h1>Fleet overview</h1>"), "{html}");
        for expected in ["81.7 kg", "7</span> <span class=\"what\">in service", "2 of unknown mass", "retirements in"] {
            assert!(html.contains(expected), "missing {expected:?}");
        }
        assert!(html.contains(r#"<svg class="chart bars" role="img" aria-label="Items by state""#), "a server-drawn chart");
        assert!(html.contains(&format!("/assets?site_id={north}&include_parts=true\">7</a>")), "the site's count links to its items");
        // Anonymous visitors sign in first.
        let anon = app.anon().get("/").await;
        assert_eq!(anon.status, 303);
        assert!(anon.header("location").unwrap_or_default().starts_with("/login"), "{:?}", anon.header("location"));
    }
}
