//! Data sanitization: records move devices to sanitized and are what every release reads
//! (transfer out, reuse, redeployment elsewhere, recycling), naming every device that
//! blocks, nested at any depth; the station records devices one scan at a time; the
//! certificates state what NIST SP 800-88's sample certificate asks.

use reloop::rules::Role;

use super::*;

async fn retired_server_with_nested_drives(app: &TestApp, tag: &str) -> (String, Vec<String>) {
    let srv = s(&app.asset(tag, "server", json!({"state": "deployed"})).await, "id");
    let board = s(&app.asset(&format!("{tag}-B"), "board", json!({"parent_id": srv})).await, "id");
    // A drive on the server, an NVMe on the board, and a RAID card (other) flagged as
    // holding data, with a cache module inside it: three levels down.
    let d1 = s(
        &app.asset(
            &format!("{tag}-HDD"),
            "hdd",
            json!({"parent_id": srv, "manufacturer": "Seagate", "serial": format!("{tag}-SN1")}),
        )
        .await,
        "id",
    );
    let d2 = s(
        &app.asset(
            &format!("{tag}-NVME"),
            "nvme",
            json!({"parent_id": board, "manufacturer": "Samsung", "serial": format!("{tag}-SN2")}),
        )
        .await,
        "id",
    );
    let raid =
        s(&app.asset(&format!("{tag}-RAID"), "other", json!({"parent_id": board, "holds_data": true})).await, "id");
    let cache =
        s(&app.asset(&format!("{tag}-CACHE"), "other", json!({"parent_id": raid, "holds_data": true})).await, "id");
    assert_eq!(app.transition(&srv, "retired").await.status, 200);
    (srv, vec![d1, d2, raid, cache])
}

