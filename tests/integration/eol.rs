//! End of life through the API and the pages: a lot built, shipped, handed on and reported,
//! its expected-against-reported table and rates checked against a hand computation written
//! here from the shipped factors; the sanitization gate at add and at ship, several levels
//! down; the custody log's append-only rule; a shipped lot refusing changes; and bad input
//! on every form and endpoint refused with the reason, writing nothing.

use reloop::rules::Role;
use reloop_tests::html_unescape;

use super::*;

async fn model(app: &TestApp, body: Value) -> String {
    let r = app.post_json("/api/v1/models", &body).await;
    assert_eq!(r.status, 201, "model: {}", r.text);
    s(&r.json(), "id")
}

async fn vendor(app: &TestApp, name: &str, country: &str, certs: Value) -> String {
    let r = app
        .post_json("/api/v1/vendors", &json!({"name": name, "country": country, "role": "recycler", "address": "Hafenstr. 1", "certifications": certs}))
        .await;
    assert_eq!(r.status, 201, "vendor: {}", r.text);
    s(&r.json(), "id")
}

fn valid_r2() -> Value {
    json!([{"scheme": "r2v3", "number": "R2-000123", "expires_on": "2099-12-31"}])
}

async fn lot(app: &TestApp, body: Value) -> Value {
    let r = app.post_json("/api/v1/recycling-lots", &body).await;
    assert_eq!(r.status, 201, "lot: {}", r.text);
    r.json()
}

