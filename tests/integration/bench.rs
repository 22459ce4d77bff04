//! The refurbisher's bench through the API: a server dismantled with every part routed, a
//! repair that installs a harvested part and a new one, and the reuse figures, each checked
//! against a hand computation written here. Then the refusals, each writing nothing.

use reloop::rules::Role;

use super::*;

async fn model(app: &TestApp, body: Value) -> String {
    let r = app.post_json("/api/v1/models", &body).await;
    assert_eq!(r.status, 201, "model: {}", r.text);
    s(&r.json(), "id")
}

/// A server with its parts, all at `site`, registered deployed.
async fn server(app: &TestApp, tag: &str, model: &str, site: &str, parts: &[(&str, &str, &str)]) -> String {
    let id = s(&app.asset(tag, "server", json!({"model_id": model, "site_id": site, "state": "deployed"})).await, "id");
    for (ptag, kind, pmodel) in parts {
        app.asset(ptag, kind, json!({"model_id": pmodel, "parent_id": id, "serial": format!("SN-{ptag}")})).await;
    }
    id
}

fn err(r: &Resp) -> (String, Option<String>, String) {
    r.error()
}

async fn job_line(app: &TestApp, job: &str, tag: &str) -> Value {
    let d = app.get(&format!("/api/v1/dismantle-jobs/{job}")).await.json();
    d["lines"].as_array().unwrap().iter().find(|l| l["asset_tag"] == tag).cloned().unwrap_or(Value::Null)
}