db_test! {
    async fn every_release_names_each_unsanitized_device_at_any_depth(app: TestApp) {
        let (srv, devices) = retired_server_with_nested_drives(app, "G1").await;
        let tags = ["G1-CACHE", "G1-HDD", "G1-NVME", "G1-RAID"];
        for to in ["transferred_out", "in_recycling", "in_stock", "sanitized"] {
            let r = app.transition(&srv, to).await;
            assert_eq!((r.status, r.error().0.as_str()), (409, "not_sanitized"), "{to}: {}", r.text);
            let listed: Vec<String> = r.json()["error"]["blockers"].as_array().unwrap().iter().map(|b| s(b, "tag")).collect();
            assert_eq!(listed, tags, "{to}: every device, sorted");
            assert!(r.error().2.starts_with("G1 holds data that is not sanitized for"), "{}", r.text);
        }
        assert_eq!(app.get_asset(&srv).await["state"], "retired", "refusals moved nothing");
        // The UI shows the same list, each device linked.
        let version = app.get_asset(&srv).await["version"].to_string();
        let r = app.post_form(&format!("/assets/{srv}/transition"), &[("to", "transferred_out"), ("reason", "sold"), ("confirm", "yes"), ("version", &version)]).await;
        assert_eq!(r.status, 303, "refused, back to the item's page: {}", r.text);
        let page = app.get(&format!("/assets/{srv}")).await;
        assert_eq!(page.status, 409);
        for (t, id) in tags.iter().zip([&devices[3], &devices[0], &devices[1], &devices[2]]) {
            assert!(page.text.contains(&format!(r#"<a class="tag" href="/assets/{id}">{t}</a>"#)), "{t} linked: {}", page.text);
        }
        // Destroy the HDD and the cache; purge the NVMe; clear the RAID card.
        assert_eq!(app.sanitize(&devices[0], "destroy").await.status, 201);
        assert_eq!(app.sanitize(&devices[3], "destroy").await.status, 201);
        assert_eq!(app.sanitize(&devices[1], "purge").await.status, 201);
        assert_eq!(app.sanitize(&devices[2], "clear").await.status, 201);
        // Reuse: the destroyed ones block. Transfer: those and the cleared card.
        let r = app.transition(&srv, "in_stock").await;
        let listed: Vec<String> = r.json()["error"]["blockers"].as_array().unwrap().iter().map(|b| s(b, "tag")).collect();
        assert_eq!(listed, ["G1-CACHE", "G1-HDD"], "{}", r.text);
        assert!(r.error().2.contains("G1-HDD (destroyed: that allows recycling only)"), "{}", r.text);
        let r = app.transition(&srv, "transferred_out").await;
        let listed: Vec<String> = r.json()["error"]["blockers"].as_array().unwrap().iter().map(|b| s(b, "tag")).collect();
        assert_eq!(listed, ["G1-CACHE", "G1-HDD", "G1-RAID"], "{}", r.text);
        assert!(r.error().2.contains("G1-RAID (a clear record does not allow transfer out of the organisation: purge it)"), "{}", r.text);
        // Recycling: every passing record counts.
        assert_eq!(app.transition(&srv, "sanitized").await.status, 200, "all its devices have passing records");
        let r = app.transition(&srv, "in_recycling").await;
        assert_eq!(r.status, 200, "{}", r.text);
        for d in &devices {
            assert_eq!(app.get_asset(d).await["state"], "in_recycling");
        }
    }
}

db_test! {
    async fn a_redeployment_elsewhere_needs_its_drives_wiped_and_use_unsanitizes(app: TestApp) {
        let fra = s(&app.site("Frankfurt").await, "id");
        let sto = s(&app.site("Stockholm").await, "id");
        let srv = app.asset("R1", "server", json!({"state": "deployed", "site_id": fra, "workload_tier": "web_services"})).await;
        let id = s(&srv, "id");
        let ssd = s(&app.asset("R1-SSD", "ssd", json!({"parent_id": id, "manufacturer": "Intel"})).await, "id");
        assert_eq!(app.transition(&id, "in_stock").await.status, 200);
        // Redeployed where it was: no release of data.
        let r = app.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "redeployed", "workload_tier": "ci_build"})).await;
        assert_eq!(r.status, 200, "same site, same data: {}", r.text);
        assert_eq!(app.transition(&id, "in_stock").await.status, 200);
        let v = app.get_asset(&id).await["version"].clone();
        assert_eq!(app.patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": v, "site_id": sto})).await.status, 200);
        let r = app.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "redeployed", "workload_tier": "ci_build"})).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "not_sanitized"), "moved site since its last use: {}", r.text);
        assert!(r.error().2.contains("R1-SSD"), "{}", r.text);
        // A device is sanitized out of service: in stock is fine, and it stays in stock.
        assert_eq!(app.sanitize(&ssd, "clear").await.status, 201);
        assert_eq!(app.get_asset(&ssd).await["state"], "in_stock");
        let r = app.post_json(&format!("/api/v1/assets/{id}/transition"), &json!({"to": "redeployed", "workload_tier": "ci_build"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        // In use again, the old record no longer counts.
        assert_eq!(app.transition(&id, "retired").await.status, 200);
        let r = app.transition(&id, "transferred_out").await;
        assert!(r.error().2.contains("R1-SSD (in use again since its sanitization on"), "{}", r.text);
        let r = app.sanitize(&ssd, "purge").await;
        assert_eq!(r.status, 201);
        assert_eq!(app.transition(&id, "transferred_out").await.status, 200);
    }
}

db_test! {
    async fn records_refuse_bad_input_and_keep_failures(app: TestApp) {
        let tech = app.user("wiper", Role::Refurbisher).await;
        let auditor = app.user("checker", Role::Auditor).await;
        let hdd = s(&app.asset("W-HDD", "hdd", json!({"state": "retired", "manufacturer": "WD", "serial": "WDX1"})).await, "id");
        let dimm = s(&app.asset("W-DIMM", "dimm", json!({"state": "retired"})).await, "id");
        let live = s(&app.asset("W-LIVE", "ssd", json!({"state": "deployed"})).await, "id");
        let post = |body: Value| {
            let tech = tech.clone();
            async move { tech.post_json("/api/v1/sanitization/records", &body).await }
        };
        let base = json!({"asset_id": hdd, "method_class": "purge", "technique": "crypto_erase", "tool": "sedutil", "verification": "full"});
        let with = |k: &str, v: Value| {
            let mut b = base.clone();
            b[k] = v;
            b
        };
        let cases: Vec<(Value, u16, &str, &str)> = vec![
            (with("technique", json!("shred")), 422, "technique", "shred achieves destroy, not purge"),
            (with("verification", json!("sampled")), 422, "sample_share", "needs the share sampled"),
            (with("sample_share", json!(0.2)), 422, "sample_share", "only for a sampled verification"),
            (with("tool", json!("")), 422, "tool", "required"),
            (with("asset_id", json!(dimm)), 422, "asset_id", "holds no data"),
            (with("asset_id", json!(live)), 409, "asset_id", "is deployed: a device is sanitized out of service"),
            (with("ended_at", json!("2099-01-01T00:00:00Z")), 422, "ended_at", "must not be in the future"),
            (with("method_class", json!("melt")), 400, "method_class", "melt"),
        ];
        for (body, status, field, msg) in cases {
            let r = post(body.clone()).await;
            assert_eq!(r.status, status, "{body}: {}", r.text);
            assert!(r.text.contains(field) && r.text.contains(msg), "{body}: {}", r.text);
        }
        assert_eq!(auditor.post_json("/api/v1/sanitization/records", &base).await.status, 403);
        assert_eq!(app.get(&format!("/api/v1/sanitization/records?asset_id={hdd}")).await.json()["items"].as_array().unwrap().len(), 0, "nothing written");
        // A failed record is kept, changes nothing, and the gate still refuses.
        let r = post(with("result", json!("failed"))).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(app.get_asset(&hdd).await["state"], "retired");
        assert_eq!(app.transition(&hdd, "transferred_out").await.error().0, "not_sanitized");
        let r = post(with("certificate_id", json!("VENDOR-42"))).await;
        assert_eq!(r.status, 201);
        let rec = r.json();
        assert_eq!((rec["certificate_id"].as_str(), rec["device_serial"].as_str(), rec["device_make"].as_str()), (Some("VENDOR-42"), Some("WDX1"), Some("WD")));
        assert_eq!(app.get_asset(&hdd).await["state"], "sanitized");
        let r = post(with("certificate_id", json!("VENDOR-42"))).await;
        assert_eq!((r.status, r.error().1.as_deref()), (409, Some("certificate_id")), "{}", r.text);
        // The certificate page states who, what, how and the verification, with signature lines.
        let page = auditor.get(&format!("/sanitization/records/{}", s(&rec, "id"))).await;
        assert_eq!(page.status, 200);
        for want in ["Certificate of sanitization VENDOR-42", "Purge", "Cryptographic erase", "sedutil", "Full verification", "WDX1", "Performed by (name, title)", "Validated by (name, title)"] {
            assert!(page.text.contains(want), "{want}: {}", page.text);
        }
        let hist = app.events(&hdd).await;
        let last = hist.last().unwrap();
        assert_eq!((last["to"].as_str(), last["payload"]["certificate_id"].as_str()), (Some("sanitized"), Some("VENDOR-42")));
    }
}

db_test! {
    async fn the_station_records_each_scanned_device_and_refuses_repeats(app: TestApp) {
        let tech = app.user("station", Role::Refurbisher).await;
        for i in 1..=3 {
            app.asset(&format!("ST-{i}"), "ssd", json!({"state": "retired", "manufacturer": "Micron", "serial": format!("MTFD{i}")})).await;
        }
        let r = tech.post_json("/api/v1/sanitization/batches", &json!({"method_class": "purge", "technique": "block_erase", "tool": "hdparm", "tool_version": "9.65", "verification": "sampled", "sample_share": 0.1})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let batch = s(&r.json(), "id");
        let number = s(&r.json(), "number");
        // Through the UI form, the way a scanner types.
        let path = format!("/sanitization/batches/{batch}/scan");
        assert_eq!(tech.post_form(&path, &[("code", "mtfd1")]).await.status, 303);
        let page = tech.get(&format!("/sanitization/batches/{batch}")).await;
        assert!(page.text.contains("ST-1: passed · certificate SAN-"), "{}", page.text);
        assert!(page.text.contains("<strong>1</strong> passed · 0 failed"), "{}", page.text);
        assert_eq!(tech.post_form(&path, &[("code", "MTFD2"), ("result", "failed")]).await.status, 303);
        let r = tech.post_form(&path, &[("code", "MTFD1")]).await;
        assert_eq!(r.status, 409);
        assert!(r.text.contains("ST-1 is already in this batch (passed, certificate SAN-"), "{}", r.text);
        let r = tech.post_form(&path, &[("code", "NOPE")]).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("no item has the tag or serial NOPE"), "{}", r.text);
        let d = app.get(&format!("/api/v1/sanitization/batches/{batch}")).await.json();
        assert_eq!((d["passed"].as_u64(), d["failed"].as_u64()), (Some(1), Some(1)));
        assert_eq!(d["records"][0]["sample_share"], 0.1);
        assert_eq!(d["records"][0]["tool_version"], "9.65");
        let st1 = app.get("/api/v1/assets/lookup?code=ST-1").await.json();
        let st2 = app.get("/api/v1/assets/lookup?code=ST-2").await.json();
        assert_eq!((st1["state"].as_str(), st2["state"].as_str()), (Some("sanitized"), Some("retired")));
        let cert = app.get(&format!("/sanitization/batches/{batch}/certificate")).await;
        assert!(cert.text.contains(&format!("batch {number}")) && cert.text.contains("MTFD1") && cert.text.contains("MTFD2"), "{}", cert.text);
        let v = d["version"].clone();
        let r = tech.post_json(&format!("/api/v1/sanitization/batches/{batch}/close"), &json!({"version": 0})).await;
        assert_eq!(r.error().0, "stale_version");
        assert_eq!(tech.post_json(&format!("/api/v1/sanitization/batches/{batch}/close"), &json!({"version": v})).await.status, 200);
        let r = tech.post_json(&format!("/api/v1/sanitization/batches/{batch}/scan"), &json!({"code": "MTFD3"})).await;
        assert_eq!((r.status, r.error().0.as_str()), (409, "closed"), "{}", r.text);
        assert_eq!(app.get("/api/v1/assets/lookup?code=ST-3").await.json()["state"], "retired");
    }
}