async fn detail(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/recycling-lots/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

async fn state_of(app: &TestApp, tag: &str) -> String {
    let r = app.get(&format!("/api/v1/assets/lookup?code={tag}")).await;
    assert_eq!(r.status, 200, "{tag}: {}", r.text);
    s(&r.json(), "state")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn row<'a>(d: &'a Value, material: &str) -> &'a Value {
    d["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["material"] == material)
        .unwrap_or_else(|| panic!("{material} in {d}"))
}

/// The tags a `not_sanitized` refusal lists as blocking.
fn blocker_tags(r: &Resp) -> Vec<String> {
    r.json()["error"]["blockers"]
        .as_array()
        .unwrap_or_else(|| panic!("no blockers: {}", r.text))
        .iter()
        .map(|b| s(b, "tag"))
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

db_test! {
    async fn a_lot_is_shipped_handed_on_and_reported_and_its_figures_match_a_hand_computation(app: TestApp) {
        let site = s(&app.site("Frankfurt").await, "id");
        let srv = model(app, json!({"manufacturer": "Dell", "model_number": "R740", "kind": "server", "mass_kg": 20.0, "material_profile": "server_whole", "unu_key": "0307"})).await;
        let mb = model(app, json!({"manufacturer": "Dell", "model_number": "R740 MB", "kind": "board", "mass_kg": 2.0, "material_profile": "circuit_board_datacentre", "unu_key": "0307"})).await;
        let dimm = model(app, json!({"manufacturer": "Samsung", "model_number": "M393", "kind": "dimm", "mass_kg": 0.05, "material_profile": "memory_module", "unu_key": "0307"})).await;
        let hdd = model(app, json!({"manufacturer": "Seagate", "model_number": "X12", "kind": "hdd", "mass_kg": 0.7, "material_profile": "hdd_3_5in", "unu_key": "0307"})).await;
        let psu = model(app, json!({"manufacturer": "Delta", "model_number": "DPS", "kind": "psu", "mass_kg": 3.0})).await;
        for (tag, dimms, with_psu) in [("A", 4, true), ("B", 2, false)] {
            let id = s(&app.asset(tag, "server", json!({"model_id": srv, "site_id": site, "state": "deployed"})).await, "id");
            let board = s(&app.asset(&format!("{tag}-MB"), "board", json!({"model_id": mb, "parent_id": id})).await, "id");
            for d in 1..=dimms {
                app.asset(&format!("{tag}-D{d}"), "dimm", json!({"model_id": dimm, "parent_id": board})).await;
            }
            app.asset(&format!("{tag}-S1"), "hdd", json!({"model_id": hdd, "parent_id": id, "serial": format!("ZJV-{tag}")})).await;
            if with_psu {
                app.asset(&format!("{tag}-P1"), "psu", json!({"model_id": psu, "parent_id": id})).await;
            }
            assert_eq!(app.transition(&id, "retired").await.status, 200);
        }
        for drive in ["A-S1", "B-S1"] {
            let id = s(&app.get(&format!("/api/v1/assets/lookup?code={drive}")).await.json(), "id");
            assert_eq!(app.sanitize(&id, "purge").await.status, 201, "{drive}");
        }
        let v = vendor(app, "NordMetall Recycling", "DE", valid_r2()).await;
        let l = lot(app, json!({"reference": "LOT-T-1", "vendor_id": v, "route": "manual_dismantling_then_integrated_smelter"})).await;
        let id = s(&l, "id");
        let number = s(&l, "number");
        assert!(number.starts_with("L-") && number.len() == 10, "{number}");
        assert_eq!((l["status"].as_str(), l["vendor_accepted_by"].as_str()), (Some("open"), None));

        let r = app.post_json(&format!("/api/v1/recycling-lots/{id}/items"), &json!({"version": 1, "codes": ["A", "b"]})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["changed"], 2);
        let version = r.json()["lot"]["version"].as_i64().unwrap();
        assert_eq!(version, 2);

        // Masses by hand: A = 20 + 2 + 4 × 0.05 + 0.7 + 3 = 25.9 kg; B = 20 + 2 + 2 × 0.05 + 0.7 = 22.8 kg.
        let d = detail(app, &id).await;
        assert_eq!((d["item_count"].as_u64(), d["contents"].as_u64()), (Some(2), Some(2 + 7 + 4)));
        assert!(close(f(&d["registered_kg"]), 48.7), "{}", d["registered_kg"]);
        assert!(close(f(&d["unprofiled_kg"]), 3.0), "the PSU has no material profile");
        assert_eq!(d["hazardous"], true);
        assert_eq!(d["categories"][0]["category"], "large_equipment");

        // Ship: 60 kg gross, 10 kg of pallets.
        let r = app.post_json(&format!("/api/v1/recycling-lots/{id}/ship"), &json!({"version": version, "gross_kg": 60.0, "tare_kg": 10.0, "transport_doc": "CMR-2026-0042"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let shipped = r.json();
        assert_eq!((shipped["status"].as_str(), shipped["net_kg"].as_f64(), shipped["contents_count"].as_i64()), (Some("shipped"), Some(50.0), Some(13)));
        for tag in ["A", "A-MB", "A-D3", "A-S1", "A-P1", "B", "B-D2", "B-S1"] {
            assert_eq!(state_of(app, tag).await, "in_recycling", "{tag}");
        }
        let a = s(&app.get("/api/v1/assets/lookup?code=A-D3").await.json(), "id");
        let last = app.events(&a).await.pop().unwrap();
        assert_eq!((last["kind"].as_str(), last["to"].as_str()), (Some("state"), Some("in_recycling")));
        assert!(s(&last, "reason").contains(&format!("shipped in recycling lot {number}")), "{last}");
        // A shipped lot's items move with its report, not by hand: neither the server nor
        // a DIMM two levels down in it.
        let a_id = s(&app.get("/api/v1/assets/lookup?code=A").await.json(), "id");
        let r = app.transition(&a_id, "recovered").await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "in_lot"), "{}", r.text);
        assert!(r.error().2.contains(&format!("A left in recycling lot {number}")), "{}", r.text);
        let r = app.transition(&a, "lost").await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "in_lot"), "{}", r.text);
        assert!(r.error().2.contains(&format!("A-D3 is installed in A, which left in recycling lot {number}")), "{}", r.text);
        assert_eq!(state_of(app, "A").await, "in_recycling");
        let d = detail(app, &id).await;
        // Net 50 kg against 48.7 kg registered: 1.3 kg, within a tenth.
        assert!(close(f(&d["weight_gap_kg"]), 1.3) && d["weight_gap_large"] == false, "{d}");

        // The chain of custody: three hand-offs, in order.
        let path = format!("/api/v1/recycling-lots/{id}/custody");
        let now = chrono::Utc::now();
        for (i, (from, to, org, place)) in [("dock (admin)", "J. Kowalski", "Spedition Rhein", "Frankfurt dock 3"), ("J. Kowalski", "M. Berg", "NordMetall Recycling", "Hamburg"), ("M. Berg", "smelter intake", "Aurubis", "Hamburg")].iter().enumerate() {
            let at = now + chrono::Duration::seconds(i as i64);
            let r = app.post_json(&path, &json!({"handed_over_by": from, "received_by": to, "organisation": org, "place": place, "occurred_at": at})).await;
            assert_eq!(r.status, 201, "{}", r.text);
            assert_eq!(r.json()["ordinal"], i as i64 + 1);
        }
        let log = app.get(&path).await.json();
        assert_eq!(log.as_array().unwrap().iter().map(|e| s(e, "organisation")).collect::<Vec<_>>(), ["Spedition Rhein", "NordMetall Recycling", "Aurubis"]);

        // The recycler's report.
        let report = json!({
            "version": shipped["version"], "certificate_id": "COR-77-2026", "certificate_date": chrono::Utc::now().date_naive(),
            "materials": [
                {"material": "steel", "kg": 20.0}, {"material": "copper", "kg": 7.0}, {"material": "aluminium", "kg": 2.5},
                {"material": "plastics", "kg": 3.0}, {"material": "gold", "kg": 0.0014}, {"material": "silver", "kg": 0.005},
                {"material": "palladium", "kg": 0.0005}
            ],
            "energy_recovery_kg": 4.0, "disposal_kg": 3.0,
        });
        let r = app.post_json(&format!("/api/v1/recycling-lots/{id}/recovery"), &report).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["status"], "recovered");
        for tag in ["A", "A-MB", "A-D1", "A-S1", "B", "B-S1"] {
            assert_eq!(state_of(app, tag).await, "recovered", "{tag}");
        }
        let again = app.post_json(&format!("/api/v1/recycling-lots/{id}/recovery"), &report).await;
        assert_eq!((again.status, again.error().0.as_str()), (409, "reported"));

        // --- the table, by hand, from the shipped factors -----------------------------------
        // Profiled masses: server_whole 40 kg (two chassis); circuit_board_datacentre 4 kg;
        // memory_module 0.3 kg (six DIMMs); hdd_3_5in 1.4 kg. The PSU (3 kg) has none.
        // server_whole: steel 529, copper 169, aluminium 67, plastics 101 g/kg; its 105 g/kg of
        // boards carry gold 0.155, silver 0.647, palladium 0.069 g/kg of board.
        // circuit_board_datacentre: gold 0.155, silver 0.647, palladium 0.069, copper 210 g/kg.
        // memory_module: gold 0.855 g/kg. hdd_3_5in: neodymium 8.5 g/kg.
        let steel = 40.0 * 529.0 / 1000.0; // 21.16 kg
        let copper = (40.0 * 169.0 + 4.0 * 210.0) / 1000.0; // 7.6 kg
        let aluminium = 40.0 * 67.0 / 1000.0; // 2.68 kg
        let plastics = 40.0 * 101.0 / 1000.0; // 4.04 kg
        let gold = (40.0 * 0.105 * 0.155 + 4.0 * 0.155 + 0.3 * 0.855) / 1000.0; // 1.5275 g
        let silver = (40.0 * 0.105 * 0.647 + 4.0 * 0.647) / 1000.0; // 5.3054 g
        let palladium = (40.0 * 0.105 * 0.069 + 4.0 * 0.069) / 1000.0; // 0.5658 g
        let neodymium = 1.4 * 8.5 / 1000.0; // 11.9 g
        let d = detail(app, &id).await;
        for (m, content, reported) in [("steel", steel, 20.0), ("copper", copper, 7.0), ("aluminium", aluminium, 2.5), ("plastics", plastics, 3.0), ("gold", gold, 0.0014), ("silver", silver, 0.005), ("palladium", palladium, 0.0005), ("neodymium", neodymium, 0.0)] {
            let r = row(&d, m);
            assert!(close(f(&r["expected_content_kg"]), content), "{m}: {r}");
            assert!(close(f(&r["reported_kg"]), reported), "{m}: {r}");
        }
        // Manual dismantling then an integrated smelter recovers 95 % of gold, silver,
        // palladium and copper; it has no yield for steel, aluminium, plastics or neodymium.
        for (m, content, reported) in [("copper", copper, 7.0), ("gold", gold, 0.0014), ("silver", silver, 0.005), ("palladium", palladium, 0.0005)] {
            let r = row(&d, m);
            assert!(close(f(&r["yield_fraction"]), 0.95), "{m}: {r}");
            assert!(close(f(&r["expected_recovery_kg"]), content * 0.95), "{m}: {r}");
            assert!(close(f(&r["gap_kg"]), reported - content * 0.95), "{m}: {r}");
        }
        for m in ["steel", "neodymium"] {
            assert!(row(&d, m)["expected_recovery_kg"].is_null() && row(&d, m)["gap_kg"].is_null(), "{m}: no yield, no invented figure");
        }
        assert!(row(&d, "cobalt")["expected_content_kg"].is_null());
        // Rates by hand: recycled 20 + 7 + 2.5 + 3 + 0.0014 + 0.005 + 0.0005 = 32.5069 kg of 50;
        // recovered with energy recovery 36.5069 kg. Servers (0307) are category 4: 85 % / 80 %.
        let recycled = 20.0 + 7.0 + 2.5 + 3.0 + 0.0014 + 0.005 + 0.0005;
        let rates = &d["rates"];
        assert!(close(f(&rates["input_kg"]), 50.0) && close(f(&rates["recycled_kg"]), recycled), "{rates}");
        assert!(close(f(&rates["recovery_rate"]), (recycled + 4.0) / 50.0), "{rates}");
        assert!(close(f(&rates["reuse_and_recycling_rate"]), recycled / 50.0), "{rates}");
        assert!(close(f(&rates["unaccounted_kg"]), 50.0 - recycled - 4.0 - 3.0), "{rates}");
        assert_eq!((rates["category"].as_str(), rates["recovery_target"].as_f64(), rates["reuse_and_recycling_target"].as_f64()), (Some("large_equipment"), Some(0.85), Some(0.80)));
        assert_eq!((rates["meets_recovery"].as_bool(), rates["meets_reuse_and_recycling"].as_bool()), (Some(false), Some(false)));
        assert_eq!(d["report"]["certificate_id"], "COR-77-2026");

        // The page shows the same.
        let page = app.get(&format!("/lots/{id}")).await;
        assert_eq!(page.status, 200);
        let text = html_unescape(&page.text);
        assert!(text.contains("COR-77-2026") && text.contains("Aurubis") && text.contains("Category 4: large equipment"), "{text}");
        assert!(text.contains("73.0 %") && text.contains("target 85.0 %"), "recovery rate (36.5069 / 50) shown: {text}");
        assert!(text.contains("the estimate the report was set against, kept as it stood when the report was entered"), "{text}");

        // The report keeps the estimate it was set against: a later factor change (copper in
        // server_whole, 169 → 100 g/kg) and a heavier catalog mass change nothing here.
        let r = app.post_json("/api/v1/recycling-factors", &json!({"kind": "content", "subject": "server_whole", "material": "copper", "value": 100.0, "source": "assay, 2027", "version": 0})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.patch_json(&format!("/api/v1/models/{srv}"), &json!({"version": 1, "mass_kg": 30.0})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let later = detail(app, &id).await;
        assert!(later["estimated_at"].is_string(), "{later}");
        assert!(close(f(&row(&later, "copper")["expected_content_kg"]), copper), "{}", row(&later, "copper"));
        assert!(close(f(&row(&later, "steel")["expected_content_kg"]), steel), "{}", row(&later, "steel"));
        assert!(close(f(&row(&later, "copper")["gap_kg"]), 7.0 - copper * 0.95));
        assert!(d["estimated_at"].is_string() && later["materials"] == d["materials"], "unchanged");

        // Every write is in the audit trail, and the chain verifies.
        let audit = app.get("/api/v1/audit?limit=200").await.json();
        let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for a in ["vendor.create", "recycling_lot.create", "recycling_lot.add_items", "recycling_lot.ship", "recycling_lot.custody", "recycling_lot.recovery"] {
            assert!(actions.contains(&a), "{a} missing from {actions:?}");
        }
        assert_eq!(app.get("/api/v1/audit/verify").await.json()["ok"], true);
    }
}

db_test! {
    async fn the_gate_refuses_adds_and_shipments_naming_drives_several_levels_down(app: TestApp) {
        let c = s(&app.asset("C", "chassis", json!({"state": "deployed"})).await, "id");
        let srv = s(&app.asset("C-S", "server", json!({"parent_id": c})).await, "id");
        let mb = s(&app.asset("C-S-MB", "board", json!({"parent_id": srv})).await, "id");
        app.asset("C-S-MB-N1", "nvme", json!({"parent_id": mb})).await;
        app.asset("C-S-H1", "hdd", json!({"parent_id": srv})).await;
        app.asset("C-S-D1", "dimm", json!({"parent_id": mb})).await;
        let deployed = s(&app.asset("LIVE", "server", json!({"state": "deployed"})).await, "id");
        assert_eq!(app.transition(&c, "retired").await.status, 200);
        let v = vendor(app, "Gate Recycling", "NL", valid_r2()).await;
        let l = lot(app, json!({"vendor_id": v, "route": "shredding_first"})).await;
        let id = s(&l, "id");
        let items = format!("/api/v1/recycling-lots/{id}/items");

        let r = app.post_json(&items, &json!({"version": 1, "asset_ids": [c]})).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "not_sanitized"), "{}", r.text);
        let msg = r.error().2;
        assert!(msg.starts_with("C holds data that is not sanitized for recycling"), "{msg}");
        assert!(msg.contains("C-S-MB-N1 (no passing sanitization record)"), "three levels down: {msg}");
        assert!(msg.contains("C-S-H1 (no passing sanitization record)"), "{msg}");
        assert!(!msg.contains("C-S-D1"), "a DIMM holds no data: {msg}");
        assert_eq!(blocker_tags(&r), ["C-S-H1", "C-S-MB-N1"]);
        // An installed part, and an item in service, are named too; nothing was added.
        let r = app.post_json(&items, &json!({"version": 1, "asset_ids": [mb, deployed]})).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "not_addable"), "{}", r.text);
        assert!(r.error().2.contains("C-S-MB is installed in C-S") && r.error().2.contains("LIVE: cannot go from deployed to in_recycling"), "{}", r.text);
        let d = detail(app, &id).await;
        assert_eq!((d["item_count"].as_u64(), d["version"].as_i64()), (Some(0), Some(1)), "refusals wrote nothing");

        // A destroyed drive may be recycled; a purged one too.
        for (tag, class) in [("C-S-MB-N1", "destroy"), ("C-S-H1", "purge")] {
            let did = s(&app.get(&format!("/api/v1/assets/lookup?code={tag}")).await.json(), "id");
            assert_eq!(app.sanitize(&did, class).await.status, 201, "{tag}");
        }
        let r = app.post_json(&items, &json!({"version": 1, "asset_ids": [c]})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.post_json(&items, &json!({"version": 2, "asset_ids": [c]})).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "not_addable"), "{}", r.text);
        assert!(r.error().2.contains("C is already in this lot"), "{}", r.text);

        // A drive fitted afterwards, on the board: shipping runs the gate again.
        app.asset("C-S-MB-N2", "nvme", json!({"parent_id": mb, "state": "retired"})).await;
        let ship = json!({"version": 2, "gross_kg": 30.0, "tare_kg": 5.0, "transport_doc": "CMR-9"});
        let r = app.post_json(&format!("/api/v1/recycling-lots/{id}/ship"), &ship).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "not_sanitized"), "{}", r.text);
        assert!(r.error().2.starts_with(&format!("lot {} holds data that is not sanitized for recycling", s(&l, "number"))), "{}", r.text);
        assert_eq!(blocker_tags(&r), ["C-S-MB-N2"], "three levels down; the sanitized drives pass");
        let d = detail(app, &id).await;
        assert_eq!(d["status"], "open");
        assert!(d["gross_kg"].is_null(), "a refused shipment stored nothing");
        for tag in ["C", "C-S", "C-S-MB-N2"] {
            assert_eq!(state_of(app, tag).await, "retired", "{tag} did not move");
        }
        // The lot's page names the blockers too.
        let r = app.post_form(&format!("/lots/{id}/ship"), &[("version", "2"), ("gross_kg", "30"), ("tare_kg", "5"), ("transport_doc", "CMR-9")]).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(html_unescape(&r.text).contains("C-S-MB-N2 (no passing sanitization record)"), "{}", r.text);
    }
}

