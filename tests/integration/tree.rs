use super::*;

db_test! {
    async fn a_part_keeps_its_identity_and_history_when_it_moves(app: TestApp) {
        let a = app.asset("SRV-A", "server", json!({"state": "deployed"})).await;
        let b = app.asset("SRV-B", "server", json!({"state": "in_repair"})).await;
        let gpu = app.asset("GPU-1", "gpu", json!({"parent_tag": "SRV-A"})).await;
        let gid = s(&gpu, "id");
        let r = app.post_json(&format!("/api/v1/assets/{}/children", s(&b, "id")), &json!({"child_tag": "GPU-1", "reason": "swap for RMA"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let moved = &r.json()["child"];
        assert_eq!(moved["id"], gpu["id"], "same identity");
        assert_eq!(moved["parent_id"], b["id"]);
        assert_eq!(moved["state"], "in_repair", "a part takes on the state of the item it goes into");
        // The part's history holds its whole life: registered in A, moved to B, new state.
        let ev = app.events(&gid).await;
        let kinds: Vec<String> = ev.iter().map(|e| s(e, "kind")).collect();
        assert_eq!(kinds, ["registered", "parent", "state"]);
        assert_eq!((ev[1]["from"].as_str(), ev[1]["to"].as_str()), (a["id"].as_str(), b["id"].as_str()));
        // Both parents record the move.
        let a_last = app.events(&s(&a, "id")).await.pop().expect("A events");
        assert_eq!((a_last["kind"].as_str(), a_last["related_asset_id"].as_str()), (Some("child_removed"), gpu["id"].as_str()));
        assert!(s(&a_last, "reason").contains("SRV-B"));
        let b_last = app.events(&s(&b, "id")).await.pop().expect("B events");
        assert_eq!((b_last["kind"].as_str(), b_last["related_asset_id"].as_str()), (Some("child_added"), gpu["id"].as_str()));
        // Installing it where it already is is a conflict, not a silent no-op.
        let r = app.post_json(&format!("/api/v1/assets/{}/children", s(&b, "id")), &json!({"child_id": gpu["id"]})).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.error().0, "already_installed");
    }
}

db_test! {
    async fn cycles_self_installs_and_misfits_are_refused(app: TestApp) {
        let chassis = app.asset("CH", "chassis", json!({})).await;
        let server = app.asset("SV", "server", json!({"parent_tag": "CH"})).await;
        let board = app.asset("BD", "board", json!({"parent_tag": "SV"})).await;
        let dimm = app.asset("MM", "dimm", json!({"parent_tag": "BD"})).await;
        let other = app.asset("CH2", "chassis", json!({})).await;
        let install = |parent: &Value, child: &Value| {
            let url = format!("/api/v1/assets/{}/children", s(parent, "id"));
            let body = json!({"child_id": child["id"]});
            async move { app.post_json(&url, &body).await }
        };
        // The chassis is an ancestor of the server: putting it inside would make a cycle.
        let r = install(&server, &chassis).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.error().2.contains("cycle"), "{}", r.text);
        let r = install(&chassis, &chassis).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.error().1.as_deref(), Some("child_id"));
        // Kinds must fit: a chassis cannot go in a server, a server not in a DIMM.
        let r = install(&dimm, &other).await;
        assert_eq!(r.status, 422);
        let r = install(&board, &server).await;
        assert_eq!(r.status, 422);
        // Unknown parts are named.
        let r = app.post_json(&format!("/api/v1/assets/{}/children", s(&server, "id")), &json!({"child_tag": "NOPE"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.error().1.as_deref(), Some("child_tag"));
        let r = app.post_json(&format!("/api/v1/assets/{}/children", uuid::Uuid::now_v7()), &json!({"child_tag": "MM"})).await;
        assert_eq!(r.status, 404);
        // Nothing moved.
        assert_eq!(app.get_asset(&s(&chassis, "id")).await["parent_id"], Value::Null);
        assert_eq!(app.get_asset(&s(&server, "id")).await["parent_id"], chassis["id"]);
        // A legal move of a subtree: the server (with its board and DIMM) into the other chassis.
        let r = install(&other, &server).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let t = app.get(&format!("/api/v1/assets/{}/tree", s(&other, "id"))).await.json();
        assert_eq!(t["children"][0]["asset_tag"], "SV");
        assert_eq!(t["children"][0]["children"][0]["children"][0]["asset_tag"], "MM");
        assert_eq!(t["children"][0]["children"][0]["children"][0]["depth"], 3);
    }
}

db_test! {
    async fn removing_a_part_makes_it_standalone_and_back_in_stock(app: TestApp) {
        let server = app.asset("R1", "server", json!({"state": "deployed"})).await;
        let dimm = app.asset("R1-M", "dimm", json!({"parent_tag": "R1"})).await;
        let ssd = app.asset("R1-SSD", "ssd", json!({"parent_tag": "R1", "manufacturer": "Samsung"})).await;
        let sid = s(&server, "id");
        let r = app.delete(&format!("/api/v1/assets/{sid}/children/{}", s(&dimm, "id"))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let child = &r.json()["child"];
        assert_eq!((child["parent_id"].clone(), child["state"].as_str()), (Value::Null, Some("in_stock")));
        // A failed part goes straight to retired.
        let r = app.delete_json(&format!("/api/v1/assets/{sid}/children/{}", s(&ssd, "id")), &json!({"to_state": "retired", "reason": "SMART errors"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["child"]["state"], "retired");
        let ev = app.events(&s(&ssd, "id")).await;
        let last = ev.last().expect("events");
        assert_eq!((last["kind"].as_str(), last["to"].as_str(), last["reason"].as_str()), (Some("state"), Some("retired"), Some("SMART errors")));
        // Removing what is not installed there is a conflict.
        let r = app.delete(&format!("/api/v1/assets/{sid}/children/{}", s(&dimm, "id"))).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.error().0, "not_installed");
        // An illegal target state is refused and nothing is detached.
        let m2 = app.asset("R1-M2", "dimm", json!({"parent_tag": "R1"})).await;
        let r = app.delete_json(&format!("/api/v1/assets/{sid}/children/{}", s(&m2, "id")), &json!({"to_state": "recovered"})).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert_eq!(app.get_asset(&s(&m2, "id")).await["parent_id"], server["id"]);
    }
}

db_test! {
    async fn a_parents_mass_is_its_own_plus_its_parts(app: TestApp) {
        let chassis_model = app.model("Dell", "R740 chassis", "server", Some(18.5)).await;
        let dimm_model = app.model("Samsung", "M393A4K40DB3", "dimm", Some(0.032)).await;
        let server = app.asset("M1", "server", json!({"model_id": chassis_model["id"]})).await;
        let board = app.asset("M1-B", "board", json!({"parent_tag": "M1", "mass_override_kg": 2.1})).await;
        for i in 0..4 {
            app.asset(&format!("M1-D{i}"), "dimm", json!({"parent_tag": "M1-B", "model_id": dimm_model["id"]})).await;
        }
        app.asset("M1-X", "other", json!({"parent_tag": "M1"})).await;
        let got = app.get_asset(&s(&server, "id")).await;
        let total = got["mass"]["total_kg"].as_f64().expect("total");
        assert!((total - (18.5 + 2.1 + 4.0 * 0.032)).abs() < 1e-9, "{total}");
        assert_eq!(got["mass"]["own_kg"], 18.5);
        assert_eq!(got["mass"]["items"], 7);
        assert_eq!(got["mass"]["unknown_mass_items"], 1, "the 'other' part has no mass");
        let t = app.get(&format!("/api/v1/assets/{}/tree", s(&board, "id"))).await.json();
        assert!((t["total_mass_kg"].as_f64().unwrap_or(0.0) - 2.228).abs() < 1e-9, "{t}");
    }
}
