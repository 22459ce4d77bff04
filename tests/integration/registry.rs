use super::*;

db_test! {
    async fn registering_derives_kind_and_manufacturer_from_the_model(app: TestApp) {
        let site = app.site("Frankfurt").await;
        let model = app.model("Dell", "PowerEdge R740", "server", Some(20.0)).await;
        let r = app
            .post_json("/api/v1/assets", &json!({"asset_tag": "RL-1", "model_id": model["id"], "site_id": site["id"], "serial": "7XK2M3", "state": "deployed"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let a = r.json();
        assert_eq!(r.header("location").map(str::to_owned), Some(format!("/api/v1/assets/{}", s(&a, "id"))));
        assert_eq!(a["kind"], "server");
        assert_eq!(a["manufacturer"], "Dell");
        assert_eq!(a["state"], "deployed");
        assert_eq!(a["version"], 1);
        // Deployed at registration: the first deployment date is today.
        assert_eq!(a["first_deployed_on"].as_str().map(|d| d.len()), Some(10));
        let id = uuid::Uuid::parse_str(&s(&a, "id")).expect("uuid");
        assert_eq!(id.get_version_num(), 7, "ids are UUIDv7");
        let got = app.get_asset(&s(&a, "id")).await;
        assert_eq!(got["asset_tag"], "RL-1");
        assert_eq!(got["mass"]["total_kg"], 20.0);
        assert_eq!(got["allowed_transitions"], json!(["in_stock", "in_repair", "redeployed", "retired", "lost"]));
        let ev = app.events(&s(&a, "id")).await;
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0]["kind"].as_str(), ev[0]["to"].as_str()), (Some("registered"), Some("deployed")));
        assert_eq!(ev[0]["payload"]["site_id"], site["id"]);
    }
}