db_test! {
    async fn a_dismantled_server_feeds_a_repair_and_the_reuse_figures_add_up(app: TestApp) {
        let site = s(&app.site("Frankfurt").await, "id");
        let dimm = model(app, json!({"manufacturer": "Samsung", "model_number": "M393A4K40", "kind": "dimm", "mass_kg": 0.03, "memory_gb": 32})).await;
        let psu = model(app, json!({"manufacturer": "Delta", "model_number": "DPS-750", "kind": "psu", "mass_kg": 3.0})).await;
        let ssd = model(app, json!({"manufacturer": "Intel", "model_number": "S4510", "kind": "ssd", "mass_kg": 0.1, "storage_tb": 1.92})).await;
        let srv = model(app, json!({
            "manufacturer": "Dell", "model_number": "PowerEdge R740", "kind": "server", "mass_kg": 20.0,
            "embodied_kgco2e": 1313.0, "embodied_source": "Dell PCF sheet",
            "bom": [{"kind": "dimm", "model_id": dimm, "count": 4}, {"kind": "psu", "model_id": psu, "count": 2}, {"kind": "ssd", "count": 1}],
        })).await;
        let a = server(app, "A", &srv, &site, &[("A-D1", "dimm", &dimm), ("A-D2", "dimm", &dimm), ("A-D3", "dimm", &dimm), ("A-P1", "psu", &psu)]).await;
        let b = server(app, "B", &srv, &site, &[("B-D1", "dimm", &dimm), ("B-D2", "dimm", &dimm), ("B-D3", "dimm", &dimm), ("B-P1", "psu", &psu), ("B-P2", "psu", &psu), ("B-S1", "ssd", &ssd)]).await;

        // --- dismantling B ------------------------------------------------------------
        let r = app.post_json("/api/v1/dismantle-jobs", &json!({"asset_id": b})).await;
        assert_eq!(r.status, 409, "a deployed server cannot be dismantled: {}", r.text);
        assert!(err(&r).2.contains("B is deployed"), "{}", r.text);
        assert_eq!(app.transition(&b, "retired").await.status, 200);
        let r = app.post_json("/api/v1/dismantle-jobs", &json!({"asset_code": "B", "note": "end of lease"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let job = s(&r.json(), "id");
        let number = s(&r.json(), "number");
        assert!(number.starts_with("J-") && number.len() == 10, "{number}");
        let again = app.post_json("/api/v1/dismantle-jobs", &json!({"asset_id": b})).await;
        assert_eq!((again.status, err(&again).0.as_str()), (409, "job_open"), "{}", again.text);

        // The sheet: six registered parts, and one DIMM the bill of materials expects
        // (4 DIMMs listed, 3 registered; PSUs and the SSD are all there).
        let d = app.get(&format!("/api/v1/dismantle-jobs/{job}")).await.json();
        let lines = d["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 7, "{d}");
        let gaps: Vec<&Value> = lines.iter().filter(|l| l["source"] == "bom").collect();
        assert_eq!(gaps.len(), 1);
        assert_eq!((gaps[0]["kind"].as_str(), gaps[0]["model_id"].as_str()), (Some("dimm"), Some(dimm.as_str())));
        assert_eq!(d["recorded"], 0);

        let post = |body: Value| {
            let path = format!("/api/v1/dismantle-jobs/{job}/parts");
            async move { app.post_json(&path, &body).await }
        };
        let r = post(json!({"code": "SN-B-D1", "test_result": "passed", "grade": {"functional": "F5", "cosmetic": "C6", "retail": "A"}, "mass_kg": 0.031})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let rec = r.json();
        assert_eq!((rec["line"]["destination"].as_str(), rec["remaining"].as_u64()), (Some("spare_pool"), Some(6)));
        // Closing now is refused, naming what is left.
        let early = app.post_json(&format!("/api/v1/dismantle-jobs/{job}/close"), &json!({"version": 1})).await;
        assert_eq!((early.status, err(&early).0.as_str()), (409, "unrecorded"), "{}", early.text);
        assert!(err(&early).2.starts_with("6 part(s) have no destination yet: B-D2"), "{}", early.text);

        assert_eq!(post(json!({"code": "b-d2"})).await.status, 200, "tags match whatever the case");
        let r = post(json!({"code": "SN-B-D3", "test_result": "failed"})).await;
        assert_eq!(r.json()["line"]["destination"], "recycling_bin", "a failed part goes to the recycling bin by default");
        let r = post(json!({"code": "B-P1", "destination": "resale"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(post(json!({"code": "B-P2", "test_result": "untested", "mass_kg": 2.9})).await.status, 200);

        // An unsanitized SSD cannot go back into use: refused, nothing recorded.
        let r = post(json!({"code": "B-S1", "destination": "spare_pool"})).await;
        assert_eq!((r.status, err(&r).0.as_str(), err(&r).1.as_deref()), (409, "destination_refused", Some("destination")), "{}", r.text);
        assert!(err(&r).2.contains("B-S1") && err(&r).2.contains("sanitized"), "{}", r.text);
        assert!(job_line(app, &job, "B-S1").await["destination"].is_null(), "the refusal wrote nothing");
        let r = post(json!({"code": "B-S1", "destination": "spare_pool", "test_result": "failed"})).await;
        assert_eq!(r.status, 409, "a failed part never goes to the spare pool");
        assert_eq!(post(json!({"code": "B-S1", "destination": "recycling_bin"})).await.status, 200);

        // Refusals: a part recorded already, a part of another server, an unknown serial.
        let r = post(json!({"code": "B-D1"})).await;
        assert_eq!((r.status, err(&r).0.as_str()), (409, "already_recorded"), "{}", r.text);
        assert!(err(&r).2.contains("B-D1 was already recorded (spare pool) by admin"), "{}", r.text);
        let r = post(json!({"code": "A-D1"})).await;
        assert_eq!((r.status, err(&r).0.as_str()), (409, "not_in_job"), "{}", r.text);
        assert!(err(&r).2.contains(&format!("is not a part of {number}")), "{}", r.text);
        let r = post(json!({"code": "FOUND-9"})).await;
        assert_eq!((r.status, err(&r).1.as_deref()), (422, Some("code")), "{}", r.text);
        assert!(err(&r).2.contains("no item has the tag or serial FOUND-9"), "{}", r.text);
        let r = post(json!({"code": "FOUND-9", "found": {"model_id": dimm}})).await;
        assert_eq!((r.status, err(&r).1.as_deref()), (422, Some("found.kind")), "{}", r.text);
        assert!(app.get("/api/v1/assets/lookup?code=FOUND-9").await.status == 404, "the refusal registered nothing");
        // A found DIMM is registered inside the donor and fills the bill-of-materials gap.
        let r = post(json!({"code": "FOUND-9", "found": {"kind": "dimm", "model_id": dimm}})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let rec = r.json();
        assert_eq!((rec["registered"].as_bool(), rec["remaining"].as_u64()), (Some(true), Some(0)));
        assert_eq!(rec["line"]["source"], "bom", "the gap line took the found part");
        let found_tag = s(&rec["line"], "asset_tag");
        assert_eq!(found_tag, "B-P08");

        // Close: stale version refused, then done.
        let d = app.get(&format!("/api/v1/dismantle-jobs/{job}")).await.json();
        assert_eq!(d["recorded"], 7);
        let stale = app.post_json(&format!("/api/v1/dismantle-jobs/{job}/close"), &json!({"version": 0})).await;
        assert_eq!((stale.status, err(&stale).0.as_str()), (409, "stale_version"));
        let r = app.post_json(&format!("/api/v1/dismantle-jobs/{job}/close"), &json!({"version": d["version"]})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["status"], "closed");
        let r = post(json!({"code": "B-D1"})).await;
        assert_eq!((r.status, err(&r).0.as_str()), (409, "closed"), "a closed job takes nothing: {}", r.text);

        let state_of = |tag: &'static str| async move {
            let a = app.get(&format!("/api/v1/assets/lookup?code={tag}")).await.json();
            (a["state"].as_str().unwrap_or_default().to_owned(), a["parent_id"].is_null(), a)
        };
        assert_eq!(state_of("B").await.0, "dismantled");
        for (tag, want) in [("B-D1", "in_stock"), ("B-D2", "in_stock"), ("B-D3", "retired"), ("B-P1", "in_stock"), ("B-P2", "in_stock"), ("B-S1", "retired")] {
            let (st, standalone, _) = state_of(tag).await;
            assert_eq!((st.as_str(), standalone), (want, true), "{tag}");
        }
        let (_, _, bd1) = state_of("B-D1").await;
        assert_eq!((bd1["grade"]["retail"].as_str(), bd1["mass_override_kg"].as_f64()), (Some("A"), Some(0.031)));
        let harvest: Vec<Value> = app.events(&s(&bd1, "id")).await.into_iter().filter(|e| e["kind"] == "harvest").collect();
        assert_eq!(harvest.len(), 1);
        assert_eq!(harvest[0]["to"], "spare_pool");
        assert!(harvest[0]["reason"].as_str().unwrap().contains(&number), "{}", harvest[0]);

        let pool = app.get("/api/v1/pool").await.json();
        let mut tags: Vec<&str> = pool["entries"].as_array().unwrap().iter().map(|e| e["asset_tag"].as_str().unwrap()).collect();
        tags.sort();
        assert_eq!(tags, vec!["B-D1", "B-D2", "B-P08", "B-P2"]);
        assert_eq!(pool["total"], 4);
        let dimms = pool["groups"].as_array().unwrap().iter().filter(|g| g["kind"] == "dimm").map(|g| g["count"].as_u64().unwrap()).sum::<u64>();
        assert_eq!(dimms, 3);
        assert!(pool["entries"].as_array().unwrap().iter().all(|e| e["donor_tag"] == "B" && e["job_number"] == number.as_str()));
        let bin = app.get("/api/v1/pool?pool=recycling_bin").await.json();
        assert_eq!(bin["total"], 2);
        assert_eq!(app.get("/api/v1/pool?pool=resale").await.json()["total"], 1);

        // --- a repair on A that installs a harvested DIMM and a new one ------------------
        let r = app.post_json("/api/v1/repairs", &json!({"asset_id": a, "fault_category": "memory_errors", "description": "ECC errors on DIMM slots B1-B2"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let repair = r.json();
        let rid = s(&repair, "id");
        assert_eq!((repair["state_before"].as_str(), repair["status"].as_str()), (Some("deployed"), Some("open")));
        assert_eq!(app.get_asset(&a).await["state"], "in_repair");
        assert_eq!(state_of("A-D1").await.0, "in_repair", "parts in service follow");
        let dup = app.post_json("/api/v1/repairs", &json!({"asset_id": a, "fault_category": "other"})).await;
        assert_eq!((dup.status, err(&dup).0.as_str()), (409, "repair_open"), "{}", dup.text);

        let mut v = repair["version"].as_i64().unwrap();
        let call = |path: &'static str, body: Value| {
            let p = format!("/api/v1/repairs/{rid}/{path}");
            async move { app.post_json(&p, &body).await }
        };
        let r = call("remove-part", json!({"version": v, "part_code": "A-D2", "destination": "recycling_bin"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        v = r.json()["version"].as_i64().unwrap();
        let stale = call("remove-part", json!({"version": v - 1, "part_code": "A-D3", "destination": "spare_pool"})).await;
        assert_eq!((stale.status, err(&stale).0.as_str()), (409, "stale_version"));
        assert_eq!(state_of("A-D3").await.0, "in_repair", "a stale call changed nothing");
        let r = call("remove-part", json!({"version": v, "part_code": "A-D3", "destination": "resale"})).await;
        assert_eq!((r.status, err(&r).1.as_deref()), (422, Some("destination")));
        let r = call("remove-part", json!({"version": v, "part_code": "A-D3", "destination": "spare_pool"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        v = r.json()["version"].as_i64().unwrap();
        assert_eq!((state_of("A-D2").await.0.as_str(), state_of("A-D3").await.0.as_str()), ("retired", "in_stock"));

        // Candidates: harvested, tested DIMMs of the same model first; A-D3 (untested) after.
        let c = app.get(&format!("/api/v1/repairs/{rid}/candidates")).await.json();
        let order: Vec<&str> = c.as_array().unwrap().iter().map(|x| x["asset_tag"].as_str().unwrap()).collect();
        assert_eq!(&order[..3], &["B-D1", "B-D2", "B-P08"], "{c}");
        assert!(order.iter().position(|t| *t == "A-D3") > Some(2), "{order:?}");
        let bd2 = s(&state_of("B-D2").await.2, "id");
        let r = call("reserve", json!({"version": v, "part_id": bd2})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        v = r.json()["version"].as_i64().unwrap();
        let c = app.get(&format!("/api/v1/repairs/{rid}/candidates")).await.json();
        assert_eq!((c[0]["asset_tag"].as_str(), c[0]["reserved_here"].as_bool()), (Some("B-D2"), Some(true)));
        // A reserved spare cannot be taken by the ordinary install.
        let r = app.post_json(&format!("/api/v1/assets/{b}/children"), &json!({"child_tag": "B-D2"})).await;
        assert_eq!(r.status, 422, "B is dismantled and takes no parts: {}", r.text);
        let r = app.post_json(&format!("/api/v1/assets/{a}/children"), &json!({"child_tag": "B-D2"})).await;
        assert_eq!((r.status, err(&r).0.as_str()), (409, "reserved"), "{}", r.text);

        let r = call("install-part", json!({"version": v, "part_code": "B-D1"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        v = r.json()["version"].as_i64().unwrap();
        let r = call("install-part", json!({"version": v, "new_part": {"asset_tag": "NEW-D5", "kind": "dimm", "model_id": dimm}})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        v = r.json()["version"].as_i64().unwrap();
        let r = call("install-part", json!({"version": v, "part_code": "A-D1"})).await;
        assert_eq!((r.status, err(&r).0.as_str()), (409, "installed_elsewhere"), "{}", r.text);
        let r = app.patch_json(&format!("/api/v1/repairs/{rid}"), &json!({"version": v, "labour_minutes": 45, "parts_cost": 38.5, "technician": "Ana", "note": "swapped B1, B2"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        v = r.json()["version"].as_i64().unwrap();
        let r = call("close", json!({"version": v, "outcome": "repaired", "note": "memtest clean"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["outcome"].as_str(), r.json()["status"].as_str()), (Some("repaired"), Some("closed")));
        let again = call("close", json!({"version": r.json()["version"], "outcome": "repaired"})).await;
        assert_eq!((again.status, err(&again).0.as_str()), (409, "closed"));
        assert_eq!(app.get_asset(&a).await["state"], "deployed", "back to the state before the repair");
        for tag in ["B-D1", "NEW-D5", "A-D1"] {
            let (st, standalone, _) = state_of(tag).await;
            assert_eq!((st.as_str(), standalone), ("deployed", false), "{tag}");
        }
        assert!(app.get("/api/v1/pool").await.json()["entries"].as_array().unwrap().iter().all(|e| e["asset_tag"] != "B-D1"), "an installed spare left the pool");
        let released = app.get("/api/v1/pool").await.json();
        let e = released["entries"].as_array().unwrap().iter().find(|e| e["asset_tag"] == "B-D2").cloned().unwrap();
        assert!(e["reserved_for"].is_null(), "closing released the reservation");

        let detail = app.get(&format!("/api/v1/repairs/{rid}")).await.json();
        let parts: Vec<(String, String, String)> = detail["parts"].as_array().unwrap().iter().map(|p| (
            p["action"].as_str().unwrap().to_owned(), p["asset_tag"].as_str().unwrap().to_owned(),
            p["origin"].as_str().or(p["destination"].as_str()).unwrap_or_default().to_owned())).collect();
        assert_eq!(parts, vec![
            ("removed".into(), "A-D2".into(), "recycling_bin".into()),
            ("removed".into(), "A-D3".into(), "spare_pool".into()),
            ("installed".into(), "B-D1".into(), "harvested".into()),
            ("installed".into(), "NEW-D5".into(), "new".into()),
        ]);
        assert_eq!((detail["labour_minutes"].as_i64(), detail["parts_cost"].as_f64(), detail["technician"].as_str()), (Some(45), Some(38.5), Some("Ana")));
        assert_eq!(detail["notes"][0]["body"], "swapped B1, B2");
        let repair_events: Vec<String> = app.events(&a).await.into_iter().filter(|e| e["kind"] == "repair").map(|e| s(&e, "to")).collect();
        assert_eq!(repair_events, vec!["open", "repaired"]);

        // B-P1 (resale) is sold.
        let bp1 = s(&state_of("B-P1").await.2, "id");
        assert_eq!(app.transition(&bp1, "transferred_out").await.status, 200);

        // --- reuse figures, by hand ----------------------------------------------------
        // Harvested: B-D1, B-D2, B-D3, B-P1, B-P2, B-S1 and the found DIMM: 7, none missing.
        // Tested good: all but B-D3 (failed) and B-P2 (untested): 5.
        // Destinations: spare pool B-D1, B-D2, B-P2, found = 4; resale B-P1 = 1; bin B-D3, B-S1 = 2.
        // Now: reused B-D1 (installed in A) = 1; sold B-P1 = 1; recycled B-D3, B-S1 = 2;
        // waiting B-D2, B-P2, found = 3.  1 + 1 + 2 + 3 = 7.
        // Mass: B-D1 weighed 0.031, B-D2 0.03, B-D3 0.03, B-P1 3.0, B-P2 weighed 2.9,
        // B-S1 0.1, found 0.03: 6.121 kg; reused 0.031 kg; kept in use 0.031 + 3.0 = 3.031 kg.
        // Embodied kept in use: B-D1, a 32 GB DIMM without its own figure: 1.65 × 32 = 52.8;
        // B-P1, a 3.0 kg PSU: 24.3 × 3.0 = 72.9. Total 125.7 kgCO2e, from two defaults.
        let f = app.get("/api/v1/reuse").await.json();
        let n = |k: &str| f[k].as_u64().unwrap_or_else(|| panic!("{k} in {f}"));
        let x = |k: &str| f[k].as_f64().unwrap_or_else(|| panic!("{k} in {f}"));
        assert_eq!((n("jobs_closed"), n("harvested"), n("missing"), n("tested_good")), (1, 7, 0, 5));
        assert_eq!((n("to_spare_pool"), n("to_resale"), n("to_recycling")), (4, 1, 2));
        assert_eq!((n("reused"), n("sold_or_donated"), n("recycled"), n("waiting")), (1, 1, 2, 3));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(x("mass_harvested_kg"), 6.121), "{f}");
        assert!(close(x("mass_reused_kg"), 0.031) && close(x("mass_second_life_kg"), 3.031), "{f}");
        assert_eq!(n("parts_without_mass"), 0);
        assert!(close(x("reuse_rate"), 1.0 / 7.0) && close(x("second_life_rate"), 2.0 / 7.0), "{f}");
        assert!(close(x("reuse_rate_by_mass"), 0.031 / 6.121), "{f}");
        assert!(close(x("embodied_kept_kgco2e"), 125.7), "{f}");
        assert_eq!(n("parts_without_embodied"), 0);
        let sources = f["embodied_sources"].as_array().unwrap();
        assert_eq!(sources.len(), 2, "{f}");
        assert!(sources.iter().any(|s| s["source"].as_str().unwrap().contains("GreenSKU") && close(s["kgco2e"].as_f64().unwrap(), 52.8)));
        assert!(sources.iter().any(|s| s["source"].as_str().unwrap().contains("Boavizta") && close(s["kgco2e"].as_f64().unwrap(), 72.9)));
        assert_eq!((n("repairs_closed"), n("repair_parts_from_pool"), n("repair_parts_new")), (1, 1, 1));
        // Another site's figures are empty; a period that ended before today too.
        let other = s(&app.site("Lyon").await, "id");
        assert_eq!(app.get(&format!("/api/v1/reuse?site_id={other}")).await.json()["harvested"], 0);
        assert_eq!(app.get("/api/v1/reuse?from=2020-01-01&to=2020-12-31").await.json()["harvested"], 0);
        let r = app.get("/api/v1/reuse?from=2026-12-31&to=2026-01-01").await;
        assert_eq!((r.status, err(&r).1.as_deref()), (422, Some("from")));

        let stats = app.get("/api/v1/repairs/stats").await.json();
        assert_eq!((stats["repairs"].as_u64(), stats["open"].as_u64(), stats["items_repaired"].as_u64()), (Some(1), Some(0), Some(1)));
        assert_eq!(stats["by_model"][0]["model"], "Dell PowerEdge R740");
        assert_eq!(stats["by_fault"][0]["fault_category"], "memory_errors");
    }
}

db_test! {
    async fn a_refurbisher_closes_a_repair_as_not_repairable_and_dismantles_the_server(app: TestApp) {
        let tech = app.user("tech", Role::Refurbisher).await;
        let auditor = app.user("aud", Role::Auditor).await;
        let c = s(&app.asset("C", "server", json!({"state": "deployed"})).await, "id");
        app.asset("C-F1", "fan", json!({"parent_id": c})).await;
        let gone = app.asset("C-N1", "nic", json!({"parent_id": c})).await;

        let r = auditor.post_json("/api/v1/repairs", &json!({"asset_id": c, "fault_category": "no_post"})).await;
        assert_eq!(r.status, 403, "auditors read only");
        assert_eq!(auditor.get("/api/v1/repairs").await.status, 200);
        let r = tech.post_json("/api/v1/repairs", &json!({"asset_id": c})).await;
        assert_eq!((r.status, err(&r).1.as_deref()), (422, Some("fault_category")), "{}", r.text);
        let r = tech.post_json("/api/v1/repairs", &json!({"asset_id": c, "fault_category": "smoke"})).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains("fault_category"), "{}", r.text);
        let r = tech.post_json("/api/v1/repairs", &json!({"asset_code": "C", "fault_category": "no_post"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let rid = s(&r.json(), "id");
        let v = r.json()["version"].clone();
        let r = tech.post_json(&format!("/api/v1/repairs/{rid}/close"), &json!({"version": v, "outcome": "not_repairable"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.get_asset(&c).await["state"], "retired", "not repairable retires it");
        let r = tech.post_json("/api/v1/repairs", &json!({"asset_id": c, "fault_category": "no_post"})).await;
        assert_eq!(r.status, 409, "no repair on a retired item: {}", r.text);

        let r = tech.post_json("/api/v1/dismantle-jobs", &json!({"asset_id": c, "repair_id": rid})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let job = r.json();
        let jid = s(&job, "id");
        let d = tech.get(&format!("/api/v1/dismantle-jobs/{jid}")).await.json();
        assert_eq!(d["lines"].as_array().unwrap().len(), 2, "no model, no bill of materials: the tree only");
        let path = format!("/api/v1/dismantle-jobs/{jid}/parts");
        assert_eq!(tech.post_json(&path, &json!({"code": "C-F1", "grade": {"retail": "B"}})).await.status, 200);
        let r = tech.post_json(&path, &json!({"code": "C-N1", "missing": true, "destination": "spare_pool"})).await;
        assert_eq!((r.status, err(&r).1.as_deref()), (422, Some("missing")));
        assert_eq!(tech.post_json(&path, &json!({"code": "C-N1", "missing": true})).await.status, 200);
        let r = tech.post_json(&format!("/api/v1/dismantle-jobs/{jid}/close"), &json!({"version": job["version"]})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.get_asset(&c).await["state"], "dismantled");
        assert_eq!(app.get_asset(&s(&gone, "id")).await["state"], "lost", "a missing part is written off");
        let f = app.get("/api/v1/reuse").await.json();
        assert_eq!((f["harvested"].as_u64(), f["missing"].as_u64(), f["waiting"].as_u64()), (Some(1), Some(1), Some(1)));
        assert_eq!(f["parts_without_mass"], 1, "no model, no mass");
        // Every write above is in the audit trail, and the chain still verifies.
        let audit = app.get("/api/v1/audit?limit=200").await.json();
        let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for a in ["repair.open", "repair.close", "dismantle.open", "dismantle.record", "dismantle.close"] {
            assert!(actions.contains(&a), "{a} missing from {actions:?}");
        }
        let v = app.get("/api/v1/audit/verify").await.json();
        assert_eq!(v["ok"], true, "{v}");
    }
}

db_test! {
    async fn the_harvest_bench_records_a_dozen_parts_by_keyboard_without_a_reload(app: TestApp) {
        let Some(b) = reloop_tests::browser::Browser::start("the_harvest_bench_records_a_dozen_parts_by_keyboard_without_a_reload").await else { return };
        use thirtyfour::prelude::*;
        let tech = app.user("bench", Role::Refurbisher).await;
        let srv = s(&app.asset("KB-1", "server", json!({"state": "deployed"})).await, "id");
        for i in 1..=12 {
            app.asset(&format!("KB-1-D{i:02}"), "dimm", json!({"parent_id": srv, "manufacturer": "Samsung", "serial": format!("SAM{i:04}")})).await;
        }
        assert_eq!(app.transition(&srv, "retired").await.status, 200);
        let r = tech.post_json("/api/v1/dismantle-jobs", &json!({"asset_id": srv})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let job = s(&r.json(), "id");

        b.driver.goto(app.url(&format!("/dismantle/{job}"))).await.expect("goto");
        b.wait_for("input[name=username]").await.send_keys("bench").await.expect("type");
        b.wait_for("input[name=password]").await.send_keys(format!("{}\n", reloop_tests::PASSWORD)).await.expect("type");
        b.wait_for("form[data-bench]").await;
        assert_eq!(b.driver.current_url().await.expect("url").path(), format!("/dismantle/{job}"), "sign-in came back to the job");
        // From here on: count every mouse event, and mark the page, so a reload would show.
        b.eval("window.__mouse = 0; window.__page = 'same'; ['mousedown', 'pointerdown', 'click', 'mouseup'].forEach(function (t) { document.addEventListener(t, function () { window.__mouse++; }, true); }); return true").await;
        let focus = || async { b.eval("return document.activeElement && document.activeElement.name || ''").await };
        assert_eq!(focus().await, json!("code"), "the serial field has focus on arrival");

        // Keys after the scan, per part: Enter alone (passed → spare pool); "f" Enter
        // (failed → recycling bin); Tab "r" Enter (resale); Tab Tab "a" Enter (grade A).
        let plans: [(&[&str], &str, &str); 4] = [
            (&["\u{E007}"], "Spare pool", "Passed"),
            (&["f", "\u{E007}"], "Recycling bin", "Failed"),
            (&["\u{E004}", "r", "\u{E007}"], "Resale or donation", "Passed"),
            (&["\u{E004}", "\u{E004}", "a", "\u{E007}"], "Spare pool", "Passed"),
        ];
        let mut keys_after_scan = 0;
        for i in 1..=12usize {
            let (keys, dest, test) = plans[(i - 1) % plans.len()];
            let serial = format!("SAM{i:04}");
            assert_eq!(focus().await, json!("code"), "part {i}: focus is back on the serial field");
            b.driver.active_element().await.expect("active").send_keys(format!("{serial}\u{E007}")).await.expect("scan");
            assert_eq!(focus().await, json!("test_result"), "part {i}: the scan picked the part and moved on");
            let picked = b.eval("return document.querySelector('tr.picked td:nth-child(2)').textContent.trim()").await;
            assert_eq!(picked, json!(format!("KB-1-D{i:02}")), "part {i}: the scanned part is marked");
            for k in keys {
                b.driver.active_element().await.expect("active").send_keys(*k).await.expect("key");
                keys_after_scan += 1;
            }
            let row = b.wait_for(&format!("tr.done[data-codes~=\"{}\"]", serial.to_lowercase())).await;
            let status = row.find(By::Css("td.status")).await.expect("status").text().await.expect("text");
            assert!(status.contains(dest) && status.contains(test), "part {i}: {status}");
            if i % plans.len() == 0 {
                let grade = row.find(By::Css("td:nth-child(8)")).await.expect("grade").text().await.expect("text");
                assert_eq!(grade.trim(), "A", "part {i}");
            }
            let progress = b.wait_for("#bench-progress").await.text().await.expect("text");
            assert_eq!(progress, format!("{i} of 12 parts recorded"), "part {i}");
            let flash = b.wait_for(".flash").await.text().await.expect("text");
            assert!(flash.contains(&format!("KB-1-D{i:02}")), "part {i}: {flash}");
        }
        assert!(keys_after_scan <= 12 * 4, "{keys_after_scan} keys after the scans");
        assert_eq!(b.eval("return [window.__page, window.__mouse]").await, json!(["same", 0]), "no reload, no mouse");
        assert_eq!(focus().await, json!("code"));
        // An unknown serial: the page asks for its kind, keyboard still in charge.
        b.driver.active_element().await.expect("active").send_keys("NOPE-1\u{E007}").await.expect("scan");
        let err = b.wait_for("label.scan-field .err").await.text().await.expect("text");
        assert!(err.contains("no item has the tag or serial NOPE-1"), "{err}");
        assert_eq!(focus().await, json!("found_kind"), "the found-part kind takes focus");
        b.quit().await;

        // The records are what the keys said.
        let d = app.get(&format!("/api/v1/dismantle-jobs/{job}")).await.json();
        let dest: Vec<&str> = d["lines"].as_array().unwrap().iter().map(|l| l["destination"].as_str().unwrap_or("")).collect();
        assert_eq!(dest, ["spare_pool", "recycling_bin", "resale", "spare_pool"].repeat(3));
        assert!(d["lines"].as_array().unwrap().iter().all(|l| l["recorded_by"] == "bench"));
    }
}

db_test! {
    async fn the_bench_pages_refuse_bad_input_with_the_reason_and_write_nothing(app: TestApp) {
        let tech = app.user("bench-ui", Role::Refurbisher).await;
        let auditor = app.user("bench-aud", Role::Auditor).await;
        let srv = s(&app.asset("UI-1", "server", json!({"state": "deployed"})).await, "id");
        let part = app.asset("UI-1-D1", "dimm", json!({"parent_id": srv, "manufacturer": "Micron", "serial": "MIC-1"})).await;
        app.asset("UI-1-D2", "dimm", json!({"parent_id": srv})).await;

        // Opening a repair from the hub: an unknown item is named on the form, typed text kept.
        let r = tech.post_form("/repairs", &[("asset_code", "NOPE-7"), ("fault_category", "no_post"), ("description", "dead on arrival")]).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("no item has the tag or serial NOPE-7"), "{}", r.text);
        assert!(r.text.contains("dead on arrival"), "what was typed is kept");
        let r = tech.post_form("/repairs", &[("asset_code", "UI-1")]).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("fault_category") || r.text.contains("is required: one of no_post"), "{}", r.text);
        assert_eq!(app.get("/api/v1/repairs").await.json()["items"].as_array().unwrap().len(), 0, "nothing opened");
        let r = auditor.post_form("/repairs", &[("asset_code", "UI-1"), ("fault_category", "no_post")]).await;
        assert_eq!(r.status, 403, "auditors cannot open repairs");
        let r = tech.post_form("/repairs", &[("csrf_token", "forged"), ("asset_code", "UI-1"), ("fault_category", "no_post")]).await;
        assert_eq!(r.status, 403, "a forged CSRF token is refused");
        let r = tech.post_form("/repairs", &[("asset_code", "UI-1"), ("fault_category", "no_post")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let loc = r.header("location").unwrap().to_owned();
        assert!(loc.starts_with("/repairs/"), "{loc}");
        let rid = loc.trim_start_matches("/repairs/").to_owned();

        // The repair page: a stale form is refused with the reason, and changes nothing.
        let page = tech.get(&loc).await;
        assert!(page.text.contains("Remove a part") && page.text.contains("UI-1-D1"), "{}", page.text);
        let r = tech.post_form(&format!("/repairs/{rid}/update"), &[("version", "1"), ("labour_minutes", "15")]).await;
        assert_eq!(r.status, 303);
        let r = tech.post_form(&format!("/repairs/{rid}/update"), &[("version", "1"), ("labour_minutes", "99")]).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(r.text.contains("version 1 is stale, the current version is 2"), "{}", r.text);
        let r = tech.post_form(&format!("/repairs/{rid}/update"), &[("version", "2"), ("labour_minutes", "many")]).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("must be a whole number"), "{}", r.text);
        assert_eq!(app.get(&format!("/api/v1/repairs/{rid}")).await.json()["labour_minutes"], 15);
        let r = tech.post_form(&format!("/repairs/{rid}/close"), &[("version", "2")]).await;
        assert_eq!(r.status, 422, "closing needs an outcome");
        assert!(r.text.contains("choose how the repair ended"), "{}", r.text);
        let r = tech.post_form(&format!("/repairs/{rid}/close"), &[("version", "2"), ("outcome", "not_repairable")]).await;
        assert_eq!(r.status, 303);
        let page = tech.get(&format!("/repairs/{rid}")).await;
        assert!(page.text.contains("Open dismantle job"), "not repairable offers the dismantle job");
        assert!(!page.text.contains("Remove a part"), "a closed repair has no work forms");

        // The harvest bench.
        let r = tech.post_form("/dismantle", &[("asset_id", &srv), ("repair_id", &rid)]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let job_page = r.header("location").unwrap().to_owned();
        let jid = job_page.trim_start_matches("/dismantle/").to_owned();
        let sheet = tech.get(&job_page).await;
        assert!(sheet.text.contains("<strong>0</strong> of 2 parts recorded") && sheet.text.contains(r#"data-codes="ui-1-d1 mic-1""#), "{}", sheet.text);
        let post = |fields: Vec<(&'static str, String)>| {
            let path = format!("/dismantle/{jid}/parts");
            let tech = tech.clone();
            async move {
                let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                tech.post_form(&path, &f).await
            }
        };
        let r = post(vec![("code", "GHOST-1".into())]).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("no item has the tag or serial GHOST-1") && r.text.contains(r#"name="found_kind""#), "the page asks for the found part's kind");
        let r = post(vec![("code", "mic-1".into()), ("mass_kg", "heavy".into())]).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("must be a number"), "{}", r.text);
        let r = post(vec![("code", "mic-1".into()), ("test_result", "fried".into())]).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("must be one of passed, failed or untested"), "{}", r.text);
        assert_eq!(app.get(&format!("/api/v1/dismantle-jobs/{jid}")).await.json()["recorded"], 0, "refusals recorded nothing");
        let r = post(vec![("code", "mic-1".into())]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let after = tech.get(&job_page).await;
        assert!(after.text.contains("UI-1-D1: passed → spare pool · 1 to go"), "the flash says what was saved and what is left");
        let r = post(vec![("code", "UI-1-D1".into())]).await;
        assert_eq!(r.status, 409);
        assert!(r.text.contains("UI-1-D1 was already recorded (spare pool)"), "{}", r.text);
        let r = auditor.post_form(&format!("/dismantle/{jid}/parts"), &[("code", "UI-1-D2")]).await;
        assert_eq!(r.status, 403);
        let r = tech.post_form(&format!("/dismantle/{jid}/close"), &[("version", "1")]).await;
        assert_eq!(r.status, 409);
        assert!(r.text.contains("1 part(s) have no destination yet: UI-1-D2"), "{}", r.text);
        assert_eq!(post(vec![("code", "UI-1-D2".into()), ("missing", "1".into())]).await.status, 303);
        assert_eq!(tech.post_form(&format!("/dismantle/{jid}/close"), &[("version", "1")]).await.status, 303);
        let r = post(vec![("code", "UI-1-D2".into())]).await;
        assert_eq!(r.status, 409, "a closed job takes nothing");
        assert!(r.text.contains("is closed; it accepts no more parts"), "{}", r.text);
        assert_eq!(app.get_asset(&s(&part, "id")).await["state"], "in_stock");

        // Every role reads the bench pages; only the bench roles see its forms.
        for path in ["/bench", &format!("/repairs/{rid}"), &job_page, "/pool", "/pool?pool=recycling_bin", "/reuse"] {
            let r = auditor.get(path).await;
            assert_eq!(r.status, 200, "{path}: {}", r.text);
            assert!(!r.text.contains("Record a part") && !r.text.contains("Open repair</button>"), "{path}");
        }
        let pool = auditor.get("/pool").await;
        assert!(pool.text.contains("UI-1-D1") && pool.text.contains("Spare pool"), "{}", pool.text);
        let reuse = auditor.get("/reuse").await;
        assert!(reuse.text.contains("Parts harvested</dt><dd>1</dd>") && reuse.text.contains("Missing at the bench</dt><dd>1</dd>"), "{}", reuse.text);
        let r = auditor.get("/reuse?from=yesterday").await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("From: must be a date"), "{}", r.text);
        let item = auditor.get(&format!("/assets/{srv}")).await;
        assert!(item.text.contains(&format!("/repairs/{rid}")) && item.text.contains(&format!("/dismantle/{jid}")), "the item's page lists its repair and job");
        let history = app.events(&srv).await;
        assert!(history.iter().any(|e| e["kind"] == "repair" && e["to"] == "not_repairable"), "the ledger has the repair");
    }
}

db_test! {
    async fn racing_bench_writes_let_exactly_one_through(app: TestApp) {
        let srv = s(&app.asset("RC-1", "server", json!({"state": "deployed"})).await, "id");
        app.asset("RC-1-D1", "dimm", json!({"parent_id": srv})).await;
        // Eight simultaneous repairs on one item: one opens, the rest are refused.
        let tasks: Vec<_> = (0..8).map(|_| {
            let c = app.admin.clone();
            let body = json!({"asset_id": srv, "fault_category": "overheating"});
            tokio::spawn(async move { c.post_json("/api/v1/repairs", &body).await })
        }).collect();
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.unwrap().status);
        }
        codes.sort();
        assert_eq!(codes, vec![201, 409, 409, 409, 409, 409, 409, 409], "{codes:?}");
        assert_eq!(app.get(&format!("/api/v1/repairs?asset_id={srv}")).await.json()["items"].as_array().unwrap().len(), 1);
        let rid = s(&app.get("/api/v1/repairs").await.json()["items"][0], "id");
        let r = app.post_json(&format!("/api/v1/repairs/{rid}/close"), &json!({"version": 1, "outcome": "not_repairable"})).await;
        assert_eq!(r.status, 200, "{}", r.text);

        // Eight simultaneous recordings of one part: one is recorded.
        let job = s(&app.post_json("/api/v1/dismantle-jobs", &json!({"asset_id": srv})).await.json(), "id");
        let tasks: Vec<_> = (0..8).map(|i| {
            let c = app.admin.clone();
            let path = format!("/api/v1/dismantle-jobs/{job}/parts");
            let grade = ["A", "B", "C", "D"][i % 4];
            tokio::spawn(async move { c.post_json(&path, &json!({"code": "RC-1-D1", "grade": {"retail": grade}})).await })
        }).collect();
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.unwrap().status);
        }
        codes.sort();
        assert_eq!(codes, vec![200, 409, 409, 409, 409, 409, 409, 409], "{codes:?}");
        let audit = app.get("/api/v1/audit?limit=100").await.json();
        let records = audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "dismantle.record").count();
        assert_eq!(records, 1, "one recording, one audit entry");

        // Two repairs reserving one spare at once: one holds it.
        assert_eq!(app.post_json(&format!("/api/v1/dismantle-jobs/{job}/close"), &json!({"version": 1})).await.status, 200);
        let spare = s(&app.get("/api/v1/assets/lookup?code=RC-1-D1").await.json(), "id");
        let mut repairs = Vec::new();
        for tag in ["RC-2", "RC-3"] {
            let id = s(&app.asset(tag, "server", json!({"state": "deployed"})).await, "id");
            repairs.push(s(&app.post_json("/api/v1/repairs", &json!({"asset_id": id, "fault_category": "memory_errors"})).await.json(), "id"));
        }
        let tasks: Vec<_> = repairs.iter().map(|rid| {
            let c = app.admin.clone();
            let path = format!("/api/v1/repairs/{rid}/reserve");
            let body = json!({"version": 1, "part_id": spare});
            tokio::spawn(async move { c.post_json(&path, &body).await })
        }).collect();
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.unwrap().status);
        }
        codes.sort();
        assert_eq!(codes, vec![200, 409], "{codes:?}");
        let pool = app.get("/api/v1/pool").await.json();
        let holder = pool["entries"][0]["reserved_for"].as_str().unwrap().to_owned();
        assert!(repairs.contains(&holder), "held by one of the two repairs");
    }
}

db_test! {
    async fn an_open_order_or_job_is_closed_where_it_was_opened(app: TestApp) {
        let srv = s(&app.asset("OJ-1", "server", json!({"state": "deployed"})).await, "id");
        let r = app.post_json("/api/v1/repairs", &json!({"asset_id": srv, "fault_category": "firmware"})).await;
        assert_eq!(r.status, 201);
        let rid = s(&r.json(), "id");
        let t = app.transition(&srv, "deployed").await;
        assert_eq!((t.status, t.error().0.as_str()), (409, "repair_open"), "{}", t.text);
        assert!(t.error().2.contains("close the repair"), "{}", t.text);
        assert_eq!(app.get_asset(&srv).await["state"], "in_repair", "refused, nothing moved");
        let r = app.post_json(&format!("/api/v1/repairs/{rid}/close"), &json!({"version": 1, "outcome": "not_repairable"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let j = app.post_json("/api/v1/dismantle-jobs", &json!({"asset_id": srv})).await;
        assert_eq!(j.status, 201);
        let t = app.transition(&srv, "dismantled").await;
        assert_eq!((t.status, t.error().0.as_str()), (409, "job_open"), "{}", t.text);
        // Without open work the ordinary moves are as before.
        let other = s(&app.asset("OJ-2", "server", json!({"state": "deployed"})).await, "id");
        assert_eq!(app.transition(&other, "in_repair").await.status, 200);
        assert_eq!(app.transition(&other, "deployed").await.status, 200);
    }
}

db_test! {
    async fn racing_saves_of_one_part_record_it_once(app: TestApp) {
        let site = s(&app.site("Frankfurt").await, "id");
        let dimm = model(app, json!({"manufacturer": "Samsung", "model_number": "M393A4K40", "kind": "dimm", "mass_kg": 0.03})).await;
        let srv = model(app, json!({"manufacturer": "Dell", "model_number": "R740", "kind": "server", "mass_kg": 20.0})).await;
        let r = server(app, "R", &srv, &site, &[("R-D1", "dimm", &dimm), ("R-D2", "dimm", &dimm)]).await;
        assert_eq!(app.transition(&r, "retired").await.status, 200);
        let job = s(&app.post_json("/api/v1/dismantle-jobs", &json!({"asset_id": r})).await.json(), "id");
        // Eight benches scan the same DIMM at once, four for the pool and four for the bin:
        // exactly one save records it; the others are told it is recorded already.
        let path = format!("/api/v1/dismantle-jobs/{job}/parts");
        let tries = (0..8).map(|i| {
            let path = path.clone();
            let dest = if i % 2 == 0 { "spare_pool" } else { "recycling_bin" };
            async move { app.post_json(&path, &json!({"code": "SN-R-D1", "destination": dest})).await }
        });
        let results = futures_util::future::join_all(tries).await;
        let ok: Vec<&Resp> = results.iter().filter(|r| r.status == 200).collect();
        assert_eq!(ok.len(), 1, "{:?}", results.iter().map(|r| (r.status, r.text.clone())).collect::<Vec<_>>());
        for r in results.iter().filter(|r| r.status != 200) {
            assert_eq!((r.status, err(r).0.as_str()), (409, "already_recorded"), "{}", r.text);
        }
        let line = job_line(app, &job, "R-D1").await;
        assert_eq!(line["destination"], ok[0].json()["line"]["destination"], "the line holds the one save that won");
        assert_eq!(line["version"], 2, "written once: {line}");
        let audit = app.get("/api/v1/audit?action=dismantle.record").await.json();
        assert_eq!(audit["items"].as_array().unwrap().len(), 1, "one audit entry: {audit}");
        assert_eq!(job_line(app, &job, "R-D2").await["destination"], Value::Null);
        assert_eq!(app.get("/api/v1/audit/verify").await.json()["ok"], true);
    }
}