db_test! {
    async fn the_custody_log_only_grows_and_a_shipped_lot_refuses_changes(app: TestApp) {
        let a = s(&app.asset("CL-1", "chassis", json!({"state": "retired"})).await, "id");
        let b = s(&app.asset("CL-2", "chassis", json!({"state": "retired"})).await, "id");
        let v = vendor(app, "Custody Recycling", "BE", valid_r2()).await;
        let l = lot(app, json!({"vendor_id": v, "route": "shredding_first"})).await;
        let id = s(&l, "id");
        let base = format!("/api/v1/recycling-lots/{id}");
        let hand = |at: chrono::DateTime<chrono::Utc>| json!({"handed_over_by": "A", "received_by": "B", "organisation": "Carrier", "place": "Dock", "occurred_at": at});
        let r = app.post_json(&format!("{base}/custody"), &hand(chrono::Utc::now())).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "not_shipped"), "custody starts at shipping: {}", r.text);
        assert_eq!(app.post_json(&format!("{base}/items"), &json!({"version": 1, "asset_ids": [a]})).await.status, 200);
        let r = app.post_json(&format!("{base}/ship"), &json!({"version": 2, "gross_kg": 100.0, "tare_kg": 20.0, "transport_doc": "CMR-1"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let v3 = r.json()["version"].clone();

        let t0 = chrono::Utc::now();
        assert_eq!(app.post_json(&format!("{base}/custody"), &hand(t0)).await.status, 201);
        let r = app.post_json(&format!("{base}/custody"), &hand(t0 - chrono::Duration::milliseconds(500))).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("occurred_at")), "{}", r.text);
        assert!(r.error().2.contains("the chain of custody runs forward"), "{}", r.text);
        let r = app.post_json(&format!("{base}/custody"), &hand(t0 + chrono::Duration::days(3))).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("occurred_at")), "the future: {}", r.text);
        let r = app.post_json(&format!("{base}/custody"), &json!({"handed_over_by": "", "received_by": "B", "organisation": "X", "place": "Y", "occurred_at": t0})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("handed_over_by")), "{}", r.text);
        assert_eq!(app.post_json(&format!("{base}/custody"), &hand(t0 + chrono::Duration::seconds(5))).await.status, 201);
        // No door changes or removes an entry.
        for m in [reqwest::Method::PATCH, reqwest::Method::PUT, reqwest::Method::DELETE] {
            let r = app.admin.send(app.admin.request(m.clone(), &format!("{base}/custody")).json(&json!({}))).await;
            assert_eq!(r.status, 405, "{m}: {}", r.text);
        }
        let log = app.get(&format!("{base}/custody")).await.json();
        assert_eq!(log.as_array().unwrap().iter().map(|e| e["ordinal"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2], "two entries, in order; the refusals wrote none");

        // A shipped lot's contents and details no longer change.
        let r = app.post_json(&format!("{base}/items"), &json!({"version": v3, "asset_ids": [b]})).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "shipped"), "{}", r.text);
        let r = app.post_json(&format!("{base}/remove-items"), &json!({"version": v3, "asset_ids": [a]})).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "shipped"), "{}", r.text);
        let r = app.patch_json(&base, &json!({"version": v3, "reference": "changed"})).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "shipped"), "{}", r.text);
        let r = app.post_json(&format!("{base}/ship"), &json!({"version": v3})).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "shipped"), "{}", r.text);
        let r = app.post_form(&format!("/lots/{id}/items"), &[("version", "3"), ("codes", "CL-2")]).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(html_unescape(&r.text).contains("a shipped lot's contents and details no longer change"), "{}", r.text);
        let d = detail(app, &id).await;
        assert_eq!((d["item_count"].as_u64(), d["reference"].as_str()), (Some(1), Some("")));
        assert_eq!(state_of(app, "CL-2").await, "retired");
        // An open lot gives items back.
        let l2 = lot(app, json!({"vendor_id": v})).await;
        let id2 = s(&l2, "id");
        assert_eq!(app.post_json(&format!("/api/v1/recycling-lots/{id2}/items"), &json!({"version": 1, "asset_ids": [b]})).await.status, 200);
        // While it is in the open lot, CL-2 does not change state by hand.
        let r = app.transition(&b, "in_stock").await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "in_lot"), "{}", r.text);
        assert!(r.error().2.contains(&format!("CL-2 is in recycling lot {}: take it out of the lot first", s(&l2, "number"))), "{}", r.text);
        assert_eq!(state_of(app, "CL-2").await, "retired");
        let r = app.post_form(&format!("/lots/{id2}/remove-items"), &[("version", "2"), ("asset_ids", &b)]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(detail(app, &id2).await["item_count"], 0);
        assert_eq!(app.transition(&b, "in_stock").await.status, 200, "out of the lot, it moves again");
        assert_eq!(app.transition(&b, "retired").await.status, 200);
        let b_version = detail(app, &id2).await["version"].as_i64().unwrap();
        assert_eq!(app.post_json(&format!("/api/v1/recycling-lots/{id2}/items"), &json!({"version": b_version, "asset_ids": [b]})).await.status, 200, "a removed item can go in again");
    }
}