db_test! {
    async fn model_and_given_fields_must_agree(app: TestApp) {
        let model = app.model("Dell", "PowerEdge R740", "server", None).await;
        let r = app.post_json("/api/v1/assets", &json!({"asset_tag": "X", "model_id": model["id"], "kind": "dimm"})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.error().1.as_deref(), Some("kind"));
        let r = app.post_json("/api/v1/assets", &json!({"asset_tag": "X", "model_id": model["id"], "manufacturer": "HPE"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.error().1.as_deref(), Some("manufacturer"));
        let r = app.post_json("/api/v1/assets", &json!({"asset_tag": "X"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.error().1.as_deref(), Some("kind"), "a kind is needed without a model");
        let r = app.post_json("/api/v1/assets", &json!({"asset_tag": "X", "model_id": uuid::Uuid::now_v7()})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.error().1.as_deref(), Some("model_id"));
        let r = app.post_json("/api/v1/assets", &json!({"asset_tag": "X", "kind": "server", "site_id": uuid::Uuid::now_v7()})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.error().1.as_deref(), Some("site_id"));
        let r = app.post_json("/api/v1/assets", &json!({"asset_tag": "X", "kind": "server", "state": "recovered"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.error().1.as_deref(), Some("state"));
        // Nothing was written by any of these.
        assert_eq!(app.get("/api/v1/assets").await.json()["items"], json!([]));
    }
}

db_test! {
    async fn tags_are_unique_regardless_of_case_and_serials_per_manufacturer(app: TestApp) {
        app.asset("RL-0001", "server", json!({"manufacturer": "Dell", "serial": "ABC123"})).await;
        let r = app.post_json("/api/v1/assets", &json!({"asset_tag": " rl-0001 ", "kind": "server"})).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let (code, field, msg) = r.error();
        assert_eq!((code.as_str(), field.as_deref()), ("duplicate", Some("asset_tag")));
        assert!(msg.contains("rl-0001"), "{msg}");
        let r = app.post_json("/api/v1/assets", &json!({"asset_tag": "RL-2", "kind": "server", "manufacturer": "DELL", "serial": "abc123"})).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert_eq!(r.error().1.as_deref(), Some("serial"));
        // The same serial from another manufacturer is another item.
        app.asset("RL-3", "server", json!({"manufacturer": "Lenovo", "serial": "ABC123"})).await;
        // A serial needs a manufacturer to be unique against.
        let r = app.post_json("/api/v1/assets", &json!({"asset_tag": "RL-4", "kind": "dimm", "serial": "S1"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.error().1.as_deref(), Some("manufacturer"));
    }
}

db_test! {
    async fn lookup_finds_an_item_by_exact_tag_or_serial(app: TestApp) {
        let a = app.asset("RL-77", "server", json!({"manufacturer": "Dell", "serial": "SVC77"})).await;
        for code in ["RL-77", "rl-77", "svc77", " SVC77 "] {
            let r = app.get(&format!("/api/v1/assets/lookup?code={}", code.replace(' ', "%20"))).await;
            assert_eq!(r.status, 200, "{code}: {}", r.text);
            assert_eq!(r.json()["id"], a["id"]);
        }
        let r = app.get("/api/v1/assets/lookup?code=RL-7").await;
        assert_eq!(r.status, 404, "a prefix is not a scan");
    }
}

db_test! {
    async fn updates_check_the_version_and_record_site_and_workload_moves(app: TestApp) {
        let s1 = app.site("One").await;
        let s2 = app.site("Two").await;
        let server = app.asset("SRV", "server", json!({"site_id": s1["id"], "state": "deployed"})).await;
        let dimm = app.asset("DIMM", "dimm", json!({"parent_tag": "SRV"})).await;
        assert_eq!(dimm["site_id"], s1["id"], "a part is at its parent's site");
        let id = s(&server, "id");
        let r = app
            .patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": 1, "site_id": s2["id"], "workload_tier": "ai_inference", "custodian": "ML platform", "reason": "rack move"}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let a = r.json();
        assert_eq!((a["version"].as_i64(), a["site_id"].clone(), a["custodian"].as_str()), (Some(2), s2["id"].clone(), Some("ML platform")));
        // The part moved along, with its own ledger entry.
        let d = app.get_asset(&s(&dimm, "id")).await;
        assert_eq!(d["site_id"], s2["id"]);
        let dev = app.events(&s(&dimm, "id")).await;
        let last = dev.last().expect("events");
        assert_eq!((last["kind"].as_str(), last["to"].as_str()), (Some("site"), s2["id"].as_str()));
        let kinds: Vec<String> = app.events(&id).await.iter().map(|e| s(e, "kind")).collect();
        assert!(kinds.ends_with(&["workload".to_owned(), "site".to_owned()]), "{kinds:?}");
        // A stale version is refused and changes nothing.
        let r = app.patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": 1, "custodian": "someone else"})).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let (code, field, _) = r.error();
        assert_eq!((code.as_str(), field.as_deref()), ("stale_version", Some("version")));
        assert_eq!(app.get_asset(&id).await["custodian"], "ML platform");
        // An installed part cannot move site on its own.
        let r = app.patch_json(&format!("/api/v1/assets/{}", s(&dimm, "id")), &json!({"version": d["version"], "site_id": s1["id"]})).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.error().1.as_deref(), Some("site_id"));
        // null clears an optional field.
        let r = app.patch_json(&format!("/api/v1/assets/{id}"), &json!({"version": 2, "workload_tier": null})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["workload_tier"], Value::Null);
    }
}

db_test! {
    async fn concurrent_updates_with_the_same_version_let_exactly_one_win(app: TestApp) {
        let a = app.asset("RACE", "server", json!({})).await;
        let path = format!("/api/v1/assets/{}", s(&a, "id"));
        let mut handles = Vec::new();
        for i in 0..8 {
            let client = app.admin.clone();
            let path = path.clone();
            handles.push(tokio::spawn(async move {
                client.patch_json(&path, &json!({"version": 1, "notes": format!("writer {i}")})).await.status
            }));
        }
        let mut statuses = Vec::new();
        for h in handles {
            statuses.push(h.await.expect("join"));
        }
        statuses.sort();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
        assert_eq!(app.get_asset(&s(&a, "id")).await["version"], 2);
    }
}

db_test! {
    async fn hostile_strings_round_trip_unchanged(app: TestApp) {
        let nasty = "<script>alert('x')</script> \"quoted\" & 'single' ; DROP TABLE assets; -- ünïcödé 🚀 \\ %s %n";
        let a = app
            .asset("<b>TAG</b>&amp;", "server", json!({"manufacturer": "Ac'me \"Corp\"", "custodian": nasty, "notes": format!("{nasty}\nline two")}))
            .await;
        let got = app.get_asset(&s(&a, "id")).await;
        assert_eq!(got["asset_tag"], "<b>TAG</b>&amp;");
        assert_eq!(got["custodian"], nasty);
        assert_eq!(got["notes"], format!("{nasty}\nline two"));
        // Found by its own text, and rendered escaped.
        let r = app.get("/api/v1/assets?q=%3Cb%3E").await;
        assert_eq!(r.json()["items"][0]["id"], a["id"]);
        let page = app.get(&format!("/assets/{}", s(&a, "id"))).await;
        assert_eq!(page.status, 200);
        assert!(!page.text.contains("<script>alert"), "unescaped script in the page");
        let shown = reloop_tests::html_unescape(&page.text);
        assert!(shown.contains(nasty), "the text reads back exactly once unescaped");
        assert!(shown.contains("<b>TAG</b>&amp;"));
        assert!(!page.text.contains("<b>TAG</b>"), "markup in a tag is not live");
    }
}