db_test! {
    async fn bad_input_on_every_form_and_endpoint_is_refused_with_the_reason_and_writes_nothing(app: TestApp) {
        // --- vendors ---
        let r = app.post_json("/api/v1/vendors", &json!({"name": "X", "country": "DE", "role": "recycler", "certifications": [{"scheme": "iso_9001", "number": "1", "expires_on": "2030-01-01"}]})).await;
        assert_eq!(r.status, 400, "an unknown scheme: {}", r.text);
        assert!(r.text.contains("certifications"), "{}", r.text);
        let r = app.post_json("/api/v1/vendors", &json!({"name": "X", "country": "DE", "role": "recycler", "certifications": [{"scheme": "r2v3", "number": "1", "expires_on": "2030-02-30"}]})).await;
        assert_eq!(r.status, 400, "an impossible date: {}", r.text);
        let r = app.post_json("/api/v1/vendors", &json!({"name": "X", "country": "Germany", "role": "recycler", "certifications": [{"scheme": "r2v3", "number": " ", "expires_on": "2030-01-01"}]})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        let fields: Vec<String> = r.json()["error"]["fields"].as_array().unwrap().iter().map(|f| s(f, "field")).collect();
        assert_eq!(fields, ["country", "certifications[0].number"]);
        let r = app.post_form("/vendors", &[("name", "Form Vendor"), ("country", "DE"), ("role", "smelter"), ("certifications", "R2v3 R2-1 2030-01-01\nISO9001 Q-1 2030-01-01\nWEEELABEX W-3 01/02/2030")]).await;
        assert_eq!(r.status, 422, "{}", r.text);
        let text = html_unescape(&r.text);
        assert!(text.contains("line 2 “ISO9001 Q-1 2030-01-01”: start with the scheme") && text.contains("line 3 “WEEELABEX W-3 01/02/2030”"), "{text}");
        assert_eq!(app.get("/api/v1/vendors").await.json().as_array().unwrap().len(), 0, "no vendor written");

        // --- an expired certificate: warned about, and assigned only when accepted ---
        let expired = vendor(app, "Baltic E-Cycle", "LT", json!([{"scheme": "e_stewards", "number": "ES-0091", "expires_on": "2025-06-30"}, {"scheme": "iso_14001", "number": "EMS-1", "expires_on": "2099-01-01"}])).await;
        let v = app.get(&format!("/api/v1/vendors/{expired}")).await.json();
        assert_eq!(v["standing"]["certified"], false);
        assert!(v["standing"]["warnings"].to_string().contains("e-Stewards certificate ES-0091 expired on 2025-06-30"), "{v}");
        let r = app.post_json("/api/v1/recycling-lots", &json!({"vendor_id": expired})).await;
        assert_eq!((r.status, r.error().0.as_str(), r.error().1.as_deref()), (409, "uncertified_vendor", Some("accept_uncertified")), "{}", r.text);
        assert!(r.error().2.contains("ES-0091 expired on 2025-06-30"), "{}", r.text);
        let r = app.post_form("/lots", &[("vendor_id", &expired), ("reference", "FORM-1")]).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let text = html_unescape(&r.text);
        assert!(text.contains("expired on 2025-06-30") && text.contains(r#"name="accept_uncertified""#), "the form asks to confirm: {text}");
        assert!(text.contains("FORM-1"), "what was typed is kept");
        assert_eq!(app.get("/api/v1/recycling-lots").await.json()["items"].as_array().unwrap().len(), 0, "no lot written");
        let r = app.post_form("/lots", &[("vendor_id", &expired), ("reference", "FORM-1"), ("accept_uncertified", "1")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let accepted = app.get("/api/v1/recycling-lots").await.json()["items"][0].clone();
        assert_eq!(accepted["vendor_accepted_by"], "admin");
        let page = app.get(&format!("/lots/{}", s(&accepted, "id"))).await;
        assert!(html_unescape(&page.text).contains("admin accepted Baltic E-Cycle without a valid e-waste certification"), "{}", page.text);

        // --- weights ---
        let good = vendor(app, "Good Recycling", "DE", valid_r2()).await;
        let l = lot(app, json!({"vendor_id": good, "route": "shredding_first"})).await;
        let id = s(&l, "id");
        let base = format!("/api/v1/recycling-lots/{id}");
        let r = app.patch_json(&base, &json!({"version": 1, "gross_kg": -5.0})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("gross_kg")), "{}", r.text);
        let r = app.post_form(&format!("/lots/{id}/edit"), &[("version", "1"), ("gross_kg", "120"), ("tare_kg", "-1")]).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(html_unescape(&r.text).contains("must be between 0 and 1000000"), "{}", r.text);
        let r = app.post_form(&format!("/lots/{id}/edit"), &[("version", "1"), ("gross_kg", "lots")]).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("must be a number"), "{}", r.text);
        let item = s(&app.asset("BI-1", "chassis", json!({"state": "retired", "mass_override_kg": 15.0})).await, "id");
        assert_eq!(app.post_json(&format!("{base}/items"), &json!({"version": 1, "asset_ids": [item]})).await.status, 200);
        let r = app.post_json(&format!("{base}/items"), &json!({"version": 2, "codes": ["NOPE-1"]})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("codes[0]")), "{}", r.text);
        let r = app.post_json(&format!("{base}/ship"), &json!({"version": 2, "gross_kg": 20.0, "tare_kg": -2.0, "transport_doc": "CMR-5"})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("tare_kg")), "{}", r.text);
        let r = app.post_json(&format!("{base}/ship"), &json!({"version": 2, "gross_kg": 20.0, "tare_kg": 25.0, "transport_doc": "CMR-5"})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("tare_kg")), "{}", r.text);
        let r = app.post_json(&format!("{base}/ship"), &json!({"version": 2, "gross_kg": 20.0, "tare_kg": 2.0})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("transport_doc")), "{}", r.text);
        let r = app.post_form(&format!("/lots/{id}/ship"), &[("version", "2"), ("gross_kg", "-20"), ("tare_kg", "2"), ("transport_doc", "CMR-5")]).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(detail(app, &id).await["status"], "open", "nothing shipped");
        assert_eq!(state_of(app, "BI-1").await, "retired");
        // 40 kg at the scale for 15 kg registered: shipped, with the gap warned about.
        let r = app.post_json(&format!("{base}/ship"), &json!({"version": 2, "gross_kg": 45.0, "tare_kg": 5.0, "transport_doc": "CMR-5"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = detail(app, &id).await;
        assert_eq!(d["weight_gap_large"], true);
        assert!(d["warnings"].as_array().unwrap().iter().any(|w| w["code"] == "weight_gap" && w["message"].as_str().unwrap().contains("something is missing or unregistered")), "{d}");
        let v3 = d["version"].as_i64().unwrap().to_string();

        // --- the recovery report ---
        let rep = |materials: Value, energy: f64, disposal: f64| json!({"version": d["version"], "certificate_id": "COR-1", "certificate_date": chrono::Utc::now().date_naive(), "materials": materials, "energy_recovery_kg": energy, "disposal_kg": disposal});
        let r = app.post_json(&format!("{base}/recovery"), &rep(json!([{"material": "steel", "kg": 30.0}, {"material": "copper", "kg": 11.0}]), 0.0, 0.0)).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("materials")), "{}", r.text);
        assert!(r.error().2.contains("41.000 kg, more than the lot's net weight of 40.000 kg"), "{}", r.text);
        let r = app.post_json(&format!("{base}/recovery"), &rep(json!([{"material": "steel", "kg": 30.0}]), 6.0, 5.0)).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("disposal_kg")), "{}", r.text);
        let r = app.post_json(&format!("{base}/recovery"), &rep(json!([{"material": "unobtainium", "kg": 1.0}]), 0.0, 0.0)).await;
        assert_eq!(r.status, 400, "an unknown material: {}", r.text);
        assert!(r.text.contains("materials[0].material") || r.text.contains("unobtainium"), "{}", r.text);
        let r = app.post_json(&format!("{base}/recovery"), &rep(json!([{"material": "steel", "kg": -1.0}]), 0.0, 0.0)).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("materials[0].kg")), "{}", r.text);
        let r = app.post_json(&format!("{base}/recovery"), &rep(json!([{"material": "steel", "kg": 1.0}, {"material": "steel", "kg": 2.0}]), 0.0, 0.0)).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("materials[1].material")), "{}", r.text);
        let r = app.post_form(&format!("/lots/{id}/recovery"), &[("version", &v3), ("certificate_id", "COR-1"), ("certificate_date", "2020-01-01"), ("kg_unobtainium", "3")]).await;
        assert_eq!(r.status, 422, "{}", r.text);
        let text = html_unescape(&r.text);
        assert!(text.contains(r#""unobtainium" is not a material reloop reports"#), "{text}");
        let r = app.post_form(&format!("/lots/{id}/recovery"), &[("version", &v3), ("certificate_id", "COR-1"), ("certificate_date", "2020-01-01"), ("kg_steel", "10")]).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(html_unescape(&r.text).contains("is before the lot shipped"), "{}", r.text);
        let today = chrono::Utc::now().date_naive().to_string();
        let r = app.post_form(&format!("/lots/{id}/recovery"), &[("version", &v3), ("certificate_id", "COR-1"), ("certificate_date", &today), ("kg_steel", "35"), ("kg_copper", "6")]).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(html_unescape(&r.text).contains("more than the lot's net weight"), "{}", r.text);
        assert_eq!(detail(app, &id).await["status"], "shipped", "no report was written");
        assert_eq!(state_of(app, "BI-1").await, "in_recycling");
        let r = app.post_form(&format!("/lots/{id}/recovery"), &[("version", &v3), ("certificate_id", "COR-1"), ("certificate_date", &today), ("kg_steel", "35"), ("energy_recovery_kg", "2")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(state_of(app, "BI-1").await, "recovered");

        // --- the export rule: a hazardous lot outside Basel Annex VII ---
        let far = vendor(app, "Accra Metals", "GH", valid_r2()).await;
        let l = lot(app, json!({"vendor_id": far, "route": "manual_dismantling_then_integrated_smelter"})).await;
        let xid = s(&l, "id");
        let board = s(&app.asset("HZ-MB", "board", json!({"state": "retired", "mass_override_kg": 1.5})).await, "id");
        assert_eq!(app.post_json(&format!("/api/v1/recycling-lots/{xid}/items"), &json!({"version": 1, "asset_ids": [board]})).await.status, 200);
        let d = detail(app, &xid).await;
        assert!(d["warnings"].as_array().unwrap().iter().any(|w| w["code"] == "export"), "surfaced before shipping: {d}");
        let ship = json!({"version": 2, "gross_kg": 3.0, "tare_kg": 1.0, "transport_doc": "AWB-1"});
        let r = app.post_json(&format!("/api/v1/recycling-lots/{xid}/ship"), &ship).await;
        assert_eq!((r.status, r.error().0.as_str(), r.error().1.as_deref()), (409, "export_refused", Some("export_override_reason")), "{}", r.text);
        assert!(r.error().2.contains("GH, outside Basel Annex VII") && r.error().2.contains("e-Stewards forbids the export"), "{}", r.text);
        assert_eq!(state_of(app, "HZ-MB").await, "retired");
        let mut with_reason = ship.clone();
        with_reason["export_override_reason"] = json!("board for a certified refurbisher's repair programme, prior informed consent 2026-17");
        let r = app.post_json(&format!("/api/v1/recycling-lots/{xid}/ship"), &with_reason).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(s(&r.json(), "export_override_reason").contains("prior informed consent"));
        let audit = app.get("/api/v1/audit?action=recycling_lot.export_override").await.json();
        assert_eq!(audit["items"].as_array().unwrap().len(), 1);
        assert!(audit["items"][0]["after"]["reason"].as_str().unwrap().contains("prior informed consent"), "{audit}");
    }
}

db_test! {
    async fn recycling_bin_parts_fill_a_lot_and_leave_the_bin_when_it_ships(app: TestApp) {
        let srv = s(&app.asset("RB-1", "server", json!({"state": "deployed"})).await, "id");
        app.asset("RB-1-D1", "dimm", json!({"parent_id": srv, "mass_override_kg": 0.04})).await;
        app.asset("RB-1-F1", "fan", json!({"parent_id": srv, "mass_override_kg": 0.2})).await;
        assert_eq!(app.transition(&srv, "retired").await.status, 200);
        let job = s(&app.post_json("/api/v1/dismantle-jobs", &json!({"asset_id": srv})).await.json(), "id");
        for (code, test) in [("RB-1-D1", "failed"), ("RB-1-F1", "failed")] {
            let r = app.post_json(&format!("/api/v1/dismantle-jobs/{job}/parts"), &json!({"code": code, "test_result": test})).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        assert_eq!(app.post_json(&format!("/api/v1/dismantle-jobs/{job}/close"), &json!({"version": 1})).await.status, 200);
        assert_eq!(app.get("/api/v1/pool?pool=recycling_bin").await.json()["total"], 2);

        let v = vendor(app, "Bin Recycling", "FR", valid_r2()).await;
        let l = lot(app, json!({"vendor_id": v, "route": "shredding_first"})).await;
        let id = s(&l, "id");
        let page = app.get(&format!("/lots/{id}")).await;
        assert!(page.text.contains("RB-1-D1") && page.text.contains("Add everything in the recycling bin (2)"), "{}", page.text);
        let r = app.post_form(&format!("/lots/{id}/items"), &[("version", "1"), ("from_recycling_bin", "1")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let d = detail(app, &id).await;
        assert_eq!(d["item_count"], 2);
        assert!(close(f(&d["registered_kg"]), 0.24));
        let r = app.post_json(&format!("/api/v1/recycling-lots/{id}/items"), &json!({"version": 2, "from_recycling_bin": true})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("asset_ids")), "the bin has nothing left for a lot: {}", r.text);
        let r = app.post_json(&format!("/api/v1/recycling-lots/{id}/ship"), &json!({"version": 2, "gross_kg": 0.3, "tare_kg": 0.0, "transport_doc": "BIN-1"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.get("/api/v1/pool?pool=recycling_bin").await.json()["total"], 0, "shipped parts left the bin");
        assert_eq!(state_of(app, "RB-1-D1").await, "in_recycling");
        let f = app.get("/api/v1/reuse").await.json();
        assert_eq!((f["recycled"].as_u64(), f["waiting"].as_u64()), (Some(2), Some(0)), "the reuse figures count them as recycled");
    }
}

db_test! {
    async fn roles_and_reference_factors(app: TestApp) {
        let tech = app.user("eol-tech", Role::Refurbisher).await;
        let manager = app.user("eol-am", Role::AssetManager).await;
        let green = app.user("eol-green", Role::Sustainability).await;
        let auditor = app.user("eol-aud", Role::Auditor).await;
        let r = tech.post_json("/api/v1/vendors", &json!({"name": "Tech Vendor", "country": "DE", "role": "broker", "certifications": valid_r2()})).await;
        assert_eq!(r.status, 201, "refurbishers write: {}", r.text);
        let v = s(&r.json(), "id");
        assert_eq!(manager.post_json("/api/v1/recycling-lots", &json!({"vendor_id": v})).await.status, 201, "asset managers write");
        for reader in [&green, &auditor] {
            assert_eq!(reader.get("/api/v1/recycling-lots").await.status, 200);
            assert_eq!(reader.get("/api/v1/vendors").await.status, 200);
            assert_eq!(reader.get("/api/v1/recycling-factors").await.status, 200);
            assert_eq!(reader.post_json("/api/v1/recycling-lots", &json!({})).await.status, 403);
            assert_eq!(reader.post_json("/api/v1/vendors", &json!({"name": "N", "country": "DE", "role": "broker"})).await.status, 403);
            for path in ["/lots", "/vendors", &format!("/vendors/{v}"), "/recycling-factors"] {
                let r = reader.get(path).await;
                assert_eq!(r.status, 200, "{path}");
                assert!(!r.text.contains("Open lot</button>") && !r.text.contains("Set factor</button>") && !r.text.contains("New vendor"), "{path} shows no forms to readers");
            }
        }

        // Factors: the shipped defaults with their sources; only admins set them.
        let factors = app.get("/api/v1/recycling-factors").await.json();
        let steel = factors.as_array().unwrap().iter().find(|x| x["kind"] == "content" && x["subject"] == "server_whole" && x["material"] == "steel").cloned().unwrap();
        assert_eq!((steel["value"].as_f64(), steel["version"].as_i64(), steel["unit"].as_str()), (Some(529.0), Some(0), Some("g/kg")));
        assert!(s(&steel, "source").contains("Fichter & Hintemann"), "{steel}");
        let set = json!({"kind": "content", "subject": "server_whole", "material": "steel", "value": 500.0, "source": "assay of lot L-1, 2026", "version": 0});
        assert_eq!(manager.post_json("/api/v1/recycling-factors", &set).await.status, 403, "asset managers do not set factors");
        let r = app.post_json("/api/v1/recycling-factors", &json!({"kind": "content", "subject": "server_whole", "material": "steel", "value": 900.0, "source": "x", "version": 0})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("value")), "a profile holds at most 1000 g/kg: {}", r.text);
        let r = app.post_json("/api/v1/recycling-factors", &json!({"kind": "yield", "subject": "burning", "material": "gold", "value": 0.5, "source": "x", "version": 0})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("subject")), "{}", r.text);
        let r = app.post_json("/api/v1/recycling-factors", &json!({"kind": "yield", "subject": "shredding_first", "material": "gold", "value": 1.5, "source": "x", "version": 0})).await;
        assert_eq!((r.status, r.error().1.as_deref()), (422, Some("value")), "{}", r.text);
        let r = app.post_json("/api/v1/recycling-factors", &set).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["value"].as_f64(), r.json()["default_value"].as_f64(), r.json()["version"].as_i64()), (Some(500.0), Some(529.0), Some(1)));
        let stale = app.post_json("/api/v1/recycling-factors", &set).await;
        assert_eq!((stale.status, stale.error().0.as_str()), (409, "stale_version"), "{}", stale.text);
        // The estimate follows: 10 kg of server_whole now holds 10 × 500 g of steel.
        let m = model(app, json!({"manufacturer": "HPE", "model_number": "DL360", "kind": "server", "mass_kg": 10.0, "material_profile": "server_whole", "unu_key": "0307"})).await;
        let item = s(&app.asset("FX-1", "server", json!({"model_id": m, "state": "retired"})).await, "id");
        let l = lot(app, json!({"vendor_id": v})).await;
        let lid = s(&l, "id");
        assert_eq!(app.post_json(&format!("/api/v1/recycling-lots/{lid}/items"), &json!({"version": 1, "asset_ids": [item]})).await.status, 200);
        let d = detail(app, &lid).await;
        assert!(close(f(&row(&d, "steel")["expected_content_kg"]), 5.0), "{}", row(&d, "steel"));
        assert!(row(&d, "steel")["sources"].to_string().contains("assay of lot L-1"), "{}", row(&d, "steel"));
        assert!(d["estimated_at"].is_null(), "an open lot's estimate is computed now: {d}");
        let audit = app.get("/api/v1/audit?action=recycling_factor.set").await.json();
        let e = &audit["items"][0];
        assert_eq!((e["before"]["value"].as_f64(), e["after"]["value"].as_f64(), e["target_id"].as_str()), (Some(529.0), Some(500.0), Some("content/server_whole/steel")));
        // The factors page: admins get the form, prefilled from a row's Edit.
        let page = app.get("/recycling-factors?kind=content&subject=server_whole&material=steel").await;
        assert!(page.text.contains("Set factor</button>") && page.text.contains(r#"name="version" value="1""#), "{}", page.text);
        let r = app.post_form("/recycling-factors", &[("kind", "content"), ("subject", "server_whole"), ("material", "steel"), ("value", "many"), ("source", "x"), ("version", "1")]).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("must be a number"), "{}", r.text);
        let r = app.post_form("/recycling-factors", &[("kind", "content"), ("subject", "server_whole"), ("material", "steel"), ("value", "529"), ("source", "back to the default (Fichter &amp; Hintemann 2014)"), ("version", "1")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let r = manager.post_form("/recycling-factors", &[("kind", "content"), ("subject", "server_whole"), ("material", "steel"), ("value", "1"), ("source", "x"), ("version", "2")]).await;
        assert_eq!(r.status, 403);
    }
}
